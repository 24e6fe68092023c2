"""A demo year played through the services, in date order, as the people would.

Every need, pledge, move, progress record, time node, monthly report, briefing, review,
sign-off, crossing-off, notice, villager's word, evaluation, point and grade of the
year is written by the service a person's click calls, with the clock set to the
moment that person acts (time-machine), so that each row carries its true date and
passes every check the product makes of it.

The plan (who pledges what, which path each pledge takes and when) comes from the
same modules as the bulk path of the replica districts: the two write the same shape.
"""

import datetime
import io
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import reset_queries
from django.utils import timezone
from PIL import Image, ImageDraw

from branches.models import Committee
from pledges.enums import (
    ActorRole,
    NeedStatus,
    PledgeMove,
    PledgeStatus,
    TimeNodeOutcome,
)
from pledges.figures.stored import stored_figures_deferred
from pledges.models import Need, Pledge, TimeNode
from pledges.services.drafting import pledge_create
from pledges.services.feedback import address_hash_of, feedback_record, feedback_submit
from pledges.services.needs import need_create, need_drop, need_resolve
from pledges.services.progress import (
    NodeClosing,
    pledge_complete,
    progress_record_create,
    time_node_close,
)
from pledges.services.workflow import pledge_transition
from pledges.signals import public_pages_renewed_once
from pledges.workflow import MOVES
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft
from reviews.demo.histories import (
    node_closed_at,
    node_plan,
    progress_plan,
    report_texts,
    reporting_members,
    started_titles,
)
from reviews.demo.sessions import (
    FEEDBACK_PLACES,
    MISSED_BRIEFING_SHARE,
    YEAR_END_RATINGS,
    briefing_summary,
    feedback_plan,
    review_entry,
    signs_off,
)
from reviews.selectors.calendar import REVIEWABLE_STATUSES
from reviews.services.halfyear import notice_generate, notice_publish, pledges_verify
from reviews.services.monthly import monthly_reports_save
from reviews.services.quarterly import (
    ReviewEntry,
    quarter_sign_off,
    quarterly_briefing_save,
    quarterly_reviews_save_many,
)
from reviews.services.yearend import (
    EvaluationEntry,
    evaluations_confirm,
    evaluations_record_many,
    yearend_publish,
)

S = PledgeStatus
M = PledgeMove


@dataclass(order=True)
class Event:
    moment: datetime.datetime
    order: int
    action: Callable[[], object] = field(compare=False)


class YearPlayer:
    """Plays one district's year: `contexts` are its branches (saved, with members)."""

    def __init__(
        self,
        *,
        rng: random.Random,
        clock: Clock,
        contexts: list[BranchContext],
        drafts: list[PledgeDraft],
        needs_by_branch: dict[str, list[Need]],
        committees: list[Committee],
        district_staff_id: int,
    ):
        self.rng = rng
        self.clock = clock
        self.contexts = contexts
        self.drafts = drafts
        self.needs_by_branch = needs_by_branch
        self.committees = committees
        user_ids = {district_staff_id}
        for context in contexts:
            user_ids.update((context.secretary_user_id, context.staff_user_id))
        self.users = get_user_model().objects.in_bulk(user_ids)
        self.district_staff = self.users[district_staff_id]
        self.staff_by_committee = {
            context.branch.committee_id: self.users[context.staff_user_id] for context in contexts
        }
        self.events: list[Event] = []
        self.sequence = count()
        self.members = {m.pk: m for context in contexts for m in context.members}
        self.titles_by_month: dict[datetime.date, dict[int, str]] = {}
        self.drafts_by_branch = defaultdict(list)
        for draft in drafts:
            self.drafts_by_branch[draft.owner.key].append(draft)

    # ------------------------------------------------------------------ the run
    def play(self) -> None:
        self._needs()
        for draft in self.drafts:
            self._pledge(draft)
        self._crossing_off()
        self._monthly_reports()
        self._quarters()
        self._notices()
        if self.clock.evaluates:
            self._year_end()
        self.events.sort()
        travel = time_machine.travel(self.events[0].moment, tick=False)
        with travel as traveller, public_pages_renewed_once(), stored_figures_deferred():
            for number, event in enumerate(self.events):
                traveller.move_to(event.moment)
                event.action()
                if number % 2000 == 0:
                    reset_queries()  # under DEBUG every query's SQL is kept otherwise

    def _at(self, moment: datetime.datetime, action: Callable[[], object]) -> None:
        if moment > self.clock.end:
            return
        self.events.append(Event(moment, next(self.sequence), action))

    def secretary(self, draft_or_context):
        context = getattr(draft_or_context, "owner", draft_or_context)
        return self.users[context.secretary_user_id]

    def staff(self, context: BranchContext):
        return self.users[context.staff_user_id]

    # ------------------------------------------------------------------ 研诺
    def _needs(self) -> None:
        for context in self.contexts:
            for need in self.needs_by_branch.get(context.key, []):
                self._at(need.created_at, lambda n=need, c=context: self._list_need(n, c))

    def _list_need(self, need: Need, context: BranchContext) -> None:
        saved = need_create(
            branch=context.branch,
            actor=self.secretary(context),
            description=need.description,
            category=need.category,
            source=need.source,
            raised_by=need.raised_by,
            urgency=need.urgency,
        )
        need.pk = saved.pk
        need.demo_context = context
        if need.status == NeedStatus.DROPPED and not need.demo_pledge_statuses:
            moment = need.created_at + datetime.timedelta(days=self.rng.randint(20, 60))
            self._at(moment, lambda: need_drop(need=saved, actor=self.secretary(context)))

    # ------------------------------------------------------------------ 定诺 to 用诺
    def _pledge(self, draft: PledgeDraft) -> None:
        self._at(draft.times[0], lambda: self._write(draft))
        for move, moment in zip(draft.path, draft.times[1:], strict=True):
            if move == M.COMPLETE:
                self._at(moment, lambda d=draft, m=moment: self._complete(d, m.date()))
            elif move in (M.VERIFY, M.EVALUATE):
                continue  # in the sessions, many at a time
            else:
                self._at(moment, lambda d=draft, mv=move: self._move(d, mv))
        started = draft.moment_of(M.START)
        if started:
            for happened, note, with_photo in progress_plan(self.rng, draft, self.clock):
                self._at(
                    happened,
                    lambda d=draft, h=happened, n=note, p=with_photo: self._record(d, h, n, p),
                )
        draft.demo_nodes = node_plan(self.rng, draft, self.clock)
        halfway = draft.demo_nodes[0]
        completed = draft.moment_of(M.COMPLETE)
        if halfway.closed_as == TimeNodeOutcome.DONE and (
            not completed or halfway.done_on < completed.date()
        ):
            moment = node_closed_at(draft, halfway, self.clock)
            self._at(moment, lambda d=draft, day=halfway.done_on: self._close_halfway(d, day))
        self._resolve_needs(draft)

    def _write(self, draft: PledgeDraft) -> None:
        plan = draft.pledge
        member = self.members.get(plan.member_id) if plan.member_id else None
        saved = pledge_create(
            branch=draft.owner.branch,
            member=member,
            actor=self.secretary(draft),
            needs=draft.needs,
            time_nodes=[
                {"due_on": node.due_on, "description": node.description}
                for node in draft.demo_nodes
            ],
            title=plan.title,
            content=plan.content,
            beneficiaries=plan.beneficiaries,
            category=plan.category,
            year=plan.year,
            due_date=plan.due_date,
            is_recurring=plan.is_recurring,
            rhythm=plan.rhythm,
        )
        draft.saved = saved

    def _move(self, draft: PledgeDraft, move: PledgeMove) -> None:
        if MOVES[move].role == ActorRole.BRANCH_SECRETARY:
            actor = self.secretary(draft)
        else:
            actor = self.staff(draft.owner)
        reason = ""
        if move == M.RETURN_FOR_REVISION:
            reason = self.rng.choice(words.RETURN_NOTES)
        elif move == M.WITHDRAW:
            reason = self.rng.choice(words.WITHDRAW_REASONS)
        pledge_transition(pledge=draft.saved, actor=actor, move=move, reason=reason)

    def _record(self, draft, happened: datetime.datetime, note: str, with_photo: bool) -> None:
        photos = [_photo(self.rng, f"{draft.saved.pk}-{happened:%m%d}")] if with_photo else []
        progress_record_create(
            pledge=draft.saved,
            actor=self.secretary(draft),
            happened_on=happened.date(),
            description=note,
            photos=photos,
        )

    def _close_halfway(self, draft: PledgeDraft, day: datetime.date) -> None:
        node = TimeNode.objects.filter(pledge=draft.saved).order_by("due_on", "pk").first()
        time_node_close(
            node=node, actor=self.secretary(draft), outcome=TimeNodeOutcome.DONE, on=day
        )

    def _complete(self, draft: PledgeDraft, day: datetime.date) -> None:
        """Complete the pledge, closing each node still open as the plan has it."""
        still_open = list(
            TimeNode.objects.filter(pledge=draft.saved).open().order_by("due_on", "pk")
        )
        # The halfway node may have been closed on its day: the plan's last nodes remain.
        planned = draft.demo_nodes[len(draft.demo_nodes) - len(still_open) :]
        closings = []
        for node, plan in zip(still_open, planned, strict=True):
            if plan.closed_as == TimeNodeOutcome.NOT_NEEDED:
                closings.append(
                    NodeClosing(node.pk, TimeNodeOutcome.NOT_NEEDED, reason=plan.close_reason)
                )
            else:
                closings.append(NodeClosing(node.pk, TimeNodeOutcome.DONE, on=plan.done_on))
        pledge_complete(pledge=draft.saved, actor=self.secretary(draft), closings=closings)

    def _resolve_needs(self, draft: PledgeDraft) -> None:
        """The secretary marks a need solved once the last pledge answering it is done."""
        completed = draft.moment_of(M.COMPLETE)
        if not completed:
            return
        for need in draft.needs:
            if need.status != NeedStatus.RESOLVED or getattr(need, "resolved_by_plan", False):
                continue
            done = [d for d in need.demo_drafts if d.moment_of(M.COMPLETE)]
            live = [d for d in need.demo_drafts if d.pledge.status != S.WITHDRAWN]
            if len(done) != len(live):
                continue
            need.resolved_by_plan = True
            last = max(d.moment_of(M.COMPLETE) for d in done)
            moment = last + datetime.timedelta(days=self.rng.randint(1, 6))
            self._at(moment, lambda n=need: self._resolve(n))

    def _resolve(self, need: Need) -> None:
        saved = Need.objects.select_related("branch").get(pk=need.pk)
        need_resolve(need=saved, actor=self.secretary(need.demo_context))

    # ------------------------------------------------------------------ 督诺
    def _crossing_off(self) -> None:
        """At each crossing-off session the committee's staff cross off, in one go, the
        pledges completed since the last one."""
        sessions = defaultdict(list)  # (moment, staff user id) -> pledge drafts
        for draft in self.drafts:
            moment = draft.moment_of(M.VERIFY)
            if moment:
                sessions[(moment.replace(minute=0), draft.owner.staff_user_id)].append(draft)
        for (moment, staff_id), drafts in sorted(sessions.items()):
            self._at(
                moment + datetime.timedelta(minutes=55),
                lambda ds=drafts, s=staff_id: _all_moved(
                    pledges_verify(pledge_ids=[d.saved.pk for d in ds], actor=self.users[s]),
                    refused="refusals",
                ),
            )

    def _monthly_reports(self) -> None:
        for context in self.contexts:
            for month in self.clock.report_months:
                party_day = month.replace(day=self.rng.randint(10, 25))
                moment = self.clock.at(party_day, 16, self.rng.randint(0, 59))
                members = reporting_members(self.rng, context)
                self._at(moment, lambda c=context, m=month, ms=members: self._report(c, m, ms))

    def _report(self, context: BranchContext, month: datetime.date, active: list) -> None:
        if month not in self.titles_by_month:
            self.titles_by_month[month] = started_titles(self.drafts, month)
        started = self.titles_by_month[month]
        entries = []
        for member in active:
            service, problems, next_steps = report_texts(self.rng, member, started.get(member.pk))
            entries.append(
                {
                    "member_id": member.pk,
                    "service_done": service,
                    "problems": problems,
                    "next_steps": next_steps,
                }
            )
        monthly_reports_save(
            branch=context.branch, month=month, actor=self.secretary(context), entries=entries
        )

    def _quarters(self) -> None:
        for quarter in (1, 2, 3, 4):
            for context in self.contexts:
                if self.rng.random() < MISSED_BRIEFING_SHARE and not self.clock.is_over:
                    continue
                day = self.clock.briefing_day(quarter) + datetime.timedelta(
                    days=self.rng.randint(0, 6)
                )
                self._at(
                    self.clock.at(day, 15), lambda c=context, q=quarter, d=day: self._brief(c, q, d)
                )
            for committee in self.committees:
                if committee.pk not in self.staff_by_committee:
                    continue
                review = self.clock.at(self.clock.review_day(quarter), 10)
                self._at(review, lambda c=committee, q=quarter: self._review(c, q))
                sign = self.clock.at(self.clock.sign_off_day(quarter), 11)
                self._at(sign, lambda c=committee, q=quarter: self._sign(c, q))

    def _brief(self, context: BranchContext, quarter: int, day: datetime.date) -> None:
        quarterly_briefing_save(
            branch=context.branch,
            year=self.clock.year,
            quarter=quarter,
            actor=self.secretary(context),
            summary=briefing_summary(self.drafts_by_branch[context.key], timezone.now()),
            member_comments=self.rng.choice(words.BRIEFING_COMMENTS),
            held_on=day,
        )

    def _review(self, committee: Committee, quarter: int) -> None:
        staff = self.staff_by_committee[committee.pk]
        pledges = Pledge.objects.filter(
            owner_branch__committee=committee,
            branch__isnull=False,
            year=self.clock.year,
            status__in=REVIEWABLE_STATUSES,
        ).order_by("pk")
        review_day = self.clock.review_day(quarter)
        entries = []
        for pledge in pledges:
            rating, on_schedule, comment = review_entry(
                self.rng, status=pledge.status, due_date=pledge.due_date, review_day=review_day
            )
            entries.append(ReviewEntry(pledge, rating, on_schedule, comment))
        if entries:
            quarterly_reviews_save_many(
                entries=entries, year=self.clock.year, quarter=quarter, actor=staff
            )

    def _sign(self, committee: Committee, quarter: int) -> None:
        if not signs_off(self.clock, committee, self.committees, quarter):
            return
        quarter_sign_off(
            committee=committee,
            year=self.clock.year,
            quarter=quarter,
            actor=self.staff_by_committee[committee.pk],
        )

    def _notices(self) -> None:
        for committee in self.committees:
            if committee.pk not in self.staff_by_committee:
                continue
            moment = self.clock.at(self.clock.notice_day, 9)
            self._at(moment, lambda c=committee: self._notice(c))

    def _notice(self, committee: Committee) -> None:
        staff = self.staff_by_committee[committee.pk]
        notice = notice_generate(committee=committee, year=self.clock.year, actor=staff)
        notice_publish(notice=notice, actor=staff)

    # ------------------------------------------------------------------ 用诺
    def _year_end(self) -> None:
        clock = self.clock
        for draft in self.drafts:
            for moment, rating, online in feedback_plan(self.rng, draft, clock):
                self._at(moment, lambda d=draft, r=rating, o=online: self._feedback(d, r, o))
        evaluation = clock.at(clock.evaluation_day, 9)
        for context in self.contexts:
            # Member pledges by their branch's secretary.
            self._at(
                evaluation,
                lambda c=context: self._evaluate(
                    self.secretary(c), owner_branch=c.branch, member__isnull=False
                ),
            )
        for committee in self.committees:
            if committee.pk in self.staff_by_committee:
                # Branch pledges by the upper organisation.
                self._at(
                    evaluation,
                    lambda c=committee: self._evaluate(
                        self.staff_by_committee[c.pk],
                        owner_branch__committee=c,
                        branch__isnull=False,
                    ),
                )
                confirm = clock.at(clock.confirmation_day, 9)
                self._at(
                    confirm,
                    lambda c=committee: _all_moved(
                        evaluations_confirm(actor=self.staff_by_committee[c.pk], year=clock.year),
                        refused="refused",
                    ),
                )
        self._at(
            clock.at(clock.publication_day, 16),
            lambda: yearend_publish(actor=self.district_staff, year=clock.year),
        )

    def _feedback(self, draft: PledgeDraft, rating: str, online: bool) -> None:
        if online:
            today = timezone.localdate()  # the day of the travelled clock
            address = f"villager-{self.rng.random()}"
            feedback_submit(
                pledge=draft.saved,
                rating=rating,
                comment="",
                address_hash=address_hash_of(address, day=today),
                day=today,
            )
            return
        feedback_record(
            pledge=draft.saved,
            actor=self.secretary(draft),
            rating=rating,
            comment="",
            gathered_at=self.rng.choice(FEEDBACK_PLACES),
        )

    def _evaluate(self, actor, **scope) -> None:
        """Rate the crossed-off pledges of `scope` in one save of the year-end table."""
        pledges = Pledge.objects.filter(year=self.clock.year, status=S.VERIFIED, **scope).order_by(
            "pk"
        )
        entries = [
            EvaluationEntry(pledge, self.rng.choices(*YEAR_END_RATINGS)[0]) for pledge in pledges
        ]
        if entries:
            evaluations_record_many(entries=entries, actor=actor)


def _all_moved(result, *, refused: str) -> None:
    """The bulk services report a refused pledge and go on with the others; in the demo
    year nothing may be refused, or the data would not be the plan's."""
    refusals = getattr(result, refused)
    if refusals:
        raise RuntimeError(f"the demo year was refused a move: {refusals[:3]}")


def _photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small picture of a worksite: sky, field and a few figures, in the demo's colours."""
    image = Image.new("RGB", (640, 480), (150 + rng.randint(0, 60), 190, 230))
    draw = ImageDraw.Draw(image)
    ground = rng.randint(220, 300)
    draw.rectangle((0, ground, 640, 480), fill=(90 + rng.randint(0, 60), 140, 70))
    for _figure in range(rng.randint(2, 5)):
        x = rng.randint(40, 600)
        draw.ellipse((x - 12, ground - 60, x + 12, ground - 36), fill=(230, 190, 150))
        draw.rectangle((x - 14, ground - 36, x + 14, ground + 10), fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"{name}.jpg", buffer.getvalue(), content_type="image/jpeg")

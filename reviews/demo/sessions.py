"""The review calendar of a year written in bulk, for the districts not played through
the services (the replicas of --scale N): the same rows a played year leaves, from the
same plan and the same rules.

Rows per pledge (briefings, quarterly reviews, villagers' feedback, year-end ratings) are
built in memory; the sessions that concern a whole committee (sign-offs, the half-year
notice, the publication that writes points and grades) are held through their services,
on their day, once the rows are in.
"""

import datetime
import hashlib
import random

import time_machine
from django.contrib.auth import get_user_model

from branches.models import Committee
from pledges.enums import (
    CommentStatus,
    FeedbackChannel,
    FeedbackRating,
    PledgeMove,
    PledgeStatus,
)
from pledges.models import Feedback
from pledges.workflow import DONE_STATUSES, MOVES
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft
from reviews.enums import ReviewRating
from reviews.models import QuarterlyBriefing, QuarterlyReview, YearEndEvaluation
from reviews.rules import combine_result
from reviews.selectors.calendar import REVIEWABLE_STATUSES
from reviews.services.halfyear import notice_generate, notice_publish
from reviews.services.quarterly import quarter_sign_off
from reviews.services.yearend import yearend_publish

S = PledgeStatus
M = PledgeMove
QUARTERS = (1, 2, 3, 4)
MISSED_BRIEFING_SHARE = 0.05
# Shares of the ratings people give, in ReviewRating order 好, 较好, 一般.
QUARTERLY_RATINGS = ([ReviewRating.GOOD, ReviewRating.FAIRLY_GOOD, ReviewRating.FAIR], [5, 4, 1])
YEAR_END_RATINGS = ([ReviewRating.GOOD, ReviewRating.FAIRLY_GOOD, ReviewRating.FAIR], [6, 3, 1])
FEEDBACK_RATINGS = (
    [FeedbackRating.SATISFIED, FeedbackRating.FAIRLY_SATISFIED, FeedbackRating.DISSATISFIED],
    [85, 12, 3],
)
FEEDBACK_PLACES = ("入户走访", "群众评议会", "村民代表会", "电话回访")
ONLINE_FEEDBACK_SHARE = 0.3


def status_at(draft: PledgeDraft, moment: datetime.datetime) -> PledgeStatus:
    """The pledge's status at `moment`, from its planned path."""
    status = S.DRAFT
    for move, when in zip(draft.path, draft.times[1:], strict=True):
        if when > moment:
            break
        status = MOVES[move].target
    return status


def signs_off(
    clock: Clock, committee: Committee, committees: list[Committee], quarter: int
) -> bool:
    """Every committee signs its quarters off on time, but for one that runs late with
    the third quarter of the year under way: the calendar shows it red."""
    return not (quarter == 3 and not clock.is_over and committee == committees[-1])


def review_entry(rng: random.Random, *, status: PledgeStatus, due_date, review_day):
    """(rating, on schedule, comment) of the upper organisation's quarterly review."""
    on_schedule = status != S.IN_PROGRESS or due_date >= review_day
    rating = rng.choices(*QUARTERLY_RATINGS)[0] if on_schedule else ReviewRating.FAIR
    comment = "" if rating == ReviewRating.GOOD else rng.choice(words.REVIEW_COMMENTS)
    return rating, on_schedule, comment


def briefing_summary(drafts: list[PledgeDraft], moment: datetime.datetime) -> str:
    statuses = [status_at(draft, moment) for draft in drafts]
    live = sum(status not in (S.DRAFT, S.WITHDRAWN) for status in statuses)
    done = sum(status in DONE_STATUSES for status in statuses)
    return f"本季度向全体党员通报承诺{live}项，已完成{done}项，其余按时间节点推进。"


def feedback_plan(rng: random.Random, draft: PledgeDraft, clock: Clock):
    """(moment, rating, online?) of the villagers' word at the year-end 逐村评议, for a
    pledge whose work was done."""
    if not clock.evaluates or not draft.moment_of(M.COMPLETE) or draft.pledge.status == S.WITHDRAWN:
        return []
    first, last = clock.feedback_days
    plan = []
    for _number in range(rng.choice((1, 1, 2, 2, 3))):
        day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
        moment = clock.at(day, rng.randint(9, 17), rng.randint(0, 59))
        plan.append(
            (moment, rng.choices(*FEEDBACK_RATINGS)[0], rng.random() < ONLINE_FEEDBACK_SHARE)
        )
    return plan


class BulkSessions:
    """The calendar rows of one district's year, then its committee sessions."""

    def __init__(
        self,
        *,
        rng: random.Random,
        clock: Clock,
        contexts: list[BranchContext],
        drafts: list[PledgeDraft],
        committees: list[Committee],
        staff_user_ids: dict[int, int],
        district_staff_id: int,
    ):
        self.rng = rng
        self.clock = clock
        self.contexts = contexts
        self.drafts = drafts
        self.committees = committees
        self.staff_user_ids = staff_user_ids
        self.district_staff_id = district_staff_id

    def briefings(self) -> list[QuarterlyBriefing]:
        by_branch = {}
        for draft in self.drafts:
            by_branch.setdefault(draft.owner.branch.pk, []).append(draft)
        rows = []
        for quarter in QUARTERS:
            for context in self.contexts:
                if self.rng.random() < MISSED_BRIEFING_SHARE and not self.clock.is_over:
                    continue
                day = self.clock.briefing_day(quarter) + datetime.timedelta(
                    days=self.rng.randint(0, 6)
                )
                moment = self.clock.at(day, 15)
                if not self.clock.happened(moment):
                    continue
                rows.append(
                    QuarterlyBriefing(
                        branch_id=context.branch.pk,
                        year=self.clock.year,
                        quarter=quarter,
                        summary=briefing_summary(by_branch.get(context.branch.pk, []), moment),
                        member_comments=self.rng.choice(words.BRIEFING_COMMENTS),
                        held_on=day,
                        recorded_by_id=context.secretary_user_id,
                        created_at=moment,
                    )
                )
        return rows

    def quarterly_reviews(self) -> list[QuarterlyReview]:
        rows = []
        for quarter in QUARTERS:
            review_day = self.clock.review_day(quarter)
            moment = self.clock.at(review_day, 10)
            if not self.clock.happened(moment):
                continue
            for draft in self.drafts:
                if draft.pledge.branch_id is None:
                    continue
                status = status_at(draft, moment)
                if status not in REVIEWABLE_STATUSES:
                    continue
                rating, on_schedule, comment = review_entry(
                    self.rng, status=status, due_date=draft.pledge.due_date, review_day=review_day
                )
                rows.append(
                    QuarterlyReview(
                        pledge_id=draft.pledge.pk,
                        year=self.clock.year,
                        quarter=quarter,
                        rating=rating,
                        on_schedule=on_schedule,
                        comment=comment,
                        reviewer_id=draft.owner.staff_user_id,
                        created_at=moment,
                    )
                )
        return rows

    def feedback(self) -> list[Feedback]:
        rows = []
        for draft in self.drafts:
            for moment, rating, online in feedback_plan(self.rng, draft, self.clock):
                row = Feedback(
                    pledge_id=draft.pledge.pk,
                    rating=rating,
                    comment_status=CommentStatus.NONE,
                    day=moment.date(),
                    created_at=moment,
                )
                if online:
                    row.channel = FeedbackChannel.ONLINE
                    seed = f"{draft.pledge.pk}:{moment.isoformat()}:{self.rng.random()}"
                    row.address_hash = hashlib.sha256(seed.encode()).hexdigest()
                else:
                    row.channel = FeedbackChannel.RECORDED
                    row.recorded_by_id = draft.owner.secretary_user_id
                    row.gathered_at = self.rng.choice(FEEDBACK_PLACES)
                rows.append(row)
        return rows

    def evaluations(self, feedback: list[Feedback]) -> list[YearEndEvaluation]:
        """The year-end rating of each evaluated pledge, combined with its villagers'
        feedback by the rule the service uses; published by the publication session."""
        counts = {}
        for row in feedback:
            tally = counts.setdefault(row.pledge_id, {})
            tally[FeedbackRating(row.rating)] = tally.get(FeedbackRating(row.rating), 0) + 1
        rows = []
        for draft in self.drafts:
            if M.EVALUATE not in draft.path:
                continue
            rating = self.rng.choices(*YEAR_END_RATINGS)[0]
            combined = combine_result(
                organisation_rating=rating, feedback=counts.get(draft.pledge.pk, {})
            )
            member_pledge = draft.pledge.member_id is not None
            rows.append(
                YearEndEvaluation(
                    pledge_id=draft.pledge.pk,
                    year=self.clock.year,
                    organisation_rating=rating,
                    feedback_score=combined.feedback_score,
                    result_score=combined.score,
                    result=combined.result,
                    evaluated_by_id=(
                        draft.owner.secretary_user_id
                        if member_pledge
                        else draft.owner.staff_user_id
                    ),
                    created_at=self.clock.at(self.clock.evaluation_day, 9, self.rng.randint(0, 59)),
                )
            )
        return rows

    def hold_sessions(self) -> None:
        """Sign-offs, the half-year notices and the year-end publication, each through its
        service on its day (they read the rows already written)."""
        clock = self.clock
        users = get_user_model().objects.in_bulk(
            [*self.staff_user_ids.values(), self.district_staff_id]
        )
        sessions = []
        for committee in self.committees:
            staff = users[self.staff_user_ids[committee.pk]]
            for quarter in QUARTERS:
                if signs_off(clock, committee, self.committees, quarter):
                    moment = clock.at(clock.sign_off_day(quarter), 11)
                    sessions.append(
                        (
                            moment,
                            lambda c=committee, q=quarter, s=staff: quarter_sign_off(
                                committee=c, year=clock.year, quarter=q, actor=s
                            ),
                        )
                    )
            sessions.append(
                (
                    clock.at(clock.notice_day, 9),
                    lambda c=committee, s=staff: notice_publish(
                        notice=notice_generate(committee=c, year=clock.year, actor=s), actor=s
                    ),
                )
            )
        if clock.evaluates:
            district_staff = users[self.district_staff_id]
            sessions.append(
                (
                    clock.at(clock.publication_day, 16),
                    lambda: yearend_publish(actor=district_staff, year=clock.year),
                )
            )
        sessions = [(moment, action) for moment, action in sessions if clock.happened(moment)]
        sessions.sort(key=lambda session: session[0])
        if not sessions:
            return
        with time_machine.travel(sessions[0][0], tick=False) as traveller:
            for moment, action in sessions:
                traveller.move_to(moment)
                action()

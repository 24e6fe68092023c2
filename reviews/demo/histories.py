"""What a pledge's walk through the workflow leaves behind: audit rows (one per move,
each checked against the table), time nodes, progress records, and the members'
monthly reports.
"""

import datetime
import random

from pledges.enums import ActorRole, PledgeMove, PledgeStatus, TimeNodeOutcome
from pledges.models import PledgeTransition, ProgressRecord, TimeNode, TimeNodeClosing
from pledges.workflow import MOVES
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft
from reviews.models import MonthlyReport

S = PledgeStatus
M = PledgeMove
# About one progress record in this many carries photos (every record of the article's
# named pledges does): enough to show them without filling the disk.
PHOTO_EVERY = 40
# Some halfway nodes turn out not to need a check of their own.
NOT_NEEDED_SHARE = 0.05
NOT_NEEDED_REASON = "与最终节点一并完成，不再单独验收"
# Share of branch-months where a member missed the theme party day: the calendar's red.
MISSED_REPORT_SHARE = 0.03


def transitions(rng: random.Random, drafts: list[PledgeDraft]) -> list[PledgeTransition]:
    """One audit row per move, each checked against the workflow table."""
    rows = []
    for draft in drafts:
        status = S.DRAFT
        for move, moment in zip(draft.path, draft.times[1:], strict=True):
            spec = MOVES[move]
            if status not in spec.sources:
                raise AssertionError(f"{move} is not allowed from {status}")
            if spec.role == ActorRole.BRANCH_SECRETARY:
                actor_id = draft.owner.secretary_user_id
            else:
                actor_id = draft.owner.staff_user_id
            note = ""
            if move == M.RETURN_FOR_REVISION:
                note = rng.choice(words.RETURN_NOTES)
            elif move == M.WITHDRAW:
                note = rng.choice(words.WITHDRAW_REASONS)
            rows.append(
                PledgeTransition(
                    pledge_id=draft.pledge.pk,
                    move=move,
                    from_status=status,
                    to_status=spec.target,
                    actor_id=actor_id,
                    actor_role=spec.role,
                    note=note,
                    created_at=moment,
                )
            )
            status = spec.target
        if status != draft.pledge.status:
            raise AssertionError(f"path ends at {status}, not {draft.pledge.status}")
    return rows


def node_plan(rng: random.Random, draft: PledgeDraft, clock: Clock) -> list[TimeNode]:
    """The pledge's two time nodes, halfway and the deadline (unsaved), each closed as it
    was, if it was: the halfway node done when the work got there (never before the
    pledge was published), or at completion set aside as no longer needed; the last one
    done on completion."""
    pledge = draft.pledge
    created = pledge.created_at.date()
    halfway = created + (pledge.due_date - created) / 2
    published = draft.moment_of(M.PUBLISH)
    started = draft.moment_of(M.START)
    completed = draft.moment_of(M.COMPLETE)
    stopped = draft.moment_of(M.WITHDRAW)
    first, last = (
        ("按频次落实，完成过半", "全年按频次落实")
        if pledge.is_recurring
        else ("完成前期准备，推进过半", "全部完成并接受群众评议")
    )
    halfway_node = TimeNode(due_on=halfway, description=first)
    if completed and rng.random() < NOT_NEEDED_SHARE:
        halfway_node.closed_as = TimeNodeOutcome.NOT_NEEDED
        halfway_node.close_reason = NOT_NEEDED_REASON
    else:
        done = None
        if completed:
            done = min(halfway, completed.date())
        elif (
            started
            and halfway <= clock.end.date()
            and not (stopped and stopped <= clock.at(halfway, 18))
        ):
            done = halfway
        if done and published:
            done = max(done, published.date())
        if done:
            halfway_node.closed_as, halfway_node.done_on = TimeNodeOutcome.DONE, done
    last_node = TimeNode(due_on=pledge.due_date, description=last)
    if completed:
        last_node.closed_as, last_node.done_on = TimeNodeOutcome.DONE, completed.date()
    return [halfway_node, last_node]


def node_closed_at(draft: PledgeDraft, node: TimeNode, clock: Clock) -> datetime.datetime:
    """When the secretary closed the node: on its day, or with the completion."""
    completed = draft.moment_of(M.COMPLETE)
    if node.closed_as == TimeNodeOutcome.DONE and (
        not completed or node.done_on < completed.date()
    ):
        return max(
            clock.at(node.done_on, 17), draft.moment_of(M.PUBLISH) + datetime.timedelta(hours=1)
        )
    return completed


def time_nodes(rng, drafts: list[PledgeDraft], clock: Clock) -> list[TimeNode]:
    """Two nodes per pledge, `node_plan`'s, closed as the work went."""
    rows = []
    for draft in drafts:
        for node in node_plan(rng, draft, clock):
            node.pledge_id = draft.pledge.pk
            if node.closed_as:
                node.closed_by_id = draft.owner.secretary_user_id
                node.closed_at = node_closed_at(draft, node, clock)
            rows.append(node)
    return rows


def node_closings(nodes: list[TimeNode]) -> list[TimeNodeClosing]:
    """The audit row of each closed node, once the nodes have their ids."""
    return [
        TimeNodeClosing(
            node_id=node.pk,
            outcome=node.closed_as,
            done_on=node.done_on,
            reason=node.close_reason,
            actor_id=node.closed_by_id,
            created_at=node.closed_at,
        )
        for node in nodes
        if node.closed_as
    ]


def progress_plan(
    rng: random.Random, draft: PledgeDraft, clock: Clock
) -> list[tuple[datetime.datetime, str, bool]]:
    """(moment, note, with photos) of the records of a pledge whose work began, spread
    between its start and its completion (or withdrawal, or the year's last evening)."""
    started = draft.moment_of(M.START)
    if not started:
        return []
    completed = draft.moment_of(M.COMPLETE)
    finish = (completed or draft.moment_of(M.WITHDRAW) or clock.end) - datetime.timedelta(hours=2)
    if draft.progress_notes:
        notes = list(draft.progress_notes)
    else:
        count = 2 if completed else rng.randint(1, 2)
        notes = [_progress_note(rng) for _ in range(count)]
        if completed:
            notes[-1] = words.PROGRESS_DONE
    span = max(finish - started, datetime.timedelta(hours=1))
    plan = []
    for index, note in enumerate(notes):
        # Before the year's last evening, and after the start whatever the span.
        happened = min(started + span * (index + 1) / len(notes), clock.end)
        with_photo = bool(draft.progress_notes) or rng.random() < 1 / PHOTO_EVERY
        plan.append((happened, note, with_photo))
    return plan


def progress_records(
    rng: random.Random, drafts: list[PledgeDraft], clock: Clock
) -> list[ProgressRecord]:
    """Records of the work, by the branch secretary, for pledges that were started."""
    return [
        ProgressRecord(
            pledge_id=draft.pledge.pk,
            happened_on=happened.date(),
            description=note,
            recorded_by_id=draft.owner.secretary_user_id,
            created_at=happened,
        )
        for draft in drafts
        for happened, note, _with_photo in progress_plan(rng, draft, clock)
    ]


def _progress_note(rng: random.Random) -> str:
    return rng.choice(words.PROGRESS_NOTES).format(
        n=rng.randint(3, 20), m=rng.randint(1, 6), pct=rng.choice([30, 50, 60, 80])
    )


def started_titles(drafts: list[PledgeDraft], month: datetime.date) -> dict[int, str]:
    """Member id -> the title of a pledge of theirs at work in the month: begun by its end
    and not withdrawn before it began."""
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    titles = {}
    for draft in drafts:
        member_id = draft.pledge.member_id
        started = draft.moment_of(M.START)
        if not member_id or not started or member_id in titles or started.date() >= next_month:
            continue
        withdrawn = draft.moment_of(M.WITHDRAW)
        if not withdrawn or withdrawn.date() >= month:
            titles[member_id] = draft.pledge.title
    return titles


def monthly_reports(
    rng: random.Random, contexts: list[BranchContext], drafts: list[PledgeDraft], clock: Clock
) -> list[MonthlyReport]:
    """Each active member's theme-party-day report (主题党日汇报) for the year's months.

    A member reports on a pledge only from the month its work started.
    """
    rows = []
    for month in clock.report_months:
        titles = started_titles(drafts, month)
        for context in contexts:
            for member in reporting_members(rng, context):
                service, problems, next_steps = report_texts(rng, member, titles.get(member.pk))
                rows.append(
                    MonthlyReport(
                        member_id=member.pk,
                        month=month,
                        service_done=service,
                        problems=problems,
                        next_steps=next_steps,
                        recorded_by_id=context.secretary_user_id,
                    )
                )
    return rows


def reporting_members(rng: random.Random, context: BranchContext) -> list:
    """The active members who reported at a month's theme party day: all of them, but for
    now and then one who was away, which leaves the month open on the calendar."""
    active = [member for member in context.members if member.is_active]
    if len(active) > 1 and rng.random() < MISSED_REPORT_SHARE:
        return active[:-1]
    return active


def report_texts(rng, member, title: str | None) -> tuple[str, str, str]:
    """What a member reports at the theme party day: service done, problems, next steps."""
    if title:
        return (
            f"围绕“{title}”开展服务{rng.randint(1, 6)}次。",
            rng.choice(words.REPORT_PROBLEMS),
            rng.choice(words.REPORT_NEXT_STEPS),
        )
    if member.is_exempt:
        return (
            f"参加主题党日学习。因{member.exemption_note}，本年度未作承诺。",
            "",
            "继续参加组织生活。",
        )
    return "参加主题党日学习，走访群众，了解需求。", "", "尽快确定承诺事项，按时提交审核。"

"""What a pledge's walk through the workflow leaves behind: audit rows (one per move,
each checked against the table), time nodes, progress records, and the members'
monthly reports.
"""

import datetime
import random

from pledges.enums import ActorRole, PledgeMove, PledgeStatus, TimeNodeOutcome
from pledges.models import PledgeTransition, ProgressRecord, TimeNode
from pledges.workflow import MOVES
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft
from reviews.models import MonthlyReport

S = PledgeStatus
M = PledgeMove


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


def time_nodes(drafts: list[PledgeDraft], clock: Clock) -> list[TimeNode]:
    """Two nodes per pledge: halfway and the deadline, ticked off as the work went."""
    rows = []
    for draft in drafts:
        pledge = draft.pledge
        created = pledge.created_at.date()
        halfway = created + (pledge.due_date - created) / 2
        started = draft.moment_of(M.START)
        completed = draft.moment_of(M.COMPLETE)
        first, last = (
            ("按频次落实，完成过半", "全年按频次落实")
            if pledge.is_recurring
            else ("完成前期准备，推进过半", "全部完成并接受群众评议")
        )
        halfway_done = None
        if completed:
            halfway_done = min(halfway, completed.date())
        elif started and halfway <= clock.today:
            halfway_done = halfway
        rows.append(
            TimeNode(pledge_id=pledge.pk, due_on=halfway, description=first, done_on=halfway_done)
        )
        rows.append(
            TimeNode(
                pledge_id=pledge.pk,
                due_on=pledge.due_date,
                description=last,
                done_on=completed.date() if completed else None,
            )
        )
    for row in rows:
        # A node with a done date is closed as done (the check constraint asks for both).
        row.closed_as = TimeNodeOutcome.DONE if row.done_on else ""
    return rows


def progress_records(
    rng: random.Random, drafts: list[PledgeDraft], clock: Clock
) -> list[ProgressRecord]:
    """Records of the work, by the branch secretary, for pledges that were started."""
    rows = []
    for draft in drafts:
        started = draft.moment_of(M.START)
        if not started:
            continue
        completed = draft.moment_of(M.COMPLETE)
        finish = completed or draft.moment_of(M.WITHDRAW) or clock.end
        if draft.progress_notes:
            notes = list(draft.progress_notes)
        else:
            count = 2 if completed else rng.randint(1, 2)
            notes = [_progress_note(rng) for _ in range(count)]
            if completed:
                notes[-1] = words.PROGRESS_DONE
        span = finish - started
        for index, note in enumerate(notes):
            happened = started + span * (index + 1) / len(notes)
            rows.append(
                ProgressRecord(
                    pledge_id=draft.pledge.pk,
                    happened_on=happened.date(),
                    description=note,
                    recorded_by_id=draft.owner.secretary_user_id,
                    created_at=happened,
                )
            )
    return rows


def _progress_note(rng: random.Random) -> str:
    return rng.choice(words.PROGRESS_NOTES).format(
        n=rng.randint(3, 20), m=rng.randint(1, 6), pct=rng.choice([30, 50, 60, 80])
    )


def monthly_reports(
    rng: random.Random, contexts: list[BranchContext], drafts: list[PledgeDraft], clock: Clock
) -> list[MonthlyReport]:
    """Each active member's theme-party-day report (主题党日汇报) for the recent months.

    A member reports on a pledge only from the month its work started.
    """
    started_pledges = {}  # member id -> [(day the work started, title)]
    for draft in drafts:
        started = draft.moment_of(M.START)
        if draft.pledge.member_id and started and draft.pledge.status != S.WITHDRAWN:
            started_pledges.setdefault(draft.pledge.member_id, []).append(
                (started.date(), draft.pledge.title)
            )
    rows = []
    for context in contexts:
        for member in context.members:
            if not member.is_active:
                continue
            pledges = started_pledges.get(member.pk, [])
            for month in clock.report_months:
                next_month = (month + datetime.timedelta(days=32)).replace(day=1)
                title = next((title for day, title in pledges if day < next_month), None)
                rows.append(_report(rng, context, member, title, month))
    return rows


def _report(rng, context, member, title, month) -> MonthlyReport:
    if title:
        service = f"围绕“{title}”开展服务{rng.randint(1, 6)}次。"
        problems = rng.choice(words.REPORT_PROBLEMS)
        next_steps = rng.choice(words.REPORT_NEXT_STEPS)
    elif member.is_exempt:
        service = f"参加主题党日学习。因{member.exemption_note}，本年度未作承诺。"
        problems, next_steps = "", "继续参加组织生活。"
    else:
        service = "参加主题党日学习，走访群众，了解需求。"
        problems, next_steps = "", "尽快确定承诺事项，按时提交审核。"
    return MonthlyReport(
        member_id=member.pk,
        month=month,
        service_done=service,
        problems=problems,
        next_steps=next_steps,
        recorded_by_id=context.secretary_user_id,
    )

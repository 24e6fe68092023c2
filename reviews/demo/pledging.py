"""Pledges of a district: what, by whom, in which status, along which path, by when.

Every pledge walks the workflow table (`pledges.workflow.MOVES`) from draft to its
status; the histories module turns that walk into audit rows and records.
"""

import datetime
import random

from branches.enums import BranchKind
from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import Pledge
from pledges.workflow import MOVES
from reviews.demo import article
from reviews.demo import plan as shape
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft, moment_between

S = PledgeStatus
M = PledgeMove

# Share of each status among generated pledges, by where the year stands: 83% completed
# or beyond, as reported, once the year's sessions are behind it.
UNDER_WAY_WEIGHTS = {S.IN_PROGRESS: 22, S.COMPLETED: 18, S.WITHDRAWN: 1}
WAITING_WEIGHTS = {S.DRAFT: 2, S.SUBMITTED: 2.5, S.RETURNED: 1, S.APPROVED: 1.5, S.PUBLISHED: 2}
CROSSED_OFF_WEIGHT = 50
# A year gone by: the few pledges not done by the year end are overdue (问责).
YEAR_OVER_WEIGHTS = {S.IN_PROGRESS: 5, S.COMPLETED: 3, S.WITHDRAWN: 2}
FORWARD = [M.SUBMIT, M.APPROVE, M.PUBLISH, M.START, M.COMPLETE, M.VERIFY, M.EVALUATE]
SHORTEST_PATH = {
    S.DRAFT: [],
    S.SUBMITTED: FORWARD[:1],
    S.RETURNED: [M.SUBMIT, M.RETURN_FOR_REVISION],
    S.APPROVED: FORWARD[:2],
    S.PUBLISHED: FORWARD[:3],
    S.IN_PROGRESS: FORWARD[:4],
    S.COMPLETED: FORWARD[:5],
    S.VERIFIED: FORWARD[:6],
    S.EVALUATED: FORWARD[:7],
}
# Statuses still waiting on someone: their history is recent, so the demo shows work.
WAITING = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.PUBLISHED})
# A pledge approved or beyond was sent back once before approval this often.
RETURNED_ONCE_SHARE = 0.06
# Enough members pledge twice that the district publishes 2,000+ pledges, as reported.
SECOND_PLEDGE_SHARE = 0.45
MINIMUM_GAP = datetime.timedelta(minutes=10)


def district_pledges(
    rng: random.Random, contexts: list[BranchContext], clock: Clock, *, named: bool = True
) -> list[PledgeDraft]:
    """Branch and member pledges of a district with status, path, timeline and due date.

    `named` gives the article's branches and members their article pledges (the year
    under way); a year gone by holds generated ones only.
    """
    drafts = []
    for context in contexts:
        owned = _branch_pledges(rng, context, clock, named) + _member_pledges(
            rng, context, clock, named
        )
        every_status = named and context.key in (shape.FANZHAI, shape.JISHI_VILLAGE)
        _assign_statuses(rng, owned, clock, every_status=every_status)
        drafts += owned
    for draft in drafts:
        _walk(rng, draft, clock)
    return drafts


def _branch_pledges(rng, context: BranchContext, clock: Clock, named_too) -> list[PledgeDraft]:
    kind = context.plan.kind
    served = context.paired_village or context
    named = article.BRANCH_PLEDGES.get(context.key) if named_too else None
    if named:
        return [
            _draft_from_named(context, item, clock, branch_id=context.branch.pk, pool=served.key)
            for item in named
        ]
    count = rng.randint(4, 5) if kind == BranchKind.VILLAGE else rng.randint(3, 4)
    return [
        _generic_draft(rng, context, template, clock, branch_id=context.branch.pk, pool=served.key)
        for template in rng.sample(words.BRANCH_PLEDGES[kind], count)
    ]


def _member_pledges(rng, context: BranchContext, clock: Clock, named_too) -> list[PledgeDraft]:
    templates = words.MEMBER_PLEDGES[context.plan.kind]
    drafts = []
    for member in context.members:
        if member.is_exempt or not member.is_active:
            continue
        named = article.MEMBER_PLEDGES.get((context.key, member.name)) if named_too else None
        if named:
            drafts.append(
                _draft_from_named(context, named, clock, member_id=member.pk, pool=context.key)
            )
            continue
        count = 2 if rng.random() < SECOND_PLEDGE_SHARE else 1
        for template in rng.sample(templates, count):
            drafts.append(
                _generic_draft(rng, context, template, clock, member_id=member.pk, pool=context.key)
            )
    return drafts


def _draft_from_named(context, named, clock, *, pool, branch_id=None, member_id=None):
    pledge = Pledge(
        branch_id=branch_id,
        member_id=member_id,
        owner_branch_id=context.branch.pk,
        title=named.title,
        content=named.content,
        beneficiaries=named.beneficiaries,
        category=named.category,
        year=clock.year,
        is_recurring=bool(named.rhythm),
        rhythm=named.rhythm,
        status=named.status,
    )
    return PledgeDraft(pledge, context, pool, named.need_key, named.progress_notes, True)


def _generic_draft(rng, context, template, clock, *, pool, branch_id=None, member_id=None):
    title_template, category, rhythm = template
    served = context.paired_village or context
    village = served.branch.village or served.branch.name
    n = rng.randint(2, 9)
    pledge = Pledge(
        branch_id=branch_id,
        member_id=member_id,
        # bulk_create skips Pledge.save(), which would set this.
        owner_branch_id=context.branch.pk,
        title=title_template.format(n=n, tens=n * 10, hundreds=n * 100, village=village),
        content=rng.choice(words.PLEDGE_CONTENT),
        beneficiaries=words.BENEFICIARIES[context.plan.kind].format(village=village),
        category=category,
        year=clock.year,
        is_recurring=bool(rhythm),
        rhythm=rhythm,
    )
    return PledgeDraft(pledge, context, pool)


def status_weights(clock: Clock, *, branch_pledge: bool) -> dict[PledgeStatus, float]:
    """The statuses a pledge may have where the year stands, with their shares.

    Crossed off only once a crossing-off session has been held, evaluated only once
    the year-end evaluation has; a branch's own pledges are settled early in the year,
    so none of them still waits on anyone.
    """
    # Once the year's results are published its work is over, whatever the calendar says.
    over = clock.evaluates
    weights = dict(YEAR_OVER_WEIGHTS if over else UNDER_WAY_WEIGHTS)
    if not over and not branch_pledge:
        weights.update(WAITING_WEIGHTS)
    if clock.crossing_off_days:
        weights[S.EVALUATED if clock.evaluates else S.VERIFIED] = CROSSED_OFF_WEIGHT
    return weights


def reachable_status(status: PledgeStatus, clock: Clock) -> PledgeStatus:
    """The article's status of a named pledge, or the furthest the year has reached."""
    if status == S.EVALUATED and not clock.evaluates:
        status = S.VERIFIED
    if status == S.VERIFIED and not clock.crossing_off_days:
        status = S.COMPLETED
    return status


def _assign_statuses(rng, drafts: list[PledgeDraft], clock: Clock, *, every_status: bool) -> None:
    """Statuses by weight; named pledges keep theirs. A demo branch gets every status."""
    for draft in drafts:
        if draft.fixed_status:
            draft.pledge.status = reachable_status(draft.pledge.status, clock)
    open_drafts = [d for d in drafts if not d.fixed_status]
    by_kind = {
        is_branch: status_weights(clock, branch_pledge=is_branch) for is_branch in (True, False)
    }
    statuses = [
        rng.choices(list(weights), list(weights.values()))[0]
        for weights in (by_kind[draft.pledge.branch_id is not None] for draft in open_drafts)
    ]
    if every_status:
        possible = set(by_kind[False])
        present = {d.pledge.status for d in drafts if d.fixed_status}
        missing = [status for status in S if status in possible and status not in present]
        member_slots = [i for i, d in enumerate(open_drafts) if d.pledge.member_id]
        for slot, status in zip(rng.sample(member_slots, len(missing)), missing, strict=True):
            statuses[slot] = status
    for draft, status in zip(open_drafts, statuses, strict=True):
        draft.pledge.status = status


def _walk(rng: random.Random, draft: PledgeDraft, clock: Clock) -> None:
    """Choose the path of moves to the pledge's status, its moments and its due date.

    The moves fall where people make them: written and settled early in the year,
    crossed off at a crossing-off session, evaluated at the year end. Should the year be
    too young for a move, the path stops before it and the status with it.
    """
    status = draft.pledge.status
    if status == S.WITHDRAWN:
        # Withdrawn at any point before completion: from draft up to in progress.
        path = FORWARD[: rng.choice([0, 1, 1, 2, 3, 4])] + [M.WITHDRAW]
    else:
        path = list(SHORTEST_PATH[status])
        if status not in WAITING | {S.RETURNED} and rng.random() < RETURNED_ONCE_SHARE:
            path = [M.SUBMIT, M.RETURN_FOR_REVISION] + path
    if status in WAITING or status == S.RETURNED:
        times = _recent_moments(rng, clock, len(path) + 1)
    else:
        times = _moments_of_a_settled_pledge(rng, draft, clock, path)
    while times[-1] > clock.end:
        path, times = path[:-1], times[:-1]
    draft.path = path
    draft.times = times
    draft.pledge.status = MOVES[path[-1]].target if path else S.DRAFT
    draft.pledge.created_at = times[0]
    draft.pledge.due_date = _due_date(rng, draft, clock)


def _recent_moments(rng, clock: Clock, count: int) -> list[datetime.datetime]:
    """`count` increasing moments of a pledge written lately: its creation, then a move each."""
    first = moment_between(rng, clock.recent_start, clock.end, share=0.6)
    moments = [first] + sorted(moment_between(rng, first, clock.end) for _ in range(count - 1))
    for index in range(1, count):
        moments[index] = max(moments[index], moments[index - 1] + MINIMUM_GAP)
    return moments


def _days(rng, low: int, high: int) -> datetime.timedelta:
    """Between `low` and `high` days, at a working hour's granularity."""
    return datetime.timedelta(days=rng.randint(low, high), minutes=rng.randint(0, 300))


def _moments_of_a_settled_pledge(rng, draft: PledgeDraft, clock: Clock, path) -> list:
    branch_pledge = draft.pledge.branch_id is not None
    first = moment_between(
        rng, clock.start, clock.start + datetime.timedelta(days=25 if branch_pledge else 50)
    )
    moments, moment = [first], first
    sessions = [clock.at(day, 15, rng.randint(0, 50)) for day in clock.crossing_off_days]
    for move in path:
        if move == M.COMPLETE:
            moment = _completion(rng, moment, sessions, clock, crossed_off=M.VERIFY in path)
        elif move == M.VERIFY:
            moment = next(session for session in sessions if session > moment)
        elif move == M.EVALUATE:
            day = clock.evaluation_day if branch_pledge else clock.confirmation_day
            moment = clock.at(day, 10, rng.randint(0, 50))
        elif move == M.WITHDRAW:
            moment = moment_between(
                rng, moment + MINIMUM_GAP, min(clock.end, moment + _days(rng, 20, 120))
            )
        else:
            moment = moment + max(_days(rng, *MOVE_DELAYS[move]), MINIMUM_GAP)
        moments.append(moment)
    return moments


# Days between one move and the next, for the moves of the settling weeks.
MOVE_DELAYS = {
    M.SUBMIT: (0, 3),
    M.RETURN_FOR_REVISION: (2, 6),
    M.APPROVE: (2, 8),
    M.PUBLISH: (1, 4),
    M.START: (1, 7),
}


def _completion(rng, started, sessions, clock: Clock, *, crossed_off: bool) -> datetime.datetime:
    """When the work is done: before the crossing-off session that crosses it off, or,
    for a pledge still waiting to be crossed off, after the last session held."""
    earliest = started + datetime.timedelta(days=15)
    if crossed_off:
        open_sessions = [
            session for session in sessions if session - datetime.timedelta(days=2) > earliest
        ]
        if not open_sessions:
            return clock.end + datetime.timedelta(days=1)  # the year is too young for it
        session = open_sessions[0] if rng.random() < 0.5 else rng.choice(open_sessions)
        before = [s for s in sessions if s < session]
        window_start = max(earliest, before[-1] if before else earliest)
        return moment_between(rng, window_start, session - datetime.timedelta(days=1))
    window_start = max([earliest, *sessions])
    return moment_between(rng, window_start, clock.end - datetime.timedelta(hours=2))


def _due_date(rng, draft: PledgeDraft, clock: Clock) -> datetime.date:
    pledge = draft.pledge
    created = pledge.created_at.date()
    latest = clock.year_end
    if pledge.is_recurring:
        return latest
    completed = draft.moment_of(M.COMPLETE)
    if completed:
        if rng.random() < 0.07:  # finished a little late
            return max(created, completed.date() - datetime.timedelta(days=rng.randint(3, 20)))
        return min(latest, completed.date() + datetime.timedelta(days=rng.randint(5, 70)))
    last_day = clock.end.date()
    overdue_share = 1.0 if clock.is_over else 0.12
    if draft.moment_of(M.START) and rng.random() < overdue_share:  # overdue: the dashboard warns
        return max(created, last_day - datetime.timedelta(days=rng.randint(3, 60)))
    soonest = min(latest, clock.today + datetime.timedelta(days=7))
    # One draw whatever the span (randint's draws vary with it).
    return soonest + datetime.timedelta(days=int(rng.random() * ((latest - soonest).days + 1)))

"""Pledges of a district: what, by whom, in which status, along which path, by when.

Every pledge walks the workflow table (`pledges.workflow.MOVES`) from draft to its
status; the histories module turns that walk into audit rows and records.
"""

import datetime
import random

from branches.enums import BranchKind
from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import Pledge
from reviews.demo import article
from reviews.demo import plan as shape
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft, moment_between

S = PledgeStatus
M = PledgeMove

# Share of each status among generated pledges: 83% completed or beyond, as reported.
STATUS_WEIGHTS = {
    S.DRAFT: 2,
    S.SUBMITTED: 2.5,
    S.RETURNED: 1,
    S.APPROVED: 1.5,
    S.PUBLISHED: 2,
    S.IN_PROGRESS: 7,
    S.COMPLETED: 20,
    S.VERIFIED: 30,
    S.EVALUATED: 33,
    S.WITHDRAWN: 1,
}
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
    rng: random.Random, contexts: list[BranchContext], clock: Clock
) -> list[PledgeDraft]:
    """Branch and member pledges of a district with status, path, timeline and due date."""
    drafts = []
    for context in contexts:
        owned = _branch_pledges(rng, context, clock) + _member_pledges(rng, context, clock)
        every_status = context.key in (shape.FANZHAI, shape.JISHI_VILLAGE)
        _assign_statuses(rng, owned, every_status=every_status)
        drafts += owned
    for draft in drafts:
        _walk(rng, draft, clock)
    return drafts


def _branch_pledges(rng, context: BranchContext, clock: Clock) -> list[PledgeDraft]:
    kind = context.plan.kind
    served = context.paired_village or context
    named = article.BRANCH_PLEDGES.get(context.key)
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


def _member_pledges(rng, context: BranchContext, clock: Clock) -> list[PledgeDraft]:
    templates = words.MEMBER_PLEDGES[context.plan.kind]
    drafts = []
    for member in context.members:
        if member.is_exempt or not member.is_active:
            continue
        named = article.MEMBER_PLEDGES.get((context.key, member.name))
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


def _assign_statuses(rng, drafts: list[PledgeDraft], *, every_status: bool) -> None:
    """Statuses by weight; named pledges keep theirs. A demo branch gets every status."""
    open_drafts = [d for d in drafts if not d.fixed_status]
    statuses = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()), k=len(open_drafts))
    if every_status:
        present = [d.pledge.status for d in drafts if d.fixed_status]
        missing = [status for status in S if status not in present]
        statuses[: len(missing)] = missing
        rng.shuffle(statuses)
    for draft, status in zip(open_drafts, statuses, strict=True):
        draft.pledge.status = status


def _walk(rng: random.Random, draft: PledgeDraft, clock: Clock) -> None:
    """Choose the path of moves to the pledge's status, its moments and its due date."""
    status = draft.pledge.status
    if status == S.WITHDRAWN:
        # Withdrawn at any point before completion: from draft up to in progress.
        path = FORWARD[: rng.choice([0, 1, 1, 2, 3, 4])] + [M.WITHDRAW]
    else:
        path = list(SHORTEST_PATH[status])
        if status not in WAITING | {S.RETURNED} and rng.random() < RETURNED_ONCE_SHARE:
            path = [M.SUBMIT, M.RETURN_FOR_REVISION] + path
    draft.path = path
    draft.times = _moments(rng, clock, status, len(path) + 1)
    draft.pledge.created_at = draft.times[0]
    draft.pledge.due_date = _due_date(rng, draft, clock)


def _moments(rng, clock: Clock, status, count: int) -> list[datetime.datetime]:
    """`count` increasing moments: the pledge's creation, then one per move."""
    start = clock.recent_start if status in WAITING else clock.start
    first = moment_between(rng, start, clock.end, share=0.6 if status in WAITING else 0.3)
    moments = [first] + sorted(moment_between(rng, first, clock.end) for _ in range(count - 1))
    for index in range(1, count):
        moments[index] = max(moments[index], moments[index - 1] + MINIMUM_GAP)
    return moments


def _due_date(rng, draft: PledgeDraft, clock: Clock) -> datetime.date:
    pledge = draft.pledge
    created = pledge.created_at.date()
    latest = max(clock.year_end, clock.today + datetime.timedelta(days=14))
    if pledge.is_recurring:
        return latest
    completed = draft.moment_of(M.COMPLETE)
    if completed:
        if rng.random() < 0.07:  # finished a little late
            return max(created, completed.date() - datetime.timedelta(days=rng.randint(3, 20)))
        return min(latest, completed.date() + datetime.timedelta(days=rng.randint(5, 70)))
    if draft.moment_of(M.START) and rng.random() < 0.12:  # overdue: the dashboard warns
        return max(created, clock.today - datetime.timedelta(days=rng.randint(3, 30)))
    soonest = clock.today + datetime.timedelta(days=7)
    # One draw whatever the span (randint's draws vary with it), so that the data after
    # this point does not depend on the day the seed runs.
    return soonest + datetime.timedelta(days=int(rng.random() * ((latest - soonest).days + 1)))

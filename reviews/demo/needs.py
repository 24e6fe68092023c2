"""Needs lists (需求清单) and the pledges that answer them.

A need's status follows from its pledges: claimed while one is under way, resolved
when they are done. Each branch keeps two needs unclaimed (one open, one dropped),
so every branch shows every need status. A branch's list says each thing once: a drawn
need never repeats a named one (`NamedNeed.covers`), and a pledge claims only a need of
its own category, so no line is claimed by work on another subject.
"""

import datetime
import random
from collections import Counter

from branches.enums import BranchKind
from pledges.enums import NeedSource, NeedStatus, PledgeStatus, Urgency
from pledges.models import Need, Pledge
from pledges.workflow import DONE_STATUSES
from reviews.demo import article
from reviews.demo import vocabulary as words
from reviews.demo.context import BranchContext, Clock, PledgeDraft, moment_between

# Pledges that answer no need on the list (self-initiated service).
UNLINKED_SHARE = 0.12


def district_needs(rng: random.Random, contexts: list[BranchContext], clock: Clock):
    """Every branch's needs list, keyed by branch key: named needs first, then drawn ones."""
    needs_by_branch = {}
    for context in contexts:
        kind = context.plan.kind
        village = context.branch.village
        named_needs = article.NEEDS.get(context.key, [])
        needs = [
            _need(rng, context, clock, named.description, named.category, named)
            for named in named_needs
        ]
        said = {named.description for named in named_needs}
        said.update(line for named in named_needs for line in named.covers)
        unsaid = [item for item in words.VILLAGE_NEEDS if item[0] not in said]
        if kind == BranchKind.VILLAGE:
            count = rng.randint(6, 8) if needs else rng.randint(10, 14)
            drawn = _every_category_then_more(rng, unsaid, count)
        else:
            drawn = list(words.UNIT_NEEDS[kind]) + rng.sample(unsaid, 2)
        for description, category in drawn:
            needs.append(_need(rng, context, clock, description.format(village=village), category))
        needs_by_branch[context.key] = needs
    return needs_by_branch


def _every_category_then_more(rng: random.Random, lines: list, count: int) -> list:
    """One line of each category, then `count` more at random (at least two, which stay
    unclaimed): every kind of village pledge finds a need it answers."""
    categories = list(dict.fromkeys(category for _description, category in lines))
    first = [rng.choice([line for line in lines if line[1] == c]) for c in categories]
    rest = [line for line in lines if line not in first]
    return first + rng.sample(rest, max(count - len(first), 2))


def _need(rng, context, clock, description, category, named=None) -> Need:
    if named:
        source, raised_by, urgency = named.source, named.raised_by, named.urgency
    else:
        source = rng.choices(list(NeedSource), [3, 3, 2, 5, 1])[0]
        if source == NeedSource.MEMBER_MEETING:
            raised_by = "党员大会集体提出"
        elif context.plan.kind == BranchKind.VILLAGE:
            raised_by = f"{rng.randint(1, 8)}组村民{_villager_name(rng)}"
        else:
            raised_by = f"群众{_villager_name(rng)}"
        urgency = rng.choices(list(Urgency), [2, 5, 3])[0]
    need = Need(
        branch_id=context.branch.pk,
        village=context.branch.village,
        description=description,
        category=category,
        source=source,
        raised_by=raised_by,
        urgency=urgency,
        # The research step (研诺) comes first: needs date from the start of the year.
        created_at=moment_between(rng, clock.start, clock.end, share=0.15),
    )
    need.demo_key = named.key if named else ""
    need.demo_pledge_statuses = []
    need.demo_drafts = []
    return need


def _villager_name(rng: random.Random) -> str:
    surname = rng.choices(words.SURNAMES, words.SURNAME_WEIGHTS)[0]
    pool = words.MALE_GIVEN if rng.random() < 0.6 else words.FEMALE_GIVEN
    return surname + rng.choice(pool) + rng.choice(pool)


def link_needs(rng: random.Random, drafts: list[PledgeDraft], needs_by_branch) -> None:
    """Link pledges to the needs they answer, then give each need the status that follows.

    A pledge answers a need of the list it serves (its branch's, or for an office
    branch's own pledges its paired village's) and of its own category: named pledges
    their named need, the others one drawn among those; a pledge with none stays
    unlinked (self-initiated service). The last two needs of each branch stay unclaimed.
    """
    claimable = {key: needs[:-2] for key, needs in needs_by_branch.items()}
    named = {
        (key, need.demo_key): need
        for key, needs in needs_by_branch.items()
        for need in needs
        if need.demo_key
    }
    for draft in drafts:
        if draft.need_key:
            need = named[(draft.need_pool, draft.need_key)]
        elif rng.random() < UNLINKED_SHARE:
            continue
        else:
            category = draft.pledge.category
            pool = claimable[draft.need_pool]
            matching = [n for n in pool if not n.demo_key and n.category == category]
            if not matching:
                continue
            need = rng.choice(matching)
        draft.needs.append(need)
        need.demo_pledge_statuses.append(draft.pledge.status)
        need.demo_drafts.append(draft)
        # A need is on the list before the pledge that claims it.
        listed_by = draft.pledge.created_at - datetime.timedelta(days=rng.randint(1, 10))
        need.created_at = min(need.created_at, listed_by)
    for needs in needs_by_branch.values():
        _settle_need_statuses(rng, needs)


def _settle_need_statuses(rng: random.Random, needs: list[Need]) -> None:
    for need in needs[:-2]:
        statuses = [s for s in need.demo_pledge_statuses if s != PledgeStatus.WITHDRAWN]
        if any(s not in DONE_STATUSES for s in statuses):
            need.status = NeedStatus.CLAIMED
        elif statuses:
            need.status = NeedStatus.RESOLVED
        else:
            need.status = NeedStatus.DROPPED if rng.random() < 0.2 else NeedStatus.OPEN
    needs[-2].status = NeedStatus.OPEN
    needs[-1].status = NeedStatus.DROPPED
    # A small branch whose pledges are all done (or none done) still shows both states:
    # a need stays "claimed" until the villagers confirm it is resolved.
    for wanted in (NeedStatus.CLAIMED, NeedStatus.RESOLVED):
        counts = Counter(need.status for need in needs)
        if counts[wanted]:
            continue
        donors = [n for n in needs[:-2] if not n.demo_key and counts[n.status] > 1]
        if donors:
            rng.choice(donors).status = wanted


def need_links(drafts: list[PledgeDraft]) -> list:
    """Rows of the pledge-need table, once pledges and needs have their ids."""
    through = Pledge.needs.through
    return [
        through(pledge_id=draft.pledge.pk, need_id=need.pk)
        for draft in drafts
        for need in draft.needs
    ]

"""Keeping the stored figures (pledges.stored_figures) equal to a fresh count.

A change to a pledge, a move or a member names the (branch, year) keys whose figures it
may change (pledges.signals); their rows are counted again from the source rows, by the
definitions of this package, in the same transaction. Counting a key again from scratch,
rather than adding and subtracting, is what keeps the rows from drifting: whatever the
change, the row ends equal to the count. The branches' rows are locked first, so two
transactions refreshing the same branch take turns and the second counts what the first
committed.

Work that writes in bulk without signals (the demo's bulk years, a roster import) calls
`stored_figures_refresh` for what it touched, or `stored_figures_rebuild` for everything;
`manage.py refresh_figures` does the latter by hand.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from branches.models import Branch, Member
from pledges.enums import PledgeMove
from pledges.figures import LIVE
from pledges.models import Pledge, PledgeTransition
from pledges.stored_figures import QUARTERS, STATUS_COLUMNS, BranchYearFigures, PledgeTally
from pledges.workflow import DONE_STATUSES

Key = tuple[int, int]  # (branch id, year)

# Counters of the stored figures of the apps above this one (reviews' year-end figures),
# which depend on pledges and on rows of their own: each is called with the branches and
# years of every refresh and rebuild, in the same transaction (`also_counted_again`).
_also_counted: list[Callable[..., None]] = []


def also_counted_again(counter: Callable[..., None]) -> Callable[..., None]:
    """Register `counter(branch_ids=…, years=…)` (None: all) to count its figures again
    whenever the pledges' stored figures of those branches and years are."""
    if counter not in _also_counted:
        _also_counted.append(counter)
    return counter


BATCH_SIZE = 2000

# While a deferral is open: the keys changed in it, refreshed once on leaving it.
_deferred: ContextVar[set[Key] | None] = ContextVar("stored_figures_deferred", default=None)


@contextmanager
def stored_figures_deferred() -> Iterator[None]:
    """Within the block, changes note their keys instead of refreshing them, and each key
    is refreshed once on leaving it: for work that makes thousands of moves through the
    services (the demo year). On an error nothing is refreshed, as the transaction that
    the block runs in is being rolled back."""
    keys: set[Key] = set()
    token = _deferred.set(keys)
    try:
        yield
    finally:
        _deferred.reset(token)
    if keys:
        stored_figures_refresh(keys=keys)


def stored_figures_changed(*, keys: Iterable[Key]) -> None:
    """Refresh these keys now, or note them when a deferral is open."""
    keys = {(branch_id, year) for branch_id, year in keys if branch_id and year}
    if not keys:
        return
    deferred = _deferred.get()
    if deferred is not None:
        deferred.update(keys)
        return
    stored_figures_refresh(keys=keys)


def stored_figures_refresh(*, keys: Iterable[Key]) -> None:
    """Count again the figures of every branch and year named (of the branches named, in
    every year named), in one transaction, with the branches' rows locked."""
    keys = set(keys)
    if not keys:
        return
    branch_ids = sorted({branch_id for branch_id, _year in keys})
    years = sorted({year for _branch_id, year in keys})
    with transaction.atomic():
        # In id order, so that two refreshers of overlapping branches cannot deadlock.
        list(
            Branch.objects.select_for_update()
            .filter(pk__in=branch_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        count_again(branch_ids=branch_ids, years=years)
        for counter in _also_counted:
            counter(branch_ids=branch_ids, years=years)


def stored_figures_rebuild() -> None:
    """Count every stored figure again, of every branch and year."""
    with transaction.atomic():
        count_again(branch_ids=None, years=None)
        for counter in _also_counted:
            counter(branch_ids=None, years=None)


def stored_figure_years(*, branch_ids: Iterable[int]) -> set[int]:
    """The years of the pledges these branches' members made or these branches own: the
    years whose figures a change to their rolls can move."""
    branch_ids = list(branch_ids)
    return set(
        Pledge.objects.filter(Q(owner_branch__in=branch_ids) | Q(member__branch__in=branch_ids))
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class CountedModels:
    """The models counted and written: the app's own, or a migration's historical ones
    (fill_stored_figures), which have the same fields."""

    pledge: type = Pledge
    transition: type = PledgeTransition
    tally: type = PledgeTally
    year_figures: type = BranchYearFigures


def count_again(
    *,
    branch_ids: list[int] | None,
    years: list[int] | None,
    models: CountedModels = CountedModels(),  # noqa: B008 - immutable
) -> None:
    """Replace the stored figures of these branches and years (None: all) by a count.
    The caller holds the transaction (and the branches' locks)."""

    def narrowed(queryset, *, branch: str, year: str | None):
        if branch_ids is not None:
            queryset = queryset.filter(**{f"{branch}__in": branch_ids})
        if years is not None and year:
            queryset = queryset.filter(**{f"{year}__in": years})
        return queryset.order_by()

    Pledge, PledgeTransition, PledgeTally, BranchYearFigures = (  # noqa: N806
        models.pledge,
        models.transition,
        models.tally,
        models.year_figures,
    )
    tallies = _tallies(
        narrowed(Pledge.objects.all(), branch="owner_branch", year="year"), tally=PledgeTally
    )
    figures: dict[Key, BranchYearFigures] = {}

    def row(key: Key):
        if key not in figures:
            figures[key] = BranchYearFigures(branch_id=key[0], year=key[1])
        return figures[key]

    for tally in tallies:
        target = row((tally.branch_id, tally.year))
        target.pledges_total += sum(getattr(tally, status) for status in LIVE.statuses)
        target.pledges_done += sum(
            getattr(tally, status) for status in DONE_STATUSES & LIVE.statuses
        )

    # Members count under their own branch, whoever owns the pledge (pledges.figures).
    for item in (
        narrowed(
            Pledge.objects.filter(status__in=LIVE.statuses, member__isnull=False),
            branch="member__branch",
            year="year",
        )
        .filter(member__is_active=True)  # on the roll: ON_ROLL, through the member
        .values("member__branch", "year")
        .annotate(
            pledged=Count("member", distinct=True),
            covered=Count("member", distinct=True, filter=Q(member__is_exempt=False)),
        )
    ):
        target = row((item["member__branch"], item["year"]))
        target.pledged_members = item["pledged"]
        target.covered_members = item["covered"]

    # A pledge is completed once at most (nothing leads back to in_progress), so counting
    # the 'complete' moves counts pledges; each counts in the year and quarter it was made
    # in, local time, whatever the pledge's own year.
    completions = narrowed(
        PledgeTransition.objects.filter(move=PledgeMove.COMPLETE),
        branch="pledge__owner_branch",
        year=None,
    )
    if years is not None:
        completions = completions.filter(
            created_at__gte=_year_start(min(years)),
            created_at__lt=_year_start(max(years) + 1),
        )
    for item in (
        completions.annotate(
            completed_year=ExtractYear("created_at"), quarter=ExtractQuarter("created_at")
        )
        .values("pledge__owner_branch", "completed_year", "quarter")
        .annotate(n=Count("pk"))
    ):
        if years is not None and item["completed_year"] not in years:
            continue
        target = row((item["pledge__owner_branch"], item["completed_year"]))
        setattr(target, f"completed_q{item['quarter']}", item["n"])

    narrowed(PledgeTally.objects.all(), branch="branch", year="year")._raw_delete(
        PledgeTally.objects.db
    )
    narrowed(BranchYearFigures.objects.all(), branch="branch", year="year")._raw_delete(
        BranchYearFigures.objects.db
    )
    PledgeTally.objects.bulk_create(tallies, batch_size=BATCH_SIZE)
    BranchYearFigures.objects.bulk_create(figures.values(), batch_size=BATCH_SIZE)


def _tallies(pledges, *, tally: type) -> list:
    by_status = {status: Count("pk", filter=Q(status=status)) for status in STATUS_COLUMNS}
    due_in_quarter = {
        f"due_q{quarter}": Count(
            "pk",
            filter=Q(status__in=LIVE.statuses, due_date__year=F("year"), due_date__quarter=quarter),
        )
        for quarter in QUARTERS
    }
    return [
        tally(
            branch_id=item["owner_branch"],
            year=item["year"],
            category=item["category"],
            **{name: item[name] for name in (*by_status, *due_in_quarter)},
        )
        for item in pledges.values("owner_branch", "year", "category").annotate(
            **by_status, **due_in_quarter
        )
    ]


def _year_start(year: int) -> datetime.datetime:
    """New Year's midnight, local time: completions count in the local year."""
    return timezone.make_aware(datetime.datetime(year, 1, 1))


# ---------------------------------------------------------------------------
# The keys a change names
# ---------------------------------------------------------------------------


def member_branches(member_ids: Iterable[int]) -> dict[int, int]:
    """Member id → branch id, in one query."""
    member_ids = [member_id for member_id in member_ids if member_id]
    if not member_ids:
        return {}
    return dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "branch_id"))


def pledge_keys(*, owner_branch_id: int, year: int, member_branch_id: int | None) -> set[Key]:
    """The keys a pledge counts under: its owner's year, and its member's branch's."""
    keys = {(owner_branch_id, year)}
    if member_branch_id:
        keys.add((member_branch_id, year))
    return keys


def transition_keys(transition: PledgeTransition, *, member_branch_id: int | None) -> set[Key]:
    """The keys a move changes: the pledge's, and for a completion the owner's figures of
    the year it was made in."""
    pledge = transition.pledge
    keys = pledge_keys(
        owner_branch_id=pledge.owner_branch_id, year=pledge.year, member_branch_id=member_branch_id
    )
    if transition.move == PledgeMove.COMPLETE:
        keys.add((pledge.owner_branch_id, timezone.localtime(transition.created_at).year))
    return keys


def keys_by_year(branch_ids: Iterable[int], years: Iterable[int]) -> set[Key]:
    years = list(years)
    return {(branch_id, year) for branch_id in set(branch_ids) for year in years}


__all__ = [
    "CountedModels",
    "also_counted_again",
    "Key",
    "count_again",
    "keys_by_year",
    "member_branches",
    "pledge_keys",
    "stored_figure_years",
    "stored_figures_changed",
    "stored_figures_deferred",
    "stored_figures_rebuild",
    "stored_figures_refresh",
    "transition_keys",
]

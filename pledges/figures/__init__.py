"""One definition of every figure that more than one page shows (统计口径).

The public site, the board, the workspace branch list and page, the dashboard, its
export and the home to-dos count through this module and nothing else; the public page
统计口径 (templates/pledges/public/figures.html, `public:figures`) states the same
definitions in plain Chinese. A pledge's own progress is pledges.progress.

Every pledge figure counts the pledges of one year, the year under way unless a page is
about another (the year-end pages), and one set of them, named where it is shown:

- LIVE (全部承诺，不含草稿、已撤销), on the staff pages: submitted or further, not
  withdrawn. A draft is the secretary's unsent text, not yet a pledge; a withdrawn pledge
  left the flow.
- PUBLIC (已公示承诺), on the public pages: what villagers can see (PUBLIC_STATUSES).

Every done pledge is public, so "done" is the same number in both sets.

| figure                 | definition                                                      |
|------------------------|-----------------------------------------------------------------|
| members on the roll    | active members (在册)                                           |
| exempt                 | on the roll and exempt from pledging                            |
| pledged                | on the roll with at least one counted pledge (any owner branch) |
| covered                | pledged and not exempt                                          |
| not covered            | on the roll, not exempt, no counted pledge                      |
| pledges                | counted pledges the branch owns                                 |
| done                   | counted pledges completed, verified or evaluated                |
| overdue                | counted pledges still open (OPEN_STATUSES) past their due date  |
| share done             | done / pledges, whole percent rounded down (0 without pledges)  |
| coverage               | covered / (on the roll - exempt), same rounding                 |
| at a step (LIVE)       | the year's pledges of any status by STATUS_STEP (drafts at 定诺);|
|                        | 研诺: needs open, claimed or resolved (steps_of)                |
| late at a step (LIVE)  | overdue pledges by step; 研诺: needs 待认领 NEED_CLAIM_DAYS+    |
| at a step (PUBLIC)     | 研诺: needs the published pledges answer; 定诺: all published;  |
|                        | 示诺…用诺: published pledges standing there (public_steps_of)   |

Members count under their own branch, pledges under the branch that owns them. The
figures of the six steps are in pledges.figures.steps.
"""

import datetime
import enum
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Member
from pledges.enums import PledgeStatus
from pledges.models import Pledge
from pledges.progress import bar_step
from pledges.workflow import DONE_STATUSES, OPEN_STATUSES, PUBLIC_STATUSES

S = PledgeStatus


class PledgeSet(enum.Enum):
    """The pledges a figure counts."""

    LIVE = "live"
    PUBLIC = "public"

    @property
    def statuses(self) -> frozenset[PledgeStatus]:
        return COUNTED_STATUSES[self]

    @property
    def label(self) -> str:
        return str(PLEDGE_SET_LABELS[self])


COUNTED_STATUSES: dict[PledgeSet, frozenset[PledgeStatus]] = {
    PledgeSet.LIVE: frozenset(S) - {S.DRAFT, S.WITHDRAWN},
    PledgeSet.PUBLIC: PUBLIC_STATUSES,
}
PLEDGE_SET_LABELS = {
    PledgeSet.LIVE: _("全部承诺（不含草稿、已撤销）"),
    PledgeSet.PUBLIC: _("已公示承诺"),
}
LIVE = PledgeSet.LIVE
PUBLIC = PledgeSet.PUBLIC


# ---------------------------------------------------------------------------
# The definitions, as conditions on rows
# ---------------------------------------------------------------------------


def figures_year(year: int | None = None) -> int:
    """The year the figures count: the one asked for, or else the year under way."""
    return year or timezone.localdate().year


def counted_q(pledge_set: PledgeSet, prefix: str = "", *, year: int | None = None) -> Q:
    """Pledges (or rows reaching them through `prefix`, e.g. "pledges__") the set counts:
    of `year`, by default the year under way."""
    return Q(**{f"{prefix}status__in": pledge_set.statuses, f"{prefix}year": figures_year(year)})


def done_q(pledge_set: PledgeSet, prefix: str = "", *, year: int | None = None) -> Q:
    return Q(
        **{
            f"{prefix}status__in": DONE_STATUSES & pledge_set.statuses,
            f"{prefix}year": figures_year(year),
        }
    )


def overdue_q(
    pledge_set: PledgeSet, today: datetime.date, prefix: str = "", *, year: int | None = None
) -> Q:
    return Q(
        **{
            f"{prefix}status__in": OPEN_STATUSES & pledge_set.statuses,
            f"{prefix}due_date__lt": today,
            f"{prefix}year": figures_year(year),
        }
    )


ON_ROLL = Q(is_active=True)


def pledging(pledge_set: PledgeSet) -> Exists:
    """On a Member queryset: the member has at least one counted pledge."""
    return Exists(Pledge.objects.filter(counted_q(pledge_set), member=OuterRef("pk")).order_by())


def share(part: int, whole: int) -> int:
    """part / whole in whole percent, rounded down (0 when there is no whole): 100% means
    all of it, never 199 of 200."""
    return 100 * part // whole if whole else 0


# ---------------------------------------------------------------------------
# The figures of a branch or a group of branches
# ---------------------------------------------------------------------------


@dataclass
class Figures:
    """Members and pledges of a branch or a set of branches, by the definitions above."""

    pledge_set: PledgeSet = LIVE
    branches: int = 0
    active_members: int = 0
    exempt_members: int = 0
    pledged_members: int = 0
    covered_members: int = 0
    pledges_total: int = 0
    pledges_done: int = 0
    pledges_overdue: int = 0

    def add(self, other: "Figures") -> None:
        """Add another's counts (of the same pledge set) to these."""
        for item in fields(Figures):
            if item.name != "pledge_set":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def expected_members(self) -> int:
        """On the roll and not exempt: who is expected to pledge."""
        return self.active_members - self.exempt_members

    @property
    def uncovered_members(self) -> int:
        return self.expected_members - self.covered_members

    @property
    def done_percent(self) -> int:
        return share(self.pledges_done, self.pledges_total)

    @property
    def done_bar(self) -> int:
        return bar_step(self.done_percent)

    @property
    def covered_percent(self) -> int:
        return share(self.covered_members, self.expected_members)

    @property
    def pledges_label(self) -> str:
        return self.pledge_set.label

    @classmethod
    def of_branch(cls, branch: Branch, pledge_set: PledgeSet) -> "Figures":
        """From a branch annotated by branches_with_figures (with the same pledge set)."""
        return cls(
            pledge_set=pledge_set,
            branches=1,
            **{name: getattr(branch, name) for name in BRANCH_FIGURES},
        )


# The annotations of branches_with_figures, also Figures' fields.
BRANCH_FIGURES = (
    "active_members",
    "exempt_members",
    "pledged_members",
    "covered_members",
    "pledges_total",
    "pledges_done",
    "pledges_overdue",
)


class CountOf(Subquery):
    """(SELECT COUNT(*) FROM (<queryset>)): the number of rows of a correlated queryset, 0
    when there are none."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def count_rows(queryset: QuerySet, column: str) -> CountOf:
    """The number of rows of a correlated queryset, as a subquery (0 when none), selecting
    only `column` (one the filter's index holds, so PostgreSQL may answer from the index).

    Counting through subqueries rather than Count() over joins keeps each figure exact:
    several joined counts would multiply each other's rows. A plain COUNT(*), not a
    GROUP BY of the correlated column, lets PostgreSQL pick a partial index that holds the
    rows counted (EXPLAIN at scale 100: the overdue of 5,300 branches, 344 → 29 ms).
    """
    return CountOf(queryset.order_by().values(column))


def branches_with_figures(
    branches: QuerySet[Branch], *, pledge_set: PledgeSet, today: datetime.date
) -> QuerySet[Branch]:
    """Annotate each branch with BRANCH_FIGURES of the pledge set, in the same query;
    `Figures.of_branch` turns a row into Figures."""
    members = Member.objects.filter(ON_ROLL, branch=OuterRef("pk"))
    pledged = members.filter(pledging(pledge_set))
    pledges = Pledge.objects.filter(owner_branch=OuterRef("pk"))
    return branches.annotate(
        active_members=count_rows(members, "branch"),
        exempt_members=count_rows(members.filter(is_exempt=True), "branch"),
        pledged_members=count_rows(pledged, "branch"),
        covered_members=count_rows(pledged.filter(is_exempt=False), "branch"),
        pledges_total=count_rows(pledges.filter(counted_q(pledge_set)), "owner_branch"),
        pledges_done=count_rows(pledges.filter(done_q(pledge_set)), "owner_branch"),
        pledges_overdue=count_rows(pledges.filter(overdue_q(pledge_set, today)), "owner_branch"),
    )


def branches_with_stored_figures(
    branches: QuerySet[Branch], *, today: datetime.date
) -> QuerySet[Branch]:
    """branches_with_figures over LIVE pledges, in one query that reads what does not
    change with the day (pledged and covered members, pledges, done) from the stored
    figures of the year (pledges.stored_figures, equal to a fresh count: a test says so)
    instead of counting each branch's pledges; the roll and the overdue are counted."""
    members = Member.objects.filter(ON_ROLL, branch=OuterRef("pk"))
    overdue = Pledge.objects.filter(overdue_q(LIVE, today), owner_branch=OuterRef("pk"))
    stored = {
        name: Coalesce(F(f"stored_year__{name}"), 0)
        for name in ("pledged_members", "covered_members", "pledges_total", "pledges_done")
    }
    return branches.annotate(
        stored_year=FilteredRelation(
            "year_figures", condition=Q(year_figures__year=figures_year())
        ),
        active_members=count_rows(members, "branch"),
        exempt_members=count_rows(members.filter(is_exempt=True), "branch"),
        **stored,
        pledges_overdue=count_rows(overdue, "owner_branch"),
    )


def pledge_aggregates(
    *, pledge_set: PledgeSet, today: datetime.date, prefix: str = ""
) -> dict[str, Count]:
    """pledges_total, pledges_done and pledges_overdue as aggregates over Pledge rows
    (names prefixed with `prefix`), for grouped queries."""
    return {
        f"{prefix}pledges_total": Count("pk", filter=counted_q(pledge_set)),
        f"{prefix}pledges_done": Count("pk", filter=done_q(pledge_set)),
        f"{prefix}pledges_overdue": Count("pk", filter=overdue_q(pledge_set, today)),
    }


# A group of branches, given the path from the counted model to Branch ("", "branch__",
# "owner_branch__"): e.g. `lambda to_branch: F(f"{to_branch}committee_id")`.
Grouping = Callable[[str], Any]


def _grouped(queryset: QuerySet, group: Grouping, to_branch: str) -> QuerySet:
    return queryset.order_by().annotate(group=group(to_branch)).values("group")


def roll_figures_by(
    *, branches: QuerySet[Branch], group: Grouping, pledge_set: PledgeSet
) -> dict[Any, Figures]:
    """Branches, members on the roll and exempt members of `branches` by group, in one
    query: each branch's counts from the members' index (count_rows), summed here, rather
    than a join of every member to its committee (EXPLAIN at scale 100: 98 → 30 ms)."""
    figures: dict[Any, Figures] = defaultdict(lambda: Figures(pledge_set=pledge_set))
    members = Member.objects.filter(ON_ROLL, branch=OuterRef("pk"))
    for row in (
        branches.order_by()
        .annotate(
            group=group(""),
            active=count_rows(members, "branch"),
            exempt=count_rows(members.filter(is_exempt=True), "branch"),
        )
        .values_list("group", "active", "exempt")
    ):
        found = figures[row[0]]
        found.branches += 1
        found.active_members += row[1]
        found.exempt_members += row[2]
    return figures


def member_figures_by(
    *, branches: QuerySet[Branch], group: Grouping, pledge_set: PledgeSet
) -> dict[Any, Figures]:
    """Branches, members on the roll, exempt, pledged and covered members of `branches`
    by group, in three queries: branches, members, pledged members."""
    figures = roll_figures_by(branches=branches, group=group, pledge_set=pledge_set)
    members = Member.objects.filter(ON_ROLL, branch__in=branches.values("pk"))
    # Apart from the counts above: a semi-join in WHERE is several times faster than the
    # same Exists counted under a FILTER.
    for row in _grouped(members.filter(pledging(pledge_set)), group, "branch__").annotate(
        pledged=Count("pk"), covered=Count("pk", filter=Q(is_exempt=False))
    ):
        figures[row["group"]].pledged_members = row["pledged"]
        figures[row["group"]].covered_members = row["covered"]
    return figures


def figures_by(
    *,
    branches: QuerySet[Branch],
    group: Grouping,
    pledge_set: PledgeSet,
    today: datetime.date,
) -> dict[Any, Figures]:
    """Figures of `branches` by group, in four queries (member_figures_by, then pledges)."""
    figures = member_figures_by(branches=branches, group=group, pledge_set=pledge_set)
    pledges = Pledge.objects.filter(owner_branch__in=branches.values("pk")).order_by()
    for row in (
        pledges.annotate(group=group("owner_branch__"))
        .values("group")
        .annotate(**pledge_aggregates(pledge_set=pledge_set, today=today))
    ):
        entry = figures[row["group"]]
        entry.pledges_total = row["pledges_total"]
        entry.pledges_done = row["pledges_done"]
        entry.pledges_overdue = row["pledges_overdue"]
    return figures


def figures_of(
    *, branches: QuerySet[Branch], pledge_set: PledgeSet, today: datetime.date
) -> Figures:
    """The figures of all these branches together, in four queries."""
    found = figures_by(
        branches=branches,
        group=lambda _to_branch: Value(1),
        pledge_set=pledge_set,
        today=today,
    )
    return found.get(1, Figures(pledge_set=pledge_set))

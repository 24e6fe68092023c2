"""Every figure of the dashboard but the branch table: totals, committee rows, categories
and quarters, by SQL aggregation over the scope."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from branches.models import Branch, Committee
from pledges import figures as definitions
from pledges.enums import NeedCategory, PledgeStatus
from pledges.figures import (
    LIVE,
    PUBLIC,
    overdue_q,
    roll_figures_by,
    share,
)
from pledges.figures.steps import RESEARCH_NEED_STATUSES, late_of, need_late_q, steps_of
from pledges.models import Need, Pledge
from pledges.stored_figures import QUARTERS, STATUS_COLUMNS, BranchYearFigures, PledgeTally
from pledges.workflow import DONE_STATUSES, OPEN_STATUSES
from reviews.dashboard.scope import SEGMENT, Scope

S = PledgeStatus


@dataclass
class Figures(definitions.Figures):
    """pledges.figures.Figures over all pledges but drafts and withdrawn ones (LIVE), with
    what the dashboard shows besides: pledges by status, the published ones (the public
    site's count), and the needs of the 研诺 step."""

    pledge_set: definitions.PledgeSet = LIVE
    pledges_published: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    needs_by_status: dict[str, int] = field(default_factory=dict)
    # Overdue pledges by status (open statuses only) and needs late at 研诺: the late
    # figures of the steps (pledges.figures.late_of).
    overdue_by_status: dict[str, int] = field(default_factory=dict)
    needs_late: int = 0

    def add(self, other: definitions.Figures) -> None:
        super().add(other)
        if isinstance(other, Figures):
            self.pledges_published += other.pledges_published
            self.needs_late += other.needs_late
            for mine, theirs in (
                (self.by_status, other.by_status),
                (self.needs_by_status, other.needs_by_status),
                (self.overdue_by_status, other.overdue_by_status),
            ):
                for status, count in theirs.items():
                    mine[status] = mine.get(status, 0) + count

    @property
    def overdue(self) -> int:
        return self.pledges_overdue

    @property
    def withdrawn(self) -> int:
        return self.by_status.get(S.WITHDRAWN, 0)

    @property
    def published_done_percent(self) -> int:
        """Share done of the published pledges: the public site's figure."""
        return share(self.pledges_done, self.pledges_published)

    @property
    def research_needs(self) -> int:
        return sum(self.needs_by_status.get(status, 0) for status in RESEARCH_NEED_STATUSES)

    def by_step(self) -> dict[str, int]:
        """Pledges at each step (withdrawn ones at none); 研诺 counts the needs gathered
        (pledges.figures.steps_of, which the chart 一图 counts by too)."""
        return steps_of(self.by_status, needs=self.research_needs)

    def late_by_step(self) -> dict[str, int]:
        """Overdue pledges at each step and needs late at 研诺 (pledges.figures.late_of):
        the pledge steps add up to `overdue`."""
        return late_of(self.overdue_by_status, needs_late=self.needs_late)


@dataclass
class CommitteeRow:
    committee: Committee | None  # None: the branches directly under the scope committee
    figures: Figures


@dataclass
class CategoryRow:
    category: str
    label: str
    total: int = 0
    done: int = 0
    overdue: int = 0
    withdrawn: int = 0

    @property
    def done_percent(self) -> int:
        return share(self.done, self.total)


@dataclass
class QuarterRow:
    quarter: int
    due: int = 0
    completed: int = 0


@dataclass
class Dashboard:
    scope: Scope
    rows: list[CommitteeRow]
    total: Figures
    categories: list[CategoryRow]
    quarters: list[QuarterRow]
    year: int


def quarter_bounds(year: int) -> list[tuple[datetime.date, datetime.date]]:
    starts = [datetime.date(year, month, 1) for month in (1, 4, 7, 10)]
    return list(zip(starts, [*starts[1:], datetime.date(year + 1, 1, 1)], strict=True))


def _group_keys(scope: Scope) -> list[tuple[int, Q, list[tuple[str, Committee | None]]]]:
    """How the rows group: for each path-prefix length, the branches it covers and the
    (prefix, committee) of each row. One query (the scope committee's children)."""
    if scope.single:
        root = scope.single
        children = Committee.objects.filter(parent=root).order_by("name", "pk")
        keys = [(child.path, child) for child in children] + [(root.path, None)]
        # A child's branches group under the child's path; the root's own under the root's,
        # which is shorter than the prefix length and so comes out whole.
        return [(len(root.path) + SEGMENT, scope.branch_q(), keys)]
    groups = []
    for length in sorted({len(root.path) for root in scope.roots}):
        roots = [root for root in scope.roots if len(root.path) == length]
        branch_q = Scope(roots=roots).branch_q()
        groups.append((length, branch_q, [(root.path, root) for root in roots]))
    return groups


def dashboard_figures(*, scope: Scope, today: datetime.date) -> Dashboard:
    """Every figure of the dashboard but the branch table, by SQL aggregation over the
    scope grouped by committee path prefix (definitions: pledges.figures): one query for
    the rows' committees, then six per prefix length (one length in practice: branches,
    members, the stored figures of the year (members who pledged, completions by quarter),
    the stored pledge tallies by status and category, overdue pledges, needs). What does
    not change with the day is read from the stored figures, which a test holds equal to a
    fresh count. The committee rows partition the scope, so the totals and the category
    and quarter figures are their sums."""
    year = today.year
    figures: dict[str, Figures] = {}
    categories: dict[str, CategoryRow] = {}
    due = [0, 0, 0, 0]
    completed = [0, 0, 0, 0]
    ordered_keys: list[tuple[str, Committee | None]] = []

    def row(key) -> Figures:
        if key not in figures:
            figures[key] = Figures(
                by_status=dict.fromkeys(S.values, 0),
                overdue_by_status=dict.fromkeys(OPEN_STATUSES, 0),
            )
        return figures[key]

    for length, branch_q, keys in _group_keys(scope):
        ordered_keys += keys
        branches = Branch.objects.filter(branch_q)
        in_scope = branches.values("pk")

        def group(to_branch, length=length):
            return Substr(f"{to_branch}committee__path", 1, length)

        for key, found in roll_figures_by(branches=branches, group=group, pledge_set=LIVE).items():
            row(key).add(found)

        # Members who pledged and pledges completed by quarter, from the stored figures of
        # the year (pledges.stored_figures): a fresh count of them scans the year's pledges
        # and moves at every request.
        for item in (
            BranchYearFigures.objects.filter(branch__in=in_scope, year=year)
            .order_by()
            .annotate(group=group("branch__"))
            .values("group")
            .annotate(
                pledged=Sum("pledged_members"),
                covered=Sum("covered_members"),
                **{f"completed_q{quarter}": Sum(f"completed_q{quarter}") for quarter in QUARTERS},
            )
        ):
            target = row(item["group"])
            target.pledged_members += item["pledged"]
            target.covered_members += item["covered"]
            for quarter in QUARTERS:
                completed[quarter - 1] += item[f"completed_q{quarter}"]

        # Pledges by status and category, of the year like every other figure: drafts and
        # withdrawn ones included (the status bars show them apart), last year's never.
        for item in (
            PledgeTally.objects.filter(branch__in=in_scope, year=year)
            .order_by()
            .annotate(group=group("branch__"))
            .values("group", "category")
            .annotate(
                **{status: Sum(status) for status in STATUS_COLUMNS},
                **{f"due_q{quarter}": Sum(f"due_q{quarter}") for quarter in QUARTERS},
            )
        ):
            target = row(item["group"])
            category = categories.setdefault(
                item["category"], CategoryRow(category=item["category"], label="")
            )
            for status in STATUS_COLUMNS:
                n = item[status]
                target.by_status[status] += n
                if status in LIVE.statuses:
                    target.pledges_total += n
                    category.total += n
                if status in DONE_STATUSES & LIVE.statuses:
                    target.pledges_done += n
                    category.done += n
                if status in PUBLIC.statuses:
                    target.pledges_published += n
            category.withdrawn += item[S.WITHDRAWN]
            for quarter in QUARTERS:
                due[quarter - 1] += item[f"due_q{quarter}"]

        # Overdue depends on the day, so it is counted: the year's open pledges past due.
        for item in (
            Pledge.objects.filter(overdue_q(LIVE, today), owner_branch__in=in_scope)
            .order_by()
            .annotate(group=group("owner_branch__"))
            .values("group", "category", "status")
            .annotate(n=Count("pk"))
        ):
            target = row(item["group"])
            status, n = item["status"], item["n"]
            target.pledges_overdue += n
            target.overdue_by_status[status] = target.overdue_by_status.get(status, 0) + n
            categories.setdefault(
                item["category"], CategoryRow(category=item["category"], label="")
            ).overdue += n

        for item in (
            Need.objects.filter(branch__in=in_scope)
            .order_by()
            .annotate(group=group("branch__"))
            .values("group", "status")
            .annotate(n=Count("pk"), late=Count("pk", filter=need_late_q(today)))
        ):
            target = row(item["group"])
            needs = target.needs_by_status
            needs[item["status"]] = needs.get(item["status"], 0) + item["n"]
            target.needs_late += item["late"]

    rows = []
    for path, committee in ordered_keys:
        found = figures.get(path, Figures())
        if committee is None and not found.branches:
            continue
        rows.append(CommitteeRow(committee=committee, figures=found))
    total = Figures(by_status={status: 0 for status in S.values})
    for item in rows:
        total.add(item.figures)
    category_rows = []
    for choice in NeedCategory:
        if choice.value in categories:
            categories[choice.value].label = str(choice.label)
            category_rows.append(categories[choice.value])
    return Dashboard(
        scope=scope,
        rows=rows,
        total=total,
        categories=category_rows,
        quarters=[
            QuarterRow(quarter=index + 1, due=due[index], completed=completed[index])
            for index in range(4)
        ],
        year=year,
    )

"""Every figure of the dashboard but the branch table: totals, committee rows, categories
and quarters, by SQL aggregation over the scope."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import ExtractQuarter, Substr
from django.utils import timezone

from branches.models import Branch, Committee
from pledges import figures as definitions
from pledges.enums import NeedCategory, PledgeMove, PledgeStatus
from pledges.figures import (
    LIVE,
    PUBLIC,
    counted_q,
    member_figures_by,
    overdue_q,
    pledge_aggregates,
    share,
)
from pledges.figures.steps import RESEARCH_NEED_STATUSES, late_of, need_late_q, steps_of
from pledges.models import Need, Pledge, PledgeTransition
from pledges.workflow import OPEN_STATUSES
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
    members, members who pledged, pledges by prefix and category, needs, completions by
    quarter). The committee rows partition the scope,
    so the totals and the category and quarter figures are their sums."""
    year = today.year
    quarters = quarter_bounds(year)
    figures: dict[str, Figures] = {}
    categories: dict[str, CategoryRow] = {}
    due = [0, 0, 0, 0]
    completed = [0, 0, 0, 0]
    ordered_keys: list[tuple[str, Committee | None]] = []

    def row(key) -> Figures:
        return figures.setdefault(key, Figures())

    for length, branch_q, keys in _group_keys(scope):
        ordered_keys += keys
        branches = Branch.objects.filter(branch_q)
        in_scope = branches.values("pk")

        def group(to_branch, length=length):
            return Substr(f"{to_branch}committee__path", 1, length)

        for key, found in member_figures_by(
            branches=branches, group=group, pledge_set=LIVE
        ).items():
            row(key).add(found)

        # Pledges by status, of the year like every other figure: drafts and withdrawn
        # ones included (the status bars show them apart), last year's never.
        counts = {
            f"s_{status}": Count("pk", filter=Q(status=status, year=year)) for status in S.values
        }
        counts |= {
            f"o_{status}": Count("pk", filter=Q(status=status) & overdue_q(LIVE, today))
            for status in OPEN_STATUSES
        }
        counts |= pledge_aggregates(pledge_set=LIVE, today=today)
        counts["published"] = Count("pk", filter=counted_q(PUBLIC))
        for index, (first, after) in enumerate(quarters):
            counts[f"due_{index}"] = Count(
                "pk", filter=counted_q(LIVE) & Q(due_date__gte=first, due_date__lt=after)
            )
        # Every count below is of the year (the definitions say so): the year in WHERE lets
        # the scan skip last year's pledges instead of filtering them out of each count.
        pledges = Pledge.objects.filter(owner_branch__in=in_scope, year=year).order_by()
        for item in (
            pledges.annotate(group=group("owner_branch__"))
            .values("group", "category")
            .annotate(**counts)
        ):
            by_status = {status: item[f"s_{status}"] for status in S.values}
            target = row(item["group"])
            target.pledges_total += item["pledges_total"]
            target.pledges_done += item["pledges_done"]
            target.pledges_overdue += item["pledges_overdue"]
            target.pledges_published += item["published"]
            for status, count in by_status.items():
                target.by_status[status] = target.by_status.get(status, 0) + count
            for status in OPEN_STATUSES:
                late = target.overdue_by_status
                late[status] = late.get(status, 0) + item[f"o_{status}"]
            category = categories.setdefault(
                item["category"], CategoryRow(category=item["category"], label="")
            )
            category.total += item["pledges_total"]
            category.done += item["pledges_done"]
            category.overdue += item["pledges_overdue"]
            category.withdrawn += by_status[S.WITHDRAWN]
            for index in range(4):
                due[index] += item[f"due_{index}"]

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

        # A pledge is completed once at most (nothing leads back to in_progress), so
        # counting the 'complete' moves counts pledges.
        start = timezone.make_aware(datetime.datetime(year, 1, 1))
        end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))
        for quarter, n in (
            PledgeTransition.objects.filter(
                pledge__owner_branch__in=in_scope,
                move=PledgeMove.COMPLETE,
                created_at__gte=start,
                created_at__lt=end,
            )
            .order_by()
            .annotate(quarter=ExtractQuarter("created_at"))
            .values("quarter")
            .annotate(n=Count("pk"))
            .values_list("quarter", "n")
        ):
            completed[quarter - 1] += n

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

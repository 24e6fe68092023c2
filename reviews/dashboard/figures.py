"""Every figure of the dashboard but the branch table: totals, committee rows, categories
and quarters, by SQL aggregation over the scope."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import ExtractQuarter, Substr
from django.utils import timezone

from branches.models import Branch, Committee, Member
from pledges.enums import NeedCategory, PledgeMove, PledgeStatus, Step
from pledges.models import Pledge, PledgeTransition
from pledges.selectors import OPEN_STATUSES
from pledges.workflow import DONE_STATUSES, STATUS_STEP
from reviews.dashboard.scope import SEGMENT, Scope

S = PledgeStatus

MEMBER_FIELDS = ("active_members", "exempt_members", "pledged_members", "uncovered_members")


@dataclass
class Figures:
    branches: int = 0
    active_members: int = 0
    pledged_members: int = 0
    exempt_members: int = 0
    uncovered_members: int = 0
    overdue: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Figures") -> None:
        for name in ("branches", *MEMBER_FIELDS, "overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for status, count in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + count

    @property
    def withdrawn(self) -> int:
        return self.by_status.get(S.WITHDRAWN, 0)

    @property
    def pledges_total(self) -> int:
        """Pledges that were not withdrawn."""
        return sum(count for status, count in self.by_status.items() if status != S.WITHDRAWN)

    @property
    def pledges_done(self) -> int:
        return sum(self.by_status.get(status, 0) for status in DONE_STATUSES)

    @property
    def done_percent(self) -> float:
        return percent(self.pledges_done, self.pledges_total)

    @property
    def covered_percent(self) -> float:
        """Active members who pledged or are exempt."""
        return percent(self.active_members - self.uncovered_members, self.active_members)

    def by_step(self) -> dict[str, int]:
        steps = {step.value: 0 for step in Step}
        for status, count in self.by_status.items():
            step = STATUS_STEP[S(status)]
            if step is not None:
                steps[step.value] += count
        return steps


def percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


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
    def done_percent(self) -> float:
        return percent(self.done, self.total)


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
    scope grouped by committee path prefix: one query for the rows' committees, then five
    per prefix length (one in practice: branches, members, members who pledged, pledges by
    prefix and category, completions by quarter). The committee rows partition the scope,
    so the totals and the category and quarter figures are their sums."""
    year = today.year
    quarters = quarter_bounds(year)
    figures: dict[str, Figures] = {}
    categories: dict[str, CategoryRow] = {}
    due = [0, 0, 0, 0]
    completed = [0, 0, 0, 0]
    ordered_keys: list[tuple[str, Committee | None]] = []

    def row(key) -> Figures:
        return figures.setdefault(key, Figures(by_status={}))

    for length, branch_q, keys in _group_keys(scope):
        ordered_keys += keys
        in_scope = Branch.objects.filter(branch_q).values("pk")

        def grouped(queryset, path_field, *extra, length=length):
            return (
                queryset.order_by()
                .annotate(group=Substr(path_field, 1, length))
                .values("group", *extra)
            )

        for item in grouped(Branch.objects.filter(branch_q), "committee__path").annotate(
            n=Count("pk")
        ):
            row(item["group"]).branches = item["n"]

        members = Member.objects.filter(is_active=True, branch__in=in_scope)
        for item in grouped(members, "branch__committee__path").annotate(
            active=Count("pk"), exempt=Count("pk", filter=Q(is_exempt=True))
        ):
            target = row(item["group"])
            target.active_members = item["active"]
            target.exempt_members = item["exempt"]
            target.uncovered_members = item["active"] - item["exempt"]
        # In WHERE the test for a pledge is a semi-join, one pass over the pledges.
        pledging = Exists(
            Pledge.objects.filter(member=OuterRef("pk")).exclude(status=S.WITHDRAWN).order_by()
        )
        for item in grouped(members.filter(pledging), "branch__committee__path").annotate(
            pledged=Count("pk"), pledged_not_exempt=Count("pk", filter=Q(is_exempt=False))
        ):
            target = row(item["group"])
            target.pledged_members = item["pledged"]
            target.uncovered_members -= item["pledged_not_exempt"]

        not_withdrawn = ~Q(status=S.WITHDRAWN)
        counts = {f"s_{status}": Count("pk", filter=Q(status=status)) for status in S.values}
        counts["overdue"] = Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today))
        for index, (first, after) in enumerate(quarters):
            counts[f"due_{index}"] = Count(
                "pk", filter=not_withdrawn & Q(due_date__gte=first, due_date__lt=after)
            )
        pledges = Pledge.objects.filter(owner_branch__in=in_scope)
        for item in grouped(pledges, "owner_branch__committee__path", "category").annotate(
            **counts
        ):
            by_status = {status: item[f"s_{status}"] for status in S.values}
            target = row(item["group"])
            target.overdue += item["overdue"]
            for status, count in by_status.items():
                target.by_status[status] = target.by_status.get(status, 0) + count
            category = categories.setdefault(
                item["category"], CategoryRow(category=item["category"], label="")
            )
            category.total += sum(by_status.values()) - by_status[S.WITHDRAWN]
            category.done += sum(by_status[status] for status in DONE_STATUSES)
            category.overdue += item["overdue"]
            category.withdrawn += by_status[S.WITHDRAWN]
            for index in range(4):
                due[index] += item[f"due_{index}"]

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
        found = figures.get(path, Figures(by_status={}))
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

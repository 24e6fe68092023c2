"""The district dashboard's figures: every number by aggregation in SQL, in a fixed number
of queries whatever the size of the subtree.

Definitions (the same as `pledges.selectors.branches_with_figures`):
- members are active members (在册); a member who pledged has at least one pledge that
  was not withdrawn; a member not yet covered is active, not exempt and has no such pledge
  (an exempt member who pledged anyway counts as pledged and as exempt);
- pledges are counted without the withdrawn ones (已撤销, they left the flow), which are
  shown apart; "done" is DONE_STATUSES (completed, verified, evaluated) over those pledges;
- a pledge is overdue when it is still open (OPEN_STATUSES) and its due date has passed.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractQuarter, NullIf, Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import PATH_SEGMENT_WIDTH, Branch, Committee, Member
from branches.permissions import staff_committee_paths
from branches.selectors import committees_visible_to
from pledges.enums import NeedCategory, PledgeMove, PledgeStatus, Step
from pledges.models import Pledge, PledgeTransition
from pledges.selectors import OPEN_STATUSES, branches_with_figures
from pledges.workflow import DONE_STATUSES, STATUS_STEP

S = PledgeStatus
SEGMENT = PATH_SEGMENT_WIDTH + 1
BRANCHES_PER_PAGE = 50

# ?sort= values of the branch table: column → order_by terms (ascending).
BRANCH_SORTS = {
    "name": ("name", "pk"),
    "members": ("active_members", "name", "pk"),
    "pledges": ("pledges_total", "name", "pk"),
    "done": ("done_share", "name", "pk"),
    "overdue": ("pledges_overdue", "name", "pk"),
}
DEFAULT_SORT = "name"


# ---------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------


@dataclass
class Scope:
    """The committees whose subtrees the dashboard covers: one (the person's committee, or
    the one chosen with ?c=) or several (staff of several committees side by side)."""

    roots: list[Committee]
    chosen: Committee | None = None
    # Committees above the chosen one that are still within the person's reach.
    ancestors: list[Committee] = field(default_factory=list)

    @property
    def single(self) -> Committee | None:
        return self.roots[0] if len(self.roots) == 1 else None

    def branch_q(self, prefix: str = "") -> Q:
        """Branches (or rows reached through `prefix`) under any of the roots."""
        scope = Q(pk__in=[])
        for root in self.roots:
            scope |= Q(**{f"{prefix}committee__path__startswith": root.path})
        return scope


def dashboard_scope(*, user, committee_id: str | None = None) -> Scope:
    """The dashboard's scope for a staff member: their committees (the topmost of them),
    or the committee of ?c= if it is within reach, else 404. One or two queries."""
    paths = staff_committee_paths(user)
    if committee_id:
        try:
            pk = int(committee_id)
        except ValueError:
            raise Http404(_("没有这个党委。")) from None
        chosen = committees_visible_to(user).filter(pk=pk).first()
        if chosen is None:
            raise Http404(_("没有这个党委，或不在您的管理范围内。"))
        above = [chosen.path[:end] for end in range(SEGMENT, len(chosen.path), SEGMENT)]
        reachable = [path for path in above if any(path.startswith(own) for own in paths)]
        ancestors = list(Committee.objects.filter(path__in=reachable).order_by("path"))
        return Scope(roots=[chosen], chosen=chosen, ancestors=ancestors)
    topmost = [path for path in paths if not any(path != o and path.startswith(o) for o in paths)]
    roots = list(Committee.objects.filter(path__in=topmost).order_by("path"))
    return Scope(roots=roots)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

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


def _quarter_bounds(year: int) -> list[tuple[datetime.date, datetime.date]]:
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
    quarters = _quarter_bounds(year)
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


def parse_sort(value: str | None) -> str:
    """A valid ?sort= value ('overdue', '-overdue' …) or the default."""
    if value and value.lstrip("-") in BRANCH_SORTS:
        return value
    return DEFAULT_SORT


def branch_table(*, scope: Scope, sort: str, today: datetime.date) -> QuerySet[Branch]:
    """The scope's branches with their figures (one query, see branches_with_figures),
    ordered by a ?sort= value; a leading '-' sorts descending."""
    descending = sort.startswith("-")
    terms = BRANCH_SORTS[sort.lstrip("-")]
    first = F(terms[0])
    order = [
        first.desc(nulls_last=True) if descending else first.asc(nulls_last=True),
        *terms[1:],
    ]
    return (
        branches_with_figures(
            Branch.objects.filter(scope.branch_q()).select_related("committee"), today=today
        )
        .annotate(
            done_share=ExpressionWrapper(
                F("pledges_done") * 1.0 / NullIf(F("pledges_total"), 0),
                output_field=FloatField(),
            )
        )
        .order_by(*order)
    )


# ---------------------------------------------------------------------------
# Charts: geometry computed here, drawn as inline SVG by the templates
# ---------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int
    width: str  # share of the longest bar, 0–100, for the SVG's viewBox
    url: str = ""


def bars(items: list[tuple[str, int, str]]) -> list[Bar]:
    """Horizontal bars (label, count, url) scaled to the largest count."""
    largest = max((count for _label, count, _url in items), default=0)
    return [
        Bar(
            label=label,
            count=count,
            width=f"{count * 100 / largest if largest else 0:.1f}",
            url=url,
        )
        for label, count, url in items
    ]


@dataclass
class QuarterColumn:
    label: str
    due: int
    completed: int
    x_due: str
    x_completed: str
    y_due: str
    y_completed: str
    h_due: str
    h_completed: str
    x_label: str


# The quarter chart's viewBox is 0 0 QUARTER_CHART_WIDTH QUARTER_CHART_HEIGHT; bars stand
# on the baseline, the labels below it.
QUARTER_CHART_WIDTH = 240
QUARTER_CHART_HEIGHT = 120
QUARTER_BASELINE = 100
QUARTER_BAR_WIDTH = 20


def quarter_columns(rows: list[QuarterRow]) -> list[QuarterColumn]:
    """Two bars per quarter (due, completed), heights scaled to the largest figure."""
    largest = max([row.due for row in rows] + [row.completed for row in rows] + [0])
    slot = QUARTER_CHART_WIDTH / len(rows) if rows else 0
    columns = []
    for index, row in enumerate(rows):
        left = index * slot + (slot - 2 * QUARTER_BAR_WIDTH) / 2
        h_due = row.due * (QUARTER_BASELINE - 10) / largest if largest else 0
        h_completed = row.completed * (QUARTER_BASELINE - 10) / largest if largest else 0
        columns.append(
            QuarterColumn(
                label=_("第%(quarter)s季度") % {"quarter": row.quarter},
                due=row.due,
                completed=row.completed,
                x_due=f"{left:.1f}",
                x_completed=f"{left + QUARTER_BAR_WIDTH:.1f}",
                y_due=f"{QUARTER_BASELINE - h_due:.1f}",
                y_completed=f"{QUARTER_BASELINE - h_completed:.1f}",
                h_due=f"{h_due:.1f}",
                h_completed=f"{h_completed:.1f}",
                x_label=f"{index * slot + slot / 2:.1f}",
            )
        )
    return columns


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def committee_label(row: CommitteeRow) -> str:
    return row.committee.name if row.committee else _("直属党支部")


def export_sheets(
    *,
    total: Figures,
    rows: list[CommitteeRow],
    branches,
    categories: list[CategoryRow],
    today: datetime.date,
) -> list[tuple[str, list[str], list[list]]]:
    """The dashboard's tables as (sheet title, headers, rows) for reviews.xlsx; the branch
    sheet holds every branch of the scope (one query)."""
    steps = total.by_step()
    overall = [
        [_("统计日期"), today.isoformat()],
        [_("党支部"), total.branches],
        [_("在册党员"), total.active_members],
        [_("已承诺党员"), total.pledged_members],
        [_("免于承诺党员"), total.exempt_members],
        [_("未覆盖党员"), total.uncovered_members],
        [_("承诺（不含已撤销）"), total.pledges_total],
        [_("已撤销承诺"), total.withdrawn],
        *[[str(status.label), total.by_status.get(status, 0)] for status in S],
        *[[_("六步：") + str(step.label), steps[step.value]] for step in Step],
        [_("已完成承诺"), total.pledges_done],
        [_("完成率（%）"), total.done_percent],
        [_("逾期承诺"), total.overdue],
    ]
    committee_sheet = [
        [
            committee_label(row),
            row.figures.branches,
            row.figures.active_members,
            row.figures.pledged_members,
            row.figures.exempt_members,
            row.figures.uncovered_members,
            row.figures.pledges_total,
            row.figures.pledges_done,
            row.figures.done_percent,
            row.figures.overdue,
            row.figures.withdrawn,
        ]
        for row in rows
    ]
    branch_sheet = [
        [
            branch.committee.name,
            branch.name,
            branch.active_members,
            branch.pledged_members,
            branch.exempt_members,
            branch.pledges_total,
            branch.pledges_done,
            percent(branch.pledges_done, branch.pledges_total),
            branch.pledges_overdue,
        ]
        for branch in branches
    ]
    category_sheet = [
        [row.label, row.total, row.done, row.done_percent, row.overdue, row.withdrawn]
        for row in categories
    ]
    return [
        (_("总体"), [_("项目"), _("数值")], overall),
        (
            _("各党委"),
            [
                _("党委"),
                _("党支部"),
                _("在册党员"),
                _("已承诺党员"),
                _("免于承诺党员"),
                _("未覆盖党员"),
                _("承诺数"),
                _("已完成"),
                _("完成率（%）"),
                _("逾期"),
                _("已撤销"),
            ],
            committee_sheet,
        ),
        (
            _("各支部"),
            [
                _("所属党委"),
                _("党支部"),
                _("在册党员"),
                _("已承诺党员"),
                _("免于承诺党员"),
                _("承诺数"),
                _("已完成"),
                _("完成率（%）"),
                _("逾期"),
            ],
            branch_sheet,
        ),
        (
            _("各类别"),
            [_("类别"), _("承诺数"), _("已完成"), _("完成率（%）"), _("逾期"), _("已撤销")],
            category_sheet,
        ),
    ]


# ---------------------------------------------------------------------------
# The pledges behind a figure
# ---------------------------------------------------------------------------
PLEDGES_PER_PAGE = 50


@dataclass
class PledgeFilter:
    """What a dashboard figure counts, as the query string of its pledge list."""

    status: str = ""
    step: str = ""
    category: str = ""
    overdue: bool = False
    done: bool = False
    due_quarter: int = 0
    completed_quarter: int = 0

    @classmethod
    def from_query(cls, query) -> "PledgeFilter":
        def quarter(name):
            value = query.get(name, "")
            return int(value) if value in {"1", "2", "3", "4"} else 0

        return cls(
            status=query.get("status", "") if query.get("status") in S.values else "",
            step=query.get("step", "") if query.get("step") in Step.values else "",
            category=query.get("category", "")
            if query.get("category") in NeedCategory.values
            else "",
            overdue=query.get("overdue") == "1",
            done=query.get("done") == "1",
            due_quarter=quarter("due_quarter"),
            completed_quarter=quarter("completed_quarter"),
        )

    def describe(self) -> list[str]:
        """The filter in words, for the list's heading."""
        words = []
        if self.status:
            words.append(str(S(self.status).label))
        if self.step:
            words.append(str(Step(self.step).label))
        if self.category:
            words.append(str(NeedCategory(self.category).label))
        if self.overdue:
            words.append(str(_("逾期")))
        if self.done:
            words.append(str(_("已完成")))
        if self.due_quarter:
            words.append(str(_("第%(q)d季度到期") % {"q": self.due_quarter}))
        if self.completed_quarter:
            words.append(str(_("第%(q)d季度完成") % {"q": self.completed_quarter}))
        return words


def scope_pledges(*, scope: Scope, wanted: PledgeFilter, today: datetime.date, year: int):
    """The pledges of the scope that a figure counts, with what a list row shows.

    Withdrawn pledges appear only when asked for by status, as the figures count them apart.
    """
    pledges = Pledge.objects.filter(scope.branch_q("owner_branch__")).select_related(
        "owner_branch", "member", "branch"
    )
    if wanted.status:
        pledges = pledges.filter(status=wanted.status)
    else:
        pledges = pledges.exclude(status=S.WITHDRAWN)
    if wanted.step:
        pledges = pledges.filter(
            status__in=[status for status, step in STATUS_STEP.items() if step == wanted.step]
        )
    if wanted.category:
        pledges = pledges.filter(category=wanted.category)
    if wanted.overdue:
        pledges = pledges.filter(status__in=OPEN_STATUSES, due_date__lt=today)
    if wanted.done:
        pledges = pledges.filter(status__in=DONE_STATUSES)
    bounds = _quarter_bounds(year)
    if wanted.due_quarter:
        start, end = bounds[wanted.due_quarter - 1]
        pledges = pledges.filter(due_date__gte=start, due_date__lt=end)
    if wanted.completed_quarter:
        start, end = bounds[wanted.completed_quarter - 1]
        pledges = pledges.filter(
            transitions__move=PledgeMove.COMPLETE,
            transitions__created_at__date__gte=start,
            transitions__created_at__date__lt=end,
        ).distinct()
    return pledges.order_by("due_date", "pk")

"""一图 in the workspace: the chart of a district or committee (the dashboard's scope), a
branch or a member, with the four review systems' figures of the reviews app.

The step figures are pledges.figures.step_figures over LIVE, which counts as the
dashboard's step bars (pledges.figures.steps_of, late_of); the systems' figures reuse the
review selectors' definitions (reviews.selectors.calendar). Geometry and the public chart
are pledges.chart.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from branches.http import fixed_url, id_url, parse_id
from branches.models import Branch, Member
from branches.permissions import staff_committee_paths
from branches.selectors import branch_for, member_for, secretary_branch
from pledges.chart import (
    HALFYEAR,
    MONTHLY,
    QUARTERLY,
    YEAREND,
    Chart,
    SystemBox,
    build_chart,
    ratio,
    system_box,
)
from pledges.enums import PledgeStatus, Step
from pledges.figures import LIVE
from pledges.figures.steps import step_figures
from pledges.models import Need, Pledge
from pledges.selectors import month_start
from reviews.dashboard.scope import Scope, dashboard_scope
from reviews.models import MonthlyReport, QuarterlyReview
from reviews.selectors.calendar import (
    YEAR_END_STATUSES,
    halfyear_pledges,
    reviewable_pledges,
)

S = PledgeStatus
CROSSED_OFF_STATUSES = frozenset({S.VERIFIED, S.EVALUATED})


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


@dataclass
class SystemFigures:
    """The four systems' figures of a set of branches (or of one member), as of a day."""

    reported: int
    members: int
    reviewed: int
    reviewable: int
    crossed_off: int
    due_by_half_year: int
    evaluated: int
    rateable: int


def system_figures(
    *, branches: QuerySet[Branch], today: datetime.date, member: Member | None = None
) -> SystemFigures:
    """This month's theme-party-day reports of the members on the roll; this quarter's
    upper reviews of the reviewable pledges (reviewable_pledges, the review that counts);
    the pledges due by June 30 (halfyear_pledges) crossed off (verified or evaluated);
    the year's rateable pledges (verified or evaluated) evaluated. Four queries.
    With `member`, that member's report and pledges (owned by `branches`) alone."""
    year, quarter = today.year, quarter_of(today)
    members = Member.objects.filter(branch__in=branches, is_active=True)
    if member is not None:
        members = members.filter(pk=member.pk)
    reported = MonthlyReport.objects.filter(member=OuterRef("pk"), month=month_start(today))
    roll = members.order_by().aggregate(
        total=Count("pk"), reported=Count("pk", filter=Q(Exists(reported)))
    )
    reviewable = reviewable_pledges(branches=branches, year=year)
    if member is not None:
        reviewable = reviewable.filter(member=member)
    review = QuarterlyReview.objects.filter(
        pledge=OuterRef("pk"), year=year, quarter=quarter, corrected_by__isnull=True
    )
    quarterly = reviewable.order_by().aggregate(
        total=Count("pk"), reviewed=Count("pk", filter=Q(Exists(review)))
    )
    half = halfyear_pledges(branches=branches, year=year)
    rateable = Pledge.objects.filter(
        owner_branch__in=branches, year=year, status__in=YEAR_END_STATUSES
    )
    if member is not None:
        half = half.filter(member=member)
        rateable = rateable.filter(member=member)
    halfyear = half.order_by().aggregate(
        total=Count("pk"), crossed=Count("pk", filter=Q(status__in=CROSSED_OFF_STATUSES))
    )
    yearend = rateable.order_by().aggregate(
        total=Count("pk"), evaluated=Count("pk", filter=Q(status=S.EVALUATED))
    )
    return SystemFigures(
        reported=roll["reported"],
        members=roll["total"],
        reviewed=quarterly["reviewed"],
        reviewable=quarterly["total"],
        crossed_off=halfyear["crossed"],
        due_by_half_year=halfyear["total"],
        evaluated=yearend["evaluated"],
        rateable=yearend["total"],
    )


def system_boxes(figures: SystemFigures | None, *, urls: dict[str, str]) -> list[SystemBox]:
    """The four systems with their figures, or (None) with their rhythm alone."""
    if figures is None:
        return [
            system_box(key, url=urls.get(key, ""))
            for key in (MONTHLY, QUARTERLY, HALFYEAR, YEAREND)
        ]
    return [
        system_box(
            MONTHLY,
            figure=ratio(_("本月已汇报"), figures.reported, figures.members),
            url=urls.get(MONTHLY, ""),
        ),
        system_box(
            QUARTERLY,
            figure=ratio(_("本季度已点评"), figures.reviewed, figures.reviewable),
            url=urls.get(QUARTERLY, ""),
        ),
        system_box(
            HALFYEAR,
            figure=ratio(_("上半年已销号"), figures.crossed_off, figures.due_by_half_year),
            url=urls.get(HALFYEAR, ""),
        ),
        system_box(
            YEAREND,
            figure=ratio(_("已评议"), figures.evaluated, figures.rateable),
            url=urls.get(YEAREND, ""),
        ),
    ]


def _with_query(url: str, **query) -> str:
    query = {name: value for name, value in query.items() if value not in ("", None)}
    return f"{url}?{urlencode(query)}" if query else url


def scope_chart(*, scope: Scope, today: datetime.date, with_systems: bool = True) -> Chart:
    """The chart of the dashboard's scope: the same step figures as its step bars, each
    linking to the dashboard's pledge list of that step (研诺: no list across branches, as
    on the dashboard). Six queries; two without the systems' figures."""
    branches = Branch.objects.filter(scope.branch_q())
    figures = step_figures(
        pledges=Pledge.objects.filter(scope.branch_q("owner_branch__")),
        needs=Need.objects.filter(scope.branch_q("branch__")),
        pledge_set=LIVE,
        today=today,
    )
    chosen = scope.chosen.pk if scope.chosen else ""
    listing = fixed_url("dashboard_pledges")
    links = {
        step.value: (
            _with_query(listing, c=chosen, step=step.value),
            _with_query(listing, c=chosen, step=step.value, overdue="1"),
        )
        for step in Step
        if step != Step.RESEARCH
    }
    year, quarter = today.year, quarter_of(today)
    urls = {
        MONTHLY: fixed_url("reviews:calendar"),
        QUARTERLY: _with_query(fixed_url("reviews:quarterly", year, quarter), committee=chosen),
        HALFYEAR: fixed_url("reviews:halfyear", year),
        YEAREND: _with_query(fixed_url("reviews:yearend", year), committee=chosen),
    }
    title = "、".join(root.name for root in scope.roots)
    return build_chart(
        title=title,
        figures=figures,
        systems=system_boxes(
            system_figures(branches=branches, today=today) if with_systems else None, urls=urls
        ),
        today=today,
        links=links,
    )


def branch_chart(
    *,
    branch: Branch,
    today: datetime.date,
    is_staff: bool,
    member: Member | None = None,
    with_systems: bool = True,
) -> Chart:
    """The chart of a branch (or of one of its members: their pledges the branch owns),
    the same step figures as the dashboard's branch row, each linking to the branch's
    lists. Six queries; two without the systems' figures."""
    pledges = Pledge.objects.filter(owner_branch=branch)
    needs = Need.objects.filter(branch=branch)
    pledger = ""
    if member is not None:
        pledges = pledges.filter(member=member)
        # A member's 研诺: the needs their pledges answer.
        needs = needs.filter(pledges__in=pledges.values("pk")).distinct()
        pledger = member.pk
    figures = step_figures(pledges=pledges, needs=needs, pledge_set=LIVE, today=today)
    listing = id_url("pledges:branch_pledges", branch.pk)
    needs_url = id_url("pledges:needs", branch.pk)
    links = {
        Step.RESEARCH.value: (needs_url, _with_query(needs_url, status="open")),
        **{
            step.value: (
                _with_query(listing, pledger=pledger, step=step.value),
                _with_query(listing, pledger=pledger, step=step.value, overdue="1"),
            )
            for step in Step
            if step != Step.RESEARCH
        },
    }
    year, quarter = today.year, quarter_of(today)
    calendar = fixed_url("reviews:calendar")
    urls = {
        MONTHLY: id_url("reviews:monthly_report", branch.pk),
        QUARTERLY: reverse("reviews:briefing", args=[branch.pk, year, quarter]),
        HALFYEAR: _with_query(fixed_url("reviews:halfyear", year), branch=branch.pk)
        if is_staff
        else calendar,
        YEAREND: fixed_url("reviews:yearend", year),
    }
    title = branch.name if member is None else f"{member.name}（{branch.name}）"
    return build_chart(
        title=title,
        figures=figures,
        systems=system_boxes(
            system_figures(branches=Branch.objects.filter(pk=branch.pk), today=today, member=member)
            if with_systems
            else None,
            urls=urls,
        ),
        today=today,
        links=links,
    )


def _id(value: str) -> int:
    """The id of ?c=, ?b= or ?m=, or 404."""
    pk = parse_id(value)
    if pk is None:
        raise Http404(_("没有这个对象。"))
    return pk


def chart_for(*, user, query, today: datetime.date) -> tuple[Chart, dict]:
    """The chart the workspace page asks for, within the person's reach (the workspace
    rules: an id out of reach answers 404), and what it is of: ?m=<member>, ?b=<branch>,
    ?c=<committee> (committee staff only), else the person's own scope (staff: their
    committees; a secretary: their branch)."""
    is_staff = bool(staff_committee_paths(user))
    if query.get("m"):
        member = member_for(user=user, member_id=_id(query["m"]))
        chart = branch_chart(branch=member.branch, today=today, is_staff=is_staff, member=member)
        return chart, {"member": member, "branch": member.branch}
    if query.get("b"):
        branch = branch_for(user=user, branch_id=_id(query["b"]))
        return branch_chart(branch=branch, today=today, is_staff=is_staff), {"branch": branch}
    if is_staff:
        scope = dashboard_scope(user=user, committee_id=query.get("c") or None)
        return scope_chart(scope=scope, today=today), {"scope": scope}
    if query.get("c"):
        raise PermissionDenied(_("只有党委工作人员可以查看党委的一图。"))
    branch = secretary_branch(user=user)
    if branch is None:
        raise PermissionDenied(_("您的账号还没有担任支部书记或党委工作人员。"))
    return branch_chart(branch=branch, today=today, is_staff=False), {"branch": branch}

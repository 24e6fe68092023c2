"""The district dashboard (committee staff) and its .xlsx export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.permissions import staff_committee_paths
from branches.xlsx import workbook_stream_response
from pledges.enums import NeedStatus, PledgeStatus, Step
from pledges.figures import LIVE, Figures
from pledges.figures.steps import NEED_CLAIM_DAYS
from pledges.selectors import OPEN_STATUSES
from reviews import dashboard as figures
from reviews.dashboard.kept import dashboard_state, kept_branch_page, kept_dashboard_figures


def _staff_scope(request) -> figures.Scope:
    if not staff_committee_paths(request.user):
        raise PermissionDenied(_("只有党委工作人员可以查看统计。"))
    return figures.dashboard_scope(user=request.user, committee_id=request.GET.get("c"))


@login_required
def dashboard(request):
    scope = _staff_scope(request)
    today = timezone.localdate()
    sort = figures.parse_sort(request.GET.get("sort"))
    state = dashboard_state(scope=scope, today=today)
    data = kept_dashboard_figures(scope=scope, today=today, state=state)
    total = data.total
    page = kept_branch_page(
        scope=scope, sort=sort, today=today, page_number=request.GET.get("page"), state=state
    )
    for branch in page.object_list:
        branch.figures = Figures.of_branch(branch, LIVE)
    # Links keep the chosen committee; "here" is this page with it.
    here = reverse("dashboard") + (f"?c={scope.chosen.pk}&" if scope.chosen else "?")
    listing = reverse("dashboard_pledges") + (f"?c={scope.chosen.pk}&" if scope.chosen else "?")
    status_bars = figures.bars(
        [
            (
                str(status.label),
                total.by_status.get(status, 0),
                f"{listing}status={status.value}",
            )
            for status in PledgeStatus
        ]
    )
    steps = total.by_step()
    # 研诺 counts needs, which have no list across branches; the other steps count pledges.
    step_bars = figures.bars(
        [
            (
                str(step.label),
                steps[step.value],
                "" if step == Step.RESEARCH else f"{listing}step={step.value}",
            )
            for step in Step
        ]
    )
    late = total.late_by_step()
    step_late = [
        (
            str(step.label),
            late[step.value],
            "" if step == Step.RESEARCH else f"{listing}step={step.value}&overdue=1",
        )
        for step in Step
        if late[step.value]
    ]
    needs = [
        (str(status.label), total.needs_by_status.get(status, 0))
        for status in figures.RESEARCH_NEED_STATUSES
    ]
    return render(
        request,
        "reviews/dashboard.html",
        {
            "scope": scope,
            "today": today,
            "total": total,
            "rows": data.rows,
            "categories": data.categories,
            "quarters": figures.quarter_columns(data.quarters),
            "quarter_chart": {
                "width": figures.QUARTER_CHART_WIDTH,
                "height": figures.QUARTER_CHART_HEIGHT,
                "baseline": figures.QUARTER_BASELINE,
                "bar_width": figures.QUARTER_BAR_WIDTH,
            },
            "status_bars": status_bars,
            "step_bars": step_bars,
            "step_late": step_late,
            "need_claim_days": NEED_CLAIM_DAYS,
            # 一图 of the same scope.
            "chart_url": reverse("reviews:chart")
            + (f"?c={scope.chosen.pk}" if scope.chosen else ""),
            "needs": needs,
            "needs_dropped": total.needs_by_status.get(NeedStatus.DROPPED, 0),
            "page_obj": page,
            "sort": sort,
            "sort_links": {
                column: f"-{column}" if sort == column else column
                for column in figures.BRANCH_SORTS
            },
            "here": here,
            "listing": listing,
            "nav_section": "dashboard",
        },
    )


@login_required
def dashboard_export(request):
    scope = _staff_scope(request)
    today = timezone.localdate()
    data = figures.dashboard_figures(scope=scope, today=today)
    branches = figures.branch_table(
        scope=scope, sort=figures.parse_sort(request.GET.get("sort")), today=today
    )
    sheets = figures.export_sheets(
        total=data.total,
        rows=data.rows,
        branches=branches,
        categories=data.categories,
        today=today,
    )
    name = scope.chosen.name if scope.chosen else _("双承诺统计")
    return workbook_stream_response(filename=f"{name}-{today:%Y%m%d}.xlsx", sheets=sheets)


@login_required
def dashboard_pledges(request):
    """The pledges behind a dashboard figure, in the same scope (?c=) and filters."""
    scope = _staff_scope(request)
    today = timezone.localdate()
    wanted = figures.PledgeFilter.from_query(request.GET)
    pledges = figures.scope_pledges(scope=scope, wanted=wanted, today=today, year=today.year)
    page = Paginator(pledges, figures.PLEDGES_PER_PAGE).get_page(request.GET.get("page"))
    back = reverse("dashboard") + (f"?c={scope.chosen.pk}" if scope.chosen else "")
    return render(
        request,
        "reviews/dashboard_pledges.html",
        {
            "scope": scope,
            "today": today,
            "filters": wanted.describe(),
            "page_obj": page,
            "back": back,
            "open_statuses": [status.value for status in OPEN_STATUSES],
            "nav_section": "dashboard",
        },
    )

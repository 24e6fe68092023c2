"""The /work/ home page: each person's to-do, which combines pledges and reviews."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from branches.permissions import is_organisation_staff, staff_committee_paths
from branches.selectors import secretary_branch
from branches.selectors_organisation import organisation_todo
from reviews.chart import branch_chart, scope_chart
from reviews.dashboard.scope import dashboard_scope
from reviews.selectors.home import secretary_todo, staff_todo


@login_required
def home(request):
    """Each person's own to-do: a secretary's branch, committee staff's subtree, and the
    organisation staff's accounts and branches."""
    branch = secretary_branch(user=request.user)
    is_staff = bool(staff_committee_paths(request.user))
    today = timezone.localdate()
    # 一图 of the person's scope, its steps' figures (the full page adds the systems').
    chart = None
    if is_staff:
        chart = scope_chart(
            scope=dashboard_scope(user=request.user), today=today, with_systems=False
        )
    elif branch:
        chart = branch_chart(branch=branch, today=today, is_staff=False, with_systems=False)
    context = {
        "chart": chart,
        "secretary_todo": secretary_todo(branch=branch) if branch else None,
        "staff_todo": staff_todo(user=request.user) if is_staff else None,
        "organisation_todo": organisation_todo(user=request.user)
        if is_organisation_staff(request.user)
        else None,
    }
    return render(request, "reviews/home.html", context)

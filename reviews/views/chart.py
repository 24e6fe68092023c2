"""一图: the chart of the six steps of a district, committee, branch or member."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from branches.models import Member
from branches.permissions import staff_committee_paths
from reviews.chart import chart_for


@login_required
def chart(request):
    """The chart (?c=<committee>, ?b=<branch>, ?m=<member>; else the person's own scope),
    on a page that prints on one A4 landscape sheet. A branch's page offers its members'
    charts (one query more)."""
    today = timezone.localdate()
    found, of = chart_for(user=request.user, query=request.GET, today=today)
    branch = of.get("branch")
    members = (
        list(Member.objects.filter(branch=branch, is_active=True).order_by("name", "pk"))
        if branch is not None
        else []
    )
    return render(
        request,
        "pledges/chart/page.html",
        {
            "chart": found,
            "today": today,
            "members": members,
            "is_staff": bool(staff_committee_paths(request.user)),
            "nav_section": "manuals",
            **of,
        },
    )

"""The review calendar (四项制度): which review is due when, done, late or upcoming."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from branches.permissions import staff_committee_paths
from reviews.selectors.calendar import (
    QUARTERS,
    branch_calendars,
    calendar_branches,
    check_period,
)

BRANCHES_PER_PAGE = 20


def _year(request, today) -> int:
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    check_period(year)
    return year


@login_required
def review_calendar(request):
    today = timezone.localdate()
    year = _year(request, today)
    page = Paginator(calendar_branches(user=request.user), BRANCHES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/calendar/calendar.html",
        {
            "year": year,
            "today": today,
            "page_obj": page,
            "calendars": branch_calendars(branches=list(page), year=year, today=today),
            "is_staff": bool(staff_committee_paths(request.user)),
            "quarters": QUARTERS,
            "previous_year": year - 1,
            "next_year": year + 1,
        },
    )

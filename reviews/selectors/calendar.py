"""Reads for the review calendar, the quarterly reviews and the half-year check.

Every reader returns what its page shows in a fixed number of queries, scoped to the
person's reach: figures are counted in SQL per branch, never per row in Python.
"""

import calendar as stdlib_calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branches.models import PATH_SEGMENT_WIDTH, Branch, Committee, Member
from branches.permissions import staff_committee_paths
from branches.selectors import branches_visible_to, committees_visible_to
from pledges.enums import PledgeStatus
from pledges.figures import LIVE, overdue_q
from pledges.models import Pledge
from pledges.workflow import DONE_STATUSES, PUBLIC_STATUSES
from reviews.enums import NoticeStatus
from reviews.models import (
    HalfYearNotice,
    MonthlyReport,
    QuarterlyBriefing,
    QuarterlyReview,
    QuarterSignOff,
    YearEndEvaluation,
)

# Years the review pages open for; others answer 404.
FIRST_YEAR, LAST_YEAR = 2000, 2100
QUARTERS = (1, 2, 3, 4)
# Branch pledges the upper organisation reviews each quarter: published or later,
# withdrawn ones excluded (PUBLIC_STATUSES never holds withdrawn).
REVIEWABLE_STATUSES = PUBLIC_STATUSES
# Pledges evaluated at the year end: crossed off (verified) or already evaluated.
YEAR_END_STATUSES = frozenset({PledgeStatus.VERIFIED, PledgeStatus.EVALUATED})
# Approved or published but not yet begun: "not started" in the half-year notice.
NOT_STARTED_STATUSES = frozenset({PledgeStatus.APPROVED, PledgeStatus.PUBLISHED})


# ---------------------------------------------------------------- dates and states


def check_period(year: int, quarter: int | None = None) -> None:
    """404 for a year or quarter no page is for."""
    if not FIRST_YEAR <= year <= LAST_YEAR or (quarter is not None and quarter not in QUARTERS):
        raise Http404(_("没有这个时间段。"))


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, stdlib_calendar.monthrange(year, month)[1])


def quarter_end(year: int, quarter: int) -> datetime.date:
    return month_end(year, quarter * 3)


def half_year_end(year: int) -> datetime.date:
    return datetime.date(year, 6, 30)


def year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


DONE, LATE, UPCOMING = "done", "late", "upcoming"
STATE_LABELS = {DONE: _("已完成"), LATE: _("逾期"), UPCOMING: _("未到期")}


def review_state(*, done: bool, due: datetime.date, today: datetime.date) -> str:
    """Done when done; otherwise late once its due date has passed, else upcoming.
    The due date itself still counts as in time."""
    if done:
        return DONE
    return LATE if today > due else UPCOMING


# ---------------------------------------------------------------- reach and sign-off


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a committee and of every committee above it."""
    step = PATH_SEGMENT_WIDTH + 1
    return [path[:end] for end in range(step, len(path) + 1, step)]


def signed_off_under(path: str, signed_paths) -> bool:
    """A quarter is signed off for a committee once it, or any committee above it, signed."""
    return any(path.startswith(signed) for signed in signed_paths)


def signed_paths(*, year: int, quarter: int) -> set[str]:
    """Paths of the committees that signed the quarter off (one query)."""
    return set(
        QuarterSignOff.objects.filter(year=year, quarter=quarter).values_list(
            "committee__path", flat=True
        )
    )


def quarter_is_signed_off(*, committee: Committee, year: int, quarter: int) -> bool:
    return QuarterSignOff.objects.filter(
        year=year, quarter=quarter, committee__path__in=ancestor_paths(committee.path)
    ).exists()


def staff_branches(*, user) -> QuerySet[Branch]:
    """Branches under the committees the user is staff of (a secretary's own branch is
    not part of it: the upper side of a review is the committees' work)."""
    scope = Q(pk__in=[])
    for path in staff_committee_paths(user):
        scope |= Q(committee__path__startswith=path)
    return Branch.objects.filter(scope)


def staff_branch_for(*, user, branch_id) -> Branch:
    """The branch if it is under one of the user's committees, else 404."""
    try:
        branch_id = int(branch_id)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(staff_branches(user=user).select_related("committee"), pk=branch_id)


def committee_for(*, user, committee_id) -> Committee:
    """A committee in the user's reach, or 404; without an id, the user's top committee."""
    committees = committees_visible_to(user)
    if committee_id in (None, ""):
        committee = committees.first()
        if committee is None:
            raise Http404
        return committee
    try:
        committee_id = int(committee_id)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(committees, pk=committee_id)


# ---------------------------------------------------------------- the calendar


@dataclass
class CalendarItem:
    label: str
    due: datetime.date
    state: str
    url_name: str = ""
    url_args: tuple = ()
    url_query: str = ""
    # The link leads to a page for committee staff only.
    staff_only: bool = False

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def url(self) -> str:
        if not self.url_name:
            return ""
        url = reverse(self.url_name, args=self.url_args)
        return f"{url}?{self.url_query}" if self.url_query else url


@dataclass
class BranchCalendar:
    branch: Branch
    months: list[CalendarItem] = field(default_factory=list)
    briefings: list[CalendarItem] = field(default_factory=list)
    upper_reviews: list[CalendarItem] = field(default_factory=list)
    half_year: CalendarItem | None = None
    year_end: CalendarItem | None = None


def calendar_branches(*, user) -> QuerySet[Branch]:
    """The branches whose calendar the user follows: their own as secretary and their
    committees' subtrees."""
    return branches_visible_to(user=user).select_related("committee").order_by("name", "pk")


def branch_calendars(
    *, branches: list[Branch], year: int, today: datetime.date
) -> list[BranchCalendar]:
    """The year's review calendar of each branch (their committees selected), in nine
    queries whatever the number of branches.

    Rules (each item done / late / upcoming through `review_state`):
    - month: every active member reported at that month's theme party day, and the
      branch has at least one active member;
    - branch briefing: the branch recorded its quarterly briefing;
    - upper review: every branch pledge of the year that is published or later (not
      withdrawn) has a review for the quarter, and the quarter is signed off by the
      branch's committee or one above it;
    - half year: a notice of the year was published by the branch's committee or one
      above it;
    - year end: the branch has verified-or-later pledges of the year and every one has
      a year-end evaluation.
    """
    ids = [branch.pk for branch in branches]
    active = dict(
        Member.objects.filter(branch_id__in=ids, is_active=True)
        .values("branch_id")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "n")
    )
    reported = {
        (branch_id, month.month): n
        for branch_id, month, n in MonthlyReport.objects.filter(
            member__branch_id__in=ids,
            member__is_active=True,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
        )
        .values("member__branch_id", "month")
        .annotate(n=Count("member", distinct=True))
        .values_list("member__branch_id", "month", "n")
    }
    briefed = set(
        QuarterlyBriefing.objects.filter(branch_id__in=ids, year=year).values_list(
            "branch_id", "quarter"
        )
    )
    pledges = Pledge.objects.filter(owner_branch_id__in=ids, year=year)
    figures = {
        row["owner_branch_id"]: row
        for row in pledges.values("owner_branch_id").annotate(
            reviewable=Count("pk", filter=Q(branch__isnull=False, status__in=REVIEWABLE_STATUSES)),
            year_end=Count("pk", filter=Q(status__in=YEAR_END_STATUSES)),
        )
    }
    reviewed = {
        (branch_id, quarter): n
        for branch_id, quarter, n in QuarterlyReview.objects.filter(
            year=year,
            pledge__year=year,
            pledge__owner_branch_id__in=ids,
            pledge__branch__isnull=False,
            pledge__status__in=REVIEWABLE_STATUSES,
        )
        .values("pledge__owner_branch_id", "quarter")
        .annotate(n=Count("pledge", distinct=True))
        .values_list("pledge__owner_branch_id", "quarter", "n")
    }
    evaluated = dict(
        YearEndEvaluation.objects.filter(
            year=year,
            pledge__year=year,
            pledge__owner_branch_id__in=ids,
            pledge__status__in=YEAR_END_STATUSES,
        )
        .values("pledge__owner_branch_id")
        .annotate(n=Count("pledge", distinct=True))
        .values_list("pledge__owner_branch_id", "n")
    )
    signed = {
        (path, quarter)
        for path, quarter in QuarterSignOff.objects.filter(year=year).values_list(
            "committee__path", "quarter"
        )
    }
    notices = dict(
        HalfYearNotice.objects.filter(year=year, status=NoticeStatus.PUBLISHED).values_list(
            "committee__path", "pk"
        )
    )

    calendars = []
    for branch in branches:
        path = branch.committee.path
        row = figures.get(branch.pk, {"reviewable": 0, "year_end": 0})
        members = active.get(branch.pk, 0)
        item = BranchCalendar(branch=branch)
        for month in range(1, 13):
            done = members > 0 and reported.get((branch.pk, month), 0) >= members
            item.months.append(
                CalendarItem(
                    label=_("%(month)s月") % {"month": month},
                    due=month_end(year, month),
                    state=review_state(done=done, due=month_end(year, month), today=today),
                    url_name="reviews:monthly_report_month",
                    url_args=(branch.pk, year, month),
                )
            )
        for quarter in QUARTERS:
            due = quarter_end(year, quarter)
            label = _("第%(quarter)s季度") % {"quarter": quarter}
            item.briefings.append(
                CalendarItem(
                    label=label,
                    due=due,
                    state=review_state(done=(branch.pk, quarter) in briefed, due=due, today=today),
                    url_name="reviews:briefing",
                    url_args=(branch.pk, year, quarter),
                )
            )
            is_signed = any((p, quarter) in signed for p in ancestor_paths(path))
            all_reviewed = reviewed.get((branch.pk, quarter), 0) >= row["reviewable"]
            item.upper_reviews.append(
                CalendarItem(
                    label=label,
                    due=due,
                    state=review_state(done=is_signed and all_reviewed, due=due, today=today),
                    url_name="reviews:quarterly",
                    url_args=(year, quarter),
                    url_query=f"branch={branch.pk}",
                    staff_only=True,
                )
            )
        notice_id = next((notices[p] for p in ancestor_paths(path) if p in notices), None)
        item.half_year = CalendarItem(
            label=_("半年销号"),
            due=half_year_end(year),
            state=review_state(done=notice_id is not None, due=half_year_end(year), today=today),
            url_name="reviews_public:notice" if notice_id else "reviews:halfyear",
            url_args=(notice_id,) if notice_id else (year,),
            staff_only=notice_id is None,
        )
        year_end_done = 0 < row["year_end"] <= evaluated.get(branch.pk, 0)
        item.year_end = CalendarItem(
            label=_("年终评议"),
            due=year_end(year),
            state=review_state(done=year_end_done, due=year_end(year), today=today),
            url_name="reviews:yearend",
            url_args=(year,),
            staff_only=True,
        )
        calendars.append(item)
    return calendars


# ---------------------------------------------------------------- quarterly reviews


def reviewable_pledges(*, branches: QuerySet[Branch], year: int) -> QuerySet[Pledge]:
    """Branch pledges of the year that the upper organisation reviews each quarter."""
    return (
        Pledge.objects.filter(
            owner_branch__in=branches,
            branch__isnull=False,
            year=year,
            status__in=REVIEWABLE_STATUSES,
        )
        .select_related("owner_branch__committee")
        .order_by("owner_branch__name", "owner_branch_id", "due_date", "pk")
    )


def current_reviews(*, pledge_ids, year: int, quarter: int) -> dict[int, QuarterlyReview]:
    """pledge id → the review that counts (the newest row of its chain), in one query."""
    return {
        review.pledge_id: review
        for review in QuarterlyReview.objects.filter(
            pledge_id__in=list(pledge_ids),
            year=year,
            quarter=quarter,
            corrected_by__isnull=True,
        ).select_related("reviewer")
    }


def review_chain(*, pledge: Pledge, year: int, quarter: int) -> list[QuarterlyReview]:
    """Every row of the pledge's review for the quarter, the original first."""
    return list(
        QuarterlyReview.objects.filter(pledge=pledge, year=year, quarter=quarter)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    )


# ---------------------------------------------------------------- the half-year check


def halfyear_pledges(*, branches: QuerySet[Branch], year: int) -> QuerySet[Pledge]:
    """Every pledge of the year due by June 30, withdrawn ones left out, by branch."""
    return (
        Pledge.objects.filter(
            owner_branch__in=branches, year=year, due_date__lte=half_year_end(year)
        )
        .exclude(status=PledgeStatus.WITHDRAWN)
        .select_related("owner_branch", "member", "branch")
        .order_by("owner_branch__name", "owner_branch_id", "due_date", "pk")
    )


def completed_pledges(*, branches: QuerySet[Branch]) -> QuerySet[Pledge]:
    """Completed pledges of the branches, of any year, waiting to be crossed off (销号):
    by committee, branch and due date."""
    return (
        Pledge.objects.filter(owner_branch__in=branches, status=PledgeStatus.COMPLETED)
        .select_related("owner_branch__committee", "member", "branch")
        .order_by(
            "owner_branch__committee__path",
            "owner_branch__name",
            "owner_branch_id",
            "due_date",
            "pk",
        )
    )


def staff_branch_choices(*, user) -> list[tuple[int, str]]:
    """The branches under the user's committees as (id, "name（committee）") choices, for
    the filters of the staff tables: one query."""
    return [
        (pk, f"{name}（{committee}）")
        for pk, name, committee in staff_branches(user=user)
        .order_by("name", "pk")
        .values_list("pk", "name", "committee__name")
    ]


def staff_filter_choices(*, user) -> tuple[list, list]:
    """(committees, branches) under the user's committees as (id, name) choices: two
    queries."""
    committees = list(committees_visible_to(user).values_list("pk", "name"))
    return committees, staff_branch_choices(user=user)


@dataclass(frozen=True)
class BranchHalfYear:
    branch_id: int
    branch_name: str
    total: int
    done: int
    overdue: int
    not_started: int


def halfyear_figures(
    *, committee: Committee, year: int, today: datetime.date
) -> list[BranchHalfYear]:
    """Per branch of the committee's subtree with pledges due by the half year: how many,
    done, overdue (the one definition, pledges.figures, as of `today`) and not started.
    One query."""
    rows = (
        Pledge.objects.filter(
            owner_branch__committee__path__startswith=committee.path,
            year=year,
            due_date__lte=half_year_end(year),
        )
        .exclude(status=PledgeStatus.WITHDRAWN)
        .values("owner_branch_id", "owner_branch__name")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status__in=DONE_STATUSES)),
            overdue=Count("pk", filter=overdue_q(LIVE, today, year=year)),
            not_started=Count("pk", filter=Q(status__in=NOT_STARTED_STATUSES)),
        )
        .order_by("owner_branch__name", "owner_branch_id")
    )
    return [
        BranchHalfYear(
            branch_id=row["owner_branch_id"],
            branch_name=row["owner_branch__name"],
            total=row["total"],
            done=row["done"],
            overdue=row["overdue"],
            not_started=row["not_started"],
        )
        for row in rows
    ]


def published_notice_for(*, notice_id: int) -> HalfYearNotice:
    return get_object_or_404(
        HalfYearNotice.objects.filter(status=NoticeStatus.PUBLISHED).select_related("committee"),
        pk=notice_id,
    )

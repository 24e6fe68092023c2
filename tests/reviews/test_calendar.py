import datetime

import pytest
from django.urls import reverse

from branches.models import Branch
from pledges.enums import PledgeStatus
from reviews.enums import NoticeStatus, ReviewRating
from reviews.models import (
    HalfYearNotice,
    MonthlyReport,
    QuarterlyBriefing,
    QuarterlyReview,
    QuarterSignOff,
    YearEndEvaluation,
)
from reviews.selectors.calendar import (
    DONE,
    LATE,
    UPCOMING,
    ancestor_paths,
    branch_calendars,
    review_state,
)
from tests import factories

YEAR = 2026
TODAY = datetime.date(2026, 7, 15)


@pytest.mark.parametrize(
    ("done", "due", "today", "expected"),
    [
        (True, datetime.date(2026, 3, 31), datetime.date(2026, 7, 1), DONE),
        (True, datetime.date(2026, 9, 30), datetime.date(2026, 7, 1), DONE),
        (False, datetime.date(2026, 3, 31), datetime.date(2026, 4, 1), LATE),
        (False, datetime.date(2026, 3, 31), datetime.date(2026, 3, 31), UPCOMING),
        (False, datetime.date(2026, 9, 30), datetime.date(2026, 7, 1), UPCOMING),
    ],
)
def test_review_state_rule(done, due, today, expected):
    assert review_state(done=done, due=due, today=today) == expected


def test_ancestor_paths_lists_each_level():
    assert ancestor_paths("0000000a/0000000b/0000000c/") == [
        "0000000a/",
        "0000000a/0000000b/",
        "0000000a/0000000b/0000000c/",
    ]


def pledge_at(org, status, *, member=None, year=YEAR):
    pledge = factories.make_pledge(branch=None if member else org.branch, member=member, year=year)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)


@pytest.fixture
def year_of_branch(org):
    """org.branch part-way through the year, as seen on July 15."""
    one, two = factories.make_member(org.branch), factories.make_member(org.branch)
    factories.make_member(org.branch, is_active=False)  # left: not counted
    for member in (one, two):
        MonthlyReport.objects.create(
            member=member, month=datetime.date(YEAR, 1, 1), recorded_by=org.secretary
        )
    MonthlyReport.objects.create(
        member=one, month=datetime.date(YEAR, 2, 1), recorded_by=org.secretary
    )
    for member in (one, two):  # July, reported before month end
        MonthlyReport.objects.create(
            member=member, month=datetime.date(YEAR, 7, 1), recorded_by=org.secretary
        )
    QuarterlyBriefing.objects.create(
        branch=org.branch,
        year=YEAR,
        quarter=1,
        summary="通报",
        held_on=datetime.date(YEAR, 3, 28),
        recorded_by=org.secretary,
    )
    published = pledge_at(org, PledgeStatus.IN_PROGRESS)
    pledge_at(org, PledgeStatus.SUBMITTED)  # not reviewable: not published
    pledge_at(org, PledgeStatus.IN_PROGRESS, member=one)  # member pledge: the branch reviews
    for quarter in (1, 2):
        QuarterlyReview.objects.create(
            pledge=published,
            year=YEAR,
            quarter=quarter,
            rating=ReviewRating.GOOD,
            on_schedule=True,
            reviewer=org.town_staff,
        )
    # Q1 signed off by the district: covers the town's branches too. Q2 not signed.
    QuarterSignOff.objects.create(
        committee=org.district, year=YEAR, quarter=1, signed_by=org.district_staff
    )
    # Q3 signed, but the pledge has no Q3 review yet.
    QuarterSignOff.objects.create(
        committee=org.town, year=YEAR, quarter=3, signed_by=org.town_staff
    )
    HalfYearNotice.objects.create(
        committee=org.town,
        year=YEAR,
        title="通报",
        body="正文",
        generated_body="正文",
        status=NoticeStatus.PUBLISHED,
        author=org.town_staff,
    )
    return org


def states(org, branch, today=TODAY):
    branch = Branch.objects.select_related("committee").get(pk=branch.pk)
    (item,) = branch_calendars(branches=[branch], year=YEAR, today=today)
    return item


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        (lambda c: c.months[0], DONE),  # January: both active members reported
        (lambda c: c.months[1], LATE),  # February: one of two
        (lambda c: c.months[5], LATE),  # June: nobody
        (lambda c: c.months[6], DONE),  # July: done before its end
        (lambda c: c.months[7], UPCOMING),
        (lambda c: c.briefings[0], DONE),
        (lambda c: c.briefings[1], LATE),
        (lambda c: c.briefings[2], UPCOMING),
        (lambda c: c.upper_reviews[0], DONE),  # reviewed, signed off above
        (lambda c: c.upper_reviews[1], LATE),  # reviewed, not signed off
        (lambda c: c.upper_reviews[2], UPCOMING),  # signed, not reviewed, not yet due
        (lambda c: c.half_year, DONE),
        (lambda c: c.year_end, UPCOMING),
    ],
)
def test_calendar_states_of_a_branch(year_of_branch, which, expected):
    assert which(states(year_of_branch, year_of_branch.branch)).state == expected


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        (lambda c: c.upper_reviews[2], LATE),  # signed but a pledge lacks its review
        (lambda c: c.upper_reviews[3], LATE),
        (lambda c: c.year_end, LATE),  # no verified pledge evaluated
        (lambda c: c.months[11], LATE),
    ],
)
def test_calendar_states_after_the_year(year_of_branch, which, expected):
    assert which(
        states(year_of_branch, year_of_branch.branch, datetime.date(2027, 1, 5))
    ).state == (expected)


def test_calendar_half_year_not_done_for_another_town(year_of_branch):
    org = year_of_branch
    assert states(org, org.far_branch).half_year.state == LATE
    assert states(org, org.branch).half_year.url.startswith("/notices/")


def test_calendar_draft_notice_does_not_count(org):
    HalfYearNotice.objects.create(
        committee=org.district,
        year=YEAR,
        title="通报",
        body="正文",
        generated_body="正文",
        author=org.district_staff,
    )
    assert states(org, org.branch).half_year.state == LATE


def test_calendar_year_end_done_when_every_verified_pledge_is_evaluated(org):
    verified = pledge_at(org, PledgeStatus.VERIFIED)
    assert states(org, org.branch, datetime.date(2027, 1, 5)).year_end.state == LATE
    YearEndEvaluation.objects.create(
        pledge=verified,
        year=YEAR,
        organisation_rating=ReviewRating.GOOD,
        result_score=95,
        result=ReviewRating.GOOD,
        evaluated_by=org.town_staff,
    )
    assert states(org, org.branch, datetime.date(2027, 1, 5)).year_end.state == DONE


def test_calendar_branch_without_members_is_never_done(org):
    assert states(org, org.other_branch).months[0].state == LATE


CALENDAR_URL = reverse("reviews:calendar")


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("secretary", ["范寨村党支部"], ["姬石村党支部", "远村党支部"]),
        ("town_staff", ["范寨村党支部", "姬石村党支部"], ["远村党支部"]),
        ("district_staff", ["范寨村党支部", "姬石村党支部", "远村党支部"], []),
    ],
)
def test_calendar_page_shows_the_reach(client_as, who, shown, hidden):
    response = client_as(who).get(CALENDAR_URL, {"year": YEAR})
    assert response.status_code == 200
    text = response.content.decode()
    for name in shown:
        assert name in text
    for name in hidden:
        assert name not in text


def test_calendar_page_needs_sign_in(client_as):
    response = client_as("anonymous").get(CALENDAR_URL)
    assert response.status_code == 302


def test_calendar_page_refuses_an_impossible_year(client_as):
    assert client_as("district_staff").get(CALENDAR_URL, {"year": 99999}).status_code == 404


def test_calendar_page_links_for_staff_only(client_as, org):
    quarterly = reverse("reviews:quarterly", args=[YEAR, 1]) + f"?branch={org.branch.pk}"
    briefing = reverse("reviews:briefing", args=[org.branch.pk, YEAR, 1])
    staff_page = client_as("town_staff").get(CALENDAR_URL, {"year": YEAR}).content.decode()
    secretary_page = client_as("secretary").get(CALENDAR_URL, {"year": YEAR}).content.decode()
    assert quarterly in staff_page
    assert quarterly not in secretary_page
    assert briefing in secretary_page


def grow(org, size):
    for _ in range(size):
        secretary = factories.make_user()
        branch = factories.make_branch(org.town, secretary)
        member = factories.make_member(branch)
        MonthlyReport.objects.create(
            member=member, month=datetime.date(YEAR, 1, 1), recorded_by=org.town_staff
        )
        pledge = factories.make_pledge(branch=branch)
        factories.walk_to(pledge, PledgeStatus.VERIFIED, secretary=secretary, staff=org.town_staff)
        QuarterlyBriefing.objects.create(
            branch=branch,
            year=YEAR,
            quarter=1,
            summary="通报",
            held_on=datetime.date(YEAR, 3, 1),
            recorded_by=org.town_staff,
        )


@pytest.mark.parametrize("size", [2, 12])
def test_calendar_page_queries_do_not_grow(client_as, org, django_assert_max_num_queries, size):
    grow(org, size)
    client = client_as("district_staff")
    with django_assert_max_num_queries(14):
        response = client.get(CALENDAR_URL, {"year": YEAR})
    assert response.status_code == 200

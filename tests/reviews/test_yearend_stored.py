"""The stored year-end figures (reviews.stored_figures) never drift: after every kind of
change they equal a fresh count, and the year-end page reads them for committee staff."""

import pytest
from django.core.management import call_command

from branches.models import Branch
from pledges.models import Pledge
from reviews.enums import ReviewRating
from reviews.selectors.yearend import (
    RATEABLE_STATUSES,
    with_first_evaluation,
    yearend_counts,
    yearend_page,
    yearend_pledges,
)
from reviews.services.yearend import evaluation_record, evaluations_confirm, yearend_publish
from reviews.stored_figures import YEAREND_FIGURES, YearEndFigures
from tests.factories import make_member
from tests.reviews.test_yearend import TODAY, YEAR, pledge_at

R = ReviewRating


def fresh_count() -> dict:
    """(branch, year) → figures, counted from the pledges and evaluations."""
    counted = {}
    years = set(Pledge.objects.values_list("year", flat=True))
    for year in years:
        pledges = Pledge.objects.filter(year=year, status__in=RATEABLE_STATUSES)
        for item in (
            with_first_evaluation(pledges, year=year)
            .values("owner_branch")
            .annotate(**yearend_counts())
        ):
            counted[(item["owner_branch"], year)] = {n: item[n] for n in YEAREND_FIGURES}
    return counted


def stored() -> dict:
    return {
        (row.branch_id, row.year): {n: getattr(row, n) for n in YEAREND_FIGURES}
        for row in YearEndFigures.objects.all()
        if any(getattr(row, n) for n in YEAREND_FIGURES)
    }


def assert_no_drift():
    assert stored() == fresh_count()


@pytest.fixture
def rated(org):
    o = org
    o.member_pledge = pledge_at(org, member=make_member(org.branch, name="李荣花"))
    o.branch_pledge = pledge_at(org, branch=org.other_branch)
    o.far_pledge = pledge_at(org, branch=org.far_branch)
    assert_no_drift()  # crossed off (verified): to rate, none rated
    return o


@pytest.mark.django_db
def test_every_kind_of_change_leaves_no_drift(rated):
    o = rated
    # A member's pledge rated by its secretary: rated, waiting for confirmation.
    evaluation_record(pledge=o.member_pledge, actor=o.secretary, organisation_rating=R.GOOD)
    assert_no_drift()
    assert stored()[(o.branch.pk, YEAR)] == {"total": 1, "rated": 1, "waiting": 1, "published": 0}
    # A correction of it: still one chain.
    evaluation_record(pledge=o.member_pledge, actor=o.secretary, organisation_rating=R.FAIR)
    assert_no_drift()
    # A branch's pledge rated by staff: evaluated at once.
    evaluation_record(pledge=o.branch_pledge, actor=o.town_staff, organisation_rating=R.POOR)
    assert_no_drift()
    # Confirmed: no longer waiting.
    evaluations_confirm(actor=o.town_staff, year=YEAR)
    assert_no_drift()
    assert stored()[(o.branch.pk, YEAR)]["waiting"] == 0
    # Published (marked in bulk).
    yearend_publish(actor=o.town_staff, year=YEAR, today=TODAY)
    assert_no_drift()
    assert stored()[(o.other_branch.pk, YEAR)]["published"] == 1
    # Another pledge crossed off later.
    pledge_at(o, branch=o.other_branch, title="补种树苗")
    assert_no_drift()
    assert stored()[(o.other_branch.pk, YEAR)]["total"] == 2


@pytest.mark.django_db
def test_refresh_figures_counts_them_again(rated):
    evaluation_record(
        pledge=rated.branch_pledge, actor=rated.town_staff, organisation_rating=R.GOOD
    )
    YearEndFigures.objects.all().delete()
    call_command("refresh_figures")
    assert_no_drift()
    assert stored()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["district_staff", "town_staff", "other_town_staff", "secretary", "other_secretary"]
)
def test_the_page_shows_the_fresh_figures(rated, role):
    o = rated
    evaluation_record(pledge=o.member_pledge, actor=o.secretary, organisation_rating=R.GOOD)
    evaluation_record(pledge=o.far_pledge, actor=o.other_town_staff, organisation_rating=R.FAIR)
    user = getattr(o, role)
    page = yearend_page(user=user, year=YEAR)
    fresh = with_first_evaluation(yearend_pledges(user=user, year=YEAR), year=YEAR).aggregate(
        **yearend_counts()
    )
    assert {n: getattr(page, n) for n in YEAREND_FIGURES} == fresh
    assert page.page.paginator.count == fresh["total"]


@pytest.mark.django_db
def test_staff_who_is_also_a_secretary_elsewhere_is_counted_live(rated):
    """Their list is their subtree and their own branch's member pledges: not a subtree's."""
    o = rated
    Branch.objects.filter(pk=o.far_branch.pk).update(secretary=o.town_staff)
    far_branch = Branch.objects.get(pk=o.far_branch.pk)
    far_member_pledge = pledge_at(o, member=make_member(far_branch))
    evaluation_record(pledge=far_member_pledge, actor=o.town_staff, organisation_rating=R.GOOD)
    user = type(o.town_staff).objects.get(pk=o.town_staff.pk)  # as a new request reads it
    page = yearend_page(user=user, year=YEAR)
    fresh = with_first_evaluation(yearend_pledges(user=user, year=YEAR), year=YEAR)
    assert {n: getattr(page, n) for n in YEAREND_FIGURES} == fresh.aggregate(**yearend_counts())
    assert page.total == 3  # the town's two, and the member pledge of 远村

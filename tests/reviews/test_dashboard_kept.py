"""The dashboard's kept figures (reviews.dashboard.kept): after every kind of change the
dashboard served from the cache equals one counted afresh, and a kept dashboard reads
only its stamps."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from branches.kept import forget_kept_in_worker
from branches.models import Committee
from tests import factories
from tests.reviews.test_home_sections import (
    _approve,
    _branch_renamed,
    _committee_renamed,
    _complete,
    _monthly_report,
    _need_dropped,
    _need_through_the_form,
    _roll_written_in_bulk,
    _submit_another,
)
from tests.reviews.test_home_sections import district as district  # noqa: F401 (fixture)


def forget_everything_kept():
    """What a fresh worker with an empty cache has: nothing."""
    cache.clear()
    forget_kept_in_worker()


def page(client, query=None) -> str:
    html = client.get(reverse("dashboard"), query or {}).text
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _committee_added(org):
    Committee.objects.create(name="新设镇党委", parent=org.district, kind="town")


def _committee_moved(org):
    org.other_town.parent = org.town
    org.other_town.save()


def _branch_added(org):
    factories.make_branch(org.town, name="新建村党支部")


def _member_joined(org):
    factories.make_member(org.other_branch, name="王新党员")


CHANGES = [
    _approve,
    _submit_another,
    _complete,
    _need_through_the_form,
    _need_dropped,
    _monthly_report,
    _member_joined,
    _roll_written_in_bulk,
    _branch_renamed,
    _branch_added,
    _committee_renamed,
    _committee_added,
    _committee_moved,
]


@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
@pytest.mark.parametrize("query", [{}, {"sort": "-overdue"}], ids=["default", "by-overdue"])
def test_a_change_shows_at_once(client, district, change, query):
    client.force_login(district.district_staff)
    before = page(client, query)
    assert page(client, query) == before

    change(district)

    after = page(client, query)
    if change is not _monthly_report:  # the dashboard does not count reports
        assert after != before, "the change is not on the page: the test would prove nothing"
    forget_everything_kept()
    assert after == page(client, query)


@pytest.mark.django_db
def test_a_committee_removed_leaves_at_once(client, district):
    empty = Committee.objects.create(name="将撤销的党委", parent=district.district, kind="town")
    client.force_login(district.district_staff)
    assert "将撤销的党委" in page(client)
    empty.delete()
    after = page(client)
    assert "将撤销的党委" not in after
    forget_everything_kept()
    assert after == page(client)


@pytest.mark.django_db
def test_pages_and_sorts_are_kept_apart(client, district, settings):
    client.force_login(district.district_staff)
    by_name = page(client, {"sort": "name"})
    by_name_down = page(client, {"sort": "-name"})
    assert by_name != by_name_down
    assert page(client, {"sort": "name", "page": "junk"}) == by_name
    assert page(client, {"sort": "name", "page": "99"}) == by_name  # one page: the last


@pytest.mark.django_db
def test_a_kept_dashboard_reads_only_its_scope_and_stamp(
    client, district, django_assert_num_queries
):
    client.force_login(district.district_staff)
    counted = page(client)
    # The session, the user with their roles, the scope's committees and its stamp.
    with django_assert_num_queries(4):
        assert page(client) == counted


@pytest.mark.django_db
def test_scopes_are_kept_apart(client, district):
    client.force_login(district.town_staff)
    town = page(client)
    client.force_login(district.other_town_staff)
    other = page(client)
    assert "范寨村党支部" in town
    assert "范寨村党支部" not in other

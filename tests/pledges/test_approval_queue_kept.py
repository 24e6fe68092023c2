"""The approval queue counted once per state of the staff's branches
(pledges.selectors.approvals): after every move that changes it, the queue served from the
cache equals one counted afresh."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from branches.kept import forget_kept_in_worker
from tests import factories

URL = reverse("pledges:approvals")


def forget_everything_kept():
    """What a fresh worker with an empty cache has: nothing."""
    cache.clear()
    forget_kept_in_worker()


def page(client, query=None) -> str:
    html = client.get(URL, query or {}).text
    return re.sub(r'name="(csrfmiddlewaretoken|submission_key)" value="[^"]*"', "", html)


def submitted(org, title, branch=None):
    branch = branch or org.branch
    pledge = factories.make_pledge(branch=branch, title=title)
    pledge.submit(branch.secretary)
    return pledge


@pytest.fixture
def queue(org):
    org.first = submitted(org, "修缮村东生产路")
    org.second = submitted(org, "给五保户送水", branch=org.other_branch)
    return org


def _submitted(org):
    submitted(org, "新交来的承诺")


def _approved(org):
    org.first.approve(org.town_staff)


def _returned(org):
    org.second.return_for_revision(org.town_staff, reason="请写明完成时间")


def _withdrawn(org):
    org.first.withdraw(org.town_staff, reason="村里已自行修好")


def _branch_renamed(org):
    org.other_branch.name = "姬石社区党支部"
    org.other_branch.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [_submitted, _approved, _returned, _withdrawn, _branch_renamed],
    ids=lambda c: c.__name__,
)
@pytest.mark.parametrize("query", [{}, {"branch": "other"}], ids=["all", "one-branch"])
def test_a_move_shows_at_once(client, queue, change, query):
    if query:
        query = {"branch": queue.other_branch.pk}
    client.force_login(queue.district_staff)
    before = page(client, query)
    assert page(client, query) == before

    change(queue)

    after = page(client, query)
    forget_everything_kept()
    assert after == page(client, query)
    if not (query and change in (_submitted, _approved)):  # those are in the other branch
        assert after != before


@pytest.mark.django_db
def test_a_kept_queue_reads_only_its_stamp(client, queue, django_assert_num_queries):
    client.force_login(queue.town_staff)
    counted = page(client)
    # The session, the user with their roles, the stamp of their branches.
    with django_assert_num_queries(3):
        assert page(client) == counted


# ---------------------------------------------------------------------------
# The needs list (pledges.views.needs), kept under its branch's workspace stamp
# ---------------------------------------------------------------------------


def needs_page(client, org) -> str:
    html = client.get(reverse("pledges:needs", args=[org.branch.pk])).text
    return re.sub(r'name="(csrfmiddlewaretoken|submission_key)" value="[^"]*"', "", html)


def _need_added(org):
    factories.make_need(org.branch, description="五组路灯不亮")


def _need_dropped(org):
    need = org.branch.needs.get(description="村东生产路树木缺人浇水")
    need.status = "dropped"
    need.save()


def _need_claimed(org):
    need = org.branch.needs.get(description="村东生产路树木缺人浇水")
    pledge = factories.make_pledge(branch=org.branch, title="认领浇水")
    pledge.needs.add(need)  # without a save of the pledge: the link alone counts


def _claiming_pledge_renamed(org):
    pledge = org.branch.pledges.get(title="已认领的承诺")
    pledge.title = "改了名的承诺"
    pledge.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [_need_added, _need_dropped, _need_claimed, _claiming_pledge_renamed],
    ids=lambda change: change.__name__,
)
def test_the_needs_list_shows_a_change_at_once(client, org, change):
    factories.make_need(org.branch, description="村东生产路树木缺人浇水")
    claimed = factories.make_need(org.branch, description="修缮村小学围墙")
    factories.make_pledge(branch=org.branch, title="已认领的承诺").needs.add(claimed)
    client.force_login(org.secretary)
    before = needs_page(client, org)
    assert needs_page(client, org) == before

    change(org)

    after = needs_page(client, org)
    assert after != before
    forget_everything_kept()
    assert after == needs_page(client, org)

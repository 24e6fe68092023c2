"""The workspace pages run a fixed number of queries, however much data there is (issue 12):
each page is rendered with N and with 3N rows of everything it lists, and must run the
same queries both times, no more than its budget."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pledges.enums import NeedStatus, PledgeStatus
from pledges.models import ProgressRecord, TimeNode
from tests import factories

S = PledgeStatus
N = 2


def queries_of(client, url: str) -> list[str]:
    """The SQL of one GET, checked to answer 200. Counted by a wrapper on the connection:
    request_started empties the connection's own log in the middle of the request."""
    sql = []

    def count(execute, statement, params, many, context):
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, url
    return sql


def walked(org, status, *, branch, **extra):
    pledge = factories.make_pledge(branch=branch, **extra)
    secretary = pledge.owner_branch.secretary
    return factories.walk_to(pledge, status, secretary=secretary, staff=org.district_staff)


def grow(org, pledge, size: int) -> None:
    """Add `size` rows of each kind the pages list: in both branches of the town pledges at
    every to-do step, overdue ones, members without this month's report and needs (open,
    and claimed by pledges); on `pledge` time nodes, progress records and claimed needs."""
    today = timezone.localdate()
    overdue = {"year": today.year, "due_date": today - datetime.timedelta(days=1)}
    for branch in (org.branch, org.other_branch):
        for _index in range(size):
            member = factories.make_member(branch)
            factories.make_need(branch)
            walked(org, S.RETURNED, branch=None, member=member)
            walked(org, S.APPROVED, branch=branch)
            walked(org, S.SUBMITTED, branch=branch)
            walked(org, S.COMPLETED, branch=branch)
            walked(org, S.PUBLISHED, branch=branch, **overdue)
            in_progress = walked(org, S.IN_PROGRESS, branch=branch)
            TimeNode.objects.create(pledge=in_progress, due_on=today, description="节点")
            need = factories.make_need(branch, status=NeedStatus.CLAIMED)
            in_progress.needs.add(need)
    for index in range(size):
        TimeNode.objects.create(pledge=pledge, due_on=today, description=f"节点{index}")
        ProgressRecord.objects.create(
            pledge=pledge, happened_on=today, description="浇水", recorded_by=org.secretary
        )
        need = factories.make_need(org.branch, status=NeedStatus.CLAIMED)
        pledge.needs.add(need)


# (who, page, the most queries it may run). Every page pays the session, and the user with
# their roles and the id of their own branch (the navigation's); a page that shows the
# branch reads it once more. The home is measured drawing its sections (grow() changes
# what they show each time); staff's, and the approvals, also read the stamp of their
# branches.
PAGES = [
    ("secretary", "home", 9),
    ("town_staff", "home", 9),
    ("district_staff", "home", 9),
    ("district_organiser", "home", 4),
    ("secretary", "needs", 6),
    ("town_staff", "needs", 6),
    ("secretary", "pledge", 9),
    ("town_staff", "pledge", 9),
    ("town_staff", "approvals", 5),
    ("district_staff", "approvals", 5),
]


def url_of(page: str, org, pledge) -> str:
    return {
        "home": reverse("home"),
        "needs": reverse("pledges:needs", args=[org.branch.pk]),
        "pledge": reverse("pledges:pledge_detail", args=[pledge.pk]),
        "approvals": reverse("pledges:approvals"),
    }[page]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "page", "budget"), PAGES)
def test_workspace_page_queries_do_not_grow_with_data(client, org, role, page, budget):
    pledge = walked(org, S.IN_PROGRESS, branch=org.branch, title="要看的承诺")
    client.force_login(getattr(org, role))
    url = url_of(page, org, pledge)
    client.get(url)  # the first request after signing in writes the session

    grow(org, pledge, N)
    few = queries_of(client, url)
    grow(org, pledge, 2 * N)
    many = queries_of(client, url)

    assert len(many) == len(few), "\n\n".join(many)
    assert len(many) <= budget, "\n\n".join(many)


@pytest.mark.django_db
def test_workspace_pages_show_what_they_list(client, org):
    """The rows counted above are on the pages: the query counts are of full pages."""
    pledge = walked(org, S.IN_PROGRESS, branch=org.branch, title="要看的承诺")
    grow(org, pledge, N)

    client.force_login(org.town_staff)
    home = client.get(reverse("home")).text
    # Both branches' submitted pledges, and both branches overdue.
    assert f'<span class="count">{2 * N}</span>' in home
    assert f"{N} 项逾期" in home
    approvals = client.get(reverse("pledges:approvals")).text
    assert approvals.count('name="pledges"') == 2 * N

    client.force_login(org.secretary)
    detail = client.get(url_of("pledge", org, pledge)).text
    assert detail.count("节点") >= N
    assert "提交审核" in detail and "审核通过" in detail  # the history's moves, labelled
    needs = client.get(url_of("needs", org, pledge)).text
    assert needs.count(reverse("pledges:pledge_detail", args=[pledge.pk])) == N
    assert "践诺中" in needs  # each claim's status badge

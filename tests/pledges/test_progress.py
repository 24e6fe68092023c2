"""A pledge's progress: the one rule (pledges.progress), and every page that draws a
progress bar showing the same percentage for the same pledge."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pledges.enums import PledgeStatus, TimeNodeOutcome
from pledges.models import TimeNode
from pledges.progress import IN_PROGRESS_CAP, pledge_progress
from tests import factories

S = PledgeStatus
TODAY = timezone.localdate()


@pytest.mark.parametrize(
    ("status", "total", "closed", "percent"),
    [
        (S.DRAFT, 0, 0, 0),
        (S.DRAFT, 4, 0, 0),
        (S.SUBMITTED, 2, 0, 0),
        (S.RETURNED, 2, 0, 0),
        (S.APPROVED, 2, 0, 0),
        (S.PUBLISHED, 0, 0, 0),
        (S.PUBLISHED, 4, 1, 25),
        (S.IN_PROGRESS, 0, 0, 0),
        (S.IN_PROGRESS, 4, 0, 0),
        (S.IN_PROGRESS, 4, 1, 25),
        (S.IN_PROGRESS, 3, 1, 33),
        (S.IN_PROGRESS, 3, 2, 67),
        (S.IN_PROGRESS, 10, 9, 90),
        (S.IN_PROGRESS, 20, 19, IN_PROGRESS_CAP),  # 95 capped
        (S.IN_PROGRESS, 4, 4, IN_PROGRESS_CAP),  # all closed, not yet completed
        (S.COMPLETED, 0, 0, 100),
        (S.COMPLETED, 3, 3, 100),
        (S.COMPLETED, 3, 0, 100),  # a node left open before completions asked
        (S.VERIFIED, 2, 2, 100),
        (S.EVALUATED, 0, 0, 100),
        (S.WITHDRAWN, 0, 0, None),
        (S.WITHDRAWN, 4, 2, None),
    ],
)
def test_pledge_progress_follows_rule(status, total, closed, percent):
    assert pledge_progress(status=status, nodes_total=total, nodes_closed=closed) == percent


def test_pledge_progress_cap_is_ninety():
    assert IN_PROGRESS_CAP == 90


# ---------------------------------------------------------------------------
# Every page, the same figure
# ---------------------------------------------------------------------------


def _pledge_with_nodes(org, status, *, closed: int, total: int):
    member = factories.make_member(org.branch, name="李荣花")
    pledge = factories.make_pledge(member=member, title="每月浇水一次")
    factories.walk_to(pledge, S.IN_PROGRESS, secretary=org.secretary, staff=org.town_staff)
    for index in range(total):
        node = TimeNode(
            pledge=pledge,
            due_on=TODAY + datetime.timedelta(days=index),
            description=f"节点{index}",
        )
        if index < closed:
            node.closed_as = TimeNodeOutcome.DONE
            node.done_on = TODAY
        node.save()
    if status != S.IN_PROGRESS:
        for node in pledge.time_nodes.open():
            node.closed_as, node.close_reason = TimeNodeOutcome.NOT_NEEDED, "村里已解决"
            node.save()
        pledge.complete(org.secretary)
        if status == S.VERIFIED:
            pledge.verify(org.town_staff)
    return member, pledge


def _pages(client, client_as, org, member, pledge) -> dict[str, str]:
    public_pages = {
        "member": client.get(reverse("public:by_token", args=[member.public_token])).text,
        "pledge": client.get(reverse("public:pledge_page", args=[pledge.pk])).text,
        "board": client.get(reverse("public:by_token", args=[org.branch.public_token])).text,
    }
    secretary = client_as("secretary")
    return {
        **public_pages,
        "workspace": secretary.get(reverse("pledges:pledge_detail", args=[pledge.pk])).text,
        "branch_list": secretary.get(reverse("pledges:branch_pledges", args=[org.branch.pk])).text,
    }


@pytest.mark.parametrize(
    ("status", "closed", "total", "percent", "bar"),
    [
        (S.IN_PROGRESS, 1, 3, 33, 35),
        (S.IN_PROGRESS, 0, 2, 0, 0),
        (S.IN_PROGRESS, 3, 3, 90, 90),
        (S.COMPLETED, 1, 3, 100, 100),
        (S.VERIFIED, 2, 2, 100, 100),
    ],
)
def test_every_page_shows_the_same_percentage(
    client, client_as, org, status, closed, total, percent, bar
):
    member, pledge = _pledge_with_nodes(org, status, closed=closed, total=total)

    pages = _pages(client, client_as, org, member, pledge)

    for name, text in pages.items():
        assert f"{percent}%" in text, name
        if name != "branch_list":
            assert f'class="fill p{bar}"' in text, name
    for name in ("member", "pledge", "board", "workspace"):
        assert "进度怎么算" in pages[name], name

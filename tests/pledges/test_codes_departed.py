"""What a member's printed code (/q/<code>/) shows once the member is no longer simply on
the roll with their page on (issue 9): one test per kind, as the README tells them.

- on the roll, page on: their page;
- page off (consent withdrawn): the branch's board with a notice, never their page;
- taken off the roll, code never reissued: the "no longer in use" page, linking to the
  board; back on the roll, their page again;
- code reissued: the "no longer in use" page, for good;
- never issued: the not-found page (404), counted as a failed lookup.
"""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from branches.models import RetiredToken
from branches.services import (
    member_deactivate,
    member_reactivate,
    member_set_public_page,
    member_token_reissue,
)
from pledges import public
from pledges.enums import PledgeStatus
from pledges.public import caching
from tests import factories

RETIRED_HEADING = "此二维码已停用"
NOT_FOUND_HEADING = "没有找到这一页"
BOARD_NOTICE = "该党员的个人承诺页未公开"


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    """Pages, routes and miss counters live in the cache: each test starts without them."""
    cache.clear()
    # One renewal period for the whole test: no page changes because a period ended.
    monkeypatch.setattr(caching, "page_period", lambda: 1)
    yield
    cache.clear()


def by_token(token: str) -> str:
    return reverse("public:by_token", args=[token])


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def member(org):
    """李荣花 on the roll of 范寨村, with a published pledge of her own."""
    member = factories.make_member(org.branch, name="李荣花")
    pledge = factories.make_pledge(member=member, title="每月给村东生产路树木浇水一次")
    factories.walk_to(pledge, PledgeStatus.PUBLISHED, secretary=org.secretary, staff=org.town_staff)
    return member


def assert_retired_page(response, org, member):
    assert response.status_code == 200
    text = text_of(response)
    assert f"<h1>{RETIRED_HEADING}</h1>" in text
    assert f'href="{by_token(org.branch.public_token)}"' in text
    # Neither the member nor their pledges: the board is where those are shown.
    assert member.name not in text
    assert "每月给村东生产路树木浇水一次" not in text
    assert response["Cache-Control"].startswith("public")


# ---------------------------------------------------------------------------
# One test per kind
# ---------------------------------------------------------------------------
def test_code_of_member_on_the_roll_shows_their_page(client, org, member):
    response = client.get(by_token(member.public_token))

    assert response.status_code == 200
    assert "<h1>李荣花 " in text_of(response)
    assert "每月给村东生产路树木浇水一次" in text_of(response)


def test_code_of_member_who_withdrew_consent_shows_the_board_only(client, org, member):
    member_set_public_page(member=member, actor=org.secretary, enabled=False)

    response = client.get(by_token(member.public_token))

    assert response.status_code == 200
    text = text_of(response)
    assert BOARD_NOTICE in text
    assert "范寨村党支部" in text
    assert "<h1>李荣花 " not in text
    assert "每月给村东生产路树木浇水一次" not in text
    assert RETIRED_HEADING not in text


@pytest.mark.parametrize("page_enabled", [True, False], ids=["page_on", "page_off"])
def test_code_of_member_taken_off_the_roll_shows_the_retired_page(
    client, org, member, page_enabled
):
    member_set_public_page(member=member, actor=org.secretary, enabled=page_enabled)
    member_deactivate(member=member, actor=org.secretary)

    response = client.get(by_token(member.public_token))

    assert_retired_page(response, org, member)
    assert not RetiredToken.objects.exists()


def test_code_of_reissued_member_shows_the_retired_page(client, org, member):
    old_token = member.public_token
    member = member_token_reissue(member=member, actor=org.secretary)

    assert_retired_page(client.get(by_token(old_token)), org, member)
    # The new code is the member's page.
    assert "<h1>李荣花 " in text_of(client.get(by_token(member.public_token)))


def test_codes_of_reissued_member_taken_off_the_roll_both_show_the_retired_page(
    client, org, member
):
    old_token = member.public_token
    member = member_token_reissue(member=member, actor=org.secretary)
    member_deactivate(member=member, actor=org.secretary)

    assert_retired_page(client.get(by_token(old_token)), org, member)
    assert_retired_page(client.get(by_token(member.public_token)), org, member)


def test_unknown_code_is_not_found_and_counts_as_a_miss(client, org, member):
    response = client.get(by_token("ZZZZZZZZZZ"), REMOTE_ADDR="10.0.0.9")

    assert response.status_code == 404
    assert NOT_FOUND_HEADING in text_of(response)
    assert reverse("public:search") in text_of(response)
    assert cache.get(caching._misses_key("10.0.0.9")) == 1


def test_departed_codes_are_not_counted_as_misses(client, org, member):
    """A code that once was printed is no guess: scanning it never uses up the limit."""
    old_token = member.public_token
    member = member_token_reissue(member=member, actor=org.secretary)
    member_deactivate(member=member, actor=org.secretary)
    for _scan in range(public.MISS_LIMIT + 1):
        for token in (old_token, member.public_token):
            response = client.get(by_token(token), REMOTE_ADDR="10.0.0.8")
            assert response.status_code == 200
    assert cache.get(caching._misses_key("10.0.0.8")) is None


# ---------------------------------------------------------------------------
# Caching follows the roll at once
# ---------------------------------------------------------------------------
def test_cached_member_page_follows_the_member_off_the_roll_and_back(client, org, member):
    token = member.public_token
    first = client.get(by_token(token))
    assert "<h1>李荣花 " in text_of(first)

    member_deactivate(member=member, actor=org.secretary)
    # A phone that kept the member's page asks with its ETag: it gets the new page.
    gone = client.get(by_token(token), HTTP_IF_NONE_MATCH=first["ETag"])
    assert_retired_page(gone, org, member)
    assert gone["ETag"] != first["ETag"]
    # Scanned again, the retired page comes from the cache (or as 304) just the same.
    assert client.get(by_token(token), HTTP_IF_NONE_MATCH=gone["ETag"]).status_code == 304
    assert_retired_page(client.get(by_token(token)), org, member)

    member_reactivate(member=member, actor=org.secretary)
    back = client.get(by_token(token), HTTP_IF_NONE_MATCH=gone["ETag"])
    assert back.status_code == 200
    assert "<h1>李荣花 " in text_of(back)


def test_retired_page_of_a_branch_is_shared_by_its_departed_codes(client, org, member):
    """Every departed code of a branch shows the same page: one cached copy, one ETag."""
    other = factories.make_member(org.branch, name="王新来")
    old_token = member.public_token
    member_token_reissue(member=member, actor=org.secretary)
    member_deactivate(member=other, actor=org.secretary)

    reissued = client.get(by_token(old_token))
    off_the_roll = client.get(by_token(other.public_token))

    assert reissued["ETag"] == off_the_roll["ETag"]
    assert text_of(reissued) == text_of(off_the_roll)


# ---------------------------------------------------------------------------
# The board and the image
# ---------------------------------------------------------------------------
def test_board_lists_a_former_members_public_pledges_without_a_link(client, org, member):
    member_deactivate(member=member, actor=org.secretary)

    text = text_of(client.get(by_token(org.branch.public_token)))

    assert re.search(r'<div class="member-name">李荣花 <span class="tag">已不在册</span>', text)
    assert "每月给村东生产路树木浇水一次" in text
    assert f'href="{by_token(member.public_token)}"' not in text


def test_qr_image_of_member_off_the_roll_still_draws_the_code(client, org, member):
    """The image still draws the code (it leads to the retired page); the wall sheet
    leaves former members out."""
    member_deactivate(member=member, actor=org.secretary)

    assert client.get(reverse("public:qr_svg", args=[member.public_token])).status_code == 200
    sheet = client
    sheet.force_login(org.secretary)
    text = text_of(sheet.get(reverse("pledges:wall_sheet", args=[org.branch.pk])))
    assert "李荣花" not in text

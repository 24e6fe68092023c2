"""The public pages: codes, the member page, the board, one pledge, the district site and
search; their caching, conditional requests, rate limit and query counts."""

import datetime
import itertools
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.models import Pairing, RetiredToken
from pledges import public
from pledges.enums import (
    CommentStatus,
    FeedbackChannel,
    FeedbackRating,
    NeedCategory,
    PledgeMove,
    PledgeStatus,
)
from pledges.models import (
    Feedback,
    Pledge,
    PledgeAmendment,
    PledgeTransition,
    ProgressPhoto,
    ProgressRecord,
    TimeNode,
)
from pledges.public import caching, site
from pledges.services.progress import progress_record_create
from pledges.workflow import PUBLIC_STATUSES
from tests import factories

S = PledgeStatus
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    """Rendered pages and miss counters live in the cache: each test starts without them."""
    cache.clear()
    # One renewal period for the whole test: no ETag changes because a period ended.
    monkeypatch.setattr(caching, "page_period", lambda: 1)
    yield
    cache.clear()


def walked(org, status, *, member=None, branch=None, **extra):
    """A pledge of the member (or of the branch, by default 范寨村) moved to `status`."""
    if member is None and branch is None:
        branch = org.branch
    pledge = factories.make_pledge(branch=branch, member=member, **extra)
    secretary = pledge.owner_branch.secretary
    return factories.walk_to(pledge, status, secretary=secretary, staff=org.district_staff)


def by_token(token):
    return reverse("public:by_token", args=[token])


def pledge_url(pledge):
    return reverse("public:pledge_page", args=[pledge.pk])


def text_of(response):
    return response.content.decode()


# ---------------------------------------------------------------------------
# The progress bar rule
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "step"), [(0, 0), (2, 0), (3, 5), (47, 45), (48, 50), (100, 100)]
)
def test_bar_step_rounds_to_five(percent, step):
    assert public.bar_step(percent) == step


@pytest.mark.parametrize(
    ("token", "well_formed"),
    [
        ("ABCDEFGHJK", True),
        ("23456789AB", True),
        ("ABCDEFGHJ", False),  # too short
        ("ABCDEFGHJKL", False),  # too long
        ("ABCDEFGHJ0", False),  # 0 is not in the alphabet
        ("ABCDEFGHJO", False),  # nor O
        ("ABCDEFGHJ1", False),  # nor 1
        ("ABCDEFGHJI", False),  # nor I
        ("abcdefghjk", False),  # stored upper case: normalise first
        ("ABCDEFGH.K", False),
    ],
)
def test_token_is_well_formed_checks_length_and_alphabet(token, well_formed):
    assert public.token_is_well_formed(token) == well_formed


# ---------------------------------------------------------------------------
# /q/<token>/: member, branch, retired, unknown
# ---------------------------------------------------------------------------


def test_member_page_shows_pledges_nodes_records_and_history(client, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    member = factories.make_member(org.branch, name="李荣花")
    pledge = walked(org, S.IN_PROGRESS, member=member, content="每月浇水一次，保证成活。")
    TimeNode.objects.create(
        pledge=pledge, due_on=TODAY, description="第一次浇水", closed_as="done", done_on=TODAY
    )
    TimeNode.objects.create(
        pledge=pledge, due_on=TODAY + datetime.timedelta(days=30), description="第二次浇水"
    )
    record = progress_record_create(
        pledge=pledge, actor=org.secretary, happened_on=TODAY, description="浇水二百棵"
    )
    photo = ProgressPhoto.objects.create(
        record=record, image="progress/a.jpg", thumbnail="progress/thumbs/a.jpg"
    )

    response = client.get(by_token(member.public_token))

    assert response.status_code == 200
    text = text_of(response)
    assert "李荣花" in text
    assert f'href="{by_token(org.branch.public_token)}"' in text
    assert "范寨村党支部" in text
    assert f'href="{pledge_url(pledge)}"' in text
    assert "每月浇水一次，保证成活。" in text
    assert "践诺中" in text
    # In progress with one of two time nodes closed: 1/2 = 50%.
    assert 'class="fill p50"' in text
    assert "50%" in text
    assert "进度怎么算" in text
    assert "第一次浇水" in text and "第二次浇水" in text
    assert "浇水二百棵" in text
    assert f'<a href="{photo.image.url}"><img src="{photo.thumbnail.url}"' in text
    assert "公示承诺" in text and "开始践诺" in text
    assert timezone.localdate().strftime("%Y年%-m月%-d日") in text


def test_member_page_shows_only_the_latest_records(client, org):
    member = factories.make_member(org.branch)
    pledge = walked(org, S.IN_PROGRESS, member=member)
    for day in range(public.LATEST_RECORDS + 2):
        ProgressRecord.objects.create(
            pledge=pledge,
            happened_on=TODAY - datetime.timedelta(days=day),
            description=f"记录第{day}天",
            recorded_by=org.secretary,
        )

    text = text_of(client.get(by_token(member.public_token)))

    shown = [day for day in range(public.LATEST_RECORDS + 2) if f"记录第{day}天" in text]
    assert shown == list(range(public.LATEST_RECORDS))
    assert f"最近 {public.LATEST_RECORDS} 条，共 {public.LATEST_RECORDS + 2} 条" in text


def test_member_page_shows_amendment_old_and_new_with_reason(client, org):
    member = factories.make_member(org.branch)
    pledge = walked(org, S.PUBLISHED, member=member, title="新的承诺事项")
    PledgeAmendment.objects.create(
        pledge=pledge,
        field="title",
        old_value="原来的承诺事项",
        new_value="新的承诺事项",
        reason="村民建议扩大范围",
        actor=org.secretary,
    )

    text = text_of(client.get(by_token(member.public_token)))

    amendment = re.search(r'<div class="amendment">.*?</div>\s*</div>', text, re.S).group(0)
    assert "原来的承诺事项" in amendment and "新的承诺事项" in amendment
    assert amendment.index("原来的承诺事项") < amendment.index("新的承诺事项")
    assert "公示后修改：承诺事项" in text
    assert "修改原因：村民建议扩大范围" in text


def test_member_page_exempt_member_says_no_pledge_expected(client, org):
    member = factories.make_member(
        org.branch, name="姬国胜", is_exempt=True, exemption_reason="old_age"
    )

    text = text_of(client.get(by_token(member.public_token)))

    assert "姬国胜" in text
    assert "免于承诺，无需承诺" in text
    assert "暂无公示的承诺" not in text


def test_code_of_inactive_member_is_retired_and_board_keeps_pledges(client, org):
    """Off the roll, the member's code answers as a retired one; the board still lists
    the public pledges the branch owns (tests/pledges/test_codes_departed.py: each kind)."""
    member = factories.make_member(org.branch, name="钱已离开", is_active=False)
    walked(org, S.COMPLETED, member=member, title="修剪树木")

    text = text_of(client.get(by_token(member.public_token)))
    assert "此二维码已停用" in text
    assert "修剪树木" not in text and "钱已离开" not in text

    board = text_of(client.get(by_token(org.branch.public_token)))
    assert "钱已离开" in board and "已不在册" in board and "修剪树木" in board


@pytest.mark.parametrize("status", sorted(set(S) - PUBLIC_STATUSES))
def test_member_page_hides_pledges_not_public(client, org, status):
    member = factories.make_member(org.branch)
    walked(org, status, member=member, title="尚未公示的承诺")

    text = text_of(client.get(by_token(member.public_token)))

    assert "尚未公示的承诺" not in text
    assert "暂无公示的承诺" in text


@pytest.mark.parametrize(
    ("status", "has_form"),
    [
        (S.PUBLISHED, True),
        (S.IN_PROGRESS, True),
        (S.COMPLETED, True),
        (S.VERIFIED, True),
        (S.EVALUATED, False),
    ],
)
def test_member_page_feedback_form_until_evaluated(client, org, status, has_form):
    member = factories.make_member(org.branch)
    pledge = walked(org, status, member=member)

    text = text_of(client.get(by_token(member.public_token)))

    action = reverse("public:feedback_submit", args=[pledge.pk])
    assert (f'action="{action}"' in text) == has_form


def test_by_token_accepts_lower_case_and_spaces(client, org):
    member = factories.make_member(org.branch, name="李荣花")

    response = client.get(by_token(f" {member.public_token.lower()} "))

    assert response.status_code == 200
    assert "李荣花" in text_of(response)


def test_by_token_branch_code_shows_board(client, org):
    response = client.get(by_token(org.branch.public_token))

    assert response.status_code == 200
    assert "范寨村党支部" in text_of(response)
    assert "公示栏" in text_of(response)


def test_by_token_consent_off_shows_board_with_notice_only(client, org):
    member = factories.make_member(org.branch, name="张不公开", public_page_enabled=False)
    walked(org, S.PUBLISHED, member=member, title="不应显示的承诺")
    walked(org, S.PUBLISHED, title="支部的公开承诺")

    response = client.get(by_token(member.public_token))

    assert response.status_code == 200
    text = text_of(response)
    assert "该党员的个人承诺页未公开" in text
    assert "支部的公开承诺" in text
    assert "不应显示的承诺" not in text
    assert member.public_token not in text
    # Listed by name, without a link.
    assert re.search(r'<div class="member-name">张不公开', text)


def test_by_token_retired_code_links_to_board(client, org):
    member = factories.make_member(org.branch, name="已换码")
    RetiredToken.objects.create(token="RETRDCDE22", member=member, branch=org.branch)

    response = client.get(by_token("retrdcde22"))

    assert response.status_code == 200
    text = text_of(response)
    assert "此二维码已停用" in text
    assert f'href="{by_token(org.branch.public_token)}"' in text
    assert "已换码" not in text


@pytest.mark.parametrize("token", ["ZZZZZZZZZZ", "ABC", "ABCDEFGHJ0", "ABCDEFGHJKLMN"])
def test_by_token_unknown_or_malformed_is_friendly_404(client, org, token):
    response = client.get(by_token(token))

    assert response.status_code == 404
    text = text_of(response)
    assert "没有找到这一页" in text
    assert reverse("public:search") in text


def test_by_token_misses_are_rate_limited_per_address(client, org):
    member = factories.make_member(org.branch)
    for _miss in range(public.MISS_LIMIT):
        assert client.get(by_token("ZZZZZZZZZZ"), REMOTE_ADDR="10.0.0.7").status_code == 404

    blocked = client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR="10.0.0.7")
    other = client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR="10.0.0.8")
    served = client.get(by_token(member.public_token), REMOTE_ADDR="10.0.0.7")

    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(public.MISS_WINDOW_SECONDS)
    assert "请稍后再试" in text_of(blocked)
    assert other.status_code == 404
    assert served.status_code == 200


def test_by_token_malformed_codes_are_not_counted_as_misses(client, org):
    member = factories.make_member(org.branch)
    for _miss in range(public.MISS_LIMIT + 1):
        client.get(by_token("ABC"), REMOTE_ADDR="10.0.0.9")

    assert client.get(by_token(member.public_token), REMOTE_ADDR="10.0.0.9").status_code == 200


def test_by_token_misses_rate_limit_runs_only_the_lookup_when_blocked(
    client, org, django_assert_num_queries
):
    for _miss in range(public.MISS_LIMIT):
        client.get(by_token("ZZZZZZZZZZ"))

    # Whether the code names a member, then a branch or retired code: nothing is rendered.
    with django_assert_num_queries(2):
        assert client.get(by_token("YYYYYYYYYY")).status_code == 429


# ---------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------


def test_board_shows_figures_pledges_members_and_secretary(client, org):
    org.secretary.last_name, org.secretary.first_name = "王", "彦军"
    org.secretary.save()
    pledging = factories.make_member(org.branch, name="李荣花")
    factories.make_member(org.branch, name="姬国胜", is_exempt=True, exemption_reason="old_age")
    factories.make_member(org.branch, name="赵未承诺")
    factories.make_member(org.branch, name="钱离开", is_active=False)
    done = walked(org, S.COMPLETED, member=pledging, title="浇水")
    walked(org, S.PUBLISHED, member=pledging, title="修路")
    walked(org, S.DRAFT, member=pledging, title="草稿承诺")
    walked(org, S.IN_PROGRESS, title="改造厕所")

    text = text_of(client.get(by_token(org.branch.public_token)))

    figures = re.search(r'<div class="figures">.*?</section>', text, re.S).group(0)
    numbers = re.findall(r'<span class="figure">([^<]+)</span>', figures)
    # 3 active members, 1 pledged, 1 exempt, 1 of 3 public pledges done.
    assert numbers == ["3", "1", "1", "1/3"]
    assert "支部书记：王彦军" in text
    assert "改造厕所" in text and "浇水" in text and "修路" in text
    assert "草稿承诺" not in text
    assert f'href="{by_token(pledging.public_token)}"' in text
    assert f'href="{pledge_url(done)}"' in text
    assert "赵未承诺" in text
    assert "钱离开" not in text


@pytest.mark.parametrize(("page_enabled", "listed"), [(True, True), (False, False)])
def test_board_lists_members_who_moved_only_with_pledges_shown(client, org, page_enabled, listed):
    member = factories.make_member(org.branch, name="周转出", public_page_enabled=page_enabled)
    walked(org, S.PUBLISHED, member=member, title="转出前的承诺")
    member.branch = org.other_branch
    member.save()

    text = text_of(client.get(by_token(org.branch.public_token)))

    assert ("周转出" in text) == listed
    assert ("转出前的承诺" in text) == listed
    assert ("已转出" in text) == listed


def test_board_secretary_without_name_shows_no_login_name(client, org):
    text = text_of(client.get(by_token(org.branch.public_token)))

    assert "支部书记" not in text
    assert org.secretary.username not in text


def test_board_shows_pairings_of_the_year(client, org):
    office = factories.make_branch(
        org.town, name="示范区党政综合办公室党支部", kind="government_office"
    )
    Pairing.objects.create(office_branch=office, village_branch=org.branch, year=TODAY.year)
    Pairing.objects.create(
        office_branch=office, village_branch=org.other_branch, year=TODAY.year - 1
    )

    village = text_of(client.get(by_token(org.branch.public_token)))
    office_board = text_of(client.get(by_token(office.public_token)))

    assert f'href="{by_token(office.public_token)}">示范区党政综合办公室党支部' in village
    assert f'href="{by_token(org.branch.public_token)}">范寨村党支部' in office_board
    assert "姬石村党支部" not in office_board


# ---------------------------------------------------------------------------
# /p/<id>/
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(S))
def test_pledge_page_only_for_public_pledges(client, org, status):
    pledge = walked(org, status, title="看得见吗")

    response = client.get(pledge_url(pledge))

    expected = 200 if status in PUBLIC_STATUSES else 404
    assert response.status_code == expected
    assert ("看得见吗" in text_of(response)) == (expected == 200)


def test_pledge_page_of_member_with_page_off_is_404(client, org):
    member = factories.make_member(org.branch, public_page_enabled=False)
    pledge = walked(org, S.PUBLISHED, member=member)

    assert client.get(pledge_url(pledge)).status_code == 404


def test_pledge_page_of_inactive_member_stays_public_with_note(client, org):
    member = factories.make_member(org.branch, name="孙已转出", is_active=False)
    pledge = walked(org, S.VERIFIED, member=member, title="义务巡河")

    response = client.get(pledge_url(pledge))

    assert response.status_code == 200
    text = text_of(response)
    assert "义务巡河" in text and "孙已转出" in text and "已不在册" in text
    assert "上级党组织销号" in text


def test_pledge_page_unknown_id_is_friendly_404(client, org):
    response = client.get(reverse("public:pledge_page", args=[987654]))

    assert response.status_code == 404
    assert "没有找到这一页" in text_of(response)


# ---------------------------------------------------------------------------
# District site and search
# ---------------------------------------------------------------------------


def test_district_site_totals_and_committees(client, org):
    first = factories.make_member(org.branch)
    factories.make_member(org.branch, is_exempt=True, exemption_reason="illness")
    factories.make_member(org.other_branch)
    factories.make_member(org.far_branch)
    walked(org, S.COMPLETED, member=first)
    walked(org, S.PUBLISHED)
    walked(org, S.SUBMITTED, branch=org.far_branch)

    text = text_of(client.get(reverse("public:district_site")))

    figures = re.search(r'<div class="figures">.*?</section>', text, re.S).group(0)
    numbers = re.findall(r'<span class="figure">([^<]+)</span>', figures)
    # 3 branches, 4 active members, 2 public pledges, 1 done (50%), 1 of 3 expected (33%).
    assert numbers == ["3", "4", "2", "50%", "33%"]
    assert "示范区党工委" in text
    assert f'?c={org.town.pk}">姬石镇党委' in text
    assert f'?c={org.other_town.pk}">老窝镇党委' in text
    # Small subtrees list their branches inline, each linking to its board.
    assert f'href="{by_token(org.far_branch.public_token)}">远村党支部' in text


def test_district_site_committee_lists_its_branches(client, org):
    walked(org, S.COMPLETED)

    response = client.get(reverse("public:district_site"), {"c": org.town.pk})

    text = text_of(response)
    assert "姬石镇党委" in text
    assert f'href="{by_token(org.branch.public_token)}">范寨村党支部' in text
    assert f'href="{by_token(org.other_branch.public_token)}">姬石村党支部' in text
    assert "远村党支部" not in text
    assert f'?c={org.district.pk}">示范区党工委' in text  # the committee above


def test_district_site_paginates_a_committees_branches(client, org, monkeypatch):
    monkeypatch.setattr(site, "BRANCHES_PER_PAGE", 1)

    first = text_of(client.get(reverse("public:district_site"), {"c": org.town.pk}))
    second = text_of(client.get(reverse("public:district_site"), {"c": org.town.pk, "page": 2}))

    assert "姬石村党支部" in first and "范寨村党支部" not in first
    assert "范寨村党支部" in second
    assert "第 2 / 2 页" in second


@pytest.mark.parametrize("committee", ["abc", "0", "-1", "987654", ""])
def test_district_site_unknown_committee_is_friendly_404(client, org, committee):
    response = client.get(reverse("public:district_site"), {"c": committee})

    assert response.status_code == 404
    assert "没有找到这一页" in text_of(response)


def test_search_finds_branches_and_members_with_public_pages(client, org):
    shown = factories.make_member(org.branch, name="范小明")
    factories.make_member(org.branch, name="范不公开", public_page_enabled=False)
    factories.make_member(org.branch, name="范已离开", is_active=False)

    text = text_of(client.get(reverse("public:search"), {"q": " 范 "}))

    assert "请至少输入两个字" in text

    text = text_of(client.get(reverse("public:search"), {"q": "范小"}))
    assert f'href="{by_token(shown.public_token)}">范小明' in text

    text = text_of(client.get(reverse("public:search"), {"q": "范寨"}))
    assert f'href="{by_token(org.branch.public_token)}">范寨村党支部' in text

    text = text_of(client.get(reverse("public:search"), {"q": "范不"}))
    assert "范不公开" not in text
    assert "没有找到" in text
    assert 'value="范不"' in text

    text = text_of(client.get(reverse("public:search"), {"q": "范已"}))
    assert "范已离开" not in text


def test_search_short_query_keeps_what_was_typed(client, org):
    text = text_of(client.get(reverse("public:search"), {"q": "范"}))

    assert "请至少输入两个字" in text
    assert 'value="范"' in text


def test_search_returns_at_most_the_limit(client, org):
    for number in range(public.SEARCH_LIMIT + 5):
        factories.make_member(org.branch, name=f"同名{number}")

    text = text_of(client.get(reverse("public:search"), {"q": "同名"}))

    assert len(re.findall(r'href="/q/', text)) == public.SEARCH_LIMIT
    assert "只显示前 50 条" in text


# ---------------------------------------------------------------------------
# Caching: headers, 304, the cached page and its invalidation
# ---------------------------------------------------------------------------


@pytest.fixture
def urls(org):
    member = factories.make_member(org.branch)
    pledge = walked(org, S.PUBLISHED, member=member)
    off = factories.make_member(org.branch, public_page_enabled=False)
    RetiredToken.objects.create(token="RETRDCDE22", branch=org.branch)
    return [
        by_token(member.public_token),
        by_token(off.public_token),
        by_token(org.branch.public_token),
        by_token("RETRDCDE22"),
        pledge_url(pledge),
        reverse("public:district_site"),
        reverse("public:district_site") + f"?c={org.town.pk}",
        reverse("public:search") + "?q=范寨",
    ]


def test_public_pages_are_shareable(client_as, org, urls, settings):
    # Signed in: the page must still not vary by person.
    client = client_as("secretary")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == f"public, max-age={settings.PUBLIC_PAGE_MAX_AGE}"
        assert response["ETag"].startswith('"')
        assert response["Last-Modified"]
        assert "Cookie" not in response.get("Vary", ""), url
        assert not response.cookies, url
        assert "csrfmiddlewaretoken" not in text_of(response)


def test_public_pages_answer_304_to_etag_and_date(client, org, urls):
    for url in urls:
        first = client.get(url)

        by_etag = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        stale = client.get(url, HTTP_IF_NONE_MATCH='"something-else"')

        assert by_etag.status_code == 304, url
        assert by_etag["ETag"] == first["ETag"]
        assert by_etag["Cache-Control"] == first["Cache-Control"]
        assert by_date.status_code == 304, url
        assert stale.status_code == 200, url


def test_member_page_cache_dropped_when_progress_recorded(client, org):
    member = factories.make_member(org.branch)
    pledge = walked(org, S.IN_PROGRESS, member=member)
    url = by_token(member.public_token)
    first = client.get(url)
    assert "今天又浇了一次" not in text_of(first)

    progress_record_create(
        pledge=pledge, actor=org.secretary, happened_on=TODAY, description="今天又浇了一次"
    )
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200
    assert "今天又浇了一次" in text_of(again)
    assert again["ETag"] != first["ETag"]


@pytest.mark.parametrize(
    "change",
    ["time node", "member", "amendment", "feedback", "transition"],
)
def test_board_cache_dropped_on_change(client, org, change):
    member = factories.make_member(org.branch, name="原名")
    pledge = walked(org, S.PUBLISHED, member=member)
    url = by_token(org.branch.public_token)
    first = client.get(url)

    if change == "time node":
        TimeNode.objects.create(
            pledge=pledge, due_on=TODAY, description="节点", closed_as="done", done_on=TODAY
        )
    elif change == "member":
        member.name = "新名"
        member.save()
    elif change == "amendment":
        PledgeAmendment.objects.create(
            pledge=pledge,
            field="title",
            old_value="a",
            new_value="b",
            reason="r",
            actor=org.secretary,
        )
    elif change == "feedback":
        # An approved comment is what a board may show of feedback.
        Feedback.objects.create(
            pledge=pledge,
            rating=FeedbackRating.SATISFIED,
            comment="修得很好",
            comment_status=CommentStatus.APPROVED,
            address_hash="x",
        )
    else:
        pledge.start(org.secretary)

    assert client.get(url)["ETag"] != first["ETag"]


def test_pages_renewed_each_period(client, org, monkeypatch):
    """What the stamp does not follow (here a renamed committee) shows in the next period."""
    url = by_token(org.branch.public_token)
    first = client.get(url)
    org.town.name = "姬石街道党工委"
    org.town.save()

    same_period = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    monkeypatch.setattr(caching, "page_period", lambda: 2)
    next_period = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert same_period.status_code == 304
    assert next_period.status_code == 200
    assert "姬石街道党工委" in text_of(next_period)


def test_cached_page_touches_no_database(client, org, urls, django_assert_num_queries):
    for url in urls:
        client.get(url)
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200, url


def test_cached_page_renews_its_stamps_from_the_database_once_flushed(
    client, org, django_assert_num_queries
):
    """Without the stamps' cached copies (a flushed or restarted cache) the page's stamps
    are read from the database, once, and the page is rendered afresh under them."""
    member = factories.make_member(org.branch)
    walked(org, S.PUBLISHED, member=member, title="冲刷缓存后的承诺")
    url = by_token(member.public_token)
    first = client.get(url)
    cache.clear()

    unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    again = client.get(url)
    with django_assert_num_queries(0):
        third = client.get(url)

    assert unchanged.status_code == 304
    assert again["ETag"] == third["ETag"] == first["ETag"]
    assert "冲刷缓存后的承诺" in text_of(third)


def test_member_page_follows_changes_on_a_former_branch(client, org):
    member = factories.make_member(org.branch)
    pledge = walked(org, S.IN_PROGRESS, member=member)
    member.branch = org.other_branch
    member.save()
    url = by_token(member.public_token)
    first = client.get(url)

    # The pledge stays with 范寨村, whose stamp moves; the member's new branch's does not.
    progress_record_create(
        pledge=pledge, actor=org.secretary, happened_on=TODAY, description="转出后仍有记录"
    )

    assert "转出后仍有记录" in text_of(client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]))


# ---------------------------------------------------------------------------
# Fixed number of queries at 1 and 200 pledges
# ---------------------------------------------------------------------------

_names = itertools.count(1)


def many_public_pledges(count, *, branch, members, actor):
    """`count` public pledges (each status in turn) of the branch and its members, each
    with two time nodes, three records with a photo, its moves, an amendment and an
    approved comment. Written in bulk: no signals, so clear the cache afterwards."""
    statuses = sorted(PUBLIC_STATUSES)
    owners = [*members, None]
    pledges = Pledge.objects.bulk_create(
        Pledge(
            branch=branch if owners[number % len(owners)] is None else None,
            member=owners[number % len(owners)],
            owner_branch=branch,
            title=f"批量承诺{next(_names)}",
            category=NeedCategory.ENVIRONMENT,
            year=TODAY.year,
            due_date=TODAY,
            status=statuses[number % len(statuses)],
        )
        for number in range(count)
    )
    now = timezone.now()
    TimeNode.objects.bulk_create(
        TimeNode(
            pledge=pledge,
            due_on=TODAY,
            description="节点",
            closed_as="done" if first else "",
            done_on=TODAY if first else None,
        )
        for pledge in pledges
        for first in (True, False)
    )
    records = ProgressRecord.objects.bulk_create(
        ProgressRecord(pledge=pledge, happened_on=TODAY, description="做了", recorded_by=actor)
        for pledge in pledges
        for _record in range(3)
    )
    ProgressPhoto.objects.bulk_create(
        ProgressPhoto(record=record, image="progress/x.jpg", thumbnail="progress/thumbs/x.jpg")
        for record in records
    )
    PledgeTransition.objects.bulk_create(
        PledgeTransition(
            pledge=pledge,
            move=move,
            from_status=S.APPROVED,
            to_status=S.PUBLISHED,
            actor=actor,
            actor_role="branch_secretary",
            created_at=now,
        )
        for pledge in pledges
        for move in (PledgeMove.PUBLISH, PledgeMove.START)
    )
    PledgeAmendment.objects.bulk_create(
        PledgeAmendment(
            pledge=pledge, field="title", old_value="旧", new_value="新", reason="因", actor=actor
        )
        for pledge in pledges
    )
    Feedback.objects.bulk_create(
        Feedback(
            pledge=pledge,
            rating=FeedbackRating.SATISFIED,
            comment="很好",
            comment_status=CommentStatus.APPROVED,
            channel=FeedbackChannel.ONLINE,
            address_hash="h",
        )
        for pledge in pledges
    )
    cache.clear()
    return pledges


# Queries of a page rendered afresh (not from the cache), whatever the number of pledges.
PAGE_QUERIES = {"member": 9, "board": 6, "pledge": 8, "district": 9, "district_c": 10, "search": 3}


def page_url(page, org, member, pledge):
    return {
        "member": by_token(member.public_token),
        "board": by_token(org.branch.public_token),
        "pledge": pledge_url(pledge),
        "district": reverse("public:district_site"),
        "district_c": reverse("public:district_site") + f"?c={org.town.pk}",
        "search": reverse("public:search") + "?q=党员",
    }[page]


@pytest.mark.parametrize("page", sorted(PAGE_QUERIES))
def test_page_queries_do_not_grow_with_pledges(client, org, page):
    counts = []
    for count in (1, 200):
        members = [factories.make_member(org.branch, name=f"党员{next(_names)}") for _ in range(3)]
        pledges = many_public_pledges(
            count, branch=org.branch, members=members, actor=org.secretary
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page_url(page, org, pledges[0].member, pledges[0]))
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[1] <= PAGE_QUERIES[page]


def test_cached_member_page_follows_consent_withdrawn_at_once(client, org):
    """The remembered route of a code never outlives a change: withdrawing consent bumps
    the stamp, the cached page misses, and the code shows the board."""
    member = factories.make_member(org.branch, name="撤回同意的党员")
    walked(org, S.PUBLISHED, member=member, title="仅本人页可见的承诺标题")
    first = client.get(by_token(member.public_token))
    assert "仅本人页可见的承诺标题" in text_of(first)

    member.public_page_enabled = False
    member.save()

    second = client.get(by_token(member.public_token))
    assert "该党员的个人承诺页未公开" in text_of(second)
    assert "撤回同意的党员</h1>" not in text_of(second)


def test_cached_member_page_follows_a_reissued_code_at_once(client, org):
    from branches.services import member_token_reissue

    member = factories.make_member(org.branch)
    walked(org, S.PUBLISHED, member=member)
    old_token = member.public_token
    client.get(by_token(old_token))

    member_token_reissue(member=member, actor=org.secretary)

    assert "停用" in text_of(client.get(by_token(old_token)))


@pytest.mark.parametrize(
    ("header_setting", "meta", "expected"),
    [
        ("", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "1.2.3.4"}, "10.0.0.1"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "1.2.3.4"}, "1.2.3.4"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
    ],
)
def test_client_address_reads_the_proxy_header_only_when_configured(
    rf, settings, header_setting, meta, expected
):
    from pledges.public import client_address

    settings.PUBLIC_CLIENT_ADDRESS_HEADER = header_setting
    request = rf.get("/", **meta)
    assert client_address(request) == expected

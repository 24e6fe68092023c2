"""研诺: the needs list pages and their moves, with the permission matrix of each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pledges.enums import NeedCategory, NeedSource, NeedStatus, PledgeStatus, Urgency
from pledges.models import Need
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus

# What each role gets from a page that reads the branch, and from one that writes to it.
READ = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": "login",
}
WRITE = {**READ, "town_staff": 403, "district_staff": 403}
# A move by POST: the secretary is sent back to the list.
MOVE = {**WRITE, "secretary": "back"}

SECRET = "村西头变压器老化经常跳闸"


def walked(org, status, **extra):
    pledge = factories.make_pledge(**extra)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)


def page_of(org):
    return reverse("pledges:needs", args=[org.branch.pk])


def assert_answer(response, expected, back=None):
    """The expected answer: a status code, "login" (sent to sign in) or "back" (redirected
    to `back`). A refusal says nothing of the object."""
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif expected == "back":
        assert response.status_code == 302
        assert response.url == back
    else:
        assert response.status_code == expected
    if expected != 200:
        assert SECRET not in response.content.decode()


# --- Permission matrix ------------------------------------------------------------------


def _need_views(org, need):
    return {
        "needs": ("get", reverse("pledges:needs", args=[org.branch.pk]), READ),
        "need_add": ("get", reverse("pledges:need_add", args=[org.branch.pk]), WRITE),
        "need_merge": ("get", reverse("pledges:need_merge", args=[org.branch.pk]), WRITE),
        "need_edit": ("get", reverse("pledges:need_edit", args=[need.pk]), WRITE),
        "need_resolve": ("post", reverse("pledges:need_resolve", args=[need.pk]), MOVE),
        "need_drop": ("post", reverse("pledges:need_drop", args=[need.pk]), MOVE),
        "need_reopen": ("post", reverse("pledges:need_reopen", args=[need.pk]), MOVE),
    }


VIEW_NAMES = [
    "needs",
    "need_add",
    "need_merge",
    "need_edit",
    "need_resolve",
    "need_drop",
    "need_reopen",
]


@pytest.mark.parametrize("view", VIEW_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_need_views_permission_matrix(org, client_as, view, role):
    need = factories.make_need(branch=org.branch, description=SECRET)
    method, url, expected = _need_views(org, need)[view]
    response = getattr(client_as(role), method)(url)
    assert_answer(response, expected[role], back=page_of(org))
    if expected[role] == 200 and view != "need_add":
        assert SECRET in response.content.decode()


@pytest.mark.parametrize("role", ["other_secretary", "town_staff", "district_staff", "anonymous"])
@pytest.mark.parametrize("view", ["need_drop", "need_resolve", "need_add", "need_edit"])
def test_need_writes_by_others_change_nothing(org, client_as, role, view):
    need = factories.make_need(branch=org.branch, description=SECRET)
    url = {
        "need_drop": reverse("pledges:need_drop", args=[need.pk]),
        "need_resolve": reverse("pledges:need_resolve", args=[need.pk]),
        "need_add": reverse("pledges:need_add", args=[org.branch.pk]),
        "need_edit": reverse("pledges:need_edit", args=[need.pk]),
    }[view]
    data = {"description": "改过的", "category": "other", "source": "other", "urgency": "low"}
    response = client_as(role).post(url, data)
    assert response.status_code in (302, 403, 404)
    assert Need.objects.count() == 1
    need.refresh_from_db()
    assert (need.status, need.description) == (NeedStatus.OPEN, SECRET)


@pytest.mark.parametrize("view", ["need_drop", "need_resolve", "need_reopen"])
def test_need_moves_refuse_get(org, client_as, view):
    need = factories.make_need(branch=org.branch)
    response = client_as("secretary").get(reverse(f"pledges:{view}", args=[need.pk]))
    assert response.status_code == 405


# --- The list ---------------------------------------------------------------------------


def test_need_list_sorts_by_urgency_and_hides_dropped_by_default(org, client_as):
    factories.make_need(branch=org.branch, description="一般的需求", urgency=Urgency.LOW)
    factories.make_need(branch=org.branch, description="急需的需求", urgency=Urgency.HIGH)
    factories.make_need(branch=org.branch, description="较急的需求", urgency=Urgency.MEDIUM)
    factories.make_need(branch=org.branch, description="搁置的需求", status=NeedStatus.DROPPED)
    text = client_as("secretary").get(page_of(org)).content.decode()
    assert text.index("急需的需求") < text.index("较急的需求") < text.index("一般的需求")
    assert "搁置的需求" not in text
    assert "未搁置 3" in text
    assert "已搁置 1" in text


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "dropped"}, "搁置的需求", "待认领的需求"),
        ({"status": "open"}, "待认领的需求", "搁置的需求"),
        ({"category": "infrastructure"}, "修路的需求", "待认领的需求"),
        ({"status": "bogus"}, "待认领的需求", "搁置的需求"),
    ],
)
def test_need_list_filters(org, client_as, query, shown, hidden):
    factories.make_need(branch=org.branch, description="待认领的需求")
    factories.make_need(branch=org.branch, description="搁置的需求", status=NeedStatus.DROPPED)
    factories.make_need(
        branch=org.branch, description="修路的需求", category=NeedCategory.INFRASTRUCTURE
    )
    text = client_as("secretary").get(page_of(org), query).content.decode()
    assert shown in text
    assert hidden not in text


def test_need_list_shows_who_claimed_it(org, client_as):
    need = factories.make_need(branch=org.branch, description="东路树木缺水")
    member = factories.make_member(org.branch, name="李荣花", phone="13800001111")
    pledge = factories.make_pledge(member=member, title="每月浇水一次")
    pledge.needs.add(need)
    text = client_as("town_staff").get(page_of(org)).content.decode()
    assert "李荣花：每月浇水一次" in text
    assert reverse("pledges:pledge_detail", args=[pledge.pk]) in text
    assert "草稿" in text


def test_need_list_write_actions_only_for_the_secretary(org, client_as):
    need = factories.make_need(branch=org.branch)
    add = reverse("pledges:need_add", args=[org.branch.pk])
    claim = reverse("pledges:pledge_add", args=[org.branch.pk]) + f"?needs={need.pk}"
    secretary_text = client_as("secretary").get(page_of(org)).content.decode()
    staff_text = client_as("town_staff").get(page_of(org)).content.decode()
    assert add in secretary_text
    assert claim in secretary_text
    assert add not in staff_text
    assert claim not in staff_text
    assert 'form="claim-form"' not in staff_text


def test_need_list_paginates(org, client_as):
    for index in range(45):
        factories.make_need(branch=org.branch, description=f"需求第{index:02d}条")
    first = client_as("secretary").get(page_of(org)).content.decode()
    second = client_as("secretary").get(page_of(org), {"page": 2}).content.decode()
    assert first.count('name="needs"') == 40
    assert second.count('name="needs"') == 5


def _fill_needs(org, count):
    for index in range(count):
        need = factories.make_need(branch=org.branch, description=f"需求{index}")
        member = factories.make_member(org.branch)
        factories.make_pledge(member=member).needs.add(need)
        factories.make_pledge(branch=org.branch).needs.add(need)


def test_need_list_query_count_is_fixed(org, client_as, django_assert_max_num_queries):
    client = client_as("secretary")
    counts = []
    for size in (2, 10):
        _fill_needs(org, size)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_of(org)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(10):
        client.get(page_of(org))


# --- Adding and editing -----------------------------------------------------------------

NEED_DATA = {
    "description": "四组路灯不亮",
    "category": NeedCategory.INFRASTRUCTURE,
    "source": NeedSource.SYMPOSIUM,
    "raised_by": "四组村民张喜民",
    "urgency": Urgency.HIGH,
    "village": "",
}


def test_need_add_registers_an_open_need_in_the_branch_village(org, client_as):
    response = client_as("secretary").post(
        reverse("pledges:need_add", args=[org.branch.pk]), NEED_DATA
    )
    assert response.status_code == 302
    assert response.url == page_of(org)
    need = Need.objects.get()
    assert (need.branch, need.status, need.village) == (org.branch, NeedStatus.OPEN, "某村")
    assert need.raised_by == "四组村民张喜民"


def test_need_add_and_another_returns_to_the_form(org, client_as):
    url = reverse("pledges:need_add", args=[org.branch.pk])
    response = client_as("secretary").post(url, {**NEED_DATA, "another": "1"})
    assert response.url == url


def test_need_add_bad_input_keeps_what_was_typed(org, client_as):
    response = client_as("secretary").post(
        reverse("pledges:need_add", args=[org.branch.pk]),
        {**NEED_DATA, "description": "", "source": "rumour"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项。" in text
    assert "选择一个有效的选项" in text
    assert "四组村民张喜民" in text
    assert Need.objects.count() == 0


def test_need_edit_changes_the_need(org, client_as):
    need = factories.make_need(branch=org.branch)
    response = client_as("secretary").post(
        reverse("pledges:need_edit", args=[need.pk]), {**NEED_DATA, "village": "范寨村"}
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.description, need.village, need.urgency) == ("四组路灯不亮", "范寨村", "high")


# --- Drop, reopen, resolve --------------------------------------------------------------


def test_need_drop_sets_an_open_need_aside(org, client_as):
    need = factories.make_need(branch=org.branch)
    response = client_as("secretary").post(reverse("pledges:need_drop", args=[need.pk]))
    assert response.url == page_of(org)
    need.refresh_from_db()
    assert need.status == NeedStatus.DROPPED


def test_need_drop_refused_while_a_pledge_claims_it(org, client_as):
    need = factories.make_need(branch=org.branch, status=NeedStatus.CLAIMED)
    factories.make_pledge(branch=org.branch).needs.add(need)
    client = client_as("secretary")
    client.post(reverse("pledges:need_drop", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == NeedStatus.CLAIMED
    assert "已有承诺认领，不能搁置" in client.get(page_of(org)).content.decode()


def test_need_drop_returns_to_the_filtered_list(org, client_as):
    need = factories.make_need(branch=org.branch)
    target = page_of(org) + "?status=open"
    response = client_as("secretary").post(
        reverse("pledges:need_drop", args=[need.pk]), {"next": target}
    )
    assert response.url == target
    response = client_as("secretary").post(
        reverse("pledges:need_reopen", args=[need.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == page_of(org)


def test_need_reopen_brings_a_dropped_need_back(org, client_as):
    need = factories.make_need(branch=org.branch, status=NeedStatus.DROPPED)
    client_as("secretary").post(reverse("pledges:need_reopen", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.PUBLISHED, S.IN_PROGRESS, S.WITHDRAWN])
def test_need_resolve_refused_before_a_pledge_is_done(org, client_as, status):
    need = factories.make_need(branch=org.branch, status=NeedStatus.CLAIMED)
    walked(org, status, branch=org.branch).needs.add(need)
    client = client_as("secretary")
    response = client.post(reverse("pledges:need_resolve", args=[need.pk]))
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.CLAIMED
    assert "承诺还没有完成，暂不能标记为已解决" in client.get(page_of(org)).content.decode()


@pytest.mark.parametrize("status", [S.COMPLETED, S.VERIFIED, S.EVALUATED])
def test_need_resolve_allowed_once_a_pledge_is_done(org, client_as, status):
    need = factories.make_need(branch=org.branch, status=NeedStatus.CLAIMED)
    factories.make_pledge(branch=org.branch).needs.add(need)  # another, still a draft
    walked(org, status, branch=org.branch).needs.add(need)
    client = client_as("secretary")
    client.post(reverse("pledges:need_resolve", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == NeedStatus.RESOLVED
    assert "需求已标记为已解决。" in client.get(page_of(org)).content.decode()


# --- Merge ------------------------------------------------------------------------------


def test_need_merge_keeps_both_sources_and_moves_the_claims(org, client_as):
    keep = factories.make_need(
        branch=org.branch,
        description="村东生产路树木缺人浇水",
        raised_by="张三",
        source=NeedSource.HOME_VISIT,
        urgency=Urgency.LOW,
    )
    duplicate = factories.make_need(
        branch=org.branch,
        description="东路的树快旱死了",
        raised_by="李四",
        source=NeedSource.SYMPOSIUM,
        urgency=Urgency.HIGH,
        status=NeedStatus.CLAIMED,
    )
    pledge = factories.make_pledge(branch=org.branch)
    pledge.needs.add(duplicate)
    response = client_as("secretary").post(
        reverse("pledges:need_merge", args=[org.branch.pk]),
        {"keep": keep.pk, "duplicate": duplicate.pk},
    )
    assert response.status_code == 302
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert keep.description == "村东生产路树木缺人浇水"
    assert keep.raised_by == "张三；李四（座谈会）"
    assert keep.source == NeedSource.HOME_VISIT
    assert keep.urgency == Urgency.HIGH
    assert keep.status == NeedStatus.CLAIMED
    assert list(pledge.needs.all()) == [keep]
    assert duplicate.status == NeedStatus.DROPPED
    assert "已合并到需求：村东生产路树木缺人浇水" in duplicate.description
    assert list(duplicate.pledges.all()) == []


def test_need_merge_puts_sources_that_do_not_fit_into_the_description(org, client_as):
    keep = factories.make_need(branch=org.branch, raised_by="甲" * 95)
    duplicate = factories.make_need(branch=org.branch, raised_by="李四", source="questionnaire")
    client_as("secretary").post(
        reverse("pledges:need_merge", args=[org.branch.pk]),
        {"keep": keep.pk, "duplicate": duplicate.pk},
    )
    keep.refresh_from_db()
    assert keep.raised_by == "甲" * 95
    assert keep.description.endswith("\n同时来源：李四（调查问卷）")


def test_need_merge_form_is_prefilled_from_the_list_checkboxes(org, client_as):
    first = factories.make_need(branch=org.branch)
    second = factories.make_need(branch=org.branch)
    text = (
        client_as("secretary")
        .get(
            reverse("pledges:need_merge", args=[org.branch.pk]),
            {"needs": [first.pk, second.pk]},
        )
        .content.decode()
    )
    assert f'<option value="{first.pk}" selected>' in text
    assert f'<option value="{second.pk}" selected>' in text


@pytest.mark.parametrize("case", ["same", "other_branch", "dropped"])
def test_need_merge_refusals_change_nothing(org, client_as, case):
    keep = factories.make_need(branch=org.branch, raised_by="张三")
    duplicate = {
        "same": keep,
        "other_branch": factories.make_need(branch=org.other_branch, raised_by="王五"),
        "dropped": factories.make_need(
            branch=org.branch, raised_by="王五", status=NeedStatus.DROPPED
        ),
    }[case]
    response = client_as("secretary").post(
        reverse("pledges:need_merge", args=[org.branch.pk]),
        {"keep": keep.pk, "duplicate": duplicate.pk},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "请选择与保留的需求不同的另一条需求。" in text or "选择一个有效的选项" in text
    keep.refresh_from_db()
    assert keep.raised_by == "张三"

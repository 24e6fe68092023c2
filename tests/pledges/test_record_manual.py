"""践行承诺记实手册: a branch's record manual of a year, by time node, member, pledge and
progress, with a ruled area for handwritten notes after each pledge."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.models import Member
from pledges.enums import PledgeStatus
from pledges.models import ProgressPhoto, ProgressRecord
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
YEAR = 2026
PHONE = "13800001111"

READ = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": "login",
}


def manual_url(branch, year=YEAR):
    return reverse("pledges:record_manual", args=[branch.pk]) + f"?year={year}"


def walked(org, status, **extra):
    extra.setdefault("year", YEAR)
    extra.setdefault("due_date", datetime.date(YEAR, 12, 31))
    pledge = factories.make_pledge(**extra)
    secretary = pledge.owner_branch.secretary
    return factories.walk_to(pledge, status, secretary=secretary, staff=org.town_staff)


def record(org, pledge, day, text, photos=0):
    made = ProgressRecord.objects.create(
        pledge=pledge, happened_on=day, description=text, recorded_by=org.secretary
    )
    for index in range(photos):
        ProgressPhoto.objects.create(
            record=made,
            image=f"progress/{YEAR}/03/photo{made.pk}-{index}.jpg",
            thumbnail=f"progress/thumbs/{YEAR}/03/photo{made.pk}-{index}.jpg"
            if index % 2 == 0
            else "",
        )
    return made


@pytest.mark.parametrize("role", ROLES)
def test_record_manual_permission_matrix(org, client_as, role):
    walked(org, S.IN_PROGRESS, branch=org.branch, title="打机井")
    response = client_as(role).get(manual_url(org.branch))
    expected = READ[role]
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected
        assert ("打机井" in response.content.decode()) == (expected == 200)


def test_record_manual_orders_parts_members_pledges_and_records(org, client_as):
    zhang = factories.make_member(org.branch, name="张三", phone=PHONE, birth_year=1966)
    li = factories.make_member(org.branch, name="李四")
    # March part: the branch's pledge first, then members by name.
    march_li = walked(org, S.IN_PROGRESS, member=li, title="李四三月的承诺")
    march_li.time_nodes.create(due_on=datetime.date(YEAR, 3, 20), description="三月节点")
    march_branch = walked(org, S.PUBLISHED, branch=org.branch, title="支部三月的承诺")
    march_branch.time_nodes.create(due_on=datetime.date(YEAR, 3, 5), description="支部节点")
    march_zhang = walked(org, S.APPROVED, member=zhang, title="张三三月的承诺")
    march_zhang.time_nodes.create(due_on=datetime.date(YEAR, 3, 1), description="张三节点")
    march_zhang.time_nodes.create(due_on=datetime.date(YEAR, 9, 1), description="张三九月节点")
    # No time nodes: placed by its due date, in June.
    walked(
        org, S.SUBMITTED, member=zhang, title="张三六月的承诺", due_date=datetime.date(YEAR, 6, 30)
    )
    record(org, march_li, datetime.date(YEAR, 4, 2), "第二次浇水", photos=2)
    record(org, march_li, datetime.date(YEAR, 3, 21), "第一次浇水", photos=1)
    record(org, march_li, datetime.date(YEAR, 5, 9), "第三次浇水")
    # Left out: drafts, withdrawn ones, another year's, another branch's.
    factories.make_pledge(branch=org.branch, title="支部的草稿", year=YEAR)
    walked(org, S.WITHDRAWN, branch=org.branch, title="撤回了的事项")
    walked(org, S.IN_PROGRESS, branch=org.branch, title="去年的承诺", year=YEAR - 1)
    walked(org, S.IN_PROGRESS, branch=org.other_branch, title="别村的承诺")

    text = client_as("secretary").get(manual_url(org.branch)).content.decode()

    names = Member.objects.filter(branch=org.branch).order_by("name").values_list("name", flat=True)
    march = ["支部三月的承诺", *[f"{name}三月的承诺" for name in names]]
    order = [
        "践行承诺记实手册",
        "目录",
        f"<h2>第1部分　{YEAR}年3月",
        *march,
        f"<h2>第2部分　{YEAR}年6月",
        "张三六月的承诺",
    ]
    positions = [text.index(marker, text.index('<article class="manual')) for marker in order]
    assert positions == sorted(positions)
    # The branch's own first; members as the database collates names (as above).
    assert text.index("支部三月的承诺") < text.index("张三三月的承诺")
    assert text.index("支部三月的承诺") < text.index("李四三月的承诺")
    # Records oldest first, after their pledge, each with its photos.
    dates = [f"{YEAR}年3月21日", f"{YEAR}年4月2日", f"{YEAR}年5月9日"]
    li_part = text[text.index("李四三月的承诺") :]
    record_positions = [li_part.index(day) for day in dates]
    assert record_positions == sorted(record_positions)
    assert "第一次浇水" in li_part
    assert text.count("<img ") == 3
    assert f"/media/progress/thumbs/{YEAR}/03/" in text  # the thumbnail…
    assert f'src="/media/progress/{YEAR}/03/' in text  # …or the image when it has none
    assert 'loading="lazy"' not in text  # a print page must load every photo
    for absent in ["支部的草稿", "撤回了的事项", "去年的承诺", "别村的承诺", PHONE, "1966"]:
        assert absent not in text
    assert text.count('class="manual-ruled"') == 4
    assert "记事" in text


def test_record_manual_says_so_when_a_pledge_has_no_records(org, client_as):
    walked(org, S.PUBLISHED, branch=org.branch, title="还没开始的承诺")
    text = client_as("secretary").get(manual_url(org.branch)).content.decode()
    assert "还没开始的承诺" in text
    assert "尚无推进记录。" in text


def test_record_manual_of_a_year_without_pledges_says_so(org, client_as):
    text = client_as("secretary").get(manual_url(org.branch, 2030)).content.decode()
    assert "2030年度还没有承诺" in text
    assert 'class="manual-part' not in text


def test_record_manual_shows_each_node_state(org, client_as):
    today = timezone.localdate()
    pledge = walked(org, S.IN_PROGRESS, branch=org.branch, year=today.year, due_date=today)
    done = pledge.time_nodes.create(
        due_on=today - datetime.timedelta(days=30),
        description="甲",
        closed_as="done",
        done_on=today - datetime.timedelta(days=31),
    )
    dropped = pledge.time_nodes.create(
        due_on=today - datetime.timedelta(days=20),
        description="乙",
        closed_as="not_needed",
        close_reason="上级统一安排",
    )
    pledge.time_nodes.create(due_on=today - datetime.timedelta(days=10), description="丙")
    pledge.time_nodes.create(due_on=today + datetime.timedelta(days=10), description="丁")
    text = client_as("secretary").get(manual_url(org.branch, today.year)).content.decode()
    assert f"{done.done_on.month}月{done.done_on.day}日完成" in text
    assert f"不再需要：{dropped.close_reason}" in text
    assert "逾期未完成" in text
    assert "未到期" in text


def test_record_manual_year_defaults_to_the_year_under_way(org, client_as):
    this_year = timezone.localdate().year
    walked(org, S.PUBLISHED, branch=org.branch, title="今年的承诺", year=this_year)
    for query in ["", "?year=abc", "?year=99999", "?year=²０２６"]:
        url = reverse("pledges:record_manual", args=[org.branch.pk]) + query
        response = client_as("secretary").get(url)
        assert response.status_code == 200
        assert "今年的承诺" in response.content.decode()


def test_record_manual_has_the_running_header_and_no_inline_style(org, client_as):
    text = client_as("secretary").get(manual_url(org.branch)).content.decode()
    assert f'content: "范寨村党支部 · {YEAR}年度"' in text
    assert 'content: "践行承诺记实手册"' in text
    assert "css/manuals-pledges.css" in text
    assert " style=" not in text


def _fill(org, count):
    for index in range(count):
        member = factories.make_member(org.branch, name=f"党员{index:03d}")
        pledge = walked(org, S.IN_PROGRESS, member=member, title=f"承诺{index}")
        pledge.time_nodes.create(due_on=datetime.date(YEAR, 1 + index % 12, 1), description="节点")
        pledge.time_nodes.create(due_on=datetime.date(YEAR, 12, 1), description="节点二")
        for day in (3, 9):
            record(org, pledge, datetime.date(YEAR, 1 + index % 12, day), "做了", photos=2)


def test_record_manual_query_count_is_fixed(org, client_as, django_assert_max_num_queries):
    client = client_as("secretary")
    counts = []
    for size in (2, 14):
        _fill(org, size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(manual_url(org.branch))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(10):
        client.get(manual_url(org.branch))

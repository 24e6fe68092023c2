"""定诺 pages: the branch's pledges, writing and rewriting a pledge, the pledge letters."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.models import Member
from pledges.enums import NeedStatus, PledgeMove, PledgeStatus
from pledges.models import Need, Pledge, PledgeTransition, ProgressRecord
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
SECRET = "给四组困难户修缮房屋"
PHONE = "13800001111"

READ = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": "login",
}
WRITE = {**READ, "town_staff": 403, "district_staff": 403}


def today():
    return timezone.localdate()


def days(count):
    return today() + datetime.timedelta(days=count)


def walked(org, status, **extra):
    pledge = factories.make_pledge(**extra)
    secretary = pledge.owner_branch.secretary
    return factories.walk_to(pledge, status, secretary=secretary, staff=org.town_staff)


def checked_needs(text):
    """The needs checkboxes that are ticked, as the <input ...> chunks of the page."""
    return [
        chunk for chunk in text.split("<input") if 'name="needs"' in chunk and "checked" in chunk
    ]


def pledge_data(nodes=(), **extra):
    """A valid posted pledge form: a one-off branch pledge due in ten days."""
    due = days(10)
    data = {
        "member": "",
        "title": "给村东生产路树木浇水",
        "content": "每次浇透，旱季加一次。",
        "beneficiaries": "沿路农户",
        "category": "environment",
        "year": str(due.year),
        "due_date": due.isoformat(),
        "rhythm": "",
        "action": "draft",
        "nodes-TOTAL_FORMS": str(max(3, len(nodes))),
        "nodes-INITIAL_FORMS": "0",
        "nodes-MIN_NUM_FORMS": "0",
        "nodes-MAX_NUM_FORMS": "60",
    }
    for index, (due_on, description) in enumerate(nodes):
        data[f"nodes-{index}-due_on"] = due_on
        data[f"nodes-{index}-description"] = description
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


def add_url(org):
    return reverse("pledges:pledge_add", args=[org.branch.pk])


def assert_answer(response, expected):
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected
    if expected != 200:
        assert SECRET not in response.content.decode()


# --- Permission matrix ------------------------------------------------------------------

VIEWS = {
    # view: (status of the pledge made for it, whose id the URL takes, expected answers)
    "branch_pledges": (S.DRAFT, "branch", READ),
    "pledge_add": (S.DRAFT, "branch", WRITE),
    "pledge_edit": (S.DRAFT, "pledge", WRITE),
    "pledge_letter": (S.APPROVED, "pledge", READ),
    "branch_letters": (S.APPROVED, "branch", READ),
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("role", ROLES)
def test_drafting_views_permission_matrix(org, client_as, view, role):
    status, takes, expected = VIEWS[view]
    pledge = walked(org, status, branch=org.branch, title=SECRET)
    target = org.branch if takes == "branch" else pledge
    response = client_as(role).get(reverse(f"pledges:{view}", args=[target.pk]))
    assert_answer(response, expected[role])
    if expected[role] == 200 and view != "pledge_add":
        assert SECRET in response.content.decode()


@pytest.mark.parametrize("role", ["other_secretary", "town_staff", "district_staff", "anonymous"])
def test_pledge_writes_by_others_change_nothing(org, client_as, role):
    pledge = factories.make_pledge(branch=org.branch, title=SECRET)
    client = client_as(role)
    add = client.post(add_url(org), pledge_data(title="别人写的"))
    edit = client.post(
        reverse("pledges:pledge_edit", args=[pledge.pk]), pledge_data(title="别人改的")
    )
    assert add.status_code in (302, 403, 404)
    assert edit.status_code in (302, 403, 404)
    assert list(Pledge.objects.values_list("title", flat=True)) == [SECRET]


# --- Writing a pledge -------------------------------------------------------------------


def test_pledge_add_from_two_needs_claims_both(org, client_as):
    first = factories.make_need(branch=org.branch, description="东路树木缺水")
    second = factories.make_need(branch=org.branch, description="西路树木缺水")
    response = client_as("secretary").post(
        add_url(org), pledge_data(needs=[str(first.pk), str(second.pk)])
    )
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("pledges:pledge_detail", args=[pledge.pk])
    assert set(pledge.needs.all()) == {first, second}
    assert set(Need.objects.values_list("status", flat=True)) == {NeedStatus.CLAIMED}


def test_pledge_add_starts_from_the_needs_in_the_query(org, client_as):
    open_need = factories.make_need(branch=org.branch, category="infrastructure")
    claimed = factories.make_need(
        branch=org.branch, status=NeedStatus.CLAIMED, description="已被认领的"
    )
    foreign = factories.make_need(branch=org.other_branch, description="别村的需求")
    response = client_as("secretary").get(
        add_url(org), {"needs": [open_need.pk, claimed.pk, foreign.pk, "x"]}
    )
    text = response.content.decode()
    assert response.status_code == 200
    ticked = checked_needs(text)
    assert len(ticked) == 2
    assert f'value="{open_need.pk}"' in ticked[0] + ticked[1]
    assert f'value="{claimed.pk}"' in ticked[0] + ticked[1]
    assert "已被认领的" in text
    assert "别村的需求" not in text
    assert '<option value="infrastructure" selected>' in text


def test_pledge_add_checks_the_needs_from_the_query(org, client_as):
    need = factories.make_need(branch=org.branch)
    other = factories.make_need(branch=org.branch)
    text = client_as("secretary").get(add_url(org), {"needs": need.pk}).content.decode()
    ticked = checked_needs(text)
    assert len(ticked) == 1
    assert f'value="{need.pk}"' in ticked[0]
    assert f'value="{other.pk}"' in text


@pytest.mark.parametrize(
    ("action", "status", "moves"), [("draft", S.DRAFT, 0), ("submit", S.SUBMITTED, 1)]
)
def test_pledge_add_saves_a_draft_or_submits(org, client_as, action, status, moves):
    response = client_as("secretary").post(add_url(org), pledge_data(action=action))
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert pledge.status == status
    transitions = PledgeTransition.objects.filter(pledge=pledge)
    assert transitions.count() == moves
    if moves:
        assert (transitions.get().move, transitions.get().actor) == (
            PledgeMove.SUBMIT,
            org.secretary,
        )


def test_pledge_add_for_a_member(org, client_as):
    member = factories.make_member(org.branch, name="李荣花")
    client_as("secretary").post(add_url(org), pledge_data(member=str(member.pk)))
    pledge = Pledge.objects.get()
    assert (pledge.member, pledge.branch, pledge.owner_branch) == (member, None, org.branch)


def test_pledge_add_offers_only_members_on_the_roll(org, client_as):
    factories.make_member(org.branch, name="在册党员")
    factories.make_member(org.branch, name="已转出党员", is_active=False)
    factories.make_member(org.other_branch, name="别村党员")
    text = client_as("secretary").get(add_url(org)).content.decode()
    assert "在册党员" in text
    assert "已转出党员" not in text
    assert "别村党员" not in text
    assert "范寨村党支部（支部承诺）" in text


@pytest.mark.parametrize("tamper", ["member", "needs"])
def test_pledge_add_refuses_another_branch_objects_by_tampered_ids(org, client_as, tamper):
    foreign = {
        "member": factories.make_member(org.other_branch),
        "needs": factories.make_need(branch=org.other_branch),
    }[tamper]
    response = client_as("secretary").post(add_url(org), pledge_data(**{tamper: str(foreign.pk)}))
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert Pledge.objects.count() == 0


def test_pledge_add_recurring_without_rhythm_says_why_and_keeps_everything(org, client_as):
    need = factories.make_need(branch=org.branch)
    response = client_as("secretary").post(
        add_url(org),
        pledge_data(
            nodes=[(days(3).isoformat(), "第一次浇水")],
            is_recurring="on",
            title="每月浇水一次",
            needs=str(need.pk),
        ),
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "经常性承诺须选择频次" in text
    assert 'value="每月浇水一次"' in text
    assert "每次浇透，旱季加一次。" in text
    assert 'value="第一次浇水"' in text
    assert f'value="{days(3).isoformat()}"' in text
    assert 'id="id_is_recurring" checked' in text
    assert Pledge.objects.count() == 0
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN


def test_pledge_add_one_off_with_a_rhythm_says_why(org, client_as):
    response = client_as("secretary").post(add_url(org), pledge_data(rhythm="monthly"))
    assert "一次性承诺不选频次" in response.content.decode()
    assert Pledge.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"due_date": days(-1).isoformat()}, "完成时限不能早于今天。"),
        (
            {
                "due_date": datetime.date(today().year + 1, 1, 5).isoformat(),
                "year": str(today().year),
            },
            "一次性承诺的完成时限不能晚于",
        ),
        ({"year": "1999"}, "选择一个有效的选项"),
        ({"title": ""}, "这个字段是必填项。"),
    ],
)
def test_pledge_add_bad_dates_and_fields_refused(org, client_as, extra, error):
    response = client_as("secretary").post(add_url(org), pledge_data(**extra))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Pledge.objects.count() == 0


def test_pledge_add_recurring_may_run_past_the_year(org, client_as):
    due = datetime.date(today().year + 1, 3, 31)
    client_as("secretary").post(
        add_url(org),
        pledge_data(
            is_recurring="on", rhythm="monthly", due_date=due.isoformat(), year=str(today().year)
        ),
    )
    pledge = Pledge.objects.get()
    assert (pledge.is_recurring, pledge.rhythm, pledge.due_date) == (True, "monthly", due)


def test_pledge_add_time_node_errors_keep_every_row(org, client_as):
    nodes = [
        (days(30).isoformat(), "晚于完成时限的节点"),
        ("", "没有日期的节点"),
        (days(2).isoformat(), ""),
        (days(-60).isoformat(), "太早的节点"),
    ]
    response = client_as("secretary").post(add_url(org), pledge_data(nodes=nodes))
    text = response.content.decode()
    assert response.status_code == 200
    assert "节点日期不能晚于完成时限" in text
    assert "请填写这个节点的日期。" in text
    assert "请写明这个节点要完成什么。" in text
    assert "节点日期不能早于" in text
    for due_on, description in nodes:
        if due_on:
            assert f'value="{due_on}"' in text
        if description:
            assert f'value="{description}"' in text
    assert Pledge.objects.count() == 0


def test_pledge_add_more_rows_redraws_with_what_was_typed(org, client_as):
    data = pledge_data(nodes=[(days(2).isoformat(), "第一次走访")], title="", more_rows="1")
    response = client_as("secretary").post(add_url(org), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'name="nodes-TOTAL_FORMS" value="6"' in text
    assert 'value="第一次走访"' in text
    assert "每次浇透，旱季加一次。" in text
    assert "errorlist" not in text
    assert Pledge.objects.count() == 0


def test_pledge_add_saves_its_time_nodes_in_order(org, client_as):
    nodes = [(days(8).isoformat(), "第二次"), (days(1).isoformat(), "第一次"), ("", "")]
    client_as("secretary").post(add_url(org), pledge_data(nodes=nodes))
    pledge = Pledge.objects.get()
    assert list(pledge.time_nodes.values_list("description", flat=True)) == ["第一次", "第二次"]


# --- Rewriting a pledge -----------------------------------------------------------------


def edit_url(pledge):
    return reverse("pledges:pledge_edit", args=[pledge.pk])


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.PUBLISHED, S.COMPLETED, S.WITHDRAWN])
def test_pledge_edit_refused_once_submitted(org, client_as, status):
    pledge = walked(org, status, branch=org.branch, title=SECRET)
    client = client_as("secretary")
    page = client.get(edit_url(pledge))
    assert page.status_code == 200
    assert "已锁定，不能修改" in page.content.decode()
    assert 'name="title"' not in page.content.decode()
    response = client.post(edit_url(pledge), pledge_data(title="偷偷改掉"))
    assert response.status_code == 302
    assert response.url == reverse("pledges:pledge_detail", args=[pledge.pk])
    pledge.refresh_from_db()
    assert (pledge.title, pledge.status) == (SECRET, status)


def test_pledge_edit_shows_what_the_draft_holds(org, client_as):
    need = factories.make_need(branch=org.branch, status=NeedStatus.CLAIMED)
    pledge = factories.make_pledge(branch=org.branch, title=SECRET)
    pledge.needs.add(need)
    pledge.time_nodes.create(due_on=days(4), description="第一次入户")
    text = client_as("secretary").get(edit_url(pledge)).content.decode()
    assert f'value="{SECRET}"' in text
    assert 'value="第一次入户"' in text
    assert len(checked_needs(text)) == 1


def test_pledge_edit_returned_shows_the_reason_and_resubmits(org, client_as):
    pledge = factories.make_pledge(
        branch=org.branch, title=SECRET, due_date=days(10), year=days(10).year
    )
    pledge.submit(org.secretary)
    pledge.return_for_revision(org.town_staff, reason="请写明浇水的具体路段")
    client = client_as("secretary")
    text = client.get(edit_url(pledge)).content.decode()
    assert "请写明浇水的具体路段" in text
    assert "重新提交审核" in text
    response = client.post(
        edit_url(pledge), pledge_data(title="给村东生产路一至三组路段树木浇水", action="submit")
    )
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    assert pledge.title == "给村东生产路一至三组路段树木浇水"
    assert PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.SUBMIT).count() == 2


def test_pledge_edit_unlinking_a_need_reopens_it(org, client_as):
    kept = factories.make_need(branch=org.branch, status=NeedStatus.CLAIMED)
    dropped = factories.make_need(branch=org.branch, status=NeedStatus.CLAIMED)
    pledge = factories.make_pledge(branch=org.branch)
    pledge.needs.add(kept, dropped)
    client_as("secretary").post(edit_url(pledge), pledge_data(needs=str(kept.pk)))
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert (kept.status, dropped.status) == (NeedStatus.CLAIMED, NeedStatus.OPEN)


def test_pledge_edit_bad_input_keeps_what_was_typed(org, client_as):
    pledge = factories.make_pledge(branch=org.branch, title=SECRET)
    response = client_as("secretary").post(
        edit_url(pledge), pledge_data(title="改了一半的标题", is_recurring="on")
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="改了一半的标题"' in text
    assert "经常性承诺须选择频次" in text
    pledge.refresh_from_db()
    assert pledge.title == SECRET


# --- The branch's pledges ---------------------------------------------------------------


def list_url(org):
    return reverse("pledges:branch_pledges", args=[org.branch.pk])


ALL_FOUR = {"支部草稿承诺", "党员公示承诺", "逾期践诺承诺", "已完成承诺"}


@pytest.fixture
def varied(org):
    """Pledges of the branch in several statuses and pledgers, one overdue."""
    member = factories.make_member(org.branch, name="李荣花")
    past = {"due_date": days(-3), "year": days(-3).year}
    return {
        "branch_draft": factories.make_pledge(branch=org.branch, title="支部草稿承诺"),
        "member_published": walked(org, S.PUBLISHED, member=member, title="党员公示承诺"),
        "overdue": walked(org, S.IN_PROGRESS, branch=org.branch, title="逾期践诺承诺", **past),
        "done": walked(org, S.COMPLETED, branch=org.branch, title="已完成承诺", **past),
        "member": member,
        "foreign": factories.make_pledge(branch=org.other_branch, title="别村的承诺"),
    }


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, ALL_FOUR),
        ({"status": "draft"}, {"支部草稿承诺"}),
        ({"step": "show"}, {"党员公示承诺"}),
        ({"step": "define"}, {"支部草稿承诺"}),
        ({"step": "supervise"}, {"已完成承诺"}),
        ({"pledger": "branch"}, {"支部草稿承诺", "逾期践诺承诺", "已完成承诺"}),
        ({"overdue": "1"}, {"逾期践诺承诺"}),
        ({"q": "公示"}, {"党员公示承诺"}),
        (
            {"status": "nonsense", "step": "x", "pledger": "x"},
            {"支部草稿承诺", "党员公示承诺", "逾期践诺承诺", "已完成承诺"},
        ),
    ],
)
def test_branch_pledges_filters(org, client_as, varied, query, shown):
    text = client_as("town_staff").get(list_url(org), query).content.decode()
    titles = {"支部草稿承诺", "党员公示承诺", "逾期践诺承诺", "已完成承诺", "别村的承诺"}
    assert {title for title in titles if title in text} == shown


def test_branch_pledges_filter_by_member(org, client_as, varied):
    text = (
        client_as("secretary").get(list_url(org), {"pledger": varied["member"].pk}).content.decode()
    )
    assert "党员公示承诺" in text
    assert "支部草稿承诺" not in text


def test_branch_pledges_marks_overdue_and_counts_progress(org, client_as, varied):
    ProgressRecord.objects.create(
        pledge=varied["overdue"],
        happened_on=days(-1),
        description="浇水",
        recorded_by=org.secretary,
    )
    text = client_as("secretary").get(list_url(org)).content.decode()
    assert "（已逾期）" in text
    assert text.count("（已逾期）") == 1
    assert "践诺记实 1 条" in text
    assert reverse("pledges:pledge_detail", args=[varied["overdue"].pk]) in text


def test_branch_pledges_write_button_only_for_the_secretary(org, client_as, varied):
    draft_edit = edit_url(varied["branch_draft"])
    secretary_text = client_as("secretary").get(list_url(org)).content.decode()
    staff_text = client_as("district_staff").get(list_url(org)).content.decode()
    assert add_url(org) in secretary_text
    assert draft_edit in secretary_text
    assert add_url(org) not in staff_text
    assert draft_edit not in staff_text


def _fill_pledges(org, count):
    for _ in range(count):
        member = factories.make_member(org.branch)
        pledge = walked(org, S.IN_PROGRESS, member=member)
        pledge.needs.add(factories.make_need(branch=org.branch))
        pledge.time_nodes.create(due_on=days(3), description="节点")
        ProgressRecord.objects.create(
            pledge=pledge, happened_on=days(-1), description="做了", recorded_by=org.secretary
        )


@pytest.mark.parametrize(("view", "limit"), [("branch_pledges", 12), ("branch_letters", 10)])
def test_list_query_count_is_fixed(org, client_as, django_assert_max_num_queries, view, limit):
    client = client_as("secretary")
    url = reverse(f"pledges:{view}", args=[org.branch.pk])
    counts = []
    for size in (2, 9):
        _fill_pledges(org, size)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(limit):
        client.get(url)


def test_branch_pledges_paginates(org, client_as):
    for index in range(35):
        factories.make_pledge(branch=org.branch, title=f"承诺{index:02d}号")
    first = client_as("secretary").get(list_url(org)).content.decode()
    second = client_as("secretary").get(list_url(org), {"page": 2}).content.decode()
    assert first.count('class="title"') == 30
    assert second.count('class="title"') == 5


# --- The pledge letter ------------------------------------------------------------------


def letter_url(pledge):
    return reverse("pledges:pledge_letter", args=[pledge.pk])


def test_pledge_letter_is_the_real_form_and_never_shows_the_phone(org, client_as):
    member = factories.make_member(org.branch, name="李荣花", phone=PHONE, birth_year=1966)
    pledge = walked(
        org,
        S.APPROVED,
        member=member,
        title="每月给村东生产路树木浇水一次",
        beneficiaries="沿路农户",
        is_recurring=True,
        rhythm="monthly",
    )
    pledge.needs.add(factories.make_need(branch=org.branch, description="东路树木缺人浇水"))
    pledge.time_nodes.create(due_on=datetime.date(2026, 12, 1), description="入冬前浇透")
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    for expected in [
        "为民服务解难题公开承诺书",
        "承诺主体",
        "李荣花（范寨村党支部党员）",
        "承诺事项",
        "每月给村东生产路树木浇水一次",
        "服务对象",
        "沿路农户",
        "完成时限",
        "2026年12月31日",
        "每月",
        "时间节点",
        "2026年12月1日",
        "入冬前浇透",
        "认领的群众需求",
        "东路树木缺人浇水",
        "承诺人（签字）",
        "支部书记（签字）",
        "上级党组织审核意见",
        "年　　月　　日",
        "css/letter.css",
    ]:
        assert expected in text, expected
    assert PHONE not in text
    assert "1966" not in text
    assert "草稿 · 未经审核" not in text


@pytest.mark.parametrize(
    ("status", "mark"),
    [
        (S.DRAFT, "草稿 · 未经审核"),
        (S.SUBMITTED, "草稿 · 未经审核"),
        (S.RETURNED, "草稿 · 未经审核"),
        (S.WITHDRAWN, "已撤销 · 不再有效"),
        (S.APPROVED, None),
        (S.EVALUATED, None),
    ],
)
def test_pledge_letter_marks_what_is_not_approved(org, client_as, status, mark):
    pledge = walked(org, status, branch=org.branch)
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert ("letter-stamp" in text) == (mark is not None)
    if mark:
        assert mark in text


def test_pledge_letter_leaves_out_who_else_raised_the_need(org, client_as):
    pledge = walked(org, S.APPROVED, branch=org.branch)
    pledge.needs.add(
        factories.make_need(branch=org.branch, description="东路树木缺水\n同时来源：李四（座谈会）")
    )
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert "东路树木缺水" in text
    assert "李四" not in text


def test_branch_letters_print_approved_pledges_branch_first_then_members_by_name(org, client_as):
    zhang = factories.make_member(org.branch, name="张三", phone=PHONE)
    li = factories.make_member(org.branch, name="李四")
    walked(org, S.PUBLISHED, member=zhang, title="张三的承诺")
    walked(org, S.APPROVED, member=li, title="李四的承诺")
    walked(org, S.EVALUATED, branch=org.branch, title="支部的承诺")
    factories.make_pledge(branch=org.branch, title="支部的草稿")
    walked(org, S.SUBMITTED, member=li, title="待审核的承诺")
    walked(org, S.WITHDRAWN, member=li, title="撤销的承诺")
    walked(org, S.APPROVED, branch=org.other_branch, title="别村的承诺")
    text = (
        client_as("town_staff")
        .get(reverse("pledges:branch_letters", args=[org.branch.pk]))
        .content.decode()
    )
    assert text.count('<article class="letter') == 3
    names = Member.objects.filter(branch=org.branch).order_by("name").values_list("name", flat=True)
    order = ["支部的承诺", *[f"{name}的承诺" for name in names]]  # as the database collates
    assert [text.index(title) for title in order] == sorted(text.index(title) for title in order)
    for absent in [
        "支部的草稿",
        "待审核的承诺",
        "撤销的承诺",
        "别村的承诺",
        PHONE,
        "草稿 · 未经审核",
    ]:
        assert absent not in text


def test_branch_letters_of_one_year(org, client_as):
    walked(org, S.APPROVED, branch=org.branch, title="今年的承诺", year=2026)
    walked(org, S.APPROVED, branch=org.branch, title="去年的承诺", year=2025)
    text = (
        client_as("secretary")
        .get(reverse("pledges:branch_letters", args=[org.branch.pk]), {"year": "2026"})
        .content.decode()
    )
    assert "今年的承诺" in text
    assert "去年的承诺" not in text


# --- The letter's QR code and approval record ---------------------------------------------


def test_pledge_letter_carries_the_member_code_and_who_approved(org, client_as):
    from pledges.qr import qr_inline_svg

    org.town_staff.last_name, org.town_staff.first_name = "王", "审核"
    org.town_staff.save()
    member = factories.make_member(org.branch, name="李荣花")
    pledge = walked(org, S.PUBLISHED, member=member)
    approved = PledgeTransition.objects.get(pledge=pledge, move=PledgeMove.APPROVE)
    day = timezone.localdate(approved.created_at)
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert f"审核：姬石镇党委 于 {day.year}年{day.month}月{day.day}日 审核通过" in text
    assert "王审核" not in text
    assert org.town_staff.username not in text
    assert str(qr_inline_svg(member.public_token)) in text
    assert "扫码查看本人的承诺和进展" in text


def test_pledge_letter_of_the_branch_carries_the_branch_code(org, client_as):
    from pledges.qr import qr_inline_svg

    pledge = walked(org, S.APPROVED, branch=org.branch)
    text = client_as("town_staff").get(letter_url(pledge)).content.decode()
    assert str(qr_inline_svg(org.branch.public_token)) in text
    assert "扫码查看本支部的承诺和进展" in text


def test_pledge_letter_of_a_member_without_public_page_says_the_code_shows_the_board(
    org, client_as
):
    member = factories.make_member(org.branch, public_page_enabled=False)
    pledge = walked(org, S.APPROVED, member=member)
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert "扫码查看本支部承诺公示" in text


def test_pledge_letter_names_the_nearest_committee_whose_staff_approved(org, client_as):
    pledge = factories.make_pledge(branch=org.branch)
    factories.walk_to(pledge, S.APPROVED, secretary=org.secretary, staff=org.district_staff)
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert "审核：示范区党工委 于 " in text
    # Staff of both: the committee nearest the branch.
    factories.make_staff(org.town, org.district_staff)
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert "审核：姬石镇党委 于 " in text


def test_pledge_letter_falls_back_to_the_branch_committee(org, client_as):
    from branches.models import CommitteeStaff

    pledge = walked(org, S.APPROVED, branch=org.branch)
    CommitteeStaff.objects.filter(user=org.town_staff).delete()  # no longer staff there
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert "审核：姬石镇党委 于 " in text


def test_pledge_letter_shows_the_latest_approval(org, client_as):
    pledge = walked(org, S.APPROVED, branch=org.branch)
    first = PledgeTransition.objects.get(pledge=pledge, move=PledgeMove.APPROVE)
    later = timezone.now() + datetime.timedelta(days=40)
    PledgeTransition.objects.create(
        pledge=pledge,
        move=PledgeMove.APPROVE,
        from_status=S.SUBMITTED,
        to_status=S.APPROVED,
        actor=org.district_staff,
        actor_role="upper_staff",
        created_at=later,
    )
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    day = timezone.localdate(later)
    assert f"审核：示范区党工委 于 {day.year}年{day.month}月{day.day}日 审核通过" in text
    assert first.created_at != later


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED, S.WITHDRAWN])
def test_pledge_letter_not_approved_has_no_approval_line(org, client_as, status):
    pledge = walked(org, status, branch=org.branch)
    text = client_as("secretary").get(letter_url(pledge)).content.decode()
    assert "审核：" not in text
    assert "<svg" in text  # the code is printed on drafts too


def test_branch_letters_each_carry_their_approval_and_code(org, client_as):
    from pledges.qr import qr_inline_svg

    members = [factories.make_member(org.branch, name=name) for name in ("张三", "李四")]
    for member in members:
        walked(org, S.PUBLISHED, member=member)
    text = (
        client_as("district_staff")
        .get(reverse("pledges:branch_letters", args=[org.branch.pk]))
        .content.decode()
    )
    assert text.count("审核：姬石镇党委 于 ") == 2
    for member in members:
        assert str(qr_inline_svg(member.public_token)) in text


def test_pledge_letter_query_count_is_fixed(org, client_as):
    pledge = walked(org, S.IN_PROGRESS, branch=org.branch)
    client = client_as("secretary")
    counts = []
    for nodes in (1, 8):
        for index in range(nodes):
            pledge.time_nodes.create(due_on=days(index + 1), description="节点")
            pledge.needs.add(factories.make_need(branch=org.branch))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(letter_url(pledge)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]

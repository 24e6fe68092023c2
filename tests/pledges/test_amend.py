"""Changes to a pledge after publication: every changed field leaves an amendment with the
old and new wording and the reason; the pledge's status is never touched."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledges.enums import PledgeStatus, Rhythm
from pledges.models import PledgeAmendment, TimeNode
from pledges.services.amend import pledge_amend
from tests import factories
from tests.conftest import ROLES

S = PledgeStatus
TODAY = datetime.date(2026, 6, 1)
AMENDABLE = [S.PUBLISHED, S.IN_PROGRESS]
NOT_AMENDABLE = [status for status in S if status not in AMENDABLE]


def walked(org, status, **extra):
    branch = extra.pop("branch", org.branch)
    pledge = factories.make_pledge(branch=branch, **extra)
    owner = pledge.owner_branch
    return factories.walk_to(pledge, status, secretary=owner.secretary, staff=org.district_staff)


def recurring(org, status, **extra):
    """A monthly pledge of this year: its due date may move past the year's end, so a
    view test stays valid whatever day it runs."""
    today = timezone.localdate()
    return walked(
        org,
        status,
        year=today.year,
        due_date=today + datetime.timedelta(days=30),
        is_recurring=True,
        rhythm=Rhythm.MONTHLY,
        **extra,
    )


def amend_url(pledge):
    return reverse("pledges:pledge_amend", args=[pledge.pk])


def login_url(url):
    return f"{reverse('login')}?next={url}"


def form_data(pledge, **changes):
    data = {
        "title": pledge.title,
        "content": pledge.content,
        "beneficiaries": pledge.beneficiaries,
        "due_date": pledge.due_date.isoformat(),
        "reason": "村民会议要求调整",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", AMENDABLE)
def test_pledge_amend_writes_one_amendment_per_changed_field(org, status):
    pledge = walked(
        org,
        status,
        content="每月一次",
        beneficiaries="村东农户",
        due_date=datetime.date(2026, 9, 30),
    )

    amendments = pledge_amend(
        pledge=pledge,
        actor=org.secretary,
        reason="  天旱，改为每半月一次  ",
        today=TODAY,
        title="每半月给村东生产路树木浇水一次",
        content="每月一次",
        beneficiaries="村东农户",
        due_date=datetime.date(2026, 12, 31),
    )

    rows = [
        (row.field, row.old_value, row.new_value, row.reason, row.actor)
        for row in PledgeAmendment.objects.filter(pledge=pledge).order_by("pk")
    ]
    assert rows == [
        (
            "title",
            "每月给村东生产路树木浇水一次",
            "每半月给村东生产路树木浇水一次",
            "天旱，改为每半月一次",
            org.secretary,
        ),
        ("due_date", "2026-09-30", "2026-12-31", "天旱，改为每半月一次", org.secretary),
    ]
    assert [amendment.field for amendment in amendments] == ["title", "due_date"]
    pledge.refresh_from_db()
    assert (pledge.title, pledge.due_date, pledge.status) == (
        "每半月给村东生产路树木浇水一次",
        datetime.date(2026, 12, 31),
        status,
    )


def test_pledge_amend_records_cleared_text(org):
    pledge = walked(org, S.PUBLISHED, beneficiaries="村东农户")

    pledge_amend(
        pledge=pledge, actor=org.secretary, reason="对象不限", today=TODAY, beneficiaries=""
    )

    amendment = PledgeAmendment.objects.get()
    assert (amendment.field, amendment.old_value, amendment.new_value) == (
        "beneficiaries",
        "村东农户",
        "",
    )


def test_pledge_amend_compares_with_the_database_not_a_stale_copy(org):
    pledge = walked(org, S.PUBLISHED, title="原来的")
    stale = type(pledge).objects.get(pk=pledge.pk)
    pledge_amend(pledge=pledge, actor=org.secretary, reason="一", today=TODAY, title="第二版")

    pledge_amend(pledge=stale, actor=org.secretary, reason="二", today=TODAY, title="第三版")

    assert list(PledgeAmendment.objects.order_by("pk").values_list("old_value", "new_value")) == [
        ("原来的", "第二版"),
        ("第二版", "第三版"),
    ]


@pytest.mark.parametrize("status", NOT_AMENDABLE)
def test_pledge_amend_refused_outside_published_and_in_progress(org, status):
    pledge = walked(org, status, title="原来的")

    with pytest.raises(ValidationError) as refusal:
        pledge_amend(pledge=pledge, actor=org.secretary, reason="改", today=TODAY, title="新的")

    assert refusal.value.messages == [
        f"只有“已公示”或“践诺中”的承诺可以在公示后修改；当前状态为“{status.label}”。"
    ]
    pledge.refresh_from_db()
    assert pledge.title == "原来的"
    assert PledgeAmendment.objects.count() == 0


def test_pledge_amend_refused_when_moved_on_meanwhile(org):
    pledge = walked(org, S.IN_PROGRESS)
    stale = type(pledge).objects.get(pk=pledge.pk)
    pledge.complete(org.secretary)

    with pytest.raises(ValidationError):
        pledge_amend(pledge=stale, actor=org.secretary, reason="改", today=TODAY, title="新的")

    assert PledgeAmendment.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_pledge_amend_refused_without_a_reason(org, reason):
    pledge = walked(org, S.PUBLISHED)

    with pytest.raises(ValidationError) as refusal:
        pledge_amend(pledge=pledge, actor=org.secretary, reason=reason, today=TODAY, title="新")

    assert refusal.value.message_dict == {"reason": ["请填写修改原因，它会和修改内容一起公示。"]}
    assert PledgeAmendment.objects.count() == 0


def test_pledge_amend_refused_when_nothing_changed(org):
    pledge = walked(org, S.PUBLISHED, content="内容")

    with pytest.raises(ValidationError) as refusal:
        pledge_amend(
            pledge=pledge,
            actor=org.secretary,
            reason="没改",
            today=TODAY,
            title=f"  {pledge.title} ",
            content="内容",
            due_date=pledge.due_date,
        )

    assert refusal.value.messages == ["没有修改任何内容。"]
    assert PledgeAmendment.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "请填写承诺事项。"),
        ({"title": "长" * 201}, "title", "最多 200 个字。"),
        ({"due_date": datetime.date(2026, 5, 31)}, "due_date", "新的完成时限不能早于今天。"),
        (
            {"due_date": datetime.date(2027, 1, 1)},
            "due_date",
            "一次性承诺的完成时限不能晚于2026年12月31日。",
        ),
        (
            {"due_date": datetime.date(2026, 7, 1)},
            "due_date",
            "还有未完成的时间节点在2026年8月1日，新的完成时限不能早于它。",
        ),
    ],
)
def test_pledge_amend_refuses_bad_values(org, changes, field, message):
    pledge = walked(org, S.IN_PROGRESS)
    TimeNode.objects.create(pledge=pledge, due_on=datetime.date(2026, 8, 1), description="节点")

    with pytest.raises(ValidationError) as refusal:
        pledge_amend(pledge=pledge, actor=org.secretary, reason="改", today=TODAY, **changes)

    assert refusal.value.message_dict == {field: [message]}
    assert PledgeAmendment.objects.count() == 0


def test_pledge_amend_lets_a_recurring_pledge_run_past_the_year(org):
    pledge = walked(org, S.IN_PROGRESS, is_recurring=True, rhythm=Rhythm.MONTHLY)

    pledge_amend(
        pledge=pledge,
        actor=org.secretary,
        reason="延续一年",
        today=TODAY,
        due_date=datetime.date(2027, 12, 31),
    )

    pledge.refresh_from_db()
    assert pledge.due_date == datetime.date(2027, 12, 31)


def test_pledge_amend_takes_only_the_amendable_fields(org):
    pledge = walked(org, S.PUBLISHED)

    with pytest.raises(TypeError):
        pledge_amend(pledge=pledge, actor=org.secretary, reason="改", status=S.COMPLETED)


@pytest.mark.parametrize(
    "who", ["other_secretary", "town_staff", "other_town_staff", "district_staff"]
)
def test_pledge_amend_service_refuses_all_but_the_secretary(org, who):
    pledge = walked(org, S.PUBLISHED)

    with pytest.raises(PermissionDenied):
        pledge_amend(pledge=pledge, actor=getattr(org, who), reason="改", today=TODAY, title="新")

    assert PledgeAmendment.objects.count() == 0


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------

# role → status code of the amend page of a published 范寨村 pledge.
MATRIX = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 403,
    "other_town_staff": 404,
    "district_staff": 403,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLES)
def test_pledge_amend_page_permission_matrix(client_as, org, role):
    pledge = recurring(org, S.PUBLISHED, title="范寨村承诺甲", beneficiaries="四组农户")
    url = amend_url(pledge)

    response = client_as(role).get(url)

    assert response.status_code == MATRIX[role]
    if MATRIX[role] == 200:
        text = response.text
        assert 'value="范寨村承诺甲"' in text
        assert 'value="四组农户"' in text
        assert f'value="{pledge.due_date.isoformat()}"' in text
    else:
        assert "四组农户" not in response.text
    if MATRIX[role] == 302:
        assert response.url == login_url(url)


@pytest.mark.parametrize("role", ROLES)
def test_pledge_amend_post_permission_matrix(client_as, org, role):
    pledge = recurring(org, S.IN_PROGRESS, title="原来的")

    response = client_as(role).post(amend_url(pledge), form_data(pledge, title="新的"))

    expected = 302 if role == "secretary" else MATRIX[role]
    assert response.status_code == expected
    pledge.refresh_from_db()
    assert pledge.title == ("新的" if role == "secretary" else "原来的")
    assert PledgeAmendment.objects.count() == (1 if role == "secretary" else 0)
    if role == "secretary":
        assert response.url == reverse("pledges:pledge_detail", args=[pledge.pk])


def test_pledge_amend_page_saves_and_the_detail_lists_the_change(client_as, org):
    pledge = recurring(org, S.IN_PROGRESS, title="每月浇水一次")
    new_due = pledge.due_date + datetime.timedelta(days=60)
    client = client_as("secretary")

    response = client.post(
        amend_url(pledge),
        form_data(pledge, title="每半月浇水一次", due_date=new_due.isoformat(), reason="天旱"),
        follow=True,
    )

    text = response.text
    assert "已修改 2 项内容，修改记录会在公示页面上显示。" in text
    assert "公示后修改记录" in text
    assert "<del>每月浇水一次</del> → <ins>每半月浇水一次</ins>" in text
    assert f"<del>{pledge.due_date.isoformat()}</del> → <ins>{new_due.isoformat()}</ins>" in text
    assert "修改原因：天旱" in text
    assert re.search(r"<strong>\s*完成时限\s*</strong>", text)


TYPED = "新写的内容"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"content": TYPED, "reason": ""}, "请填写修改原因，它会和修改内容一起公示。"),
        ({"content": TYPED, "reason": "  "}, "请填写修改原因，它会和修改内容一起公示。"),
        ({}, "没有修改任何内容。"),
        ({"content": TYPED, "title": ""}, "请填写承诺事项。"),
        ({"content": TYPED, "due_date": "2026-13-45"}, "请填写正确的日期。"),
    ],
)
def test_pledge_amend_page_refusals_keep_what_was_typed(client_as, org, changes, message):
    pledge = recurring(org, S.PUBLISHED, title="原来的")

    response = client_as("secretary").post(amend_url(pledge), form_data(pledge, **changes))

    assert response.status_code == 200
    assert message in response.text
    if "content" in changes:
        assert f">\n{TYPED}</textarea>" in response.text
    assert PledgeAmendment.objects.count() == 0
    pledge.refresh_from_db()
    assert (pledge.title, pledge.content) == ("原来的", "")


@pytest.mark.parametrize("status", [S.DRAFT, S.APPROVED, S.COMPLETED, S.VERIFIED, S.WITHDRAWN])
def test_pledge_amend_page_sends_back_a_pledge_not_amendable(client_as, org, status):
    pledge = recurring(org, status)
    client = client_as("secretary")

    for response in (
        client.get(amend_url(pledge)),
        client.post(amend_url(pledge), form_data(pledge, title="新")),
    ):
        assert response.status_code == 302
        assert response.url == reverse("pledges:pledge_detail", args=[pledge.pk])
    text = client.get(reverse("pledges:pledge_detail", args=[pledge.pk])).text
    assert "可以在公示后修改" in text
    assert PledgeAmendment.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status", "shown"),
    [
        ("secretary", S.PUBLISHED, True),
        ("secretary", S.IN_PROGRESS, True),
        ("secretary", S.COMPLETED, False),
        ("secretary", S.APPROVED, False),
        ("town_staff", S.PUBLISHED, False),
        ("district_staff", S.IN_PROGRESS, False),
    ],
)
def test_pledge_detail_links_to_amend_for_the_secretary_only(client_as, org, role, status, shown):
    pledge = recurring(org, status)

    text = client_as(role).get(reverse("pledges:pledge_detail", args=[pledge.pk])).text

    assert (amend_url(pledge) in text) is shown


def test_pledge_detail_queries_do_not_grow_with_amendments(
    client_as, org, django_assert_max_num_queries
):
    def page_queries(pledge):
        client = client_as("secretary")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("pledges:pledge_detail", args=[pledge.pk]))
        assert response.status_code == 200
        assert response.text.count("<ins>") == pledge.amendments.count()
        return len(queries)

    small = walked(org, S.IN_PROGRESS)
    big = walked(org, S.IN_PROGRESS)
    for pledge, count in ((small, 1), (big, 20)):
        for number in range(count):
            pledge_amend(
                pledge=pledge, actor=org.secretary, reason="改", today=TODAY, title=f"第{number}版"
            )

    assert page_queries(big) == page_queries(small)
    client = client_as("town_staff")
    with django_assert_max_num_queries(11):
        client.get(reverse("pledges:pledge_detail", args=[big.pk]))

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from branches.enums import ExemptionReason
from reviews.models import MonthlyReport
from reviews.selectors.monthly import monthly_sheet, next_month, previous_month
from reviews.services import monthly_reports_save
from tests import factories
from tests.conftest import ROLES

LOGIN_URL = reverse("login")
PREFIX = "reports"

READ_STATUS = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}
SAVE_STATUS = {**READ_STATUS, "secretary": 302, "town_staff": 403, "district_staff": 403}


def this_month():
    return timezone.localdate().replace(day=1)


def sheet_url(branch, month=None):
    if month is None:
        return reverse("reviews:monthly_report", args=[branch.pk])
    return reverse("reviews:monthly_report_month", args=[branch.pk, month.year, month.month])


def sheet_data(rows):
    """POST data of the sheet: rows of (member id, service done, problems, next steps)."""
    data = {
        f"{PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{PREFIX}-INITIAL_FORMS": str(len(rows)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    for index, (member_id, service_done, problems, next_steps) in enumerate(rows):
        data[f"{PREFIX}-{index}-member_id"] = str(member_id)
        data[f"{PREFIX}-{index}-service_done"] = service_done
        data[f"{PREFIX}-{index}-problems"] = problems
        data[f"{PREFIX}-{index}-next_steps"] = next_steps
    return data


def report(member, month, recorded_by, **texts):
    return MonthlyReport.objects.create(
        member=member, month=month, recorded_by=recorded_by, **texts
    )


@pytest.fixture
def sheet(org):
    """Three active members (one exempt), one who left, and last month's report of one."""

    class Sheet:
        pass

    s = Sheet()
    s.li = factories.make_member(org.branch, name="李荣花")
    s.ji = factories.make_member(
        org.branch, name="姬国胜", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE
    )
    s.wang = factories.make_member(org.branch, name="王新来")
    s.gone = factories.make_member(org.branch, name="赵已走", is_active=False)
    s.last = report(
        s.li,
        previous_month(this_month()),
        org.secretary,
        service_done="给村东生产路树木浇水一次",
        problems="水泵坏了",
        next_steps="修水泵",
    )
    return s


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("dated", [False, True], ids=["this_month", "dated"])
def test_monthly_report_permissions(org, sheet, client_as, who, dated):
    url = sheet_url(org.branch, this_month() if dated else None)
    response = client_as(who).get(url)
    assert response.status_code == READ_STATUS[who]
    content = response.content.decode()
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    if READ_STATUS[who] == 200:
        assert "李荣花" in content
        assert "给村东生产路树木浇水一次" in content
        # The secretary gets the form; staff above read the same page without one.
        assert (f"{PREFIX}-TOTAL_FORMS" in content) == (who == "secretary")
    else:
        assert "李荣花" not in content
        assert "给村东生产路树木浇水一次" not in content


@pytest.mark.parametrize("who", ROLES)
def test_monthly_report_save_permissions(org, sheet, client_as, who):
    data = sheet_data([(sheet.li.pk, "打扫村委会院子", "", "")])
    response = client_as(who).post(sheet_url(org.branch), data)
    assert response.status_code == SAVE_STATUS[who]
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    else:
        assert "李荣花" not in response.content.decode()
    saved = MonthlyReport.objects.filter(member=sheet.li, month=this_month()).exists()
    assert saved == (who == "secretary")


def test_monthly_report_service_refuses_staff(org, sheet):
    with pytest.raises(PermissionDenied):
        monthly_reports_save(
            branch=org.branch,
            month=this_month(),
            actor=org.town_staff,
            entries=[{"member_id": sheet.li.pk, "service_done": "x"}],
        )
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


# ---------------------------------------------------------------------------
# The sheet
# ---------------------------------------------------------------------------
def test_monthly_report_lists_every_active_member_with_last_month(org, sheet, client_as):
    response = client_as("secretary").get(sheet_url(org.branch))
    assert response.status_code == 200
    rows = response.context["rows"]
    # Exempt members attend the party day too; those who left do not.
    assert [row["member"].name for row in rows] == sorted(["李荣花", "姬国胜", "王新来"])
    by_name = {row["member"].name: row for row in rows}
    assert by_name["李荣花"]["last"] == sheet.last
    assert by_name["王新来"]["last"] is None
    content = response.content.decode()
    assert "赵已走" not in content
    assert "免于承诺" in content
    assert "水泵坏了" in content
    assert "上月无汇报。" in content
    assert "已汇报 <strong>0</strong> / 3 人" in content


def test_monthly_report_prefills_this_months_report(org, sheet, client_as):
    report(sheet.wang, this_month(), org.secretary, service_done="帮五保户收玉米")
    response = client_as("secretary").get(sheet_url(org.branch))
    forms = {form.member.pk: form for form in response.context["formset"].forms}
    assert forms[sheet.wang.pk].initial["service_done"] == "帮五保户收玉米"
    assert forms[sheet.li.pk].initial["service_done"] == ""
    assert "已汇报 <strong>1</strong> / 3 人" in response.content.decode()


def test_monthly_report_save_creates_only_filled_rows(org, sheet, client_as):
    data = sheet_data(
        [
            (sheet.li.pk, "给树浇水", "", "下月继续"),
            (sheet.ji.pk, "", "", ""),
            (sheet.wang.pk, "  ", "", ""),
        ]
    )
    client = client_as("secretary")
    response = client.post(sheet_url(org.branch), data)
    assert response.status_code == 302
    assert response["Location"] == sheet_url(org.branch, this_month())
    saved = MonthlyReport.objects.get(month=this_month())
    assert (saved.member, saved.service_done, saved.problems, saved.next_steps) == (
        sheet.li,
        "给树浇水",
        "",
        "下月继续",
    )
    assert saved.recorded_by == org.secretary
    # Last month's report is left as it was, and still shown after the save.
    sheet.last.refresh_from_db()
    assert sheet.last.service_done == "给村东生产路树木浇水一次"
    page = client.get(response["Location"]).content.decode()
    assert "给村东生产路树木浇水一次" in page
    assert "给树浇水" in page
    assert "新填 1 人，修改 0 人，清空 0 人" in page


def test_monthly_report_save_updates_changed_rows_only(org, sheet, client_as):
    clerk = factories.make_user("clerk")
    unchanged = report(sheet.ji, this_month(), clerk, service_done="讲党课")
    changed = report(sheet.wang, this_month(), clerk, service_done="修路", problems="缺沙子")
    data = sheet_data(
        [
            (sheet.li.pk, "", "", ""),
            (sheet.ji.pk, "讲党课", "", ""),
            (sheet.wang.pk, "修路", "沙子已到", "铺完最后一段"),
        ]
    )
    client_as("secretary").post(sheet_url(org.branch), data)
    unchanged.refresh_from_db()
    changed.refresh_from_db()
    assert unchanged.recorded_by == clerk
    assert (changed.problems, changed.next_steps, changed.recorded_by) == (
        "沙子已到",
        "铺完最后一段",
        org.secretary,
    )
    assert MonthlyReport.objects.filter(month=this_month()).count() == 2


def test_monthly_report_save_clears_an_emptied_report(org, sheet, client_as):
    report(sheet.wang, this_month(), org.secretary, service_done="修路")
    client_as("secretary").post(sheet_url(org.branch), sheet_data([(sheet.wang.pk, "", "", "")]))
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


def test_monthly_report_save_without_changes_says_so(org, sheet, client_as):
    response = client_as("secretary").post(
        sheet_url(org.branch), sheet_data([(sheet.li.pk, "", "", "")]), follow=True
    )
    assert "没有改动，无需保存。" in response.content.decode()
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


def test_monthly_report_saves_a_past_month(org, sheet, client_as):
    last = previous_month(this_month())
    data = sheet_data([(sheet.li.pk, "给树浇水两次", "", ""), (sheet.wang.pk, "补记", "", "")])
    client_as("secretary").post(sheet_url(org.branch, last), data)
    sheet.last.refresh_from_db()
    assert sheet.last.service_done == "给树浇水两次"
    assert MonthlyReport.objects.get(member=sheet.wang).month == last


@pytest.mark.parametrize(
    "tampered",
    ["other_branch", "inactive", "missing", "duplicate", "not_a_number"],
)
def test_monthly_report_rejects_a_tampered_member_id(org, sheet, client_as, tampered):
    stranger = factories.make_member(org.other_branch, name="外支部党员")
    bad_id = {
        "other_branch": stranger.pk,
        "inactive": sheet.gone.pk,
        "missing": 999999,
        "duplicate": sheet.li.pk,
        "not_a_number": "abc",
    }[tampered]
    data = sheet_data(
        [
            (sheet.li.pk, "给树浇水", "", ""),
            (bad_id, "冒名汇报", "", ""),
        ]
    )
    response = client_as("secretary").post(sheet_url(org.branch), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "汇报未保存" in content
    # What was typed stays in the form; nothing at all was saved.
    assert "给树浇水" in content
    assert "冒名汇报" in content
    assert "外支部党员" not in content
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


def test_monthly_report_too_long_text_keeps_what_was_typed(org, sheet, client_as):
    long_text = "很" * 2001
    data = sheet_data([(sheet.li.pk, "给树浇水", long_text, ""), (sheet.wang.pk, "修路", "", "")])
    response = client_as("secretary").post(sheet_url(org.branch), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "2000" in content
    assert long_text in content
    assert "修路" in content
    assert not MonthlyReport.objects.exists() or MonthlyReport.objects.get() == sheet.last


def test_monthly_report_without_management_form_saves_nothing(org, sheet, client_as):
    response = client_as("secretary").post(
        sheet_url(org.branch), {f"{PREFIX}-0-member_id": sheet.li.pk}
    )
    assert response.status_code == 200
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


# ---------------------------------------------------------------------------
# Months
# ---------------------------------------------------------------------------
def test_monthly_report_future_month_is_read_only(org, sheet, client_as):
    future = next_month(this_month())
    client = client_as("secretary")
    response = client.get(sheet_url(org.branch, future))
    assert response.status_code == 200
    assert response.context["formset"] is None
    assert "还没到这个月，不能填写汇报。" in response.content.decode()
    response = client.post(
        sheet_url(org.branch, future), sheet_data([(sheet.li.pk, "预先汇报", "", "")])
    )
    assert response.status_code == 302
    assert not MonthlyReport.objects.filter(month=future).exists()


def test_monthly_report_service_refuses_a_future_month(org, sheet):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        monthly_reports_save(
            branch=org.branch,
            month=next_month(this_month()),
            actor=org.secretary,
            entries=[{"member_id": sheet.li.pk, "service_done": "x"}],
        )


@pytest.mark.parametrize("bad", ["2026-13", "2026-0", "0-5", "1899-12", "99999-1"])
def test_monthly_report_invalid_month_is_not_found(org, client_as, bad):
    url = reverse("reviews:monthly_report", args=[org.branch.pk]) + bad + "/"
    assert client_as("secretary").get(url).status_code == 404


def test_monthly_report_links_to_neighbouring_months(org, sheet, client_as):
    client = client_as("secretary")
    current = client.get(sheet_url(org.branch))
    last = previous_month(this_month())
    assert current.context["next_month"] is None
    assert sheet_url(org.branch, last) in current.content.decode()
    earlier = client.get(sheet_url(org.branch, last))
    assert earlier.context["next_month"] == this_month()
    assert sheet_url(org.branch, this_month()) in earlier.content.decode()


def test_monthly_report_shows_reports_of_members_who_left(org, sheet, client_as):
    report(sheet.gone, this_month(), org.secretary, service_done="离开前最后一次汇报")
    response = client_as("town_staff").get(sheet_url(org.branch))
    content = response.content.decode()
    assert "离开前最后一次汇报" in content
    assert "已汇报 <strong>0</strong> / 3 人" in content


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------
def test_monthly_sheet_is_two_queries(org, sheet, django_assert_num_queries):
    with django_assert_num_queries(2):
        monthly_sheet(branch=org.branch, month=this_month())


@pytest.mark.parametrize("count", [5, 60])
@pytest.mark.parametrize("who", ["secretary", "town_staff"])
def test_monthly_report_query_count_does_not_grow(
    org, client_as, django_assert_max_num_queries, count, who
):
    last = previous_month(this_month())
    for number in range(count):
        member = factories.make_member(org.branch, name=f"党员{number:02d}")
        report(member, last, org.secretary, service_done=f"上月{number}")
        if number % 2:
            report(member, this_month(), org.secretary, service_done=f"本月{number}")
    client = client_as(who)
    with django_assert_max_num_queries(7):
        response = client.get(sheet_url(org.branch))
    assert len(response.context["rows"]) == count


@pytest.mark.parametrize("count", [5, 60])
def test_monthly_report_save_query_count_does_not_grow(
    org, client_as, django_assert_max_num_queries, count
):
    members = [factories.make_member(org.branch, name=f"党员{n:02d}") for n in range(count)]
    for member in members[::2]:
        report(member, this_month(), org.secretary, service_done="旧")
    data = sheet_data([(member.pk, f"新{member.pk}", "", "") for member in members])
    client = client_as("secretary")
    with django_assert_max_num_queries(13):
        response = client.post(sheet_url(org.branch), data)
    assert response.status_code == 302
    assert MonthlyReport.objects.filter(month=this_month()).count() == count


def test_month_helpers_cross_the_year():
    assert previous_month(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 1)
    assert next_month(datetime.date(2026, 12, 1)) == datetime.date(2027, 1, 1)
    assert next_month(datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 1)

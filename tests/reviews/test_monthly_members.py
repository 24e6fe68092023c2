"""The monthly report one member at a time (逐人填写, issue 9): the jump list, the counter,
a save per member that goes on to the next without a report; the one-screen sheet stays."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.enums import ExemptionReason
from branches.models import Member
from reviews.forms.monthly import REPORT_TEXT_MAX_LENGTH
from reviews.models import MonthlyReport
from reviews.selectors.monthly import monthly_sheet, next_month, previous_month
from reviews.views import monthly as monthly_views
from tests import factories
from tests.conftest import ROLES
from tests.reviews.test_views import (
    LOGIN_URL,
    READ_STATUS,
    SAVE_STATUS,
    report,
    sheet_data,
    sheet_url,
    this_month,
)


def members_url(branch, month=None):
    if month is None:
        return reverse("reviews:monthly_members", args=[branch.pk])
    return reverse("reviews:monthly_members_month", args=[branch.pk, month.year, month.month])


def member_url(member, month=None, branch=None):
    month = month or this_month()
    branch = branch or member.branch
    return reverse("reviews:monthly_member", args=[branch.pk, month.year, month.month, member.pk])


def texts(service_done="", problems="", next_steps=""):
    return {"service_done": service_done, "problems": problems, "next_steps": next_steps}


def jump_list(response) -> list[tuple[str, bool, bool]]:
    """The jump list as (name, reported, current) in page order."""
    block = re.search(
        r'<details class="member-jump">.*?</details>', response.content.decode(), re.S
    )
    items = re.findall(
        r"<li( class=\"done\")?><a href=\"[^\"]+\"( aria-current=\"page\")?>(.*?)</a>",
        block.group(0),
    )
    return [
        (re.sub(r"<[^>]+>|✓|已填", "", name).strip(), bool(done), bool(current))
        for done, current, name in items
    ]


@pytest.fixture
def roll(org):
    """Four active members, named to sort the same under any collation, one who left, and
    last month's report of the first."""

    class Roll:
        pass

    r = Roll()
    r.a = factories.make_member(org.branch, name="1号李荣花")
    r.b = factories.make_member(
        org.branch, name="2号姬国胜", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE
    )
    r.c = factories.make_member(org.branch, name="3号王新来")
    r.d = factories.make_member(org.branch, name="4号赵明")
    r.gone = factories.make_member(org.branch, name="5号已走", is_active=False)
    r.members = sorted([r.a, r.b, r.c, r.d], key=lambda m: (m.name, m.pk))
    report(
        r.members[0],
        previous_month(this_month()),
        org.secretary,
        service_done="给村东生产路树木浇水一次",
        problems="水泵坏了",
        next_steps="修水泵",
    )
    return r


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["entry", "entry_dated", "member"])
def test_monthly_member_permissions(org, roll, client_as, who, page):
    first = roll.members[0]
    url = {
        "entry": members_url(org.branch),
        "entry_dated": members_url(org.branch, this_month()),
        "member": member_url(first),
    }[page]
    response = client_as(who).get(url)
    assert response.status_code == READ_STATUS[who]
    content = response.content.decode()
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    if READ_STATUS[who] == 200:
        assert first.name in content
        assert "给村东生产路树木浇水一次" in content
        # The secretary gets the form; staff above read the same page without one.
        assert ('name="service_done"' in content) == (who == "secretary")
    else:
        assert first.name not in content
        assert "给村东生产路树木浇水一次" not in content


@pytest.mark.parametrize("who", ROLES)
def test_monthly_member_save_permissions(org, roll, client_as, who):
    member = roll.members[1]
    response = client_as(who).post(member_url(member), texts("打扫村委会院子"))
    assert response.status_code == SAVE_STATUS[who]
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    saved = MonthlyReport.objects.filter(member=member, month=this_month()).exists()
    assert saved == (who == "secretary")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("whose", ["left_the_roll", "other_branch", "unknown"])
def test_monthly_member_outside_the_roll_is_not_found(org, roll, client_as, method, whose):
    member = {
        "left_the_roll": roll.gone,
        "other_branch": factories.make_member(org.other_branch, name="外支部党员"),
        "unknown": None,
    }[whose]
    url = reverse(
        "reviews:monthly_member",
        args=[
            org.branch.pk,
            this_month().year,
            this_month().month,
            member.pk if member else 987654,
        ],
    )
    response = getattr(client_as("secretary"), method)(url, texts("不该保存"))
    assert response.status_code == 404
    assert not MonthlyReport.objects.filter(service_done="不该保存").exists()


def test_monthly_member_of_another_branch_through_its_own_address_is_not_found(
    org, roll, client_as
):
    """The other branch's secretary cannot reach a member of this branch under either id."""
    other_members = reverse(
        "reviews:monthly_member",
        args=[org.other_branch.pk, this_month().year, this_month().month, roll.a.pk],
    )
    assert client_as("other_secretary").get(other_members).status_code == 404
    assert client_as("other_secretary").get(member_url(roll.a)).status_code == 404


@pytest.mark.parametrize("bad", ["2026-13", "1899-12", "99999-1"])
def test_monthly_member_invalid_month_is_not_found(org, roll, client_as, bad):
    base = reverse("reviews:monthly_report", args=[org.branch.pk])
    client = client_as("secretary")
    assert client.get(f"{base}{bad}/members/").status_code == 404
    assert client.get(f"{base}{bad}/members/{roll.a.pk}/").status_code == 404


def test_monthly_members_entry_accepts_no_post(org, roll, client_as):
    response = client_as("secretary").post(members_url(org.branch), texts("x"))
    assert response.status_code == 405
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------
def test_monthly_members_opens_at_the_first_without_a_report(org, roll, client_as):
    report(roll.members[0], this_month(), org.secretary, service_done="已填")

    response = client_as("secretary").get(members_url(org.branch))

    assert response.status_code == 200
    assert response.context["member"] == roll.members[1]
    # The form posts to the member's own address.
    assert f'action="{member_url(roll.members[1])}"' in response.content.decode()


def test_monthly_members_opens_at_the_first_when_all_reported(org, roll, client_as):
    for member in roll.members:
        report(member, this_month(), org.secretary, service_done="已填")

    response = client_as("secretary").get(members_url(org.branch))

    assert response.context["member"] == roll.members[0]


def test_monthly_members_of_a_branch_without_members_says_so(org, client_as):
    response = client_as("secretary").get(members_url(org.branch))

    assert response.status_code == 200
    text = response.content.decode()
    assert "本支部没有在册党员。" in text
    assert 'name="service_done"' not in text


def test_monthly_member_shows_counter_and_jump_list(org, roll, client_as):
    report(roll.members[0], this_month(), org.secretary, service_done="本月已填")
    report(roll.members[2], this_month(), org.secretary, problems="本月有问题")
    # Last month's report and a departed member's count for nothing.
    report(roll.gone, this_month(), org.secretary, service_done="走前填的")

    response = client_as("secretary").get(member_url(roll.members[1]))

    text = response.content.decode()
    assert "已填 <strong>2</strong>/4" in text
    assert jump_list(response) == [
        (roll.members[0].name, True, False),
        (roll.members[1].name, False, True),
        (roll.members[2].name, True, False),
        (roll.members[3].name, False, False),
    ]
    assert roll.gone.name not in text
    assert "第 2 / 4 人" in text


def test_monthly_member_shows_last_month_beside_and_prefills_this_month(org, roll, client_as):
    first = roll.members[0]
    report(first, this_month(), org.secretary, service_done="本月浇水", next_steps="继续")

    response = client_as("secretary").get(member_url(first))

    form = response.context["form"]
    assert form["service_done"].value() == "本月浇水"
    assert form["problems"].value() in ("", None)
    assert form["next_steps"].value() == "继续"
    last = re.search(r'<div class="last-month">.*?</div>', response.content.decode(), re.S)
    assert "给村东生产路树木浇水一次" in last.group(0) and "修水泵" in last.group(0)


def test_monthly_member_links_to_neighbours_and_months(org, roll, client_as):
    second = roll.members[1]
    response = client_as("secretary").get(member_url(second))
    text = response.content.decode()
    assert f'href="{member_url(roll.members[0])}">‹ {roll.members[0].name}' in text
    assert f'href="{member_url(roll.members[2])}">{roll.members[2].name} ›' in text
    last = previous_month(this_month())
    assert f'href="{member_url(second, last)}"' in text
    # No link into a month that has not come.
    assert member_url(second, next_month(this_month())) not in text


def test_monthly_pages_offer_both_ways(org, roll, client_as):
    client = client_as("secretary")
    for url in (members_url(org.branch), sheet_url(org.branch)):
        text = client.get(url).content.decode()
        assert f'href="{members_url(org.branch, this_month())}"' in text
        assert f'href="{sheet_url(org.branch, this_month())}"' in text
        assert "逐人填写" in text and "一屏填写（适合电脑）" in text


def test_navigation_and_to_do_lead_to_one_member_at_a_time(org, roll, client_as):
    client = client_as("secretary")
    home = client.get(reverse("home")).content.decode()
    assert home.count(f'href="{members_url(org.branch)}"') == 2
    page = client.get(member_url(roll.a)).content.decode()
    assert f'<a href="{members_url(org.branch)}" aria-current="page">' in page


def test_monthly_member_past_month_can_be_filled(org, roll, client_as):
    last = previous_month(this_month())
    member = roll.members[1]

    response = client_as("secretary").post(member_url(member, last), texts("补填上月"))

    assert response.status_code == 302
    assert MonthlyReport.objects.get(member=member, month=last).service_done == "补填上月"


def test_monthly_member_future_month_is_read_only(org, roll, client_as):
    future = next_month(this_month())
    client = client_as("secretary")

    page = client.get(member_url(roll.a, future))
    response = client.post(member_url(roll.a, future), texts("未来"))

    assert page.status_code == 200
    assert page.context["form"] is None
    assert "还没到这个月，不能填写汇报。" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == member_url(roll.a, future)
    assert not MonthlyReport.objects.filter(service_done="未来").exists()


# ---------------------------------------------------------------------------
# Saving one member
# ---------------------------------------------------------------------------
def test_monthly_member_save_stores_that_member_only(org, roll, client_as):
    other = report(roll.members[2], this_month(), org.secretary, service_done="别人的")
    member = roll.members[1]

    client_as("secretary").post(member_url(member), texts(" 打扫院子 ", "", "下月修路"))

    saved = MonthlyReport.objects.get(member=member, month=this_month())
    assert (saved.service_done, saved.problems, saved.next_steps) == ("打扫院子", "", "下月修路")
    assert saved.recorded_by == org.secretary
    assert MonthlyReport.objects.filter(month=this_month()).count() == 2
    other.refresh_from_db()
    assert other.service_done == "别人的"


def test_monthly_member_save_updates_and_clears(org, roll, client_as):
    member = roll.members[0]
    report(member, this_month(), org.secretary, service_done="旧")
    client = client_as("secretary")

    client.post(member_url(member), texts("新"))
    assert MonthlyReport.objects.get(member=member, month=this_month()).service_done == "新"

    response = client.post(member_url(member), texts())
    assert not MonthlyReport.objects.filter(member=member, month=this_month()).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages[-1] == f"已清空{member.name}的汇报。"


def test_monthly_member_save_goes_to_the_next_without_a_report(org, roll, client_as):
    m = roll.members
    report(m[2], this_month(), org.secretary, service_done="已填")

    response = client_as("secretary").post(member_url(m[1]), texts("填了"))

    # m[2] has reported: the next without a report after m[1] is m[3].
    assert response.status_code == 302
    assert response["Location"] == member_url(m[3])


def test_monthly_member_save_wraps_round_to_the_top(org, roll, client_as):
    m = roll.members
    response = client_as("secretary").post(member_url(m[3]), texts("填了"))
    assert response["Location"] == member_url(m[0])


def test_monthly_member_save_of_the_last_stays_and_says_all_done(org, roll, client_as):
    m = roll.members
    for member in m[:3]:
        report(member, this_month(), org.secretary, service_done="已填")

    response = client_as("secretary").post(member_url(m[3]), texts("最后一位"), follow=True)

    assert response.redirect_chain == [(member_url(m[3]), 302)]
    text = response.content.decode()
    assert f"已保存{m[3].name}的汇报。" in text
    assert "本月 4 名党员的汇报都已填写。" in text
    assert "已填 <strong>4</strong>/4" in text


def test_monthly_member_save_empty_moves_on_without_saving(org, roll, client_as):
    m = roll.members

    response = client_as("secretary").post(member_url(m[0]), texts(" ", "", ""))

    assert response["Location"] == member_url(m[1])
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


def test_monthly_member_error_keeps_what_was_typed(org, roll, client_as):
    member = roll.members[1]
    too_long = "字" * (REPORT_TEXT_MAX_LENGTH + 1)

    response = client_as("secretary").post(
        member_url(member), texts("打扫院子", too_long, "下月修路")
    )

    assert response.status_code == 200
    assert response.context["member"] == member
    text = response.content.decode()
    assert "打扫院子" in text and "下月修路" in text and too_long in text
    assert "data-error-summary" in text
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


def test_monthly_member_service_refusal_keeps_what_was_typed(org, roll, client_as, monkeypatch):
    """A member taken off the roll between opening the page and saving: nothing saved,
    the text stays on the page with the reason."""
    member = roll.members[1]
    client = client_as("secretary")
    original = monthly_views.monthly_sheet

    def sheet_then_leave(**kwargs):
        sheet = original(**kwargs)
        Member.objects.filter(pk=member.pk).update(is_active=False)
        return sheet

    monkeypatch.setattr(monthly_views, "monthly_sheet", sheet_then_leave)
    response = client.post(member_url(member), texts("刚写好的"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "刚写好的" in text
    assert "有党员不是本支部的在册党员，汇报未保存。" in text
    assert not MonthlyReport.objects.filter(month=this_month()).exists()


def test_monthly_sheet_still_saves_the_whole_table(org, roll, client_as):
    data = sheet_data([(m.pk, f"表格{m.pk}", "", "") for m in roll.members])

    response = client_as("secretary").post(sheet_url(org.branch), data)

    assert response.status_code == 302
    assert response["Location"] == sheet_url(org.branch, this_month())
    assert MonthlyReport.objects.filter(month=this_month()).count() == 4


# ---------------------------------------------------------------------------
# Selector and queries
# ---------------------------------------------------------------------------
def test_next_to_report_skips_the_reported_and_the_current(org, roll):
    m = roll.members
    report(m[1], this_month(), org.secretary, service_done="已填")
    sheet = monthly_sheet(branch=org.branch, month=this_month())

    assert sheet.next_to_report() == m[0]
    assert sheet.next_to_report(after=m[0]) == m[2]
    assert sheet.next_to_report(after=m[3]) == m[0]
    assert (
        sheet.next_to_report(after=m[0], reported_ids={m[0].pk, m[1].pk, m[2].pk, m[3].pk}) is None
    )
    # Never the member just saved, even when they are the only one left.
    assert sheet.next_to_report(after=m[0], reported_ids={m[1].pk, m[2].pk, m[3].pk}) is None


def queries_of(client, url, method="get", data=None):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {})
    return response, len(captured)


@pytest.mark.parametrize("who", ["secretary", "town_staff"])
def test_monthly_member_page_query_count_is_fixed(org, client_as, who):
    last = previous_month(this_month())
    counts = []
    for size in (5, 60):
        MonthlyReport.objects.all().delete()
        Member.objects.filter(branch=org.branch).delete()
        members = [factories.make_member(org.branch, name=f"党员{n:02d}") for n in range(size)]
        for number, member in enumerate(members):
            report(member, last, org.secretary, service_done=f"上月{number}")
            if number % 2:
                report(member, this_month(), org.secretary, service_done=f"本月{number}")
        client = client_as(who)
        for url in (members_url(org.branch), member_url(members[3])):
            response, count = queries_of(client, url)
            assert response.status_code == 200
            counts.append((url.count("/members/"), count))
    small, large = counts[:2], counts[2:]
    assert [count for _, count in small] == [count for _, count in large]
    assert max(count for _, count in counts) <= 7


def test_monthly_member_save_query_count_is_fixed(org, client_as):
    counts = []
    for size in (5, 60):
        MonthlyReport.objects.all().delete()
        Member.objects.filter(branch=org.branch).delete()
        members = [factories.make_member(org.branch, name=f"党员{n:02d}") for n in range(size)]
        for member in members[::2]:
            report(member, this_month(), org.secretary, service_done="旧")
        client = client_as("secretary")
        response, count = queries_of(client, member_url(members[1]), "post", texts("新"))
        assert response.status_code == 302
        counts.append(count)
    assert counts[0] == counts[1]
    assert counts[0] <= 13

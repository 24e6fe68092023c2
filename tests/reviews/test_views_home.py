"""Sign-in, the 403 page and each person's to-do home."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pledges.enums import NeedStatus, PledgeStatus
from pledges.models import TimeNode
from reviews.models import MonthlyReport
from reviews.selectors.home import secretary_todo, staff_todo
from tests import factories

S = PledgeStatus
# The to-dos count the year under way's pledges, as every figure does (pledges.figures).
OVERDUE_THIS_YEAR = {
    "year": timezone.localdate().year,
    "due_date": timezone.localdate() - datetime.timedelta(days=1),
}


def walked(org, status, **extra):
    branch = extra.pop("branch", org.branch)
    pledge = factories.make_pledge(branch=branch, **extra)
    owner = pledge.owner_branch
    return factories.walk_to(pledge, status, secretary=owner.secretary, staff=org.district_staff)


@pytest.mark.django_db
def test_home_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_sign_in_page_is_chinese_and_signs_in(client, org):
    page = client.get(reverse("login"))
    assert "登录" in page.text
    response = client.post(reverse("login"), {"username": "fanzhai", "password": "pw-12345678"})
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.django_db
def test_wrong_password_keeps_the_username_and_says_why(client, org):
    response = client.post(reverse("login"), {"username": "fanzhai", "password": "wrong"})
    assert response.status_code == 200
    assert "fanzhai" in response.text
    assert "请输入一个正确的" in response.text


@pytest.mark.django_db
def test_sign_out_is_a_post(client, org):
    client.force_login(org.secretary)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_password_change_in_chinese(client, org):
    client.force_login(org.secretary)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert response.status_code == 200
    assert "旧密码" in response.text
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-12345678",
            "new_password1": "lighthouse-7291",
            "new_password2": "lighthouse-7291",
        },
    )
    assert response.status_code == 302
    org.secretary.refresh_from_db()
    assert org.secretary.check_password("lighthouse-7291")


@pytest.mark.django_db
def test_forbidden_page_is_friendly_chinese(client, org, settings):
    settings.DEBUG = False
    client.force_login(org.town_staff)
    # Committee staff read members but do not enter them: the secretary's work.
    response = client.post(reverse("branches:member_add", args=[org.branch.pk]), {"name": "x"})
    assert response.status_code == 403
    assert "没有权限" in response.text


@pytest.mark.django_db
def test_secretary_home_lists_each_kind_of_work(client, org):
    today = timezone.localdate()
    returned = walked(org, S.RETURNED, title="退回的承诺")
    walked(org, S.APPROVED, title="待公示的承诺")
    in_progress = walked(org, S.IN_PROGRESS, title="践诺中的承诺")
    TimeNode.objects.create(
        pledge=in_progress, due_on=today - datetime.timedelta(days=2), description="逾期节点"
    )
    TimeNode.objects.create(
        pledge=in_progress, due_on=today + datetime.timedelta(days=30), description="远期节点"
    )
    reported = factories.make_member(org.branch, name="已汇报党员")
    factories.make_member(org.branch, name="未汇报党员")
    factories.make_member(org.branch, name="已离开党员", is_active=False)
    MonthlyReport.objects.create(
        member=reported, month=today.replace(day=1), recorded_by=org.secretary
    )
    factories.make_need(org.branch, description="待认领的需求")
    factories.make_need(org.branch, description="已解决的需求", status=NeedStatus.RESOLVED)
    walked(org, S.RETURNED, branch=org.other_branch, title="别的支部的承诺")

    client.force_login(org.secretary)
    response = client.get(reverse("home"))

    text = response.text
    for expected in ["退回的承诺", "待公示的承诺", "逾期节点", "未汇报党员", "待认领的需求"]:
        assert expected in text
    for absent in ["远期节点", "已汇报党员", "已离开党员", "已解决的需求", "别的支部的承诺"]:
        assert absent not in text
    assert reverse("pledges:pledge_edit", args=[returned.pk]) in text
    assert reverse("pledges:publish_many", args=[org.branch.pk]) in text


@pytest.mark.django_db
def test_staff_home_lists_approvals_verifications_and_overdue_branches(client, org):
    walked(org, S.SUBMITTED, title="待审核的承诺")
    walked(org, S.COMPLETED, title="待销号的承诺")
    walked(org, S.PUBLISHED, title="逾期的承诺", **OVERDUE_THIS_YEAR)
    walked(org, S.SUBMITTED, branch=org.far_branch, title="别镇的承诺")

    client.force_login(org.town_staff)
    text = client.get(reverse("home")).text

    assert "待审核的承诺" in text
    assert "待销号的承诺" in text
    assert "范寨村党支部" in text and "1 项逾期" in text
    assert "别镇的承诺" not in text
    assert reverse("pledges:branch_pledges", args=[org.branch.pk]) + "?overdue=1" in text


@pytest.mark.django_db
def test_person_without_a_role_is_told_so(client):
    client.force_login(factories.make_user())
    assert "尚未分配职责" in client.get(reverse("home")).text


def _fill_branch(org, size):
    for index in range(size):
        member = factories.make_member(org.branch)
        pledge = walked(org, S.IN_PROGRESS, title=f"承诺{index}")
        TimeNode.objects.create(pledge=pledge, due_on=timezone.localdate(), description="节点")
        walked(org, S.RETURNED, member=member, branch=None)
        walked(org, S.SUBMITTED)
        walked(org, S.COMPLETED)
        factories.make_need(org.branch)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 12])
def test_home_runs_a_fixed_number_of_queries(client, org, size, django_assert_max_num_queries):
    _fill_branch(org, size)
    client.force_login(org.secretary)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("home")).status_code == 200
    client.force_login(org.district_staff)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_todo_selectors_count_queries_not_rows(org, django_assert_num_queries):
    _fill_branch(org, 5)
    walked(org, S.APPROVED, title="待公示")
    with django_assert_num_queries(4):  # returned and approved pledges are one query
        todo = secretary_todo(branch=org.branch)
    assert len(todo.returned) == 5
    assert {pledge.status for pledge in todo.returned} == {S.RETURNED}
    assert [pledge.title for pledge in todo.to_publish] == ["待公示"]
    with django_assert_num_queries(0):  # what the page shows was fetched with the rows
        shown = [str(pledge.pledger) for pledge in todo.returned + todo.to_publish]
        shown += [f"{node.pledge.title} {node.pledge.pledger}" for node in todo.time_nodes]
        shown += [member.name for member in todo.members_without_report]
        shown += [need.get_urgency_display() for need in todo.open_needs]
    assert len(shown) == 5 + 1 + 5 + 5 + 5
    fresh_user = type(org.district_staff).objects.get(pk=org.district_staff.pk)
    with django_assert_num_queries(4):  # staff paths, then the three lists
        todo = staff_todo(user=fresh_user)
    assert (len(todo.to_approve), len(todo.to_verify)) == (5, 5)
    with django_assert_num_queries(0):
        shown = [f"{p.title} {p.owner_branch.name} {p.pledger}" for p in todo.to_approve]
        shown += [f"{p.title} {p.owner_branch.name} {p.pledger}" for p in todo.to_verify]
    assert len(shown) == 10


@pytest.mark.django_db
def test_navigation_marks_the_current_section(client, org):
    client.force_login(org.secretary)
    text = client.get(reverse("home")).text
    assert f'<a href="{reverse("home")}" aria-current="page">' in text
    members = reverse("pledges:members", args=[org.branch.pk])
    assert f'<a href="{members}">' in text


@pytest.mark.django_db
def test_staff_todo_counts_are_exact_past_the_rows_shown(
    client, org, monkeypatch, django_assert_num_queries
):
    from reviews.selectors import home

    limit, extra = 3, 4
    monkeypatch.setattr(home, "STAFF_LIST_LIMIT", limit)
    for _index in range(limit + extra):
        walked(org, S.SUBMITTED)
        walked(org, S.COMPLETED)
    walked(org, S.PUBLISHED, **OVERDUE_THIS_YEAR)
    fresh_user = type(org.district_staff).objects.get(pk=org.district_staff.pk)
    with django_assert_num_queries(4):  # staff paths, then one query a list
        todo = staff_todo(user=fresh_user)
    assert (todo.to_approve.total, len(todo.to_approve)) == (limit + extra, limit)
    assert (todo.to_verify.total, todo.to_verify.more) == (limit + extra, extra)
    assert (todo.branches_overdue.total, todo.branches_overdue.more) == (1, 0)

    client.force_login(org.district_staff)
    text = client.get(reverse("home")).text
    assert f'<span class="count">{limit + extra}</span>' in text
    assert f"还有 {extra} 项" in text
    assert reverse("pledges:approvals") in text
    assert reverse("reviews:cross_off") in text  # the completed ones, to cross off in bulk
    assert reverse("dashboard") + "?sort=-overdue#branches" in text


@pytest.mark.django_db
def test_staff_todo_empty_lists_count_zero(org):
    todo = staff_todo(user=org.district_staff)
    assert todo.is_empty
    assert (todo.to_approve.total, todo.to_verify.total, todo.branches_overdue.total) == (0, 0, 0)

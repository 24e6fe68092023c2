import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from branches.enums import ExemptionReason, Gender
from branches.models import Branch, Member, Pairing
from pledges.enums import PledgeStatus
from tests import factories
from tests.conftest import ROLES

LOGIN_URL = reverse("login")

# Who may read a branch's pages, and who may write its members.
READ_STATUS = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}
WRITE_STATUS = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 403,
    "other_town_staff": 404,
    "district_staff": 403,
    "anonymous": 302,
}
# POST actions answer the secretary with a redirect back to the members list.
ACTION_STATUS = {**WRITE_STATUS, "secretary": 302}


def _member_data(**overrides):
    data = {
        "name": "李荣花",
        "gender": Gender.FEMALE,
        "birth_year": "1968",
        "joined_on": "1995-07-01",
        "phone": "139-0000 0000",
    }
    data.update(overrides)
    return data


def _assert_status(response, who, table, *secrets):
    """The status of the matrix; a refusal (or the login redirect) shows none of the
    object's data."""
    expected = table[who]
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    elif expected == 302:
        assert not response["Location"].startswith(LOGIN_URL)
    if expected in (302, 403, 404):
        content = response.content.decode()
        for secret in secrets:
            assert secret not in content


def _walked(org, status, **extra):
    pledge = factories.make_pledge(**extra)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)


@pytest.fixture
def member(org):
    return factories.make_member(
        org.branch, name="李荣花", phone="13900000000", birth_year=1968, gender=Gender.FEMALE
    )


# ---------------------------------------------------------------------------
# Permission matrices
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", ROLES)
def test_branch_detail_permissions(org, member, client_as, who):
    response = client_as(who).get(reverse("pledges:branch_detail", args=[org.branch.pk]))
    _assert_status(response, who, READ_STATUS, "范寨村党支部", "李荣花")


@pytest.mark.parametrize("who", ROLES)
def test_members_permissions(org, member, client_as, who):
    response = client_as(who).get(reverse("pledges:members", args=[org.branch.pk]))
    _assert_status(response, who, READ_STATUS, "李荣花", "13900000000")
    if response.status_code == 200:
        assert "13900000000" in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
def test_member_add_permissions(org, client_as, who):
    response = client_as(who).get(reverse("branches:member_add", args=[org.branch.pk]))
    _assert_status(response, who, WRITE_STATUS, "范寨村党支部")


@pytest.mark.parametrize("who", ROLES)
def test_member_add_post_permissions(org, client_as, who):
    url = reverse("branches:member_add", args=[org.branch.pk])
    response = client_as(who).post(url, _member_data(name="王新来"))
    _assert_status(response, who, ACTION_STATUS, "范寨村党支部")
    assert Member.objects.filter(name="王新来").exists() == (who == "secretary")


@pytest.mark.parametrize("who", ROLES)
def test_member_edit_permissions(org, member, client_as, who):
    response = client_as(who).get(reverse("branches:member_edit", args=[member.pk]))
    _assert_status(response, who, WRITE_STATUS, "李荣花", "13900000000")


@pytest.mark.parametrize("who", ROLES)
def test_member_edit_post_permissions(org, member, client_as, who):
    url = reverse("branches:member_edit", args=[member.pk])
    response = client_as(who).post(url, _member_data(name="李荣华"))
    _assert_status(response, who, ACTION_STATUS, "李荣花", "13900000000")
    member.refresh_from_db()
    assert member.name == ("李荣华" if who == "secretary" else "李荣花")


@pytest.mark.parametrize("who", ROLES)
def test_member_exempt_permissions(org, member, client_as, who):
    url = reverse("branches:member_exempt", args=[member.pk])
    response = client_as(who).post(
        url, {"is_exempt": "on", "exemption_reason": ExemptionReason.OLD_AGE}
    )
    _assert_status(response, who, ACTION_STATUS, "李荣花", "13900000000")
    member.refresh_from_db()
    assert member.is_exempt == (who == "secretary")


@pytest.mark.parametrize("who", ROLES)
def test_member_deactivate_permissions(org, member, client_as, who):
    url = reverse("branches:member_deactivate", args=[member.pk])
    response = client_as(who).post(url)
    _assert_status(response, who, ACTION_STATUS, "李荣花", "13900000000")
    member.refresh_from_db()
    assert member.is_active == (who != "secretary")


@pytest.mark.parametrize("who", ROLES)
def test_member_reactivate_permissions(org, client_as, who):
    member = factories.make_member(org.branch, name="李荣花", is_active=False)
    url = reverse("branches:member_reactivate", args=[member.pk])
    response = client_as(who).post(url)
    _assert_status(response, who, ACTION_STATUS, "李荣花")
    member.refresh_from_db()
    assert member.is_active == (who == "secretary")


@pytest.mark.parametrize(
    "name", ["member_exempt", "member_deactivate", "member_reactivate"], ids=str
)
def test_member_actions_refuse_get(org, member, client_as, name):
    response = client_as("secretary").get(reverse(f"branches:{name}", args=[member.pk]))
    assert response.status_code == 405


def test_missing_member_is_not_found(org, client_as):
    response = client_as("secretary").get(reverse("branches:member_edit", args=[999999]))
    assert response.status_code == 404


# ---------------------------------------------------------------------------
# Branch list and detail
# ---------------------------------------------------------------------------
@pytest.fixture
def figures_branch(org):
    """org.branch with 3 active members (one exempt, two pledged), one inactive member,
    and pledges: 2 done, 1 overdue, 2 drafts and 1 withdrawn (drafts and withdrawn are not
    counted: pledges.figures.LIVE)."""
    today = timezone.localdate()
    pledging = factories.make_member(org.branch, name="甲")
    pledging_twice = factories.make_member(org.branch, name="乙")
    factories.make_member(
        org.branch, name="丙", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE
    )
    gone = factories.make_member(org.branch, name="丁", is_active=False)
    _walked(org, PledgeStatus.COMPLETED, member=pledging)
    _walked(org, PledgeStatus.VERIFIED, member=pledging_twice)
    _walked(org, PledgeStatus.DRAFT, member=pledging_twice)
    _walked(
        org,
        PledgeStatus.PUBLISHED,
        branch=org.branch,
        due_date=today - datetime.timedelta(days=1),
        year=today.year,
    )
    _walked(org, PledgeStatus.WITHDRAWN, member=gone)
    # Not overdue: done in time, or still in draft past its date.
    _walked(org, PledgeStatus.DRAFT, branch=org.branch, due_date=today - datetime.timedelta(1))
    return org.branch


EXPECTED_FIGURES = {
    "active_members": 3,
    "exempt_members": 1,
    "pledged_members": 2,
    "pledges_total": 3,
    "pledges_done": 2,
    "pledges_overdue": 1,
}


def test_branch_list_figures_are_exact(org, figures_branch, client_as):
    response = client_as("town_staff").get(reverse("pledges:branch_list"))
    assert response.status_code == 200
    shown = {branch.pk: branch for branch in response.context["page_obj"]}
    assert set(shown) == {org.branch.pk, org.other_branch.pk}
    figures = {key: getattr(shown[org.branch.pk].figures, key) for key in EXPECTED_FIGURES}
    assert figures == EXPECTED_FIGURES
    assert shown[org.other_branch.pk].active_members == 0


def test_branch_detail_shows_figures_pairings_and_links(org, figures_branch, client_as):
    office = factories.make_branch(org.town, name="综合办党支部", kind="government_office")
    this_year = timezone.localdate().year
    Pairing.objects.create(office_branch=office, village_branch=org.branch, year=this_year)
    old = factories.make_branch(org.town, name="往年结对支部", kind="government_office")
    Pairing.objects.create(office_branch=old, village_branch=org.branch, year=this_year - 1)
    response = client_as("secretary").get(reverse("pledges:branch_detail", args=[org.branch.pk]))
    figures = response.context["figures"]
    assert {key: getattr(figures, key) for key in EXPECTED_FIGURES} == EXPECTED_FIGURES
    content = response.content.decode()
    assert "综合办党支部" in content
    assert "往年结对支部" not in content
    assert "姬石镇党委" in content
    assert "fanzhai" in content
    for name in ("pledges:needs", "pledges:branch_pledges", "pledges:branch_letters"):
        assert reverse(name, args=[org.branch.pk]) in content
    assert reverse("reviews:monthly_report", args=[org.branch.pk]) in content
    assert reverse("pledges:members", args=[org.branch.pk]) in content


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("town_staff", {"范寨村党支部", "姬石村党支部"}),
        ("other_town_staff", {"远村党支部"}),
        ("district_staff", {"范寨村党支部", "姬石村党支部", "远村党支部"}),
    ],
)
def test_branch_list_shows_the_staff_subtree(org, client_as, who, visible):
    response = client_as(who).get(reverse("pledges:branch_list"))
    assert {branch.name for branch in response.context["page_obj"]} == visible


def test_branch_list_sends_a_secretary_to_their_branch(org, client_as):
    response = client_as("secretary").get(reverse("pledges:branch_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("pledges:branch_detail", args=[org.branch.pk])


def test_branch_list_refuses_a_user_without_role(org, client):
    client.force_login(factories.make_user())
    assert client.get(reverse("pledges:branch_list")).status_code == 403


def test_branch_list_anonymous_goes_to_login(org, client_as):
    response = client_as("anonymous").get(reverse("pledges:branch_list"))
    assert response["Location"].startswith(LOGIN_URL)


def test_branch_list_searches_by_name(org, client_as):
    response = client_as("district_staff").get(reverse("pledges:branch_list"), {"q": "姬石"})
    assert [branch.name for branch in response.context["page_obj"]] == ["姬石村党支部"]


def test_branch_list_filters_by_committee(org, client_as):
    response = client_as("district_staff").get(
        reverse("pledges:branch_list"), {"committee": org.other_town.pk}
    )
    assert [branch.name for branch in response.context["page_obj"]] == ["远村党支部"]


def test_branch_list_ignores_a_committee_out_of_reach(org, client_as):
    response = client_as("town_staff").get(
        reverse("pledges:branch_list"), {"committee": org.other_town.pk}
    )
    assert {branch.name for branch in response.context["page_obj"]} == {
        "范寨村党支部",
        "姬石村党支部",
    }


def test_branch_list_paginates(org, client_as):
    for number in range(35):
        factories.make_branch(org.town, name=f"新建村{number:02d}党支部")
    client = client_as("town_staff")
    first = client.get(reverse("pledges:branch_list"))
    second = client.get(reverse("pledges:branch_list"), {"page": 2})
    assert len(first.context["page_obj"]) == 30
    assert len(second.context["page_obj"]) == 7


@pytest.mark.parametrize("extra_branches", [3, 40])
def test_branch_list_query_count_does_not_grow(
    org, client_as, django_assert_max_num_queries, extra_branches
):
    for number in range(extra_branches):
        branch = factories.make_branch(org.town, name=f"村{number:02d}党支部")
        member = factories.make_member(branch)
        factories.make_pledge(member=member)
    client = client_as("district_staff")
    with django_assert_max_num_queries(7):
        response = client.get(reverse("pledges:branch_list"))
    assert response.status_code == 200


# ---------------------------------------------------------------------------
# Members list
# ---------------------------------------------------------------------------
def test_members_list_shows_active_first_with_pledge_counts(org, client_as):
    gone = factories.make_member(org.branch, name="阿离开", is_active=False)
    staying = factories.make_member(org.branch, name="赵在册", birth_year=1968)
    _walked(org, PledgeStatus.COMPLETED, member=staying)
    _walked(org, PledgeStatus.PUBLISHED, member=staying)
    _walked(org, PledgeStatus.WITHDRAWN, member=staying)
    response = client_as("secretary").get(reverse("pledges:members", args=[org.branch.pk]))
    members = list(response.context["page_obj"])
    assert [m.name for m in members] == ["赵在册", "阿离开"]
    assert (members[0].pledge_count, members[0].done_count) == (2, 1)
    assert members[0].age == timezone.localdate().year - 1968
    assert members[1].pk == gone.pk
    content = response.content.decode()
    assert "已不在册" in content
    assert "承诺 2 项，已完成 1 项" in content


@pytest.mark.parametrize(
    ("show", "names"),
    [
        ("all", ["乙", "甲", "丙"]),
        ("active", ["乙", "甲"]),
        ("exempt", ["乙"]),
        ("inactive", ["丙"]),
        ("nonsense", ["乙", "甲", "丙"]),
    ],
)
def test_members_list_filters(org, client_as, show, names):
    factories.make_member(org.branch, name="甲")
    factories.make_member(
        org.branch, name="乙", is_exempt=True, exemption_reason=ExemptionReason.ILLNESS
    )
    factories.make_member(org.branch, name="丙", is_active=False)
    response = client_as("town_staff").get(
        reverse("pledges:members", args=[org.branch.pk]), {"show": show}
    )
    assert [m.name for m in response.context["page_obj"]] == names


def test_members_list_is_read_only_for_staff(org, member, client_as):
    response = client_as("town_staff").get(reverse("pledges:members", args=[org.branch.pk]))
    content = response.content.decode()
    assert reverse("branches:member_add", args=[org.branch.pk]) not in content
    assert reverse("branches:member_edit", args=[member.pk]) not in content


@pytest.mark.parametrize("count", [5, 60])
def test_members_list_query_count_does_not_grow(
    org, client_as, django_assert_max_num_queries, count
):
    for number in range(count):
        member = factories.make_member(org.branch, name=f"党员{number:02d}", birth_year=1960)
        factories.make_pledge(member=member)
    client = client_as("secretary")
    # Nine: the page's eight reads and the entry of the personal-data access log.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("pledges:members", args=[org.branch.pk]))
    assert len(response.context["page_obj"]) == min(count, 50)


# ---------------------------------------------------------------------------
# Adding and editing members
# ---------------------------------------------------------------------------
def test_member_add_creates_an_active_member(org, client_as):
    response = client_as("secretary").post(
        reverse("branches:member_add", args=[org.branch.pk]), _member_data()
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("pledges:members", args=[org.branch.pk])
    member = Member.objects.get(name="李荣花")
    assert member.branch == org.branch
    assert (member.birth_year, member.joined_on) == (1968, datetime.date(1995, 7, 1))
    assert member.phone == "139-0000 0000"
    assert member.is_active and not member.is_exempt


def test_member_add_and_continue_returns_to_the_form(org, client_as):
    data = {**_member_data(), "add_another": "1"}
    response = client_as("secretary").post(
        reverse("branches:member_add", args=[org.branch.pk]), data
    )
    assert response["Location"] == reverse("branches:member_add", args=[org.branch.pk])


def _next_year():
    return str(timezone.localdate().year + 1)


def _tomorrow():
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


BAD_MEMBER_INPUT = [
    ({"name": "  "}, "name", "请填写姓名。"),
    ({"birth_year": "1899"}, "birth_year", "出生年份须在 1900 年到"),
    ({"birth_year": _next_year()}, "birth_year", "出生年份须在 1900 年到"),
    ({"phone": "139abc00000"}, "phone", "联系电话只能包含数字"),
    ({"phone": "12345"}, "phone", "联系电话只能包含数字"),
    ({"phone": "1" * 21}, "phone", "联系电话只能包含数字"),
    ({"joined_on": _tomorrow()}, "joined_on", "入党日期不能晚于今天。"),
    ({"birth_year": "1990", "joined_on": "2007-06-30"}, "joined_on", "入党时须年满 18 周岁"),
    ({"gender": ""}, "gender", "请选择性别。"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_MEMBER_INPUT)
def test_member_add_bad_input_keeps_typed_values(org, client_as, overrides, field, message):
    data = _member_data(**{"name": "王大力", **overrides})
    response = client_as("secretary").post(
        reverse("branches:member_add", args=[org.branch.pk]), data
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    content = response.content.decode()
    assert message in content
    # Every typed value is back in its input (the name, unless it was the blank one).
    for key in ("name", "birth_year", "joined_on", "phone"):
        if data[key].strip():
            assert f'value="{data[key]}"' in content
    if data["gender"]:
        assert f'<option value="{data["gender"]}" selected>' in content
    assert Member.objects.count() == 0


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_MEMBER_INPUT)
def test_member_edit_bad_input_changes_nothing(org, member, client_as, overrides, field, message):
    response = client_as("secretary").post(
        reverse("branches:member_edit", args=[member.pk]), _member_data(**overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    stored = Member.objects.get(pk=member.pk)
    assert (stored.name, stored.phone, stored.birth_year) == ("李荣花", "13900000000", 1968)


def test_member_edit_saves_the_changes(org, member, client_as):
    response = client_as("secretary").post(
        reverse("branches:member_edit", args=[member.pk]),
        _member_data(name="李荣华", gender=Gender.MALE, phone="+86 139 0000 1111", birth_year=""),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.gender, member.phone, member.birth_year) == (
        "李荣华",
        Gender.MALE,
        "+86 139 0000 1111",
        None,
    )


# ---------------------------------------------------------------------------
# Exemption, leaving and coming back
# ---------------------------------------------------------------------------
def test_member_exempt_records_the_reason_and_note(org, member, client_as):
    response = client_as("secretary").post(
        reverse("branches:member_exempt", args=[member.pk]),
        {
            "is_exempt": "on",
            "exemption_reason": ExemptionReason.OLD_AGE,
            "exemption_note": "年过八旬",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.is_exempt, member.exemption_reason, member.exemption_note) == (
        True,
        ExemptionReason.OLD_AGE,
        "年过八旬",
    )


def test_member_exempt_without_reason_is_refused_beside_the_field(org, member, client_as):
    response = client_as("secretary").post(
        reverse("branches:member_exempt", args=[member.pk]),
        {"is_exempt": "on", "exemption_reason": "", "exemption_note": "身体不好"},
    )
    assert response.status_code == 200
    assert response.context["exemption_form"].errors["exemption_reason"] == ["免于承诺须选择原因。"]
    content = response.content.decode()
    assert "免于承诺须选择原因。" in content
    assert 'value="身体不好"' in content
    member.refresh_from_db()
    assert not member.is_exempt


def test_member_exempt_can_be_lifted(org, client_as):
    member = factories.make_member(
        org.branch, is_exempt=True, exemption_reason=ExemptionReason.ILLNESS, exemption_note="住院"
    )
    response = client_as("secretary").post(
        reverse("branches:member_exempt", args=[member.pk]),
        {"exemption_reason": ExemptionReason.ILLNESS, "exemption_note": "住院"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.is_exempt, member.exemption_reason, member.exemption_note) == (False, "", "")


def test_member_deactivate_keeps_the_member_and_pledges(org, member, client_as):
    pledge = _walked(org, PledgeStatus.IN_PROGRESS, member=member)
    response = client_as("secretary").post(reverse("branches:member_deactivate", args=[member.pk]))
    assert response["Location"] == reverse("pledges:members", args=[org.branch.pk])
    member.refresh_from_db()
    assert not member.is_active
    assert member.pledges.get() == pledge


def test_member_deactivate_twice_shows_a_message(org, client_as):
    member = factories.make_member(org.branch, is_active=False)
    client = client_as("secretary")
    response = client.post(reverse("branches:member_deactivate", args=[member.pk]), follow=True)
    assert "该党员已不在册。" in response.content.decode()


def test_member_reactivate_puts_the_member_back(org, client_as):
    member = factories.make_member(org.branch, is_active=False)
    client_as("secretary").post(reverse("branches:member_reactivate", args=[member.pk]))
    member.refresh_from_db()
    assert member.is_active


def test_no_page_offers_to_delete_a_member(org, member, client_as):
    client = client_as("secretary")
    for url in (
        reverse("pledges:members", args=[org.branch.pk]),
        reverse("branches:member_edit", args=[member.pk]),
    ):
        content = client.get(url).content.decode()
        assert ">删除<" not in content
        assert "delete" not in content


def test_branch_figures_are_one_query(org, figures_branch, django_assert_num_queries):
    from pledges.figures import LIVE, branches_with_figures

    with django_assert_num_queries(1):
        branch = branches_with_figures(
            Branch.objects.filter(pk=org.branch.pk), pledge_set=LIVE, today=timezone.localdate()
        ).get()
    assert branch.pledged_members == 2

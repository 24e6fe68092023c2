"""Personal data (个人信息保护法): every showing of members' phones and every roster download
is logged, organisation staff read the log of their own subtree, and a member who has
left the roll can have their personal data erased while their public record stays."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.enums import ImportKind, OrganisationAction, PersonalDataAction
from branches.imports.services import import_batch_create
from branches.models import AppendOnlyRefused, Member, OrganisationChange, PersonalDataAccess
from branches.services import member_deactivate, member_erase_personal_data
from branches.services.personal_data import personal_data_access_record
from pledges.enums import PledgeStatus
from pledges.models import Pledge
from tests import factories
from tests.branches.imports_support import member_row, xlsx
from tests.conftest import ORGANISATION_ROLES, ROLES

LOGIN_URL = reverse("login")
PHONE = "13900000000"
LOG_URL = reverse("branches:org_personal_data")


@pytest.fixture
def member(org):
    return factories.make_member(org.branch, name="李荣花", phone=PHONE, birth_year=1968)


def _entries():
    return [
        (entry.actor, entry.action, entry.committee, entry.branch, entry.subject)
        for entry in PersonalDataAccess.objects.order_by("pk")
    ]


# ---------------------------------------------------------------------------
# The log: written by each page and download that shows phones
# ---------------------------------------------------------------------------
def _members_list(org, member):
    return reverse("pledges:members", args=[org.branch.pk])


def _member_edit(org, member):
    return reverse("branches:member_edit", args=[member.pk])


def _roster_of_branch(org, member):
    return reverse("branches:org_import_export") + f"?branch={org.branch.pk}"


def _import_preview(org, member):
    batch = import_batch_create(
        kind=ImportKind.MEMBERS,
        committee=org.town,
        filename="名册.xlsx",
        content=xlsx([member_row(姓名="李荣花", 联系电话="13900001111")]),
        full_roster=False,
        actor=org.town_organiser,
    )
    return reverse("branches:org_import_preview", args=[batch.pk])


# (who, URL maker, action, subject)
LOGGED = [
    ("secretary", _members_list, PersonalDataAction.MEMBER_LIST_VIEW, "范寨村党支部"),
    ("town_staff", _members_list, PersonalDataAction.MEMBER_LIST_VIEW, "范寨村党支部"),
    ("district_staff", _members_list, PersonalDataAction.MEMBER_LIST_VIEW, "范寨村党支部"),
    ("secretary", _member_edit, PersonalDataAction.MEMBER_DETAIL_VIEW, "范寨村党支部 李荣花"),
    ("town_organiser", _roster_of_branch, PersonalDataAction.ROSTER_DOWNLOAD, "范寨村党支部"),
    ("district_organiser", _roster_of_branch, PersonalDataAction.ROSTER_DOWNLOAD, "范寨村党支部"),
]


@pytest.mark.parametrize(
    ("who", "url", "action", "subject"),
    LOGGED,
    ids=[f"{who}-{url.__name__}" for who, url, _action, _subject in LOGGED],
)
def test_showing_phones_writes_one_log_entry(org, member, client_as, who, url, action, subject):
    response = client_as(who).get(url(org, member))
    assert response.status_code == 200
    assert _entries() == [(getattr(org, who), action, org.town, org.branch, subject)]


def test_import_preview_of_a_roster_is_logged(org, member, client_as):
    url = _import_preview(org, member)
    assert client_as("town_organiser").get(url).status_code == 200
    assert _entries() == [
        (
            org.town_organiser,
            PersonalDataAction.IMPORT_PREVIEW_VIEW,
            org.town,
            None,
            "名册.xlsx",
        )
    ]


def test_whole_roster_download_is_logged_per_subtree(org, member, client_as):
    response = client_as("district_organiser").get(reverse("branches:org_import_export"))
    assert response.status_code == 200
    assert _entries() == [
        (
            org.district_organiser,
            PersonalDataAction.ROSTER_DOWNLOAD,
            org.district,
            None,
            "示范区党工委及下级党组织的全部党支部",
        )
    ]


def test_whole_roster_download_of_two_subtrees_logs_each(org, member, client_as):
    factories.make_organiser(org.other_town, org.town_organiser)
    client_as("town_organiser").get(reverse("branches:org_import_export"))
    assert [(entry[2], entry[3]) for entry in _entries()] == [
        (org.town, None),
        (org.other_town, None),
    ]


def test_admin_member_form_is_logged(admin_client, admin_user, org, member):
    url = reverse("admin:branches_member_change", args=[member.pk])
    assert admin_client.get(url).status_code == 200
    assert _entries() == [
        (
            admin_user,
            PersonalDataAction.MEMBER_DETAIL_VIEW,
            org.town,
            org.branch,
            "范寨村党支部 李荣花",
        )
    ]


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("other_secretary", _members_list, 404),
        ("other_town_staff", _members_list, 404),
        ("anonymous", _members_list, 302),
        ("town_staff", _member_edit, 403),
        ("other_secretary", _member_edit, 404),
        ("secretary", _roster_of_branch, 403),
        ("town_staff", _roster_of_branch, 403),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_refused_pages_write_no_log_entry(org, member, client_as, who, url, status):
    assert client_as(who).get(url(org, member)).status_code == status
    assert _entries() == []


def test_log_is_append_only(org):
    entry = personal_data_access_record(
        actor=org.town_staff,
        action=PersonalDataAction.MEMBER_LIST_VIEW,
        branch=org.branch,
        subject="范寨村党支部",
    )
    entry.subject = "改过"
    with pytest.raises(AppendOnlyRefused):
        entry.save()
    with pytest.raises(AppendOnlyRefused):
        entry.delete()
    with pytest.raises(AppendOnlyRefused):
        PersonalDataAccess.objects.all().delete()
    assert _entries() == [
        (
            org.town_staff,
            PersonalDataAction.MEMBER_LIST_VIEW,
            org.town,
            org.branch,
            "范寨村党支部",
        )
    ]


# ---------------------------------------------------------------------------
# The log page of organisation staff
# ---------------------------------------------------------------------------
def _record(org, who, branch, subject):
    return personal_data_access_record(
        actor=getattr(org, who),
        action=PersonalDataAction.MEMBER_LIST_VIEW,
        branch=branch,
        subject=subject,
    )


@pytest.mark.parametrize("who", ORGANISATION_ROLES)
def test_log_page_permissions(org, client_as, who):
    response = client_as(who).get(LOG_URL)
    expected = {"anonymous": 302, "district_organiser": 200, "town_organiser": 200}.get(who, 403)
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("district_organiser", ["远村查看", "范寨村查看"]),
        ("town_organiser", ["范寨村查看"]),
        ("other_town_organiser", ["远村查看"]),
    ],
)
def test_log_page_shows_own_subtree_only(org, client_as, who, shown):
    org.other_town_organiser = factories.make_organiser(org.other_town, factories.make_user())
    _record(org, "secretary", org.branch, "范寨村查看")
    _record(org, "district_staff", org.far_branch, "远村查看")
    response = client_as(who).get(LOG_URL)
    assert [entry.subject for entry in response.context["page_obj"]] == shown


def test_log_page_names_who_what_and_when(org, client_as):
    org.town_staff.last_name, org.town_staff.first_name = "王", "建国"
    org.town_staff.save()
    entry = _record(org, "town_staff", org.branch, "范寨村党支部")
    content = client_as("town_organiser").get(LOG_URL).content.decode()
    assert "查看党员名册" in content
    assert "王建国" in content
    assert entry.created_at.astimezone().strftime("%Y-%m-%d") in content


def test_log_page_filters_by_action(org, client_as):
    _record(org, "secretary", org.branch, "名册查看")
    personal_data_access_record(
        actor=org.town_organiser,
        action=PersonalDataAction.ROSTER_DOWNLOAD,
        branch=org.branch,
        subject="名册下载",
    )
    response = client_as("town_organiser").get(
        LOG_URL, {"action": PersonalDataAction.ROSTER_DOWNLOAD}
    )
    assert [entry.subject for entry in response.context["page_obj"]] == ["名册下载"]


def test_log_page_runs_a_fixed_number_of_queries(org, client_as):
    client = client_as("district_organiser")
    _record(org, "secretary", org.branch, "一")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LOG_URL).status_code == 200
        return len(captured)

    before = queries()
    for number in range(5):
        branch = factories.make_branch(org.other_town, factories.make_user(), name=f"村{number}")
        _record(org, "district_staff", branch, f"村{number}")
    assert queries() == before


@pytest.mark.parametrize("name", ["branches:org_home", "branches:org_changes"])
def test_organisation_pages_link_to_the_log(org, client_as, name):
    content = client_as("town_organiser").get(reverse(name)).content.decode()
    assert f'href="{LOG_URL}"' in content


# ---------------------------------------------------------------------------
# Erasing a departed member's personal data
# ---------------------------------------------------------------------------
@pytest.fixture
def departed(org):
    member = factories.make_member(
        org.branch,
        name="李荣花",
        phone=PHONE,
        birth_year=1950,
        joined_on="1975-07-01",
        is_exempt=True,
        exemption_reason="illness",
        exemption_note="肺病，长期卧床",
    )
    pledge = factories.make_pledge(member=member, title="照看村口花坛")
    factories.walk_to(pledge, PledgeStatus.PUBLISHED, secretary=org.secretary, staff=org.town_staff)
    return member_deactivate(member=member, actor=org.secretary)


def _personal(member):
    member.refresh_from_db()
    return (member.phone, member.birth_year, member.joined_on, member.exemption_note)


def test_erase_clears_personal_data_of_a_departed_member(org, departed):
    member_erase_personal_data(member=departed, actor=org.secretary)
    assert _personal(departed) == ("", None, None, "")
    assert (departed.name, departed.gender, departed.exemption_reason, departed.is_active) == (
        "李荣花",
        "female",
        "illness",
        False,
    )


def test_erase_records_the_fields_not_their_values(org, departed):
    member_erase_personal_data(member=departed, actor=org.secretary)
    change = OrganisationChange.objects.get()
    assert (change.actor, change.action, change.committee, change.subject) == (
        org.secretary,
        OrganisationAction.MEMBER_PERSONAL_DATA_ERASE,
        org.town,
        "范寨村党支部 李荣花",
    )
    assert change.changes == {
        "联系电话": "已清除",
        "出生年份": "已清除",
        "入党日期": "已清除",
        "免于承诺说明": "已清除",
    }
    assert PHONE not in str(change.changes) + change.note


def test_erase_of_nothing_left_records_nothing(org, departed):
    member_erase_personal_data(member=departed, actor=org.secretary)
    member_erase_personal_data(member=departed, actor=org.secretary)
    assert OrganisationChange.objects.count() == 1


def test_erase_refuses_a_member_on_the_roll(org, member):
    with pytest.raises(ValidationError) as refusal:
        member_erase_personal_data(member=member, actor=org.secretary)
    assert refusal.value.messages == [
        "在册党员的个人信息不能清除：请先将其标记为不在册，再清除联系电话、出生年份等信息。"
    ]
    member.refresh_from_db()
    assert (member.phone, member.birth_year) == (PHONE, 1968)
    assert OrganisationChange.objects.count() == 0


@pytest.mark.parametrize("who", ["town_staff", "district_staff", "other_secretary"])
def test_erase_service_refuses_others_than_the_secretary(org, departed, who):
    with pytest.raises(PermissionDenied):
        member_erase_personal_data(member=departed, actor=getattr(org, who))
    assert _personal(departed)[0] == PHONE


def test_erase_keeps_pledges_and_public_pages(org, departed, client):
    pledge = Pledge.objects.get(member=departed)
    pledges_before = list(Pledge.objects.filter(member=departed).values())
    pages = [
        reverse("public:by_token", args=[org.branch.public_token]),
        reverse("public:by_token", args=[departed.public_token]),
        reverse("public:pledge_page", args=[pledge.pk]),
    ]
    before = [client.get(url) for url in pages]
    member_erase_personal_data(member=departed, actor=org.secretary)
    after = [client.get(url) for url in pages]
    assert list(Pledge.objects.filter(member=departed).values()) == pledges_before

    def facts(response):
        content = response.content.decode()
        return (response.status_code, "李荣花" in content, "照看村口花坛" in content)

    assert [facts(response) for response in after] == [facts(response) for response in before]
    # The pledge's own page still names the member and the pledge.
    assert facts(after[2]) == (200, True, True)


ERASE_STATUS = {
    "secretary": 302,
    "other_secretary": 404,
    "town_staff": 403,
    "other_town_staff": 404,
    "district_staff": 403,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
def test_erase_view_permissions(org, departed, client_as, who):
    url = reverse("branches:member_erase_personal_data", args=[departed.pk])
    response = client_as(who).post(url)
    assert response.status_code == ERASE_STATUS[who]
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    elif who == "secretary":
        assert response["Location"] == reverse("branches:member_edit", args=[departed.pk])
    assert (_personal(departed)[0] == "") == (who == "secretary")


def test_erase_view_is_post_only(org, departed, client_as):
    url = reverse("branches:member_erase_personal_data", args=[departed.pk])
    assert client_as("secretary").get(url).status_code == 405
    assert _personal(departed)[0] == PHONE


def test_erase_view_shows_the_refusal_for_a_member_on_the_roll(org, member, client_as):
    url = reverse("branches:member_erase_personal_data", args=[member.pk])
    response = client_as("secretary").post(url, follow=True)
    assert "在册党员的个人信息不能清除" in response.content.decode()
    member.refresh_from_db()
    assert member.phone == PHONE


@pytest.mark.parametrize(("is_active", "offered"), [(True, False), (False, True)])
def test_edit_page_offers_erasure_for_departed_members_only(org, client_as, is_active, offered):
    member = factories.make_member(org.branch, phone=PHONE, is_active=is_active)
    content = client_as("secretary").get(_member_edit(org, member)).content.decode()
    erase_url = reverse("branches:member_erase_personal_data", args=[member.pk])
    assert (f'action="{erase_url}"' in content) == offered


def test_member_page_after_erasure_says_so(org, departed, client_as):
    url = reverse("branches:member_erase_personal_data", args=[departed.pk])
    response = client_as("secretary").post(url, follow=True)
    content = response.content.decode()
    assert "已清除“李荣花”的联系电话" in content
    assert PHONE not in content
    assert Member.objects.get(pk=departed.pk).phone == ""

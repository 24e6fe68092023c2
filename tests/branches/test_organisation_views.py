import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.enums import BranchKind, CommitteeKind, OrganisationAction
from branches.models import Branch, Committee, MemberPairing, OrganisationChange, Pairing
from branches.services.audit import organisation_change_record
from tests import factories
from tests.conftest import ORGANISATION_ROLES

LOGIN_URL = reverse("login")
YEAR = timezone.localdate().year


class Objects:
    """Objects in the town (reachable by both organisers) and in the other town (by the
    district's organiser only), for the permission grid."""


@pytest.fixture
def objects(org):
    o = Objects()
    for side, committee in (("town", org.town), ("far", org.other_town)):
        area = factories.make_committee(f"{committee.name}片区", parent=committee)
        closed = factories.make_committee(f"{committee.name}旧片区", parent=committee)
        closed.closed_at = timezone.now()
        closed.save()
        office = factories.make_branch(
            committee, name=f"{committee.name}机关支部", kind=BranchKind.GOVERNMENT_OFFICE
        )
        member = factories.make_member(office, name=f"{committee.name}党员")
        village = org.branch if side == "town" else org.far_branch
        setattr(o, f"{side}_committee", committee)
        setattr(o, f"{side}_area", area)
        setattr(o, f"{side}_closed", closed)
        setattr(o, f"{side}_branch", village)
        setattr(o, f"{side}_account", village.secretary)
        setattr(
            o,
            f"{side}_pairing",
            Pairing.objects.create(office_branch=office, village_branch=village, year=YEAR),
        )
        setattr(
            o,
            f"{side}_member_pairing",
            MemberPairing.objects.create(member=member, village_branch=village, year=YEAR),
        )
        inactive = factories.make_user(f"{side}_inactive", is_active=False)
        factories.make_staff(committee, inactive)
        setattr(o, f"{side}_inactive", inactive)
    return o


# Every URL of the organisation pages: (URL name, object attribute of `objects` or None,
# method, status for an organiser who reaches it).
PAGES = [
    ("branches:org_home", None, "get", 200),
    ("branches:org_committee_add", None, "get", 200),
    ("branches:org_committee_add", None, "post", 200),
    ("branches:org_branches", None, "get", 200),
    ("branches:org_branch_add", None, "get", 200),
    ("branches:org_branch_add", None, "post", 200),
    ("branches:org_pairings", None, "get", 200),
    ("branches:org_pairing_add", None, "post", 200),
    ("branches:org_member_pairing_add", None, "post", 200),
    ("branches:org_accounts", None, "get", 200),
    ("branches:org_changes", None, "get", 200),
]
for kind in ("secretary", "review_staff", "organisation_staff"):
    PAGES.append((f"branches:org_account_add/{kind}", None, "get", 200))
    PAGES.append((f"branches:org_account_add/{kind}", None, "post", 200))
OBJECT_PAGES = [
    ("branches:org_committee_edit", "committee", "get", 200),
    ("branches:org_committee_edit", "area", "post", 200),
    ("branches:org_committee_close", "area", "post", 302),
    ("branches:org_committee_reopen", "closed", "post", 302),
    ("branches:org_branch_edit", "branch", "get", 200),
    ("branches:org_branch_edit", "branch", "post", 200),
    ("branches:org_pairing_delete", "pairing", "post", 302),
    ("branches:org_member_pairing_delete", "member_pairing", "post", 302),
    ("branches:org_account_reset_password", "account", "post", 200),
    ("branches:org_account_deactivate", "account", "post", 302),
    ("branches:org_account_reactivate", "inactive", "post", 302),
]
GRID = [
    *[(name, None, method, ok) for name, _attr, method, ok in PAGES],
    *[
        (name, f"{side}_{attr}", method, ok)
        for name, attr, method, ok in OBJECT_PAGES
        for side in ("town", "far")
    ],
]


def _url(name: str, target) -> str:
    name, _slash, kind = name.partition("/")
    args = [kind] if kind else []
    if target is not None:
        args.append(target.pk)
    return reverse(name, args=args)


def _expected(who: str, target_name: str | None, ok: int) -> int:
    if who == "anonymous":
        return 302
    if who == "district_organiser":
        return ok
    if who == "town_organiser":
        return 404 if target_name and target_name.startswith("far_") else ok
    return 403


@pytest.mark.parametrize("who", ORGANISATION_ROLES)
@pytest.mark.parametrize(
    ("name", "target_name", "method", "ok"),
    GRID,
    ids=[f"{name}-{target or '-'}-{method}" for name, target, method, _ok in GRID],
)
def test_permission_grid(org, objects, client_as, who, name, target_name, method, ok):
    target = getattr(objects, target_name) if target_name else None
    client = client_as(who)
    response = getattr(client, method)(_url(name, target))
    expected = _expected(who, target_name, ok)
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN_URL)
    elif expected == 302:
        assert not response["Location"].startswith(LOGIN_URL)


@pytest.mark.parametrize(
    "name",
    [
        "branches:org_committee_close",
        "branches:org_committee_reopen",
        "branches:org_pairing_add",
        "branches:org_account_deactivate",
    ],
)
def test_moves_are_post_only(org, objects, client_as, name):
    args = [] if name == "branches:org_pairing_add" else [objects.town_area.pk]
    response = client_as("district_organiser").get(reverse(name, args=args))
    assert response.status_code == 405


def test_refused_action_leaves_far_objects_alone(org, objects, client_as):
    client_as("town_organiser").post(
        reverse("branches:org_pairing_delete", args=[objects.far_pairing.pk])
    )
    client_as("town_organiser").post(
        reverse("branches:org_account_deactivate", args=[objects.far_account.pk])
    )
    assert Pairing.objects.filter(pk=objects.far_pairing.pk).exists()
    objects.far_account.refresh_from_db()
    assert objects.far_account.is_active


# ---------------------------------------------------------------------------
# Forms: bad input shows a Chinese message and keeps what was typed
# ---------------------------------------------------------------------------
def test_branch_add_missing_kind_keeps_input(org, client_as):
    response = client_as("town_organiser").post(
        reverse("branches:org_branch_add"),
        {
            "name": "王庄村党支部",
            "village": "王庄村",
            "secretary_name": "王五",
            "committee": org.town.pk,
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "请选择党支部类型" in content
    assert 'value="王庄村党支部"' in content
    assert 'value="王五"' in content
    assert not Branch.objects.filter(name="王庄村党支部").exists()


def test_branch_add_service_refusal_shows_beside_the_field(org, client_as):
    response = client_as("town_organiser").post(
        reverse("branches:org_branch_add"),
        {"name": "范寨村党支部", "kind": "village", "village": "范寨村", "committee": org.town.pk},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "“姬石镇党委”下已有名为“范寨村党支部”的党支部" in content
    assert 'value="范寨村"' in content


def test_branch_add_creates_and_redirects(org, client_as):
    response = client_as("town_organiser").post(
        reverse("branches:org_branch_add"),
        {"name": "王庄村党支部", "kind": "village", "village": "王庄村", "committee": org.town.pk},
    )
    assert response.status_code == 302
    branch = Branch.objects.get(name="王庄村党支部")
    assert branch.committee == org.town


def test_branch_add_committee_outside_subtree_is_an_invalid_choice(org, client_as):
    response = client_as("town_organiser").post(
        reverse("branches:org_branch_add"),
        {
            "name": "甲村党支部",
            "kind": "village",
            "village": "甲村",
            "committee": org.other_town.pk,
        },
    )
    assert response.status_code == 200
    assert "不在您的管理范围内" in response.content.decode()
    assert not Branch.objects.filter(name="甲村党支部").exists()


def test_branch_edit_moves_the_branch(org, client_as):
    response = client_as("district_organiser").post(
        reverse("branches:org_branch_edit", args=[org.branch.pk]),
        {
            "name": org.branch.name,
            "kind": "village",
            "village": "范寨村",
            "secretary_name": "王彦军",
            "committee": org.other_town.pk,
        },
    )
    assert response.status_code == 302
    org.branch.refresh_from_db()
    assert org.branch.committee == org.other_town
    assert org.branch.secretary_name == "王彦军"


def test_committee_add_and_edit(org, client_as):
    client = client_as("district_organiser")
    response = client.post(
        reverse("branches:org_committee_add"),
        {"name": "机关事业党委", "kind": CommitteeKind.ORGANS, "parent": org.district.pk},
    )
    assert response.status_code == 302
    organs = Committee.objects.get(name="机关事业党委")
    response = client.post(
        reverse("branches:org_committee_edit", args=[organs.pk]),
        {"name": "机关党委", "kind": CommitteeKind.ORGANS, "parent": org.town.pk},
    )
    assert response.status_code == 302
    organs.refresh_from_db()
    assert (organs.name, organs.parent) == ("机关党委", org.town)


def test_committee_edit_own_root_has_no_parent_field(org, client_as):
    response = client_as("town_organiser").get(
        reverse("branches:org_committee_edit", args=[org.town.pk])
    )
    assert 'name="parent"' not in response.content.decode()
    assert "不能移动或撤销" in response.content.decode()


def test_committee_edit_bad_input_keeps_it(org, client_as):
    response = client_as("district_organiser").post(
        reverse("branches:org_committee_edit", args=[org.town.pk]),
        {"name": "老窝镇党委", "kind": "town", "parent": org.district.pk},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "已有名为“老窝镇党委”的党组织" in content
    assert 'value="老窝镇党委"' in content


def test_refused_close_shows_its_message(org, client_as):
    response = client_as("district_organiser").post(
        reverse("branches:org_committee_close", args=[org.town.pk]), follow=True
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "“姬石镇党委”下还有 2 个党支部，请先把它们转到其他党组织，再撤销。" in content
    org.town.refresh_from_db()
    assert not org.town.is_closed


def test_pairing_add_and_its_errors(org, client_as):
    office = factories.make_branch(org.town, name="镇机关支部", kind=BranchKind.GOVERNMENT_OFFICE)
    client = client_as("town_organiser")
    url = reverse("branches:org_pairing_add")
    response = client.post(url, {"office_branch": office.pk, "village_branch": "", "year": YEAR})
    assert response.status_code == 200
    assert "请选择" in response.content.decode()
    response = client.post(
        url, {"office_branch": office.pk, "village_branch": org.branch.pk, "year": YEAR}
    )
    assert response.status_code == 302
    assert Pairing.objects.filter(office_branch=office, village_branch=org.branch).exists()
    response = client.post(
        url, {"office_branch": office.pk, "village_branch": org.branch.pk, "year": YEAR}
    )
    assert response.status_code == 200
    assert "已有这一结对" in response.content.decode()


def test_pairings_list_marks_pairings_reaching_outside(org, client_as):
    organs = factories.make_committee("机关党委", parent=org.district, kind=CommitteeKind.ORGANS)
    office = factories.make_branch(organs, name="综合办支部", kind=BranchKind.GOVERNMENT_OFFICE)
    pairing = Pairing.objects.create(office_branch=office, village_branch=org.branch, year=YEAR)
    response = client_as("town_organiser").get(reverse("branches:org_pairings"))
    content = response.content.decode()
    assert "综合办支部" in content
    assert "由上级管理" in content
    response = client_as("town_organiser").post(
        reverse("branches:org_pairing_delete", args=[pairing.pk])
    )
    assert response.status_code == 403
    assert Pairing.objects.filter(pk=pairing.pk).exists()


# ---------------------------------------------------------------------------
# Audit list, navigation, home
# ---------------------------------------------------------------------------
def test_changes_list_shows_own_subtree_only(org, client_as):
    organisation_change_record(
        actor=org.district_organiser,
        action=OrganisationAction.BRANCH_UPDATE,
        committee=org.town,
        subject="范寨村党支部",
        changes={"名称": ["范寨村支部", "范寨村党支部"]},
    )
    organisation_change_record(
        actor=org.district_organiser,
        action=OrganisationAction.BRANCH_UPDATE,
        committee=org.other_town,
        subject="远村党支部",
    )
    content = client_as("town_organiser").get(reverse("branches:org_changes")).content.decode()
    assert "范寨村党支部" in content
    assert "<del>范寨村支部</del> → <ins>范寨村党支部</ins>" in content
    assert "远村党支部" not in content
    content = client_as("district_organiser").get(reverse("branches:org_changes")).content.decode()
    assert "远村党支部" in content


def test_changes_list_filters_by_action(org, client_as):
    for action, subject in (
        (OrganisationAction.COMMITTEE_CREATE, "甲党委"),
        (OrganisationAction.BRANCH_CREATE, "乙支部"),
    ):
        organisation_change_record(actor=None, action=action, committee=org.town, subject=subject)
    response = client_as("district_organiser").get(
        reverse("branches:org_changes"), {"action": OrganisationAction.BRANCH_CREATE}
    )
    content = response.content.decode()
    assert "乙支部" in content
    assert "甲党委" not in content
    assert OrganisationChange.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("district_organiser", True),
        ("town_organiser", True),
        ("secretary", False),
        ("town_staff", False),
        ("district_staff", False),
    ],
)
def test_navigation_has_organisation_entry_for_organisers(org, client_as, who, shown):
    content = client_as(who).get(reverse("home")).content.decode()
    assert (f'href="{reverse("branches:org_home")}"' in content) == shown
    assert ("组织管理" in content) == shown


def test_organisation_page_is_marked_in_navigation(org, client_as):
    content = client_as("town_organiser").get(reverse("branches:org_branches")).content.decode()
    assert f'<a href="{reverse("branches:org_home")}" aria-current="page">' in content


def test_home_lists_branches_without_secretary_account(org, client_as):
    factories.make_branch(org.town, name="无账号村党支部")
    content = client_as("town_organiser").get(reverse("home")).content.decode()
    assert "还没有书记账号的党支部" in content
    assert "无账号村党支部" in content
    content = client_as("secretary").get(reverse("home")).content.decode()
    assert "无账号村党支部" not in content


def test_org_home_shows_tree_with_counts(org, client_as):
    factories.make_member(org.branch)
    factories.make_member(org.other_branch)
    response = client_as("town_organiser").get(reverse("branches:org_home"))
    tree = response.context["tree"]
    assert [(c.name, c.branch_count, c.member_count, c.indent) for c in tree] == [
        ("姬石镇党委", 2, 2, 0)
    ]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _add_round(org, number: int) -> None:
    committee = factories.make_committee(f"新党委{number}", parent=org.town)
    village = factories.make_branch(committee, factories.make_user(), name=f"新村{number}")
    office = factories.make_branch(
        committee, name=f"新机关{number}", kind=BranchKind.GOVERNMENT_OFFICE
    )
    member = factories.make_member(office)
    factories.make_staff(committee)
    Pairing.objects.create(office_branch=office, village_branch=village, year=YEAR)
    MemberPairing.objects.create(member=member, village_branch=village, year=YEAR)
    organisation_change_record(
        actor=org.district_organiser,
        action=OrganisationAction.COMMITTEE_CREATE,
        committee=committee,
        subject=committee.name,
    )


@pytest.mark.parametrize(
    "name",
    [
        "branches:org_home",
        "branches:org_branches",
        "branches:org_pairings",
        "branches:org_accounts",
        "branches:org_changes",
    ],
)
def test_pages_run_a_fixed_number_of_queries(org, client_as, name):
    client = client_as("district_organiser")
    url = reverse(name)
    _add_round(org, 0)
    before = _queries(client, url)
    for number in range(1, 4):
        _add_round(org, number)
    assert _queries(client, url) == before

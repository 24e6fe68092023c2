import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from branches.enums import BranchKind, CommitteeKind, OrganisationAction
from branches.models import Branch, Committee, MemberPairing, OrganisationChange, Pairing
from branches.services.branch_records import branch_create, branch_update
from branches.services.committees import (
    committee_close,
    committee_create,
    committee_reopen,
    committee_update,
)
from branches.services.pairings import (
    member_pairing_create,
    member_pairing_delete,
    pairing_create,
    pairing_delete,
)
from tests import factories

YEAR = timezone.localdate().year


def _last_change():
    return OrganisationChange.objects.order_by("-pk").first()


def _message(error) -> str:
    return " ".join(error.value.messages)


@pytest.fixture
def office(org):
    """An office branch under a committee of organs, with one member."""
    organs = factories.make_committee(
        "机关事业党委", parent=org.district, kind=CommitteeKind.ORGANS
    )
    branch = factories.make_branch(
        organs, name="示范区党政综合办公室党支部", kind=BranchKind.GOVERNMENT_OFFICE, village=""
    )
    branch.member = factories.make_member(branch, name="张三")
    return branch


# ---------------------------------------------------------------------------
# Committees
# ---------------------------------------------------------------------------
def test_committee_create_under_own_subtree_writes_audit(org):
    committee = committee_create(
        actor=org.town_organiser, parent=org.town, name=" 第一片区党委 ", kind=CommitteeKind.OTHER
    )
    assert committee.name == "第一片区党委"
    assert committee.parent == org.town
    assert committee.path.startswith(org.town.path)
    change = _last_change()
    assert change.action == OrganisationAction.COMMITTEE_CREATE
    assert change.actor == org.town_organiser
    assert change.committee == committee
    assert change.changes["名称"] == ["", "第一片区党委"]
    assert change.changes["上级党组织"] == ["", "姬石镇党委"]


@pytest.mark.parametrize("who", ["town_organiser", "town_staff", "secretary", "district_staff"])
def test_committee_create_outside_subtree_is_refused(org, who):
    with pytest.raises(PermissionDenied):
        committee_create(
            actor=getattr(org, who), parent=org.other_town, name="新党委", kind=CommitteeKind.OTHER
        )
    assert not Committee.objects.filter(name="新党委").exists()


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("  ", CommitteeKind.OTHER, "请填写名称"),
        ("新党委", "nonsense", "请选择党组织类型"),
        ("老窝镇党委", CommitteeKind.TOWN, "已有名为“老窝镇党委”的党组织"),
    ],
)
def test_committee_create_bad_input_is_refused(org, name, kind, message):
    with pytest.raises(ValidationError) as error:
        committee_create(actor=org.district_organiser, parent=org.district, name=name, kind=kind)
    assert message in _message(error)


def test_committee_create_under_closed_parent_is_refused(org):
    empty = factories.make_committee("空党委", parent=org.district)
    committee_close(actor=org.district_organiser, committee=empty)
    with pytest.raises(ValidationError) as error:
        committee_create(
            actor=org.district_organiser, parent=empty, name="新党委", kind=CommitteeKind.OTHER
        )
    assert "已撤销" in _message(error)


def test_committee_update_renames_and_records_old_and_new(org):
    committee_update(
        actor=org.district_organiser, committee=org.town, name="姬石镇委", kind=org.town.kind
    )
    org.town.refresh_from_db()
    assert org.town.name == "姬石镇委"
    change = _last_change()
    assert change.action == OrganisationAction.COMMITTEE_UPDATE
    assert change.changes == {"名称": ["姬石镇党委", "姬石镇委"]}


def test_committee_update_unchanged_writes_nothing(org):
    before = OrganisationChange.objects.count()
    committee_update(
        actor=org.district_organiser, committee=org.town, name=org.town.name, kind=org.town.kind
    )
    assert OrganisationChange.objects.count() == before


def test_committee_update_moves_the_whole_subtree(org):
    area = factories.make_committee("片区党委", parent=org.town)
    inner = factories.make_committee("内层党委", parent=area)
    committee_update(
        actor=org.district_organiser,
        committee=area,
        name=area.name,
        kind=area.kind,
        parent=org.other_town,
    )
    inner.refresh_from_db()
    assert inner.path.startswith(org.other_town.path)
    assert _last_change().changes["上级党组织"] == ["姬石镇党委", "老窝镇党委"]


def test_committee_update_own_root_can_be_renamed_not_moved(org):
    committee_update(actor=org.town_organiser, committee=org.town, name="姬石镇委", kind="town")
    with pytest.raises(ValidationError) as error:
        committee_update(
            actor=org.town_organiser,
            committee=org.town,
            name="姬石镇委",
            kind="town",
            parent=org.other_town,
        )
    assert "最上级党组织不能移动" in _message(error)


def test_committee_update_into_own_subtree_is_refused(org):
    area = factories.make_committee("片区党委", parent=org.town)
    with pytest.raises(ValidationError) as error:
        committee_update(
            actor=org.district_organiser,
            committee=org.town,
            name=org.town.name,
            kind=org.town.kind,
            parent=area,
        )
    assert "不能是本组织或其下级组织" in _message(error)


def test_committee_update_to_parent_outside_subtree_is_refused(org):
    area = factories.make_committee("片区党委", parent=org.town)
    with pytest.raises(PermissionDenied):
        committee_update(
            actor=org.town_organiser,
            committee=area,
            name=area.name,
            kind=area.kind,
            parent=org.other_town,
        )


def test_committee_close_refused_while_branches_remain(org):
    with pytest.raises(ValidationError) as error:
        committee_close(actor=org.district_organiser, committee=org.town)
    assert "还有 2 个党支部" in _message(error)
    org.town.refresh_from_db()
    assert not org.town.is_closed


def test_committee_close_refused_while_open_children_remain(org):
    area = factories.make_committee("片区党委", parent=org.district)
    factories.make_committee("内层党委", parent=area)
    with pytest.raises(ValidationError) as error:
        committee_close(actor=org.district_organiser, committee=area)
    assert "1 个下级党组织未撤销" in _message(error)


def test_committee_close_and_reopen(org):
    area = factories.make_committee("片区党委", parent=org.district)
    committee_close(actor=org.district_organiser, committee=area)
    area.refresh_from_db()
    assert area.is_closed
    assert _last_change().action == OrganisationAction.COMMITTEE_CLOSE
    with pytest.raises(ValidationError):
        committee_close(actor=org.district_organiser, committee=area)
    committee_reopen(actor=org.district_organiser, committee=area)
    area.refresh_from_db()
    assert not area.is_closed
    assert _last_change().action == OrganisationAction.COMMITTEE_REOPEN
    with pytest.raises(ValidationError):
        committee_reopen(actor=org.district_organiser, committee=area)


def test_committee_close_own_root_is_refused(org):
    factories.make_organiser(org.other_town, org.town_organiser)
    empty = factories.make_committee("空党委", parent=org.district)
    organiser = factories.make_organiser(empty)
    with pytest.raises(ValidationError) as error:
        committee_close(actor=organiser, committee=empty)
    assert "最上级党组织不能撤销" in _message(error)


def test_committee_reopen_under_closed_parent_is_refused(org):
    area = factories.make_committee("片区党委", parent=org.district)
    inner = factories.make_committee("内层党委", parent=area)
    committee_close(actor=org.district_organiser, committee=inner)
    committee_close(actor=org.district_organiser, committee=area)
    with pytest.raises(ValidationError) as error:
        committee_reopen(actor=org.district_organiser, committee=inner)
    assert "请先恢复上级党组织" in _message(error)


@pytest.mark.parametrize("who", ["town_organiser", "town_staff", "secretary"])
def test_committee_close_outside_subtree_is_refused(org, who):
    area = factories.make_committee("片区党委", parent=org.other_town)
    with pytest.raises(PermissionDenied):
        committee_close(actor=getattr(org, who), committee=area)


# ---------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------
def test_branch_create_writes_audit(org):
    branch = branch_create(
        actor=org.town_organiser,
        committee=org.town,
        name="王庄村党支部",
        kind=BranchKind.VILLAGE,
        village="王庄村",
        secretary_name="王五",
    )
    assert branch.committee == org.town
    assert branch.secretary is None
    change = _last_change()
    assert change.action == OrganisationAction.BRANCH_CREATE
    assert change.committee == org.town
    assert change.changes["所在村（社区）"] == ["", "王庄村"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "请填写名称"),
        ({"kind": "castle"}, "请选择党支部类型"),
        ({"village": ""}, "须填写所在村"),
        ({"kind": BranchKind.COMMUNITY, "village": ""}, "须填写所在村"),
        ({"name": "范寨村党支部"}, "已有名为“范寨村党支部”的党支部"),
    ],
)
def test_branch_create_bad_input_is_refused(org, data, message):
    fields = {"name": "王庄村党支部", "kind": BranchKind.VILLAGE, "village": "王庄村", **data}
    with pytest.raises(ValidationError) as error:
        branch_create(actor=org.town_organiser, committee=org.town, **fields)
    assert message in _message(error)


def test_branch_create_outside_subtree_or_in_closed_committee_is_refused(org):
    with pytest.raises(PermissionDenied):
        branch_create(actor=org.town_organiser, committee=org.other_town, name="甲", kind="school")
    area = factories.make_committee("片区党委", parent=org.town)
    committee_close(actor=org.town_organiser, committee=area)
    with pytest.raises(ValidationError) as error:
        branch_create(actor=org.town_organiser, committee=area, name="甲", kind="school")
    assert "已撤销" in _message(error)


def test_branch_update_changes_and_moves(org):
    stamp = org.branch.public_changed_at
    branch_update(
        actor=org.district_organiser,
        branch=org.branch,
        name="范寨村党总支",
        kind=BranchKind.VILLAGE,
        village="范寨村",
        secretary_name="王彦军",
        committee=org.other_town,
    )
    org.branch.refresh_from_db()
    assert org.branch.committee == org.other_town
    assert org.branch.name == "范寨村党总支"
    assert org.branch.public_changed_at > stamp
    change = _last_change()
    assert change.action == OrganisationAction.BRANCH_UPDATE
    assert change.committee == org.other_town
    assert change.changes["上级党委"] == ["姬石镇党委", "老窝镇党委"]
    assert change.changes["名称"] == ["范寨村党支部", "范寨村党总支"]


def test_branch_update_move_outside_subtree_is_refused(org):
    with pytest.raises(PermissionDenied):
        branch_update(
            actor=org.town_organiser,
            branch=org.branch,
            name=org.branch.name,
            kind=org.branch.kind,
            village="范寨村",
            committee=org.other_town,
        )
    with pytest.raises(PermissionDenied):
        branch_update(
            actor=org.town_organiser,
            branch=org.far_branch,
            name="x",
            kind="village",
            village="x",
        )


def test_branch_update_name_taken_in_target_committee_is_refused(org):
    with pytest.raises(ValidationError) as error:
        branch_update(
            actor=org.district_organiser,
            branch=org.far_branch,
            name="范寨村党支部",
            kind="village",
            village="范寨村",
            committee=org.town,
        )
    assert "已有名为“范寨村党支部”的党支部" in _message(error)


def test_branch_update_kind_refused_while_paired(org, office):
    pairing_create(
        actor=org.district_organiser, office_branch=office, village_branch=org.branch, year=YEAR
    )
    with pytest.raises(ValidationError) as error:
        branch_update(
            actor=org.district_organiser,
            branch=org.branch,
            name=org.branch.name,
            kind=BranchKind.SCHOOL,
            village="范寨村",
        )
    assert "请先取消它的结对" in _message(error)
    with pytest.raises(ValidationError) as error:
        branch_update(
            actor=org.district_organiser,
            branch=office,
            name=office.name,
            kind=BranchKind.VILLAGE,
            village="某村",
        )
    assert "请先取消结对" in _message(error)


# ---------------------------------------------------------------------------
# Pairings
# ---------------------------------------------------------------------------
def test_pairing_create_and_delete_write_audit(org, office):
    pairing = pairing_create(
        actor=org.district_organiser, office_branch=office, village_branch=org.branch, year=YEAR
    )
    change = _last_change()
    assert change.action == OrganisationAction.PAIRING_CREATE
    assert change.committee == org.town
    assert change.changes["结对共建"] == ["", "示范区党政综合办公室党支部 ↔ 范寨村党支部"]
    pairing_delete(actor=org.district_organiser, pairing=pairing)
    assert not Pairing.objects.exists()
    change = _last_change()
    assert change.action == OrganisationAction.PAIRING_DELETE
    assert change.changes["年度"] == [str(YEAR), ""]


@pytest.mark.parametrize(
    ("office_attr", "village_attr", "year", "message"),
    [
        ("branch", "other_branch", YEAR, "不能是农村党支部"),
        ("office", "office", YEAR, "须是农村党支部"),
        ("office", "branch", 1999, "年度须在"),
    ],
)
def test_pairing_create_bad_input_is_refused(org, office, office_attr, village_attr, year, message):
    branches = {"branch": org.branch, "other_branch": org.other_branch, "office": office}
    with pytest.raises(ValidationError) as error:
        pairing_create(
            actor=org.district_organiser,
            office_branch=branches[office_attr],
            village_branch=branches[village_attr],
            year=year,
        )
    assert message in _message(error)


def test_pairing_create_twice_is_refused(org, office):
    pairing_create(
        actor=org.district_organiser, office_branch=office, village_branch=org.branch, year=YEAR
    )
    with pytest.raises(ValidationError) as error:
        pairing_create(
            actor=org.district_organiser, office_branch=office, village_branch=org.branch, year=YEAR
        )
    assert "已有这一结对" in _message(error)


def test_pairing_outside_subtree_is_refused(org, office):
    with pytest.raises(PermissionDenied):
        pairing_create(
            actor=org.town_organiser, office_branch=office, village_branch=org.branch, year=YEAR
        )
    pairing = Pairing.objects.create(office_branch=office, village_branch=org.branch, year=YEAR)
    with pytest.raises(PermissionDenied):
        pairing_delete(actor=org.town_organiser, pairing=pairing)
    assert Pairing.objects.filter(pk=pairing.pk).exists()


def test_member_pairing_create_and_delete(org, office):
    pairing = member_pairing_create(
        actor=org.district_organiser, member=office.member, village_branch=org.branch, year=YEAR
    )
    assert _last_change().changes["党员结对"] == [
        "",
        "张三（示范区党政综合办公室党支部）↔ 范寨村党支部",
    ]
    with pytest.raises(ValidationError):
        member_pairing_create(
            actor=org.district_organiser, member=office.member, village_branch=org.branch, year=YEAR
        )
    member_pairing_delete(actor=org.district_organiser, pairing=pairing)
    assert not MemberPairing.objects.exists()
    assert _last_change().action == OrganisationAction.PAIRING_DELETE


def test_member_pairing_refusals(org, office):
    village_member = factories.make_member(org.branch, name="李四")
    with pytest.raises(ValidationError) as error:
        member_pairing_create(
            actor=org.district_organiser,
            member=village_member,
            village_branch=org.other_branch,
            year=YEAR,
        )
    assert "须来自机关（单位）党支部" in _message(error)
    with pytest.raises(ValidationError) as error:
        member_pairing_create(
            actor=org.district_organiser, member=office.member, village_branch=office, year=YEAR
        )
    assert "须是农村党支部" in _message(error)
    office.member.is_active = False
    office.member.save()
    with pytest.raises(ValidationError) as error:
        member_pairing_create(
            actor=org.district_organiser, member=office.member, village_branch=org.branch, year=YEAR
        )
    assert "已不在册" in _message(error)
    with pytest.raises(PermissionDenied):
        member_pairing_create(
            actor=org.town_organiser, member=office.member, village_branch=org.branch, year=YEAR
        )


def test_refused_services_write_no_audit_row(org):
    before = OrganisationChange.objects.count()
    with pytest.raises(ValidationError):
        committee_close(actor=org.district_organiser, committee=org.town)
    with pytest.raises(PermissionDenied):
        branch_create(actor=org.secretary, committee=org.town, name="甲", kind="school")
    assert OrganisationChange.objects.count() == before
    assert Branch.objects.filter(name="甲").count() == 0

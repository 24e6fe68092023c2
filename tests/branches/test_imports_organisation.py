"""Planning and applying the organisation workbook: committees and branches, parents named
before or after, moves, closed committees, cycles, idempotent re-import, atomic failure."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from branches.enums import BranchKind, CommitteeKind, ImportRowStatus, OrganisationAction
from branches.imports.plan import Change, Choices
from branches.imports.services import apply_plan
from branches.models import Branch, Committee, OrganisationChange
from tests import factories
from tests.branches.imports_support import org_row, org_xlsx, plan_org_file


def _apply(plan, org):
    return apply_plan(
        plan=plan, choices=Choices(), actor=org.district_organiser, filename="组织.xlsx"
    )


def test_plan_organisation_creates_committees_named_later_and_reimport_is_unchanged(org):
    content = org_xlsx(
        [
            org_row(name="新村党支部", parent="新镇党委", village="新村", secretary="张三"),
            org_row(kind="党委", name="新镇党委", parent="", type_="镇（街道）党委"),
            org_row(kind="党委", name="新镇机关党委", parent="新镇党委", type_="机关事业党委"),
            org_row(name="卫生院党支部", parent="新镇机关党委", type_="卫生院"),
        ]
    )

    plan = plan_org_file(content, org.district)
    assert [row.status for row in plan.rows] == [ImportRowStatus.NEW] * 4
    _apply(plan, org)

    town = Committee.objects.get(name="新镇党委")
    organs = Committee.objects.get(name="新镇机关党委")
    assert (town.parent, town.kind, organs.parent) == (org.district, CommitteeKind.TOWN, town)
    assert organs.path.startswith(town.path) and town.path.startswith(org.district.path)
    village = Branch.objects.get(name="新村党支部")
    assert (village.committee, village.kind, village.village, village.secretary_name) == (
        town,
        BranchKind.VILLAGE,
        "新村",
        "张三",
    )
    assert Branch.objects.get(name="卫生院党支部").committee == organs
    entry = OrganisationChange.objects.get()
    assert (entry.action, entry.changes["新增"]) == (OrganisationAction.IMPORT_ORGANISATION, "4")

    again = plan_org_file(content, org.district)
    assert [row.status for row in again.rows] == [ImportRowStatus.UNCHANGED] * 4


def test_plan_organisation_moves_a_branch_and_changes_its_fields(org):
    plan = plan_org_file(
        org_xlsx(
            [org_row(name="范寨村党支部", parent="老窝镇党委", village="某村", secretary="李四")]
        ),
        org.district,
    )

    assert plan.rows[0].changes == [
        Change("上级党组织", "姬石镇党委", "老窝镇党委"),
        Change("支部书记", "", "李四"),
    ]
    stamp = org.branch.public_changed_at
    _apply(plan, org)
    org.branch.refresh_from_db()
    assert (org.branch.committee, org.branch.secretary_name) == (org.other_town, "李四")
    # Its board shows the secretary: the public pages renew at once.
    assert org.branch.public_changed_at > stamp


def test_plan_organisation_moves_a_committee_with_its_subtree(org):
    sub = factories.make_committee("姬石镇机关党委", parent=org.town, kind=CommitteeKind.ORGANS)
    branch = factories.make_branch(sub, name="镇机关党支部", kind=BranchKind.GOVERNMENT_OFFICE)

    plan = plan_org_file(
        org_xlsx(
            [org_row(kind="党委", name="姬石镇党委", parent="老窝镇党委", type_="镇（街道）党委")]
        ),
        org.district,
    )
    assert plan.rows[0].changes == [Change("上级党组织", "示范区党工委", "老窝镇党委")]
    _apply(plan, org)

    sub.refresh_from_db()
    assert sub.path.startswith(org.other_town.path)
    assert Branch.objects.filter(
        committee__path__startswith=org.other_town.path, pk=branch.pk
    ).exists()


def test_plan_organisation_accepts_the_scope_root_unchanged(org):
    plan = plan_org_file(
        org_xlsx([org_row(kind="党委", name="示范区党工委", parent="", type_="党工委")]),
        org.district,
    )

    assert [row.status for row in plan.rows] == [ImportRowStatus.UNCHANGED]


def _close(committee):
    Committee.objects.filter(pk=committee.pk).update(closed_at=timezone.now())


# (case, rows, scope attribute, the messages of the last row)
ROW_ERRORS = [
    (
        "row kind unknown",
        [org_row(kind="支部")],
        "district",
        ["第 2 行“类别”：“支部”不是可选的值，可选：党委、党支部。"],
    ),
    (
        "branch kind for a committee",
        [org_row(kind="党委", name="新党委", type_="农村")],
        "district",
        ["第 2 行“类型”：党委的类型可选：" + "、".join(map(str, CommitteeKind.labels)) + "。"],
    ),
    (
        "committee kind for a branch",
        [org_row(type_="机关事业党委")],
        "district",
        ["第 2 行“类型”：党支部的类型可选：" + "、".join(map(str, BranchKind.labels)) + "。"],
    ),
    (
        "unknown parent",
        [org_row(parent="不存在党委")],
        "district",
        ["第 2 行“上级党组织”：找不到“不存在党委”：上级党组织须是本表中或您管理范围内的党委。"],
    ),
    (
        "parent outside the scope",
        [org_row(parent="老窝镇党委")],
        "town",
        ["第 2 行“上级党组织”：找不到“老窝镇党委”：上级党组织须是本表中或您管理范围内的党委。"],
    ),
    (
        "branch as parent",
        [org_row(parent="姬石村党支部")],
        "district",
        ["第 2 行“上级党组织”：“姬石村党支部”是党支部，上级党组织须是党委。"],
    ),
    (
        "village on a committee row",
        [org_row(kind="党委", name="新党委", type_="其他党委", village="某村")],
        "district",
        ["第 2 行“所在村（社区）”：党委行不填这一列。"],
    ),
    (
        "committee twice",
        [org_row(kind="党委", name="新党委", type_="其他党委")] * 2,
        "district",
        ["第 3 行“名称”：与第 2 行重复。"],
    ),
    (
        "branch twice",
        [org_row(), org_row(village="别村")],
        "district",
        ["第 3 行“名称”：与第 2 行是同一个党支部。"],
    ),
    (
        "root changed",
        [org_row(kind="党委", name="示范区党工委", parent="", type_="其他党委")],
        "district",
        ["第 2 行“名称”：导入范围的最上级党组织不能通过导入修改。"],
    ),
    (
        "name with spaces",
        [org_row(name="新村党支部 ")],
        "district",
        ["第 2 行“名称”：“新村党支部”前后有多余的空格：请删除空格。"],
    ),
    (
        "cycle",
        [
            org_row(kind="党委", name="甲党委", parent="乙党委", type_="其他党委"),
            org_row(kind="党委", name="乙党委", parent="甲党委", type_="其他党委"),
        ],
        "district",
        ["第 3 行“上级党组织”：上级党组织形成了循环（乙党委 → 甲党委 → 乙党委）。"],
    ),
]


@pytest.mark.parametrize(
    "rows, scope, expected", [case[1:] for case in ROW_ERRORS], ids=[c[0] for c in ROW_ERRORS]
)
def test_plan_organisation_reports_row_error(org, rows, scope, expected):
    plan = plan_org_file(org_xlsx(rows), getattr(org, scope))

    assert (plan.rows[-1].status, plan.rows[-1].errors) == (ImportRowStatus.ERROR, expected)


def test_plan_organisation_refuses_new_rows_under_a_closed_committee(org):
    _close(org.other_town)

    plan = plan_org_file(
        org_xlsx(
            [
                org_row(parent="老窝镇党委"),
                org_row(name="远村党支部", parent="老窝镇党委", village="某村"),
            ]
        ),
        org.district,
    )

    assert [(row.status, row.errors) for row in plan.rows] == [
        (
            ImportRowStatus.ERROR,
            ["第 2 行“上级党组织”：“老窝镇党委”已撤销，不能接收新的或移入的党组织、党支部。"],
        ),
        (ImportRowStatus.UNCHANGED, []),
    ]


def test_plan_organisation_refuses_a_committee_name_held_twice_in_scope(org):
    factories.make_committee("姬石镇党委", parent=org.other_town)

    plan = plan_org_file(org_xlsx([org_row(parent="姬石镇党委")]), org.district)

    assert plan.rows[0].errors == [
        "第 2 行“上级党组织”：您管理的范围内有 2 个名为“姬石镇党委”的党委："
        "请先在系统中改名以便区分。"
    ]


def test_plan_organisation_tells_namesake_branches_apart_by_parent(org):
    namesake = factories.make_branch(org.other_town, name="范寨村党支部")

    plan = plan_org_file(
        org_xlsx(
            [
                org_row(name="范寨村党支部", parent="姬石镇党委", secretary="甲"),
                org_row(name="范寨村党支部", parent="老窝镇党委", secretary="乙"),
            ]
        ),
        org.district,
    )

    assert [row.target for row in plan.rows] == [org.branch.pk, namesake.pk]
    assert [row.status for row in plan.rows] == [ImportRowStatus.CHANGED, ImportRowStatus.CHANGED]


def test_apply_organisation_is_atomic_when_the_database_refuses_a_row(org):
    """A plan gone stale: the branch it would create was created meanwhile, so its insert
    breaks the unique name; the committee created before it is rolled back too."""
    plan = plan_org_file(
        org_xlsx(
            [
                org_row(kind="党委", name="新镇党委", parent="", type_="镇（街道）党委"),
                org_row(name="新村党支部", parent="姬石镇党委"),
            ]
        ),
        org.district,
    )
    factories.make_branch(org.town, name="新村党支部")

    with pytest.raises(ValidationError) as refusal:
        _apply(plan, org)

    assert "全部未导入" in refusal.value.messages[0]
    assert not Committee.objects.filter(name="新镇党委").exists()
    assert not OrganisationChange.objects.exists()


def test_apply_organisation_refuses_someone_outside_the_scope(org):
    from django.core.exceptions import PermissionDenied

    plan = plan_org_file(org_xlsx([org_row()]), org.district)

    with pytest.raises(PermissionDenied):
        apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="a.xlsx")
    assert not Branch.objects.filter(name="新村党支部").exists()

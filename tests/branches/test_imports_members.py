"""Planning and applying member rosters: row errors, matching, ambiguity, the roll-off list,
idempotent re-import and the export round trip."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from branches.enums import ExemptionReason, Gender, ImportRowStatus, OrganisationAction
from branches.imports.plan import Change, Choices
from branches.imports.services import apply_plan
from branches.imports.writing import roster_workbook
from branches.models import Branch, Member, OrganisationChange
from tests import factories
from tests.branches.imports_support import (
    MEMBER_HEADERS,
    member_row,
    plan_members_file,
    xlsx,
)

THIS_YEAR = timezone.localdate().year

# (case, cells of row 2, the one message expected)
ROW_ERRORS = [
    (
        "birth year too early",
        {"出生年份": 1850},
        f"第 2 行“出生年份”：出生年份须在 1900 年到 {THIS_YEAR} 年之间。",
    ),
    (
        "birth year full-width",
        {"出生年份": "１９５６"},
        "第 2 行“出生年份”：“１９５６”含全角数字：请改为半角数字“1956”。",
    ),
    (
        "birth year in words",
        {"出生年份": "一九五六"},
        "第 2 行“出生年份”：“一九五六”不是年份：请填写四位数字，如 1956。",
    ),
    (
        "name with spaces",
        {"姓名": " 李荣花"},
        "第 2 行“姓名”：“李荣花”前后有多余的空格：请删除空格。",
    ),
    ("name of spaces", {"姓名": "\u3000"}, "第 2 行“姓名”：单元格里只有空格：请清空或填写内容。"),
    ("name too long", {"姓名": "李" * 51}, "第 2 行“姓名”：不能超过 50 个字。"),
    ("name missing", {"姓名": None}, "第 2 行“姓名”：必须填写。"),
    ("gender unknown", {"性别": "M"}, "第 2 行“性别”：“M”不是可选的值，可选：男、女。"),
    ("gender missing", {"性别": None}, "第 2 行“性别”：必须填写，可选：男、女。"),
    (
        "date with dots",
        {"入党日期": "1995.7.1"},
        "第 2 行“入党日期”：“1995.7.1”不是日期：请写成 2021-07-01、2021/7/1 或 2021年7月1日。",
    ),
    (
        "date impossible",
        {"入党日期": "1995-02-30"},
        "第 2 行“入党日期”：“1995-02-30”不是有效的日期。",
    ),
    (
        "date in the future",
        {"入党日期": f"{THIS_YEAR + 1}-01-01"},
        "第 2 行“入党日期”：不能晚于今天。",
    ),
    (
        "date full-width",
        {"入党日期": "１９９５-07-01"},
        "第 2 行“入党日期”：“１９９５-07-01”含全角数字：请改为半角数字“1995-07-01”。",
    ),
    (
        "joined too young",
        {"出生年份": 1990, "入党日期": "2000-01-01"},
        "第 2 行“入党日期”：入党时须年满 18 周岁：入党日期不能早于 2008 年。",
    ),
    (
        "phone letters",
        {"联系电话": "无"},
        "第 2 行“联系电话”：联系电话只能包含数字、空格、“-”和“+”，长度 7 到 20 位。",
    ),
    (
        "phone full-width",
        {"联系电话": "１３９００００１１１１"},
        "第 2 行“联系电话”：“１３９００００１１１１”含全角数字：请改为半角数字“13900001111”。",
    ),
    ("exempt without reason", {"免于承诺": "是"}, "第 2 行“免于承诺原因”：免于承诺须选择原因。"),
    (
        "reason without exempt",
        {"免于承诺原因": "患病"},
        "第 2 行“免于承诺”：填了免于承诺原因或说明时，“免于承诺”须填“是”。",
    ),
    (
        "reason unknown",
        {"免于承诺": "是", "免于承诺原因": "太忙"},
        "第 2 行“免于承诺原因”：“太忙”不是可选的值，可选：年老体弱、患病、长期外出、其他。",
    ),
    ("on roll unknown", {"在册": "Y"}, "第 2 行“在册”：“Y”不是可选的值，可选：是、否。"),
    (
        "unknown branch",
        {"党支部": "不存在村党支部"},
        "第 2 行“党支部”：您管理的范围内没有名为“不存在村党支部”的党支部。",
    ),
    (
        "branch under other committee",
        {"上级党组织": "老窝镇党委"},
        "第 2 行“党支部”：“范寨村党支部”不属于“老窝镇党委”。",
    ),
    (
        "unknown id",
        {"系统编号": 999999},
        "第 2 行“系统编号”：编号 999999 在您管理的范围内找不到：新党员请留空此列。",
    ),
    (
        "id not a number",
        {"系统编号": "A12"},
        "第 2 行“系统编号”：“A12”不是系统编号：请保留导出时的编号，新党员留空。",
    ),
    (
        "template example",
        {
            "上级党组织": "（示例）姬石镇党委",
            "党支部": "（示例）范寨村党支部",
            "联系电话": "139-0000 0000",
        },
        "第 2 行：这是模板中的示例行：请删除这一行。",
    ),
]


@pytest.mark.parametrize(
    "cells, expected", [case[1:] for case in ROW_ERRORS], ids=[c[0] for c in ROW_ERRORS]
)
def test_plan_members_reports_row_error(org, cells, expected):
    plan = plan_members_file(xlsx([member_row(**cells)]), org.town)

    assert [(row.status, row.errors) for row in plan.rows] == [(ImportRowStatus.ERROR, [expected])]
    assert plan.has_errors


def test_plan_members_hides_branches_outside_the_scope(org):
    plan = plan_members_file(xlsx([member_row(党支部="远村党支部")]), org.town)

    assert plan.rows[0].errors == ["第 2 行“党支部”：您管理的范围内没有名为“远村党支部”的党支部。"]


def test_plan_members_refuses_a_member_id_outside_the_scope(org):
    far = factories.make_member(org.far_branch, name="远方")

    plan = plan_members_file(xlsx([member_row(系统编号=far.pk)]), org.town)

    assert plan.rows[0].errors == [
        f"第 2 行“系统编号”：编号 {far.pk} 在您管理的范围内找不到：新党员请留空此列。"
    ]


def test_plan_members_reports_blank_line_and_cells_without_header(org):
    rows = [member_row(), {}, [*[None] * len(MEMBER_HEADERS), "多余"]]
    rows[2][2:5] = ["范寨村党支部", "王建国", "男"]

    plan = plan_members_file(xlsx(rows), org.town)

    assert [(row.number, row.status, row.errors) for row in plan.rows] == [
        (2, ImportRowStatus.NEW, []),
        (3, ImportRowStatus.ERROR, ["第 3 行：是空行：数据行之间不能有空行，请删除这一行。"]),
        (4, ImportRowStatus.ERROR, ["第 4 行：第 M 列没有表头：请删除这一列的内容。"]),
    ]


def test_plan_members_accepts_excel_dates_numbers_and_text_dates(org):
    rows = [
        member_row(姓名="甲", 入党日期=datetime.datetime(1995, 7, 1), 联系电话=13900001111),
        member_row(姓名="乙", 入党日期="1995/7/1", 出生年份=1968.0),
        member_row(姓名="丙", 入党日期="1995年7月1日", 出生年份="1968"),
    ]

    plan = plan_members_file(xlsx(rows), org.town)

    assert [row.status for row in plan.rows] == [ImportRowStatus.NEW] * 3
    apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="名册.xlsx")
    assert set(
        Member.objects.filter(branch=org.branch).values_list("joined_on", "birth_year", "phone")
    ) == {(datetime.date(1995, 7, 1), 1968, "13900001111")}


def test_apply_members_creates_then_reimport_is_unchanged(org):
    content = xlsx(
        [
            member_row(),
            member_row(
                姓名="姬国胜",
                性别="男",
                出生年份=1950,
                免于承诺="是",
                免于承诺原因="年老体弱",
                免于承诺说明="行动不便",
            ),
            member_row(
                姓名="王建国", 党支部="姬石村党支部", 在册="否", 联系电话=None, 出生年份=None
            ),
        ]
    )
    first = plan_members_file(content, org.town)
    assert [row.status for row in first.rows] == [ImportRowStatus.NEW] * 3
    stamps = {b.pk: b.public_changed_at for b in (org.branch, org.other_branch, org.far_branch)}

    apply_plan(plan=first, choices=Choices(), actor=org.town_organiser, filename="名册.xlsx")

    # Boards list their members: the two branches' public pages renew, the third's stay.
    renewed = {
        b.pk for b in Branch.objects.filter(pk__in=stamps) if b.public_changed_at > stamps[b.pk]
    }
    assert renewed == {org.branch.pk, org.other_branch.pk}

    ji = Member.objects.get(name="姬国胜")
    assert (ji.branch, ji.gender, ji.is_exempt, ji.exemption_reason, ji.exemption_note) == (
        org.branch,
        Gender.MALE,
        True,
        ExemptionReason.OLD_AGE,
        "行动不便",
    )
    assert Member.objects.get(name="王建国").is_active is False
    again = plan_members_file(content, org.town)
    assert [row.status for row in again.rows] == [ImportRowStatus.UNCHANGED] * 3
    assert not again.writes_anything


def test_plan_members_shows_old_and_new_of_a_changed_member(org):
    member = factories.make_member(org.branch, name="李荣花", birth_year=1968, phone="13900001111")

    plan = plan_members_file(
        xlsx([member_row(联系电话="13800002222", 免于承诺="是", 免于承诺原因="患病")]), org.town
    )

    row = plan.rows[0]
    assert (row.status, row.target) == (ImportRowStatus.CHANGED, member.pk)
    assert row.changes == [
        Change("入党日期", "", "1995-07-01"),
        Change("联系电话", "13900001111", "13800002222"),
        Change("免于承诺", "否", "是"),
        Change("免于承诺原因", "", "患病"),
    ]


def test_plan_members_leaves_columns_missing_from_the_file_alone(org):
    member = factories.make_member(org.branch, name="李荣花", phone="13900001111", birth_year=1960)
    headers = ["党支部", "姓名", "性别"]

    plan = plan_members_file(xlsx([["范寨村党支部", "李荣花", "女"]], headers=headers), org.town)
    apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="a.xlsx")

    assert plan.rows[0].status == ImportRowStatus.UNCHANGED
    member.refresh_from_db()
    assert (member.phone, member.birth_year) == ("13900001111", 1960)


def test_plan_members_moves_a_member_matched_by_id(org):
    member = factories.make_member(org.branch, name="李荣花", birth_year=1968)
    row = member_row(系统编号=member.pk, 党支部="姬石村党支部", 姓名="李荣华")

    plan = plan_members_file(xlsx([row]), org.town)
    apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="a.xlsx")

    assert plan.rows[0].changes[:2] == [
        Change("党支部", "范寨村党支部", "姬石村党支部"),
        Change("姓名", "李荣花", "李荣华"),
    ]
    member.refresh_from_db()
    assert (member.branch, member.name) == (org.other_branch, "李荣华")


def test_export_then_import_changes_nothing(org):
    factories.make_member(
        org.branch,
        name="李荣花",
        birth_year=1968,
        phone="139-0000 1111",
        joined_on=datetime.date(1995, 7, 1),
    )
    factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    factories.make_member(org.branch, name="王建国", gender=Gender.MALE, is_active=False)
    factories.make_member(
        org.other_branch,
        name="姬国胜",
        is_exempt=True,
        exemption_reason=ExemptionReason.OTHER,
        exemption_note="=外出务工",
    )
    factories.make_member(org.far_branch, name="远方")
    before = list(Member.objects.order_by("pk").values())
    content = roster_workbook(Member.objects.filter(branch__committee=org.town))

    plan = plan_members_file(content, org.town, full_roster=True)
    apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="导出.xlsx")

    assert [row.status for row in plan.rows] == [ImportRowStatus.UNCHANGED] * 4
    assert plan.roll_off == []
    assert list(Member.objects.order_by("pk").values()) == before
    entry = OrganisationChange.objects.get()
    assert (entry.action, entry.subject, entry.changes) == (
        OrganisationAction.IMPORT_MEMBERS,
        "导出.xlsx",
        {"新增": "0", "修改": "0", "不变": "4", "移出在册": "0"},
    )


def test_apply_members_refuses_a_plan_with_errors_and_writes_nothing(org):
    plan = plan_members_file(xlsx([member_row(), member_row(姓名="王建国", 性别="X")]), org.town)

    with pytest.raises(ValidationError):
        apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="a.xlsx")

    assert not Member.objects.exists()
    assert not OrganisationChange.objects.exists()


def test_apply_members_is_atomic_when_the_database_refuses_a_row(org):
    """A plan gone stale: after the preview the member's exemption was lifted, so the row
    (exempt, its reason taken from the database) now breaks the exemption constraint. The
    new member written before it is rolled back too."""
    member = factories.make_member(
        org.branch, name="姬国胜", is_exempt=True, exemption_reason=ExemptionReason.ILLNESS
    )
    headers = ["党支部", "姓名", "性别", "联系电话", "免于承诺"]
    rows = [
        ["范寨村党支部", "新党员", "男", "", "否"],
        ["范寨村党支部", "姬国胜", "女", "13900001111", "是"],
    ]
    plan = plan_members_file(xlsx(rows, headers=headers), org.town)
    assert [row.status for row in plan.rows] == [ImportRowStatus.NEW, ImportRowStatus.CHANGED]
    Member.objects.filter(pk=member.pk).update(is_exempt=False, exemption_reason="")

    with pytest.raises(ValidationError) as refusal:
        apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="a.xlsx")

    assert "全部未导入" in refusal.value.messages[0]
    assert list(Member.objects.values_list("name", "phone")) == [("姬国胜", "")]
    assert not OrganisationChange.objects.exists()

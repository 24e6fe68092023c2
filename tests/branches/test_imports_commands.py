"""The import commands: the same preview as text, --dry-run, exit status, templates."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from branches.enums import Gender, ImportStatus
from branches.models import Branch, ImportBatch, Member, OrganisationChange
from tests import factories
from tests.branches.imports_support import (
    MEMBER_HEADERS,
    ORGANISATION_HEADERS,
    csv_bytes,
    member_row,
    org_row,
    org_xlsx,
    xlsx,
)


def _run(name, *args):
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def roster(tmp_path):
    def write(rows, name="名册.xlsx", content=None):
        path = tmp_path / name
        path.write_bytes(content if content is not None else xlsx(rows))
        return str(path)

    return write


def test_import_members_dry_run_prints_the_preview_and_writes_nothing(org, roster):
    factories.make_member(org.branch, name="李荣花", phone="13800002222")
    path = roster([member_row(), member_row(姓名="王建国", 性别="男")])

    output = _run("import_members", path, "--dry-run")

    assert output.splitlines() == [
        "党员名册导入预览（范围：示范区党工委）",
        "新增 1 · 修改 1 · 不变 0 · 有错误 0 · 待确认 0",
        "第 2 行 修改 范寨村党支部 · 李荣花",
        "    出生年份：（空） → 1968",
        "    入党日期：（空） → 1995-07-01",
        "    联系电话：13800002222 → 13900001111",
        "第 3 行 新增 范寨村党支部 · 王建国",
        "    性别 男 · 出生年份 1968 · 入党日期 1995-07-01 · 联系电话 13900001111"
        " · 免于承诺 否 · 在册 是",
        "试运行：未写入任何数据。",
    ]
    assert Member.objects.count() == 1
    assert not ImportBatch.objects.exists()


def test_import_members_applies_and_a_second_run_changes_nothing(org, roster):
    path = roster(None, name="名册.csv", content=csv_bytes([member_row()], encoding="gbk"))

    first = _run("import_members", path, "--committee", str(org.town.pk))
    second = _run("import_members", path, "--committee", str(org.town.pk))

    assert "已导入：新增 1 行，修改 0 行，移出在册 0 人。" in first
    assert "已导入：新增 0 行，修改 0 行，移出在册 0 人。" in second
    assert Member.objects.get().branch == org.branch
    assert (
        list(ImportBatch.objects.values_list("status", "created_by"))
        == [(ImportStatus.APPLIED, None)] * 2
    )
    assert OrganisationChange.objects.filter(actor=None).count() == 2


def test_import_members_full_roster_takes_off_the_roll_only_when_asked(org, roster):
    leaving = factories.make_member(org.branch, name="离开甲")
    path = roster([member_row()])

    listed = _run("import_members", path, "--full-roster")
    assert "不在名册中：移出在册？ 1 人" in listed
    assert Member.objects.get(pk=leaving.pk).is_active is True

    _run("import_members", path, "--full-roster", "--take-off-roll")

    assert Member.objects.get(pk=leaving.pk).is_active is False
    assert Member.objects.filter(pk=leaving.pk).exists()


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([member_row(出生年份=1850)], "表格有错误"),
        ([member_row(姓名="王建国", 性别="男")], "有同名党员无法确定是谁"),
    ],
    ids=["row error", "ambiguous"],
)
def test_import_members_exits_non_zero_and_writes_nothing(org, roster, rows, expected):
    factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    out = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_members", roster(rows), stdout=out)

    assert expected in str(failure.value)
    assert "导入预览" in out.getvalue()
    assert Member.objects.count() == 2
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["/nonexistent/名册.xlsx"], "无法读取文件"),
        (["--committee", "999999"], "没有编号为 999999 的党组织"),
    ],
)
def test_import_members_refuses_bad_arguments(org, roster, args, expected):
    if args[0].startswith("--"):
        args = [roster([member_row()]), *args]

    with pytest.raises(CommandError) as failure:
        _run("import_members", *args)

    assert expected in str(failure.value)


def test_import_members_refuses_a_file_that_is_no_spreadsheet(org, roster):
    with pytest.raises(CommandError) as failure:
        _run(
            "import_members",
            roster(None, name="名册.xls", content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        )

    assert "另存为 .xlsx" in str(failure.value)


def test_import_organisation_applies_the_workbook(org, roster):
    path = roster(None, name="组织.xlsx", content=org_xlsx([org_row(secretary="张三")]))

    dry = _run("import_organisation", path, "--dry-run")
    assert not Branch.objects.filter(name="新村党支部").exists()
    _run("import_organisation", path)

    assert "第 2 行 新增 党支部 新村党支部" in dry
    assert Branch.objects.get(name="新村党支部").secretary_name == "张三"


def test_import_needs_a_committee_when_there_are_two_roots(org, roster):
    factories.make_committee("另一个区", kind="working_committee")

    with pytest.raises(CommandError) as failure:
        _run("import_members", roster([member_row()]), "--dry-run")

    assert "请用 --committee 指定导入范围" in str(failure.value)


@pytest.mark.parametrize(
    "kind, headers", [("organisation", ORGANISATION_HEADERS), ("members", MEMBER_HEADERS)]
)
def test_roster_template_writes_the_blank_template(tmp_path, kind, headers):
    path = tmp_path / "模板.xlsx"

    _run("roster_template", kind, str(path))

    workbook = load_workbook(path)
    sheet = workbook.active
    assert len(workbook.sheetnames) == 1
    assert [cell.value for cell in sheet[1]] == headers
    assert sheet.max_row == 2
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert ('"是,否"' in lists) == (kind == "members")
    assert any("农村" in formula for formula in lists) == (kind == "organisation")

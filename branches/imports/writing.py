"""Writing the blank templates and the roster export: one sheet, the template's header,
drop-down lists written inline (no extra sheet), so that an export edited and uploaded
again is read by the same code. Cells are written by branches.xlsx.write_cell, as values
only, like every other workbook of the site."""

from collections.abc import Iterable

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from branches.enums import ExemptionReason, Gender, ImportKind
from branches.imports.cells import NO, YES
from branches.imports.reading import MAX_ROWS
from branches.imports.schemas import (
    MEMBER_COLUMNS,
    MEMBER_EXAMPLE,
    ORGANISATION_COLUMNS,
    ORGANISATION_EXAMPLE,
    Column,
)
from branches.models import Member
from branches.xlsx import workbook_bytes, write_cell

SHEET_TITLES = {ImportKind.ORGANISATION: "组织架构", ImportKind.MEMBERS: "党员名册"}
COLUMNS = {ImportKind.ORGANISATION: ORGANISATION_COLUMNS, ImportKind.MEMBERS: MEMBER_COLUMNS}
EXAMPLES = {ImportKind.ORGANISATION: ORGANISATION_EXAMPLE, ImportKind.MEMBERS: MEMBER_EXAMPLE}
HEADER_NOTES = {
    "系统编号": "导出时填写，用来对应系统中的党员；新党员留空，请勿修改。",
    "上级党组织": "党委的名称；留空表示导入范围的最上级党组织。",
    "入党日期": "如 2021-07-01。",
    "类型": "党委填党委类型，党支部填党支部类型。",
}
REQUIRED_FILL = PatternFill("solid", fgColor="FCE8E6")


def _sheet(kind: str):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES[kind]
    columns: tuple[Column, ...] = COLUMNS[kind]
    bold = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        cell = write_cell(sheet, row=1, column=index, value=column.header)
        cell.font = bold
        if column.required:
            cell.fill = REQUIRED_FILL
        if column.header in HEADER_NOTES:
            cell.comment = Comment(HEADER_NOTES[column.header], "双承诺")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.number_format:
            sheet.column_dimensions[letter].number_format = column.number_format
        if column.choices:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="请从下拉列表中选择",
                error="可选：" + "、".join(column.choices),
            )
            validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    return workbook, sheet, columns


def _write_row(sheet, number: int, columns, values: dict) -> None:
    for index, column in enumerate(columns, start=1):
        cell = write_cell(sheet, row=number, column=index, value=values.get(column.key))
        if column.number_format:
            cell.number_format = column.number_format


def filled_workbook(kind: str, rows: Iterable[dict]) -> bytes:
    """The template's layout (header, drop-down lists) with these rows, each a dict by
    column key (a missing key leaves its cell blank)."""
    workbook, sheet, columns = _sheet(kind)
    for number, values in enumerate(rows, start=2):
        _write_row(sheet, number, columns, values)
    return workbook_bytes(workbook)


def template_workbook(kind: str) -> bytes:
    """The blank template: header, one example row, drop-down lists."""
    return filled_workbook(kind, [EXAMPLES[kind]])


def member_export_values(member: Member) -> dict:
    return {
        "id": member.pk,
        "committee": member.branch.committee.name,
        "branch": member.branch.name,
        "name": member.name,
        "gender": str(Gender(member.gender).label) if member.gender else "",
        "birth_year": member.birth_year,
        "joined_on": member.joined_on,
        "phone": member.phone,
        "is_exempt": YES if member.is_exempt else NO,
        "exemption_reason": (
            str(ExemptionReason(member.exemption_reason).label) if member.exemption_reason else ""
        ),
        "exemption_note": member.exemption_note,
        "is_active": YES if member.is_active else NO,
    }


def roster_workbook(members: QuerySet[Member]) -> bytes:
    """The members in the template's layout, 系统编号 filled, inactive ones included (在册
    否), so that importing the file unchanged changes nothing."""
    members = members.select_related("branch__committee").order_by(
        "branch__committee__path", "branch__name", "name", "pk"
    )
    return filled_workbook(
        ImportKind.MEMBERS,
        (member_export_values(member) for member in members.iterator(chunk_size=1000)),
    )

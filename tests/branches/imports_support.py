"""Helpers shared by the import tests (no tests here): spreadsheets built in memory."""

import csv
import io

from openpyxl import Workbook

from branches.imports.schemas import MEMBER_COLUMNS, ORGANISATION_COLUMNS
from branches.imports.services import plan_import

MEMBER_HEADERS = [column.header for column in MEMBER_COLUMNS]
ORGANISATION_HEADERS = [column.header for column in ORGANISATION_COLUMNS]


def member_row(**cells) -> dict:
    """A valid roster row by header; pass headers as keyword arguments to override."""
    row = {
        "党支部": "范寨村党支部",
        "姓名": "李荣花",
        "性别": "女",
        "出生年份": 1968,
        "入党日期": "1995-07-01",
        "联系电话": "13900001111",
        "免于承诺": "否",
        "在册": "是",
    }
    row.update(cells)
    return row


def org_row(
    kind="党支部",
    name="新村党支部",
    parent="姬石镇党委",
    type_="农村",
    village=None,
    secretary=None,
) -> dict:
    return {
        "类别": kind,
        "名称": name,
        "上级党组织": parent,
        "类型": type_,
        "所在村（社区）": village,
        "支部书记": secretary,
    }


def xlsx(rows, headers=None, *, sheet_hook=None) -> bytes:
    """An .xlsx with a header row and the rows (dicts by header, or lists)."""
    headers = headers or MEMBER_HEADERS
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers] if isinstance(row, dict) else list(row))
    if sheet_hook:
        sheet_hook(workbook, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def org_xlsx(rows, **kwargs) -> bytes:
    return xlsx(rows, kwargs.pop("headers", ORGANISATION_HEADERS), **kwargs)


def csv_bytes(rows, headers=None, *, encoding="utf-8") -> bytes:
    headers = headers or MEMBER_HEADERS
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(
            ["" if row.get(h) is None else row.get(h) for h in headers]
            if isinstance(row, dict)
            else row
        )
    return buffer.getvalue().encode(encoding)


def plan_members_file(content, scope, *, filename="名册.xlsx", full_roster=False):
    return plan_import(
        kind="members", content=content, filename=filename, scope=scope, full_roster=full_roster
    )


def plan_org_file(content, scope, *, filename="组织.xlsx"):
    return plan_import(kind="organisation", content=content, filename=filename, scope=scope)

"""Excel (.xlsx) downloads for the office: a workbook from plain (headers, rows) tables.

Shared by the dashboard, quarterly review and year-end exports; keep the signature of
`workbook_response` stable.
"""

import decimal
import io
import unicodedata

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Column widths in Excel character units: at least MIN, at most MAX, CJK counted double.
MIN_WIDTH = 6
MAX_WIDTH = 60
# Excel refuses sheet titles longer than 31 characters or with any of these.
_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def display_width(value) -> int:
    """Width of a cell's text in Excel units: wide (CJK) characters count two."""
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in longest)


def cell_value(value):
    """A value openpyxl writes as is: numbers, dates and text; lazy strings resolved."""
    if value is None or isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if hasattr(value, "isoformat"):
        return value
    return str(value)


def build_workbook(sheets: list[tuple[str, list[str], list[list]]]) -> Workbook:
    """One sheet per (title, headers, rows): bold header row, frozen below it, columns as
    wide as their longest cell."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title).translate(_TITLE_FORBIDDEN)[:31])
        sheet.append([cell_value(header) for header in headers])
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(vertical="center")
        widths = [display_width(header) for header in headers]
        for row in rows:
            values = [cell_value(value) for value in row]
            sheet.append(values)
            for index, value in enumerate(values):
                width = display_width(value)
                if index >= len(widths):
                    widths.append(width)
                elif width > widths[index]:
                    widths[index] = width
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(
                MAX_WIDTH, max(MIN_WIDTH, width + 2)
            )
        if headers:
            sheet.freeze_panes = "A2"
    return workbook


def workbook_response(
    *, filename: str, sheets: list[tuple[str, list[str], list[list]]]
) -> HttpResponse:
    """An .xlsx download named `filename` (Chinese allowed) with one sheet per
    (title, headers, rows)."""
    buffer = io.BytesIO()
    build_workbook(sheets).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response

"""Excel (.xlsx) files the site hands out: the office's exports (dashboard, quarterly
review, year-end), the roster export and the import templates.

Every cell of every one of them is written by `write_cell`, which writes a value and never
a formula: text that a person typed (a name, a comment) is opened in Excel as that text,
whatever it starts with, and cannot run (formula injection). Reviews' exports import this
module from below, as the layers require.
"""

import decimal
import io
import tempfile
import unicodedata

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Leading characters that make Excel (or a CSV reader) take typed text for a formula.
# Text starting with one is also given Excel's quotePrefix style, so that editing the cell
# in Excel keeps it text; the value itself is unchanged (no apostrophe is added).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Column widths in Excel character units: at least MIN, at most MAX, CJK counted double.
MIN_WIDTH = 6
MAX_WIDTH = 60
# Excel refuses sheet titles longer than 31 characters or with any of these.
_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})

# Values whose text is ASCII on one line: their width is their length.
_ASCII_TYPES = frozenset({int, float, bool, decimal.Decimal})

Sheets = list[tuple[str, list[str], list[list]]]


def cell_value(value):
    """What a cell holds: numbers, booleans and dates as they are; anything else (lazy
    strings included) as text, with its line ends as "\\n" (XML cannot carry a bare CR:
    every reader would turn it into a line feed anyway) and any other control character,
    which XML cannot carry at all, as U+FFFD: an old record holding one still exports."""
    if value is None or isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if hasattr(value, "isoformat"):
        return value
    text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _set_value(cell: Cell, value) -> Cell:
    """Give `cell` the value as `cell_value` has it, never a formula: text is typed as
    text, and text starting with a FORMULA_TRIGGERS character keeps Excel's quotePrefix."""
    value = cell_value(value)
    cell.value = value
    if isinstance(value, str):
        # openpyxl takes text starting with "=" for a formula and "#REF!" for an error.
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    return cell


def write_cell(sheet: Worksheet, *, row: int, column: int, value) -> Cell:
    """Write one cell as a value, never as a formula: text stays text whatever it starts
    with ("=1+1", "@SUM(A1)", "#REF!" read back as written); numbers, dates and booleans
    keep their type. The one way cells of the site's workbooks are written (write-only
    sheets go through the same `_set_value`, or hand openpyxl the bare value where it
    types it the same way: `_needs_cell`)."""
    return _set_value(sheet.cell(row=row, column=column), value)


def display_width(value) -> int:
    """Width of a cell's text in Excel units: wide (CJK) characters count two."""
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len, default="") if "\n" in text else text
    if longest.isascii():
        return len(longest)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in longest)


def _column_widths(rows: list[list]) -> list[float]:
    """Each column's width, from values as `cell_value` has them. Each distinct text is
    measured once: the branch sheet repeats its committee names thousands of times."""
    widths: list[int] = []
    measured: dict[str, int] = {}
    for row in rows:
        for index, value in enumerate(row):
            if type(value) is str:
                width = measured.get(value)
                if width is None:
                    width = measured[value] = display_width(value)
            elif type(value) in _ASCII_TYPES:
                width = len(str(value))
            else:
                width = display_width(value)
            if index >= len(widths):
                widths.append(width)
            elif width > widths[index]:
                widths[index] = width
    return [min(MAX_WIDTH, max(MIN_WIDTH, width + 2)) for width in widths]


def _needs_cell(value) -> bool:
    """Whether openpyxl, given the bare value, would type it other than `_set_value` does:
    text it would take for a formula ("=…") or an error ("#REF!"), and text that needs
    the quotePrefix style. Every other value is typed the same either way."""
    return isinstance(value, str) and (value.startswith(FORMULA_TRIGGERS) or value in ERROR_CODES)


def build_workbook(sheets: Sheets, *, write_only: bool = False) -> Workbook:
    """One sheet per (title, headers, rows): bold header row, frozen below it, columns as
    wide as their longest cell. `write_only` builds it in openpyxl's write-only mode
    (rows written out as they come, no cell kept: several times faster on large sheets),
    which can only be saved, once."""
    workbook = Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    bold = Font(bold=True)
    middle = Alignment(vertical="center")
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title).translate(_TITLE_FORBIDDEN)[:31])
        # Each value converted once, for the widths and for the cells.
        values = [[cell_value(value) for value in row] for row in rows]
        # Widths and panes first: a write-only sheet writes them before its rows.
        widths = _column_widths([[cell_value(header) for header in headers], *values])
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        if headers:
            sheet.freeze_panes = "A2"
        if write_only:
            if headers:
                header_cells = []
                for header in headers:
                    cell = _set_value(WriteOnlyCell(sheet), header)
                    cell.font = bold
                    cell.alignment = middle
                    header_cells.append(cell)
                sheet.append(header_cells)
            # A bare value where openpyxl types it as `_set_value` would (almost every
            # one): no cell object made, bound and thrown away per value.
            for row in values:
                sheet.append(
                    [
                        _set_value(WriteOnlyCell(sheet), value) if _needs_cell(value) else value
                        for value in row
                    ]
                )
            continue
        for column, header in enumerate(headers, start=1):
            cell = write_cell(sheet, row=1, column=column, value=header)
            cell.font = bold
            cell.alignment = middle
        for number, row in enumerate(values, start=2):
            for index, value in enumerate(row):
                write_cell(sheet, row=number, column=index + 1, value=value)
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(*, content: bytes, filename: str) -> HttpResponse:
    """A download of the .xlsx `content` named `filename` (Chinese allowed)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def workbook_response(*, filename: str, sheets: Sheets) -> HttpResponse:
    """An .xlsx download named `filename` with one sheet per (title, headers, rows)."""
    return xlsx_response(
        content=workbook_bytes(build_workbook(sheets, write_only=True)), filename=filename
    )


def workbook_stream_response(*, filename: str, sheets: Sheets) -> FileResponse:
    """The same download for large workbooks: built in write-only mode into a temporary
    file, streamed from it in blocks (the file goes when the response is closed), so no
    copy of the whole file is held in memory."""
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    build_workbook(sheets, write_only=True).save(spooled)
    spooled.seek(0)
    return FileResponse(
        spooled, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )

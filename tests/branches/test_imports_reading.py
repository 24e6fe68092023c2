"""Reading uploads: what is accepted, and every file refused as a whole with its message."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from branches.enums import ImportKind
from branches.imports.reading import MAX_ROWS, ImportRefused, read_table
from branches.imports.schemas import MEMBER_COLUMNS, bind_headers
from branches.imports.writing import template_workbook
from tests.branches.imports_support import MEMBER_HEADERS, csv_bytes, member_row, xlsx


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _two_sheets(workbook, sheet):
    workbook.create_sheet("Sheet2")


def _merged_header(workbook, sheet):
    sheet.merge_cells("A1:B1")


def _merged_data(workbook, sheet):
    sheet.merge_cells("C2:C3")


def _formula(workbook, sheet):
    sheet["F2"] = "=1950+6"


def _too_many_rows() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(MEMBER_HEADERS)
    for _number in range(MAX_ROWS + 1):
        sheet.append(["", "", "范寨村党支部", "某人", "男"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _too_many_columns(workbook, sheet):
    sheet.cell(row=2, column=40, value="多余")


# (case, filename, content factory, expected words of the message)
REFUSED = [
    ("too large", "名册.xlsx", lambda: b"PK\x03\x04" + b"0" * (5 * 1024 * 1024), "超过 5 MB"),
    ("empty", "名册.xlsx", lambda: b"", "文件是空的"),
    (
        "old xls",
        "名册.xls",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "另存为 .xlsx",
    ),
    ("html saved as xls", "名册.xls", lambda: b"<html><table></table></html>", "另存为 .xlsx"),
    ("pdf", "名册.pdf", lambda: b"%PDF-1.4 not a sheet", "这不是电子表格文件"),
    ("text named xlsx", "名册.xlsx", lambda: "姓名,性别".encode(), "这不是电子表格文件"),
    (
        "zip without workbook",
        "名册.xlsx",
        lambda: _zip({"word/document.xml": b"<w/>"}),
        "这不是电子表格文件",
    ),
    (
        "broken workbook",
        "名册.xlsx",
        lambda: _zip({"xl/workbook.xml": b"<not-a-workbook", "[Content_Types].xml": b"<x/>"}),
        "无法读取这个 .xlsx",
    ),
    (
        "zip bomb",
        "名册.xlsx",
        lambda: _zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b"0" * 20_000_000}),
        "压缩炸弹",
    ),
    ("two sheets", "名册.xlsx", lambda: xlsx([member_row()], sheet_hook=_two_sheets), "2 个工作表"),
    (
        "merged header",
        "名册.xlsx",
        lambda: xlsx([member_row()], sheet_hook=_merged_header),
        "表头有合并单元格（A1:B1）",
    ),
    (
        "merged data cells",
        "名册.xlsx",
        lambda: xlsx([member_row(), member_row(姓名="王建国")], sheet_hook=_merged_data),
        "表格有合并单元格（C2:C3）",
    ),
    ("formula", "名册.xlsx", lambda: xlsx([member_row()], sheet_hook=_formula), "单元格 F2 是公式"),
    ("too many rows", "名册.xlsx", _too_many_rows, "超过 10,000 行"),
    (
        "too many columns",
        "名册.xlsx",
        lambda: xlsx([member_row()], sheet_hook=_too_many_columns),
        "超过 30 列",
    ),
    ("utf-16 csv", "名册.csv", lambda: "姓名,性别\n".encode("utf-16"), "UTF-16"),
    ("binary csv", "名册.csv", lambda: b"\x00\x01\x02", "这不是电子表格文件"),
    ("nothing at all", "名册.xlsx", lambda: xlsx([], headers=[None]), "表格是空的"),
    ("only a header", "名册.xlsx", lambda: xlsx([{}, {}]), "表格只有表头，没有数据"),
    (
        "rows above the header",
        "名册.csv",
        lambda: b"\n" + csv_bytes([member_row()]),
        "第 1 行应是表头",
    ),
]


@pytest.mark.parametrize(
    "filename, make, expected", [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_read_table_refuses_file(filename, make, expected):
    with pytest.raises(ImportRefused) as refusal:
        read_table(make(), filename)
    assert expected in refusal.value.message


@pytest.mark.parametrize(
    "filename, content",
    [
        ("名册.csv", csv_bytes([member_row()], encoding="utf-8")),
        ("名册.csv", b"\xef\xbb\xbf" + csv_bytes([member_row()], encoding="utf-8")),
        ("名册.csv", csv_bytes([member_row()], encoding="gbk")),
        ("名册.CSV", csv_bytes([member_row()], encoding="gb18030")),
        ("名册.xlsx", xlsx([member_row()])),
    ],
    ids=["utf-8", "utf-8 with BOM", "gbk", "gb18030, upper-case suffix", "xlsx"],
)
def test_read_table_accepts_encodings_and_formats(filename, content):
    table = read_table(content, filename)

    assert table.headers == tuple(MEMBER_HEADERS)
    assert len(table.rows) == 1
    assert table.rows[0].number == 2
    assert table.rows[0].cells[MEMBER_HEADERS.index("姓名")] == "李荣花"


def test_read_table_drops_trailing_blank_rows_and_keeps_inner_ones():
    content = xlsx([member_row(), {}, member_row(姓名="王建国"), {}, {}])

    table = read_table(content, "名册.xlsx")

    assert [row.number for row in table.rows] == [2, 3, 4]


def test_read_table_drops_formatted_empty_rows_at_the_end():
    def style_empty_rows(workbook, sheet):
        for number in range(3, 50):
            sheet.cell(row=number, column=2).number_format = "@"

    table = read_table(xlsx([member_row()], sheet_hook=style_empty_rows), "名册.xlsx")

    assert [row.number for row in table.rows] == [2]


@pytest.mark.parametrize("kind", ImportKind.values)
def test_template_reads_back_with_its_example_row(kind):
    table = read_table(template_workbook(kind), "模板.xlsx")

    assert len(table.rows) == 1
    assert table.headers[0] in ("类别", "系统编号")


# (case, headers, expected words of the refusal)
BAD_HEADERS = [
    ("missing required", [h for h in MEMBER_HEADERS if h != "性别"], "缺少必填的列：性别"),
    ("unknown column", [*MEMBER_HEADERS, "身份证号"], "表头“身份证号”不是模板中的列"),
    ("duplicate column", [*MEMBER_HEADERS, "姓名"], "表头“姓名”出现了两次"),
    ("stray space", [" 姓名" if h == "姓名" else h for h in MEMBER_HEADERS], "前后有空格"),
    ("blank header", ["党支部", None, "姓名", "性别"], "表头第 B 列是空的"),
    ("reason without exempt", ["党支部", "姓名", "性别", "免于承诺原因"], "也须有“免于承诺”列"),
]


@pytest.mark.parametrize(
    "headers, expected", [case[1:] for case in BAD_HEADERS], ids=[c[0] for c in BAD_HEADERS]
)
def test_bind_headers_refuses_header(headers, expected):
    from branches.imports.schemas import MEMBER_COLUMN_NEEDS

    table = read_table(xlsx([["范寨村党支部", "", "李荣花", "女"]], headers=headers), "a.xlsx")

    with pytest.raises(ImportRefused) as refusal:
        bind_headers(table, MEMBER_COLUMNS, MEMBER_COLUMN_NEEDS)
    assert expected in refusal.value.message


def test_bind_headers_accepts_columns_in_any_order_and_optional_ones_missing():
    headers = ["姓名", "性别", "党支部"]
    table = read_table(xlsx([["李荣花", "女", "范寨村党支部"]], headers=headers), "a.xlsx")

    assert bind_headers(table, MEMBER_COLUMNS) == {"name": 0, "gender": 1, "branch": 2}

"""Reading an uploaded spreadsheet into a plain table, or refusing it with a Chinese message.

Accepted: .xlsx (read by openpyxl) and .csv in UTF-8 (with or without BOM) or GBK. An .xls
is refused with the advice to save it as .xlsx; anything else is no spreadsheet. The file is
checked before openpyxl parses it (size, the zip's entries against a zip bomb) and then
streamed once in read-only mode (row and column limits, formulas) before the full parse that
sees merged cells, so a hostile file never costs much memory.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

# Refused above this size, before anything else is looked at.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# An .xlsx whose entries unpack to more than this is a zip bomb or far more than a roster.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# Spreadsheet XML packs about ten to one; a hundred to one and more is made to explode.
MAX_PACKING_RATIO = 100
MAX_ZIP_ENTRIES = 200
# Data rows (the header not counted) and columns of one sheet.
MAX_ROWS = 10_000
MAX_COLUMNS = 30

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"


class ImportRefused(Exception):
    """The whole file is refused; the message says why and what to do, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SheetRow:
    """A data row with its row number as the spreadsheet shows it (the header is row 1)."""

    number: int
    cells: tuple


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]


def is_blank(value) -> bool:
    return value is None or value == ""


def read_table(content: bytes, filename: str) -> Table:
    """The header row and the data rows of the file's only sheet, trailing blank rows and
    columns dropped; raises ImportRefused for anything that is not a clean spreadsheet."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportRefused(
            _("文件超过 %(limit)s MB，请分批导入。") % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not content:
        raise ImportRefused(_("文件是空的，请选择填好的表格。"))
    lower = filename.lower()
    if content.startswith(OLE2_SIGNATURE) or (
        lower.endswith(".xls") and not content.startswith(ZIP_SIGNATURE)
    ):
        raise ImportRefused(_("这是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 后再上传。"))
    if content.startswith(ZIP_SIGNATURE):
        rows = _xlsx_rows(content)
    elif lower.endswith(".csv"):
        rows = _csv_rows(content)
    else:
        raise ImportRefused(_("这不是电子表格文件：请上传 .xlsx 或 .csv 文件（可先下载模板）。"))
    return _table(rows)


def _not_a_spreadsheet() -> ImportRefused:
    return ImportRefused(_("这不是电子表格文件：请上传 .xlsx 或 .csv 文件（可先下载模板）。"))


# ---------------------------------------------------------------------------
# .xlsx
# ---------------------------------------------------------------------------
def _check_zip(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _not_a_spreadsheet() from error
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise _not_a_spreadsheet()
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if (
        len(entries) > MAX_ZIP_ENTRIES
        or unpacked > MAX_UNPACKED_BYTES
        or unpacked > MAX_PACKING_RATIO * max(packed, 1)
    ):
        raise ImportRefused(
            _(
                "文件解压后过大（可能是“压缩炸弹”或内容过多），已拒绝。请只保留需要导入的数据后再上传。"
            )
        )


def _load(content: bytes, *, read_only: bool):
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(content), read_only=read_only, data_only=False)
    except Exception as error:  # openpyxl raises many kinds on a broken package
        raise ImportRefused(
            _("无法读取这个 .xlsx 文件（文件可能已损坏）：请在 Excel 中打开后重新保存再上传。")
        ) from error


def _only_sheet(workbook):
    if len(workbook.sheetnames) != 1:
        raise ImportRefused(
            _("工作簿里有 %(count)s 个工作表（%(names)s）：请只保留一个工作表后再上传。")
            % {"count": len(workbook.sheetnames), "names": "、".join(workbook.sheetnames)}
        )
    return workbook[workbook.sheetnames[0]]


def _xlsx_rows(content: bytes) -> list[tuple[int, tuple]]:
    _check_zip(content)
    # First pass, streaming: sheets, size and formulas, with little memory whatever the file.
    workbook = _load(content, read_only=True)
    try:
        sheet = _only_sheet(workbook)
        for count, row in enumerate(sheet.iter_rows(), start=1):
            if count > MAX_ROWS + 1:
                raise ImportRefused(
                    _("表格超过 %(limit)s 行，请分批导入。") % {"limit": f"{MAX_ROWS:,}"}
                )
            last = max((i for i, cell in enumerate(row) if not is_blank(cell.value)), default=-1)
            if last >= MAX_COLUMNS:
                raise ImportRefused(
                    _("第 %(row)s 行超过 %(limit)s 列：请删除模板以外的列。")
                    % {"row": count, "limit": MAX_COLUMNS}
                )
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    raise ImportRefused(
                        _(
                            "单元格 %(cell)s 是公式："
                            "请把公式换成数值（复制后“选择性粘贴-数值”）再上传。"
                        )
                        % {"cell": cell.coordinate}
                    )
    finally:
        workbook.close()
    # Second pass, bounded by the first: merged cells are only seen by the full parser.
    sheet = _only_sheet(_load(content, read_only=False))
    merged = sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    if merged:
        first = merged[0]
        if first.min_row == 1:
            message = _("表头有合并单元格（%(range)s）：请取消合并，每列一个表头。")
        else:
            message = _("表格有合并单元格（%(range)s）：请取消合并，每个单元格填一个值。")
        raise ImportRefused(message % {"range": first.coord})
    return [
        (number, tuple(row))
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]


# ---------------------------------------------------------------------------
# .csv
# ---------------------------------------------------------------------------
def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(
            _(
                "这个 .csv 是 UTF-16（Unicode 文本）编码："
                "请另存为 .xlsx，或保存为 UTF-8 / GBK 编码的 .csv。"
            )
        )
    if b"\x00" in content:
        raise _not_a_spreadsheet()
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_("无法识别 .csv 文件的编码：请用 UTF-8 或 GBK 编码保存，或另存为 .xlsx。"))


def _csv_rows(content: bytes) -> list[tuple[int, tuple]]:
    text = _decode(content)
    rows = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > MAX_ROWS + 1:
                raise ImportRefused(
                    _("表格超过 %(limit)s 行，请分批导入。") % {"limit": f"{MAX_ROWS:,}"}
                )
            if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
                raise ImportRefused(
                    _("第 %(row)s 行超过 %(limit)s 列：请删除模板以外的列。")
                    % {"row": number, "limit": MAX_COLUMNS}
                )
            rows.append((number, tuple(row[:MAX_COLUMNS])))
    except csv.Error as error:
        raise ImportRefused(
            _("无法读取 .csv 文件（引号或分隔符有误）：请在 Excel 中打开后另存为 .xlsx 再上传。")
        ) from error
    return rows


# ---------------------------------------------------------------------------
# Shared
# ---------------------------------------------------------------------------
def _table(rows: list[tuple[int, tuple]]) -> Table:
    """Header and data rows; trailing blank rows and columns dropped, blank rows between
    data rows kept (the planner reports them)."""
    while rows and all(is_blank(value) for value in rows[-1][1]):
        rows.pop()
    if not rows:
        raise ImportRefused(_("表格是空的：第 1 行应是表头，从第 2 行起填写数据。"))
    header_number, header_cells = rows[0]
    if header_number != 1 or all(is_blank(value) for value in header_cells):
        raise ImportRefused(_("第 1 行应是表头：请不要在表头上方插入行。"))
    if len(rows) == 1:
        raise ImportRefused(_("表格只有表头，没有数据：请从第 2 行起填写。"))
    headers = list(header_cells)
    while headers and is_blank(headers[-1]):
        headers.pop()
    width = len(headers)
    data = []
    for number, cells in rows[1:]:
        cells = tuple(cells) + (None,) * max(0, width - len(cells))
        data.append(SheetRow(number=number, cells=cells))
    return Table(
        headers=tuple("" if is_blank(h) else str(h) for h in headers),
        rows=tuple(data),
    )

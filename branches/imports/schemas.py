"""The two spreadsheets' columns: Chinese header, whether the column must be present, the
cell parser, and what the blank template offers (drop-down list, width, format).

The headers are the file format, the same whatever the interface language, so they are
plain strings rather than translatable ones.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from branches.enums import BranchKind, CommitteeKind, ExemptionReason, Gender
from branches.imports import cells
from branches.imports.reading import ImportRefused, SheetRow, Table, is_blank

COMMITTEE_ROW = "党委"
BRANCH_ROW = "党支部"


def _labels(choices) -> dict[str, str]:
    """{Chinese label: stored value} of a TextChoices."""
    return {str(label): value for value, label in choices.choices}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable
    # The column must be in the file (its cells may still be optional).
    required: bool = False
    # Drop-down list offered by the template.
    choices: tuple[str, ...] = ()
    width: int = 12
    number_format: str = ""


ORGANISATION_COLUMNS = (
    Column(
        "row_kind",
        "类别",
        cells.choice({COMMITTEE_ROW: COMMITTEE_ROW, BRANCH_ROW: BRANCH_ROW}, required=True),
        required=True,
        choices=(COMMITTEE_ROW, BRANCH_ROW),
        width=8,
    ),
    Column("name", "名称", cells.text(max_length=100, required=True), required=True, width=24),
    Column("parent", "上级党组织", cells.text(max_length=100), width=20),
    Column(
        "kind",
        "类型",
        # Any kind's label is a valid cell; whether it suits the row's 类别 is checked when
        # the row is planned.
        cells.choice(
            {label: label for label in (*_labels(CommitteeKind), *_labels(BranchKind))},
            required=True,
        ),
        required=True,
        choices=(*_labels(CommitteeKind), *_labels(BranchKind)),
        width=16,
    ),
    Column("village", "所在村（社区）", cells.text(max_length=100), width=16),
    Column("secretary_name", "支部书记", cells.text(max_length=50), width=12),
)

MEMBER_COLUMNS = (
    Column("id", "系统编号", cells.member_id, width=10),
    Column("committee", "上级党组织", cells.text(max_length=100), width=18),
    Column("branch", "党支部", cells.text(max_length=100, required=True), required=True, width=22),
    Column("name", "姓名", cells.text(max_length=50, required=True), required=True, width=12),
    Column(
        "gender",
        "性别",
        cells.choice(_labels(Gender), required=True),
        required=True,
        choices=tuple(_labels(Gender)),
        width=8,
    ),
    Column("birth_year", "出生年份", cells.birth_year, width=10),
    Column("joined_on", "入党日期", cells.date, width=14, number_format="yyyy-mm-dd"),
    Column("phone", "联系电话", cells.phone, width=16, number_format="@"),
    Column(
        "is_exempt",
        "免于承诺",
        cells.yes_no(default=False),
        choices=(cells.YES, cells.NO),
        width=10,
    ),
    Column(
        "exemption_reason",
        "免于承诺原因",
        cells.choice(_labels(ExemptionReason)),
        choices=tuple(_labels(ExemptionReason)),
        width=14,
    ),
    Column("exemption_note", "免于承诺说明", cells.text(max_length=200), width=24),
    Column(
        "is_active",
        "在册",
        cells.yes_no(default=True),
        choices=(cells.YES, cells.NO),
        width=8,
    ),
)

# Columns that mean nothing without another one: {key: the key it needs}.
MEMBER_COLUMN_NEEDS = {"exemption_reason": "is_exempt", "exemption_note": "is_exempt"}

# The templates' example rows, by column key. A row equal to one is refused, so an example
# left in a filled template never becomes a real committee, branch or member.
ORGANISATION_EXAMPLE = {
    "row_kind": BRANCH_ROW,
    "name": "（示例）范寨村党支部",
    "parent": "（示例）姬石镇党委",
    "kind": str(BranchKind.VILLAGE.label),
    "village": "范寨村",
    "secretary_name": "张三",
}
MEMBER_EXAMPLE = {
    "id": None,
    "committee": "（示例）姬石镇党委",
    "branch": "（示例）范寨村党支部",
    "name": "李荣花",
    "gender": str(Gender.FEMALE.label),
    "birth_year": 1968,
    "joined_on": "1995-07-01",
    "phone": "139-0000 0000",
    "is_exempt": cells.NO,
    "exemption_reason": None,
    "exemption_note": None,
    "is_active": cells.YES,
}


def cell_message(number: int, header: str, message: str) -> str:
    return _("第 %(row)s 行“%(column)s”：%(message)s") % {
        "row": number,
        "column": header,
        "message": message,
    }


def row_message(number: int, message: str) -> str:
    return _("第 %(row)s 行：%(message)s") % {"row": number, "message": message}


def bind_headers(table: Table, columns: tuple[Column, ...], needs: dict | None = None):
    """{column key: position} of the file's header row; ImportRefused unless every header is
    one of the template's, once, and every required column is there."""
    from openpyxl.utils import get_column_letter

    by_header = {column.header: column for column in columns}
    template = "、".join(column.header for column in columns)
    positions: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        letter = get_column_letter(index + 1)
        if is_blank(header):
            raise ImportRefused(
                _(
                    "表头第 %(column)s 列是空的（可能是合并单元格或多余的列）："
                    "模板的列是 %(template)s。"
                )
                % {"column": letter, "template": template}
            )
        if header != header.strip():
            raise ImportRefused(
                _("表头第 %(column)s 列“%(header)s”前后有空格：请删除空格。")
                % {"column": letter, "header": header.strip()}
            )
        column = by_header.get(header)
        if column is None:
            raise ImportRefused(
                _("表头“%(header)s”不是模板中的列：模板的列是 %(template)s。请使用下载的模板。")
                % {"header": header, "template": template}
            )
        if column.key in positions:
            raise ImportRefused(_("表头“%(header)s”出现了两次。") % {"header": header})
        positions[column.key] = index
    missing = [
        column.header for column in columns if column.required and column.key not in positions
    ]
    if missing:
        raise ImportRefused(
            _("缺少必填的列：%(missing)s。请使用下载的模板。") % {"missing": "、".join(missing)}
        )
    for key, needed in (needs or {}).items():
        if key in positions and needed not in positions:
            raise ImportRefused(
                _("有“%(column)s”列时也须有“%(needed)s”列。")
                % {
                    "column": next(c.header for c in columns if c.key == key),
                    "needed": next(c.header for c in columns if c.key == needed),
                }
            )
    return positions


def parse_row(
    row: SheetRow, columns: tuple[Column, ...], positions: dict[str, int], example: dict
) -> tuple[dict, list[str], set[str]]:
    """(values by column key, error messages, keys of the cells that failed) of one data
    row. Only the columns in the file, and cells read without error, are in the values."""
    from openpyxl.utils import get_column_letter

    if all(is_blank(value) for value in row.cells):
        return (
            {},
            [row_message(row.number, _("是空行：数据行之间不能有空行，请删除这一行。"))],
            set(),
        )
    errors = []
    width = len(positions)
    for index in range(width, len(row.cells)):
        if not is_blank(row.cells[index]):
            errors.append(
                row_message(
                    row.number,
                    _("第 %(column)s 列没有表头：请删除这一列的内容。")
                    % {"column": get_column_letter(index + 1)},
                )
            )
            break
    raw = {key: row.cells[index] for key, index in positions.items()}
    if _is_example(raw, example):
        return {}, [row_message(row.number, _("这是模板中的示例行：请删除这一行。"))], set()
    values = {}
    failed = set()
    for column in columns:
        if column.key not in positions:
            continue
        try:
            values[column.key] = column.parse(raw[column.key])
        except cells.CellError as error:
            errors.append(cell_message(row.number, column.header, error.message))
            failed.add(column.key)
    return values, errors, failed


def _is_example(raw: dict, example: dict) -> bool:
    def same(a, b) -> bool:
        if is_blank(a) and is_blank(b):
            return True
        return str(a).split(" ")[0] == str(b).split(" ")[0] if a is not None else False

    return bool(raw) and all(same(value, example.get(key)) for key, value in raw.items())

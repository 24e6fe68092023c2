"""Reading one cell: each parser returns a clean value or raises CellError with a Chinese
message saying exactly what to fix. The messages name neither row nor column: the planner
adds both (“第 5 行“出生年份”：…”)."""

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext as _

from branches.forms.members import EARLIEST_BIRTH_YEAR, PHONE_MESSAGE, PHONE_PATTERN
from branches.imports.reading import is_blank

YES = "是"
NO = "否"
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
_TO_HALF_WIDTH = str.maketrans(FULL_WIDTH_DIGITS + "－／．", "0123456789-/.")
DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


class CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _checked_text(value) -> str:
    """The cell as text: numbers written plainly (1956.0 → "1956"); stray spaces refused."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value)
    if not text.strip():
        raise CellError(_("单元格里只有空格：请清空或填写内容。"))
    if text != text.strip():
        raise CellError(_("“%(text)s”前后有多余的空格：请删除空格。") % {"text": text.strip()})
    return text


def _no_full_width_digits(text: str) -> str:
    if any(c in FULL_WIDTH_DIGITS for c in text):
        raise CellError(
            _("“%(text)s”含全角数字：请改为半角数字“%(fixed)s”。")
            % {"text": text, "fixed": text.translate(_TO_HALF_WIDTH)}
        )
    return text


def text(*, max_length: int, required: bool = False):
    def parse(value) -> str:
        result = _checked_text(value)
        if required and not result:
            raise CellError(_("必须填写。"))
        if len(result) > max_length:
            raise CellError(_("不能超过 %(limit)s 个字。") % {"limit": max_length})
        return result

    return parse


def choice(labels: dict[str, str], *, required: bool = False, default: str = ""):
    """A value from its label; `labels` maps the Chinese label to the stored value."""

    def parse(value) -> str:
        label = _checked_text(value)
        if not label:
            if required:
                raise CellError(_("必须填写，可选：%(choices)s。") % {"choices": "、".join(labels)})
            return default
        if label not in labels:
            raise CellError(
                _("“%(value)s”不是可选的值，可选：%(choices)s。")
                % {"value": label, "choices": "、".join(labels)}
            )
        return labels[label]

    return parse


def yes_no(*, default: bool):
    def parse(value) -> bool:
        if isinstance(value, bool):
            return value
        return choice({YES: True, NO: False}, default=default)(value)

    return parse


def birth_year(value) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise CellError(_("“%(value)s”不是年份：请填写四位数字，如 1956。") % {"value": value})
        year = int(value)
    else:
        raw = _no_full_width_digits(_checked_text(value))
        if not raw:
            return None
        if not re.fullmatch(r"\d{4}", raw):
            raise CellError(_("“%(value)s”不是年份：请填写四位数字，如 1956。") % {"value": raw})
        year = int(raw)
    this_year = timezone.localdate().year
    if not EARLIEST_BIRTH_YEAR <= year <= this_year:
        raise CellError(
            _("出生年份须在 %(first)s 年到 %(last)s 年之间。")
            % {"first": EARLIEST_BIRTH_YEAR, "last": this_year}
        )
    return year


def date(value) -> datetime.date | None:
    """An Excel date, or text as 2021-07-01, 2021/7/1 or 2021年7月1日; not after today."""
    if isinstance(value, datetime.datetime):
        result = value.date()
    elif isinstance(value, datetime.date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(
            _("“%(value)s”不是日期：请把单元格设为日期格式，或写成 2021-07-01。") % {"value": value}
        )
    else:
        raw = _no_full_width_digits(_checked_text(value))
        if not raw:
            return None
        for pattern in DATE_PATTERNS:
            match = pattern.match(raw)
            if match:
                try:
                    result = datetime.date(*(int(part) for part in match.groups()))
                except ValueError:
                    raise CellError(_("“%(value)s”不是有效的日期。") % {"value": raw}) from None
                break
        else:
            raise CellError(
                _("“%(value)s”不是日期：请写成 2021-07-01、2021/7/1 或 2021年7月1日。")
                % {"value": raw}
            )
    if result > timezone.localdate():
        raise CellError(_("不能晚于今天。"))
    return result


def phone(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    raw = _no_full_width_digits(_checked_text(value))
    if raw and (not PHONE_PATTERN.match(raw) or not any(c.isdigit() for c in raw)):
        raise CellError(str(PHONE_MESSAGE))
    return raw


def member_id(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raw = _no_full_width_digits(_checked_text(value))
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw):
        raise CellError(
            _("“%(value)s”不是系统编号：请保留导出时的编号，新党员留空。") % {"value": raw}
        )
    return int(raw)

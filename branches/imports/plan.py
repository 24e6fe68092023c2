"""What an import would do, row by row: the preview and the input of the apply step."""

import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from branches.enums import ImportKind, ImportRowStatus
from branches.models import Committee

# An ambiguous row's answer "none of these: a new member".
NEW_MEMBER = "new"


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Candidate:
    """An existing member an ambiguous row may mean."""

    pk: int
    label: str


@dataclass
class RowPlan:
    number: int
    label: str
    status: ImportRowStatus
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    # A short account of a new row's values.
    details: str = ""
    # For the apply step: the matched object's pk and the parsed values.
    target: int | None = None
    values: dict = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class RollOff:
    """An active member of the file's branches whom no row names (full roster only)."""

    pk: int
    label: str


@dataclass
class Choices:
    """The person's answers: ambiguous row number → member pk or NEW_MEMBER, and the pks of
    the members to take off the roll."""

    matches: dict[int, int | str] = field(default_factory=dict)
    roll_off: set[int] = field(default_factory=set)


@dataclass
class Plan:
    kind: ImportKind
    scope: Committee
    rows: list[RowPlan]
    full_roster: bool = False
    roll_off: list[RollOff] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in ImportRowStatus}
        for row in self.rows:
            counts[row.status.value] += 1
        return counts

    def count_items(self) -> list[tuple[str, str, int]]:
        """(status, label, count) in the order of ImportRowStatus, for display."""
        counts = self.counts()
        return [(status.value, status.label, counts[status.value]) for status in ImportRowStatus]

    @property
    def error_rows(self) -> list[RowPlan]:
        return [row for row in self.rows if row.status == ImportRowStatus.ERROR]

    @property
    def ambiguous_rows(self) -> list[RowPlan]:
        return [row for row in self.rows if row.status == ImportRowStatus.AMBIGUOUS]

    @property
    def has_errors(self) -> bool:
        return any(row.status == ImportRowStatus.ERROR for row in self.rows)

    @property
    def writes_anything(self) -> bool:
        return bool(self.roll_off) or any(
            row.status in (ImportRowStatus.NEW, ImportRowStatus.CHANGED, ImportRowStatus.AMBIGUOUS)
            for row in self.rows
        )

    def fingerprint(self) -> str:
        """Changes whenever what the preview shows changes: confirming a stale preview is
        refused."""
        data = [
            [
                row.number,
                row.status.value,
                [[c.label, c.old, c.new] for c in row.changes],
                row.errors,
                [c.pk for c in row.candidates],
                row.target,
            ]
            for row in self.rows
        ]
        data.append([r.pk for r in self.roll_off])
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def check_choices(self, choices: Choices) -> list[str]:
        """Messages for answers that are missing or impossible; empty when all is well."""
        problems = []
        taken: dict[int, int] = {
            row.target: row.number
            for row in self.rows
            if row.target is not None and row.status != ImportRowStatus.AMBIGUOUS
        }
        for row in self.ambiguous_rows:
            answer = choices.matches.get(row.number)
            if answer is None:
                problems.append(
                    _("第 %(row)s 行（%(label)s）：请选择是哪一名党员，或选择“新党员”。")
                    % {"row": row.number, "label": row.label}
                )
                continue
            if answer == NEW_MEMBER:
                continue
            if answer not in {c.pk for c in row.candidates}:
                problems.append(_("第 %(row)s 行：所选党员不在候选名单中。") % {"row": row.number})
            elif answer in taken:
                problems.append(
                    _("第 %(row)s 行和第 %(other)s 行指向同一名党员：请为其中一行另选。")
                    % {"row": row.number, "other": taken[answer]}
                )
            else:
                taken[answer] = row.number
        offered = {r.pk for r in self.roll_off}
        if not choices.roll_off <= offered:
            problems.append(_("所选移出在册的党员不在本次名册的候选名单中。"))
        return problems


def display(value) -> str:
    """A value as the preview and the audit list show it."""
    if value is None or value == "":
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def mask_phone(phone: str) -> str:
    """139****0000: enough to tell two members apart, not enough to call them."""
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]

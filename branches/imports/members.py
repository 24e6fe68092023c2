"""Member roster: planning rows against the members of the scope, and writing the plan.

Planning reads the scope's committees, branches and members once (three queries, whatever
the number of rows); applying writes with bulk_create and bulk_update.
"""

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from branches.enums import ExemptionReason, Gender, ImportKind, ImportRowStatus
from branches.forms.members import JOINING_AGE
from branches.imports.plan import (
    NEW_MEMBER,
    Candidate,
    Change,
    Choices,
    Plan,
    RollOff,
    RowPlan,
    display,
    mask_phone,
)
from branches.imports.reading import Table
from branches.imports.schemas import (
    MEMBER_COLUMN_NEEDS,
    MEMBER_COLUMNS,
    MEMBER_EXAMPLE,
    bind_headers,
    cell_message,
    parse_row,
)
from branches.models import Branch, Committee, Member
from branches.signals import rolls_changed

# The member's fields a row may set, in column order.
MEMBER_FIELDS = (
    "gender",
    "birth_year",
    "joined_on",
    "phone",
    "is_exempt",
    "exemption_reason",
    "exemption_note",
    "is_active",
)
HEADERS = {column.key: column.header for column in MEMBER_COLUMNS}


class _Scope:
    """The scope's committees, branches and members, read once and indexed."""

    def __init__(self, scope: Committee):
        self.committees = {
            c.pk: c for c in Committee.objects.filter(path__startswith=scope.path).only("name")
        }
        self.branches = {
            b.pk: b
            for b in Branch.objects.filter(committee__path__startswith=scope.path).only(
                "name", "committee_id"
            )
        }
        self.branches_by_name = defaultdict(list)
        for branch in self.branches.values():
            self.branches_by_name[branch.name].append(branch)
        self.members = {
            m.pk: m
            for m in Member.objects.filter(branch__committee__path__startswith=scope.path).only(
                "branch_id", "name", *MEMBER_FIELDS
            )
        }
        self.members_by_key = defaultdict(list)
        for member in self.members.values():
            self.members_by_key[(member.branch_id, member.name)].append(member)

    def branch(self, name: str, committee_name: str | None) -> tuple[Branch | None, str]:
        """(branch, "") or (None, the reason none is found)."""
        found = self.branches_by_name.get(name, [])
        if committee_name:
            found = [b for b in found if self.committees[b.committee_id].name == committee_name]
        if len(found) == 1:
            return found[0], ""
        if not found:
            if committee_name and self.branches_by_name.get(name):
                return None, _("“%(branch)s”不属于“%(committee)s”。") % {
                    "branch": name,
                    "committee": committee_name,
                }
            return None, _("您管理的范围内没有名为“%(branch)s”的党支部。") % {"branch": name}
        return None, _(
            "您管理的范围内有 %(count)s 个名为“%(branch)s”的党支部："
            "请在“上级党组织”列填写所属党委以区分。"
        ) % {"count": len(found), "branch": name}

    def describe(self, member: Member) -> str:
        parts = []
        if member.birth_year:
            parts.append(_("%(year)s 年生") % {"year": member.birth_year})
        if member.joined_on:
            parts.append(_("%(date)s 入党") % {"date": member.joined_on.isoformat()})
        if member.phone:
            parts.append(mask_phone(member.phone))
        parts.append(_("在册") if member.is_active else _("已不在册"))
        return _("系统编号 %(id)s：%(name)s（%(details)s）") % {
            "id": member.pk,
            "name": member.name,
            "details": "，".join(parts),
        }


def _shown(key: str, value) -> str:
    if key == "gender":
        return str(Gender(value).label) if value else ""
    if key == "exemption_reason":
        return str(ExemptionReason(value).label) if value else ""
    return display(value)


def _effective(values: dict, member: Member | None) -> dict:
    """The member's fields after the row: the file's values over the member's (or the
    defaults of a new member) for columns the file lacks."""
    result = {
        "gender": "",
        "birth_year": None,
        "joined_on": None,
        "phone": "",
        "is_exempt": False,
        "exemption_reason": "",
        "exemption_note": "",
        "is_active": True,
    }
    if member is not None:
        result.update({key: getattr(member, key) for key in MEMBER_FIELDS})
    result.update({key: value for key, value in values.items() if key in MEMBER_FIELDS})
    return result


def _row_rule_errors(
    number: int, values: dict, member: Member | None, failed: set[str]
) -> list[str]:
    """The member form's rules across cells: exemption needs a reason, joining age. A rule
    over a cell that could not be read waits until that cell is fixed."""
    errors = []
    after = _effective(values, member)
    if "is_exempt" in values and not failed & {"exemption_reason", "exemption_note"}:
        if after["is_exempt"] and not after["exemption_reason"]:
            errors.append(
                cell_message(number, HEADERS["exemption_reason"], _("免于承诺须选择原因。"))
            )
        if not after["is_exempt"] and (
            values.get("exemption_reason") or values.get("exemption_note")
        ):
            errors.append(
                cell_message(
                    number,
                    HEADERS["is_exempt"],
                    _("填了免于承诺原因或说明时，“免于承诺”须填“是”。"),
                )
            )
    birth_year, joined_on = after["birth_year"], after["joined_on"]
    if (
        not failed & {"birth_year", "joined_on"}
        and birth_year
        and joined_on
        and joined_on.year < birth_year + JOINING_AGE
    ):
        errors.append(
            cell_message(
                number,
                HEADERS["joined_on"],
                _("入党时须年满 %(age)s 周岁：入党日期不能早于 %(year)s 年。")
                % {"age": JOINING_AGE, "year": birth_year + JOINING_AGE},
            )
        )
    return errors


def _changes(values: dict, member: Member, branch: Branch, scope: _Scope) -> list[Change]:
    changes = []
    if member.branch_id != branch.pk:
        changes.append(
            Change(HEADERS["branch"], scope.branches[member.branch_id].name, branch.name)
        )
    if values.get("name", member.name) != member.name:
        changes.append(Change(HEADERS["name"], member.name, values["name"]))
    after = _effective(values, member)
    for key in MEMBER_FIELDS:
        old = getattr(member, key)
        if after[key] != old:
            changes.append(Change(HEADERS[key], _shown(key, old), _shown(key, after[key])))
    return changes


def _details(values: dict) -> str:
    return " · ".join(
        f"{HEADERS[key]} {_shown(key, values[key])}"
        for key in MEMBER_FIELDS
        if key in values and _shown(key, values[key])
    )


def plan_members(*, table: Table, scope: Committee, full_roster: bool = False) -> Plan:
    positions = bind_headers(table, MEMBER_COLUMNS, MEMBER_COLUMN_NEEDS)
    data = _Scope(scope)
    parsed = []
    for sheet_row in table.rows:
        values, errors, failed = parse_row(sheet_row, MEMBER_COLUMNS, positions, MEMBER_EXAMPLE)
        parsed.append((sheet_row.number, values, errors, failed))

    # First pass: branches and rows keyed by 系统编号, which bind their members first.
    rows: list[RowPlan] = []
    by_id_row: dict[int, int] = {}
    keyless: dict[tuple[int, str], list[int]] = defaultdict(list)
    resolved = []
    for number, values, errors, failed in parsed:
        branch = None
        if "branch" in values:
            branch, problem = data.branch(values["branch"], values.get("committee"))
            if problem:
                errors.append(cell_message(number, HEADERS["branch"], problem))
        member = None
        member_pk = values.get("id")
        if member_pk is not None:
            member = data.members.get(member_pk)
            if member is None:
                errors.append(
                    cell_message(
                        number,
                        HEADERS["id"],
                        _("编号 %(id)s 在您管理的范围内找不到：新党员请留空此列。")
                        % {"id": member_pk},
                    )
                )
            elif member_pk in by_id_row:
                errors.append(
                    cell_message(
                        number,
                        HEADERS["id"],
                        _("与第 %(row)s 行的编号相同。") % {"row": by_id_row[member_pk]},
                    )
                )
                member = None
            else:
                by_id_row[member_pk] = number
        elif branch is not None and "name" in values:
            keyless[(branch.pk, values["name"])].append(number)
        resolved.append((number, values, errors, failed, branch, member))

    bound = set(by_id_row)
    # For the roll-off list: the branches the rows name, and every member a row may mean.
    file_branches: set[int] = set()
    named: set[int] = set(bound)
    for number, values, errors, failed, branch, member in resolved:
        if branch is not None:
            file_branches.add(branch.pk)
        label = " · ".join(v for v in (values.get("branch", ""), values.get("name", "")) if v)
        row = RowPlan(number=number, label=label, status=ImportRowStatus.ERROR, values=values)
        rows.append(row)
        candidates = []
        if member is None and branch is not None and values.get("id") is None and "name" in values:
            key = (branch.pk, values["name"])
            candidates = [m for m in data.members_by_key.get(key, []) if m.pk not in bound]
            named.update(m.pk for m in candidates)
            if len(candidates) >= 2 or len(keyless[key]) >= 2:
                row.candidates = [Candidate(m.pk, data.describe(m)) for m in candidates]
                errors.extend(_row_rule_errors(number, values, None, failed))
                if not errors:
                    row.status = ImportRowStatus.AMBIGUOUS
                    row.values["branch_id"] = branch.pk
                    row.details = _details(values)
                row.errors = errors
                continue
            member = candidates[0] if candidates else None
        errors.extend(_row_rule_errors(number, values, member, failed))
        row.errors = errors
        if errors:
            continue
        row.values["branch_id"] = branch.pk
        if member is None:
            row.status = ImportRowStatus.NEW
            row.details = _details(values)
            continue
        row.target = member.pk
        row.changes = _changes(values, member, branch, data)
        row.status = ImportRowStatus.CHANGED if row.changes else ImportRowStatus.UNCHANGED

    plan = Plan(kind=ImportKind.MEMBERS, scope=scope, rows=rows, full_roster=full_roster)
    if full_roster:
        plan.roll_off = [
            RollOff(m.pk, f"{data.branches[m.branch_id].name} · {data.describe(m)}")
            for m in sorted(data.members.values(), key=lambda m: (m.branch_id, m.name, m.pk))
            if m.is_active and m.branch_id in file_branches and m.pk not in named
        ]
    return plan


def _member_from(values: dict, member: Member) -> list[str]:
    """Set the row's values on the member; the names of the fields set."""
    member.branch_id = values["branch_id"]
    if "name" in values:
        member.name = values["name"]
    after = _effective(values, member)
    for key in MEMBER_FIELDS:
        setattr(member, key, after[key])
    if not member.is_exempt:
        member.exemption_reason = ""
        member.exemption_note = ""
    return ["branch", "name", *MEMBER_FIELDS, "updated_at"]


def apply_members(*, plan: Plan, choices: Choices) -> dict[str, int]:
    """Write the plan (the caller holds the transaction); counts of what was written."""
    now = timezone.now()
    targets = {row.target for row in plan.rows if row.status == ImportRowStatus.CHANGED}
    chosen = {
        row.number: choices.matches[row.number]
        for row in plan.ambiguous_rows
        if choices.matches.get(row.number) not in (None, NEW_MEMBER)
    }
    targets |= set(chosen.values())
    existing = Member.objects.in_bulk(targets)
    before_branch: dict[int, int] = {}
    new, changed = [], []
    for row in plan.rows:
        target = row.target if row.status == ImportRowStatus.CHANGED else chosen.get(row.number)
        if row.status == ImportRowStatus.NEW or (
            row.status == ImportRowStatus.AMBIGUOUS and target is None
        ):
            member = Member(branch_id=row.values["branch_id"])
            _member_from(row.values, member)
            new.append(member)
        elif target is not None:
            member = existing[target]
            before_branch[member.pk] = member.branch_id
            before = {f: getattr(member, f) for f in ("branch_id", "name", *MEMBER_FIELDS)}
            _member_from(row.values, member)
            if before != {f: getattr(member, f) for f in before}:
                member.updated_at = now
                changed.append(member)
    Member.objects.bulk_create(new, batch_size=500)
    Member.objects.bulk_update(
        changed, ["branch", "name", *MEMBER_FIELDS, "updated_at"], batch_size=500
    )
    rolled = 0
    touched = {member.branch_id for member in new + changed}
    touched |= {before_branch[member.pk] for member in changed}
    if choices.roll_off:
        rolled_off = Member.objects.filter(pk__in=choices.roll_off, is_active=True)
        touched |= set(rolled_off.values_list("branch_id", flat=True))
        rolled = rolled_off.update(is_active=False, updated_at=now)
    # Boards list their members: bulk writes send no signals, so renew the pages here.
    Branch.objects.filter(pk__in=touched).mark_public_changed()
    rolls_changed.send(sender=Member, branch_ids=touched)
    return {"new": len(new), "changed": len(changed), "rolled_off": rolled}

"""Organisation workbook: committees and branches, one row each, planned against the scope.

A committee is keyed by its name within the scope subtree, a branch by its name (and, when
two branches in scope share it, by name and parent committee). Parents may be named by rows
before or after in the same file. Nodes of the tree are ("c", pk) for an existing committee
and ("r", row number) for a committee the file creates.
"""

from collections import defaultdict

from django.utils.translation import gettext as _

from branches.enums import BranchKind, CommitteeKind, ImportKind, ImportRowStatus
from branches.imports.plan import Change, Plan, RowPlan, display
from branches.imports.reading import Table
from branches.imports.schemas import (
    BRANCH_ROW,
    COMMITTEE_ROW,
    ORGANISATION_COLUMNS,
    ORGANISATION_EXAMPLE,
    _labels,
    bind_headers,
    cell_message,
    parse_row,
)
from branches.models import Branch, Committee

HEADERS = {column.key: column.header for column in ORGANISATION_COLUMNS}
COMMITTEE_KINDS = _labels(CommitteeKind)
BRANCH_KINDS = _labels(BranchKind)


class _Tree:
    def __init__(self, scope: Committee):
        self.scope = scope
        self.committees = {c.pk: c for c in Committee.objects.filter(path__startswith=scope.path)}
        self.committees_by_name = defaultdict(list)
        for committee in self.committees.values():
            self.committees_by_name[committee.name].append(committee)
        self.branches_by_name = defaultdict(list)
        for branch in Branch.objects.filter(committee__path__startswith=scope.path):
            self.branches_by_name[branch.name].append(branch)
        # Committee names the file defines: name → node.
        self.file_committees: dict[str, tuple] = {}
        # Parent of every committee node once the file is applied.
        self.parents: dict[tuple, tuple | None] = {
            ("c", c.pk): ("c", c.parent_id) if c.pk != scope.pk else None
            for c in self.committees.values()
        }

    def node_name(self, node) -> str:
        if node[0] == "c":
            return self.committees[node[1]].name
        return next(name for name, n in self.file_committees.items() if n == node)

    def parent_node(self, name: str) -> tuple[tuple | None, str]:
        """(node, "") for the committee a 上级党组织 cell names, or (None, why not)."""
        if not name:
            return ("c", self.scope.pk), ""
        if name in self.file_committees:
            return self.file_committees[name], ""
        found = self.committees_by_name.get(name, [])
        if len(found) == 1:
            return ("c", found[0].pk), ""
        if len(found) > 1:
            return None, _(
                "您管理的范围内有 %(count)s 个名为“%(name)s”的党委：请先在系统中改名以便区分。"
            ) % {"count": len(found), "name": name}
        if name in self.branches_by_name:
            return None, _("“%(name)s”是党支部，上级党组织须是党委。") % {"name": name}
        return None, _("找不到“%(name)s”：上级党组织须是本表中或您管理范围内的党委。") % {
            "name": name
        }

    def is_closed(self, node) -> bool:
        return node[0] == "c" and self.committees[node[1]].is_closed


def _closed_message(tree: _Tree, node) -> str:
    return _("“%(name)s”已撤销，不能接收新的或移入的党组织、党支部。") % {
        "name": tree.node_name(node)
    }


def plan_organisation(*, table: Table, scope: Committee) -> Plan:
    positions = bind_headers(table, ORGANISATION_COLUMNS)
    tree = _Tree(scope)
    parsed = []
    for sheet_row in table.rows:
        values, errors, _failed = parse_row(
            sheet_row, ORGANISATION_COLUMNS, positions, ORGANISATION_EXAMPLE
        )
        parsed.append((sheet_row.number, values, errors))

    # Committee rows first name their nodes, so that any row may name them as parent.
    committee_rows: dict[int, tuple] = {}
    for number, values, errors in parsed:
        if values.get("row_kind") != COMMITTEE_ROW or "name" not in values:
            continue
        name = values["name"]
        if name in tree.file_committees:
            first = next(
                n for n, node in committee_rows.items() if tree.file_committees[name] == node
            )
            errors.append(
                cell_message(number, HEADERS["name"], _("与第 %(row)s 行重复。") % {"row": first})
            )
            continue
        found = tree.committees_by_name.get(name, [])
        if len(found) > 1:
            errors.append(
                cell_message(
                    number,
                    HEADERS["name"],
                    _(
                        "您管理的范围内有 %(count)s 个名为“%(name)s”的党委："
                        "请先在系统中改名以便区分。"
                    )
                    % {"count": len(found), "name": name},
                )
            )
            continue
        node = ("c", found[0].pk) if found else ("r", number)
        tree.file_committees[name] = node
        committee_rows[number] = node

    rows = []
    seen_branches: dict[tuple, int] = {}
    for number, values, errors in parsed:
        row = RowPlan(
            number=number,
            label=" ".join(v for v in (values.get("row_kind", ""), values.get("name", "")) if v),
            status=ImportRowStatus.ERROR,
            values=values,
            errors=errors,
        )
        rows.append(row)
        if errors:
            continue
        if values["row_kind"] == COMMITTEE_ROW:
            _plan_committee(row, tree, committee_rows[number])
        else:
            _plan_branch(row, tree, seen_branches)

    _refuse_cycles(rows, tree, committee_rows)
    for row in rows:
        if row.errors:
            row.status = ImportRowStatus.ERROR
    return Plan(kind=ImportKind.ORGANISATION, scope=scope, rows=rows)


def _plan_committee(row: RowPlan, tree: _Tree, node: tuple) -> None:
    values, number = row.values, row.number
    kind = COMMITTEE_KINDS.get(values["kind"])
    if kind is None:
        row.errors.append(
            cell_message(
                number,
                HEADERS["kind"],
                _("党委的类型可选：%(choices)s。") % {"choices": "、".join(COMMITTEE_KINDS)},
            )
        )
    for key in ("village", "secretary_name"):
        if values.get(key):
            row.errors.append(cell_message(number, HEADERS[key], _("党委行不填这一列。")))
    if node == ("c", tree.scope.pk):
        if values.get("parent") or kind != tree.scope.kind:
            row.errors.append(
                cell_message(number, HEADERS["name"], _("导入范围的最上级党组织不能通过导入修改。"))
            )
        if not row.errors:
            row.status = ImportRowStatus.UNCHANGED
            row.target = tree.scope.pk
        return
    parent, problem = tree.parent_node(values.get("parent", ""))
    if problem:
        row.errors.append(cell_message(number, HEADERS["parent"], problem))
    if row.errors:
        return
    row.values.update(parent_node=parent, kind_value=kind, node=node)
    if node[0] == "r":
        tree.parents[node] = parent
        if tree.is_closed(parent):
            row.errors.append(
                cell_message(number, HEADERS["parent"], _closed_message(tree, parent))
            )
            return
        row.status = ImportRowStatus.NEW
        row.details = (
            f"{HEADERS['kind']} {values['kind']} · {HEADERS['parent']} {tree.node_name(parent)}"
        )
        return
    committee = tree.committees[node[1]]
    old_parent = ("c", committee.parent_id)
    tree.parents[node] = parent
    if kind != committee.kind:
        row.changes.append(
            Change(HEADERS["kind"], str(CommitteeKind(committee.kind).label), values["kind"])
        )
    if parent != old_parent:
        row.changes.append(
            Change(HEADERS["parent"], tree.node_name(old_parent), tree.node_name(parent))
        )
        if tree.is_closed(parent):
            row.errors.append(
                cell_message(number, HEADERS["parent"], _closed_message(tree, parent))
            )
    if row.changes and committee.is_closed:
        row.errors.append(
            cell_message(number, HEADERS["name"], _("该党组织已撤销，不能通过导入修改。"))
        )
    if not row.errors:
        row.target = committee.pk
        row.status = ImportRowStatus.CHANGED if row.changes else ImportRowStatus.UNCHANGED


def _plan_branch(row: RowPlan, tree: _Tree, seen: dict[tuple, int]) -> None:
    values, number = row.values, row.number
    kind = BRANCH_KINDS.get(values["kind"])
    if kind is None:
        row.errors.append(
            cell_message(
                number,
                HEADERS["kind"],
                _("党支部的类型可选：%(choices)s。") % {"choices": "、".join(BRANCH_KINDS)},
            )
        )
    parent, problem = tree.parent_node(values.get("parent", ""))
    if problem:
        row.errors.append(cell_message(number, HEADERS["parent"], problem))
    if row.errors:
        return
    found = tree.branches_by_name.get(values["name"], [])
    if len(found) > 1:
        found = [b for b in found if parent == ("c", b.committee_id)]
    branch = found[0] if found else None
    key = ("b", branch.pk) if branch else ("new", parent, values["name"])
    if key in seen:
        row.errors.append(
            cell_message(
                number, HEADERS["name"], _("与第 %(row)s 行是同一个党支部。") % {"row": seen[key]}
            )
        )
        return
    seen[key] = number
    row.values.update(parent_node=parent, kind_value=kind)
    moves = branch is None or parent != ("c", branch.committee_id)
    if moves and tree.is_closed(parent):
        row.errors.append(cell_message(number, HEADERS["parent"], _closed_message(tree, parent)))
        return
    if branch is None:
        row.status = ImportRowStatus.NEW
        row.details = " · ".join(
            f"{HEADERS[key]} {value}"
            for key, value in (
                ("kind", values["kind"]),
                ("parent", tree.node_name(parent)),
                ("village", values.get("village", "")),
                ("secretary_name", values.get("secretary_name", "")),
            )
            if value
        )
        return
    if kind != branch.kind:
        row.changes.append(
            Change(HEADERS["kind"], str(BranchKind(branch.kind).label), values["kind"])
        )
    if parent != ("c", branch.committee_id):
        row.changes.append(
            Change(
                HEADERS["parent"],
                tree.node_name(("c", branch.committee_id)),
                tree.node_name(parent),
            )
        )
    for key in ("village", "secretary_name"):
        if key in values and values[key] != getattr(branch, key):
            row.changes.append(
                Change(HEADERS[key], display(getattr(branch, key)), display(values[key]))
            )
    row.target = branch.pk
    row.status = ImportRowStatus.CHANGED if row.changes else ImportRowStatus.UNCHANGED


def _refuse_cycles(rows: list[RowPlan], tree: _Tree, committee_rows: dict[int, tuple]) -> None:
    """A committee may not end up under itself: every committee row's chain of parents must
    reach the scope's root."""
    root = ("c", tree.scope.pk)
    for row in rows:
        node = committee_rows.get(row.number)
        if row.errors or node is None or node == root:
            continue
        chain, current = [node], tree.parents.get(node)
        while current is not None and current != root and current not in chain:
            chain.append(current)
            current = tree.parents.get(current)
        if current is not None and current != root:
            names = " → ".join(tree.node_name(n) for n in [*chain, current])
            row.errors.append(
                cell_message(
                    row.number,
                    HEADERS["parent"],
                    _("上级党组织形成了循环（%(chain)s）。") % {"chain": names},
                )
            )


def apply_organisation(*, plan: Plan) -> dict[str, int]:
    """Write the plan (the caller holds the transaction); counts of what was written.

    Committees go one by one through Committee.save, parents first, which keeps the
    materialised paths right; branches are written in bulk.
    """
    counts = {"new": 0, "changed": 0}
    pks: dict[tuple, int] = {}
    pending = [
        row
        for row in plan.rows
        if row.values.get("row_kind") == COMMITTEE_ROW
        and row.status in (ImportRowStatus.NEW, ImportRowStatus.CHANGED)
    ]

    def resolved(node):
        return node[1] if node[0] == "c" else pks.get(node)

    while pending:
        ready = [row for row in pending if resolved(row.values["parent_node"]) is not None]
        if not ready:  # cycles are refused when planning; never reached on a valid plan
            raise RuntimeError("committee rows without a resolvable parent")
        for row in ready:
            parent_pk = resolved(row.values["parent_node"])
            if row.status == ImportRowStatus.NEW:
                committee = Committee(
                    name=row.values["name"], kind=row.values["kind_value"], parent_id=parent_pk
                )
                committee.save()
                pks[row.values["node"]] = committee.pk
            else:
                committee = Committee.objects.get(pk=row.target)
                committee.kind = row.values["kind_value"]
                committee.parent_id = parent_pk
                committee.save()
            counts[row.status.value] += 1
        pending = [row for row in pending if row not in ready]

    branch_rows = [
        row
        for row in plan.rows
        if row.values.get("row_kind") == BRANCH_ROW
        and row.status in (ImportRowStatus.NEW, ImportRowStatus.CHANGED)
    ]
    existing = Branch.objects.in_bulk(
        [row.target for row in branch_rows if row.status == ImportRowStatus.CHANGED]
    )
    new, changed = [], []
    for row in branch_rows:
        if row.status == ImportRowStatus.NEW:
            branch = Branch(name=row.values["name"])
            new.append(branch)
        else:
            branch = existing[row.target]
            changed.append(branch)
        branch.kind = row.values["kind_value"]
        branch.committee_id = resolved(row.values["parent_node"])
        for key in ("village", "secretary_name"):
            if key in row.values:
                setattr(branch, key, row.values[key])
    Branch.objects.bulk_create(new)
    Branch.objects.bulk_update(changed, ["kind", "committee", "village", "secretary_name"])
    # Their boards show their names, villages and secretaries: renew the public pages.
    Branch.objects.filter(pk__in=[branch.pk for branch in changed]).mark_public_changed()
    counts["new"] += len(new)
    counts["changed"] += len(changed)
    return counts

"""What the import commands share: the scope, the preview as text, the run."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from branches.enums import ImportRowStatus
from branches.imports.plan import Choices, Plan
from branches.imports.reading import ImportRefused
from branches.imports.services import import_file_apply, plan_import
from branches.models import Committee


def add_import_arguments(parser) -> None:
    parser.add_argument("path", help="表格文件（.xlsx 或 .csv）")
    parser.add_argument("--dry-run", action="store_true", help="只显示预览，不写入")
    parser.add_argument(
        "--committee", type=int, help="导入范围：党组织的编号（默认：唯一的最上级党组织）"
    )


def scope_committee(committee_id: int | None) -> Committee:
    if committee_id is not None:
        committee = Committee.objects.filter(pk=committee_id).first()
        if committee is None:
            raise CommandError(_("没有编号为 %(id)s 的党组织。") % {"id": committee_id})
        return committee
    roots = list(Committee.objects.filter(parent=None)[:2])
    if len(roots) != 1:
        raise CommandError(
            _("有 %(count)s 个最上级党组织：请用 --committee 指定导入范围。")
            % {"count": len(roots)}
        )
    return roots[0]


def plan_lines(plan: Plan) -> list[str]:
    """The preview as text: the counts, then every row that is not unchanged."""
    lines = [
        _("%(kind)s导入预览（范围：%(scope)s）")
        % {"kind": plan.kind.label, "scope": plan.scope.name},
        " · ".join(f"{label} {count}" for _status, label, count in plan.count_items()),
    ]
    for row in plan.rows:
        if row.status == ImportRowStatus.UNCHANGED:
            continue
        head = _("第 %(row)s 行 %(status)s %(label)s") % {
            "row": row.number,
            "status": row.status.label,
            "label": row.label,
        }
        if row.status == ImportRowStatus.ERROR:
            lines.extend(f"  {error}" for error in row.errors)
            continue
        lines.append(head)
        lines.extend(
            f"    {c.label}：{c.old or '（空）'} → {c.new or '（空）'}" for c in row.changes
        )
        if row.details:
            lines.append(f"    {row.details}")
        for candidate in row.candidates:
            lines.append("    " + _("可能是 %(candidate)s") % {"candidate": candidate.label})
    if plan.full_roster:
        lines.append(_("不在名册中：移出在册？ %(count)s 人") % {"count": len(plan.roll_off)})
        lines.extend(f"    {entry.label}" for entry in plan.roll_off)
    return lines


def run_import(command, *, kind: str, options: dict, full_roster=False, take_off_roll=False):
    path = Path(options["path"])
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(
            _("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error}
        ) from error
    scope = scope_committee(options.get("committee"))
    try:
        plan = plan_import(
            kind=kind, content=content, filename=path.name, scope=scope, full_roster=full_roster
        )
    except ImportRefused as refusal:
        raise CommandError(refusal.message) from refusal
    for line in plan_lines(plan):
        command.stdout.write(line)
    if plan.has_errors:
        raise CommandError(_("表格有错误，未写入任何数据：请改正后重试。"))
    if plan.ambiguous_rows:
        raise CommandError(
            _(
                "有同名党员无法确定是谁，未写入任何数据：请在表中填写“系统编号”（可先导出名册），或在网页上导入并逐行确认。"
            )
        )
    if options["dry_run"]:
        command.stdout.write(_("试运行：未写入任何数据。"))
        return
    choices = Choices(roll_off={entry.pk for entry in plan.roll_off} if take_off_roll else set())
    batch = import_file_apply(plan=plan, choices=choices, filename=path.name, content=content)
    written = batch.summary["written"]
    message = _("已导入：新增 %(new)s 行，修改 %(changed)s 行") % written
    if "rolled_off" in written:
        message += _("，移出在册 %(off)s 人") % {"off": written["rolled_off"]}
    command.stdout.write(command.style.SUCCESS(message + "。"))

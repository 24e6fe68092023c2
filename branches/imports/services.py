"""The import's moves: upload (a batch kept for its preview), confirm, abandon, and the
command line's run. Called by the views, the commands and the tests alike."""

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.enums import ImportKind, ImportRowStatus, ImportStatus, OrganisationAction
from branches.imports.members import apply_members, plan_members
from branches.imports.organisation import apply_organisation, plan_organisation
from branches.imports.plan import Choices, Plan
from branches.imports.reading import Table, read_table
from branches.imports.schemas import (
    MEMBER_COLUMN_NEEDS,
    MEMBER_COLUMNS,
    ORGANISATION_COLUMNS,
    bind_headers,
)
from branches.models import Committee, ImportBatch
from branches.services.audit import organisation_change_record
from branches.services.organisers import require_organiser

# Rows of an applied batch kept in its summary for the read-only outcome page.
SUMMARY_ROWS = 500


class PlanChanged(Exception):
    """The database changed between the preview and the confirmation: the new plan is
    shown instead of writing."""

    def __init__(self, plan: Plan):
        super().__init__("the plan changed since the preview")
        self.plan = plan


def read_import(*, kind: str, content: bytes, filename: str) -> Table:
    """The file's table with a header fit for the kind; ImportRefused otherwise."""
    table = read_table(content, filename)
    if kind == ImportKind.ORGANISATION:
        bind_headers(table, ORGANISATION_COLUMNS)
    else:
        bind_headers(table, MEMBER_COLUMNS, MEMBER_COLUMN_NEEDS)
    return table


def plan_import(
    *, kind: str, content: bytes, filename: str, scope: Committee, full_roster: bool = False
) -> Plan:
    """The preview of a file; raises ImportRefused for a file that is refused as a whole."""
    table = read_table(content, filename)
    if kind == ImportKind.ORGANISATION:
        return plan_organisation(table=table, scope=scope)
    return plan_members(table=table, scope=scope, full_roster=full_roster)


def _require_organiser(actor, committee: Committee) -> None:
    # None is the command line, run by whoever holds the server.
    if actor is not None:
        require_organiser(actor, committee)


def _outcome(plan: Plan, written: dict) -> dict:
    rows = [
        {
            "number": row.number,
            "status": row.status.value,
            "label": row.label,
            "changes": [[c.label, c.old, c.new] for c in row.changes],
            "details": row.details,
        }
        for row in plan.rows
        if row.status != ImportRowStatus.UNCHANGED
    ]
    return {
        "counts": plan.counts(),
        "written": written,
        "rows": rows[:SUMMARY_ROWS],
        "rows_left_off": max(0, len(rows) - SUMMARY_ROWS),
    }


def apply_plan(*, plan: Plan, choices: Choices, actor, filename: str) -> dict:
    """Write a checked plan in one transaction with one audit entry; all or nothing.

    A plan with errors or unanswered questions is refused (ValidationError). An entry is
    written even when nothing changed, so the list shows that the file was imported.
    """
    if plan.has_errors:
        raise ValidationError(_("表格中还有错误，修改后重新上传。"))
    problems = plan.check_choices(choices)
    if problems:
        raise ValidationError(problems)
    _require_organiser(actor, plan.scope)
    try:
        with transaction.atomic():
            if plan.kind == ImportKind.ORGANISATION:
                written = apply_organisation(plan=plan)
                action = OrganisationAction.IMPORT_ORGANISATION
            else:
                written = apply_members(plan=plan, choices=choices)
                action = OrganisationAction.IMPORT_MEMBERS
            organisation_change_record(
                actor=actor,
                action=action,
                committee=plan.scope,
                subject=filename,
                changes={
                    str(_("新增")): str(written["new"]),
                    str(_("修改")): str(written["changed"]),
                    str(_("不变")): str(plan.counts()[ImportRowStatus.UNCHANGED]),
                    **(
                        {str(_("移出在册")): str(written["rolled_off"])}
                        if "rolled_off" in written
                        else {}
                    ),
                },
            )
    except DatabaseError as error:
        raise ValidationError(
            _("写入时数据库拒绝了其中一行，全部未导入：%(error)s") % {"error": error}
        ) from error
    return _outcome(plan, written)


@transaction.atomic
def import_batch_create(
    *, kind: str, committee: Committee, filename: str, content: bytes, full_roster: bool, actor
) -> ImportBatch:
    """Keep an uploaded file for its preview. A file refused as a whole raises
    ImportRefused and nothing is stored."""
    _require_organiser(actor, committee)
    read_import(kind=kind, content=content, filename=filename)
    return ImportBatch.objects.create(
        kind=kind,
        committee=committee,
        filename=filename[:255],
        content=content,
        full_roster=full_roster and kind == ImportKind.MEMBERS,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def import_batch_plan(*, batch: ImportBatch) -> Plan:
    return plan_import(
        kind=batch.kind,
        content=bytes(batch.content),
        filename=batch.filename,
        scope=batch.committee,
        full_roster=batch.full_roster,
    )


def _locked_pending(batch: ImportBatch) -> ImportBatch:
    locked = ImportBatch.objects.select_for_update().select_related("committee").get(pk=batch.pk)
    if locked.status != ImportStatus.PENDING:
        raise ValidationError(
            _("这批导入已%(status)s，不能再操作。") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def import_batch_confirm(
    *, batch: ImportBatch, actor, choices: Choices, fingerprint: str
) -> ImportBatch:
    """Plan the stored file afresh and write it, if it still is the plan the person saw
    (else PlanChanged with the new plan)."""
    locked = _locked_pending(batch)
    _require_organiser(actor, locked.committee)
    plan = import_batch_plan(batch=locked)
    if plan.fingerprint() != fingerprint:
        raise PlanChanged(plan)
    locked.summary = apply_plan(plan=plan, choices=choices, actor=actor, filename=locked.filename)
    locked.status = ImportStatus.APPLIED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["summary", "status", "finished_at"])
    return locked


@transaction.atomic
def import_batch_abandon(*, batch: ImportBatch, actor) -> ImportBatch:
    locked = _locked_pending(batch)
    _require_organiser(actor, locked.committee)
    locked.status = ImportStatus.ABANDONED
    locked.finished_at = timezone.now()
    # Nothing was written from it: the file, phones and all, is not kept.
    locked.content = b""
    locked.save(update_fields=["status", "finished_at", "content"])
    return locked


@transaction.atomic
def import_file_apply(
    *, plan: Plan, choices: Choices, filename: str, content: bytes, actor=None
) -> ImportBatch:
    """The command line's import: write the plan and keep the file as an applied batch."""
    summary = apply_plan(plan=plan, choices=choices, actor=actor, filename=filename)
    return ImportBatch.objects.create(
        kind=plan.kind,
        committee=plan.scope,
        filename=filename[:255],
        content=content,
        full_roster=plan.full_roster,
        status=ImportStatus.APPLIED,
        created_by=actor,
        finished_at=timezone.now(),
        summary=summary,
    )

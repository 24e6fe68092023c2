"""Writes on the review calendar: the monthly theme-party-day reports."""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch, Member
from branches.permissions import can_manage_branch
from pledges.selectors import month_start
from reviews.forms.monthly import REPORT_FIELDS
from reviews.models import MonthlyReport


@dataclass(frozen=True)
class MonthlySaveResult:
    created: int = 0
    updated: int = 0
    cleared: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.cleared)


@transaction.atomic
def monthly_reports_save(
    *,
    branch: Branch,
    month: datetime.date,
    actor,
    entries: Iterable[Mapping],
) -> MonthlySaveResult:
    """Save the month's sheet of the branch in one transaction.

    Each entry names a `member_id` and holds `service_done`, `problems`, `next_steps`.
    A member with nothing written and no report gets no row; a report whose text
    changed is updated and recorded as the actor's; a report emptied of all three is
    removed, since an empty report is no report. Every member must be an active
    member of the branch, or nothing is saved.
    """
    if not can_manage_branch(actor, branch):
        raise PermissionDenied(_("主题党日汇报由本支部书记填写；上级党组织只能查看。"))
    if month != month_start(month):
        raise ValidationError(_("月份须记为该月第一天。"))
    if month > month_start(timezone.localdate()):
        raise ValidationError(_("还没到这个月，不能填写汇报。"))

    rows = {}
    for entry in entries:
        member_id = entry["member_id"]
        if member_id in rows:
            raise ValidationError(_("同一名党员出现了两次，请刷新页面后重新填写。"))
        rows[member_id] = {name: (entry.get(name) or "").strip() for name in REPORT_FIELDS}

    # One save at a time per branch: two people saving the same sheet never race
    # to create the same member's report.
    list(Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk"))
    active = set(
        Member.objects.filter(branch=branch, is_active=True, pk__in=rows).values_list(
            "pk", flat=True
        )
    )
    if set(rows) - active:
        raise ValidationError(_("有党员不是本支部的在册党员，汇报未保存。"))

    existing = {
        report.member_id: report
        for report in MonthlyReport.objects.filter(member_id__in=rows, month=month)
    }
    now = timezone.now()
    to_create, to_update, to_clear = [], [], []
    for member_id, values in rows.items():
        report = existing.get(member_id)
        if report is None:
            if any(values.values()):
                to_create.append(
                    MonthlyReport(member_id=member_id, month=month, recorded_by=actor, **values)
                )
        elif not any(values.values()):
            to_clear.append(report.pk)
        elif any(getattr(report, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(report, name, value)
            report.recorded_by = actor
            report.updated_at = now
            to_update.append(report)

    MonthlyReport.objects.bulk_create(to_create)
    if to_update:
        MonthlyReport.objects.bulk_update(to_update, [*REPORT_FIELDS, "recorded_by", "updated_at"])
    if to_clear:
        MonthlyReport.objects.filter(pk__in=to_clear).delete()
    if to_create or to_update or to_clear:
        # Members without this month's report are on the secretary's to-do.
        Branch.objects.filter(pk=branch.pk).mark_workspace_changed()
    return MonthlySaveResult(created=len(to_create), updated=len(to_update), cleared=len(to_clear))

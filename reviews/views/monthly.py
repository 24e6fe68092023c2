"""The monthly theme-party-day report (主题党日汇报): the secretary fills in the sheet,
committee staff above read it."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.permissions import can_manage_branch
from pledges.selectors import branch_for, month_start
from reviews.forms.monthly import REPORT_FIELDS, MonthlyReportFormSet
from reviews.selectors.monthly import monthly_sheet, next_month
from reviews.services import monthly_reports_save

# The earliest month the sheet can be opened for.
FIRST_YEAR = 1900


def _month_from_url(year: int | None, month: int | None) -> datetime.date:
    today = timezone.localdate()
    if year is None:
        return month_start(today)
    try:
        if year < FIRST_YEAR:
            raise ValueError(year)
        return datetime.date(year, month, 1)
    except (ValueError, OverflowError):
        raise Http404(_("没有这个月份。")) from None


def _month_url(branch, month: datetime.date):
    return redirect("reviews:monthly_report_month", branch.pk, month.year, month.month)


def _sheet_formset(request, sheet):
    """The sheet's formset: one form per active member, keyed by a hidden member id,
    pre-filled with this month's report."""
    initial = []
    for member in sheet.members:
        report = sheet.reports.get(member.pk)
        texts = {name: getattr(report, name) if report else "" for name in REPORT_FIELDS}
        initial.append({"member_id": member.pk, **texts})
    return MonthlyReportFormSet(
        request.POST if request.method == "POST" else None,
        initial=initial,
        prefix="reports",
        form_kwargs={
            "members": {member.pk: member for member in sheet.members},
            # Every row is checked, even one sent back unchanged.
            "empty_permitted": False,
        },
    )


def _rows(sheet, formset) -> list[dict]:
    """One row per member shown: the member, the form (None when read-only), this
    month's and last month's reports."""
    if formset is None:
        pairs = [(member, None) for member in sheet.members]
    else:
        pairs = [(form.member, form) for form in formset.forms]
    return [
        {
            "member": member,
            "form": form,
            "report": sheet.reports.get(member.pk) if member else None,
            "last": sheet.last_reports.get(member.pk) if member else None,
        }
        for member, form in pairs
    ]


def _report_saved(request, result) -> None:
    if not result.changed:
        messages.info(request, _("没有改动，无需保存。"))
        return
    text = _("已保存：新填 %(created)s 人，修改 %(updated)s 人，清空 %(cleared)s 人。")
    counts = {"created": result.created, "updated": result.updated, "cleared": result.cleared}
    messages.success(request, text % counts)


@login_required
def monthly_report(request, branch_id: int, year: int | None = None, month: int | None = None):
    branch = branch_for(user=request.user, branch_id=branch_id)
    shown = _month_from_url(year, month)
    this_month = month_start(timezone.localdate())
    is_future = shown > this_month
    can_manage = can_manage_branch(request.user, branch)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("主题党日汇报由本支部书记填写；上级党组织只能查看。"))
        if is_future:
            messages.error(request, _("还没到这个月，不能填写汇报。"))
            return _month_url(branch, shown)

    sheet = monthly_sheet(branch=branch, month=shown)
    formset = _sheet_formset(request, sheet) if can_manage and not is_future else None
    if formset is not None and formset.is_bound:
        if formset.is_valid():
            try:
                result = monthly_reports_save(
                    branch=branch,
                    month=shown,
                    actor=request.user,
                    entries=[form.cleaned_data for form in formset.forms],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                _report_saved(request, result)
                return _month_url(branch, shown)
        else:
            messages.error(request, _("有填写错误，汇报未保存，请查看下方提示。"))

    return render(
        request,
        "reviews/monthly_report.html",
        {
            "branch": branch,
            "sheet": sheet,
            "formset": formset,
            "rows": _rows(sheet, formset),
            "month": shown,
            "previous_month": sheet.previous_month,
            "next_month": next_month(shown) if shown < this_month else None,
            "this_month": this_month,
            "is_future": is_future,
            "can_manage": can_manage,
        },
    )

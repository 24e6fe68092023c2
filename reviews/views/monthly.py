"""The monthly theme-party-day report (主题党日汇报): the secretary fills it in, committee
staff above read it. Two ways to the same reports: one member at a time (逐人填写, the
navigation's way, made for a phone) and the whole sheet on one screen (一屏填写)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from branches.models import Member
from branches.permissions import can_manage_branch
from pledges.selectors import branch_for, month_start
from reviews.forms.monthly import REPORT_FIELDS, MonthlyReportForm, MonthlyReportFormSet
from reviews.selectors.monthly import MonthlySheet, monthly_sheet, next_month
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


# ---------------------------------------------------------------------------
# One member at a time (逐人填写)
# ---------------------------------------------------------------------------
def _member_url(branch, month: datetime.date, member) -> str:
    return reverse("reviews:monthly_member", args=[branch.pk, month.year, month.month, member.pk])


def _member_saved(request, member, result) -> None:
    if result.created:
        text = _("已保存%(name)s的汇报。")
    elif result.updated:
        text = _("已修改%(name)s的汇报。")
    elif result.cleared:
        text = _("已清空%(name)s的汇报。")
    else:
        text = _("%(name)s的汇报没有改动。")
    messages.success(request, text % {"name": member.name})


def _after_save(request, sheet: MonthlySheet, member, form) -> Member:
    """Where to go once the member's report is saved: the next member without a report,
    or this member again (saying so) when everyone has reported."""
    reported = set(sheet.reports)
    if any(form.cleaned_data[name].strip() for name in REPORT_FIELDS):
        reported.add(member.pk)
    else:
        reported.discard(member.pk)
    following = sheet.next_to_report(after=member, reported_ids=reported)
    if following is None:
        text = _("本月 %(count)s 名党员的汇报都已填写。")
        messages.info(request, text % {"count": len(sheet.members)})
    return following or member


def _member_page(request, *, branch, sheet: MonthlySheet, member, can_manage: bool):
    """The page of one member's report (or of the first to fill in, when the address names
    no member): the form, or the text for those who only read it; last month's report;
    the roll to jump along, and how many have reported."""
    this_month = month_start(timezone.localdate())
    month = sheet.month
    is_future = month > this_month
    form = None
    if member is not None and can_manage and not is_future:
        report = sheet.reports.get(member.pk)
        initial = {name: getattr(report, name) for name in REPORT_FIELDS} if report else {}
        form = MonthlyReportForm(
            request.POST if request.method == "POST" else None, initial=initial
        )
    if form is not None and form.is_bound and form.is_valid():
        try:
            result = monthly_reports_save(
                branch=branch,
                month=month,
                actor=request.user,
                entries=[{"member_id": member.pk, **form.cleaned_data}],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _member_saved(request, member, result)
            return redirect(_member_url(branch, month, _after_save(request, sheet, member, form)))

    before, after = sheet.neighbours(member) if member is not None else (None, None)
    return render(
        request,
        "reviews/monthly_report_member.html",
        {
            "branch": branch,
            "sheet": sheet,
            "member": member,
            "form": form,
            "report": sheet.reports.get(member.pk) if member else None,
            "last": sheet.last_reports.get(member.pk) if member else None,
            "position": sheet.members.index(member) + 1 if member else 0,
            "before": before,
            "after": after,
            "month": month,
            "previous_month": sheet.previous_month,
            "next_month": next_month(month) if month < this_month else None,
            "this_month": this_month,
            "is_future": is_future,
            "can_manage": can_manage,
        },
    )


@login_required
@require_safe
def monthly_members(request, branch_id: int, year: int | None = None, month: int | None = None):
    """One member at a time, from the first in roll order without a report this month
    (the first member when all have one)."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    sheet = monthly_sheet(branch=branch, month=_month_from_url(year, month))
    member = sheet.next_to_report() or next(iter(sheet.members), None)
    can_manage = can_manage_branch(request.user, branch)
    return _member_page(request, branch=branch, sheet=sheet, member=member, can_manage=can_manage)


@login_required
def monthly_member(request, branch_id: int, year: int, month: int, member_id: int):
    """One active member's report of the month. Saving stores this member's alone, through
    the same service as the sheet, and goes on to the next member without a report."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    shown = _month_from_url(year, month)
    can_manage = can_manage_branch(request.user, branch)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("主题党日汇报由本支部书记填写；上级党组织只能查看。"))
        if shown > month_start(timezone.localdate()):
            messages.error(request, _("还没到这个月，不能填写汇报。"))
            return redirect(request.path)
    sheet = monthly_sheet(branch=branch, month=shown)
    member = sheet.member(member_id)
    if member is None:
        raise Http404(_("本支部没有这名在册党员。"))
    return _member_page(request, branch=branch, sheet=sheet, member=member, can_manage=can_manage)

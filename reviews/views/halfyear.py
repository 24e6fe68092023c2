"""The half-year check (半年党委销号制): cross off completed pledges, and the notice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.http import parse_id, parse_ids, this_page_url
from branches.permissions import staff_committee_paths
from pledges.enums import PledgeStatus
from pledges.workflow import DONE_STATUSES
from reviews.enums import NoticeStatus
from reviews.forms.quarterly import NoticeForm, ScopeFilterForm
from reviews.models import HalfYearNotice
from reviews.selectors.calendar import (
    check_period,
    committee_for,
    completed_pledges,
    half_year_end,
    halfyear_pledges,
    staff_branch_for,
    staff_branches,
    staff_filter_choices,
)
from reviews.services import halfyear as services

PLEDGES_PER_PAGE = 100


def _require_staff(user) -> None:
    if not staff_committee_paths(user):
        raise PermissionDenied(_("半年销号由党委工作人员进行。"))


@login_required
def halfyear(request, year: int):
    """Every pledge of the subtree due by June 30, by branch; completed ones can be
    crossed off together."""
    check_period(year)
    _require_staff(request.user)
    branches = staff_branches(user=request.user)
    branch = None
    if request.GET.get("branch"):
        branch = staff_branch_for(user=request.user, branch_id=request.GET["branch"])
        branches = branches.filter(pk=branch.pk)
    page = Paginator(halfyear_pledges(branches=branches, year=year), PLEDGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/halfyear/halfyear.html",
        {
            "year": year,
            "branch": branch,
            "page_obj": page,
            "pledges": list(page),
            "due": half_year_end(year),
            "today": timezone.localdate(),
            "completed": PledgeStatus.COMPLETED,
            "done_statuses": [str(status) for status in DONE_STATUSES],
            "back": request.get_full_path(),
        },
    )


@login_required
@require_POST
def halfyear_verify(request, year: int):
    check_period(year)
    _require_staff(request.user)
    ids = parse_ids(request.POST.getlist("pledges"))
    back = reverse("reviews:halfyear", args=(year,))
    if parse_id(request.POST.get("branch")) is not None:
        back += f"?branch={parse_id(request.POST['branch'])}"
    if not ids:
        messages.error(request, _("请先勾选要销号的承诺。"))
        return redirect(back)
    _report_verified(
        request, services.halfyear_verify(pledge_ids=ids, year=year, actor=request.user)
    )
    return redirect(back)


def _report_verified(request, result) -> None:
    if result.verified:
        messages.success(request, _("已销号 %(count)s 项承诺。") % {"count": result.verified})
    for title, reason in result.refusals:
        messages.error(
            request, _("“%(title)s”未销号：%(reason)s") % {"title": title, "reason": reason}
        )


@login_required
def cross_off(request):
    """Completed pledges of the subtree, of any year, crossed off (销号) together at any
    time: filters by committee and branch, a hundred a page, all ticked to start with."""
    _require_staff(request.user)
    if request.method == "POST":
        ids = parse_ids(request.POST.getlist("pledges"))
        if not ids:
            messages.error(request, _("请先勾选要销号的承诺。"))
        else:
            _report_verified(request, services.pledges_verify(pledge_ids=ids, actor=request.user))
        return HttpResponseRedirect(this_page_url(request))
    committees, branches = staff_filter_choices(user=request.user)
    form = ScopeFilterForm(request.GET or None, committees=committees, branches=branches)
    pledges = form.narrow(completed_pledges(branches=staff_branches(user=request.user)))
    page = Paginator(pledges, PLEDGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/halfyear/cross_off.html",
        {"form": form, "page_obj": page, "pledges": list(page), "today": timezone.localdate()},
    )


@login_required
def notice_edit(request, year: int):
    """The committee's notice of the year: before it is drafted, the text a draft would
    have and a 起草通报 button (a GET never writes); then editable while a draft,
    read-only and public once published."""
    check_period(year)
    _require_staff(request.user)
    committee = committee_for(user=request.user, committee_id=request.GET.get("committee"))
    here = f"{request.path}?committee={committee.pk}"
    notice = HalfYearNotice.objects.filter(committee=committee, year=year).first()
    if notice is None:
        if request.method == "POST":
            messages.error(request, _("请先起草通报。"))
            return redirect(here)
        preview = services.notice_draft_text(
            committee=committee, year=year, today=timezone.localdate()
        )
        return render(
            request,
            "reviews/halfyear/notice.html",
            {"year": year, "committee": committee, "notice": None, "preview": preview},
        )
    is_draft = notice.status == NoticeStatus.DRAFT
    form = NoticeForm(request.POST or None, instance=notice) if is_draft else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("通报已发布，不能再修改。"))
            return redirect(here)
        if form.is_valid():
            try:
                services.notice_edit(notice=notice, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("通报已保存。"))
                return redirect(here)
    public_url = (
        request.build_absolute_uri(reverse("reviews_public:notice", args=(notice.pk,)))
        if not is_draft
        else ""
    )
    return render(
        request,
        "reviews/halfyear/notice.html",
        {
            "year": year,
            "committee": committee,
            "notice": notice,
            "form": form,
            "public_url": public_url,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


def _notice_url(year: int, committee) -> str:
    return reverse("reviews:notice_edit", args=(year,)) + f"?committee={committee.pk}"


@login_required
@require_POST
def notice_draft(request, year: int):
    """起草通报: write the committee's draft from the data (or keep the one there is)."""
    check_period(year)
    _require_staff(request.user)
    committee = committee_for(user=request.user, committee_id=request.POST.get("committee"))
    services.notice_generate(committee=committee, year=year, actor=request.user)
    messages.success(request, _("已根据数据起草通报，可修改后发布。"))
    return redirect(_notice_url(year, committee))


@login_required
@require_POST
def notice_publish(request, year: int):
    check_period(year)
    _require_staff(request.user)
    committee = committee_for(user=request.user, committee_id=request.POST.get("committee"))
    notice = HalfYearNotice.objects.filter(committee=committee, year=year).first()
    if notice is None:
        messages.error(request, _("请先起草通报。"))
        return redirect(_notice_url(year, committee))
    try:
        services.notice_publish(notice=notice, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("通报已发布，已在公示网站显示。"))
    return redirect(_notice_url(year, committee))

"""Year-end evaluation (年终评议): ratings, confirmation, publication, the points ledger,
the award and accountability lists and the export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.http import parse_ids, this_page_url
from branches.models import Branch
from branches.permissions import staff_committee_paths
from branches.xlsx import workbook_response
from pledges.selectors import member_for, pledge_for
from pledges.workflow import TransitionNotAllowed
from reviews.enums import ReviewRating
from reviews.forms.quarterly import ScopeFilterForm
from reviews.forms.yearend import EvaluationForm, EvaluationRowForm
from reviews.models import YearEndEvaluation
from reviews.selectors.calendar import staff_filter_choices
from reviews.selectors.yearend import (
    RATEABLE_STATUSES,
    can_rate,
    export_sheets,
    points_ledger,
    yearend_lists,
    yearend_page,
    yearend_pledges,
    yearend_status_choices,
    yearend_status_filters,
)
from reviews.services.yearend import (
    EvaluationBatchRefused,
    EvaluationEntry,
    evaluation_record,
    evaluations_confirm,
    evaluations_record_many,
    feedback_counts,
    yearend_publish,
)

FIRST_YEAR = 2000


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404(_("没有这个年度。"))


def _require_staff(user) -> None:
    if not staff_committee_paths(user):
        raise PermissionDenied(_("只有上级党组织才能进行此项操作。"))


def _yearend_url(year: int, anchor: str = "") -> str:
    url = reverse("reviews:yearend", args=[year])
    return f"{url}#{anchor}" if anchor else url


@login_required
def yearend(request, year: int):
    """The year-end table: one row per pledge the person rates (filters by committee,
    branch and status; paginated), the rating preselected from the rules' suggestion
    and marked 建议, a confirm box per row; one save writes the confirmed rows, all or
    nothing."""
    _check_year(year)
    user = request.user
    is_staff = bool(staff_committee_paths(user))
    if not is_staff and not Branch.objects.filter(secretary=user).exists():
        raise PermissionDenied(_("年终评议由支部书记和上级党组织进行。"))
    filters = None
    if is_staff:
        committees, branches = staff_filter_choices(user=user)
        filters = ScopeFilterForm(
            request.GET or None,
            committees=committees,
            branches=branches,
            statuses=yearend_status_choices(),
        )
    status_filters = yearend_status_filters(year=year)
    data = yearend_page(
        user=user,
        year=year,
        page_number=request.GET.get("page"),
        narrow=(lambda qs: filters.narrow(qs, status_filters=status_filters)) if filters else None,
    )
    status = 200
    posted = request.POST if request.method == "POST" else None
    if posted is not None:
        saved = _save_confirmed(request, year=year)
        if saved:
            return HttpResponseRedirect(this_page_url(request))
        status = 400
    confirmed = set(posted.getlist("confirm")) if posted is not None else set()
    for pledge in data.page.object_list:
        prefix = f"p{pledge.pk}"
        pledge.chosen_rating = (
            posted.get(f"{prefix}-organisation_rating")
            if posted is not None
            else (pledge.evaluation.organisation_rating if pledge.evaluation else pledge.suggestion)
        )
        pledge.typed_comment = posted.get(f"{prefix}-comment", "") if posted is not None else ""
        pledge.confirmed = str(pledge.pk) in confirmed
    return render(
        request,
        "reviews/yearend/page.html",
        {"year": year, "data": data, "ratings": ReviewRating.choices, "filters": filters},
        status=status,
    )


def _save_confirmed(request, *, year: int) -> bool:
    """Write the confirmed rows of the posted table; True when saved (or nothing to
    save), False after a refusal, which is put in the messages."""
    ids = parse_ids(request.POST.getlist("confirm"))
    if not ids:
        messages.error(request, _("请先勾选要确认的评议。"))
        return False
    pledges = list(
        yearend_pledges(user=request.user, year=year)
        .filter(pk__in=ids)
        .select_related("owner_branch__committee", "member")
        .order_by("pk")
    )
    if len(pledges) != len(set(ids)):
        messages.error(request, _("所选承诺不在本年度评议范围内，请刷新后重试。"))
        return False
    entries = []
    for pledge in pledges:
        form = EvaluationRowForm(request.POST, prefix=f"p{pledge.pk}")
        if not form.is_valid():
            errors = "；".join(error for errors in form.errors.values() for error in errors)
            messages.error(
                request,
                _("“%(title)s”：%(errors)s 本次评议均未保存。")
                % {"title": pledge.title, "errors": errors},
            )
            return False
        entries.append(
            EvaluationEntry(
                pledge=pledge,
                organisation_rating=ReviewRating(form.cleaned_data["organisation_rating"]),
                comment=form.cleaned_data["comment"],
            )
        )
    try:
        written = evaluations_record_many(entries=entries, actor=request.user)
    except EvaluationBatchRefused as refusal:
        messages.error(
            request,
            _("“%(title)s”未能评议：%(reason)s 本次评议均未保存。")
            % {"title": refusal.pledge.title, "reason": refusal.reason},
        )
        return False
    messages.success(
        request,
        _("已保存 %(count)s 项评议（确认 %(confirmed)s 项，其余与原评议相同）。")
        % {"count": len(written), "confirmed": len(entries)},
    )
    return True


@login_required
def yearend_evaluate(request, pledge_id: int, year: int):
    """The rating of one pledge: a small page for GET and for a form sent back with
    errors; a valid POST records the rating and returns to the year's list."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if pledge.year != year:
        raise Http404(_("该承诺不属于这个年度。"))
    if not can_rate(request.user, pledge):
        if pledge.member_id:
            raise PermissionDenied(_("党员承诺由所在党支部书记评议。"))
        raise PermissionDenied(_("支部承诺由上级党组织评议。"))
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = evaluation_record(
                pledge=pledge,
                actor=request.user,
                organisation_rating=form.cleaned_data["organisation_rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except TransitionNotAllowed as error:
            form.add_error(None, error.message)
        else:
            text = _("已评议“%(title)s”：综合得分 %(score)s，结果“%(result)s”。")
            messages.success(
                request,
                text
                % {
                    "title": pledge.title,
                    "score": evaluation.result_score,
                    "result": evaluation.get_result_display(),
                },
            )
            return redirect(_yearend_url(year, f"pledge-{pledge.pk}"))
    history = (
        YearEndEvaluation.objects.filter(pledge=pledge, year=year)
        .select_related("evaluated_by")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "reviews/yearend/evaluate.html",
        {
            "year": year,
            "pledge": pledge,
            "form": form,
            "feedback": feedback_counts(pledge=pledge),
            "history": list(history),
            "is_rateable": pledge.status in RATEABLE_STATUSES,
        },
    )


@login_required
@require_POST
def yearend_confirm(request, year: int):
    _check_year(year)
    _require_staff(request.user)
    result = evaluations_confirm(actor=request.user, year=year)
    if result.moved:
        messages.success(
            request, _("已确认 %(count)s 项承诺的评议结果。") % {"count": result.moved}
        )
    elif not result.refused:
        messages.info(request, _("没有待确认的评议结果。"))
    for pledge, reason in result.refused:
        messages.error(
            request,
            _("“%(title)s”未能确认：%(reason)s") % {"title": pledge.title, "reason": reason},
        )
    return redirect(_yearend_url(year))


@login_required
@require_POST
def yearend_publish_view(request, year: int):
    _check_year(year)
    _require_staff(request.user)
    try:
        result = yearend_publish(actor=request.user, year=year)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _(
            "已公示 %(evaluations)s 项评议结果，记入积分 %(points)s 条，"
            "为 %(grades)s 个党支部定级。"
        )
        messages.success(
            request,
            text
            % {"evaluations": result.evaluations, "points": result.points, "grades": result.grades},
        )
        if result.members_skipped or result.branches_skipped:
            text = _(
                "此前已计算过的 %(members)s 名党员的积分和 %(branches)s 个支部的定级未重复计算。"
            )
            messages.info(
                request,
                text % {"members": result.members_skipped, "branches": result.branches_skipped},
            )
    return redirect(_yearend_url(year))


@login_required
def points(request, member_id: int, year: int):
    _check_year(year)
    member = member_for(user=request.user, member_id=member_id)
    return render(
        request,
        "reviews/yearend/points.html",
        {"year": year, "ledger": points_ledger(member=member, year=year)},
    )


@login_required
def lists(request, year: int):
    _check_year(year)
    _require_staff(request.user)
    return render(
        request,
        "reviews/yearend/lists.html",
        {
            "year": year,
            "lists": yearend_lists(user=request.user, year=year, today=timezone.localdate()),
        },
    )


@login_required
def export(request, year: int):
    _check_year(year)
    _require_staff(request.user)
    filename = _("年终评议-%(year)s.xlsx") % {"year": year}
    return workbook_response(filename=filename, sheets=export_sheets(user=request.user, year=year))

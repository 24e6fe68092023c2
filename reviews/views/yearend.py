"""Year-end evaluation (年终评议): ratings, confirmation, publication, the points ledger,
the award and accountability lists and the export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import Branch
from branches.permissions import staff_committee_paths
from pledges.selectors import member_for, pledge_for
from pledges.workflow import TransitionNotAllowed
from reviews.enums import ReviewRating
from reviews.forms.yearend import EvaluationForm
from reviews.models import YearEndEvaluation
from reviews.selectors.yearend import (
    RATEABLE_STATUSES,
    can_rate,
    export_sheets,
    points_ledger,
    yearend_lists,
    yearend_page,
)
from reviews.services.yearend import (
    evaluation_record,
    evaluations_confirm,
    feedback_counts,
    yearend_publish,
)
from reviews.xlsx import workbook_response

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
    _check_year(year)
    user = request.user
    if not staff_committee_paths(user) and not Branch.objects.filter(secretary=user).exists():
        raise PermissionDenied(_("年终评议由支部书记和上级党组织进行。"))
    return render(
        request,
        "reviews/yearend/page.html",
        {
            "year": year,
            "data": yearend_page(user=user, year=year, page_number=request.GET.get("page")),
            "ratings": ReviewRating.choices,
        },
    )


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

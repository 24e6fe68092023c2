"""The quarterly review (季度讲评): the branch's briefing to its members, the upper
organisation's review of each branch pledge, the sign-off and the export."""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from branches.http import parse_ids, safe_next_url, this_page_url
from branches.permissions import can_manage_branch, is_upper_staff, staff_committee_paths
from branches.selectors import committees_visible_to
from branches.xlsx import workbook_response
from pledges.enums import PledgeStatus
from pledges.models import Pledge
from pledges.selectors import branch_for, pledge_for
from reviews.forms.quarterly import (
    BriefingForm,
    QuarterlyReviewForm,
    QuarterlyRowForm,
    ScopeFilterForm,
)
from reviews.models import QuarterlyBriefing, QuarterlyReview
from reviews.selectors.calendar import (
    REVIEWABLE_STATUSES,
    check_period,
    committee_for,
    current_reviews,
    quarter_is_signed_off,
    review_chain,
    reviewable_pledges,
    signed_off_under,
    signed_paths,
    staff_branch_choices,
    staff_branch_for,
    staff_branches,
)
from reviews.services.quarterly import (
    CORRECTED,
    CREATED,
    UNCHANGED,
    UPDATED,
    ReviewBatchRefused,
    ReviewEntry,
    quarter_start,
    quarterly_briefing_save,
    quarterly_review_save,
    quarterly_reviews_save_many,
)
from reviews.services.quarterly import quarter_sign_off as quarter_sign_off_service

PLEDGES_PER_PAGE = 50
# The status filter's two choices about the review itself (the others are pledge statuses).
UNREVIEWED, REVIEWED = "unreviewed", "reviewed"

SAVED_MESSAGES = {
    CREATED: gettext_lazy("讲评已保存。"),
    UPDATED: gettext_lazy("讲评已修改。"),
    CORRECTED: gettext_lazy("本季度已签署，已另存一条更正记录。"),
    UNCHANGED: gettext_lazy("没有改动，无需保存。"),
}


def _require_staff(user) -> None:
    if not staff_committee_paths(user):
        raise PermissionDenied(_("季度讲评由党委工作人员进行。"))


# ---------------------------------------------------------------- the branch's side


@login_required
def briefing(request, branch_id: int, year: int, quarter: int):
    """The branch's briefing of the quarter: the secretary writes it until the quarter
    is signed off; staff above read it."""
    check_period(year, quarter)
    branch = branch_for(user=request.user, branch_id=branch_id)
    signed = quarter_is_signed_off(committee=branch.committee, year=year, quarter=quarter)
    can_write = can_manage_branch(request.user, branch) and not signed
    if request.method == "POST" and not can_write:
        if signed:
            messages.error(request, _("本季度讲评已签署，不能再修改。"))
            return redirect("reviews:briefing", branch.pk, year, quarter)
        raise PermissionDenied(_("支部季度讲评由本支部书记填写；上级党组织只能查看。"))
    existing = QuarterlyBriefing.objects.filter(branch=branch, year=year, quarter=quarter).first()
    form = None
    if can_write:
        form = BriefingForm(request.POST or None, instance=existing)
        if form.is_bound and form.is_valid():
            try:
                quarterly_briefing_save(
                    branch=branch,
                    year=year,
                    quarter=quarter,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    form.add_error(None, error)
                else:
                    messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("支部季度讲评已保存。"))
                return redirect("reviews:briefing", branch.pk, year, quarter)
    pledges = Pledge.objects.filter(branch=branch, year=year).order_by("due_date", "pk")
    return render(
        request,
        "reviews/quarterly/briefing.html",
        {
            "branch": branch,
            "year": year,
            "quarter": quarter,
            "briefing": existing,
            "form": form,
            "signed": signed,
            "pledges": pledges,
            "is_upper_staff": is_upper_staff(request.user, branch),
        },
    )


# ---------------------------------------------------------------- the upper side


def _status_choices():
    return [
        (UNREVIEWED, gettext_lazy("未讲评")),
        (REVIEWED, gettext_lazy("已讲评")),
        *[(str(status), status.label) for status in PledgeStatus if status in REVIEWABLE_STATUSES],
    ]


def _status_filters(*, year: int, quarter: int) -> dict:
    reviewed = Exists(
        QuarterlyReview.objects.filter(pledge=OuterRef("pk"), year=year, quarter=quarter)
    )
    filters = {UNREVIEWED: ~reviewed, REVIEWED: reviewed}
    filters.update({str(status): Q(status=status) for status in REVIEWABLE_STATUSES})
    return filters


@login_required
def quarterly(request, year: int, quarter: int):
    """The quarter's review table: one row per branch pledge of the person's subtree
    (filters by committee, branch and status; paginated), a rating, on schedule or not
    and a folded comment each, and one save for the page, all or nothing."""
    check_period(year, quarter)
    _require_staff(request.user)
    today = timezone.localdate()
    branches = staff_branches(user=request.user)
    branch = None
    if request.GET.get("branch"):
        branch = staff_branch_for(user=request.user, branch_id=request.GET["branch"])
    committees = list(committees_visible_to(request.user))
    filters = ScopeFilterForm(
        request.GET or None,
        committees=[(c.pk, c.name) for c in committees],
        branches=staff_branch_choices(user=request.user),
        statuses=_status_choices(),
    )
    pledges = filters.narrow(
        reviewable_pledges(branches=branches, year=year),
        status_filters=_status_filters(year=year, quarter=quarter),
    )
    page = Paginator(pledges, PLEDGES_PER_PAGE).get_page(request.GET.get("page"))
    started = quarter_start(year, quarter) <= today
    if request.method == "POST":
        if not started:
            messages.error(request, _("本季度尚未开始，不能讲评。"))
            return HttpResponseRedirect(this_page_url(request))
        ids = parse_ids(request.POST.getlist("pledges"))
        rows_of = list(reviewable_pledges(branches=branches, year=year).filter(pk__in=ids))
    else:
        rows_of = list(page)
    reviews = current_reviews(pledge_ids=[p.pk for p in rows_of], year=year, quarter=quarter)
    signed = signed_paths(year=year, quarter=quarter)
    data = request.POST if request.method == "POST" else None
    rows = [
        {
            "pledge": pledge,
            "review": reviews.get(pledge.pk),
            "signed": signed_off_under(pledge.owner_branch.committee.path, signed),
            "form": QuarterlyRowForm(
                data,
                prefix=f"p{pledge.pk}",
                initial=QuarterlyRowForm.initial_for(
                    reviews.get(pledge.pk), on_schedule=not pledge.due_date < today
                ),
            ),
        }
        for pledge in rows_of
    ]
    if request.method == "POST" and all([row["form"].is_valid() for row in rows]):
        entries = [
            ReviewEntry(
                pledge=row["pledge"],
                rating=row["form"].cleaned_data["rating"],
                on_schedule=row["form"].cleaned_data["on_schedule"],
                comment=row["form"].cleaned_data["comment"],
            )
            for row in rows
            if row["form"].cleaned_data["rating"]
        ]
        try:
            results = quarterly_reviews_save_many(
                entries=entries, year=year, quarter=quarter, actor=request.user, today=today
            )
        except ReviewBatchRefused as refusal:
            messages.error(
                request,
                _("“%(title)s”未能保存：%(reason)s 本次讲评均未保存。")
                % {"title": refusal.pledge.title, "reason": refusal.reason},
            )
        else:
            _report_saved(request, results)
            return HttpResponseRedirect(this_page_url(request))
    return render(
        request,
        "reviews/quarterly/quarterly.html",
        {
            "year": year,
            "quarter": quarter,
            "branch": branch,
            "filters": filters,
            "page_obj": page,
            "rows": rows,
            "started": started,
            "committees": [
                {
                    "committee": c,
                    "signed": c.path in signed,
                    "covered": signed_off_under(c.path, signed),
                }
                for c in committees
            ],
            "back": request.get_full_path(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _report_saved(request, results) -> None:
    counts = Counter(result.action for result in results)
    changed = counts[CREATED] + counts[UPDATED] + counts[CORRECTED]
    if not changed:
        messages.info(request, SAVED_MESSAGES[UNCHANGED])
        return
    messages.success(
        request,
        _("已保存 %(count)s 项讲评（新增 %(created)s，修改 %(updated)s，更正 %(corrected)s）。")
        % {
            "count": changed,
            "created": counts[CREATED],
            "updated": counts[UPDATED],
            "corrected": counts[CORRECTED],
        },
    )


@login_required
def quarterly_review(request, pledge_id: int, year: int, quarter: int):
    """One pledge's review for the quarter: its history (corrections included) and the
    form; the quarterly page's small forms post here."""
    check_period(year, quarter)
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if not is_upper_staff(request.user, pledge.owner_branch):
        raise PermissionDenied(_("季度讲评由上级党组织工作人员填写。"))
    back = safe_next_url(
        request,
        reverse("reviews:quarterly", args=(year, quarter)) + f"?branch={pledge.owner_branch_id}",
    )
    prefix = f"p{pledge.pk}"
    chain = review_chain(pledge=pledge, year=year, quarter=quarter)
    corrected = {row.corrects_id for row in chain}
    current = next((row for row in reversed(chain) if row.pk not in corrected), None)
    if request.method == "POST":
        form = QuarterlyReviewForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                result = quarterly_review_save(
                    pledge=pledge,
                    year=year,
                    quarter=quarter,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, SAVED_MESSAGES[result.action])
                return HttpResponseRedirect(f"{back}#pledge-{pledge.pk}")
    else:
        form = QuarterlyReviewForm(initial=QuarterlyReviewForm.initial_for(current), prefix=prefix)
    return render(
        request,
        "reviews/quarterly/review.html",
        {
            "pledge": pledge,
            "year": year,
            "quarter": quarter,
            "chain": chain,
            "form": form,
            "signed": quarter_is_signed_off(
                committee=pledge.owner_branch.committee, year=year, quarter=quarter
            ),
            "back": back,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def quarter_sign_off(request, year: int, quarter: int):
    check_period(year, quarter)
    _require_staff(request.user)
    committee = committee_for(user=request.user, committee_id=request.POST.get("committee"))
    try:
        sign_off = quarter_sign_off_service(
            committee=committee, year=year, quarter=quarter, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(committee)s第%(quarter)s季度讲评已签署，此后只能更正。")
            % {"committee": sign_off.committee.name, "quarter": quarter},
        )
    return redirect("reviews:quarterly", year, quarter)


@login_required
def quarterly_export(request, year: int, quarter: int):
    """The quarter's reviews of the person's subtree (or one ?branch=) as .xlsx."""
    check_period(year, quarter)
    _require_staff(request.user)
    branches = staff_branches(user=request.user)
    if request.GET.get("branch"):
        branches = branches.filter(
            pk=staff_branch_for(user=request.user, branch_id=request.GET["branch"]).pk
        )
    pledges = list(reviewable_pledges(branches=branches, year=year))
    reviews = current_reviews(pledge_ids=[p.pk for p in pledges], year=year, quarter=quarter)
    signed = signed_paths(year=year, quarter=quarter)
    headers = [
        _("党支部"),
        _("上级党委"),
        _("承诺事项"),
        _("完成时限"),
        _("状态"),
        _("讲评等次"),
        _("按时间节点推进"),
        _("讲评意见"),
        _("讲评人"),
        _("讲评时间"),
        _("已更正"),
        _("已签署"),
    ]
    rows = []
    for pledge in pledges:
        review = reviews.get(pledge.pk)
        rows.append(
            [
                pledge.owner_branch.name,
                pledge.owner_branch.committee.name,
                pledge.title,
                pledge.due_date,
                pledge.get_status_display(),
                review.get_rating_display() if review else "",
                (_("是") if review.on_schedule else _("否")) if review else "",
                review.comment if review else "",
                review.reviewer.get_username() if review else "",
                timezone.localtime(review.created_at).strftime("%Y-%m-%d %H:%M") if review else "",
                (_("是") if review.corrects_id else _("否")) if review else "",
                _("是")
                if signed_off_under(pledge.owner_branch.committee.path, signed)
                else _("否"),
            ]
        )
    title = _("%(year)s年第%(quarter)s季度讲评") % {"year": year, "quarter": quarter}
    return workbook_response(
        filename=f"quarterly-{year}-q{quarter}.xlsx", sheets=[(title, headers, rows)]
    )

"""研诺: the needs list of a branch. The secretary writes; committee staff above read."""

import functools
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.forms import add_service_error
from branches.http import id_url, safe_next_url
from branches.kept import kept, page_key, page_of
from branches.permissions import can_manage_branch
from pledges.enums import NeedCategory, NeedSource, NeedStatus, PledgeStatus, Urgency
from pledges.forms.needs import NeedForm, NeedMergeForm
from pledges.models import Need, Pledge
from pledges.selectors import URGENCY_RANK, branch_for, label_choices, need_for
from pledges.services import needs as services

NEEDS_PER_PAGE = 40
# The list without a status filter: everything but what was set aside.
CURRENT = "current"


def require_manager(user, branch) -> None:
    if not can_manage_branch(user, branch):
        raise PermissionDenied(_("只有本支部书记可以登记和处理群众需求；上级党组织可以查看。"))


@dataclass
class Claim:
    """A pledge that claims a need, as the needs list shows it (pledges.templatetags.rows)."""

    pk: int
    title: str
    status: str
    status_label: str
    pledger: str | None
    detail_url: str


def _needs_page(*, branch, status: str, category: str, page_number):
    """The chips with their counts (one query) and one page of needs, each with the pledges
    that claim it (`claims`: their pledger, title and status, read as values: two queries:
    rows, claims; the chip counts the pages), their choices labelled (label_choices)."""
    needs = Need.objects.filter(branch=branch)
    if category:
        needs = needs.filter(category=category)
    counts = dict(needs.order_by().values_list("status").annotate(total=Count("pk")))
    chips = [
        {
            "value": CURRENT,
            "label": _("未搁置"),
            "count": sum(counts.values()) - counts.get(NeedStatus.DROPPED, 0),
        },
        *(
            {"value": choice.value, "label": choice.label, "count": counts.get(choice.value, 0)}
            for choice in NeedStatus
        ),
    ]
    for chip in chips:
        chip["current"] = chip["value"] == status
    shown = needs.exclude(status=NeedStatus.DROPPED) if status == CURRENT else needs
    if status != CURRENT:
        shown = shown.filter(status=status)
    shown = shown.order_by(URGENCY_RANK, "created_at", "pk")
    paginator = Paginator(shown, NEEDS_PER_PAGE)
    # The chip of the list shown has counted it already: no COUNT query for the pages.
    paginator.count = next(chip["count"] for chip in chips if chip["current"])
    page = paginator.get_page(page_number)
    needs = list(page)
    label_choices(
        needs, urgency=Urgency, status=NeedStatus, category=NeedCategory, source=NeedSource
    )
    by_need = {need.pk: need for need in needs}
    for need in needs:
        need.claims = []
    if needs:
        # A pledge's pledger is its member, else its branch (Pledge.pledger), by name.
        claims = (
            Pledge.needs.through.objects.filter(need__in=list(by_need))
            .order_by("pledge_id")
            .values_list(
                "need_id",
                "pledge_id",
                "pledge__title",
                "pledge__status",
                Coalesce("pledge__member__name", "pledge__branch__name"),
            )
        )
        detail_url = url_of_each("pledges:pledge_detail")
        for need_id, pk, title, pledge_status, pledger in claims:
            by_need[need_id].claims.append(
                Claim(
                    pk=pk,
                    title=title,
                    status=pledge_status,
                    status_label=_status_label(pledge_status),
                    pledger=pledger,
                    detail_url=detail_url(pk),
                )
            )
    return chips, page


def _kept_needs_page(*, branch, status: str, category: str, page_number):
    """_needs_page, counted once per state of the branch (branches.kept): its workspace stamp
    came with the branch's row, read before the needs; every change to its needs and their
    pledges moves it. The page's forms and their tokens are drawn for each request."""

    def count():
        chips, page = _needs_page(
            branch=branch, status=status, category=category, page_number=page_number
        )
        return chips, page.number, list(page.object_list), page.paginator.count

    key = (
        f"needs:{branch.pk}:{branch.workspace_changed_at.isoformat()}:{status}:{category}:"
        f"{page_key(page_number)}:{translation.get_language()}"
    )
    chips, number, rows, total = kept(key, count)
    return chips, page_of(rows, number=number, total=total, per_page=NEEDS_PER_PAGE)


def _status_label(value: str):
    """The status's label, as label_choices gives it (an unknown value as it is)."""
    try:
        return PledgeStatus(value).label
    except ValueError:
        return value


def url_of_each(name: str):
    """reverse(name, args=[pk]) as a function of pk, reversed once (branches.http.id_url)."""
    return functools.partial(id_url, name)


@login_required
def need_list(request, branch_id):
    branch = branch_for(user=request.user, branch_id=branch_id)
    status = request.GET.get("status") or CURRENT
    if status not in NeedStatus.values:
        status = CURRENT
    category = request.GET.get("category", "")
    if category not in NeedCategory.values:
        category = ""
    chips, page = _kept_needs_page(
        branch=branch, status=status, category=category, page_number=request.GET.get("page")
    )
    return render(
        request,
        "pledges/needs/need_list.html",
        {
            "branch": branch,
            "chips": chips,
            "page": page,
            "status": status,
            "category": category,
            "categories": NeedCategory.choices,
            "live_statuses": [value.value for value in services.LIVE_NEED_STATUSES],
            "can_manage": can_manage_branch(request.user, branch),
        },
    )


@login_required
def need_add(request, branch_id):
    branch = branch_for(user=request.user, branch_id=branch_id)
    require_manager(request.user, branch)
    form = NeedForm(request.POST or None, branch=branch)
    if request.method == "POST" and form.is_valid():
        try:
            services.need_create(branch=branch, actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("需求已登记。"))
            if "another" in request.POST:
                return redirect("pledges:need_add", branch.pk)
            return redirect("pledges:needs", branch.pk)
    return render(request, "pledges/needs/need_form.html", {"branch": branch, "form": form})


@login_required
def need_edit(request, need_id):
    need = need_for(user=request.user, need_id=need_id)
    require_manager(request.user, need.branch)
    form = NeedForm(request.POST or None, instance=need, branch=need.branch)
    if request.method == "POST" and form.is_valid():
        try:
            services.need_update(need=need, actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("需求已修改。"))
            return redirect("pledges:needs", need.branch_id)
    return render(
        request,
        "pledges/needs/need_form.html",
        {"branch": need.branch, "form": form, "need": need},
    )


@login_required
def need_merge(request, branch_id):
    """Pick the need to keep and its duplicate (pre-filled from ?needs=<keep>&needs=<dup>,
    as the list's checkboxes send them), then merge them by POST."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    require_manager(request.user, branch)
    if request.method == "POST":
        form = NeedMergeForm(request.POST, branch=branch)
        if form.is_valid():
            try:
                services.need_merge(
                    keep=form.cleaned_data["keep"],
                    duplicate=form.cleaned_data["duplicate"],
                    actor=request.user,
                )
            except (ValidationError, PermissionDenied) as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("两条需求已合并，两处来源都已保留。"))
                return redirect("pledges:needs", branch.pk)
    else:
        chosen = request.GET.getlist("needs")
        initial = dict(zip(("keep", "duplicate"), chosen[:2], strict=False))
        form = NeedMergeForm(initial=initial, branch=branch)
    return render(request, "pledges/needs/need_merge.html", {"branch": branch, "form": form})


def _need_action(request, need_id, service, success: str):
    need = need_for(user=request.user, need_id=need_id)
    require_manager(request.user, need.branch)
    try:
        service(need=need, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, success)
    # Back to the list as it was filtered, when the form says so.
    return HttpResponseRedirect(
        safe_next_url(request, reverse("pledges:needs", args=[need.branch_id]))
    )


@login_required
@require_POST
def need_resolve(request, need_id):
    return _need_action(request, need_id, services.need_resolve, _("需求已标记为已解决。"))


@login_required
@require_POST
def need_drop(request, need_id):
    return _need_action(request, need_id, services.need_drop, _("需求已搁置。"))


@login_required
@require_POST
def need_reopen(request, need_id):
    return _need_action(request, need_id, services.need_reopen, _("需求已恢复到清单中。"))

"""Branch pages and the members of a branch: committee staff read, the secretary writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from branches import services
from branches.forms import ExemptionForm, MemberForm, add_service_error
from branches.models import Branch, Member, Pairing
from branches.permissions import can_manage_branch, staff_committee_paths
from branches.selectors import branches_visible_to, committees_visible_to
from pledges.enums import PledgeStatus
from pledges.selectors import branch_for, branches_with_figures, member_for, secretary_branch
from pledges.workflow import DONE_STATUSES

BRANCHES_PER_PAGE = 30
MEMBERS_PER_PAGE = 50

# Member filters of the members page: key -> (label, queryset filter).
MEMBER_FILTERS = {
    "all": (gettext_lazy("全部"), Q()),
    "active": (gettext_lazy("在册"), Q(is_active=True)),
    "exempt": (gettext_lazy("免于承诺"), Q(is_active=True, is_exempt=True)),
    "inactive": (gettext_lazy("已不在册"), Q(is_active=False)),
}


def _require_manager(user, branch: Branch) -> None:
    if not can_manage_branch(user, branch):
        raise PermissionDenied(_("党员信息由本支部书记录入和修改；上级党组织只能查看。"))


# ---------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------
@login_required
def branch_list(request):
    """Committee staff: the branches of their subtree with their figures."""
    if not staff_committee_paths(request.user):
        own = secretary_branch(user=request.user)
        if own:
            return redirect("branches:branch_detail", own.pk)
        raise PermissionDenied(_("只有党委工作人员可以查看各党支部。"))

    committees = list(committees_visible_to(request.user))
    branches = branches_visible_to(user=request.user)
    committee = next((c for c in committees if str(c.pk) == request.GET.get("committee", "")), None)
    if committee:
        branches = branches.filter(committee__path__startswith=committee.path)
    query = request.GET.get("q", "").strip()
    if query:
        branches = branches.filter(name__icontains=query)
    branches = branches_with_figures(
        branches.select_related("committee", "secretary"), today=timezone.localdate()
    ).order_by("committee__path", "name", "pk")
    page = Paginator(branches, BRANCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/branch_list.html",
        {
            "page_obj": page,
            "committees": committees,
            "committee": committee,
            "query": query,
        },
    )


@login_required
def branch_detail(request, branch_id: int):
    branch = branch_for(user=request.user, branch_id=branch_id)
    today = timezone.localdate()
    figures = (
        branches_with_figures(Branch.objects.filter(pk=branch.pk), today=today)
        .values(
            "active_members",
            "exempt_members",
            "pledged_members",
            "pledges_total",
            "pledges_done",
            "pledges_overdue",
        )
        .get()
    )
    pairings = Pairing.objects.filter(
        Q(office_branch=branch) | Q(village_branch=branch), year=today.year
    ).select_related("office_branch", "village_branch")
    partners = [
        pairing.village_branch if pairing.office_branch_id == branch.pk else pairing.office_branch
        for pairing in pairings
    ]
    return render(
        request,
        "branches/branch_detail.html",
        {
            "branch": branch,
            "figures": figures,
            "partners": partners,
            "year": today.year,
            "can_manage": can_manage_branch(request.user, branch),
        },
    )


# ---------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------
@login_required
def member_list(request, branch_id: int):
    branch = branch_for(user=request.user, branch_id=branch_id)
    show = request.GET.get("show", "all")
    if show not in MEMBER_FILTERS:
        show = "all"
    members = Member.objects.filter(branch=branch).filter(MEMBER_FILTERS[show][1])
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(name__icontains=query)
    members = members.annotate(
        pledge_count=Count("pledges", filter=~Q(pledges__status=PledgeStatus.WITHDRAWN)),
        done_count=Count("pledges", filter=Q(pledges__status__in=DONE_STATUSES)),
        age=ExpressionWrapper(
            Value(timezone.localdate().year) - F("birth_year"), output_field=IntegerField()
        ),
    ).order_by("-is_active", "name", "pk")
    counts = Member.objects.filter(branch=branch).aggregate(
        **{
            key: Count("pk", filter=condition)
            for key, (_label, condition) in MEMBER_FILTERS.items()
        }
    )
    filters = [(key, label, counts[key]) for key, (label, _condition) in MEMBER_FILTERS.items()]
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/member_list.html",
        {
            "branch": branch,
            "page_obj": page,
            "filters": filters,
            "show": show,
            "query": query,
            "can_manage": can_manage_branch(request.user, branch),
        },
    )


@login_required
def member_add(request, branch_id: int):
    branch = branch_for(user=request.user, branch_id=branch_id)
    _require_manager(request.user, branch)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(branch=branch, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已添加党员“%(name)s”。") % {"name": member.name})
            if "add_another" in request.POST:
                return redirect("branches:member_add", branch.pk)
            return redirect("branches:members", branch.pk)
    return render(request, "branches/member_form.html", {"branch": branch, "form": form})


def _render_edit(request, member, *, form=None, exemption_form=None, status=200):
    return render(
        request,
        "branches/member_form.html",
        {
            "branch": member.branch,
            "member": member,
            "form": form or MemberForm(instance=member),
            "exemption_form": exemption_form
            or ExemptionForm(
                initial={
                    "is_exempt": member.is_exempt,
                    "exemption_reason": member.exemption_reason,
                    "exemption_note": member.exemption_note,
                }
            ),
        },
        status=status,
    )


@login_required
def member_edit(request, member_id: int):
    member = member_for(user=request.user, member_id=member_id)
    _require_manager(request.user, member.branch)
    if request.method != "POST":
        return _render_edit(request, member)
    # Bind to a copy: the page keeps showing the stored member while the form is wrong.
    form = MemberForm(request.POST, instance=Member.objects.get(pk=member.pk))
    if form.is_valid():
        try:
            services.member_update(member=member, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已保存“%(name)s”的信息。") % {"name": form.instance.name})
            return redirect("branches:members", member.branch_id)
    return _render_edit(request, member, form=form)


@login_required
@require_POST
def member_exempt(request, member_id: int):
    member = member_for(user=request.user, member_id=member_id)
    _require_manager(request.user, member.branch)
    form = ExemptionForm(request.POST)
    if form.is_valid():
        try:
            member = services.member_set_exemption(
                member=member,
                actor=request.user,
                is_exempt=form.cleaned_data["is_exempt"],
                reason=form.cleaned_data["exemption_reason"],
                note=form.cleaned_data["exemption_note"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if member.is_exempt:
                text = _("已将“%(name)s”标记为免于承诺。")
            else:
                text = _("已取消“%(name)s”的免于承诺。")
            messages.success(request, text % {"name": member.name})
            return redirect("branches:members", member.branch_id)
    return _render_edit(request, member, exemption_form=form)


@login_required
@require_POST
def member_deactivate(request, member_id: int):
    member = member_for(user=request.user, member_id=member_id)
    _require_manager(request.user, member.branch)
    try:
        member = services.member_deactivate(member=member, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("已将“%(name)s”标记为不在册，其承诺和汇报记录保留。") % {"name": member.name},
        )
    return redirect("branches:members", member.branch_id)


@login_required
@require_POST
def member_reactivate(request, member_id: int):
    member = member_for(user=request.user, member_id=member_id)
    _require_manager(request.user, member.branch)
    try:
        member = services.member_reactivate(member=member, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已将“%(name)s”恢复为在册党员。") % {"name": member.name})
    return redirect("branches:members", member.branch_id)

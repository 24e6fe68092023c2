"""Writes on the members of a branch, by its secretary: add, edit, exempt, deactivate,
reactivate, erase a departed member's personal data. The pages that read them with pledge
figures are in pledges/views/branches.py. The edit page shows the member's phone: each
showing is written to the personal-data access log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import services
from branches.enums import PersonalDataAction
from branches.forms import ExemptionForm, MemberForm, add_service_error
from branches.models import Branch, Member
from branches.permissions import can_manage_branch
from branches.selectors import branch_for, member_for
from branches.services.personal_data import personal_data_access_record


def _require_manager(user, branch: Branch) -> None:
    if not can_manage_branch(user, branch):
        raise PermissionDenied(_("党员信息由本支部书记录入和修改；上级党组织只能查看。"))


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
            return redirect("pledges:members", branch.pk)
    return render(request, "branches/member_form.html", {"branch": branch, "form": form})


def _render_edit(request, member, *, form=None, exemption_form=None, status=200):
    personal_data_access_record(
        actor=request.user,
        action=PersonalDataAction.MEMBER_DETAIL_VIEW,
        branch=member.branch,
        subject=f"{member.branch.name} {member.name}",
    )
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
            return redirect("pledges:members", member.branch_id)
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
            return redirect("pledges:members", member.branch_id)
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
    return redirect("pledges:members", member.branch_id)


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
    return redirect("pledges:members", member.branch_id)


@login_required
@require_POST
def member_erase_personal_data(request, member_id: int):
    member = member_for(user=request.user, member_id=member_id)
    _require_manager(request.user, member.branch)
    try:
        member = services.member_erase_personal_data(member=member, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("branches:member_edit", member.pk)
    messages.success(
        request,
        _("已清除“%(name)s”的联系电话、出生年份、入党日期和免于承诺说明；其承诺记录和公示保留。")
        % {"name": member.name},
    )
    return redirect("branches:member_edit", member.pk)

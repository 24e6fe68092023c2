"""Organisation staff's pages (组织部门管理员): the committee tree, branches, pairings, the
audit list and the personal-data access log. Everything is scoped to the person's
subtrees: other objects answer 404, and people without the role 403."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.enums import OrganisationAction, PersonalDataAction
from branches.forms import add_service_error
from branches.forms.organisation import (
    BranchForm,
    CommitteeForm,
    MemberPairingForm,
    PairingForm,
)
from branches.http import parse_id
from branches.models import Branch, Committee
from branches.permissions import is_organisation_staff
from branches.selectors import branch_organised_for, committee_organised_for
from branches.selectors_organisation import (
    change_lines,
    member_pairing_organised_for,
    organisation_branches,
    organisation_changes_for,
    organisation_pairings,
    organisation_todo,
    organisation_tree,
    pairing_organised_for,
    personal_data_accesses_for,
)
from branches.services.branch_records import branch_create, branch_update
from branches.services.committees import (
    committee_close,
    committee_create,
    committee_reopen,
    committee_update,
)
from branches.services.organisers import is_organiser_root
from branches.services.pairings import (
    member_pairing_create,
    member_pairing_delete,
    pairing_create,
    pairing_delete,
)

BRANCHES_PER_PAGE = 50
CHANGES_PER_PAGE = 50

# The pairings page holds two forms with fields of the same names: ids kept apart.
MEMBER_PAIRING_IDS = "id_member_pairing_%s"


def organiser_required(view):
    """Signed in (else the login page) and organisation staff somewhere (else 403)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_organisation_staff(request.user):
            raise PermissionDenied(_("只有组织部门管理员可以管理组织架构和账号。"))
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _refused(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _pk(value) -> int | None:
    return parse_id(str(value or ""))


# ---------------------------------------------------------------------------
# Home: the tree and the to-do
# ---------------------------------------------------------------------------
@organiser_required
def org_home(request):
    return render(
        request,
        "branches/organisation/home.html",
        {
            "tree": organisation_tree(user=request.user),
            "todo": organisation_todo(user=request.user),
        },
    )


# ---------------------------------------------------------------------------
# Committees
# ---------------------------------------------------------------------------
@organiser_required
def org_committee_add(request):
    initial = {}
    parent_id = _pk(request.GET.get("parent"))
    if parent_id:
        initial["parent"] = committee_organised_for(user=request.user, committee_id=parent_id)
    form = CommitteeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            committee = committee_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已新建党组织“%(name)s”。") % {"name": committee.name})
            return redirect("branches:org_home")
    return render(request, "branches/organisation/committee_form.html", {"form": form})


@organiser_required
def org_committee_edit(request, committee_id: int):
    committee = committee_organised_for(user=request.user, committee_id=committee_id)
    movable = not is_organiser_root(request.user, committee)
    form = CommitteeForm(
        request.POST or None,
        user=request.user,
        committee=committee,
        movable=movable,
        initial={"name": committee.name, "kind": committee.kind, "parent": committee.parent},
    )
    if request.method == "POST" and form.is_valid():
        try:
            committee = committee_update(
                actor=request.user, committee=committee, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已保存党组织“%(name)s”。") % {"name": committee.name})
            return redirect("branches:org_home")
    return render(
        request,
        "branches/organisation/committee_form.html",
        {
            "form": form,
            "committee": committee,
            "movable": movable,
            "branch_count": Branch.objects.filter(committee=committee).count(),
            "children": list(Committee.objects.filter(parent=committee).order_by("path")),
        },
    )


@organiser_required
@require_POST
def org_committee_close(request, committee_id: int):
    committee = committee_organised_for(user=request.user, committee_id=committee_id)
    try:
        committee_close(actor=request.user, committee=committee)
    except ValidationError as error:
        _refused(request, error)
        return redirect("branches:org_committee_edit", committee.pk)
    messages.success(request, _("已撤销党组织“%(name)s”。") % {"name": committee.name})
    return redirect("branches:org_home")


@organiser_required
@require_POST
def org_committee_reopen(request, committee_id: int):
    committee = committee_organised_for(user=request.user, committee_id=committee_id)
    try:
        committee_reopen(actor=request.user, committee=committee)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已恢复党组织“%(name)s”。") % {"name": committee.name})
    return redirect("branches:org_committee_edit", committee.pk)


# ---------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------
@organiser_required
def org_branches(request):
    tree = organisation_tree(user=request.user)
    committee_id = _pk(request.GET.get("committee"))
    committee = next((c for c in tree if c.pk == committee_id), None)
    query = request.GET.get("q", "").strip()
    branches = organisation_branches(user=request.user, committee=committee, query=query)
    page = Paginator(branches, BRANCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/organisation/branch_list.html",
        {"page_obj": page, "committees": tree, "committee": committee, "query": query},
    )


@organiser_required
def org_branch_add(request):
    initial = {}
    committee_id = _pk(request.GET.get("committee"))
    if committee_id:
        initial["committee"] = committee_organised_for(user=request.user, committee_id=committee_id)
    form = BranchForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            branch = branch_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已新建党支部“%(name)s”。") % {"name": branch.name})
            if "add_another" in request.POST:
                url = reverse("branches:org_branch_add")
                return redirect(f"{url}?committee={branch.committee_id}")
            return redirect("branches:org_branches")
    return render(request, "branches/organisation/branch_form.html", {"form": form})


@organiser_required
def org_branch_edit(request, branch_id: int):
    branch = branch_organised_for(user=request.user, branch_id=branch_id)
    form = BranchForm(
        request.POST or None,
        user=request.user,
        branch=branch,
        initial={
            "name": branch.name,
            "kind": branch.kind,
            "village": branch.village,
            "secretary_name": branch.secretary_name,
            "committee": branch.committee,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            branch = branch_update(actor=request.user, branch=branch, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已保存党支部“%(name)s”。") % {"name": branch.name})
            return redirect("branches:org_branches")
    return render(
        request, "branches/organisation/branch_form.html", {"form": form, "branch": branch}
    )


# ---------------------------------------------------------------------------
# Pairings
# ---------------------------------------------------------------------------
def _year(request) -> int:
    this_year = timezone.localdate().year
    year = _pk(request.GET.get("year") or request.POST.get("year"))
    return year if year and 2000 <= year <= this_year + 1 else this_year


def _render_pairings(request, *, year, pairing_form=None, member_form=None, status=200):
    initial = {"year": year}
    return render(
        request,
        "branches/organisation/pairings.html",
        {
            "data": organisation_pairings(user=request.user, year=year),
            "pairing_form": pairing_form or PairingForm(user=request.user, initial=initial),
            "member_form": member_form
            or MemberPairingForm(user=request.user, initial=initial, auto_id=MEMBER_PAIRING_IDS),
        },
        status=status,
    )


def _pairings_url(year: int) -> str:
    return f"{reverse('branches:org_pairings')}?year={year}"


@organiser_required
def org_pairings(request):
    return _render_pairings(request, year=_year(request))


@organiser_required
@require_POST
def org_pairing_add(request):
    form = PairingForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            pairing = pairing_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已新建结对：%(pairing)s。") % {"pairing": pairing})
            return redirect(_pairings_url(pairing.year))
    return _render_pairings(request, year=_year(request), pairing_form=form)


@organiser_required
@require_POST
def org_pairing_delete(request, pairing_id: int):
    pairing = pairing_organised_for(user=request.user, pairing_id=pairing_id)
    pairing_delete(actor=request.user, pairing=pairing)
    messages.success(request, _("已取消结对：%(pairing)s。") % {"pairing": pairing})
    return redirect(_pairings_url(pairing.year))


@organiser_required
@require_POST
def org_member_pairing_add(request):
    form = MemberPairingForm(request.POST, user=request.user, auto_id=MEMBER_PAIRING_IDS)
    if form.is_valid():
        try:
            pairing = member_pairing_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已新建党员结对：%(pairing)s。") % {"pairing": pairing})
            return redirect(_pairings_url(pairing.year))
    return _render_pairings(request, year=_year(request), member_form=form)


@organiser_required
@require_POST
def org_member_pairing_delete(request, pairing_id: int):
    pairing = member_pairing_organised_for(user=request.user, pairing_id=pairing_id)
    member_pairing_delete(actor=request.user, pairing=pairing)
    messages.success(request, _("已取消党员结对：%(pairing)s。") % {"pairing": pairing})
    return redirect(_pairings_url(pairing.year))


# ---------------------------------------------------------------------------
# The audit list and the personal-data access log
# ---------------------------------------------------------------------------
@organiser_required
def org_changes(request):
    action = request.GET.get("action", "")
    if action not in OrganisationAction.values:
        action = ""
    changes = organisation_changes_for(user=request.user, action=action)
    page = Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    for change in page:
        change.lines = change_lines(change)
    return render(
        request,
        "branches/organisation/changes.html",
        {"page_obj": page, "action": action, "actions": OrganisationAction.choices},
    )


@organiser_required
def org_personal_data(request):
    """The personal-data access log of the person's subtrees: who was shown or handed
    members' phone numbers, and when."""
    action = request.GET.get("action", "")
    if action not in PersonalDataAction.values:
        action = ""
    accesses = personal_data_accesses_for(user=request.user, action=action)
    page = Paginator(accesses, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/organisation/personal_data.html",
        {"page_obj": page, "action": action, "actions": PersonalDataAction.choices},
    )

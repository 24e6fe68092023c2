"""The printed manuals (三册) of a year: the member activity manual (one member, or every
member on a branch's roll in one print), the branch work manual, and the print office
that lists each chosen branch's prints. Each page runs a fixed number of queries."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.http import parse_ids
from branches.models import Member
from branches.permissions import staff_committee_paths
from branches.selectors import branch_for, member_for, secretary_branch
from pledges.manuals import letter_committees_for, manual_year, manual_years, running_header
from pledges.qr import qr_inline_svg
from reviews.manuals.branch import branch_work_manual as read_branch_work_manual
from reviews.manuals.member import manual_members, roll_of
from reviews.manuals.member import member_manuals as read_member_manuals
from reviews.manuals.office import office_branches, picked_branches


def _year(request):
    return manual_year(request.GET.get("year"), today=timezone.localdate())


def _render_member_manuals(request, *, branch, members, chosen, single):
    manuals = read_member_manuals(members=members, year=chosen.year, today=timezone.localdate())
    for manual in manuals:
        manual.qr = qr_inline_svg(manual.member.public_token)
    return render(
        request,
        "reviews/manuals/member_manuals.html",
        {
            "branch": branch,
            "year": chosen.year,
            "refused_year": chosen.refused,
            "years": manual_years(today=timezone.localdate()),
            "manuals": manuals,
            "single": single,
            "running_header": running_header(branch, chosen.year),
            "running_title": _("党员活动手册"),
        },
    )


@login_required
def member_manual(request, member_id: int):
    """One member's activity manual for the year (?year=, else the year under way)."""
    member = member_for(user=request.user, member_id=member_id)
    return _render_member_manuals(
        request,
        branch=member.branch,
        members=manual_members(Member.objects.filter(pk=member.pk)),
        chosen=_year(request),
        single=member,
    )


@login_required
def member_manuals(request, branch_id: int):
    """The activity manuals of every member on the branch's roll, in one print, each
    starting on a new page."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    return _render_member_manuals(
        request, branch=branch, members=roll_of(branch), chosen=_year(request), single=None
    )


@login_required
def branch_work_manual(request, branch_id: int):
    """The branch work manual for the year (?year=, else the year under way)."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    chosen = _year(request)
    manual = read_branch_work_manual(branch=branch, year=chosen.year, today=timezone.localdate())
    return render(
        request,
        "reviews/manuals/branch_work_manual.html",
        {
            "branch": branch,
            "year": chosen.year,
            "refused_year": chosen.refused,
            "years": manual_years(today=timezone.localdate()),
            "manual": manual,
            "running_header": running_header(branch, chosen.year),
            "running_title": _("党支部工作手册"),
        },
    )


@login_required
def manual_office(request):
    """The print office: committee staff tick branches of their subtree and get each
    one's prints; a branch secretary gets their own branch's."""
    user = request.user
    chosen = _year(request)
    is_staff = bool(staff_committee_paths(user))
    own = None if is_staff else secretary_branch(user=user)
    if not is_staff and own is None:
        raise PermissionDenied(_("三册由支部书记和党委工作人员打印。"))
    groups, picked = [], []
    if is_staff:
        groups = office_branches(user=user)
        picked = picked_branches(user=user, ids=parse_ids(request.GET.getlist("branch")))
    else:
        picked = [own]
    picked_ids = {branch.pk for branch in picked}
    return render(
        request,
        "reviews/manuals/office.html",
        {
            "year": chosen.year,
            "refused_year": chosen.refused,
            "years": manual_years(today=timezone.localdate()),
            "is_staff": is_staff,
            "groups": groups,
            "picked": picked,
            "picked_ids": picked_ids,
            "may_write_letter": is_staff and bool(letter_committees_for(user=user)),
        },
    )

"""一图三册 on paper: the record manual (践行承诺记实手册) of a branch, and the district's
letter to all members (致全区党员的一封信), written once by its staff and printed one per
member with the member's QR code. Who may see a branch sees its manual and its letters
(branch_for: another branch's id answers 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from branches.forms import add_service_error
from branches.http import parse_id
from pledges import qr
from pledges.forms.letters import MembersLetterForm
from pledges.manuals import (
    can_edit_members_letter,
    default_signature,
    draft_letter_body,
    letter_committees_for,
    manual_year,
    manual_years,
    members_letter_print,
    record_manual_for,
    running_header,
)
from pledges.models import MembersLetter
from pledges.selectors import branch_for
from pledges.services.letters import members_letter_save


def _year(request):
    return manual_year(request.GET.get("year"), today=timezone.localdate())


@login_required
def record_manual(request, branch_id):
    """The branch's record manual of ?year= (default the year under way), ready to print."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    chosen = _year(request)
    year = chosen.year
    manual = record_manual_for(branch=branch, year=year, today=timezone.localdate())
    return render(
        request,
        "pledges/manuals/record_manual.html",
        {
            "branch": branch,
            "year": year,
            "refused_year": chosen.refused,
            "years": manual_years(today=timezone.localdate()),
            "manual": manual,
            "ruled_lines": range(4),
            "running_header": running_header(branch, year),
            "running_title": _("践行承诺记实手册"),
        },
    )


def _member_caption(member) -> str:
    if member.public_page_enabled:
        return _("扫码查看您的承诺公示")
    # Consent withdrawn: the code opens the branch's board, not a page of the member.
    return _("扫码查看本支部承诺公示")


@login_required
def members_letter(request, branch_id):
    """The district's letter of ?year= for every member on the branch's roll, one A4 page
    each, with the member's name and QR code. Five queries whatever the branch's size:
    the signed-in person's, the branch, its root committee, the letter, the members."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    chosen = _year(request)
    year = chosen.year
    printed = members_letter_print(branch=branch, year=year)
    sheets = [
        {"member": member, "svg": qr.qr_inline_svg(member.public_token)}
        for member in printed.members
    ]
    for sheet in sheets:
        sheet["caption"] = _member_caption(sheet["member"])
    may_edit = can_edit_members_letter(request.user, printed.root)
    return render(
        request,
        "pledges/letters/members_letter.html",
        {
            "branch": branch,
            "year": year,
            "root": printed.root,
            "letter": printed.letter,
            "refused_year": chosen.refused,
            "years": manual_years(today=timezone.localdate()),
            "sheets": sheets,
            "may_edit": may_edit,
            "edit_url": _edit_url(printed.root, year) if may_edit else "",
            "running_header": "",
            "running_title": "",
        },
    )


def _edit_url(committee, year: int) -> str:
    query = urlencode({"year": year, "committee": committee.pk})
    return reverse("pledges:letter_edit") + "?" + query


def _initial(*, committee, year: int, letter: MembersLetter | None) -> dict:
    if letter is not None:
        return {
            "title": letter.title,
            "body": letter.body,
            "signature": letter.signature,
            "dated": letter.dated,
        }
    return {
        "title": _("致全区党员的一封信"),
        "body": draft_letter_body(year=year),
        "signature": default_signature(committee),
        "dated": timezone.localdate(),
    }


@login_required
def letter_edit(request):
    """Write the district's letter of ?year=: prefilled with what was saved, or with a
    first draft for a year not written yet. District staff and organisation staff of the
    root committee (?committee= picks among several); anyone else is refused (403)."""
    committees = letter_committees_for(user=request.user)
    if not committees:
        raise PermissionDenied(_("只有区（县）党组织的工作人员可以撰写致全体党员的一封信。"))
    chosen = parse_id(request.GET.get("committee", ""))
    committee = next((c for c in committees if c.pk == chosen), committees[0])
    year = _year(request).year
    letter = (
        MembersLetter.objects.filter(committee=committee, year=year)
        .select_related("updated_by")
        .first()
    )
    if request.method == "POST":
        form = MembersLetterForm(request.POST)
        if form.is_valid():
            try:
                members_letter_save(
                    committee=committee, year=year, actor=request.user, **form.service_arguments()
                )
            except (ValidationError, PermissionDenied) as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request, _("%(year)s年的信已保存，可到各支部逐人打印。") % {"year": year}
                )
                return redirect(_edit_url(committee, year))
    else:
        form = MembersLetterForm(initial=_initial(committee=committee, year=year, letter=letter))
    return render(
        request,
        "pledges/letters/letter_edit.html",
        {
            "form": form,
            "letter": letter,
            "committee": committee,
            "committees": committees if len(committees) > 1 else [],
            "year": year,
            "previous_url": _edit_url(committee, year - 1),
            "next_url": _edit_url(committee, year + 1),
        },
    )

"""Pairings (结对共建), by organisation staff: an office branch with a village branch, and
a member of an office branch with a village branch (双结对), for a year. Both sides must
be in the actor's subtrees; each write has one audit row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.enums import BranchKind, OrganisationAction
from branches.models import Branch, Member, MemberPairing, Pairing
from branches.services.audit import organisation_change_record
from branches.services.organisers import require_organiser

EARLIEST_PAIRING_YEAR = 2000


def _check_year(year: int) -> None:
    last = timezone.localdate().year + 1
    if not EARLIEST_PAIRING_YEAR <= int(year) <= last:
        raise ValidationError(
            {
                "year": _("年度须在 %(first)s 年到 %(last)s 年之间。")
                % {"first": EARLIEST_PAIRING_YEAR, "last": last}
            }
        )


def _touch(*branches: Branch) -> None:
    """The public pages of these branches show their pairings of the year."""
    Branch.objects.filter(pk__in=[b.pk for b in branches]).mark_public_changed()


@transaction.atomic
def pairing_create(*, actor, office_branch: Branch, village_branch: Branch, year: int) -> Pairing:
    """Pair an office (non-village) branch with a village branch for a year."""
    require_organiser(actor, office_branch.committee)
    require_organiser(actor, village_branch.committee)
    if office_branch.kind == BranchKind.VILLAGE:
        raise ValidationError({"office_branch": _("机关（单位）一方不能是农村党支部。")})
    pairing = Pairing(office_branch=office_branch, village_branch=village_branch, year=year)
    pairing.clean()  # the village side must be a village branch: the model's rule
    _check_year(year)
    if Pairing.objects.filter(
        office_branch=office_branch, village_branch=village_branch, year=year
    ).exists():
        raise ValidationError(_("%(year)s 年已有这一结对。") % {"year": year})
    pairing.save()
    _touch(office_branch, village_branch)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_CREATE,
        committee=village_branch.committee,
        subject=str(pairing),
        changes={
            str(_("结对共建")): ["", f"{office_branch.name} ↔ {village_branch.name}"],
            str(_("年度")): ["", str(year)],
        },
    )
    return pairing


@transaction.atomic
def pairing_delete(*, actor, pairing: Pairing) -> None:
    """End a pairing: both branches must be in the actor's subtree."""
    pairing = Pairing.objects.select_related(
        "office_branch__committee", "village_branch__committee"
    ).get(pk=pairing.pk)
    require_organiser(actor, pairing.office_branch.committee)
    require_organiser(actor, pairing.village_branch.committee)
    subject = str(pairing)
    pairing.delete()
    _touch(pairing.office_branch, pairing.village_branch)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_DELETE,
        committee=pairing.village_branch.committee,
        subject=subject,
        changes={
            str(_("结对共建")): [
                f"{pairing.office_branch.name} ↔ {pairing.village_branch.name}",
                "",
            ],
            str(_("年度")): [str(pairing.year), ""],
        },
    )


def _member_pairing_label(member: Member, village_branch: Branch) -> str:
    return f"{member.name}（{member.branch.name}）↔ {village_branch.name}"


@transaction.atomic
def member_pairing_create(
    *, actor, member: Member, village_branch: Branch, year: int
) -> MemberPairing:
    """Pair an active member of an office (non-village) branch with a village for a year."""
    member = Member.objects.select_related("branch__committee").get(pk=member.pk)
    require_organiser(actor, member.branch.committee)
    require_organiser(actor, village_branch.committee)
    if member.branch.kind == BranchKind.VILLAGE:
        raise ValidationError({"member": _("双结对的党员须来自机关（单位）党支部。")})
    if not member.is_active:
        raise ValidationError({"member": _("该党员已不在册。")})
    pairing = MemberPairing(member=member, village_branch=village_branch, year=year)
    pairing.clean()  # the village side must be a village branch: the model's rule
    _check_year(year)
    if MemberPairing.objects.filter(
        member=member, village_branch=village_branch, year=year
    ).exists():
        raise ValidationError(_("%(year)s 年已有这一结对。") % {"year": year})
    pairing.save()
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_CREATE,
        committee=village_branch.committee,
        subject=str(pairing),
        changes={
            str(_("党员结对")): [
                "",
                _member_pairing_label(member, village_branch),
            ],
            str(_("年度")): ["", str(year)],
        },
    )
    return pairing


@transaction.atomic
def member_pairing_delete(*, actor, pairing: MemberPairing) -> None:
    """End a member's pairing: the member's branch and the village in the actor's subtree."""
    pairing = MemberPairing.objects.select_related(
        "member__branch__committee", "village_branch__committee"
    ).get(pk=pairing.pk)
    require_organiser(actor, pairing.member.branch.committee)
    require_organiser(actor, pairing.village_branch.committee)
    subject = str(pairing)
    pairing.delete()
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_DELETE,
        committee=pairing.village_branch.committee,
        subject=subject,
        changes={
            str(_("党员结对")): [_member_pairing_label(pairing.member, pairing.village_branch), ""],
            str(_("年度")): [str(pairing.year), ""],
        },
    )

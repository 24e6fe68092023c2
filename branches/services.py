"""Writes on members. Members are never deleted: a member leaving the branch is marked
inactive and keeps their pledges and reports."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.enums import ExemptionReason
from branches.models import Branch, Member
from branches.permissions import can_manage_branch

MEMBER_DATA_FIELDS = ("name", "gender", "birth_year", "joined_on", "phone")


def _require_manager(actor, branch: Branch) -> None:
    if not can_manage_branch(actor, branch):
        raise PermissionDenied(_("只有本支部书记可以录入和修改党员信息。"))


def _locked(member: Member) -> Member:
    return Member.objects.select_for_update().select_related("branch").get(pk=member.pk)


@transaction.atomic
def member_create(
    *,
    branch: Branch,
    actor,
    name: str,
    gender: str,
    birth_year: int | None = None,
    joined_on: datetime.date | None = None,
    phone: str = "",
) -> Member:
    """Add an active, non-exempt member to the branch."""
    _require_manager(actor, branch)
    member = Member(
        branch=branch,
        name=name.strip(),
        gender=gender,
        birth_year=birth_year,
        joined_on=joined_on,
        phone=phone.strip(),
    )
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def member_update(*, member: Member, actor, **data) -> Member:
    """Change a member's own data (name, gender, birth year, joining date, phone)."""
    unknown = set(data) - set(MEMBER_DATA_FIELDS)
    if unknown:
        raise TypeError(f"member_update() does not change {sorted(unknown)}")
    _require_manager(actor, member.branch)
    locked = _locked(member)
    for field, value in data.items():
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    locked.full_clean()
    locked.save(update_fields=[*data, "updated_at"])
    return locked


@transaction.atomic
def member_set_exemption(
    *, member: Member, actor, is_exempt: bool, reason: str = "", note: str = ""
) -> Member:
    """Exempt a member from pledging with a reason, or lift the exemption (which clears
    the reason and note)."""
    _require_manager(actor, member.branch)
    if is_exempt and reason not in ExemptionReason.values:
        raise ValidationError({"exemption_reason": _("免于承诺须选择原因。")})
    locked = _locked(member)
    locked.is_exempt = is_exempt
    locked.exemption_reason = reason if is_exempt else ""
    locked.exemption_note = note.strip() if is_exempt else ""
    locked.full_clean()
    locked.save(update_fields=["is_exempt", "exemption_reason", "exemption_note", "updated_at"])
    return locked


@transaction.atomic
def member_deactivate(*, member: Member, actor) -> Member:
    """Take the member off the roll (moved away, died …); pledges and reports stay."""
    _require_manager(actor, member.branch)
    locked = _locked(member)
    if not locked.is_active:
        raise ValidationError(_("该党员已不在册。"))
    locked.is_active = False
    locked.save(update_fields=["is_active", "updated_at"])
    return locked


@transaction.atomic
def member_reactivate(*, member: Member, actor) -> Member:
    """Put an inactive member back on the roll."""
    _require_manager(actor, member.branch)
    locked = _locked(member)
    if locked.is_active:
        raise ValidationError(_("该党员已在册。"))
    locked.is_active = True
    locked.save(update_fields=["is_active", "updated_at"])
    return locked

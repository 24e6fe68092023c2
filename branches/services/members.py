"""Writes on members. Members are never deleted: a member leaving the branch is marked
inactive and keeps their pledges and reports."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from branches.enums import ExemptionReason, OrganisationAction
from branches.models import Branch, Member, RetiredToken
from branches.permissions import can_manage_branch
from branches.services.audit import organisation_change_record
from branches.tokens import new_public_token

MEMBER_DATA_FIELDS = ("name", "gender", "birth_year", "joined_on", "phone")
# What erasing a departed member's personal data clears, with the empty value: the phone,
# the birth year and the joining date, and the exemption note, free text that often tells
# of an illness. Name, gender, branch and the exemption's reason stay: the public record
# of the member's pledges and the year's figures read them.
ERASED_PERSONAL_DATA = {"phone": "", "birth_year": None, "joined_on": None, "exemption_note": ""}
# Attempts at a fresh token before giving up: with 2**50 tokens a single clash is already
# a one-in-billions event, so a second attempt is never expected to be needed.
TOKEN_ATTEMPTS = 5


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


@transaction.atomic
def member_erase_personal_data(*, member: Member, actor) -> Member:
    """Clear the personal data of a member who has left the roll (ERASED_PERSONAL_DATA);
    the member's name, pledges and public page stay as they are. Refused while the member
    is on the roll. The organisation's audit list records which fields were cleared, never
    their values; nothing left to clear changes nothing and records nothing."""
    _require_manager(actor, member.branch)
    locked = _locked(member)
    if locked.is_active:
        raise ValidationError(
            _("在册党员的个人信息不能清除：请先将其标记为不在册，再清除联系电话、出生年份等信息。")
        )
    cleared = [
        field for field, empty in ERASED_PERSONAL_DATA.items() if getattr(locked, field) != empty
    ]
    if not cleared:
        return locked
    for field in cleared:
        setattr(locked, field, ERASED_PERSONAL_DATA[field])
    locked.save(update_fields=[*cleared, "updated_at"])
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.MEMBER_PERSONAL_DATA_ERASE,
        committee=locked.branch.committee,
        subject=f"{locked.branch.name} {locked.name}",
        changes={str(Member._meta.get_field(field).verbose_name): _("已清除") for field in cleared},
    )
    return locked


def _token_in_use(token: str) -> bool:
    """Whether a token names a member or a branch, or was ever printed and retired."""
    return (
        Member.objects.filter(public_token=token).exists()
        or Branch.objects.filter(public_token=token).exists()
        or RetiredToken.objects.filter(token=token).exists()
    )


@transaction.atomic
def member_token_reissue(*, member: Member, actor) -> Member:
    """Give the member a new QR code: the old token is retired (its printed code then
    opens the "no longer in use" page with a link to the branch's board) and a fresh
    token, unused by any member, branch or retired code, takes its place."""
    _require_manager(actor, member.branch)
    locked = _locked(member)
    RetiredToken.objects.create(
        token=locked.public_token, member=locked, branch=locked.branch, retired_by=actor
    )
    for _attempt in range(TOKEN_ATTEMPTS):
        token = new_public_token()
        if _token_in_use(token):
            continue
        locked.public_token = token
        try:
            # A savepoint: a clash with a token saved meanwhile leaves the rest intact.
            with transaction.atomic():
                locked.save(update_fields=["public_token", "updated_at"])
        except IntegrityError:
            continue
        return locked
    raise RuntimeError(f"no unused public token after {TOKEN_ATTEMPTS} attempts")


@transaction.atomic
def member_set_public_page(*, member: Member, actor, enabled: bool) -> Member:
    """Switch the member's public page on (consent given) or off (consent withdrawn:
    the member's code then shows only the branch's board)."""
    _require_manager(actor, member.branch)
    locked = _locked(member)
    if locked.public_page_enabled == enabled:
        return locked
    locked.public_page_enabled = enabled
    locked.save(update_fields=["public_page_enabled", "updated_at"])
    return locked

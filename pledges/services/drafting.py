"""Writes of 定诺: a pledge written for a branch or one of its members, its time nodes and
the needs it claims, saved as a draft or submitted through the workflow's one door.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Branch, Member
from branches.permissions import can_manage_branch
from pledges.enums import NeedStatus, PledgeStatus
from pledges.models import Need, Pledge, TimeNode
from pledges.selectors import need_branch_ids
from pledges.services.needs import needs_claim, needs_release

# A pledge's wording may change only before review or after being returned for revision.
EDITABLE_STATUSES = frozenset({PledgeStatus.DRAFT, PledgeStatus.RETURNED})
PLEDGE_FIELDS = (
    "title",
    "content",
    "beneficiaries",
    "category",
    "year",
    "due_date",
    "is_recurring",
    "rhythm",
    "exempt_override_reason",
)
# Validated by the services themselves; full_clean would only repeat them with a query each.
_CHECKED_ELSEWHERE = ["branch", "member", "owner_branch"]


def _check_secretary(actor, branch: Branch) -> None:
    if not can_manage_branch(actor, branch):
        raise PermissionDenied(_("只有本支部书记可以填写和修改承诺。"))


def _check_member(member: Member | None, branch: Branch, *, current_member_id=None) -> None:
    """The pledger is the branch itself or one of its members on the roll (a member who
    left the roll may keep a pledge they already hold)."""
    if member is None:
        return
    if member.branch_id != branch.pk:
        raise ValidationError({"member": _("承诺人须是本支部的党员。")})
    if not member.is_active and member.pk != current_member_id:
        raise ValidationError({"member": _("该党员已不在册，不能作为承诺人。")})


def _check_fields(fields: Mapping, member: Member | None) -> dict:
    """The pledge's fields; a member exempt from pledging (免于承诺) needs the reason the
    secretary pledges for them all the same, anyone else keeps none."""
    unknown = set(fields) - set(PLEDGE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected pledge fields: {sorted(unknown)}")
    fields = dict(fields)
    reason = (fields.get("exempt_override_reason") or "").strip()
    if member is not None and member.is_exempt:
        if not reason:
            raise ValidationError(
                {
                    "exempt_override_reason": _(
                        "%(name)s已免于承诺：如仍为其写承诺，请确认并填写原因。"
                    )
                    % {"name": member.name}
                }
            )
        fields["exempt_override_reason"] = reason
    else:
        fields["exempt_override_reason"] = ""
    return fields


def _lock_needs(
    needs: Iterable[Need], branch: Branch, *, year: int, linked_ids=frozenset()
) -> list[Need]:
    """The needs to link, locked: of this branch's list (or of a village it is paired with
    that year), and open or claimed (a need the pledge already holds stays whatever its
    status)."""
    ids = {need.pk for need in needs}
    rows = list(Need.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(rows) != len(ids):
        raise ValidationError({"needs": _("只能认领本支部或结对村需求清单中的需求。")})
    allowed = {branch.pk} if all(row.branch_id == branch.pk for row in rows) else None
    if allowed is None:
        allowed = need_branch_ids(branch=branch, years=[year])
    if any(row.branch_id not in allowed for row in rows):
        raise ValidationError({"needs": _("只能认领本支部或结对村需求清单中的需求。")})
    for row in rows:
        if row.pk not in linked_ids and row.status not in (NeedStatus.OPEN, NeedStatus.CLAIMED):
            raise ValidationError(
                {
                    "needs": _("需求“%(need)s”已解决或已搁置，不能认领。")
                    % {"need": row.description[:30]}
                }
            )
    return rows


def _write_time_nodes(pledge: Pledge, time_nodes: Sequence[Mapping]) -> None:
    TimeNode.objects.bulk_create(
        TimeNode(pledge=pledge, due_on=node["due_on"], description=node["description"])
        for node in sorted(time_nodes, key=lambda node: node["due_on"])
    )


def pledge_create(
    *,
    branch: Branch,
    member: Member | None,
    actor,
    needs: Iterable[Need] = (),
    time_nodes: Sequence[Mapping[str, datetime.date | str]] = (),
    submit: bool = False,
    **fields,
) -> Pledge:
    """Write a pledge of the branch (member None) or of one of its members, as a draft.

    In one transaction: the pledge, its time nodes ({"due_on", "description"} each), the
    needs it claims (open ones become claimed), and, if `submit`, the workflow's submit
    move, so a refused submission leaves nothing behind. Raises PermissionDenied (not
    the branch's secretary), ValidationError (Chinese messages keyed by field) or the
    workflow's TransitionNotAllowed.
    """
    _check_secretary(actor, branch)
    _check_member(member, branch)
    fields = _check_fields(fields, member)
    with transaction.atomic():
        claimed = _lock_needs(needs, branch, year=fields.get("year"))
        pledge = Pledge(branch=None if member else branch, member=member, **fields)
        pledge.owner_branch = branch
        pledge.full_clean(exclude=_CHECKED_ELSEWHERE)
        pledge.save()
        _write_time_nodes(pledge, time_nodes)
        pledge.needs.set(claimed)
        needs_claim(need_ids=[need.pk for need in claimed])
        if submit:
            pledge.submit(actor)
    return pledge


def pledge_update(
    *,
    pledge: Pledge,
    member: Member | None,
    actor,
    needs: Iterable[Need] = (),
    time_nodes: Sequence[Mapping[str, datetime.date | str]] = (),
    submit: bool = False,
    **fields,
) -> Pledge:
    """Rewrite a draft or returned pledge: its fields, pledger (within its branch), time
    nodes (replaced by the given list) and needs; a need no pledge claims any more goes
    back to open. With `submit`, the pledge is (re)submitted in the same transaction.

    Refuses with a ValidationError once the pledge is under review or beyond.
    """
    branch = pledge.owner_branch
    _check_secretary(actor, branch)
    fields = _check_fields(fields, member)
    with transaction.atomic():
        current = (
            Pledge.objects.select_for_update(of=("self",))
            .select_related("owner_branch")
            .get(pk=pledge.pk)
        )
        if current.status not in EDITABLE_STATUSES:
            raise ValidationError(
                _("该承诺当前为“%(status)s”，已锁定，不能修改。")
                % {"status": current.get_status_display()}
            )
        _check_member(member, branch, current_member_id=current.member_id)
        for name, value in fields.items():
            setattr(current, name, value)
        current.branch = None if member else branch
        current.member = member
        current.full_clean(exclude=_CHECKED_ELSEWHERE)
        current.save()

        current.time_nodes.all().delete()
        _write_time_nodes(current, time_nodes)

        old_ids = set(current.needs.values_list("pk", flat=True))
        claimed = _lock_needs(needs, branch, year=current.year, linked_ids=old_ids)
        new_ids = {need.pk for need in claimed}
        current.needs.set(claimed)
        needs_claim(need_ids=new_ids - old_ids)
        needs_release(need_ids=old_ids - new_ids)
        if submit:
            current.submit(actor)
    return current

"""Changes to a pledge after publication: each changed field leaves a PledgeAmendment
(old and new wording, the reason, who and when), shown on the public page, so a public
pledge is never quietly rewritten."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.permissions import can_manage_branch
from pledges.enums import PledgeStatus
from pledges.models import Pledge, PledgeAmendment

# What may change once the pledge is public, with the labels the pages show.
AMENDABLE_FIELDS = {
    "title": gettext_lazy("承诺事项"),
    "content": gettext_lazy("具体内容"),
    "beneficiaries": gettext_lazy("服务对象"),
    "due_date": gettext_lazy("完成时限"),
}
# Public and not yet done: afterwards the wording is what was completed and checked.
AMENDABLE_STATUSES = frozenset({PledgeStatus.PUBLISHED, PledgeStatus.IN_PROGRESS})
REASON_MAX_LENGTH = PledgeAmendment._meta.get_field("reason").max_length


def _as_text(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _chinese_date(day: datetime.date) -> str:
    return format_date(day, "Y年n月j日")


def _clean(changes: dict) -> dict:
    cleaned = {}
    for name, value in changes.items():
        if name not in AMENDABLE_FIELDS:
            raise TypeError(f"pledge_amend() cannot change {name!r}")
        cleaned[name] = value.strip() if isinstance(value, str) else value
    return cleaned


def _check_values(pledge: Pledge, changed: dict, today: datetime.date) -> None:
    errors: dict[str, list] = {}
    if "title" in changed and not changed["title"]:
        errors["title"] = [_("请填写承诺事项。")]
    for name in ("title", "beneficiaries"):
        limit = Pledge._meta.get_field(name).max_length
        if name in changed and len(changed[name]) > limit:
            errors[name] = [_("最多 %(limit)d 个字。") % {"limit": limit}]
    due_date = changed.get("due_date")
    if "due_date" in changed and due_date is None:
        errors["due_date"] = [_("请填写完成时限。")]
    elif due_date:
        if due_date < today:
            errors["due_date"] = [_("新的完成时限不能早于今天。")]
        elif due_date < datetime.date(pledge.year, 1, 1):
            errors["due_date"] = [_("完成时限不能早于承诺年度。")]
        elif not pledge.is_recurring and due_date > datetime.date(pledge.year, 12, 31):
            errors["due_date"] = [
                _("一次性承诺的完成时限不能晚于%(year)s年12月31日。") % {"year": pledge.year}
            ]
        else:
            later = (
                pledge.time_nodes.open()
                .filter(due_on__gt=due_date)
                .order_by("-due_on")
                .values_list("due_on", flat=True)
                .first()
            )
            if later:
                errors["due_date"] = [
                    _("还有未完成的时间节点在%(date)s，新的完成时限不能早于它。")
                    % {"date": _chinese_date(later)}
                ]
    if errors:
        raise ValidationError(errors)


def pledge_amend(
    *, pledge: Pledge, actor, reason: str, today: datetime.date | None = None, **changes
) -> list[PledgeAmendment]:
    """Change the title, content, beneficiaries or due date of a published pledge or one
    in progress, writing one amendment per changed field in the same transaction.

    `changes` are the new values (any of AMENDABLE_FIELDS; unchanged ones are ignored).
    The status is never touched. Raises PermissionDenied for anyone but the branch's
    secretary and ValidationError (by field, or for the whole change) when the status
    does not allow it, the reason is missing, nothing changed or a value is refused.
    Returns the amendments written, in field order.
    """
    if not can_manage_branch(actor, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以修改已公示的承诺。"))
    today = today or timezone.localdate()
    changes = _clean(changes)
    reason = (reason or "").strip()
    refused_status = _("只有“已公示”或“践诺中”的承诺可以在公示后修改；当前状态为“%(status)s”。")
    if pledge.status not in AMENDABLE_STATUSES:
        raise ValidationError(refused_status % {"status": pledge.get_status_display()})
    if not reason:
        raise ValidationError({"reason": [_("请填写修改原因，它会和修改内容一起公示。")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("修改原因最多 %(limit)d 个字。") % {"limit": REASON_MAX_LENGTH}]}
        )
    with transaction.atomic():
        # The row as it is now: the old values are those of the database, not of a page
        # opened earlier, and a move made meanwhile is seen.
        current = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if current.status not in AMENDABLE_STATUSES:
            raise ValidationError(refused_status % {"status": current.get_status_display()})
        changed = {
            name: value
            for name, value in changes.items()
            if _as_text(getattr(current, name)) != _as_text(value)
        }
        if not changed:
            raise ValidationError(_("没有修改任何内容。"))
        _check_values(current, changed, today)
        amendments = []
        for name in AMENDABLE_FIELDS:
            if name not in changed:
                continue
            amendments.append(
                PledgeAmendment.objects.create(
                    pledge=current,
                    field=name,
                    old_value=_as_text(getattr(current, name)),
                    new_value=_as_text(changed[name]),
                    reason=reason,
                    actor=actor,
                )
            )
            setattr(current, name, changed[name])
        current.save(update_fields=[*changed, "updated_at"])
    for name, value in changed.items():
        setattr(pledge, name, value)
    return amendments

"""Writes of 践诺: progress records with their photos, time nodes closed (done on a date
or no longer needed), and the completion that closes the nodes still open."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from branches.permissions import can_manage_branch
from pledges.enums import ActorRole, PledgeMove, PledgeStatus, TimeNodeOutcome
from pledges.models import (
    Pledge,
    PledgeTransition,
    ProgressPhoto,
    ProgressRecord,
    TimeNode,
    TimeNodeClosing,
)
from pledges.photos import photo_clean
from pledges.services.workflow import ROLE_REFUSALS, pledge_transition
from pledges.workflow import PUBLIC_STATUSES

# More than this in one record is refused: a record tells one piece of work.
MAX_PHOTOS_PER_RECORD = 10
# Time nodes are closed while the pledge is public: as the work goes, when it is
# completed, and afterwards for a node left open before completions asked for each.
TIME_NODE_STATUSES = PUBLIC_STATUSES
CLOSE_REASON_MAX_LENGTH = 200


def pledge_published_on(*, pledge: Pledge) -> datetime.date | None:
    """The local date the pledge was published (示诺), or None if it never was."""
    published_at = (
        PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.PUBLISH)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return timezone.localdate(published_at) if published_at else None


def _check_secretary(actor, pledge: Pledge) -> None:
    if not can_manage_branch(actor, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以记录践诺情况。"))


def progress_record_create(
    *,
    pledge: Pledge,
    actor,
    happened_on: datetime.date,
    description: str,
    photos=(),
    today: datetime.date | None = None,
) -> ProgressRecord:
    """Record work done on a pledge in progress, with its photos, or raise and save nothing.

    Every photo is checked and re-encoded before anything is written (pledges.photos);
    the record and its photos are then written in one transaction, and the stored files
    are removed again should that transaction fail. Raises PermissionDenied for anyone
    but the branch's secretary and ValidationError (by field: happened_on, description,
    photos; or for the whole record) with Chinese messages naming each refused file.
    """
    _check_secretary(actor, pledge)
    if pledge.status != PledgeStatus.IN_PROGRESS:
        raise ValidationError(_("只有“践诺中”的承诺可以记录践诺情况。"))
    today = today or timezone.localdate()
    description = (description or "").strip()
    photos = list(photos or ())
    errors: dict[str, list] = {}
    if happened_on > today:
        errors.setdefault("happened_on", []).append(_("日期不能晚于今天。"))
    published_on = pledge_published_on(pledge=pledge)
    if published_on and happened_on < published_on:
        errors.setdefault("happened_on", []).append(
            _("日期不能早于承诺公示的日期（%(date)s）。")
            % {"date": dateformat.format(published_on, "Y年n月j日")}
        )
    if not description:
        errors.setdefault("description", []).append(_("请填写推进情况。"))
    if len(photos) > MAX_PHOTOS_PER_RECORD:
        errors.setdefault("photos", []).append(
            _("一次最多上传 %(count)d 张照片。") % {"count": MAX_PHOTOS_PER_RECORD}
        )
        photos = []
    cleaned = []
    # One photo at a time: photo_clean frees each decoded picture before it returns, so a
    # record of ten photos holds the pixels of one, besides the new bytes of those done.
    for upload in photos:
        try:
            cleaned.append(photo_clean(upload))
        except ValidationError as refusal:
            errors.setdefault("photos", []).extend(refusal.messages)
    if errors:
        raise ValidationError(errors)

    stored = []
    try:
        with transaction.atomic():
            # The pledge may have been completed or withdrawn since the page was opened.
            status = (
                Pledge.objects.select_for_update()
                .values_list("status", flat=True)
                .get(pk=pledge.pk)
            )
            if status != PledgeStatus.IN_PROGRESS:
                raise ValidationError(_("只有“践诺中”的承诺可以记录践诺情况。"))
            record = ProgressRecord.objects.create(
                pledge=pledge, happened_on=happened_on, description=description, recorded_by=actor
            )
            for photo in cleaned:
                row = ProgressPhoto(record=record)
                row.image.save(photo.image.name, photo.image, save=False)
                stored.append(row.image)
                row.thumbnail.save(photo.thumbnail.name, photo.thumbnail, save=False)
                stored.append(row.thumbnail)
                row.save()
    except BaseException:
        for field_file in stored:
            field_file.delete(save=False)
        raise
    return record


@dataclass(frozen=True)
class NodeClosing:
    """How one open time node is to be closed: done on a date, or no longer needed."""

    node_id: int
    outcome: str
    on: datetime.date | None = None
    reason: str = ""


def _closing_errors(
    *,
    outcome: str,
    on: datetime.date | None,
    reason: str,
    published_on: datetime.date | None,
    today: datetime.date,
) -> dict[str, list[str]]:
    """What is wrong with a closing, by field ("outcome", "on", "reason"); empty if nothing."""
    if outcome not in TimeNodeOutcome.values:
        return {"outcome": [_("请选择该时间节点是已完成还是不再需要。")]}
    if outcome == TimeNodeOutcome.NOT_NEEDED:
        if not reason:
            return {"reason": [_("请填写该时间节点不再需要的原因。")]}
        if len(reason) > CLOSE_REASON_MAX_LENGTH:
            return {"reason": [_("原因最多 %(limit)d 个字。") % {"limit": CLOSE_REASON_MAX_LENGTH}]}
        return {}
    if on is None:
        return {"on": [_("请填写完成日期。")]}
    if on > today:
        return {"on": [_("完成日期不能晚于今天。")]}
    if published_on and on < published_on:
        return {
            "on": [
                _("完成日期不能早于承诺公示的日期（%(date)s）。")
                % {"date": dateformat.format(published_on, "Y年n月j日")}
            ]
        }
    return {}


def _close(
    *,
    node: TimeNode,
    actor,
    outcome: str,
    on: datetime.date | None,
    reason: str,
    at: datetime.datetime,
) -> TimeNodeClosing:
    """Close a node already locked and checked, with its audit row."""
    node.closed_as = outcome
    node.done_on = on if outcome == TimeNodeOutcome.DONE else None
    node.close_reason = reason if outcome == TimeNodeOutcome.NOT_NEEDED else ""
    node.closed_by = actor
    node.closed_at = at
    node.save(update_fields=["closed_as", "done_on", "close_reason", "closed_by", "closed_at"])
    return TimeNodeClosing.objects.create(
        node=node,
        outcome=outcome,
        done_on=node.done_on,
        reason=node.close_reason,
        actor=actor,
        created_at=at,
    )


def _lock_open_nodes(pledge: Pledge, node_ids) -> dict[int, TimeNode]:
    return {
        node.pk: node
        for node in TimeNode.objects.select_for_update()
        .filter(pledge=pledge, pk__in=list(node_ids))
        .order_by("pk")
    }


def time_node_close(
    *,
    node: TimeNode,
    actor,
    outcome: str,
    on: datetime.date | None = None,
    reason: str = "",
    today: datetime.date | None = None,
) -> TimeNodeClosing:
    """Close one open time node of a public pledge, or raise and change nothing.

    `outcome` DONE needs `on` (default today; not in the future, not before the pledge
    was published); NOT_NEEDED needs a `reason`. In one transaction the node is locked,
    checked to be still open, closed, and its TimeNodeClosing audit row written; the
    passed node is brought up to date. Allowed to the branch's secretary while the
    pledge is public (published, in progress, and after completion for a node left
    open). Raises PermissionDenied, or ValidationError with Chinese messages (by field:
    outcome, on, reason; or for the whole node).
    """
    pledge = node.pledge
    if not can_manage_branch(actor, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以关闭时间节点。"))
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if outcome == TimeNodeOutcome.DONE and on is None:
        on = today
    with transaction.atomic():
        status = (
            Pledge.objects.select_for_update().values_list("status", flat=True).get(pk=pledge.pk)
        )
        if status not in TIME_NODE_STATUSES:
            raise ValidationError(_("只有已公示的承诺可以关闭时间节点。"))
        locked = _lock_open_nodes(pledge, [node.pk]).get(node.pk)
        if locked is None:
            raise ValidationError(_("该时间节点不属于这项承诺。"))
        if not locked.is_open:
            raise ValidationError(
                _("时间节点“%(node)s”已经关闭，不能再次关闭。") % {"node": locked.description}
            )
        errors = _closing_errors(
            outcome=outcome,
            on=on,
            reason=reason,
            published_on=pledge_published_on(pledge=pledge),
            today=today,
        )
        if errors:
            raise ValidationError(errors)
        audit = _close(
            node=locked, actor=actor, outcome=outcome, on=on, reason=reason, at=timezone.now()
        )
    for name in ("closed_as", "done_on", "close_reason", "closed_by", "closed_at"):
        setattr(node, name, getattr(locked, name))
    return audit


def pledge_complete(
    *,
    pledge: Pledge,
    actor,
    closings: Sequence[NodeClosing] = (),
    today: datetime.date | None = None,
) -> PledgeTransition:
    """Close the pledge's open time nodes as given and complete it, in one transaction, or
    raise and change nothing.

    Every node still open must have exactly one closing (the workflow refuses to complete
    a pledge with an open node). Raises PermissionDenied, TransitionNotAllowed, or
    ValidationError: one whose `error_dict` is keyed by "node-<pk>" for closings that are
    wrong, or a message for the whole pledge.
    """
    if not can_manage_branch(actor, pledge.owner_branch):
        refusal = ROLE_REFUSALS[ActorRole.BRANCH_SECRETARY]
        raise PermissionDenied(refusal % {"move": PledgeMove.COMPLETE.label})
    today = today or timezone.localdate()
    by_node = {closing.node_id: closing for closing in closings}
    with transaction.atomic():
        status = (
            Pledge.objects.select_for_update().values_list("status", flat=True).get(pk=pledge.pk)
        )
        if status != PledgeStatus.IN_PROGRESS:
            raise ValidationError(_("只有“践诺中”的承诺可以完成。"))
        open_nodes = _lock_open_nodes(
            pledge, TimeNode.objects.filter(pledge=pledge).open().values_list("pk", flat=True)
        )
        if set(by_node) - set(open_nodes):
            raise ValidationError(_("时间节点已有变化，请刷新页面后重新确认。"))
        published_on = pledge_published_on(pledge=pledge)
        errors = {}
        for node in open_nodes.values():
            closing = by_node.get(node.pk)
            if closing is None:
                errors[f"node-{node.pk}"] = [
                    _("请确认时间节点“%(node)s”是已完成还是不再需要。") % {"node": node.description}
                ]
                continue
            problems = _closing_errors(
                outcome=closing.outcome,
                on=closing.on,
                reason=(closing.reason or "").strip(),
                published_on=published_on,
                today=today,
            )
            if problems:
                errors[f"node-{node.pk}"] = [m for messages in problems.values() for m in messages]
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        for node in open_nodes.values():
            closing = by_node[node.pk]
            _close(
                node=node,
                actor=actor,
                outcome=closing.outcome,
                on=closing.on,
                reason=(closing.reason or "").strip(),
                at=now,
            )
        return pledge_transition(pledge=pledge, actor=actor, move=PledgeMove.COMPLETE)

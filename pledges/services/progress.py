"""Writes of 践诺: progress records with their photos, and time nodes marked done."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from branches.permissions import can_manage_branch
from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import Pledge, PledgeTransition, ProgressPhoto, ProgressRecord, TimeNode
from pledges.photos import photo_clean

# More than this in one record is refused: a record tells one piece of work.
MAX_PHOTOS_PER_RECORD = 10
# Time nodes are marked done while the pledge is public and being carried out.
TIME_NODE_STATUSES = frozenset({PledgeStatus.PUBLISHED, PledgeStatus.IN_PROGRESS})


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


def time_node_mark_done(
    *, node: TimeNode, actor, done_on: datetime.date, today: datetime.date | None = None
) -> TimeNode:
    """Mark a time node of a public pledge done on a date (not in the future)."""
    pledge = node.pledge
    if not can_manage_branch(actor, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以标记时间节点完成。"))
    if pledge.status not in TIME_NODE_STATUSES:
        raise ValidationError(_("只有已公示或践诺中的承诺可以标记时间节点完成。"))
    today = today or timezone.localdate()
    if done_on > today:
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    with transaction.atomic():
        node.done_on = done_on
        node.save(update_fields=["done_on"])
    return node

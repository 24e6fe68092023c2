"""Keep Branch.public_changed_at current: every change to what a branch's public pages
show bumps it, which changes those pages' cache key, ETag and Last-Modified at once."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from branches.models import Branch, Member, RetiredToken
from branches.signals import rolls_changed
from pledges.enums import CommentStatus
from pledges.models import (
    Feedback,
    Need,
    Pledge,
    PledgeAmendment,
    PledgeTransition,
    ProgressPhoto,
    ProgressRecord,
    TimeNode,
)
from pledges.qr import forget_images

# While a batch is open: the branches and pledges whose public pages changed in it (their
# workspace stamps move with the public ones, Branch.objects.mark_public_changed).
_open_batch: ContextVar[tuple[set[int], set[int]] | None] = ContextVar(
    "public_pages_batch", default=None
)


@contextmanager
def public_pages_renewed_once():
    """Within the block, every change to public content is noted rather than stamped at
    once, and each branch concerned is stamped once on leaving it: for work that writes
    thousands of rows through the services (the demo year), where a query and an update
    per row would only move the same stamps again and again."""
    batch = (set(), set())
    token = _open_batch.set(batch)
    try:
        yield
    finally:
        _open_batch.reset(token)
        branch_ids, pledge_ids = batch
        if pledge_ids:
            branch_ids.update(
                Pledge.objects.filter(pk__in=pledge_ids).values_list("owner_branch_id", flat=True)
            )
        if branch_ids:
            Branch.objects.filter(pk__in=branch_ids).mark_public_changed()


def bump_public_pages(*, branch_id: int | None) -> None:
    if branch_id:
        Branch.objects.filter(pk=branch_id).mark_public_changed()


def _note_in_batch(batch: tuple[set[int], set[int]], instance) -> None:
    branch_ids, pledge_ids = batch
    if isinstance(instance, Member):
        branch_ids.add(instance.branch_id)
    elif isinstance(instance, Pledge):
        branch_ids.add(instance.owner_branch_id)
    elif isinstance(instance, ProgressPhoto):
        pledge_ids.add(instance.record.pledge_id)
    else:
        pledge_ids.add(instance.pledge_id)


def _branch_of(instance) -> int | None:
    if isinstance(instance, Member):
        return instance.branch_id
    if isinstance(instance, Pledge):
        return instance.owner_branch_id
    if isinstance(instance, ProgressPhoto):
        return (
            ProgressRecord.objects.filter(pk=instance.record_id)
            .values_list("pledge__owner_branch_id", flat=True)
            .first()
        )
    # TimeNode, ProgressRecord, PledgeTransition, PledgeAmendment, Feedback: via the pledge.
    return (
        Pledge.objects.filter(pk=instance.pledge_id)
        .values_list("owner_branch_id", flat=True)
        .first()
    )


@receiver(post_save, sender=Member)
@receiver(post_delete, sender=Member)
@receiver(post_save, sender=Pledge)
@receiver(post_delete, sender=Pledge)
@receiver(post_save, sender=PledgeTransition)
@receiver(post_save, sender=PledgeAmendment)
@receiver(post_save, sender=TimeNode)
@receiver(post_delete, sender=TimeNode)
@receiver(post_save, sender=ProgressRecord)
@receiver(post_delete, sender=ProgressRecord)
@receiver(post_save, sender=ProgressPhoto)
@receiver(post_delete, sender=ProgressPhoto)
def public_content_changed(sender, instance, **kwargs):
    batch = _open_batch.get()
    if batch is not None:
        _note_in_batch(batch, instance)
        return
    bump_public_pages(branch_id=_branch_of(instance))


@receiver(post_save, sender=Need)
@receiver(post_delete, sender=Need)
def workspace_content_changed(sender, instance, **kwargs):
    """Needs are not public, but the secretary's to-do and the chart's 研诺 count them."""
    _workspace_changed({instance.branch_id})


@receiver(m2m_changed, sender=Pledge.needs.through)
def claims_changed(sender, instance, action, pk_set, **kwargs):
    """A pledge claimed or let go of needs: the needs list of each need's branch shows who
    claims it (an office branch's pledge may answer a paired village's needs: 结对共建)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if isinstance(instance, Need):
        branch_ids = {instance.branch_id}
    else:
        needs = (
            instance.needs.all() if action == "pre_clear" else Need.objects.filter(pk__in=pk_set)
        )
        branch_ids = {instance.owner_branch_id, *needs.values_list("branch_id", flat=True)}
    _workspace_changed(branch_ids)


def _workspace_changed(branch_ids: set[int]) -> None:
    """Move these branches' workspace stamps now, or note them in the open batch (whose end
    moves them with the public stamps)."""
    batch = _open_batch.get()
    if batch is not None:
        batch[0].update(branch_ids)
        return
    Branch.objects.filter(pk__in=branch_ids).mark_workspace_changed()


@receiver(rolls_changed)
def rolls_written_in_bulk(sender, *, branch_ids, **kwargs):
    # A roster import writes members in bulk, without their per-row signals.
    Branch.objects.filter(pk__in=branch_ids).mark_workspace_changed()


@receiver(post_save, sender=Feedback)
@receiver(post_delete, sender=Feedback)
def public_comment_changed(sender, instance, **kwargs):
    # Public pages show approved comments only: a vote, or a comment waiting for
    # approval, leaves them as they were; a moderation decision may change them.
    if instance.comment_status in (CommentStatus.APPROVED, CommentStatus.REJECTED):
        public_content_changed(sender, instance, **kwargs)


@receiver(post_save, sender=RetiredToken)
@receiver(post_delete, sender=Member)
def code_images_dropped(sender, instance, **kwargs):
    # A retired or deleted code has no image: drop the cached ones now (and again when the
    # change commits, after any scan that cached one meanwhile) rather than on expiry.
    token = instance.token if isinstance(instance, RetiredToken) else instance.public_token
    forget_images(token)
    transaction.on_commit(lambda: forget_images(token), robust=True)

"""Writes of 服务对象评议: villagers' feedback on public pledges, online with no account or
recorded by the secretary on a villager's behalf, and the moderation of comments.

Every comment waits for approval before it may show publicly, recorded ones included:
a comment taken down from a villager's words can carry names or private details as
easily as one typed online, and publishing is a deliberate second step in the same
queue (the secretary who recorded it can approve it at once).
"""

import datetime
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from branches.permissions import can_manage_branch, is_branch_secretary, is_upper_staff
from pledges.enums import CommentStatus, FeedbackChannel, FeedbackRating, PledgeStatus
from pledges.limits import limit_hit
from pledges.models import Feedback, Pledge

# A pledge can be rated from its publication until it is crossed off (销号); the year-end
# evaluation (评议) then reads what was gathered.
FEEDBACK_STATUSES = frozenset(
    {
        PledgeStatus.PUBLISHED,
        PledgeStatus.IN_PROGRESS,
        PledgeStatus.COMPLETED,
        PledgeStatus.VERIFIED,
    }
)
COMMENT_MAX_LENGTH = Feedback._meta.get_field("comment").max_length
GATHERED_AT_MAX_LENGTH = Feedback._meta.get_field("gathered_at").max_length
# Online submissions one address may make in an hour, across all pledges: a villager
# rates a handful; more is a script.
FEEDBACK_HOURLY_CAP = 20
# Keyed hashes of client addresses are made for this purpose only.
ADDRESS_HASH_PURPOSE = "pledgewall.feedback.address"

# "今天已经评议过…": the words of the constraint that keeps one per address and day.
DUPLICATE_MESSAGE = next(
    constraint.violation_error_message
    for constraint in Feedback._meta.constraints
    if constraint.name == "feedback_one_per_address_and_day"
)


def address_hash_of(address: str, *, day: datetime.date) -> str:
    """A keyed hash of a client address for one day: enough to tell two submissions of a
    day apart, never the address itself. Mixing in the day keeps rows of different days
    from being linked to one another."""
    value = f"{day.isoformat()}|{address or ''}"
    return salted_hmac(ADDRESS_HASH_PURPOSE, value, algorithm="sha256").hexdigest()


def feedback_flood_check(*, address_hash: str, now: float | None = None) -> bool:
    """Count one submission from the address; False once it passed FEEDBACK_HOURLY_CAP in
    the current clock hour, whichever worker takes it. Kept in the shared cache
    (pledges.limits): a counter, nothing in the database."""
    hour = int((time.time() if now is None else now) // 3600)
    key = f"feedback:flood:{address_hash}:{hour}"
    # The counter outlives its hour by a minute, so that it cannot expire within it.
    return limit_hit(key, window_seconds=3600 + 60) <= FEEDBACK_HOURLY_CAP


def _clean_rating_and_comment(rating: str, comment: str) -> tuple[str, str, dict]:
    errors: dict[str, list] = {}
    comment = (comment or "").strip()
    if rating not in FeedbackRating.values:
        errors["rating"] = [_("请选择满意、基本满意或不满意。")]
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("留言最多 %(limit)d 个字，现在是 %(count)d 个字，请删短一些。")
            % {"limit": COMMENT_MAX_LENGTH, "count": len(comment)}
        ]
    return rating, comment, errors


def _check_open_for_feedback(status: str) -> None:
    if status not in FEEDBACK_STATUSES:
        raise ValidationError(_("这项承诺现在不接受评议。"))


def feedback_submit(
    *, pledge: Pledge, rating: str, comment: str, address_hash: str, day: datetime.date
) -> Feedback:
    """A villager's online feedback: a rating, perhaps a comment (then pending approval).

    One per pledge, address and day (the database constraint decides races). Raises
    ValidationError by field (rating, comment) or for the whole submission, with Chinese
    messages; nothing is written then.
    """
    rating, comment, errors = _clean_rating_and_comment(rating, comment)
    if errors:
        raise ValidationError(errors)
    if not address_hash:
        raise ValidationError(_("无法识别来源，请稍后再试。"))
    _check_open_for_feedback(pledge.status)
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                pledge=pledge,
                rating=rating,
                comment=comment,
                comment_status=CommentStatus.PENDING if comment else CommentStatus.NONE,
                channel=FeedbackChannel.ONLINE,
                address_hash=address_hash,
                day=day,
            )
    except IntegrityError:
        already = Feedback.objects.filter(
            pledge=pledge, channel=FeedbackChannel.ONLINE, address_hash=address_hash, day=day
        ).exists()
        if already:
            raise ValidationError(DUPLICATE_MESSAGE) from None
        raise


def feedback_record(
    *,
    pledge: Pledge,
    actor,
    rating: str,
    comment: str,
    gathered_at: str,
    day: datetime.date | None = None,
) -> Feedback:
    """Feedback the branch's secretary gathered from a villager (home visit, meeting,
    telephone): marked recorded, with who recorded it and where, counted apart from
    online feedback. A comment waits for approval like any other (see the module)."""
    if not can_manage_branch(actor, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以代为记录群众评议。"))
    rating, comment, errors = _clean_rating_and_comment(rating, comment)
    gathered_at = (gathered_at or "").strip()
    if not gathered_at:
        errors["gathered_at"] = [_("请填写在什么场合收集的，如入户走访、群众会、电话。")]
    elif len(gathered_at) > GATHERED_AT_MAX_LENGTH:
        errors["gathered_at"] = [
            _("收集场合最多 %(limit)d 个字。") % {"limit": GATHERED_AT_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    _check_open_for_feedback(pledge.status)
    with transaction.atomic():
        return Feedback.objects.create(
            pledge=pledge,
            rating=rating,
            comment=comment,
            comment_status=CommentStatus.PENDING if comment else CommentStatus.NONE,
            channel=FeedbackChannel.RECORDED,
            recorded_by=actor,
            gathered_at=gathered_at,
            day=day or timezone.localdate(),
        )


def can_moderate_branch(user, branch) -> bool:
    """The branch's secretary and committee staff above it decide on its comments."""
    return is_branch_secretary(user, branch) or is_upper_staff(user, branch)


def can_moderate(user, pledge: Pledge) -> bool:
    return can_moderate_branch(user, pledge.owner_branch)


def feedback_moderate(*, feedback: Feedback, actor, approve: bool) -> Feedback:
    """Show a comment publicly (approve) or keep it off the public pages (reject).

    A decision can be reversed (a comment approved by mistake is taken down again);
    feedback without a comment has nothing to decide. Returns the feedback as saved.
    """
    if not can_moderate(actor, feedback.pledge):
        raise PermissionDenied(_("只有本支部书记或上级党组织可以审核留言。"))
    target = CommentStatus.APPROVED if approve else CommentStatus.REJECTED
    with transaction.atomic():
        locked = Feedback.objects.select_for_update().get(pk=feedback.pk)
        if locked.comment_status == CommentStatus.NONE:
            raise ValidationError(_("这条评议没有留言，无需审核。"))
        if locked.comment_status == target and locked.moderated_by_id:
            return locked
        locked.comment_status = target
        locked.moderated_by = actor
        locked.save(update_fields=["comment_status", "moderated_by"])
    feedback.comment_status = locked.comment_status
    feedback.moderated_by = actor
    return feedback

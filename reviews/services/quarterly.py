"""Writes of the quarterly review (季度讲评): the branch's briefing, the upper
organisation's review of each branch pledge, and the committee's sign-off."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch, Committee
from branches.permissions import (
    can_manage_branch,
    is_staff_over,
    is_upper_staff,
)
from pledges.models import Pledge
from reviews.models import QuarterlyBriefing, QuarterlyReview, QuarterSignOff
from reviews.selectors.calendar import REVIEWABLE_STATUSES, quarter_is_signed_off


def _check_not_signed(*, committee: Committee, year: int, quarter: int) -> None:
    if quarter_is_signed_off(committee=committee, year=year, quarter=quarter):
        raise ValidationError(_("本季度讲评已签署，不能再修改。"))


@transaction.atomic
def quarterly_briefing_save(
    *,
    branch: Branch,
    year: int,
    quarter: int,
    actor,
    summary: str,
    member_comments: str,
    held_on: datetime.date,
) -> QuarterlyBriefing:
    """Record or rewrite the branch's briefing of the quarter, one per branch and quarter.

    Only the branch's secretary writes it, and only until the quarter is signed off by
    the branch's committee (or one above it).
    """
    if not can_manage_branch(actor, branch):
        raise PermissionDenied(_("支部季度讲评由本支部书记填写；上级党组织只能查看。"))
    # One writer at a time per branch: two saves never race to create the same row.
    list(Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk"))
    _check_not_signed(committee=branch.committee, year=year, quarter=quarter)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("讲评日期不能晚于今天。")})
    briefing, _created = QuarterlyBriefing.objects.update_or_create(
        branch=branch,
        year=year,
        quarter=quarter,
        defaults={
            "summary": summary.strip(),
            "member_comments": member_comments.strip(),
            "held_on": held_on,
            "recorded_by": actor,
        },
    )
    return briefing


CREATED, UPDATED, CORRECTED, UNCHANGED = "created", "updated", "corrected", "unchanged"


def quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, quarter * 3 - 2, 1)


def check_quarter_started(*, year: int, quarter: int, today: datetime.date | None = None) -> None:
    """A quarter is reviewed once it has begun: its first day is today or before."""
    if quarter_start(year, quarter) > (today or timezone.localdate()):
        raise ValidationError(
            _("%(year)s年第%(quarter)s季度尚未开始，不能讲评。")
            % {"year": year, "quarter": quarter}
        )


@dataclass(frozen=True)
class ReviewSaveResult:
    review: QuarterlyReview
    action: str


@transaction.atomic
def quarterly_review_save(
    *,
    pledge: Pledge,
    year: int,
    quarter: int,
    actor,
    rating: str,
    on_schedule: bool,
    comment: str,
    today: datetime.date | None = None,
) -> ReviewSaveResult:
    """Save the upper organisation's review of a branch pledge for the quarter.

    Only staff of the branch's committee or above review. The first save creates the
    original row; before the quarter is signed off a later save rewrites that row in
    place; after sign-off the rows are append-only and a change is a correction: a new
    row whose `corrects` points at the newest row of the chain. Saving the same values
    again changes nothing. A quarter that has not begun is refused.
    """
    if not is_upper_staff(actor, pledge.owner_branch):
        raise PermissionDenied(_("季度讲评由上级党组织工作人员填写。"))
    check_quarter_started(year=year, quarter=quarter, today=today)
    locked = Pledge.objects.select_for_update(of=("self",)).get(pk=pledge.pk)
    if locked.branch_id is None:
        raise ValidationError(_("上级党组织只讲评支部承诺；党员承诺由支部讲评。"))
    if locked.status not in REVIEWABLE_STATUSES:
        raise ValidationError(_("只有已公示、未撤销的承诺才能讲评。"))
    if locked.year != year:
        raise ValidationError(_("该承诺不属于这一年度。"))
    values = {"rating": rating, "on_schedule": on_schedule, "comment": comment.strip()}
    newest = (
        QuarterlyReview.objects.filter(
            pledge=locked, year=year, quarter=quarter, corrected_by__isnull=True
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if newest is None:
        review = QuarterlyReview.objects.create(
            pledge=locked, year=year, quarter=quarter, reviewer=actor, **values
        )
        return ReviewSaveResult(review, CREATED)
    if all(getattr(newest, name) == value for name, value in values.items()):
        return ReviewSaveResult(newest, UNCHANGED)
    signed = quarter_is_signed_off(
        committee=pledge.owner_branch.committee, year=year, quarter=quarter
    )
    if not signed:
        for name, value in values.items():
            setattr(newest, name, value)
        newest.reviewer = actor
        newest.created_at = timezone.now()
        newest.save(update_fields=[*values, "reviewer", "created_at"])
        return ReviewSaveResult(newest, UPDATED)
    review = QuarterlyReview.objects.create(
        pledge=locked, year=year, quarter=quarter, reviewer=actor, corrects=newest, **values
    )
    return ReviewSaveResult(review, CORRECTED)


@dataclass(frozen=True)
class ReviewEntry:
    """One row of the quarterly table to save."""

    pledge: Pledge
    rating: str
    on_schedule: bool
    comment: str


class ReviewBatchRefused(Exception):
    """One row of the quarterly table was refused: nothing of the save was kept."""

    def __init__(self, *, pledge: Pledge, reason: str):
        super().__init__(reason)
        self.pledge = pledge
        self.reason = reason


@transaction.atomic
def quarterly_reviews_save_many(
    *,
    entries: list[ReviewEntry],
    year: int,
    quarter: int,
    actor,
    today: datetime.date | None = None,
) -> list[ReviewSaveResult]:
    """Save the rows of the quarterly table in one transaction, each through
    `quarterly_review_save` (so each row is created, rewritten, corrected or left as
    it was by the same rules). The first refused row rolls the whole save back and
    raises ReviewBatchRefused naming its pledge."""
    results = []
    for entry in entries:
        try:
            results.append(
                quarterly_review_save(
                    pledge=entry.pledge,
                    year=year,
                    quarter=quarter,
                    actor=actor,
                    rating=entry.rating,
                    on_schedule=entry.on_schedule,
                    comment=entry.comment,
                    today=today,
                )
            )
        except (ValidationError, PermissionDenied) as refusal:
            reason = " ".join(getattr(refusal, "messages", None) or map(str, refusal.args))
            raise ReviewBatchRefused(pledge=entry.pledge, reason=reason) from refusal
    return results


def can_sign_off(user, committee: Committee) -> bool:
    """Staff of the committee or of one above it."""
    return is_staff_over(user, committee)


@transaction.atomic
def quarter_sign_off(*, committee: Committee, year: int, quarter: int, actor) -> QuarterSignOff:
    """Close the quarter's reviews for the committee's subtree: from now on they change
    only by correction. A quarter is signed once per committee."""
    if not can_sign_off(actor, committee):
        raise PermissionDenied(_("只有本党委或上级党委的工作人员可以签署。"))
    list(Committee.objects.select_for_update().filter(pk=committee.pk).values_list("pk"))
    if QuarterSignOff.objects.filter(committee=committee, year=year, quarter=quarter).exists():
        raise ValidationError(_("%(committee)s本季度讲评已经签署过了。") % {"committee": committee})
    return QuarterSignOff.objects.create(
        committee=committee, year=year, quarter=quarter, signed_by=actor
    )

"""Writes of the year-end evaluation (年终逐村评议): ratings, confirmation, publication
with the points ledger and the branch grades."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from branches.permissions import staff_committee_paths
from pledges.enums import FeedbackRating, PledgeStatus
from pledges.models import Feedback, Pledge
from pledges.selectors import OPEN_STATUSES
from pledges.workflow import TransitionNotAllowed
from reviews.enums import ReviewRating
from reviews.models import BranchGrade, PointsEntry, YearEndEvaluation
from reviews.rules import branch_grade, combine_result, member_points
from reviews.selectors.yearend import (
    RATEABLE_STATUSES,
    branches_with_year_figures,
    can_rate,
    overdue_reference,
    subtree_scope,
)
from reviews.services.stored_figures import yearend_figures_changed


def latest_evaluation(*, pledge: Pledge, year: int) -> YearEndEvaluation | None:
    """The newest row of the pledge's chain for the year: the one nothing corrects."""
    return (
        YearEndEvaluation.objects.filter(pledge=pledge, year=year, corrected_by__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def feedback_counts(*, pledge: Pledge) -> dict[str, int]:
    """Feedback of the pledge by rating; online and recorded feedback both count."""
    rows = (
        Feedback.objects.filter(pledge=pledge)
        .order_by()
        .values("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    return {FeedbackRating(rating): n for rating, n in rows}


@transaction.atomic
def evaluation_record(
    *, pledge: Pledge, actor, organisation_rating: ReviewRating, comment: str = ""
) -> YearEndEvaluation:
    """Record the organisation's year-end rating of a verified pledge, combined with
    the villagers' feedback by `reviews.rules.combine_result`.

    A second rating is a correction: a new row whose `corrects` is the row it
    replaces; allowed until the year's results of the pledge are published. A branch
    pledge rated by upper staff moves verified → evaluated at once; a member pledge
    rated by its secretary waits for the staff's confirmation (`evaluations_confirm`),
    since the evaluate move belongs to the upper organisation.

    Raises PermissionDenied (not the rater of this pledge) or ValidationError.
    """
    # One rating at a time per pledge: corrections never race each other.
    pledge = (
        Pledge.objects.select_for_update(of=("self",))
        .select_related("owner_branch__committee")
        .get(pk=pledge.pk)
    )
    if not can_rate(actor, pledge):
        if pledge.member_id:
            raise PermissionDenied(_("党员承诺由所在党支部书记评议。"))
        raise PermissionDenied(_("支部承诺由上级党组织评议。"))
    if pledge.status not in RATEABLE_STATUSES:
        raise ValidationError(_("只有已销号的承诺才能进行年终评议。"))
    year = pledge.year
    if YearEndEvaluation.objects.filter(pledge=pledge, year=year, is_published=True).exists():
        raise ValidationError(_("该承诺的评议结果已公示，不能再更正。"))
    rating = ReviewRating(organisation_rating)
    combined = combine_result(organisation_rating=rating, feedback=feedback_counts(pledge=pledge))
    evaluation = YearEndEvaluation.objects.create(
        pledge=pledge,
        year=year,
        organisation_rating=rating,
        feedback_score=combined.feedback_score,
        result_score=combined.score,
        result=combined.result,
        comment=(comment or "").strip(),
        evaluated_by=actor,
        corrects=latest_evaluation(pledge=pledge, year=year),
    )
    if pledge.branch_id and pledge.status == PledgeStatus.VERIFIED:
        pledge.evaluate(actor)
    return evaluation


@dataclass(frozen=True)
class EvaluationEntry:
    """One confirmed row of the year-end table."""

    pledge: Pledge
    organisation_rating: ReviewRating
    comment: str = ""


class EvaluationBatchRefused(Exception):
    """One confirmed row of the year-end table was refused: nothing was written."""

    def __init__(self, *, pledge: Pledge, reason: str):
        super().__init__(reason)
        self.pledge = pledge
        self.reason = reason


@transaction.atomic
def evaluations_record_many(*, entries: list[EvaluationEntry], actor) -> list[YearEndEvaluation]:
    """Record the confirmed rows of the year-end table in one transaction, each through
    `evaluation_record`. A row whose newest evaluation already says the same (rating and
    comment) is left alone rather than corrected with itself. The first refused row
    rolls the whole save back and raises EvaluationBatchRefused naming its pledge."""
    written = []
    for entry in entries:
        comment = (entry.comment or "").strip()
        newest = latest_evaluation(pledge=entry.pledge, year=entry.pledge.year)
        if (
            newest is not None
            and newest.organisation_rating == entry.organisation_rating
            and newest.comment == comment
        ):
            continue
        try:
            written.append(
                evaluation_record(
                    pledge=entry.pledge,
                    actor=actor,
                    organisation_rating=entry.organisation_rating,
                    comment=comment,
                )
            )
        except (PermissionDenied, ValidationError, TransitionNotAllowed) as refusal:
            reason = getattr(refusal, "message", None)
            if isinstance(refusal, ValidationError):
                reason = " ".join(refusal.messages)
            reason = str(reason or " ".join(map(str, refusal.args)))
            raise EvaluationBatchRefused(pledge=entry.pledge, reason=reason) from refusal
    return written


@dataclass
class ConfirmResult:
    moved: int = 0
    refused: list[tuple[Pledge, str]] = field(default_factory=list)


def evaluations_confirm(*, actor, year: int) -> ConfirmResult:
    """Upper staff confirm the year's ratings in their subtree: every verified pledge
    with a year-end rating moves to evaluated through `pledge.evaluate(actor)`.

    Each move is its own transaction; a refused move is reported, not raised, and the
    others go ahead. Raises PermissionDenied for someone who is no committee staff.
    """
    if not staff_committee_paths(actor):
        raise PermissionDenied(_("只有上级党组织才能确认评议结果。"))
    pledges = (
        Pledge.objects.filter(
            subtree_scope(actor, "owner_branch__"),
            year=year,
            status=PledgeStatus.VERIFIED,
            evaluations__year=year,
        )
        .distinct()
        .order_by("owner_branch", "pk")
    )
    result = ConfirmResult()
    for pledge in pledges:
        try:
            pledge.evaluate(actor)
        except (PermissionDenied, TransitionNotAllowed) as error:
            message = getattr(error, "message", None) or " ".join(map(str, error.args))
            result.refused.append((pledge, message))
        else:
            result.moved += 1
    return result


def points_correction(
    *, pledge: Pledge, due: list[tuple[int, str]], had: list[PointsEntry]
) -> PointsEntry | None:
    """The correction entry a pledge's points need, or None when its entries already
    add up to what it earns now: the difference, pointing at its last entry."""
    owed = sum(points for points, _reason in due)
    given = sum(entry.points for entry in had)
    if owed == given:
        return None
    why = "；".join(reason for _points, reason in due) or _("不再计分")
    reason = _("更正：%(why)s（原计 %(given)s 分，补记 %(delta)s 分）") % {
        "why": why,
        "given": given,
        "delta": f"{owed - given:+d}",
    }
    return PointsEntry(
        member_id=pledge.member_id,
        points=owed - given,
        reason=reason[:200],
        pledge=pledge,
        corrects=had[-1] if had else None,
    )


@dataclass
class PublishResult:
    evaluations: int
    points: int
    members_skipped: int
    grades: int
    branches_skipped: int


def _unconfirmed(*, actor, year: int):
    return Pledge.objects.filter(
        subtree_scope(actor, "owner_branch__"),
        year=year,
        status=PledgeStatus.VERIFIED,
        evaluations__year=year,
    ).distinct()


@transaction.atomic
def yearend_publish(*, actor, year: int, today: datetime.date | None = None) -> PublishResult:
    """Publish the year's results of the actor's subtree (用诺 公示), in one transaction
    and a fixed number of queries:

    1. every year-end evaluation of the year in the subtree is marked published
       (from then on it cannot be corrected);
    2. the points ledger: for each member with pledges of the year in the subtree,
       the entries of `reviews.rules.member_points` for each of those pledges. A member
       who already has entries for the year is skipped: the ledger is computed once
       and never replaced;
    3. the branch grades: for each branch of the subtree with pledges of the year
       and no grade yet, `reviews.rules.branch_grade` over its pledges (withdrawn
       ones left out), graded by the actor; a branch already graded is skipped.

    Publishing again later (after a pledge was crossed off and evaluated late) publishes
    the new evaluations and, for members already in the ledger, appends a correction
    entry for each pledge whose points now differ from its entries: the difference,
    pointing at the pledge's last entry. Nothing is ever replaced.

    Refuses (ValidationError) while a rated pledge still waits for confirmation, when
    the subtree has no evaluation of the year at all, and while a crossed-off (verified)
    pledge of the year has no rating: results are published once everything done has
    been evaluated. Pledges not crossed off do not hold it up: they count as overdue
    (or not) and, if crossed off later, earn their points by correction.
    """
    if not staff_committee_paths(actor):
        raise PermissionDenied(_("只有上级党组织才能公示年终评议结果。"))
    today = today or timezone.localdate()
    waiting = _unconfirmed(actor=actor, year=year).count()
    if waiting:
        raise ValidationError(
            _("还有 %(count)s 项已评议的承诺未确认，请先确认评议结果再公示。") % {"count": waiting}
        )
    in_subtree = Pledge.objects.filter(subtree_scope(actor, "owner_branch__"), year=year)
    if not YearEndEvaluation.objects.filter(
        subtree_scope(actor, "pledge__owner_branch__"), year=year
    ).exists():
        raise ValidationError(_("本年度还没有任何评议结果，请先进行年终评议再公示。"))
    unrated = (
        in_subtree.filter(status=PledgeStatus.VERIFIED).exclude(evaluations__year=year).count()
    )
    if unrated:
        raise ValidationError(
            _("还有 %(count)s 项已销号的承诺未评议，请全部评议后再公示。") % {"count": unrated}
        )
    in_scope = subtree_scope(actor, "pledge__owner_branch__")
    evaluations = YearEndEvaluation.objects.filter(in_scope, year=year)
    published = evaluations.filter(is_published=False).update(is_published=True)
    if published:
        # Marked in bulk, without their signals: the year-end figures count them again.
        yearend_figures_changed(pledge_q=Q(subtree_scope(actor, "owner_branch__"), year=year))
    reference = overdue_reference(year=year, today=today)

    # 2. Points: each member pledge of the year with its latest result.
    result = Subquery(
        YearEndEvaluation.objects.filter(
            pledge=OuterRef("pk"), year=year, corrected_by__isnull=True, is_published=True
        )
        .order_by("-created_at", "-pk")
        .values("result")[:1]
    )
    member_pledges = list(
        Pledge.objects.filter(
            subtree_scope(actor, "owner_branch__"), year=year, member__isnull=False
        )
        .annotate(result=result)
        .only("pk", "title", "status", "due_date", "member_id")
        .order_by("member_id", "pk")
    )
    member_ids = {pledge.member_id for pledge in member_pledges}
    # The ledger so far of the members already in it, by pledge, oldest first.
    ledger: dict[int | None, list[PointsEntry]] = {}
    done_members = set()
    for entry in PointsEntry.objects.filter(year=year, member_id__in=member_ids).order_by(
        "created_at", "pk"
    ):
        done_members.add(entry.member_id)
        ledger.setdefault(entry.pledge_id, []).append(entry)
    now = timezone.now()
    entries = []
    for pledge in member_pledges:
        due = member_points(
            pledge_title=pledge.title,
            pledge_status=pledge.status,
            result=pledge.result,
            overdue=pledge.status in OPEN_STATUSES and pledge.due_date < reference,
        )
        if pledge.member_id not in done_members:
            entries.extend(
                PointsEntry(
                    member_id=pledge.member_id,
                    year=year,
                    points=points,
                    reason=reason,
                    pledge=pledge,
                    created_at=now,
                )
                for points, reason in due
            )
            continue
        correction = points_correction(pledge=pledge, due=due, had=ledger.get(pledge.pk, []))
        if correction is not None:
            correction.year, correction.created_at = year, now
            entries.append(correction)
    PointsEntry.objects.bulk_create(entries)

    # 3. Branch grades, from figures counted in SQL.
    branches = list(
        branches_with_year_figures(
            Branch.objects.filter(subtree_scope(actor)).exclude(grades__year=year),
            year=year,
            reference=reference,
        )
        .filter(pledges_total__gt=0)
        .order_by("pk")
    )
    grades = []
    for branch in branches:
        grade, reasons = branch_grade(
            done_share=Decimal(branch.pledges_done) / Decimal(branch.pledges_total),
            average_score=branch.average_score,
            overdue_count=branch.pledges_overdue,
            pledges=branch.pledges_total,
        )
        grades.append(
            BranchGrade(
                branch=branch,
                year=year,
                grade=grade,
                reasons="\n".join(reasons),
                graded_by=actor,
                created_at=now,
            )
        )
    BranchGrade.objects.bulk_create(grades)
    graded_before = BranchGrade.objects.filter(
        subtree_scope(actor, "branch__"), year=year
    ).count() - len(grades)
    return PublishResult(
        evaluations=published,
        points=len(entries),
        members_skipped=len(done_members),
        grades=len(grades),
        branches_skipped=graded_before,
    )

"""Reads of the year-end evaluation pages, each in a fixed number of queries and scoped
to what the person may see."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    Count,
    Exists,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from branches.models import Branch, Member
from branches.permissions import (
    is_branch_secretary,
    is_upper_staff,
    secretary_branch_id,
    staff_committee_paths,
)
from pledges.enums import FeedbackChannel, FeedbackRating, PledgeStatus
from pledges.figures import LIVE, count_rows, counted_q, done_q, overdue_q
from pledges.models import Feedback, Pledge
from pledges.selectors import OPEN_STATUSES
from pledges.workflow import PUBLIC_STATUSES
from reviews.enums import ReviewRating
from reviews.models import BranchGrade, PointsEntry, QuarterlyReview, YearEndEvaluation
from reviews.rules import suggested_rating
from reviews.stored_figures import YEAREND_FIGURES, YearEndFigures

# Statuses in which a pledge can be rated at year end (evaluated: a correction).
RATEABLE_STATUSES = frozenset({PledgeStatus.VERIFIED, PledgeStatus.EVALUATED})
# Members with at least this many points in the year are award candidates (评优评先).
AWARD_POINTS = 15
YEAREND_PAGE_SIZE = 50


def overdue_reference(*, year: int, today: datetime.date) -> datetime.date:
    """A pledge still open with a due date before this day is overdue at year end:
    today during the year, 1 January of the next year once the year is over."""
    return min(today, datetime.date(year + 1, 1, 1))


def subtree_scope(user, prefix: str = "") -> Q:
    """Rows whose branch lies in the user's committee subtrees (`prefix` leads from the
    row to the branch); matches nothing for a user who is no committee staff."""
    scope = Q(pk__in=[])
    for path in staff_committee_paths(user):
        scope |= Q(**{f"{prefix}committee__path__startswith": path})
    return scope


def can_rate(user, pledge: Pledge) -> bool:
    """Per the article: a member's pledge is rated by the member's branch (its
    secretary), a branch's pledge by the upper organisation (committee staff above)."""
    if pledge.member_id:
        return is_branch_secretary(user, pledge.owner_branch)
    return is_upper_staff(user, pledge.owner_branch)


def latest_evaluations(*, year: int) -> QuerySet[YearEndEvaluation]:
    """The newest row of each chain of the year: the rows nothing corrects."""
    return YearEndEvaluation.objects.filter(year=year, corrected_by__isnull=True)


def _latest_result(year: int, *, published_only: bool = False) -> Subquery:
    rows = latest_evaluations(year=year).filter(pledge=OuterRef("pk"))
    if published_only:
        rows = rows.filter(is_published=True)
    return Subquery(rows.order_by("-created_at", "-pk").values("result")[:1])


def branches_with_year_figures(
    branches: QuerySet[Branch], *, year: int, reference: datetime.date
) -> QuerySet[Branch]:
    """Annotate each branch with its pledges of the year, the done ones and the overdue
    ones as of `reference` (the one definition of each, pledges.figures, for the year's
    pledges), and the average score of their published year-end results (None when there
    is none)."""
    pledges = Pledge.objects.filter(owner_branch=OuterRef("pk"), year=year)
    average = (
        latest_evaluations(year=year)
        .filter(pledge__owner_branch=OuterRef("pk"), is_published=True)
        .order_by()
        .values("pledge__owner_branch")
        .annotate(a=Avg("result_score"))
        .values("a")[:1]
    )
    return branches.annotate(
        pledges_total=count_rows(pledges.filter(counted_q(LIVE, year=year)), "owner_branch"),
        pledges_done=count_rows(pledges.filter(done_q(LIVE, year=year)), "owner_branch"),
        pledges_overdue=count_rows(
            pledges.filter(overdue_q(LIVE, reference, year=year)), "owner_branch"
        ),
        average_score=Subquery(average),
    )


def _feedback_count(channel: FeedbackChannel, rating: FeedbackRating):
    """A pledge's feedback of one channel and rating, as a correlated subquery: computed
    for the rows of the page only, where a join counted under GROUP BY would group every
    pledge of the list before the page is cut from it."""
    return count_rows(
        Feedback.objects.filter(pledge=OuterRef("pk"), channel=channel, rating=rating), "pledge"
    )


@dataclass
class YearEndPage:
    year: int
    is_staff: bool
    page: Page
    total: int
    rated: int
    waiting: int
    published: int


def with_first_evaluation(pledges: QuerySet[Pledge], *, year: int) -> QuerySet[Pledge]:
    """The pledges, each joined to the first row of its evaluation chain of the year: at
    most one (the constraint evaluation_one_per_year), so plain counts over it are the
    pledges rated (every chain has one first row) and published (a chain is published
    whole: yearend_publish marks every row, and no correction is recorded after). Counting
    distinct pledges over all rows, each joined to the row correcting it, sorted the
    year's evaluations three times (most of last year's page at scale 100)."""
    return pledges.annotate(
        first_evaluation=FilteredRelation(
            "evaluations", condition=Q(evaluations__year=year, evaluations__corrects__isnull=True)
        )
    )


def yearend_counts() -> dict:
    """The year-end figures of pledges `with_first_evaluation` (the one definition: the
    page counts them live, reviews.stored_figures keeps them per branch): the pledges to
    rate, the rated ones, those of them waiting for confirmation, the published ones."""
    return {
        "total": Count("pk"),
        "rated": Count("first_evaluation"),
        "waiting": Count("first_evaluation", filter=Q(status=PledgeStatus.VERIFIED)),
        "published": Count("first_evaluation", filter=Q(first_evaluation__is_published=True)),
    }


def _stored_yearend_figures(*, user, year: int) -> dict | None:
    """The year-end figures of committee staff's whole list, summed from the stored figures
    of their subtree's branches (one query); None where the list is not a subtree's (a
    secretary's member pledges, alone or beside a subtree), which is then counted live."""
    if secretary_branch_id(user) is not None or not staff_committee_paths(user):
        return None
    sums = YearEndFigures.objects.filter(subtree_scope(user, "branch__"), year=year).aggregate(
        **{name: Coalesce(Sum(name), 0) for name in YEAREND_FIGURES}
    )
    return sums


def yearend_pledges(*, user, year: int) -> QuerySet[Pledge]:
    """The year's verified (or already evaluated) pledges the user takes part in rating:
    committee staff see every one of their subtree (member pledges to confirm), a
    secretary the member pledges of their branch."""
    scope = subtree_scope(user, "owner_branch__") | Q(
        member__isnull=False, owner_branch__secretary=user
    )
    return Pledge.objects.filter(scope, year=year, status__in=RATEABLE_STATUSES)


# The year-end table's status filter: about the evaluation, then the pledge's status.
UNRATED, RATED = "unrated", "rated"


def yearend_status_choices() -> list[tuple[str, str]]:
    return [
        (UNRATED, _("未评议")),
        (RATED, _("已评议")),
        (str(PledgeStatus.VERIFIED), PledgeStatus.VERIFIED.label),
        (str(PledgeStatus.EVALUATED), PledgeStatus.EVALUATED.label),
    ]


def yearend_status_filters(*, year: int) -> dict:
    rated = Exists(latest_evaluations(year=year).filter(pledge=OuterRef("pk")))
    return {
        UNRATED: ~rated,
        RATED: rated,
        str(PledgeStatus.VERIFIED): Q(status=PledgeStatus.VERIFIED),
        str(PledgeStatus.EVALUATED): Q(status=PledgeStatus.EVALUATED),
    }


def yearend_page(*, user, year: int, page_number=1, narrow=None) -> YearEndPage:
    """The year-end table: a page of pledges, each with its feedback counts (online and
    recorded apart), its latest evaluation, whether the user may rate it and the rating
    `reviews.rules.suggested_rating` offers (from the year's quarterly reviews and the
    feedback), and the figures of the whole list. Four queries whatever the size.

    `narrow`, if given, filters the pledges (the page's committee / branch / status
    filters); the figures count the whole list.
    """
    pledges = yearend_pledges(user=user, year=year)
    figures = _stored_yearend_figures(user=user, year=year)
    if figures is None:
        figures = with_first_evaluation(pledges, year=year).aggregate(**yearend_counts())
    listed = narrow(pledges) if narrow else pledges
    rows = (
        listed.select_related("owner_branch__committee", "member", "branch")
        .annotate(
            online_satisfied=_feedback_count(FeedbackChannel.ONLINE, FeedbackRating.SATISFIED),
            online_fairly=_feedback_count(FeedbackChannel.ONLINE, FeedbackRating.FAIRLY_SATISFIED),
            online_dissatisfied=_feedback_count(
                FeedbackChannel.ONLINE, FeedbackRating.DISSATISFIED
            ),
            recorded_satisfied=_feedback_count(FeedbackChannel.RECORDED, FeedbackRating.SATISFIED),
            recorded_fairly=_feedback_count(
                FeedbackChannel.RECORDED, FeedbackRating.FAIRLY_SATISFIED
            ),
            recorded_dissatisfied=_feedback_count(
                FeedbackChannel.RECORDED, FeedbackRating.DISSATISFIED
            ),
        )
        .prefetch_related(
            Prefetch(
                "evaluations",
                queryset=latest_evaluations(year=year).order_by("-created_at", "-pk"),
                to_attr="latest",
            )
        )
        .order_by("owner_branch__committee__path", "owner_branch__name", "-branch", "pk")
    )
    paginator = Paginator(rows, YEAREND_PAGE_SIZE)
    if listed is pledges:
        # Nothing narrowed (the filters return the queryset itself): the list is the
        # figures' whole list, already counted.
        paginator.count = figures["total"]
    page = paginator.get_page(page_number)
    quarterly: dict[int, list[str]] = {}
    for pledge_id, rating in QuarterlyReview.objects.filter(
        pledge__in=[pledge.pk for pledge in page.object_list],
        year=year,
        corrected_by__isnull=True,
    ).values_list("pledge_id", "rating"):
        quarterly.setdefault(pledge_id, []).append(rating)
    for pledge in page.object_list:
        pledge.evaluation = pledge.latest[0] if pledge.latest else None
        pledge.can_rate = can_rate(user, pledge) and not (
            pledge.evaluation and pledge.evaluation.is_published
        )
        pledge.quarterly_ratings = quarterly.get(pledge.pk, [])
        pledge.suggestion = suggested_rating(
            quarterly_ratings=pledge.quarterly_ratings,
            feedback={
                FeedbackRating.SATISFIED: pledge.online_satisfied + pledge.recorded_satisfied,
                FeedbackRating.FAIRLY_SATISFIED: pledge.online_fairly + pledge.recorded_fairly,
                FeedbackRating.DISSATISFIED: pledge.online_dissatisfied
                + pledge.recorded_dissatisfied,
            },
        )
    return YearEndPage(
        year=year,
        is_staff=bool(staff_committee_paths(user)),
        page=page,
        **figures,
    )


@dataclass
class PointsLedger:
    member: Member
    year: int
    entries: list[PointsEntry]

    @property
    def total(self) -> int:
        return sum(entry.points for entry in self.entries)


def points_ledger(*, member: Member, year: int) -> PointsLedger:
    """The member's points of the year with the reason of each entry: one query."""
    entries = list(
        PointsEntry.objects.filter(member=member, year=year)
        .select_related("pledge")
        .order_by("created_at", "pk")
    )
    return PointsLedger(member=member, year=year, entries=entries)


@dataclass
class YearEndLists:
    year: int
    members: list[Member]
    branches: list[BranchGrade]
    accountability: list[Pledge]


def accountability_pledges(*, user, year: int, today: datetime.date) -> QuerySet[Pledge]:
    """Pledges that call for accountability (问责): open past their due date at year end,
    or evaluated 差 (latest result)."""
    reference = overdue_reference(year=year, today=today)
    return (
        Pledge.objects.filter(subtree_scope(user, "owner_branch__"), year=year)
        .annotate(result=_latest_result(year))
        .filter(Q(status__in=OPEN_STATUSES, due_date__lt=reference) | Q(result=ReviewRating.POOR))
        .select_related("owner_branch__committee", "member", "branch")
        .order_by("owner_branch__committee__path", "owner_branch__name", "due_date", "pk")
    )


def yearend_lists(*, user, year: int, today: datetime.date) -> YearEndLists:
    """Award candidates (members with AWARD_POINTS or more, branches graded 好) and the
    pledges calling for accountability, in the user's subtree: three queries."""
    members = list(
        Member.objects.filter(subtree_scope(user, "branch__"))
        .annotate(total_points=Sum("points__points", filter=Q(points__year=year)))
        .filter(total_points__gte=AWARD_POINTS)
        .select_related("branch")
        .order_by("-total_points", "branch__name", "name", "pk")
    )
    branches = list(
        BranchGrade.objects.filter(
            subtree_scope(user, "branch__"), year=year, grade=ReviewRating.GOOD
        )
        .select_related("branch__committee")
        .order_by("branch__committee__path", "branch__name")
    )
    accountability = list(accountability_pledges(user=user, year=year, today=today))
    for pledge in accountability:
        reference = overdue_reference(year=year, today=today)
        pledge.is_overdue = pledge.status in OPEN_STATUSES and pledge.due_date < reference
    return YearEndLists(
        year=year, members=members, branches=branches, accountability=accountability
    )


@dataclass
class ResultsBranch:
    branch: Branch
    grade: BranchGrade | None
    pledges: list[Pledge]


@dataclass
class PublishedYear:
    year: int
    pledges: int  # pledges with a published result
    branches: int  # branches graded


def published_result_years() -> list[PublishedYear]:
    """Each year with published year-end results, newest first. Two queries."""
    grades = dict(
        BranchGrade.objects.order_by()
        .values("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    rows = (
        YearEndEvaluation.objects.filter(is_published=True, corrected_by__isnull=True)
        .order_by()
        .values("year")
        .annotate(n=Count("pledge", distinct=True))
        .values_list("year", "n")
    )
    return sorted(
        (PublishedYear(year, pledges, grades.get(year, 0)) for year, pledges in rows),
        key=lambda row: -row.year,
    )


def public_results(*, year: int) -> list[ResultsBranch]:
    """The published year-end results for the public site: each branch with its grade
    and its public pledges' published results. Nothing else: no scores' authors, no
    comments, no member who withdrew consent. Two queries."""
    grades = {
        grade.branch_id: grade
        for grade in BranchGrade.objects.filter(year=year).select_related("branch__committee")
    }
    published = latest_evaluations(year=year).filter(pledge=OuterRef("pk"), is_published=True)
    pledges = (
        Pledge.objects.filter(year=year, status__in=PUBLIC_STATUSES)
        .filter(Q(member__isnull=True) | Q(member__public_page_enabled=True))
        .filter(Exists(published))
        .annotate(result=_latest_result(year, published_only=True))
        .select_related("owner_branch__committee", "member")
        .only(
            "pk",
            "title",
            "status",
            "member",
            "member__name",
            "owner_branch",
            "owner_branch__name",
            "owner_branch__committee__name",
            "owner_branch__committee__path",
        )
        .order_by("owner_branch__committee__path", "owner_branch__name", "-branch", "pk")
    )
    by_branch: dict[int, ResultsBranch] = {}
    for pledge in pledges:
        pledge.result_label = ReviewRating(pledge.result).label
        row = by_branch.get(pledge.owner_branch_id)
        if row is None:
            row = by_branch[pledge.owner_branch_id] = ResultsBranch(
                branch=pledge.owner_branch, grade=grades.get(pledge.owner_branch_id), pledges=[]
            )
        row.pledges.append(pledge)
    for branch_id, grade in grades.items():
        if branch_id not in by_branch:
            by_branch[branch_id] = ResultsBranch(branch=grade.branch, grade=grade, pledges=[])
    return sorted(by_branch.values(), key=lambda row: (row.branch.committee.path, row.branch.name))


def export_sheets(*, user, year: int) -> list[tuple[str, list[str], list[list]]]:
    """The three sheets of the year-end export for the user's subtree: 评议结果, 党员积分,
    支部定级. Three queries."""
    evaluations = (
        latest_evaluations(year=year)
        .filter(subtree_scope(user, "pledge__owner_branch__"))
        .select_related("pledge__owner_branch__committee", "pledge__member")
        .order_by("pledge__owner_branch__committee__path", "pledge__owner_branch__name", "pk")
    )
    results = [
        [
            row.pledge.owner_branch.committee.name,
            row.pledge.owner_branch.name,
            row.pledge.title,
            row.pledge.member.name if row.pledge.member_id else row.pledge.owner_branch.name,
            _("党员承诺") if row.pledge.member_id else _("支部承诺"),
            str(ReviewRating(row.organisation_rating).label),
            float(row.feedback_score) if row.feedback_score is not None else None,
            float(row.result_score),
            str(ReviewRating(row.result).label),
            _("是") if row.is_published else _("否"),
        ]
        for row in evaluations
    ]
    points = [
        [entry.member.branch.name, entry.member.name, entry.points, entry.reason]
        for entry in PointsEntry.objects.filter(subtree_scope(user, "member__branch__"), year=year)
        .select_related("member__branch")
        .order_by("member__branch__name", "member__name", "member_id", "created_at", "pk")
    ]
    grades = [
        [
            grade.branch.committee.name,
            grade.branch.name,
            str(ReviewRating(grade.grade).label),
            grade.reasons,
        ]
        for grade in BranchGrade.objects.filter(subtree_scope(user, "branch__"), year=year)
        .select_related("branch__committee")
        .order_by("branch__committee__path", "branch__name")
    ]
    result_headers = [
        _("党委"),
        _("党支部"),
        _("承诺事项"),
        _("承诺人"),
        _("类型"),
        _("组织评议"),
        _("群众评议得分"),
        _("综合得分"),
        _("评议结果"),
        _("已公示"),
    ]
    return [
        (_("评议结果"), result_headers, results),
        (_("党员积分"), [_("党支部"), _("党员"), _("分值"), _("原因")], points),
        (_("支部定级"), [_("党委"), _("党支部"), _("等次"), _("定级依据")], grades),
    ]

"""The branch work manual (党支部工作手册): one branch's year.

`branch_work_manual` reads it in a fixed number of queries whatever the size of the roll,
the needs list and the records, and groups the rows in Python. The needs list leaves out
who raised each need (Need.raised_by); the roll leaves out phones, birth years and
exemption notes.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from branches.models import Branch, Member, Pairing
from branches.names import surname_first
from pledges.enums import NeedCategory, PledgeStatus
from pledges.figures import LIVE
from pledges.focus_areas import focus_areas
from pledges.models import Need, Pledge
from pledges.workflow import OPEN_STATUSES
from reviews.enums import NoticeStatus
from reviews.manuals.member import manual_pledges, mark_nodes, roll_of, year_months
from reviews.models import (
    BranchGrade,
    HalfYearNotice,
    MonthlyReport,
    QuarterlyBriefing,
    QuarterlyReview,
)
from reviews.selectors.calendar import (
    QUARTERS,
    BranchHalfYear,
    ancestor_paths,
    half_year_end,
    halfyear_figures,
)
from reviews.selectors.yearend import (
    branches_with_year_figures,
    latest_evaluations,
    overdue_reference,
)
from reviews.services.halfyear import is_slow_branch


@dataclass
class RosterRow:
    member: Member
    pledges: list[Pledge]
    # (status label, how many) of the member's pledges of the year, in workflow order.
    statuses: list[tuple[str, int]]

    @property
    def counted(self) -> int:
        """Pledges the figures count (全部承诺，不含草稿、已撤销)."""
        return sum(1 for pledge in self.pledges if pledge.status in LIVE.statuses)


@dataclass
class MonthRow:
    month: datetime.date
    reported: int
    on_roll: int
    # A month not yet begun: no report is missing yet.
    is_future: bool = False


@dataclass
class QuarterRow:
    quarter: int
    briefing: QuarterlyBriefing | None
    reviews: list[QuarterlyReview]
    # The branch pledges reviewable that quarter without a review (published or later).
    unreviewed: int = 0


@dataclass
class HalfYear:
    due: datetime.date
    figures: BranchHalfYear | None
    is_slow: bool
    # Published notices of the branch's committee (or above) that name the branch.
    named_in: list[HalfYearNotice] = field(default_factory=list)
    notices: int = 0


@dataclass
class BranchWorkManual:
    branch: Branch
    year: int
    focus: tuple[NeedCategory, ...]
    pairings: list[Pairing]
    roster: list[RosterRow]
    branch_pledges: list[Pledge]
    member_pledges: list[Pledge]
    needs: list[Need]
    months: list[MonthRow]
    quarters: list[QuarterRow]
    half_year: HalfYear
    grade: BranchGrade | None
    # The year's figures of the branch (pledges.figures' definitions, for the year).
    pledges_total: int = 0
    pledges_done: int = 0
    pledges_overdue: int = 0

    @property
    def secretary(self) -> str:
        """The secretary as the roster names them, else the name on their account."""
        if self.branch.secretary_name:
            return self.branch.secretary_name
        account = self.branch.secretary
        return surname_first(account) if account is not None else ""

    @property
    def exempt(self) -> int:
        return sum(1 for row in self.roster if row.member.is_exempt)

    @property
    def covered(self) -> int:
        """On the roll, not exempt, with at least one counted pledge (覆盖)."""
        return sum(1 for row in self.roster if not row.member.is_exempt and row.counted)

    @property
    def reported_months(self) -> int:
        return sum(1 for row in self.months if row.reported)

    @property
    def briefings(self) -> int:
        return sum(1 for row in self.quarters if row.briefing)

    @property
    def reviews(self) -> int:
        return sum(len(row.reviews) for row in self.quarters)


STATUS_ORDER = {status: index for index, status in enumerate(PledgeStatus.values)}


def _status_summary(pledges: list[Pledge]) -> list[tuple[str, int]]:
    counts = Counter(pledge.status for pledge in pledges)
    return [
        (PledgeStatus(status).label, count)
        for status, count in sorted(counts.items(), key=lambda item: STATUS_ORDER[item[0]])
    ]


def branch_work_manual(*, branch: Branch, year: int, today: datetime.date) -> BranchWorkManual:
    """The branch's work manual for the year, in fourteen queries whatever its size.
    `branch` comes with its committee (branches.selectors.branch_for)."""
    reference = overdue_reference(year=year, today=today)

    pairings = list(
        Pairing.objects.filter(Q(office_branch=branch) | Q(village_branch=branch), year=year)
        .select_related("office_branch", "village_branch")
        .order_by("pk")
    )

    members = list(roll_of(branch))
    member_ids = [member.pk for member in members]
    pledges = list(
        manual_pledges(
            Pledge.objects.filter(Q(owner_branch=branch) | Q(member_id__in=member_ids), year=year),
            also=("member__name",),
        ).select_related("member")
    )
    mark_nodes(pledges, reference=reference)
    for pledge in pledges:
        # The one definition of overdue (pledges.figures.overdue_q), as of the reference.
        pledge.is_overdue = pledge.status in OPEN_STATUSES and pledge.due_date < reference
    by_member = defaultdict(list)
    for pledge in pledges:
        if pledge.member_id:
            by_member[pledge.member_id].append(pledge)
    roster = [
        RosterRow(member=member, pledges=by_member[member.pk], statuses=[]) for member in members
    ]
    for row in roster:
        row.statuses = _status_summary(row.pledges)

    evaluations = {}
    for evaluation in (
        latest_evaluations(year=year)
        .filter(pledge_id__in=[pledge.pk for pledge in pledges], is_published=True)
        .only("pk", "pledge_id", "result", "result_score", "created_at")
        .order_by("created_at", "pk")
    ):
        evaluations[evaluation.pledge_id] = evaluation
    for pledge in pledges:
        pledge.evaluation = evaluations.get(pledge.pk)

    own = [pledge for pledge in pledges if pledge.branch_id == branch.pk]
    members_pledges = sorted(
        (pledge for pledge in pledges if pledge.member_id and pledge.owner_branch_id == branch.pk),
        key=lambda pledge: (pledge.member.name, pledge.member_id, pledge.due_date, pledge.pk),
    )

    figures = (
        branches_with_year_figures(
            Branch.objects.filter(pk=branch.pk), year=year, reference=reference
        )
        .values("pledges_total", "pledges_done", "pledges_overdue")
        .first()
    ) or {}

    return BranchWorkManual(
        branch=branch,
        year=year,
        focus=focus_areas(branch.kind),
        pairings=pairings,
        roster=roster,
        branch_pledges=own,
        member_pledges=members_pledges,
        needs=_needs(branch=branch, year=year),
        months=_months(branch=branch, year=year, on_roll=len(members), today=today),
        quarters=_quarters(branch=branch, year=year, own=own),
        half_year=_half_year(branch=branch, year=year, today=today),
        grade=BranchGrade.objects.filter(branch=branch, year=year).first(),
        pledges_total=figures.get("pledges_total", 0),
        pledges_done=figures.get("pledges_done", 0),
        pledges_overdue=figures.get("pledges_overdue", 0),
    )


def _needs(*, branch: Branch, year: int) -> list[Need]:
    """The needs of the year: registered in the year, or answered by a pledge of the year;
    each with every pledge that answered it (of any year: a need registered late in one
    year is often answered the next; drafts and withdrawn pledges left out). Two
    queries."""
    answering = (
        Pledge.objects.filter(status__in=LIVE.statuses)
        .select_related("member", "branch")
        .only("pk", "title", "status", "year", "member__name", "branch__name", "due_date")
        .order_by("year", "due_date", "pk")
    )
    needs = list(
        Need.objects.filter(
            Q(created_at__year=year) | Q(pledges__year=year, pledges__status__in=LIVE.statuses),
            branch=branch,
        )
        .distinct()
        .defer("raised_by")
        .prefetch_related(Prefetch("pledges", queryset=answering, to_attr="answers"))
        .order_by("created_at", "pk")
    )
    for need in needs:
        need.answer_groups = _by_title(need.answers)
    return needs


@dataclass
class AnswerGroup:
    """Pledges of one title that answered a need (members often pledge the same work)."""

    title: str
    year: int
    pledges: list[Pledge]


def _by_title(pledges: list[Pledge]) -> list[AnswerGroup]:
    groups: dict[tuple[str, int], AnswerGroup] = {}
    for pledge in pledges:
        key = (pledge.title, pledge.year)
        if key not in groups:
            groups[key] = AnswerGroup(title=pledge.title, year=pledge.year, pledges=[])
        groups[key].pledges.append(pledge)
    return list(groups.values())


def _months(*, branch: Branch, year: int, on_roll: int, today: datetime.date) -> list[MonthRow]:
    """Members on the roll who reported at each month's theme party day: one query."""
    months = year_months(year)
    reported = dict(
        MonthlyReport.objects.filter(
            member__branch=branch,
            member__is_active=True,
            month__gte=months[0],
            month__lte=months[-1],
        )
        .values("month")
        .annotate(n=Count("member", distinct=True))
        .values_list("month", "n")
    )
    return [MonthRow(month, reported.get(month, 0), on_roll, month > today) for month in months]


def _quarters(*, branch: Branch, year: int, own: list[Pledge]) -> list[QuarterRow]:
    """Each quarter's branch briefing and the upper organisation's reviews of the branch's
    pledges (the newest row of each chain): two queries."""
    briefings = {
        briefing.quarter: briefing
        for briefing in QuarterlyBriefing.objects.filter(branch=branch, year=year)
    }
    titles = {pledge.pk: pledge for pledge in own}
    reviews = defaultdict(list)
    for review in (
        QuarterlyReview.objects.filter(
            pledge__branch=branch, pledge__year=year, year=year, corrected_by__isnull=True
        )
        .only("pk", "pledge_id", "quarter", "rating", "on_schedule", "comment")
        .order_by("quarter", "pledge__due_date", "pledge_id")
    ):
        review.pledge = titles.get(review.pledge_id)
        if review.pledge is not None:
            reviews[review.quarter].append(review)
    return [
        QuarterRow(quarter=quarter, briefing=briefings.get(quarter), reviews=reviews[quarter])
        for quarter in QUARTERS
    ]


def _half_year(*, branch: Branch, year: int, today: datetime.date) -> HalfYear:
    """The branch's half-year figures (the notice's own reader and rule) and the published
    notices above it that name it: two queries."""
    reference = min(today, half_year_end(year) + datetime.timedelta(days=1))
    figures = next(
        (
            row
            for row in halfyear_figures(committee=branch.committee, year=year, today=reference)
            if row.branch_id == branch.pk
        ),
        None,
    )
    notices = list(
        HalfYearNotice.objects.filter(
            year=year,
            status=NoticeStatus.PUBLISHED,
            committee__path__in=ancestor_paths(branch.committee.path),
        ).only("pk", "title", "body", "published_at")
    )
    return HalfYear(
        due=half_year_end(year),
        figures=figures,
        is_slow=bool(figures)
        and is_slow_branch(
            total=figures.total, overdue=figures.overdue, not_started=figures.not_started
        ),
        named_in=[notice for notice in notices if branch.name in notice.body],
        notices=len(notices),
    )

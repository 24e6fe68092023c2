"""The member activity manual (党员活动手册): one member's year, or every member on a roll.

`member_manuals` reads any number of members in nine queries (members, pairings, pledges,
their time nodes, monthly reports, quarterly reviews, branch briefings, year-end
evaluations, points) and groups the rows in Python. Nothing private is read into it: no
phone, no birth year, no exemption note, no draft pledge.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from branches.models import Branch, Member, MemberPairing
from pledges.enums import PledgeStatus
from pledges.manuals import NODE_STATE_LABELS, node_state
from pledges.models import Pledge, TimeNode
from reviews.models import MonthlyReport, PointsEntry, QuarterlyBriefing, QuarterlyReview
from reviews.selectors.calendar import QUARTERS
from reviews.selectors.yearend import PointsLedger, latest_evaluations, overdue_reference

# The member's own columns a manual shows; phone, birth year and the exemption note stay out.
MEMBER_FIELDS = (
    "pk",
    "name",
    "gender",
    "joined_on",
    "is_exempt",
    "exemption_reason",
    "is_active",
    "public_page_enabled",
    "public_token",
    "branch_id",
    "branch__name",
    "branch__kind",
    "branch__village",
    "branch__committee__name",
    "branch__committee__path",
)
PLEDGE_FIELDS = (
    "pk",
    "title",
    "content",
    "category",
    "year",
    "due_date",
    "is_recurring",
    "rhythm",
    "status",
    "member_id",
    "branch_id",
    "owner_branch_id",
)


def manual_members(queryset: QuerySet[Member]) -> QuerySet[Member]:
    """Members as a manual reads them: branch and committee joined, private columns left
    out, by name."""
    return queryset.select_related("branch__committee").only(*MEMBER_FIELDS).order_by("name", "pk")


def roll_of(branch: Branch) -> QuerySet[Member]:
    """The members on the roll of the branch, as a manual reads them."""
    return manual_members(Member.objects.filter(branch=branch, is_active=True))


@dataclass
class ManualMonth:
    month: datetime.date
    report: MonthlyReport | None
    # A month not yet begun: no report is missing yet.
    is_future: bool = False


@dataclass
class ManualQuarter:
    quarter: int
    # The upper organisation's review of the member's pledges (newest of each chain).
    reviews: list[QuarterlyReview]
    # The branch's briefing of the quarter, for context.
    briefing: QuarterlyBriefing | None


@dataclass
class MemberManual:
    member: Member
    year: int
    pairings: list[MemberPairing] = field(default_factory=list)
    pledges: list[Pledge] = field(default_factory=list)
    months: list[ManualMonth] = field(default_factory=list)
    quarters: list[ManualQuarter] = field(default_factory=list)
    # (pledge, its published year-end evaluation) for each pledge evaluated.
    evaluations: list = field(default_factory=list)
    points: PointsLedger | None = None

    @property
    def anchor(self) -> str:
        """The prefix of the ids of this manual's parts, unique in a print of many."""
        return f"m{self.member.pk}"

    @property
    def reports_count(self) -> int:
        return sum(1 for month in self.months if month.report is not None)

    @property
    def reviews_count(self) -> int:
        return sum(len(quarter.reviews) for quarter in self.quarters)

    @property
    def briefings_count(self) -> int:
        return sum(1 for quarter in self.quarters if quarter.briefing is not None)

    @property
    def has_year_end(self) -> bool:
        return bool(self.evaluations or self.points.entries)


def year_months(year: int) -> list[datetime.date]:
    return [datetime.date(year, month, 1) for month in range(1, 13)]


def manual_pledges(queryset: QuerySet[Pledge], *, also: tuple = ()) -> QuerySet[Pledge]:
    """Pledges as the manuals print them: drafts left out (a draft is the secretary's
    unsent text), time nodes in date order; `also` names more columns to read."""
    return (
        queryset.exclude(status=PledgeStatus.DRAFT)
        .only(*PLEDGE_FIELDS, *also)
        .prefetch_related(
            Prefetch(
                "time_nodes",
                queryset=TimeNode.objects.only(
                    "pk",
                    "pledge_id",
                    "due_on",
                    "description",
                    "closed_as",
                    "done_on",
                    "close_reason",
                ).order_by("due_on", "pk"),
                to_attr="nodes",
            )
        )
        .order_by("due_date", "pk")
    )


def mark_nodes(pledges, *, reference: datetime.date) -> None:
    """Give each time node of the pledges its state and the state's label."""
    for pledge in pledges:
        for node in pledge.nodes:
            node.state = node_state(node, reference=reference)
            node.state_label = NODE_STATE_LABELS[node.state]


def member_manuals(
    *, members: QuerySet[Member], year: int, today: datetime.date
) -> list[MemberManual]:
    """The manual of each member of `members` (a queryset from `manual_members`) for the
    year, in nine queries whatever the number of members and records."""
    members = list(members)
    ids = [member.pk for member in members]
    branch_ids = {member.branch_id for member in members}
    months = year_months(year)

    pairings = defaultdict(list)
    for pairing in (
        MemberPairing.objects.filter(member_id__in=ids, year=year)
        .select_related("village_branch")
        .only("pk", "member_id", "year", "village_branch__name", "village_branch__village")
        .order_by("village_branch__name", "pk")
    ):
        pairings[pairing.member_id].append(pairing)

    pledges = defaultdict(list)
    found = list(manual_pledges(Pledge.objects.filter(member_id__in=ids, year=year)))
    mark_nodes(found, reference=overdue_reference(year=year, today=today))
    for pledge in found:
        pledges[pledge.member_id].append(pledge)
    by_id = {pledge.pk: pledge for pledge in found}

    reports = {
        (report.member_id, report.month): report
        for report in MonthlyReport.objects.filter(
            member_id__in=ids, month__gte=months[0], month__lte=months[-1]
        ).only("pk", "member_id", "month", "service_done", "problems", "next_steps")
    }

    reviews = defaultdict(list)
    for review in (
        QuarterlyReview.objects.filter(
            pledge_id__in=list(by_id), year=year, corrected_by__isnull=True
        )
        .only("pk", "pledge_id", "quarter", "rating", "on_schedule", "comment")
        .order_by("quarter", "pledge__due_date", "pledge_id")
    ):
        review.pledge = by_id[review.pledge_id]
        reviews[(review.pledge.member_id, review.quarter)].append(review)

    briefings = {
        (briefing.branch_id, briefing.quarter): briefing
        for briefing in QuarterlyBriefing.objects.filter(branch_id__in=branch_ids, year=year).only(
            "pk", "branch_id", "quarter", "held_on", "summary", "member_comments"
        )
    }

    evaluations = {}
    for evaluation in (
        latest_evaluations(year=year)
        .filter(pledge_id__in=list(by_id), is_published=True)
        .only(
            "pk",
            "pledge_id",
            "organisation_rating",
            "feedback_score",
            "result_score",
            "result",
            "comment",
            "created_at",
        )
        .order_by("created_at", "pk")
    ):
        evaluations[evaluation.pledge_id] = evaluation  # the newest wins

    points = defaultdict(list)
    for entry in (
        PointsEntry.objects.filter(member_id__in=ids, year=year)
        .select_related("pledge")
        .only("pk", "member_id", "year", "points", "reason", "created_at", "pledge__title")
        .order_by("created_at", "pk")
    ):
        points[entry.member_id].append(entry)

    manuals = []
    for member in members:
        own = pledges[member.pk]
        manuals.append(
            MemberManual(
                member=member,
                year=year,
                pairings=pairings[member.pk],
                pledges=own,
                months=[
                    ManualMonth(month, reports.get((member.pk, month)), month > today)
                    for month in months
                ],
                quarters=[
                    ManualQuarter(
                        quarter=quarter,
                        reviews=reviews[(member.pk, quarter)],
                        briefing=briefings.get((member.branch_id, quarter)),
                    )
                    for quarter in QUARTERS
                ],
                evaluations=[
                    (pledge, evaluations[pledge.pk]) for pledge in own if pledge.pk in evaluations
                ],
                points=PointsLedger(member=member, year=year, entries=points[member.pk]),
            )
        )
    return manuals

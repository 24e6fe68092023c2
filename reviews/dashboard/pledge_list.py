"""The pledges behind a dashboard figure: the filter a figure's link carries, and the
pledges it selects."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from pledges.enums import NeedCategory, PledgeMove, PledgeStatus, Step
from pledges.figures import LIVE, PUBLIC, counted_q, done_q, overdue_q
from pledges.models import Pledge, PledgeTransition
from pledges.workflow import STATUS_STEP
from reviews.dashboard.figures import quarter_bounds
from reviews.dashboard.scope import Scope

S = PledgeStatus
PLEDGES_PER_PAGE = 50


@dataclass
class PledgeFilter:
    """What a dashboard figure counts, as the query string of its pledge list."""

    status: str = ""
    step: str = ""
    category: str = ""
    overdue: bool = False
    done: bool = False
    published: bool = False
    due_quarter: int = 0
    completed_quarter: int = 0

    @classmethod
    def from_query(cls, query) -> "PledgeFilter":
        def quarter(name):
            value = query.get(name, "")
            return int(value) if value in {"1", "2", "3", "4"} else 0

        return cls(
            status=query.get("status", "") if query.get("status") in S.values else "",
            step=query.get("step", "") if query.get("step") in Step.values else "",
            category=query.get("category", "")
            if query.get("category") in NeedCategory.values
            else "",
            overdue=query.get("overdue") == "1",
            done=query.get("done") == "1",
            published=query.get("published") == "1",
            due_quarter=quarter("due_quarter"),
            completed_quarter=quarter("completed_quarter"),
        )

    def describe(self) -> list[str]:
        """The filter in words, for the list's heading."""
        words = []
        if self.status:
            words.append(str(S(self.status).label))
        if self.step:
            words.append(str(Step(self.step).label))
        if self.category:
            words.append(str(NeedCategory(self.category).label))
        if self.overdue:
            words.append(str(_("逾期")))
        if self.done:
            words.append(str(_("已完成")))
        if self.published:
            words.append(str(_("已公示")))
        if self.due_quarter:
            words.append(str(_("第%(q)d季度到期") % {"q": self.due_quarter}))
        if self.completed_quarter:
            words.append(str(_("第%(q)d季度完成") % {"q": self.completed_quarter}))
        return words


def scope_pledges(*, scope: Scope, wanted: PledgeFilter, today: datetime.date, year: int):
    """The pledges of the scope that a figure counts, with what a list row shows.

    The figures count the year's LIVE pledges (pledges.figures), and so does the list,
    unless a status or a step is asked for: the status and step bars count the year's drafts
    and withdrawn pledges too.
    """
    pledges = Pledge.objects.filter(scope.branch_q("owner_branch__")).select_related(
        "owner_branch", "member", "branch"
    )
    if wanted.status:
        pledges = pledges.filter(status=wanted.status)
    if wanted.step:
        pledges = pledges.filter(
            status__in=[status for status, step in STATUS_STEP.items() if step == wanted.step]
        )
    if wanted.status or wanted.step:
        pledges = pledges.filter(year=year)
    else:
        pledges = pledges.filter(counted_q(LIVE, year=year))
    if wanted.category:
        pledges = pledges.filter(category=wanted.category)
    if wanted.overdue:
        pledges = pledges.filter(overdue_q(LIVE, today))
    if wanted.done:
        pledges = pledges.filter(done_q(LIVE))
    if wanted.published:
        pledges = pledges.filter(counted_q(PUBLIC))
    bounds = quarter_bounds(year)
    if wanted.due_quarter:
        start, end = bounds[wanted.due_quarter - 1]
        pledges = pledges.filter(due_date__gte=start, due_date__lt=end)
    if wanted.completed_quarter:
        start, end = bounds[wanted.completed_quarter - 1]
        # Local midnights rather than a date of each move: the index on moves by time
        # answers it (no DISTINCT over whole rows either: a pledge is completed once).
        completed = PledgeTransition.objects.filter(
            pledge=OuterRef("pk"),
            move=PledgeMove.COMPLETE,
            created_at__gte=_local_midnight(start),
            created_at__lt=_local_midnight(end),
        )
        pledges = pledges.filter(Exists(completed))
    return pledges.order_by("due_date", "pk")


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))

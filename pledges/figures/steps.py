"""The figures of the six steps (流程图): how many needs or pledges stand at each step and
how many are late there, for the dashboard's step bars and the chart (一图, pledges.chart).
Definitions in the table of pledges.figures."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.models import Branch
from pledges.enums import NeedStatus, PledgeStatus, Step
from pledges.figures import (
    LIVE,
    PUBLIC,
    PledgeSet,
    count_rows,
    counted_q,
    figures_year,
    overdue_q,
)
from pledges.models import Need, Pledge
from pledges.workflow import OPEN_STATUSES, PUBLIC_STATUSES, STATUS_STEP

S = PledgeStatus

# The needs the 研诺 step counts: gathered and not set aside.
RESEARCH_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.CLAIMED, NeedStatus.RESOLVED)
# A need still 待认领 this many days after it was listed is late (逾期) at 研诺: needs have
# no due date, and a month is one theme-party-day cycle.
NEED_CLAIM_DAYS = 30


def need_late_q(today: datetime.date, prefix: str = "") -> Q:
    """Needs (or rows reaching them through `prefix`) late at 研诺: still 待认领 and listed
    before the start of the day NEED_CLAIM_DAYS before `today`."""
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=NEED_CLAIM_DAYS), datetime.time())
    )
    return Q(**{f"{prefix}status": NeedStatus.OPEN, f"{prefix}created_at__lt": cutoff})


def steps_of(by_status: Mapping[str, int], *, needs: int) -> dict[str, int]:
    """Pledges at each step by their status (pledges.workflow.STATUS_STEP; withdrawn ones
    at none), and at 研诺 `needs`: the one definition of the step figures.

    On the staff pages (LIVE), `by_status` counts every pledge of the scope, drafts
    included (a draft is 定诺 under way), and `needs` the needs in RESEARCH_NEED_STATUSES;
    the late figures (`late_of`) add up to the overdue figure. On the public pages see
    public_steps_of.
    """
    steps = {step.value: 0 for step in Step}
    for status, count in by_status.items():
        step = STATUS_STEP[PledgeStatus(status)]
        if step is not None:
            steps[step.value] += count
    steps[Step.RESEARCH.value] = needs
    return steps


def public_steps_of(by_status: Mapping[str, int], *, needs: int) -> dict[str, int]:
    """The steps over published pledges (PUBLIC): the work before publication is not
    public, so 研诺 counts the needs the published pledges answer (`needs`) and 定诺 every
    published pledge (each was written, approved and published); 示诺 to 用诺 count the
    published pledges standing at each, as steps_of."""
    steps = steps_of(
        {status: count for status, count in by_status.items() if status in PUBLIC_STATUSES},
        needs=needs,
    )
    steps[Step.DEFINE.value] = sum(
        count for status, count in by_status.items() if status in PUBLIC_STATUSES
    )
    return steps


def late_of(overdue_by_status: Mapping[str, int], *, needs_late: int) -> dict[str, int]:
    """Overdue pledges (overdue_q) at each step, and at 研诺 the late needs (need_late_q):
    the pledge figures add up to the overdue figure."""
    return steps_of(overdue_by_status, needs=needs_late)


@dataclass
class StepFigures:
    """Count and late count at each step (Step values as keys), of one pledge set."""

    pledge_set: PledgeSet
    counts: dict[str, int]
    late: dict[str, int]
    # The pledges counted, by status.
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def overdue(self) -> int:
        """Overdue pledges: the late figures of the pledge steps together."""
        return sum(n for step, n in self.late.items() if step != Step.RESEARCH.value)


def _count_of(queryset: QuerySet):
    """The number of rows of a queryset as a scalar subquery (0 when none), correlated or
    not: COUNT without GROUP BY."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def answering_needs(pledges: QuerySet[Pledge]) -> QuerySet[Need]:
    """The needs these pledges answer (认领), each once."""
    return Need.objects.filter(Exists(pledges.filter(needs=OuterRef("pk")).order_by()))


def step_figures(
    *,
    pledges: QuerySet[Pledge],
    needs: QuerySet[Need],
    pledge_set: PledgeSet,
    today: datetime.date,
) -> StepFigures:
    """The six steps of these pledges and needs. LIVE, in two queries (pledges by status,
    then needs): as the dashboard counts (steps_of; the year's pledges of every status at each
    step, its overdue pledges as late, needs late by need_late_q). PUBLIC, in one: the
    published pledges of the year (public_steps_of; 研诺 the needs they answer, with no
    late figure: which needs wait is not public); `needs` is then not read."""
    if pledge_set is PUBLIC:
        pledges = pledges.filter(counted_q(PUBLIC))
        # Needs are answered only where published pledges are, so the count rides on
        # their rows.
        rows = list(
            pledges.order_by()
            .values("status")
            .annotate(
                n=Count("pk"),
                late=Count("pk", filter=overdue_q(PUBLIC, today)),
                answered=_count_of(answering_needs(pledges)),
            )
        )
        by_status = {row["status"]: row["n"] for row in rows}
        return StepFigures(
            pledge_set=PUBLIC,
            counts=public_steps_of(by_status, needs=rows[0]["answered"] if rows else 0),
            late=late_of({row["status"]: row["late"] for row in rows}, needs_late=0),
            by_status=by_status,
        )
    rows = list(
        pledges.filter(year=figures_year())
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(LIVE, today)))
    )
    by_status = {row["status"]: row["n"] for row in rows}
    found = needs.order_by().aggregate(
        n=Count("pk", filter=Q(status__in=RESEARCH_NEED_STATUSES)),
        late=Count("pk", filter=need_late_q(today)),
    )
    return StepFigures(
        pledge_set=LIVE,
        counts=steps_of(by_status, needs=found["n"]),
        late=late_of({row["status"]: row["late"] for row in rows}, needs_late=found["late"]),
        by_status=by_status,
    )


# On a Branch queryset: the public steps of each branch's own published pledges, in the
# same query (the board's chart).
PUBLIC_STEP_STATUSES = sorted(PUBLIC_STATUSES)


def branches_with_public_steps(branches: QuerySet[Branch], *, today: datetime.date):
    """Annotate each branch with its published pledges of the year by status
    (`steps_<status>`), the overdue ones by status (`steps_late_<status>`) and the needs
    they answer (`steps_needs`): step_figures over PUBLIC, one branch at a time, in the
    branch's own query; `public_step_figures` reads them."""
    pledges = Pledge.objects.filter(counted_q(PUBLIC), owner_branch=OuterRef("pk"))
    annotations = {}
    for status in PUBLIC_STEP_STATUSES:
        of_status = pledges.filter(status=status)
        annotations[f"steps_{status}"] = count_rows(of_status, "owner_branch")
        if status in OPEN_STATUSES:
            annotations[f"steps_late_{status}"] = count_rows(
                of_status.filter(overdue_q(PUBLIC, today)), "owner_branch"
            )
    # The needs answered: OuterRef("pk") is the need, one level further the branch.
    answering = Pledge.objects.filter(
        counted_q(PUBLIC), owner_branch=OuterRef(OuterRef("pk")), needs=OuterRef("pk")
    )
    annotations["steps_needs"] = _count_of(Need.objects.filter(Exists(answering.order_by())))
    return branches.annotate(**annotations)


def public_step_figures(branch: Branch) -> StepFigures:
    """The StepFigures of a branch annotated by branches_with_public_steps."""
    by_status = {status: getattr(branch, f"steps_{status}") for status in PUBLIC_STEP_STATUSES}
    late = {
        status: getattr(branch, f"steps_late_{status}")
        for status in PUBLIC_STEP_STATUSES
        if status in OPEN_STATUSES
    }
    return StepFigures(
        pledge_set=PUBLIC,
        counts=public_steps_of(by_status, needs=branch.steps_needs),
        late=late_of(late, needs_late=0),
        by_status=by_status,
    )

"""Reads for the workspace pages, scoped to what the person may see."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Member
from branches.selectors import branches_visible_to
from pledges.enums import NeedStatus, PledgeMove, PledgeStatus, Urgency
from pledges.models import Need, Pledge, PledgeTransition, TimeNode
from pledges.workflow import DONE_STATUSES

# Time nodes due within this many days show on a secretary's to-do list.
TIME_NODE_HORIZON_DAYS = 14
# Statuses in which a pledge is still being carried out and can be overdue.
OPEN_STATUSES = frozenset({PledgeStatus.APPROVED, PledgeStatus.PUBLISHED, PledgeStatus.IN_PROGRESS})


# Most urgent first: sort needs with .order_by(URGENCY_RANK, ...).
URGENCY_RANK = Case(
    When(urgency=Urgency.HIGH, then=Value(0)),
    When(urgency=Urgency.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def pledges_visible_to(*, user) -> QuerySet[Pledge]:
    return Pledge.objects.filter(owner_branch__in=branches_visible_to(user=user))


def needs_visible_to(*, user) -> QuerySet[Need]:
    return Need.objects.filter(branch__in=branches_visible_to(user=user))


def branch_for(*, user, branch_id: int) -> Branch:
    """The branch if the user may see it, else 404 (an id out of reach is not found)."""
    return get_object_or_404(
        branches_visible_to(user=user).select_related("committee", "secretary"), pk=branch_id
    )


def pledge_for(*, user, pledge_id: int) -> Pledge:
    return get_object_or_404(
        pledges_visible_to(user=user).select_related(
            "owner_branch__committee", "owner_branch__secretary", "branch", "member"
        ),
        pk=pledge_id,
    )


def need_for(*, user, need_id: int) -> Need:
    return get_object_or_404(needs_visible_to(user=user).select_related("branch"), pk=need_id)


def member_for(*, user, member_id: int) -> Member:
    return get_object_or_404(
        Member.objects.filter(branch__in=branches_visible_to(user=user)).select_related(
            "branch__committee"
        ),
        pk=member_id,
    )


def secretary_branch(*, user) -> Branch | None:
    """The branch the user is secretary of (the first, should there be several)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Branch.objects.filter(secretary=user).select_related("committee").order_by("pk").first()


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@dataclass
class SecretaryTodo:
    branch: Branch
    returned: list[Pledge]
    to_publish: list[Pledge]
    time_nodes: list[TimeNode]
    members_without_report: list[Member]
    open_needs: list[Need]
    today: datetime.date

    @property
    def is_empty(self) -> bool:
        return not (
            self.returned
            or self.to_publish
            or self.time_nodes
            or self.members_without_report
            or self.open_needs
        )


def secretary_todo(*, branch: Branch, today: datetime.date | None = None) -> SecretaryTodo:
    """What waits for the branch's secretary: five lists, five queries."""
    from reviews.models import MonthlyReport

    today = today or timezone.localdate()
    pledges = Pledge.objects.filter(owner_branch=branch).select_related("member", "branch")
    horizon = today + datetime.timedelta(days=TIME_NODE_HORIZON_DAYS)
    reported = MonthlyReport.objects.filter(member=OuterRef("pk"), month=month_start(today))
    return SecretaryTodo(
        branch=branch,
        returned=list(pledges.filter(status=PledgeStatus.RETURNED).order_by("due_date")),
        to_publish=list(pledges.filter(status=PledgeStatus.APPROVED).order_by("due_date")),
        time_nodes=list(
            TimeNode.objects.filter(
                pledge__owner_branch=branch,
                pledge__status__in=OPEN_STATUSES,
                done_on__isnull=True,
                due_on__lte=horizon,
            )
            .select_related("pledge__member", "pledge__branch")
            .order_by("due_on", "pk")
        ),
        members_without_report=list(
            Member.objects.filter(branch=branch, is_active=True)
            .exclude(Exists(reported))
            .order_by("name", "pk")
        ),
        open_needs=list(
            Need.objects.filter(branch=branch, status=NeedStatus.OPEN).order_by(
                URGENCY_RANK, "created_at"
            )
        ),
        today=today,
    )


@dataclass
class StaffTodo:
    to_approve: list[Pledge]
    to_verify: list[Pledge]
    branches_overdue: list[Branch]
    today: datetime.date

    @property
    def is_empty(self) -> bool:
        return not (self.to_approve or self.to_verify or self.branches_overdue)


STAFF_LIST_LIMIT = 50


def staff_todo(*, user, today: datetime.date | None = None) -> StaffTodo:
    """What waits for committee staff in their subtree: three lists, a fixed number of
    queries. Long lists are cut at STAFF_LIST_LIMIT; their pages show the rest."""
    from django.db.models import Count

    today = today or timezone.localdate()
    pledges = pledges_visible_to(user=user).select_related("owner_branch", "member", "branch")
    overdue = Q(
        pledges__status__in=OPEN_STATUSES,
        pledges__due_date__lt=today,
    )
    return StaffTodo(
        to_approve=list(
            pledges.filter(status=PledgeStatus.SUBMITTED).order_by("updated_at")[:STAFF_LIST_LIMIT]
        ),
        to_verify=list(
            pledges.filter(status=PledgeStatus.COMPLETED).order_by("updated_at")[:STAFF_LIST_LIMIT]
        ),
        branches_overdue=list(
            branches_visible_to(user=user)
            .annotate(overdue_count=Count("pledges", filter=overdue))
            .filter(overdue_count__gt=0)
            .order_by("-overdue_count", "name")[:STAFF_LIST_LIMIT]
        ),
        today=today,
    )


RESUBMISSION_FIELDS = {
    "title": _("承诺事项"),
    "content": _("具体内容"),
    "beneficiaries": _("服务对象"),
    "category": _("类别"),
    "due_date": _("完成时限"),
    "rhythm": _("频次"),
    "needs": _("认领的需求"),
    "time_nodes": _("时间节点"),
}


def pledge_resubmission_changes(*, pledge: Pledge) -> list[tuple[str, str, str]]:
    """(field label, as first sent, as sent now) for each field that changed between the
    last two submissions; empty when the pledge was submitted once or not at all."""
    snapshots = list(
        PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.SUBMIT)
        .order_by("-created_at", "-pk")
        .values_list("snapshot", flat=True)[:2]
    )
    if len(snapshots) < 2:
        return []
    latest, previous = snapshots

    def text(value):
        return "\n".join(value) if isinstance(value, list) else str(value or "")

    return [
        (str(label), text(previous.get(key)), text(latest.get(key)))
        for key, label in RESUBMISSION_FIELDS.items()
        if previous.get(key) != latest.get(key)
    ]


def _count_rows(queryset: QuerySet, group_by: str):
    """The number of rows of a correlated queryset, as a subquery (0 when none).

    Counting through subqueries rather than Count() over joins keeps each figure
    exact: several joined counts would multiply each other's rows.
    """
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def branches_with_figures(branches: QuerySet[Branch], *, today) -> QuerySet[Branch]:
    """Annotate each branch with its member and pledge figures, in the same query.

    Withdrawn pledges left the flow and are not counted; a member who pledged is an
    active member with at least one pledge that was not withdrawn.
    """
    members = Member.objects.filter(branch=OuterRef("pk"), is_active=True)
    pledges = Pledge.objects.filter(owner_branch=OuterRef("pk")).exclude(
        status=PledgeStatus.WITHDRAWN
    )
    pledging = Pledge.objects.filter(member=OuterRef("pk")).exclude(status=PledgeStatus.WITHDRAWN)
    return branches.annotate(
        active_members=_count_rows(members, "branch"),
        exempt_members=_count_rows(members.filter(is_exempt=True), "branch"),
        pledged_members=_count_rows(members.filter(Exists(pledging)), "branch"),
        pledges_total=_count_rows(pledges, "owner_branch"),
        pledges_done=_count_rows(pledges.filter(status__in=DONE_STATUSES), "owner_branch"),
        pledges_overdue=_count_rows(
            pledges.filter(status__in=OPEN_STATUSES, due_date__lt=today), "owner_branch"
        ),
    )

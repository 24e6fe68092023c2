"""Reads for the workspace pages, scoped to what the person may see."""

import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from branches.models import Branch, Member

# branch_for, member_for and secretary_branch read branches only and live in
# branches.selectors; they are re-exported for the modules that import them from here.
from branches.selectors import branch_for, branches_visible_to, member_for, secretary_branch  # noqa: F401
from pledges.enums import PledgeMove, PledgeStatus, Urgency
from pledges.models import Need, Pledge, PledgeTransition
from pledges.workflow import DONE_STATUSES

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


def pledge_for(*, user, pledge_id: int) -> Pledge:
    return get_object_or_404(
        pledges_visible_to(user=user).select_related(
            "owner_branch__committee", "owner_branch__secretary", "branch", "member"
        ),
        pk=pledge_id,
    )


def need_for(*, user, need_id: int) -> Need:
    return get_object_or_404(needs_visible_to(user=user).select_related("branch"), pk=need_id)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


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

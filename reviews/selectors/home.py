"""The to-do lists of the /work/ home page: a secretary's (pledges and this month's
reports) and committee staff's (pledges waiting for them)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from branches.models import Branch, Member
from branches.selectors import TodoList, branches_visible_to, first_rows
from pledges.enums import NeedStatus, PledgeStatus, Urgency
from pledges.figures import LIVE, overdue_q
from pledges.models import Need, Pledge, TimeNode
from pledges.selectors import (
    OPEN_STATUSES,
    URGENCY_RANK,
    label_choices,
    month_start,
    pledges_visible_to,
)
from reviews.models import MonthlyReport

# Time nodes due within this many days show on a secretary's to-do list.
TIME_NODE_HORIZON_DAYS = 14


@dataclass
class SecretaryTodo:
    branch: Branch
    returned: list[Pledge]
    to_publish: list[Pledge]
    time_nodes: list[TimeNode]
    members_without_report: TodoList
    open_needs: TodoList
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


# What the to-do rows show of a pledge (its title and its pledger, a member or the branch):
# the rest of a pledge's columns are not read, so not fetched.
PLEDGE_ROW_FIELDS = (
    "title",
    "status",
    "due_date",
    "updated_at",
    "owner_branch",
    "member",
    "branch",
)
PLEDGER_FIELDS = ("member__name", "branch__name")


# Rows shown of a secretary's members without a report and open needs; the count above
# them is of all, and the page links to the full lists.
MEMBERS_SHOWN = 30
NEEDS_SHOWN = 10


def secretary_todo(*, branch: Branch, today: datetime.date | None = None) -> SecretaryTodo:
    """What waits for the branch's secretary: five lists, four queries (the returned and the
    approved pledges are one). Of the members without this month's report and of the open
    needs, the first MEMBERS_SHOWN and NEEDS_SHOWN rows and the exact count (first_rows)."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=TIME_NODE_HORIZON_DAYS)
    reported = MonthlyReport.objects.filter(member=OuterRef("pk"), month=month_start(today))
    pledges = (
        Pledge.objects.filter(
            owner_branch=branch, status__in=(PledgeStatus.RETURNED, PledgeStatus.APPROVED)
        )
        .select_related("member", "branch")
        .only(*PLEDGE_ROW_FIELDS, *PLEDGER_FIELDS)
        .order_by("due_date", "pk")
    )
    open_needs = first_rows(
        Need.objects.filter(branch=branch, status=NeedStatus.OPEN)
        .only("description", "urgency")
        .order_by(URGENCY_RANK, "created_at"),
        NEEDS_SHOWN,
    )
    label_choices(open_needs, urgency=Urgency)
    by_status = {PledgeStatus.RETURNED: [], PledgeStatus.APPROVED: []}
    for pledge in pledges:
        by_status[pledge.status].append(pledge)
    return SecretaryTodo(
        branch=branch,
        returned=by_status[PledgeStatus.RETURNED],
        to_publish=by_status[PledgeStatus.APPROVED],
        time_nodes=list(
            TimeNode.objects.filter(
                pledge__owner_branch=branch,
                pledge__status__in=OPEN_STATUSES,
                closed_as="",
                due_on__lte=horizon,
            )
            .select_related("pledge__member", "pledge__branch")
            .only(
                "due_on",
                "description",
                "pledge__title",
                "pledge__member",
                "pledge__branch",
                *(f"pledge__{field}" for field in PLEDGER_FIELDS),
            )
            .order_by("due_on", "pk")
        ),
        members_without_report=first_rows(
            Member.objects.filter(branch=branch, is_active=True)
            .exclude(Exists(reported))
            .only("name")
            .order_by("name", "pk"),
            MEMBERS_SHOWN,
        ),
        open_needs=open_needs,
        today=today,
    )


@dataclass
class StaffTodo:
    to_approve: TodoList
    to_verify: TodoList
    branches_overdue: TodoList
    today: datetime.date

    @property
    def is_empty(self) -> bool:
        return not (self.to_approve or self.to_verify or self.branches_overdue)


# Rows shown of each staff to-do; the count above them is of all, and a link leads to all.
# A phone's screen or two of each: the full lists (approvals, cross-off, the dashboard)
# are where staff work through them, with filters.
STAFF_LIST_LIMIT = 20


def staff_todo(*, user, today: datetime.date | None = None) -> StaffTodo:
    """What waits for committee staff in their subtree: three lists, each its first
    STAFF_LIST_LIMIT rows and its exact count, in a fixed number of queries (one a list).
    Overdue as the dashboard counts it (pledges.figures)."""
    today = today or timezone.localdate()
    pledges = (
        pledges_visible_to(user=user)
        .select_related("owner_branch", "member", "branch")
        .only(*PLEDGE_ROW_FIELDS, *PLEDGER_FIELDS, "owner_branch__name")
    )
    overdue = overdue_q(LIVE, today, prefix="pledges__")
    return StaffTodo(
        to_approve=first_rows(
            pledges.filter(status=PledgeStatus.SUBMITTED).order_by("updated_at", "pk"),
            STAFF_LIST_LIMIT,
        ),
        to_verify=first_rows(
            pledges.filter(status=PledgeStatus.COMPLETED).order_by("updated_at", "pk"),
            STAFF_LIST_LIMIT,
        ),
        # Filtered before it is counted: the join counts the overdue pledges alone, and a
        # branch without one is not in it (cheaper than counting every pledge with a
        # filter and dropping the zeros).
        branches_overdue=first_rows(
            branches_visible_to(user=user)
            .filter(overdue)
            .annotate(overdue_count=Count("pledges"))
            .only("name")
            .order_by("-overdue_count", "name", "pk"),
            STAFF_LIST_LIMIT,
        ),
        today=today,
    )

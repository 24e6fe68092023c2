"""Completion figures of the public pages, from public pledges only. A pledge's own
progress bar is pledges.progress."""

from collections import defaultdict
from dataclasses import dataclass, fields

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from branches.models import Branch, Member
from pledges.models import Pledge
from pledges.progress import bar_step
from pledges.workflow import DONE_STATUSES, PUBLIC_STATUSES


def share(part: int, whole: int) -> int:
    """part / whole in whole percent (0 when there is no whole)."""
    return round(100 * part / whole) if whole else 0


def count_rows(queryset: QuerySet, group_by: str):
    """The number of rows of a correlated queryset, as a subquery (0 when none)."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass
class Figures:
    """Completion of a branch or a subtree, from public pledges only."""

    branches: int = 0
    active_members: int = 0
    exempt_members: int = 0
    # Active members with at least one public pledge; `covered_members` of them not exempt.
    pledged_members: int = 0
    covered_members: int = 0
    pledges_total: int = 0
    pledges_done: int = 0

    def add(self, other: "Figures") -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def done_percent(self) -> int:
        return share(self.pledges_done, self.pledges_total)

    @property
    def done_bar(self) -> int:
        return bar_step(self.done_percent)

    @property
    def expected_members(self) -> int:
        """Active members who are expected to pledge (not exempt)."""
        return self.active_members - self.exempt_members

    @property
    def covered_percent(self) -> int:
        return share(self.covered_members, self.expected_members)

    @classmethod
    def of_branch(cls, branch: Branch) -> "Figures":
        """From a branch annotated by branches_with_public_figures."""
        return cls(
            branches=1,
            active_members=branch.active_members,
            exempt_members=branch.exempt_members,
            pledged_members=branch.pledged_members,
            covered_members=branch.covered_members,
            pledges_total=branch.pledges_total,
            pledges_done=branch.pledges_done,
        )


def _public_pledges_of_member():
    return Pledge.objects.filter(member=OuterRef("pk"), status__in=PUBLIC_STATUSES)


def branches_with_public_figures(branches: QuerySet[Branch]) -> QuerySet[Branch]:
    """Annotate each branch with its public figures, in the same query (see Figures)."""
    members = Member.objects.filter(branch=OuterRef("pk"), is_active=True)
    pledging = members.filter(Exists(_public_pledges_of_member()))
    pledges = Pledge.objects.filter(owner_branch=OuterRef("pk"), status__in=PUBLIC_STATUSES)
    return branches.annotate(
        active_members=count_rows(members, "branch"),
        exempt_members=count_rows(members.filter(is_exempt=True), "branch"),
        pledged_members=count_rows(pledging, "branch"),
        covered_members=count_rows(pledging.filter(is_exempt=False), "branch"),
        pledges_total=count_rows(pledges, "owner_branch"),
        pledges_done=count_rows(pledges.filter(status__in=DONE_STATUSES), "owner_branch"),
    )


def with_bar(branch: Branch) -> Branch:
    """Set `done_percent` and `done_bar` on a branch annotated with public figures."""
    branch.done_percent = share(branch.pledges_done, branch.pledges_total)
    branch.done_bar = bar_step(branch.done_percent)
    return branch


def figures_by_committee(*, path: str) -> dict[int, Figures]:
    """Figures of the own branches (not the subtree) of each committee whose path starts
    with `path` ("" for all), in four grouped queries: branches, members, pledging
    members, pledges."""
    figures: dict[int, Figures] = defaultdict(Figures)
    branch_rows = (
        Branch.objects.filter(committee__path__startswith=path)
        .values("committee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in branch_rows:
        figures[row["committee_id"]].branches = row["n"]
    members = Member.objects.filter(branch__committee__path__startswith=path, is_active=True)
    member_rows = (
        members.values("branch__committee_id")
        .annotate(active=Count("pk"), exempt=Count("pk", filter=Q(is_exempt=True)))
        .order_by()
    )
    for row in member_rows:
        entry = figures[row["branch__committee_id"]]
        entry.active_members = row["active"]
        entry.exempt_members = row["exempt"]
    # Apart from the counts above: a semi-join in WHERE is several times faster than the
    # same Exists counted under a FILTER.
    pledging_rows = (
        members.filter(Exists(_public_pledges_of_member()))
        .values("branch__committee_id")
        .annotate(pledged=Count("pk"), covered=Count("pk", filter=Q(is_exempt=False)))
        .order_by()
    )
    for row in pledging_rows:
        entry = figures[row["branch__committee_id"]]
        entry.pledged_members = row["pledged"]
        entry.covered_members = row["covered"]
    pledge_rows = (
        Pledge.objects.filter(
            owner_branch__committee__path__startswith=path, status__in=PUBLIC_STATUSES
        )
        .values("owner_branch__committee_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status__in=DONE_STATUSES)))
        .order_by()
    )
    for row in pledge_rows:
        entry = figures[row["owner_branch__committee_id"]]
        entry.pledges_total = row["total"]
        entry.pledges_done = row["done"]
    return figures

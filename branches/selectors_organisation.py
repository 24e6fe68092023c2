"""Reads for the organisation staff's pages, each scoped to the subtrees whose organisation
the user keeps, in a fixed number of queries."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from branches.enums import BranchKind, StaffRole
from branches.models import (
    PATH_SEGMENT_WIDTH,
    Branch,
    Committee,
    CommitteeStaff,
    Member,
    MemberPairing,
    OneTimePassword,
    OrganisationChange,
    Pairing,
    PersonalDataAccess,
)
from branches.permissions import organisation_committee_paths
from branches.selectors import branches_organised_by, committees_organised_by, first_rows

# How many entries of a to-do list the organisation home shows before "and N more".
TODO_SHOWN = 10


def _under(paths, field_name: str) -> Q:
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(**{f"{field_name}__startswith": path})
    return scope


def organisation_tree(*, user) -> list[Committee]:
    """Every committee of the user's subtrees in tree order, each with `branch_count` (its
    own branches), `member_count` (their active members), `indent` (depth below the top
    of the user's subtree) and `tree_label` (the name indented). One query."""
    committees = list(
        committees_organised_by(user=user)
        .select_related("parent")
        .annotate(
            branch_count=Count("branches", distinct=True),
            member_count=Count(
                "branches__members",
                filter=Q(branches__members__is_active=True),
                distinct=True,
            ),
        )
    )
    paths = organisation_committee_paths(user)
    for committee in committees:
        top = min((len(p) for p in paths if committee.path.startswith(p)), default=0)
        committee.indent = (len(committee.path) - top) // (PATH_SEGMENT_WIDTH + 1)
        committee.tree_label = "— " * committee.indent + committee.name
    return committees


def open_committees_organised_by(*, user) -> QuerySet[Committee]:
    """Committees that may take new committees and branches."""
    return committees_organised_by(user=user).filter(closed_at__isnull=True)


def organisation_branches(*, user, committee: Committee | None = None, query: str = ""):
    """Branches of the user's subtrees (of `committee`'s subtree when given; names or
    villages containing `query`), with committee, secretary account and active members."""
    branches = branches_organised_by(user=user)
    if committee is not None:
        branches = branches.filter(committee__path__startswith=committee.path)
    if query:
        branches = branches.filter(Q(name__icontains=query) | Q(village__icontains=query))
    return (
        branches.select_related("committee", "secretary")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("committee__path", "name", "pk")
    )


def branches_without_secretary_account(*, user) -> QuerySet[Branch]:
    """Branches whose secretary has no account, or only a deactivated one."""
    return (
        branches_organised_by(user=user)
        .filter(Q(secretary__isnull=True) | Q(secretary__is_active=False))
        .select_related("committee")
        .order_by("committee__path", "name", "pk")
    )


@dataclass
class PairingsOfYear:
    year: int
    pairings: list[Pairing]
    member_pairings: list[MemberPairing]
    # Years that have pairings, newest first, for the year switcher.
    years: list[int] = field(default_factory=list)


def organisation_pairings(*, user, year: int) -> PairingsOfYear:
    """The year's pairings with at least one side in the user's subtrees; each carries
    `can_remove` (both sides inside). Three queries."""
    paths = organisation_committee_paths(user)
    pairings = list(
        Pairing.objects.filter(year=year)
        .filter(
            _under(paths, "office_branch__committee__path")
            | _under(paths, "village_branch__committee__path")
        )
        .select_related("office_branch__committee", "village_branch__committee")
        .order_by("village_branch__committee__path", "village_branch__name", "office_branch__name")
    )
    for pairing in pairings:
        pairing.can_remove = _inside(paths, pairing.office_branch.committee) and _inside(
            paths, pairing.village_branch.committee
        )
    member_pairings = list(
        MemberPairing.objects.filter(year=year)
        .filter(
            _under(paths, "member__branch__committee__path")
            | _under(paths, "village_branch__committee__path")
        )
        .select_related("member__branch__committee", "village_branch__committee")
        .order_by("village_branch__name", "member__branch__name", "member__name")
    )
    for pairing in member_pairings:
        pairing.can_remove = _inside(paths, pairing.member.branch.committee) and _inside(
            paths, pairing.village_branch.committee
        )
    years = sorted(
        set(Pairing.objects.values_list("year", flat=True).distinct())
        | set(MemberPairing.objects.values_list("year", flat=True).distinct())
        | {year},
        reverse=True,
    )
    return PairingsOfYear(
        year=year, pairings=pairings, member_pairings=member_pairings, years=years
    )


def _inside(paths, committee: Committee) -> bool:
    return any(committee.path.startswith(path) for path in paths)


def pairing_organised_for(*, user, pairing_id: int) -> Pairing:
    """A pairing with a side in the user's subtrees, else 404."""
    paths = organisation_committee_paths(user)
    return get_object_or_404(
        Pairing.objects.filter(
            _under(paths, "office_branch__committee__path")
            | _under(paths, "village_branch__committee__path")
        ),
        pk=pairing_id,
    )


def member_pairing_organised_for(*, user, pairing_id: int) -> MemberPairing:
    """A member's pairing with a side in the user's subtrees, else 404."""
    paths = organisation_committee_paths(user)
    return get_object_or_404(
        MemberPairing.objects.filter(
            _under(paths, "member__branch__committee__path")
            | _under(paths, "village_branch__committee__path")
        ),
        pk=pairing_id,
    )


def office_branches_organised_by(*, user) -> QuerySet[Branch]:
    return (
        branches_organised_by(user=user)
        .exclude(kind=BranchKind.VILLAGE)
        .select_related("committee")
        .order_by("committee__path", "name")
    )


def village_branches_organised_by(*, user) -> QuerySet[Branch]:
    return (
        branches_organised_by(user=user)
        .filter(kind=BranchKind.VILLAGE)
        .select_related("committee")
        .order_by("committee__path", "name")
    )


def office_members_organised_by(*, user) -> QuerySet[Member]:
    """Active members of the non-village branches of the user's subtrees."""
    return (
        Member.objects.filter(branch__in=office_branches_organised_by(user=user), is_active=True)
        .select_related("branch")
        .order_by("branch__name", "name", "pk")
    )


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------
def accounts_managed_by(*, user) -> QuerySet:
    """Accounts the user may manage: every role they hold (secretary of a branch, staff of
    a committee) lies in the user's subtrees, and they hold at least one. Never a
    superuser: an account reaching outside stays with those who keep the whole of it."""
    User = get_user_model()
    paths = organisation_committee_paths(user)
    if not paths:
        return User.objects.none()
    inside = _under(paths, "committee__path")
    roles_inside = CommitteeStaff.objects.filter(inside).values("user")
    branches_inside = Branch.objects.filter(inside, secretary__isnull=False).values("secretary")
    roles_outside = CommitteeStaff.objects.exclude(inside).values("user")
    branches_outside = Branch.objects.exclude(inside).filter(secretary__isnull=False)
    return (
        User.objects.filter(Q(pk__in=roles_inside) | Q(pk__in=branches_inside))
        .exclude(pk__in=roles_outside)
        .exclude(pk__in=branches_outside.values("secretary"))
        .exclude(is_superuser=True)
    )


def account_managed_for(*, user, account_id: int):
    """The account if the user may manage it, else 404."""
    return get_object_or_404(accounts_managed_by(user=user), pk=account_id)


# Filters of the accounts list: key -> filter on the accounts.
ACCOUNT_FILTERS = {
    "all": Q(),
    "secretary": Q(secretary_of__isnull=False),
    "review_staff": Q(committee_roles__role=StaffRole.REVIEW),
    "organisation_staff": Q(committee_roles__role=StaffRole.ORGANISATION),
    "pending": Q(one_time_password__isnull=False),
    "inactive": Q(is_active=False),
}


def account_rows(*, user, show: str = "all", query: str = "") -> QuerySet:
    """The accounts list: each with its branches as secretary, its committee roles and its
    one-time password (if still pending). Three queries, however many accounts."""
    accounts = accounts_managed_by(user=user).filter(ACCOUNT_FILTERS.get(show, Q()))
    if query:
        accounts = accounts.filter(
            Q(username__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
        )
    return (
        accounts.distinct()
        .select_related("one_time_password")
        .prefetch_related(
            Prefetch(
                "secretary_of", queryset=Branch.objects.select_related("committee").order_by("name")
            ),
            Prefetch(
                "committee_roles",
                queryset=CommitteeStaff.objects.select_related("committee").order_by(
                    "committee__path"
                ),
            ),
        )
        .order_by("-is_active", "username")
    )


def pending_one_time_passwords(*, user) -> QuerySet[OneTimePassword]:
    """Accounts of the user's scope that still hold the password they were handed."""
    return (
        OneTimePassword.objects.filter(user__in=accounts_managed_by(user=user))
        .select_related("user")
        .order_by("issued_at")
    )


# ---------------------------------------------------------------------------
# The audit list and the organisation's to-do
# ---------------------------------------------------------------------------
def organisation_changes_for(*, user, action: str = "") -> QuerySet[OrganisationChange]:
    """Entries placed in the user's subtrees, newest first."""
    changes = OrganisationChange.objects.filter(
        _under(organisation_committee_paths(user), "committee__path")
    )
    if action:
        changes = changes.filter(action=action)
    return changes.select_related("actor", "committee").order_by("-created_at", "-pk")


def organisation_roots(*, user) -> list[Committee]:
    """The tops of the subtrees whose organisation the user keeps (one for most people),
    a committee below another of them left out. One query."""
    paths = organisation_committee_paths(user)
    return [
        committee
        for committee in Committee.objects.filter(path__in=paths).order_by("path")
        if not any(committee.path.startswith(p) and committee.path != p for p in paths)
    ]


def personal_data_accesses_for(*, user, action: str = "") -> QuerySet[PersonalDataAccess]:
    """Entries of the personal-data access log placed in the user's subtrees, newest
    first."""
    accesses = PersonalDataAccess.objects.filter(
        _under(organisation_committee_paths(user), "committee__path")
    )
    if action:
        accesses = accesses.filter(action=action)
    return accesses.select_related("actor", "committee", "branch").order_by("-created_at", "-pk")


@dataclass
class OrganisationTodo:
    branches_without_account: list[Branch]
    branches_without_account_count: int
    pending_passwords: list[OneTimePassword]
    pending_password_count: int

    @property
    def is_empty(self) -> bool:
        return not (self.branches_without_account_count or self.pending_password_count)


def organisation_todo(*, user) -> OrganisationTodo:
    """What organisation staff have left to do: branches without a secretary account and
    accounts that still hold their one-time password, the first TODO_SHOWN of each and the
    count of all. Two queries (first_rows)."""
    without = first_rows(branches_without_secretary_account(user=user), TODO_SHOWN)
    pending = first_rows(pending_one_time_passwords(user=user), TODO_SHOWN)
    return OrganisationTodo(
        branches_without_account=without.items,
        branches_without_account_count=without.total,
        pending_passwords=pending.items,
        pending_password_count=pending.total,
    )


def change_lines(change: OrganisationChange) -> list[tuple[str, str | None, str]]:
    """An entry's changes as (label, old, new) lines; a fact that is no [old, new] pair
    (the counts of an import) reads as (label, None, value)."""
    lines = []
    for label, value in (change.changes or {}).items():
        if isinstance(value, list | tuple) and len(value) == 2:
            lines.append((str(label), str(value[0]), str(value[1])))
        else:
            lines.append((str(label), None, str(value)))
    return lines

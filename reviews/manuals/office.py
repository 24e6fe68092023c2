"""The print office (三册打印): the years to offer and the branches to pick from."""

from dataclasses import dataclass

from branches.models import Branch, Committee
from reviews.selectors.calendar import staff_branches


@dataclass
class CommitteeBranches:
    committee: Committee
    branches: list[Branch]


def office_branches(*, user) -> list[CommitteeBranches]:
    """The branches of the user's committee subtrees, grouped by committee in tree order:
    one query."""
    groups: list[CommitteeBranches] = []
    for branch in (
        staff_branches(user=user)
        .select_related("committee")
        .only("pk", "name", "committee__name", "committee__path")
        .order_by("committee__path", "name", "pk")
    ):
        if not groups or groups[-1].committee.pk != branch.committee_id:
            groups.append(CommitteeBranches(committee=branch.committee, branches=[]))
        groups[-1].branches.append(branch)
    return groups


def picked_branches(*, user, ids: list[int]) -> list[Branch]:
    """The picked branches the user may print, in tree order (ids out of reach are left
    out): one query, none without ids."""
    if not ids:
        return []
    return list(
        staff_branches(user=user)
        .filter(pk__in=ids)
        .select_related("committee")
        .order_by("committee__path", "name", "pk")
    )

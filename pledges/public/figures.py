"""The public pages' figures: pledges.figures over the published pledges (PUBLIC,
已公示承诺), the one definition every page uses. A pledge's own progress bar is
pledges.progress."""

from django.db.models import F, QuerySet
from django.utils import timezone

from branches.models import Branch
from pledges.figures import (
    PUBLIC,
    Figures,
    branches_with_figures,
    count_rows,
    figures_by,
    share,
)

__all__ = [
    "Figures",
    "branches_with_public_figures",
    "count_rows",
    "figures_by_committee",
    "share",
    "with_bar",
]


def branches_with_public_figures(branches: QuerySet[Branch]) -> QuerySet[Branch]:
    """Annotate each branch with its figures over published pledges, in the same query."""
    return branches_with_figures(branches, pledge_set=PUBLIC, today=timezone.localdate())


def with_bar(branch: Branch) -> Branch:
    """Set `figures`, `done_percent` and `done_bar` on a branch annotated by
    branches_with_public_figures."""
    branch.figures = Figures.of_branch(branch, PUBLIC)
    branch.done_percent = branch.figures.done_percent
    branch.done_bar = branch.figures.done_bar
    return branch


def figures_by_committee(*, path: str) -> dict[int, Figures]:
    """Figures over published pledges of the own branches (not the subtree) of each
    committee whose path starts with `path` ("" for all), in four grouped queries."""
    return figures_by(
        branches=Branch.objects.filter(committee__path__startswith=path),
        group=lambda to_branch: F(f"{to_branch}committee_id"),
        pledge_set=PUBLIC,
        today=timezone.localdate(),
    )

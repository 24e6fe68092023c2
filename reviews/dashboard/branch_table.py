"""The dashboard's branch table: every branch of the scope with its figures, sortable."""

import datetime

from django.db.models import ExpressionWrapper, F, FloatField, QuerySet
from django.db.models.functions import NullIf

from branches.models import Branch
from pledges.figures import branches_with_stored_figures
from reviews.dashboard.scope import Scope

BRANCHES_PER_PAGE = 50

# ?sort= values of the branch table: column → order_by terms (ascending).
BRANCH_SORTS = {
    "name": ("name", "pk"),
    "members": ("active_members", "name", "pk"),
    "pledges": ("pledges_total", "name", "pk"),
    "done": ("done_share", "name", "pk"),
    "overdue": ("pledges_overdue", "name", "pk"),
}
DEFAULT_SORT = "name"


def parse_sort(value: str | None) -> str:
    """A valid ?sort= value ('overdue', '-overdue' …) or the default."""
    if value and value.lstrip("-") in BRANCH_SORTS:
        return value
    return DEFAULT_SORT


def branch_table(*, scope: Scope, sort: str, today: datetime.date) -> QuerySet[Branch]:
    """The scope's branches with their figures over LIVE pledges (one query, see
    pledges.figures.branches_with_stored_figures), ordered by a ?sort= value; a leading '-'
    sorts descending. `Figures.of_branch(branch, LIVE)` gives a row's figures."""
    descending = sort.startswith("-")
    terms = BRANCH_SORTS[sort.lstrip("-")]
    first = F(terms[0])
    order = [
        first.desc(nulls_last=True) if descending else first.asc(nulls_last=True),
        *terms[1:],
    ]
    return (
        branches_with_stored_figures(
            Branch.objects.filter(scope.branch_q()).select_related("committee"), today=today
        )
        .annotate(
            done_share=ExpressionWrapper(
                F("pledges_done") * 1.0 / NullIf(F("pledges_total"), 0),
                output_field=FloatField(),
            )
        )
        .order_by(*order)
    )

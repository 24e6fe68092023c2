"""The dashboard's figures and branch table, counted once per state of the scope's branches
and day and kept (branches.kept): between two changes, staff reading the dashboard again,
sorting it or paging through it share one count. The state is the scope's workspace stamp
(the newest Branch.workspace_changed_at under it and how many branches), which every
change the dashboard counts moves in its own transaction: pledges and their moves, needs,
members and rolls, branches and committees. What is overdue changes with the day, which
is in every key."""

import datetime

from django.core.paginator import Page, Paginator

from branches.kept import kept, page_key, page_of
from branches.models import Branch
from branches.selectors import workspace_stamp_of
from reviews.dashboard.branch_table import BRANCHES_PER_PAGE, branch_table
from reviews.dashboard.figures import Dashboard, dashboard_figures
from reviews.dashboard.scope import Scope


def dashboard_state(*, scope: Scope, today: datetime.date) -> str:
    """The key of what the scope's branches show today, in one query. Read it before the
    figures it keys."""
    latest, count = workspace_stamp_of(Branch.objects.filter(scope.branch_q()))
    roots = ",".join(root.path for root in scope.roots)
    return f"{roots}:{latest}:{count}:{today.isoformat()}"


def kept_dashboard_figures(*, scope: Scope, today: datetime.date, state: str) -> Dashboard:
    return kept(f"dashboard:figures:{state}", lambda: dashboard_figures(scope=scope, today=today))


def kept_branch_page(
    *, scope: Scope, sort: str, today: datetime.date, page_number, state: str
) -> Page:
    """The page of the branch table asked for (Paginator.get_page: a bad number gives the
    first page, one past the end the last), its rows counted once per state."""

    def count():
        page = Paginator(branch_table(scope=scope, sort=sort, today=today), BRANCHES_PER_PAGE)
        found = page.get_page(page_number)
        return found.number, list(found.object_list), found.paginator.count

    key = f"dashboard:branches:{state}:{sort}:{page_key(page_number)}"
    number, rows, total = kept(key, count)
    return page_of(rows, number=number, total=total, per_page=BRANCHES_PER_PAGE)

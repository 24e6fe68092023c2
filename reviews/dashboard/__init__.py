"""The district dashboard's figures: every number by aggregation in SQL, in a fixed number
of queries whatever the size of the subtree.

Definitions (the same as `pledges.selectors.branches_with_figures`):
- members are active members (在册); a member who pledged has at least one pledge that
  was not withdrawn; a member not yet covered is active, not exempt and has no such pledge
  (an exempt member who pledged anyway counts as pledged and as exempt);
- pledges are counted without the withdrawn ones (已撤销, they left the flow), which are
  shown apart; "done" is DONE_STATUSES (completed, verified, evaluated) over those pledges;
- a pledge is overdue when it is still open (OPEN_STATUSES) and its due date has passed.

One module per part: scope.py (whose subtrees), figures.py (totals, committee rows,
categories, quarters), branch_table.py, charts.py (SVG geometry), export.py (.xlsx sheets),
pledge_list.py (the pledges behind a figure). The names the views use are re-exported here.
"""

from reviews.dashboard.branch_table import (
    BRANCH_SORTS,
    BRANCHES_PER_PAGE,
    DEFAULT_SORT,
    branch_table,
    parse_sort,
)
from reviews.dashboard.charts import (
    QUARTER_BAR_WIDTH,
    QUARTER_BASELINE,
    QUARTER_CHART_HEIGHT,
    QUARTER_CHART_WIDTH,
    Bar,
    QuarterColumn,
    bars,
    quarter_columns,
)
from reviews.dashboard.export import committee_label, export_sheets
from reviews.dashboard.figures import (
    CategoryRow,
    CommitteeRow,
    Dashboard,
    Figures,
    QuarterRow,
    dashboard_figures,
    percent,
    quarter_bounds,
)
from reviews.dashboard.pledge_list import PLEDGES_PER_PAGE, PledgeFilter, scope_pledges
from reviews.dashboard.scope import SEGMENT, Scope, dashboard_scope

__all__ = [
    "BRANCHES_PER_PAGE",
    "BRANCH_SORTS",
    "DEFAULT_SORT",
    "PLEDGES_PER_PAGE",
    "QUARTER_BAR_WIDTH",
    "QUARTER_BASELINE",
    "QUARTER_CHART_HEIGHT",
    "QUARTER_CHART_WIDTH",
    "SEGMENT",
    "Bar",
    "CategoryRow",
    "CommitteeRow",
    "Dashboard",
    "Figures",
    "PledgeFilter",
    "QuarterColumn",
    "QuarterRow",
    "Scope",
    "bars",
    "branch_table",
    "committee_label",
    "dashboard_figures",
    "dashboard_scope",
    "export_sheets",
    "parse_sort",
    "percent",
    "quarter_bounds",
    "quarter_columns",
    "scope_pledges",
]

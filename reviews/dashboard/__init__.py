"""The district dashboard's figures: every number by aggregation in SQL, in a fixed number
of queries whatever the size of the subtree.

Every figure is defined once, in pledges.figures, over all pledges but drafts and
withdrawn ones (LIVE; the withdrawn are shown apart, the published count beside, as
the public site counts it); the public 统计口径 page explains them. The 研诺 step counts
the needs gathered (open, claimed or resolved), the other steps the pledges by status.

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
    RESEARCH_NEED_STATUSES,
    CategoryRow,
    CommitteeRow,
    Dashboard,
    Figures,
    QuarterRow,
    dashboard_figures,
    quarter_bounds,
    share,
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
    "RESEARCH_NEED_STATUSES",
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
    "quarter_bounds",
    "quarter_columns",
    "scope_pledges",
    "share",
]

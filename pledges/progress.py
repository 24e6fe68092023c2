"""A pledge's progress: the one rule every page that draws a progress bar uses.

进度怎么算 (the rule, as the public pages and the README state it):

- A pledge's progress is the share of its time nodes that are closed, a node being
  closed when its work was done on a date or when it was declared no longer needed
  with a reason. A pledge with no time nodes shows 0% until it is completed.
- Until the pledge is completed the share is capped at IN_PROGRESS_CAP (90%): only the
  completion itself, which the secretary confirms node by node, makes it 100%.
- 已完成, 已销号 and 已评议 are 100%.
- 已撤销 shows no bar (None).

Draft to published pledges follow the same share (their nodes are normally all open, so
0%); nothing depends on the status apart from the cap, the 100% of done pledges and
the missing bar of withdrawn ones.
"""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from pledges.enums import PledgeStatus
from pledges.workflow import DONE_STATUSES

# The most a pledge not yet completed shows, however many of its nodes are closed.
IN_PROGRESS_CAP = 90


def pledge_progress(*, status: str, nodes_total: int, nodes_closed: int) -> int | None:
    """The percent a pledge's progress bar shows, by the rule in this module's docstring:
    100 once completed (or beyond), None when withdrawn, else the share of its time nodes
    closed, rounded and capped at IN_PROGRESS_CAP (0 without nodes)."""
    if status == PledgeStatus.WITHDRAWN:
        return None
    if status in DONE_STATUSES:
        return 100
    if not nodes_total:
        return 0
    return min(IN_PROGRESS_CAP, round(100 * nodes_closed / nodes_total))


def bar_step(percent: int) -> int:
    """The percent rounded to a multiple of 5: the bar is drawn by class (p0 … p100), since
    the pages carry no inline style."""
    return max(0, min(100, 5 * round(percent / 5)))


def _node_count(condition: Q | None = None):
    from pledges.models import TimeNode

    nodes = TimeNode.objects.filter(pledge=OuterRef("pk"))
    if condition is not None:
        nodes = nodes.filter(condition)
    counted = nodes.order_by().values("pledge").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_node_counts(pledges: QuerySet) -> QuerySet:
    """Annotate each pledge with `nodes_total` and `nodes_closed`, in the same query: what
    `set_progress` needs."""
    return pledges.annotate(nodes_total=_node_count(), nodes_closed=_node_count(~Q(closed_as="")))


def set_progress(pledge, *, nodes_total: int | None = None, nodes_closed: int | None = None):
    """Set `percent` (None when withdrawn) and `bar` on the pledge, from the counts given or
    from its `with_node_counts` annotation; returns the pledge."""
    total = pledge.nodes_total if nodes_total is None else nodes_total
    closed = pledge.nodes_closed if nodes_closed is None else nodes_closed
    pledge.percent = pledge_progress(status=pledge.status, nodes_total=total, nodes_closed=closed)
    pledge.bar = None if pledge.percent is None else bar_step(pledge.percent)
    return pledge


def set_progress_from_nodes(pledge, nodes) -> None:
    """`set_progress` from the pledge's time nodes already loaded (no query)."""
    nodes = list(nodes)
    set_progress(
        pledge,
        nodes_total=len(nodes),
        nodes_closed=sum(1 for node in nodes if node.closed_as),
    )

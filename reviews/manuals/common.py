"""What the manuals share: the year asked for (pledges.manuals.manual_year, the one
definition for every printed page), and how a time node stands."""

import datetime

from django.utils.translation import gettext_lazy as _

from pledges.manuals import ManualYear, manual_year
from pledges.models import TimeNode

OPEN, OVERDUE, DONE, NOT_NEEDED = "open", "overdue", "done", "not_needed"
NODE_STATE_LABELS = {
    OPEN: _("未到期"),
    OVERDUE: _("逾期未完成"),
    DONE: _("已完成"),
    NOT_NEEDED: _("不再需要"),
}


def node_state(node: TimeNode, *, reference: datetime.date) -> str:
    """How a time node stands: done, no longer needed, or still open — overdue once its
    date is before `reference` (today during the year, 1 January after it)."""
    if node.is_done:
        return DONE
    if node.is_not_needed:
        return NOT_NEEDED
    return OVERDUE if node.due_on < reference else OPEN


__all__ = ["ManualYear", "manual_year", "node_state", "NODE_STATE_LABELS"]

"""The public 统计口径 page: what each figure on the public site and the staff pages
counts, in plain Chinese (the definitions are pledges.figures and pledges.progress)."""

import datetime

from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from pledges import public
from pledges.enums import PledgeStatus
from pledges.figures import LIVE, PUBLIC, figures_year
from pledges.progress import IN_PROGRESS_CAP
from pledges.workflow import DONE_STATUSES, OPEN_STATUSES

# The page changes only with the code (in the page's key and ETag), not with the data.
STAMP = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)


def _labels(statuses) -> str:
    """Status labels in the workflow's order, joined with 、."""
    return "、".join(str(status.label) for status in PledgeStatus if status in statuses)


@require_safe
def figures_page(request):
    context = {
        "live_label": LIVE.label,
        "live_statuses": _labels(LIVE.statuses),
        "public_label": PUBLIC.label,
        "public_statuses": _labels(PUBLIC.statuses),
        "done_statuses": _labels(DONE_STATUSES),
        "open_statuses": _labels(OPEN_STATUSES),
        "cap": IN_PROGRESS_CAP,
        "year": figures_year(),
    }
    return public.public_page_response(
        request,
        key=f"figures:{context['year']}",
        changed_at=STAMP,
        render=lambda: render_to_string("pledges/public/figures.html", context),
    )

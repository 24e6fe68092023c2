"""Chart geometry, computed here and drawn as inline SVG by the templates."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from reviews.dashboard.figures import QuarterRow


@dataclass
class Bar:
    label: str
    count: int
    width: str  # share of the longest bar, 0–100, for the SVG's viewBox
    url: str = ""


def bars(items: list[tuple[str, int, str]]) -> list[Bar]:
    """Horizontal bars (label, count, url) scaled to the largest count."""
    largest = max((count for _label, count, _url in items), default=0)
    return [
        Bar(
            label=label,
            count=count,
            width=f"{count * 100 / largest if largest else 0:.1f}",
            url=url,
        )
        for label, count, url in items
    ]


@dataclass
class QuarterColumn:
    label: str
    due: int
    completed: int
    x_due: str
    x_completed: str
    y_due: str
    y_completed: str
    h_due: str
    h_completed: str
    x_label: str


# The quarter chart's viewBox is 0 0 QUARTER_CHART_WIDTH QUARTER_CHART_HEIGHT; bars stand
# on the baseline, the labels below it.
QUARTER_CHART_WIDTH = 240
QUARTER_CHART_HEIGHT = 120
QUARTER_BASELINE = 100
QUARTER_BAR_WIDTH = 20


def quarter_columns(rows: list[QuarterRow]) -> list[QuarterColumn]:
    """Two bars per quarter (due, completed), heights scaled to the largest figure."""
    largest = max([row.due for row in rows] + [row.completed for row in rows] + [0])
    slot = QUARTER_CHART_WIDTH / len(rows) if rows else 0
    columns = []
    for index, row in enumerate(rows):
        left = index * slot + (slot - 2 * QUARTER_BAR_WIDTH) / 2
        h_due = row.due * (QUARTER_BASELINE - 10) / largest if largest else 0
        h_completed = row.completed * (QUARTER_BASELINE - 10) / largest if largest else 0
        columns.append(
            QuarterColumn(
                label=_("第%(quarter)s季度") % {"quarter": row.quarter},
                due=row.due,
                completed=row.completed,
                x_due=f"{left:.1f}",
                x_completed=f"{left + QUARTER_BAR_WIDTH:.1f}",
                y_due=f"{QUARTER_BASELINE - h_due:.1f}",
                y_completed=f"{QUARTER_BASELINE - h_completed:.1f}",
                h_due=f"{h_due:.1f}",
                h_completed=f"{h_completed:.1f}",
                x_label=f"{index * slot + slot / 2:.1f}",
            )
        )
    return columns

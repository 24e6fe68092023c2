"""一图: the chart of the six steps (研诺 → 定诺 → 示诺 → 践诺 → 督诺 → 用诺) with the four
review systems beneath 督诺, drawn as inline SVG (templates/pledges/chart/) from live data.

This module holds the chart's data types, its geometry and the public chart. The counts
are pledges.figures.step_figures (the same definition as the dashboard's step bars); the
staff chart, whose review-system figures come from the reviews app, is built by
reviews.chart, which passes them in here.

Two layouts of the same boxes: a landscape one (six steps in a row, the four systems in a
row beneath 督诺; wide screens and print) and a vertical one (phones), shown by a width
media query in static/css/chart.css.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import Branch
from pledges.enums import PledgeStatus, Step
from pledges.figures import PUBLIC, PledgeSet
from pledges.figures.steps import (
    NEED_CLAIM_DAYS,
    StepFigures,
    public_step_figures,
    step_figures,
)
from pledges.models import Need, Pledge

S = PledgeStatus

# What each step means, in a line, and what its figure counts.
STEP_TEXT = {
    Step.RESEARCH: (gettext_lazy("征集群众需求"), gettext_lazy("条需求")),
    Step.DEFINE: (gettext_lazy("认领需求 审核承诺"), gettext_lazy("项承诺")),
    Step.SHOW: (gettext_lazy("公开承诺 亮诺上墙"), gettext_lazy("项承诺")),
    Step.PRACTISE: (gettext_lazy("兑现承诺 记录进展"), gettext_lazy("项承诺")),
    Step.SUPERVISE: (gettext_lazy("讲评销号 督促落实"), gettext_lazy("项承诺")),
    Step.USE: (gettext_lazy("评议结果 运用奖惩"), gettext_lazy("项承诺")),
}
# On the public chart: the work before publication is not public (public_steps_of).
PUBLIC_STEP_TEXT = {
    Step.RESEARCH: (gettext_lazy("已公示承诺回应的需求"), gettext_lazy("条需求")),
    Step.DEFINE: (gettext_lazy("经审核并公示的承诺"), gettext_lazy("项承诺")),
}

MONTHLY, QUARTERLY, HALFYEAR, YEAREND = "monthly", "quarterly", "halfyear", "yearend"
SYSTEM_TEXT = {
    MONTHLY: (gettext_lazy("月度主题党日汇报制"), gettext_lazy("每月")),
    QUARTERLY: (gettext_lazy("季度党支部讲评制"), gettext_lazy("每季度")),
    HALFYEAR: (gettext_lazy("半年党委销号制"), gettext_lazy("半年")),
    YEAREND: (gettext_lazy("年终逐村评议制"), gettext_lazy("年终")),
}
SYSTEMS = (MONTHLY, QUARTERLY, HALFYEAR, YEAREND)

# Landscape layout (viewBox 0 0 WIDE_WIDTH WIDE_HEIGHT): six step boxes in a row, the
# four systems in a row beneath, joined to 督诺 by a bracket.
WIDE_WIDTH = 1120
STEP_W, STEP_H, STEP_GAP = 160, 140, 32
SYSTEM_W, SYSTEM_H, SYSTEM_GAP = 260, 110, 20
SYSTEM_TOP = 200
BUS_Y = 172
WIDE_HEIGHT = SYSTEM_TOP + SYSTEM_H + 4
# Vertical layout (viewBox 0 0 NARROW_WIDTH height): one step per row, the systems two by
# two between 督诺 and 用诺.
NARROW_WIDTH = 340
ROW_X, ROW_W, ROW_H, ROW_GAP = 10, 320, 76, 28
CELL_W, CELL_H, CELL_GAP = 155, 92, 10


@dataclass
class StepBox:
    step: str
    name: str
    explanation: str
    count: int
    noun: str
    late: int
    url: str = ""
    late_url: str = ""
    # Top-left corners in the landscape (x, y) and vertical (nx, ny) layouts.
    x: int = 0
    y: int = 0
    nx: int = 0
    ny: int = 0

    @property
    def cx(self) -> int:
        return self.x + STEP_W // 2

    @property
    def right(self) -> int:
        return self.x + STEP_W

    @property
    def n_right(self) -> int:
        return self.nx + ROW_W

    @property
    def n_bottom(self) -> int:
        return self.ny + ROW_H


@dataclass
class SystemBox:
    key: str
    name: str
    rhythm: str
    # The figure in words ("已汇报 37/71"), or "" where only the rhythm is shown.
    figure: str = ""
    url: str = ""
    x: int = 0
    y: int = 0
    nx: int = 0
    ny: int = 0

    @property
    def cx(self) -> int:
        return self.x + SYSTEM_W // 2

    @property
    def n_cx(self) -> int:
        return self.nx + CELL_W // 2


@dataclass
class Arrow:
    """A line from (x1, y1) to (x2, y2) with a head at the end (`head`: polygon points)."""

    x1: int
    y1: int
    x2: int
    y2: int
    head: str


@dataclass
class Chart:
    title: str
    pledge_set: PledgeSet
    steps: list[StepBox]
    systems: list[SystemBox]
    today: datetime.date
    # Where the whole chart is explained (the public 统计口径) or opened in full.
    note: str = ""
    wide_arrows: list[Arrow] = field(default_factory=list)
    narrow_arrows: list[Arrow] = field(default_factory=list)
    # The bracket from 督诺 to the systems: polyline points, per layout.
    wide_bracket: list[str] = field(default_factory=list)
    narrow_bracket: list[str] = field(default_factory=list)
    wide_width: int = WIDE_WIDTH
    wide_height: int = WIDE_HEIGHT
    narrow_width: int = NARROW_WIDTH
    narrow_height: int = 0

    @property
    def is_public(self) -> bool:
        return self.pledge_set is PUBLIC

    @property
    def need_claim_days(self) -> int:
        return NEED_CLAIM_DAYS

    @property
    def set_label(self) -> str:
        return self.pledge_set.label

    @property
    def overdue(self) -> int:
        return sum(box.late for box in self.steps if box.step != Step.RESEARCH.value)

    @property
    def description(self) -> str:
        """The chart in words, for the SVG's <desc>."""
        parts = []
        for box in self.steps:
            text = f"{box.name}（{box.explanation}）{box.count}{box.noun}"
            if box.late:
                text += _("，逾期 %(late)s") % {"late": box.late}
            parts.append(text)
        systems = [
            f"{box.name}（{box.rhythm}）" + (f"{box.figure}" if box.figure else "")
            for box in self.systems
        ]
        return "；".join(parts) + "。" + _("督诺四项制度：") + "；".join(systems) + "。"


def _head_right(x: int, y: int) -> str:
    return f"{x},{y} {x - 9},{y - 6} {x - 9},{y + 6}"


def _head_down(x: int, y: int) -> str:
    return f"{x},{y} {x - 6},{y - 9} {x + 6},{y - 9}"


def lay_out(chart: Chart) -> Chart:
    """Place the boxes, arrows and bracket of both layouts."""
    for index, box in enumerate(chart.steps):
        box.x, box.y = index * (STEP_W + STEP_GAP), 0
    chart.wide_arrows = [
        Arrow(a.right + 4, STEP_H // 2, b.x - 4, STEP_H // 2, _head_right(b.x - 4, STEP_H // 2))
        for a, b in zip(chart.steps, chart.steps[1:], strict=False)
    ]
    left = (WIDE_WIDTH - 4 * SYSTEM_W - 3 * SYSTEM_GAP) // 2
    for index, box in enumerate(chart.systems):
        box.x, box.y = left + index * (SYSTEM_W + SYSTEM_GAP), SYSTEM_TOP
    supervise = next(b for b in chart.steps if b.step == Step.SUPERVISE.value)
    chart.wide_bracket = [
        f"{supervise.cx},{STEP_H} {supervise.cx},{BUS_Y}",
        f"{chart.systems[0].cx},{BUS_Y} {chart.systems[-1].cx},{BUS_Y}",
        *(f"{box.cx},{BUS_Y} {box.cx},{SYSTEM_TOP}" for box in chart.systems),
    ]

    # Vertical: steps down the page; after 督诺, the systems two by two.
    y = 0
    chart.narrow_arrows = []
    chart.narrow_bracket = []
    previous = None
    for box in chart.steps:
        if previous is not None:
            top = y - ROW_GAP
            chart.narrow_arrows.append(
                Arrow(NARROW_WIDTH // 2, top + 3, NARROW_WIDTH // 2, y - 3, _head_down(170, y - 3))
            )
        box.nx, box.ny = ROW_X, y
        y += ROW_H + ROW_GAP
        if box.step == Step.SUPERVISE.value:
            grid_top = box.n_bottom + 16
            for index, system in enumerate(chart.systems):
                system.nx = ROW_X + (index % 2) * (CELL_W + CELL_GAP)
                system.ny = grid_top + (index // 2) * (CELL_H + CELL_GAP)
            chart.narrow_bracket = [
                f"{NARROW_WIDTH // 2},{box.n_bottom} {NARROW_WIDTH // 2},{grid_top - 8}",
                f"{chart.systems[0].n_cx},{grid_top - 8} {chart.systems[1].n_cx},{grid_top - 8}",
                f"{chart.systems[0].n_cx},{grid_top - 8} {chart.systems[0].n_cx},{grid_top}",
                f"{chart.systems[1].n_cx},{grid_top - 8} {chart.systems[1].n_cx},{grid_top}",
            ]
            y = grid_top + 2 * CELL_H + CELL_GAP + ROW_GAP
        previous = box
    chart.narrow_height = y - ROW_GAP + 4
    return chart


def step_boxes(figures: StepFigures, *, links: dict[str, tuple[str, str]]) -> list[StepBox]:
    """The six boxes of these figures; `links` maps a step value to (url, late url)."""
    boxes = []
    for step in Step:
        explanation, noun = STEP_TEXT[step]
        if figures.pledge_set is PUBLIC and step in PUBLIC_STEP_TEXT:
            explanation, noun = PUBLIC_STEP_TEXT[step]
        url, late_url = links.get(step.value, ("", ""))
        boxes.append(
            StepBox(
                step=step.value,
                name=str(step.label),
                explanation=str(explanation),
                count=figures.counts[step.value],
                noun=str(noun),
                late=figures.late[step.value],
                url=url,
                late_url=late_url,
            )
        )
    return boxes


def system_box(key: str, *, figure: str = "", url: str = "") -> SystemBox:
    name, rhythm = SYSTEM_TEXT[key]
    return SystemBox(key=key, name=str(name), rhythm=str(rhythm), figure=figure, url=url)


def ratio(label: str, part: int, whole: int) -> str:
    """A system's figure: "已汇报 37/71", or "暂无" when there is nothing to count yet."""
    if not whole:
        return _("%(label)s 暂无") % {"label": label}
    return f"{label} {part}/{whole}"


def build_chart(
    *,
    title: str,
    figures: StepFigures,
    systems: list[SystemBox],
    today: datetime.date,
    links: dict[str, tuple[str, str]] | None = None,
    note: str = "",
) -> Chart:
    """The chart of these step figures and review systems, laid out."""
    return lay_out(
        Chart(
            title=title,
            pledge_set=figures.pledge_set,
            steps=step_boxes(figures, links=links or {}),
            systems=systems,
            today=today,
            note=note,
        )
    )


# ---------------------------------------------------------------------------
# The public chart: the district site and each board
# ---------------------------------------------------------------------------


def public_systems(figures: StepFigures) -> list[SystemBox]:
    """The four systems as the public may see them: the rhythm of the monthly and
    quarterly reviews (their records are the branches' own), and the crossing-off and
    evaluation as published pledge statuses show them (已销号: verified or evaluated;
    已评议: evaluated), of the year's published pledges."""
    crossed = figures.by_status.get(S.VERIFIED, 0) + figures.by_status.get(S.EVALUATED, 0)
    evaluated = figures.by_status.get(S.EVALUATED, 0)
    return [
        system_box(MONTHLY, figure=_("党员逐月汇报")),
        system_box(QUARTERLY, figure=_("支部讲评 上级点评")),
        system_box(HALFYEAR, figure=_("已销号 %(n)s 项") % {"n": crossed}),
        system_box(YEAREND, figure=_("已评议 %(n)s 项") % {"n": evaluated}),
    ]


def public_chart(
    *,
    title: str,
    today: datetime.date,
    branches: QuerySet[Branch] | None = None,
    branch: Branch | None = None,
    note: str = "",
) -> Chart:
    """The public chart of these branches (their published pledges of the year and the
    needs those answer: pledges.figures.step_figures over PUBLIC, one query), or of one
    `branch` annotated by pledges.figures.branches_with_public_steps (no query). No step
    links: the public pages have no list by step."""
    if branch is not None:
        figures = public_step_figures(branch)
    else:
        figures = step_figures(
            pledges=Pledge.objects.filter(owner_branch__in=branches.values("pk")),
            needs=Need.objects.none(),
            pledge_set=PUBLIC,
            today=today,
        )
    return build_chart(
        title=title, figures=figures, systems=public_systems(figures), today=today, note=note
    )

"""一图 in the pledges layer: the step figures (LIVE and PUBLIC) against plain Python
counts, the public chart counting only published pledges, its place on the district site
and each board, the SVG's shape (no style attributes, role="img", a table beside) and its
geometry."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from branches.models import Branch
from pledges import chart as charts
from pledges.enums import NeedStatus, PledgeStatus, Step
from pledges.figures import LIVE, PUBLIC, figures_of
from pledges.figures.steps import (
    NEED_CLAIM_DAYS,
    branches_with_public_steps,
    public_step_figures,
    step_figures,
)
from pledges.models import Need, Pledge
from pledges.workflow import STATUS_STEP
from tests import factories

S = PledgeStatus
TODAY = timezone.localdate()
PAST = TODAY - datetime.timedelta(days=10)
# Written out apart from pledges.figures, so a change there is a visible decision.
PUBLISHED = {S.PUBLISHED, S.IN_PROGRESS, S.COMPLETED, S.VERIFIED, S.EVALUATED}
OPEN = {S.APPROVED, S.PUBLISHED, S.IN_PROGRESS}
NOT_PUBLIC = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.WITHDRAWN]


def _pledge(org, status, *, branch=None, due=None, member=None, needs=()):
    branch = branch or org.branch
    pledge = factories.make_pledge(
        branch=None if member else branch,
        member=member,
        due_date=due or TODAY + datetime.timedelta(days=40),
    )
    if needs:
        pledge.needs.set(needs)
    return factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)


def _old_need(branch, status=NeedStatus.OPEN, days=NEED_CLAIM_DAYS + 5):
    need = factories.make_need(branch, status=status)
    Need.objects.filter(pk=need.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    return need


def build(org):
    """Every status, overdue pledges, needs of each status, old and new, answered or not."""
    answered = factories.make_need(org.branch)
    for status in S:
        _pledge(org, status)
    for status in OPEN:
        _pledge(org, status, due=PAST)
    _pledge(org, S.IN_PROGRESS, needs=[answered])
    _pledge(org, S.SUBMITTED, needs=[_old_need(org.branch, NeedStatus.CLAIMED)])
    member = factories.make_member(org.branch)
    _pledge(org, S.COMPLETED, member=member, needs=[answered])
    _old_need(org.branch)
    _old_need(org.branch, days=NEED_CLAIM_DAYS - 5)
    factories.make_need(org.branch, status=NeedStatus.RESOLVED)
    factories.make_need(org.branch, status=NeedStatus.DROPPED)
    _old_need(org.branch, NeedStatus.DROPPED)
    _pledge(org, S.PUBLISHED, branch=org.other_branch, due=PAST)


def python_steps(pledges, needs, *, public=False):
    """Counts and late counts by step, in plain Python over the objects."""
    counts = {step.value: 0 for step in Step}
    late = {step.value: 0 for step in Step}
    for pledge in pledges:
        if public and (pledge.status not in PUBLISHED or pledge.year != TODAY.year):
            continue
        step = STATUS_STEP[S(pledge.status)]
        if step is None:
            continue
        counts[step.value] += 1
        if pledge.status in OPEN and pledge.due_date < TODAY and pledge.year == TODAY.year:
            late[step.value] += 1
    cutoff = timezone.now() - datetime.timedelta(days=NEED_CLAIM_DAYS + 1)
    if public:
        shown = [p for p in pledges if p.status in PUBLISHED]
        counts[Step.DEFINE.value] = len(shown)
        counts[Step.RESEARCH.value] = len({n.pk for p in shown for n in p.needs.all()})
    else:
        counts[Step.RESEARCH.value] = sum(1 for n in needs if n.status != NeedStatus.DROPPED)
        late[Step.RESEARCH.value] = sum(
            1 for n in needs if n.status == NeedStatus.OPEN and n.created_at < cutoff
        )
    return counts, late


# ---------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------


def test_step_figures_live_match_plain_counts(org):
    build(org)
    found = step_figures(
        pledges=Pledge.objects.filter(owner_branch=org.branch),
        needs=Need.objects.filter(branch=org.branch),
        pledge_set=LIVE,
        today=TODAY,
    )
    expected = python_steps(
        list(Pledge.objects.filter(owner_branch=org.branch)),
        list(Need.objects.filter(branch=org.branch)),
    )
    assert (found.counts, found.late) == expected
    assert found.late[Step.RESEARCH.value] == 1
    branches = Branch.objects.filter(pk=org.branch.pk)
    assert (
        found.overdue == figures_of(branches=branches, pledge_set=LIVE, today=TODAY).pledges_overdue
    )


def test_step_figures_public_match_plain_counts(org):
    build(org)
    pledges = Pledge.objects.filter(owner_branch=org.branch)
    found = step_figures(pledges=pledges, needs=Need.objects.none(), pledge_set=PUBLIC, today=TODAY)
    assert (found.counts, found.late) == python_steps(list(pledges), [], public=True)
    assert found.counts[Step.RESEARCH.value] == 1  # one need, answered by two pledges
    public = figures_of(
        branches=Branch.objects.filter(pk=org.branch.pk), pledge_set=PUBLIC, today=TODAY
    )
    assert found.counts[Step.DEFINE.value] == public.pledges_total
    assert found.overdue == public.pledges_overdue
    # The steps after 定诺 partition the published pledges.
    after = [Step.SHOW, Step.PRACTISE, Step.SUPERVISE, Step.USE]
    assert sum(found.counts[step.value] for step in after) == public.pledges_total


def test_branch_annotations_equal_step_figures(org):
    build(org)
    branch = branches_with_public_steps(Branch.objects.all(), today=TODAY).get(pk=org.branch.pk)
    found = step_figures(
        pledges=Pledge.objects.filter(owner_branch=org.branch),
        needs=Need.objects.none(),
        pledge_set=PUBLIC,
        today=TODAY,
    )
    assert public_step_figures(branch) == found


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_public_chart_ignores_pledges_not_published(org, status):
    build(org)

    def public_numbers():
        branches = Branch.objects.filter(pk=org.branch.pk)
        chart = charts.public_chart(branches=branches, title="x", today=TODAY)
        annotated = branches_with_public_steps(branches, today=TODAY).get()
        board = charts.public_chart(branch=annotated, title="x", today=TODAY)
        return [
            [(box.count, box.late) for box in item.steps] + [item.systems[2].figure]
            for item in (chart, board)
        ]

    before = public_numbers()
    _pledge(org, status, due=PAST, needs=[factories.make_need(org.branch)])
    assert public_numbers() == before


def test_public_chart_figures_of_the_review_systems(org):
    build(org)
    chart = charts.public_chart(
        branches=Branch.objects.filter(pk=org.branch.pk), title="x", today=TODAY
    )
    crossed = Pledge.objects.filter(
        owner_branch=org.branch, status__in=[S.VERIFIED, S.EVALUATED]
    ).count()
    evaluated = Pledge.objects.filter(owner_branch=org.branch, status=S.EVALUATED).count()
    assert [box.figure for box in chart.systems] == [
        "党员逐月汇报",
        "支部讲评 上级点评",
        f"已销号 {crossed} 项",
        f"已评议 {evaluated} 项",
    ]
    assert [box.url for box in chart.steps] == [""] * 6


# ---------------------------------------------------------------------------
# The SVG
# ---------------------------------------------------------------------------


def test_chart_partial_has_no_style_and_reads_without_svg(org):
    build(org)
    chart = charts.public_chart(
        branches=Branch.objects.filter(pk=org.branch.pk), title="范寨村党支部", today=TODAY
    )
    html = render_to_string("pledges/chart/_chart.html", {"chart": chart})
    assert "style=" not in html
    assert "<script" not in html
    assert html.count('role="img"') == 2
    assert html.count("<title>") == 2
    assert html.count("<desc>") == 2
    assert "<table>" in html
    for name in ("研诺", "定诺", "示诺", "践诺", "督诺", "用诺"):
        assert re.search(rf"<th scope=\"row\">{name}</th>", html)
    for name in ("月度主题党日汇报制", "季度党支部讲评制", "半年党委销号制", "年终逐村评议制"):
        assert html.count(name) >= 3  # landscape, vertical, table
    late = next(box for box in chart.steps if box.step == Step.PRACTISE.value).late
    assert late
    assert f"逾期 {late}" in html


def _inside(x, y, w, h, width, height):
    return x >= 0 and x + w <= width and y >= 0 and y + h <= height


def _overlap(a, b):
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_chart_geometry_boxes_inside_and_apart(org):
    chart = charts.public_chart(branches=Branch.objects.none(), title="x", today=TODAY)
    wide = [(b.x, b.y, charts.STEP_W, charts.STEP_H) for b in chart.steps] + [
        (b.x, b.y, charts.SYSTEM_W, charts.SYSTEM_H) for b in chart.systems
    ]
    narrow = [(b.nx, b.ny, charts.ROW_W, charts.ROW_H) for b in chart.steps] + [
        (b.nx, b.ny, charts.CELL_W, charts.CELL_H) for b in chart.systems
    ]
    for boxes, width, height in (
        (wide, chart.wide_width, chart.wide_height),
        (narrow, chart.narrow_width, chart.narrow_height),
    ):
        assert all(_inside(*box, width, height) for box in boxes)
        assert not any(_overlap(a, b) for index, a in enumerate(boxes) for b in boxes[index + 1 :])
    # The systems sit beneath 督诺, before 用诺 in the vertical layout.
    use = chart.steps[-1]
    assert all(system.ny < use.ny for system in chart.systems)
    assert len(chart.wide_arrows) == len(chart.narrow_arrows) == 5


# ---------------------------------------------------------------------------
# The public pages
# ---------------------------------------------------------------------------


def test_board_and_district_site_show_the_public_chart(client, org):
    build(org)
    cache.clear()
    board = client.get(reverse("public:by_token", args=[org.branch.public_token]))
    site = client.get(reverse("public:district_site"))
    for response in (board, site):
        assert response.status_code == 200
        html = response.content.decode()
        assert "一图：六步与四项制度" in html
        assert "style=" not in html
        assert reverse("public:figures") + "#chart" in html
        # No workspace link and no pre-publication figure.
        assert "/work/" not in html
        assert "条需求" in html
    chart = board.context["board"].chart
    assert chart.is_public
    assert chart.steps[1].count == board.context["board"].figures.pledges_total
    site_chart = site.context["site"].chart
    assert site_chart.steps[1].count == site.context["site"].figures.pledges_total
    assert site_chart.overdue == site.context["site"].figures.pledges_overdue


def test_figures_page_explains_the_public_chart(client):
    html = client.get(reverse("public:figures")).content.decode()
    assert 'id="chart"' in html
    assert "已公示承诺所回应的群众需求" in html


def test_chart_drawing_is_remembered_per_distinct_figures(org, monkeypatch):
    """{% chart_svg %} draws the same figures once and draws again when one moves."""
    from django.template import Context, Template

    from pledges.templatetags import charts as chart_tags

    build(org)
    chart = charts.public_chart(
        branches=Branch.objects.filter(pk=org.branch.pk), title="范寨村党支部", today=TODAY
    )
    drawn = []
    real_render = chart_tags.render_to_string
    monkeypatch.setattr(
        chart_tags, "render_to_string", lambda *a, **k: drawn.append(1) or real_render(*a, **k)
    )
    chart_tags._drawings.clear()
    page = Template("{% load charts %}{% chart_svg chart %}")

    first = page.render(Context({"chart": chart}))
    again = page.render(Context({"chart": chart}))
    chart.steps[0].count += 1
    moved = page.render(Context({"chart": chart}))

    assert first == again
    assert len(drawn) == 2
    assert moved != first
    assert moved == real_render("pledges/chart/_chart.html", {"chart": chart})

"""一图 in the workspace: the same figures as the dashboard (district, committee, branch,
and the branch table's row), the four systems' figures, where each box leads, who may see
which chart, the query count at two sizes, the home page and the dashboard's link; and on
the demo district, the district's and 范寨村's charts against the dashboard."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.models import Branch, Member
from pledges.enums import NeedStatus, PledgeStatus, Step
from pledges.figures import LIVE, Figures
from pledges.figures.steps import NEED_CLAIM_DAYS
from pledges.models import Need, Pledge
from pledges.templatetags.charts import chart_svg
from reviews import dashboard
from reviews.chart import branch_chart, chart_for, scope_chart
from reviews.models import MonthlyReport
from tests import factories
from tests.reviews.test_dashboard import build_data

S = PledgeStatus
URL = reverse("reviews:chart")
TODAY = timezone.localdate()
PLEDGE_STEPS = [step for step in Step if step != Step.RESEARCH]


def build(org, *, extra_branches=0):
    build_data(org, extra_branches=extra_branches)
    for branch in (org.branch, org.other_branch, org.far_branch):
        factories.make_need(branch)
        factories.make_need(branch, status=NeedStatus.CLAIMED)
        factories.make_need(branch, status=NeedStatus.DROPPED)
        old = factories.make_need(branch)
        Need.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=NEED_CLAIM_DAYS + 3)
        )


def numbers(chart):
    return (
        {box.step: box.count for box in chart.steps},
        {box.step: box.late for box in chart.steps},
    )


def dashboard_numbers(scope):
    total = dashboard.dashboard_figures(scope=scope, today=TODAY).total
    return total.by_step(), total.late_by_step(), total


# ---------------------------------------------------------------------------
# The same figures as the dashboard
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["district_staff", "town_staff"])
def test_chart_equals_the_dashboard_of_the_persons_scope(org, who):
    build(org)
    user = getattr(org, who)
    chart, of = chart_for(user=user, query={}, today=TODAY)
    steps, late, total = dashboard_numbers(dashboard.dashboard_scope(user=user))
    assert numbers(chart) == (steps, late)
    assert chart.overdue == total.overdue
    assert late[Step.RESEARCH.value] > 0


def test_chart_of_a_committee_equals_the_narrowed_dashboard(org):
    build(org)
    chart, of = chart_for(user=org.district_staff, query={"c": str(org.town.pk)}, today=TODAY)
    scope = dashboard.dashboard_scope(user=org.district_staff, committee_id=str(org.town.pk))
    steps, late, total = dashboard_numbers(scope)
    assert numbers(chart) == (steps, late)
    assert of["scope"].chosen == org.town


def test_chart_of_a_branch_equals_its_dashboard_row(org):
    build(org)
    chart = branch_chart(branch=org.branch, today=TODAY, is_staff=True)
    rows = dashboard.branch_table(
        scope=dashboard.dashboard_scope(user=org.district_staff),
        sort=dashboard.parse_sort(None),
        today=TODAY,
    )
    row = Figures.of_branch(next(b for b in rows if b.pk == org.branch.pk), LIVE)
    assert chart.overdue == row.pledges_overdue
    statuses = Pledge.objects.filter(owner_branch=org.branch).values_list("status", flat=True)
    expected = {step.value: 0 for step in Step}
    from pledges.workflow import STATUS_STEP

    for status in statuses:
        if STATUS_STEP[S(status)] is not None:
            expected[STATUS_STEP[S(status)].value] += 1
    expected[Step.RESEARCH.value] = (
        Need.objects.filter(branch=org.branch).exclude(status=NeedStatus.DROPPED).count()
    )
    assert numbers(chart)[0] == expected
    # The branch's steps add up within the district's.
    district, _of = chart_for(user=org.district_staff, query={}, today=TODAY)
    for box, whole in zip(chart.steps, district.steps, strict=True):
        assert box.count <= whole.count


def test_member_chart_counts_the_members_pledges(org):
    build(org)
    member = factories.make_member(org.branch)
    pledge = factories.walk_to(
        factories.make_pledge(member=member, due_date=TODAY - datetime.timedelta(days=3)),
        S.IN_PROGRESS,
        secretary=org.secretary,
        staff=org.district_staff,
    )
    pledge.needs.add(factories.make_need(org.branch, status=NeedStatus.CLAIMED))
    MonthlyReport.objects.create(
        member=member, month=TODAY.replace(day=1), recorded_by=org.secretary
    )
    chart, of = chart_for(user=org.secretary, query={"m": str(member.pk)}, today=TODAY)
    assert numbers(chart) == (
        {"research": 1, "define": 0, "show": 0, "practise": 1, "supervise": 0, "use": 0},
        {"research": 0, "define": 0, "show": 0, "practise": 1, "supervise": 0, "use": 0},
    )
    assert chart.systems[0].figure == "本月已汇报 1/1"
    assert of["member"] == member


def test_system_figures_follow_the_review_selectors(org):
    build(org)
    chart = branch_chart(branch=org.branch, today=TODAY, is_staff=True)
    members = Member.objects.filter(branch=org.branch, is_active=True).count()
    half = (
        Pledge.objects.filter(
            owner_branch=org.branch,
            year=TODAY.year,
            due_date__lte=datetime.date(TODAY.year, 6, 30),
        )
        .exclude(status=S.WITHDRAWN)
        .count()
    )
    crossed = (
        Pledge.objects.filter(
            owner_branch=org.branch,
            year=TODAY.year,
            due_date__lte=datetime.date(TODAY.year, 6, 30),
            status__in=[S.VERIFIED, S.EVALUATED],
        ).count()
        if half
        else 0
    )
    rateable = Pledge.objects.filter(
        owner_branch=org.branch, year=TODAY.year, status__in=[S.VERIFIED, S.EVALUATED]
    ).count()
    evaluated = Pledge.objects.filter(owner_branch=org.branch, status=S.EVALUATED).count()
    reviewable = Pledge.objects.filter(
        owner_branch=org.branch,
        branch__isnull=False,
        year=TODAY.year,
        status__in=[S.PUBLISHED, S.IN_PROGRESS, S.COMPLETED, S.VERIFIED, S.EVALUATED],
    ).count()

    def ratio(label, part, whole):
        return f"{label} {part}/{whole}" if whole else f"{label} 暂无"

    assert [box.figure for box in chart.systems] == [
        ratio("本月已汇报", 0, members),
        ratio("本季度已点评", 0, reviewable),
        ratio("上半年已销号", crossed, half),
        ratio("已评议", evaluated, rateable),
    ]


# ---------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------


def _count_listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    context = response.context
    page = context["page_obj"] if "page_obj" in context else context["page"]
    return page.paginator.count


def test_scope_chart_links_lead_to_the_dashboard_lists_of_each_step(org, client_as):
    build(org)
    client = client_as("district_staff")
    chart = scope_chart(
        scope=dashboard.dashboard_scope(user=org.district_staff, committee_id=str(org.town.pk)),
        today=TODAY,
    )
    research, *pledge_steps = chart.steps
    assert (research.url, research.late_url) == ("", "")
    for box in pledge_steps:
        assert box.url == reverse("dashboard_pledges") + f"?c={org.town.pk}&step={box.step}"
        assert _count_listed(client, box.url) == box.count
        assert _count_listed(client, box.late_url) == box.late
    assert chart.systems[1].url == (
        reverse("reviews:quarterly", args=[TODAY.year, (TODAY.month - 1) // 3 + 1])
        + f"?committee={org.town.pk}"
    )


def test_branch_chart_links_lead_to_the_branch_lists(org, client_as):
    build(org)
    client = client_as("secretary")
    chart, _of = chart_for(user=org.secretary, query={}, today=TODAY)
    research, *pledge_steps = chart.steps
    assert research.url == reverse("pledges:needs", args=[org.branch.pk])
    listed = client.get(research.url).context["chips"][0]
    assert listed["count"] == research.count
    for box in pledge_steps:
        base = reverse("pledges:branch_pledges", args=[org.branch.pk])
        assert box.url == f"{base}?step={box.step}"
        assert _count_listed(client, box.url) == box.count
        assert _count_listed(client, box.late_url) == box.late
    assert chart.systems[0].url == reverse("reviews:monthly_report", args=[org.branch.pk])
    assert chart.systems[3].url == reverse("reviews:yearend", args=[TODAY.year])


# ---------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("secretary", {}, 200),
        ("secretary", {"b": "branch"}, 200),
        ("secretary", {"b": "other_branch"}, 404),
        ("secretary", {"m": "member"}, 200),
        ("secretary", {"m": "other_member"}, 404),
        ("secretary", {"c": "town"}, 403),
        ("other_secretary", {"b": "branch"}, 404),
        ("town_staff", {}, 200),
        ("town_staff", {"c": "town"}, 200),
        ("town_staff", {"b": "branch"}, 200),
        ("town_staff", {"m": "member"}, 200),
        ("town_staff", {"c": "district"}, 404),
        ("town_staff", {"b": "far_branch"}, 404),
        ("other_town_staff", {"c": "town"}, 404),
        ("other_town_staff", {"b": "branch"}, 404),
        ("other_town_staff", {"m": "member"}, 404),
        ("district_staff", {"c": "town"}, 200),
        ("district_staff", {"b": "far_branch"}, 200),
        ("district_organiser", {}, 403),
        ("town_staff", {"c": "x1"}, 404),
        ("town_staff", {"b": "99999999"}, 404),
    ],
)
def test_chart_access(org, client_as, who, query, status):
    member = factories.make_member(org.branch)
    other_member = factories.make_member(org.other_branch)
    objects = {
        "branch": org.branch.pk,
        "other_branch": org.other_branch.pk,
        "far_branch": org.far_branch.pk,
        "town": org.town.pk,
        "district": org.district.pk,
        "member": member.pk,
        "other_member": other_member.pk,
    }
    query = {key: objects.get(value, value) for key, value in query.items()}
    assert client_as(who).get(URL, query).status_code == status


def test_chart_needs_signing_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------------------
# The page, the home page, the dashboard
# ---------------------------------------------------------------------------


def test_chart_page_prints_landscape_and_has_no_style(org, client_as):
    build(org)
    html = client_as("town_staff").get(URL).content.decode()
    assert "style=" not in html
    assert 'class="chart-print"' in html
    assert "css/chart.css" in html
    assert "姬石镇党委 · 双承诺“一图”" in html


def test_home_shows_the_chart_of_the_persons_scope(org, client_as):
    build(org)
    html = client_as("secretary").get(reverse("home")).content.decode()
    expected, _of = chart_for(user=org.secretary, query={}, today=TODAY)
    assert f"一图 · {org.branch.name}" in html
    # The home draws the steps' figures only (the full page adds the systems'): the same.
    home_chart = branch_chart(branch=org.branch, today=TODAY, is_staff=False, with_systems=False)
    assert numbers(home_chart) == numbers(expected)
    assert chart_svg(home_chart) in html
    assert f'href="{URL}"' in html
    assert "style=" not in html
    staff = client_as("town_staff").get(reverse("home")).content.decode()
    assert f"一图 · {org.town.name}" in staff
    assert "home-chart" not in client_as("district_organiser").get(reverse("home")).text


def test_dashboard_links_to_the_chart_of_its_scope(org, client_as):
    build(org)
    client = client_as("district_staff")
    assert f'href="{URL}"' in client.get(reverse("dashboard")).content.decode()
    narrowed = client.get(reverse("dashboard"), {"c": org.town.pk}).content.decode()
    assert f'href="{URL}?c={org.town.pk}"' in narrowed


# ---------------------------------------------------------------------------
# Query count: the same at two sizes
# ---------------------------------------------------------------------------

# Session, and the user with their roles (and the id of their own branch: a secretary's
# branch is read once more); the scope (committees, or the branch or member); the steps (2:
# pledges by status, needs); the systems (4); a branch's members for the member picker.
CHART_QUERIES = {"staff": 9, "committee": 10, "branch": 10, "member": 10, "secretary": 10}


def _request(org, kind):
    member = Member.objects.filter(branch=org.branch).order_by("pk").first()
    return {
        "staff": ("district_staff", {}),
        "committee": ("district_staff", {"c": org.town.pk}),
        "branch": ("town_staff", {"b": org.branch.pk}),
        "member": ("town_staff", {"m": member.pk}),
        "secretary": ("secretary", {}),
    }[kind]


@pytest.mark.parametrize("extra", [0, 6])
@pytest.mark.parametrize("kind", sorted(CHART_QUERIES))
def test_chart_queries_do_not_grow(org, client_as, kind, extra):
    build(org, extra_branches=extra)
    for _ in range(extra * 3):
        factories.make_member(org.branch)
        factories.make_need(org.branch)
    who, query = _request(org, kind)
    client = client_as(who)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, query).status_code == 200
    assert len(queries) == CHART_QUERIES[kind], [q["sql"][:90] for q in queries]


# ---------------------------------------------------------------------------
# The demo district (seeded in bulk once for the module, emptied at its end)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker):
    hashers = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), hashers:
        call_command("seed_demo", "--bulk", stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def test_demo_district_and_fanzhai_charts_equal_the_dashboard(demo_district, db, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    district = users.get(username="district")
    chart, _of = chart_for(user=district, query={}, today=TODAY)
    steps, late, total = dashboard_numbers(dashboard.dashboard_scope(user=district))
    assert numbers(chart) == (steps, late)
    assert chart.overdue == total.overdue

    fanzhai = Branch.objects.get(name="范寨村党支部")
    mine, _of = chart_for(user=users.get(username="fanzhai"), query={}, today=TODAY)
    scope = dashboard.dashboard_scope(user=district)
    row = next(
        b
        for b in dashboard.branch_table(scope=scope, sort=dashboard.parse_sort(None), today=TODAY)
        if b.pk == fanzhai.pk
    )
    assert mine.title == fanzhai.name
    assert mine.overdue == row.pledges_overdue
    staff_view = branch_chart(branch=fanzhai, today=TODAY, is_staff=True)
    assert numbers(staff_view) == numbers(mine)

"""The district dashboard and its export: figures checked against counts made in plain
Python over the ORM objects, access, sorting, the .xlsx file, and the query count."""

import datetime
import io
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from branches.enums import ExemptionReason
from branches.models import Branch, Member
from branches.xlsx import build_workbook, display_width
from pledges.enums import NeedCategory, PledgeMove, PledgeStatus, Step
from pledges.models import Pledge, PledgeTransition
from pledges.selectors import OPEN_STATUSES
from pledges.workflow import DONE_STATUSES, PUBLIC_STATUSES, STATUS_STEP
from reviews import dashboard as figures
from tests import factories

S = PledgeStatus
URL = reverse("dashboard")
# What the staff figures count: every pledge but drafts and withdrawn ones (the LIVE set of
# pledges.figures, written out here independently).
COUNTED = frozenset(S) - {S.DRAFT, S.WITHDRAWN}
EXPORT_URL = reverse("dashboard_export")


def _pledge(
    org, branch, status, *, member=None, due=None, category=NeedCategory.ENVIRONMENT, staff=None
):
    secretary = branch.secretary or factories.make_user()
    if branch.secretary is None:
        branch.secretary = secretary
        branch.save(update_fields=["secretary"])
    pledge = factories.make_pledge(
        branch=None if member else branch,
        member=member,
        due_date=due or timezone.localdate() + datetime.timedelta(days=40),
        category=category,
    )
    return factories.walk_to(pledge, status, secretary=secretary, staff=staff or org.district_staff)


def build_data(org, *, extra_branches=0):
    """Every status, withdrawn, exempt and inactive members, two towns, overdue pledges,
    a branch attached to the district itself; `extra_branches` more under 姬石镇."""
    today = timezone.localdate()
    past = today - datetime.timedelta(days=10)
    active = [factories.make_member(org.branch) for _ in range(4)]
    factories.make_member(org.branch, is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE)
    exempt_pledging = factories.make_member(
        org.branch, is_exempt=True, exemption_reason=ExemptionReason.ILLNESS
    )
    inactive = factories.make_member(org.branch)
    only_withdrawn = factories.make_member(org.other_branch)
    factories.make_member(org.other_branch)
    far_member = factories.make_member(org.far_branch)

    for status in S:
        _pledge(org, org.branch, status, category=NeedCategory.INFRASTRUCTURE)
    for status in OPEN_STATUSES:
        _pledge(org, org.branch, status, due=past)
        _pledge(org, org.far_branch, status, due=past, category=NeedCategory.INDUSTRY)
    _pledge(org, org.branch, S.COMPLETED, member=active[0])
    _pledge(org, org.branch, S.IN_PROGRESS, member=active[0], due=past)
    _pledge(org, org.branch, S.PUBLISHED, member=active[1])
    _pledge(org, org.branch, S.DRAFT, member=exempt_pledging)
    _pledge(org, org.branch, S.EVALUATED, member=inactive)
    _pledge(org, org.other_branch, S.WITHDRAWN, member=only_withdrawn)
    _pledge(org, org.far_branch, S.VERIFIED, member=far_member, due=today.replace(month=1, day=1))
    # The pledge of a member who then left: it stays with the branch.
    inactive.is_active = False
    inactive.save()

    direct = factories.make_branch(org.district, factories.make_user(), name="区直机关党支部")
    factories.make_member(direct)
    _pledge(org, direct, S.COMPLETED, category=NeedCategory.BRANCH_BUILDING)
    # Out of everyone's reach but the district's: another root must not count.
    elsewhere = factories.make_committee("外区党工委")
    stranger = factories.make_branch(elsewhere, name="外区支部")
    factories.make_member(stranger)
    _pledge(org, stranger, S.COMPLETED, staff=factories.make_staff(elsewhere))

    for index in range(extra_branches):
        branch = factories.make_branch(org.town, factories.make_user(), name=f"加支部{index}")
        member = factories.make_member(branch)
        _pledge(org, branch, S.IN_PROGRESS, member=member, due=past)
        _pledge(org, branch, S.COMPLETED)
        _pledge(org, branch, S.WITHDRAWN)


# ---------------------------------------------------------------------------
# Independent counts: plain Python over the ORM objects
# ---------------------------------------------------------------------------


def expected_figures(branches, today):
    ids = {branch.pk for branch in branches}
    members = [m for m in Member.objects.all() if m.branch_id in ids and m.is_active]
    pledgers = {p.member_id for p in Pledge.objects.all() if p.member_id and p.status in COUNTED}
    pledges = [p for p in Pledge.objects.all() if p.owner_branch_id in ids]
    statuses = Counter(p.status for p in pledges)
    return {
        "branches": len(ids),
        "active_members": len(members),
        "pledged_members": sum(1 for m in members if m.pk in pledgers),
        "exempt_members": sum(1 for m in members if m.is_exempt),
        "uncovered_members": sum(1 for m in members if not m.is_exempt and m.pk not in pledgers),
        "pledges_total": sum(1 for p in pledges if p.status in COUNTED),
        "withdrawn": statuses[S.WITHDRAWN],
        "pledges_done": sum(1 for p in pledges if p.status in DONE_STATUSES),
        "overdue": sum(1 for p in pledges if p.status in OPEN_STATUSES and p.due_date < today),
        "by_status": {status.value: statuses[status] for status in S},
    }


def actual_figures(f: figures.Figures):
    return {
        "branches": f.branches,
        "active_members": f.active_members,
        "pledged_members": f.pledged_members,
        "exempt_members": f.exempt_members,
        "uncovered_members": f.uncovered_members,
        "pledges_total": f.pledges_total,
        "withdrawn": f.withdrawn,
        "pledges_done": f.pledges_done,
        "overdue": f.overdue,
        "by_status": {status.value: f.by_status.get(status, 0) for status in S},
    }


def branches_under(committee):
    return [b for b in Branch.objects.all() if b.committee.path.startswith(committee.path)]


def steps_of(by_status):
    steps = Counter()
    for status, count in by_status.items():
        if STATUS_STEP[S(status)] is not None:
            steps[STATUS_STEP[S(status)].value] += count
    return {step.value: steps[step.value] for step in Step}


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["district_staff", "town_staff"])
def test_dashboard_figures_match_database(org, who):
    build_data(org)
    today = timezone.localdate()
    user = getattr(org, who)
    scope = figures.dashboard_scope(user=user)
    data = figures.dashboard_figures(scope=scope, today=today)
    root = org.district if who == "district_staff" else org.town

    assert actual_figures(data.total) == expected_figures(branches_under(root), today)
    assert data.total.by_step() == steps_of(
        expected_figures(branches_under(root), today)["by_status"]
    )

    children = sorted(root.children.all(), key=lambda c: (c.name, c.pk))
    expected_rows = [(c.name, expected_figures(branches_under(c), today)) for c in children]
    direct = [b for b in Branch.objects.all() if b.committee_id == root.pk]
    if direct:
        expected_rows.append(("直属党支部", expected_figures(direct, today)))
    assert [(figures.committee_label(r), actual_figures(r.figures)) for r in data.rows] == (
        expected_rows
    )


def test_dashboard_figures_categories_and_quarters(org):
    build_data(org)
    today = timezone.localdate()
    data = figures.dashboard_figures(
        scope=figures.dashboard_scope(user=org.district_staff), today=today
    )
    ids = {b.pk for b in branches_under(org.district)}
    pledges = [p for p in Pledge.objects.all() if p.owner_branch_id in ids]
    expected = {}
    for choice in NeedCategory:
        mine = [p for p in pledges if p.category == choice]
        if mine:
            expected[choice.value] = (
                sum(1 for p in mine if p.status in COUNTED),
                sum(1 for p in mine if p.status in DONE_STATUSES),
                sum(1 for p in mine if p.status in OPEN_STATUSES and p.due_date < today),
                sum(1 for p in mine if p.status == S.WITHDRAWN),
            )
    assert {c.category: (c.total, c.done, c.overdue, c.withdrawn) for c in data.categories} == (
        expected
    )

    due = Counter(
        (p.due_date.month - 1) // 3 + 1
        for p in pledges
        if p.status in COUNTED and p.due_date.year == today.year
    )
    completed = Counter(
        (timezone.localtime(t.created_at).month - 1) // 3 + 1
        for t in PledgeTransition.objects.filter(move=PledgeMove.COMPLETE)
        if t.pledge.owner_branch_id in ids and timezone.localtime(t.created_at).year == today.year
    )
    assert [(q.quarter, q.due, q.completed) for q in data.quarters] == [
        (q, due[q], completed[q]) for q in range(1, 5)
    ]
    assert sum(completed.values()) > 0 and due[1] > 0


def test_dashboard_figures_of_several_committees(org):
    build_data(org)
    today = timezone.localdate()
    both = factories.make_staff(org.town)
    factories.make_staff(org.other_town, both)
    data = figures.dashboard_figures(scope=figures.dashboard_scope(user=both), today=today)
    assert [r.committee for r in data.rows] == [org.town, org.other_town]
    expected = expected_figures(branches_under(org.town) + branches_under(org.other_town), today)
    assert actual_figures(data.total) == expected


def test_dashboard_page_shows_figures_and_links(org, client_as):
    build_data(org)
    today = timezone.localdate()
    response = client_as("district_staff").get(URL)
    assert response.status_code == 200
    total = response.context["total"]
    assert actual_figures(total) == expected_figures(branches_under(org.district), today)
    html = response.content.decode()
    assert "<svg" in html and "<script" not in html
    assert reverse("pledges:branch_pledges", args=[org.branch.pk]) + "?overdue=1" in html
    assert reverse("pledges:branch_detail", args=[org.branch.pk]) in html
    assert f"?c={org.town.pk}" in html
    assert "sort=-overdue#branches" in html


def test_dashboard_branch_table_matches_database(org, client_as):
    build_data(org)
    today = timezone.localdate()
    response = client_as("district_staff").get(URL, {"sort": "-overdue"})
    rows = list(response.context["page_obj"])
    for branch in rows:
        expected = expected_figures([branch], today)
        assert (
            branch.active_members,
            branch.pledged_members,
            branch.exempt_members,
            branch.pledges_total,
            branch.pledges_done,
            branch.pledges_overdue,
        ) == (
            expected["active_members"],
            expected["pledged_members"],
            expected["exempt_members"],
            expected["pledges_total"],
            expected["pledges_done"],
            expected["overdue"],
        )
    overdue = [branch.pledges_overdue for branch in rows]
    assert overdue == sorted(overdue, reverse=True)
    assert {b.pk for b in rows} == {b.pk for b in branches_under(org.district)}


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("name", lambda b: b.name, False),
        ("-name", lambda b: b.name, True),
        ("members", lambda b: b.active_members, False),
        ("-pledges", lambda b: b.pledges_total, True),
        ("overdue", lambda b: b.pledges_overdue, False),
        ("done", lambda b: b.done_share if b.done_share is not None else 2.0, False),
        ("nonsense", lambda b: b.name, False),
    ],
)
def test_dashboard_branch_table_sorts(org, client_as, sort, key, reverse):
    build_data(org, extra_branches=2)
    rows = list(client_as("district_staff").get(URL, {"sort": sort}).context["page_obj"])
    values = [key(b) for b in rows]
    assert values == sorted(values, reverse=reverse)


# ---------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------

ACCESS = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 200,
    "other_town_staff": 200,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("url", [URL, EXPORT_URL])
@pytest.mark.parametrize(("who", "status"), ACCESS.items())
def test_dashboard_access(org, client_as, url, who, status):
    response = client_as(who).get(url)
    assert response.status_code == status
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))


# ?c= narrows to a committee within reach (attribute of org), else 404.
NARROW = {
    ("district_staff", "town"): 200,
    ("district_staff", "district"): 200,
    ("town_staff", "town"): 200,
    ("town_staff", "other_town"): 404,
    ("town_staff", "district"): 404,
    ("other_town_staff", "town"): 404,
}


@pytest.mark.parametrize("url", [URL, EXPORT_URL])
@pytest.mark.parametrize(("who", "committee", "status"), [(*k, v) for k, v in NARROW.items()])
def test_dashboard_narrowed_to_committee(org, client_as, url, who, committee, status):
    response = client_as(who).get(url, {"c": getattr(org, committee).pk})
    assert response.status_code == status


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_dashboard_bad_committee_is_not_found(org, client_as, value):
    assert client_as("district_staff").get(URL, {"c": value}).status_code == 404


def test_dashboard_narrowed_figures_and_crumbs(org, client_as):
    build_data(org)
    today = timezone.localdate()
    response = client_as("district_staff").get(URL, {"c": org.town.pk})
    assert actual_figures(response.context["total"]) == expected_figures(
        branches_under(org.town), today
    )
    assert response.context["scope"].ancestors == [org.district]
    assert [b.pk for b in response.context["page_obj"]] == sorted(
        [b.pk for b in branches_under(org.town)],
        key=lambda pk: Branch.objects.get(pk=pk).name,
    )


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def test_dashboard_export_opens_with_the_figures(org, client_as):
    build_data(org)
    today = timezone.localdate()
    response = client_as("district_staff").get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    # Streamed from a write-only workbook, not held whole in memory.
    assert response.streaming
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["总体", "各党委", "各支部", "各类别"]
    expected = expected_figures(branches_under(org.district), today)

    overall = {row[0]: row[1] for row in book["总体"].iter_rows(min_row=2, values_only=True)}
    assert book["总体"]["A1"].value == "项目" and book["总体"]["A1"].font.b
    assert overall["党支部"] == expected["branches"]
    assert overall["在册党员"] == expected["active_members"]
    assert overall["已承诺党员"] == expected["pledged_members"]
    assert overall["免于承诺党员"] == expected["exempt_members"]
    assert overall["未覆盖党员"] == expected["uncovered_members"]
    assert overall["承诺（不含草稿、已撤销）"] == expected["pledges_total"]
    assert overall["已撤销承诺"] == expected["withdrawn"]
    assert overall["已完成承诺"] == expected["pledges_done"]
    assert overall["逾期承诺"] == expected["overdue"]
    for status in S:
        assert overall[str(status.label)] == expected["by_status"][status.value]

    committees = list(book["各党委"].iter_rows(values_only=True))
    assert committees[0][:3] == ("党委", "党支部", "在册党员")
    by_name = {row[0]: row for row in committees[1:]}
    town = expected_figures(branches_under(org.town), today)
    assert by_name["姬石镇党委"][1:4] == (
        town["branches"],
        town["active_members"],
        town["pledged_members"],
    )
    assert by_name["姬石镇党委"][9] == town["overdue"]
    assert "直属党支部" in by_name

    branches = list(book["各支部"].iter_rows(values_only=True))
    assert branches[0][:2] == ("所属党委", "党支部")
    fanzhai = next(row for row in branches if row[1] == "范寨村党支部")
    mine = expected_figures([org.branch], today)
    assert fanzhai[0] == "姬石镇党委"
    assert fanzhai[2:7] == (
        mine["active_members"],
        mine["pledged_members"],
        mine["exempt_members"],
        mine["pledges_total"],
        mine["pledges_done"],
    )
    assert fanzhai[8] == mine["overdue"]
    assert len(branches) - 1 == expected["branches"]

    categories = {row[0]: row for row in book["各类别"].iter_rows(min_row=2, values_only=True)}
    assert book["各类别"]["A1"].value == "类别"
    assert categories["产业发展"][1] == len(OPEN_STATUSES)


def test_dashboard_export_narrowed_to_committee(org, client_as):
    build_data(org)
    response = client_as("district_staff").get(EXPORT_URL, {"c": org.other_town.pk})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    names = [row[1] for row in book["各支部"].iter_rows(min_row=2, values_only=True)]
    assert names == ["远村党支部"]


def test_xlsx_workbook_widths_and_headers():
    book = build_workbook([("表/一", ["姓名", "n"], [["李荣花", 1], ["a" * 100, 2.5]])])
    sheet = book["表_一"]
    assert [c.value for c in sheet[1]] == ["姓名", "n"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 60
    assert sheet.column_dimensions["B"].width == 6
    assert display_width("李荣花") == 6


# ---------------------------------------------------------------------------
# Query count: the same at two sizes
# ---------------------------------------------------------------------------

MAX_QUERIES = 16


@pytest.mark.parametrize("extra_branches", [0, 6])
@pytest.mark.parametrize("params", [{}, {"sort": "-overdue"}, {"c": "town"}])
def test_dashboard_query_count(
    org, client_as, django_assert_max_num_queries, extra_branches, params
):
    build_data(org, extra_branches=extra_branches)
    client = client_as("district_staff")
    if "c" in params:
        params = {"c": org.town.pk}
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(URL, params).status_code == 200


@pytest.mark.parametrize("extra_branches", [0, 6])
def test_dashboard_export_query_count(
    org, client_as, django_assert_max_num_queries, extra_branches
):
    build_data(org, extra_branches=extra_branches)
    client = client_as("district_staff")
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(EXPORT_URL).status_code == 200


# ---------------------------------------------------------------------------
# The pledges behind a figure
# ---------------------------------------------------------------------------
def _listed(client, **query):
    response = client.get(reverse("dashboard_pledges"), query)
    assert response.status_code == 200
    return response.context["page_obj"].paginator.count


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, lambda qs, today: qs.filter(status__in=COUNTED).count()),
        ({"published": "1"}, lambda qs, today: qs.filter(status__in=PUBLIC_STATUSES).count()),
        ({"status": "withdrawn"}, lambda qs, today: qs.filter(status=S.WITHDRAWN).count()),
        ({"status": "submitted"}, lambda qs, today: qs.filter(status=S.SUBMITTED).count()),
        (
            {"done": "1"},
            lambda qs, today: qs.filter(status__in=DONE_STATUSES).count(),
        ),
        (
            {"overdue": "1"},
            lambda qs, today: qs.filter(status__in=OPEN_STATUSES, due_date__lt=today).count(),
        ),
        (
            {"step": "define"},
            lambda qs, today: qs.filter(
                status__in=[S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED]
            ).count(),
        ),
    ],
)
def test_pledge_list_behind_a_figure_counts_what_the_figure_counts(client, org, query, expected):
    for status in S:
        _pledge(org, org.branch, status)
    _pledge(org, org.branch, S.PUBLISHED, due=datetime.date(2020, 1, 1))
    client.force_login(org.district_staff)
    today = timezone.localdate()
    assert _listed(client, **query) == expected(Pledge.objects.all(), today) > 0


def test_pledge_list_keeps_to_the_persons_subtree(client, org):
    _pledge(org, org.branch, S.PUBLISHED).__class__.objects.filter(owner_branch=org.branch).update(
        title="本镇的承诺"
    )
    _pledge(org, org.far_branch, S.PUBLISHED).__class__.objects.filter(
        owner_branch=org.far_branch
    ).update(title="别镇的承诺")
    client.force_login(org.town_staff)
    response = client.get(reverse("dashboard_pledges"))
    assert "本镇的承诺" in response.text
    assert "别镇的承诺" not in response.text


@pytest.mark.parametrize(("who", "status"), [("secretary", 403), ("anonymous", 302)])
def test_pledge_list_is_for_committee_staff(client_as, who, status):
    assert client_as(who).get(reverse("dashboard_pledges")).status_code == status


def test_pledge_list_refuses_a_committee_out_of_reach(client, org):
    client.force_login(org.town_staff)
    response = client.get(reverse("dashboard_pledges"), {"c": org.other_town.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("size", [2, 30])
def test_pledge_list_runs_a_fixed_number_of_queries(
    client, org, size, django_assert_max_num_queries
):
    for _ in range(size):
        _pledge(org, org.branch, S.IN_PROGRESS, member=factories.make_member(org.branch))
    client.force_login(org.district_staff)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("dashboard_pledges")).status_code == 200

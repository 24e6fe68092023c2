"""Every figure two pages show is the same number (issue 9): the public district site, a
committee's public page, a branch's board, the workspace branch page, the dashboard and
its export, rendered for the same district, committee and branch and read from each
response, against each other and against the one definition (pledges.figures), which is
itself checked against plain Python counts.

The public side counts published pledges (PUBLIC), the staff pages every pledge but
drafts and withdrawn ones (LIVE): a figure of the same set must be equal everywhere, and
the staff pages also show the public set's pledges and share done, which must equal the
public site's.

The last tests run on the demo district (`seed_demo`, once for the module, emptied at
its end); they come last in the file, after the tests that build their own data.
"""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Q
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from branches.enums import ExemptionReason
from branches.models import Branch, Committee, Member
from pledges.enums import NeedStatus, PledgeMove, PledgeStatus, Step
from pledges.figures import LIVE, PUBLIC, Figures, branches_with_figures, figures_of
from pledges.models import Pledge, PledgeTransition, TimeNode, TimeNodeClosing
from reviews.models import (
    BranchGrade,
    PointsEntry,
    QuarterSignOff,
    YearEndEvaluation,
)
from reviews.selectors.calendar import branch_calendars
from tests import factories

S = PledgeStatus
TODAY = timezone.localdate()
PAST = TODAY - datetime.timedelta(days=10)

# Written out here, apart from pledges.figures, so a change there is a visible decision.
STATUSES = {
    LIVE: frozenset(S) - {S.DRAFT, S.WITHDRAWN},
    PUBLIC: frozenset({S.PUBLISHED, S.IN_PROGRESS, S.COMPLETED, S.VERIFIED, S.EVALUATED}),
}
DONE = {S.COMPLETED, S.VERIFIED, S.EVALUATED}
OPEN = {S.APPROVED, S.PUBLISHED, S.IN_PROGRESS}

# The same number whichever set is counted (done pledges are all published).
SET_FREE = ("branches", "active_members", "exempt_members", "pledges_done")


def numbers(figures: Figures) -> dict[str, int]:
    """Every figure of a Figures, derived ones included."""
    return {
        "branches": figures.branches,
        "active_members": figures.active_members,
        "exempt_members": figures.exempt_members,
        "pledged_members": figures.pledged_members,
        "covered_members": figures.covered_members,
        "uncovered_members": figures.uncovered_members,
        "pledges_total": figures.pledges_total,
        "pledges_done": figures.pledges_done,
        "pledges_overdue": figures.pledges_overdue,
        "done_percent": figures.done_percent,
        "covered_percent": figures.covered_percent,
    }


def subtree(committee: Committee):
    return Branch.objects.filter(committee__path__startswith=committee.path)


def defined(branches, pledge_set) -> dict[str, int]:
    """The one definition, for a set of branches."""
    return numbers(figures_of(branches=branches, pledge_set=pledge_set, today=TODAY))


def counted_by_hand(branches, pledge_set) -> dict[str, int]:
    """The definitions in plain Python over the ORM objects: the year under way's pledges."""
    ids = {branch.pk for branch in branches}
    statuses = STATUSES[pledge_set]
    members = [m for m in Member.objects.all() if m.branch_id in ids and m.is_active]
    counted = [p for p in Pledge.objects.all() if p.status in statuses and p.year == TODAY.year]
    pledgers = {p.member_id for p in counted}
    pledges = [p for p in counted if p.owner_branch_id in ids]
    exempt = sum(1 for m in members if m.is_exempt)
    covered = sum(1 for m in members if m.pk in pledgers and not m.is_exempt)
    done = sum(1 for p in pledges if p.status in DONE)
    expected = len(members) - exempt
    return {
        "branches": len(ids),
        "active_members": len(members),
        "exempt_members": exempt,
        "pledged_members": sum(1 for m in members if m.pk in pledgers),
        "covered_members": covered,
        "uncovered_members": expected - covered,
        "pledges_total": len(pledges),
        "pledges_done": done,
        "pledges_overdue": sum(1 for p in pledges if p.status in OPEN and p.due_date < TODAY),
        "done_percent": 100 * done // len(pledges) if pledges else 0,
        "covered_percent": 100 * covered // expected if expected else 0,
    }


# ---------------------------------------------------------------------------
# Reading each page
# ---------------------------------------------------------------------------


def public_context(client, url, name, **query):
    """A public page's context, rendered now (not from the page cache)."""
    cache.clear()
    response = client.get(url, query)
    assert response.status_code == 200
    return response.context[name]


def district_site(client, committee=None):
    query = {"c": committee.pk} if committee else {}
    return public_context(client, reverse("public:district_site"), "site", **query).figures


def board(client, branch):
    url = reverse("public:by_token", args=[branch.public_token])
    return public_context(client, url, "board").figures


def branch_page(client, branch):
    response = client.get(reverse("pledges:branch_detail", args=[branch.pk]))
    assert response.status_code == 200
    return response.context["figures"], response.context["public_figures"]


def dashboard(client, committee=None):
    """The dashboard's totals and its branch table rows by name (all pages)."""
    query = {"c": committee.pk} if committee else {}
    response = client.get(reverse("dashboard"), query)
    assert response.status_code == 200
    rows = {}
    page = response.context["page_obj"]
    rows.update({branch.name: branch.figures for branch in page})
    for number in range(2, page.paginator.num_pages + 1):
        more = client.get(reverse("dashboard"), {**query, "page": number})
        rows.update({branch.name: branch.figures for branch in more.context["page_obj"]})
    return (
        response.context["total"],
        {row.committee.name: row.figures for row in response.context["rows"] if row.committee},
        rows,
    )


def export(client, committee=None):
    query = {"c": committee.pk} if committee else {}
    response = client.get(reverse("dashboard_export"), query)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    overall = {row[0]: row[1] for row in book["总体"].iter_rows(min_row=2, values_only=True)}
    committees = {row[0]: row for row in book["各党委"].iter_rows(min_row=2, values_only=True)}
    branches = {row[1]: row for row in book["各支部"].iter_rows(min_row=2, values_only=True)}
    return overall, committees, branches


# ---------------------------------------------------------------------------
# A small district with every case
# ---------------------------------------------------------------------------


def _pledge(org, branch, status, *, member=None, due=None):
    pledge = factories.make_pledge(
        branch=None if member else branch,
        member=member,
        due_date=due or TODAY + datetime.timedelta(days=40),
    )
    if member is not None and member.branch_id != branch.pk:
        pledge.owner_branch = branch
        pledge.save(update_fields=["owner_branch"])
    return factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)


@pytest.fixture
def district(org):
    """Pledges in every status, overdue ones (public and not), exempt members with and
    without a pledge, a member with a submitted pledge only (pledged for the staff, not
    for the public), one with a draft only (pledged for neither), an inactive member, a
    member who moved with a pledge of the old branch, and a second town."""
    branch = org.branch
    for status in S:
        _pledge(org, branch, status)
    for status in OPEN:
        _pledge(org, branch, status, due=PAST)
    done = factories.make_member(branch, name="甲完成")
    _pledge(org, branch, S.COMPLETED, member=done)
    _pledge(org, branch, S.IN_PROGRESS, member=done, due=PAST)
    submitted = factories.make_member(branch, name="乙待审")
    _pledge(org, branch, S.SUBMITTED, member=submitted)
    drafting = factories.make_member(branch, name="丙草稿")
    _pledge(org, branch, S.DRAFT, member=drafting)
    factories.make_member(branch, name="丁未承诺")
    factories.make_member(
        branch, name="戊免于", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE
    )
    exempt_pledging = factories.make_member(
        branch, name="己免于也承诺", is_exempt=True, exemption_reason=ExemptionReason.ILLNESS
    )
    _pledge(org, branch, S.PUBLISHED, member=exempt_pledging)
    gone = factories.make_member(branch, name="庚离开")
    _pledge(org, branch, S.EVALUATED, member=gone)
    gone.is_active = False
    gone.save()
    moved = factories.make_member(org.other_branch, name="辛转入")
    _pledge(org, branch, S.VERIFIED, member=moved)
    withdrawn_only = factories.make_member(org.other_branch, name="壬已撤销")
    _pledge(org, org.other_branch, S.WITHDRAWN, member=withdrawn_only)
    _pledge(org, org.other_branch, S.APPROVED, due=PAST)
    far = factories.make_member(org.far_branch, name="癸远村")
    _pledge(org, org.far_branch, S.COMPLETED, member=far)
    _pledge(org, org.far_branch, S.PUBLISHED)
    factories.make_need(branch)
    return org


@pytest.mark.parametrize("pledge_set", [LIVE, PUBLIC])
def test_definition_matches_counts_by_hand(district, pledge_set):
    for branches in (
        Branch.objects.filter(pk=district.branch.pk),
        subtree(district.town),
        subtree(district.district),
    ):
        assert defined(branches, pledge_set) == counted_by_hand(branches, pledge_set)
    row = branches_with_figures(
        Branch.objects.filter(pk=district.branch.pk), pledge_set=pledge_set, today=TODAY
    ).get()
    assert numbers(Figures.of_branch(row, pledge_set)) == counted_by_hand(
        [district.branch], pledge_set
    )


def test_the_two_sets_differ_in_this_district(district):
    """Else the agreement tests below could not tell the sets apart."""
    branch = Branch.objects.filter(pk=district.branch.pk)
    live, public = defined(branch, LIVE), defined(branch, PUBLIC)
    for name in ("pledged_members", "pledges_total", "pledges_overdue", "done_percent"):
        assert live[name] != public[name], name
    for name in SET_FREE:
        assert live[name] == public[name], name


def test_every_page_shows_the_same_figures(district, client):
    org = district
    branch, town, root = org.branch, org.town, org.district
    client.force_login(org.district_staff)

    # The branch: board (public set), branch page (both), dashboard row and export row.
    on_board = numbers(board(client, branch))
    staff, public = branch_page(client, branch)
    only_branch = Branch.objects.filter(pk=branch.pk)
    assert on_board == numbers(public) == defined(only_branch, PUBLIC)
    assert numbers(staff) == defined(only_branch, LIVE)
    total, committee_rows, branch_rows = dashboard(client)
    assert numbers(branch_rows[branch.name]) == numbers(staff)
    overall, committee_sheet, branch_sheet = export(client)
    figures = numbers(staff)
    assert branch_sheet[branch.name][2:9] == (
        figures["active_members"],
        figures["pledged_members"],
        figures["exempt_members"],
        figures["pledges_total"],
        figures["pledges_done"],
        figures["done_percent"],
        figures["pledges_overdue"],
    )

    # The committee and the district: public pages against the dashboard.
    _town_total, _rows, _branches = dashboard(client, town)
    for committee, public_figures, staff_total in (
        (town, district_site(client, town), _town_total),
        (town, district_site(client, town), committee_rows[town.name]),
        (root, district_site(client), total),
        (root, district_site(client, root), total),
    ):
        public_numbers = numbers(public_figures)
        staff_numbers = numbers(staff_total)
        assert public_numbers == defined(subtree(committee), PUBLIC)
        assert staff_numbers == defined(subtree(committee), LIVE)
        for name in SET_FREE:
            assert public_numbers[name] == staff_numbers[name], (committee.name, name)
        # The dashboard shows the public site's count and share beside its own.
        assert staff_total.pledges_published == public_figures.pledges_total
        assert staff_total.published_done_percent == public_figures.done_percent

    assert overall["在册党员"] == total.active_members
    assert overall["已承诺党员"] == total.pledged_members
    assert overall["未覆盖党员"] == total.uncovered_members
    assert overall["承诺（不含草稿、已撤销）"] == total.pledges_total
    assert overall["完成率（%）"] == total.done_percent
    assert overall["党员承诺覆盖率（%）"] == total.covered_percent
    assert overall["已公示承诺"] == total.pledges_published
    assert overall["已公示承诺完成率（%）"] == total.published_done_percent
    assert committee_sheet[town.name][1:11] == (
        _town_total.branches,
        _town_total.active_members,
        _town_total.pledged_members,
        _town_total.exempt_members,
        _town_total.uncovered_members,
        _town_total.pledges_total,
        _town_total.pledges_done,
        _town_total.done_percent,
        _town_total.pledges_overdue,
        _town_total.withdrawn,
    )


def test_workspace_branch_list_shows_the_branch_page_figures(district, client):
    client.force_login(district.town_staff)
    response = client.get(reverse("pledges:branch_list"))
    listed = {branch.pk: branch.figures for branch in response.context["page_obj"]}
    staff, _public = branch_page(client, district.branch)
    assert numbers(listed[district.branch.pk]) == numbers(staff)


def test_figures_carry_their_labels_and_link_to_the_definitions(district, client):
    figures_url = reverse("public:figures")
    cache.clear()
    site = client.get(reverse("public:district_site")).content.decode()
    assert "已公示承诺" in site and figures_url in site
    board_page = client.get(
        reverse("public:by_token", args=[district.branch.public_token])
    ).content.decode()
    assert "已公示承诺" in board_page and figures_url in board_page
    client.force_login(district.district_staff)
    for url in (reverse("dashboard"), reverse("pledges:branch_detail", args=[district.branch.pk])):
        text = client.get(url).content.decode()
        assert "不含草稿" in text or "全部承诺（不含草稿、已撤销）" in text, url
        assert figures_url in text, url


def test_figures_page_explains_every_figure(client):
    response = client.get(reverse("public:figures"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    text = response.content.decode()
    for words in (
        "在册党员",
        "免于承诺",
        "已承诺党员",
        "未覆盖党员",
        "承诺覆盖率",
        "已公示承诺",
        "全部承诺（不含草稿、已撤销）",
        "已完成",
        "逾期",
        "完成率",
        "小数一律舍去",
        "最多显示 90%",
    ):
        assert words in text, words
    assert (
        client.get(reverse("public:figures"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        == 304
    )


def test_research_step_counts_the_needs(district, client):
    factories.make_need(district.branch, status=NeedStatus.CLAIMED)
    factories.make_need(district.branch, status=NeedStatus.RESOLVED)
    factories.make_need(district.branch, status=NeedStatus.DROPPED)
    factories.make_need(district.far_branch)
    client.force_login(district.district_staff)
    response = client.get(reverse("dashboard"))
    research = next(
        bar for bar in response.context["step_bars"] if bar.label == Step.RESEARCH.label
    )
    # Open (two), claimed and resolved; the dropped one is set aside.
    assert research.count == 4
    assert response.context["total"].by_step()[Step.RESEARCH.value] == 4
    client.force_login(district.town_staff)
    town = client.get(reverse("dashboard")).context["total"]
    assert town.by_step()[Step.RESEARCH.value] == 3


# ---------------------------------------------------------------------------
# The demo district (issue 9: 范寨村's board against its branch page and the dashboard)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["played", "bulk"])
def demo_district(request, django_db_setup, django_db_blocker):
    """The demo as `make run` builds it (the year under way played through the services),
    then as written in bulk (last year, and the replicas of --scale N): the same shape."""
    hashers = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    bulk = ["--bulk"] if request.param == "bulk" else []
    with django_db_blocker.unblock(), hashers:
        call_command("seed_demo", *bulk, stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo(demo_district, db):
    return Branch.objects.select_related("committee").get(name="范寨村党支部")


def test_demo_fanzhai_agrees_on_board_branch_page_and_dashboard(demo, client):
    client.force_login(get_user_model().objects.get(username="district"))
    only_branch = Branch.objects.filter(pk=demo.pk)

    on_board = numbers(board(client, demo))
    staff, public = branch_page(client, demo)
    _total, _rows, branch_rows = dashboard(client, demo.committee)
    assert on_board == numbers(public) == defined(only_branch, PUBLIC)
    assert numbers(staff) == numbers(branch_rows[demo.name]) == defined(only_branch, LIVE)
    assert on_board == counted_by_hand([demo], PUBLIC)
    assert numbers(staff) == counted_by_hand([demo], LIVE)
    for name in SET_FREE:
        assert on_board[name] == numbers(staff)[name], name


def test_demo_public_site_agrees_with_the_dashboard(demo, client):
    client.force_login(get_user_model().objects.get(username="district"))
    root = Committee.objects.get(parent=None)
    for committee, public_figures, (staff_total, _rows, _branches) in (
        (root, district_site(client), dashboard(client)),
        (demo.committee, district_site(client, demo.committee), dashboard(client, demo.committee)),
    ):
        public_numbers, staff_numbers = numbers(public_figures), numbers(staff_total)
        assert public_numbers == defined(subtree(committee), PUBLIC)
        assert staff_numbers == defined(subtree(committee), LIVE)
        for name in SET_FREE:
            assert public_numbers[name] == staff_numbers[name], (committee.name, name)
        assert staff_total.pledges_published == public_figures.pledges_total
        assert staff_total.published_done_percent == public_figures.done_percent


# ---------------------------------------------------------------------------
# The demo's two years: every badge with its records, and the calendar, the year-end
# page and the published results agreeing with the statuses
# ---------------------------------------------------------------------------

LAST_YEAR = TODAY.year - 1


def test_demo_every_badge_has_the_records_behind_it(demo):
    for year in (LAST_YEAR, TODAY.year):
        pledges = Pledge.objects.filter(year=year)
        crossed_off = pledges.filter(status__in=[S.VERIFIED, S.EVALUATED])
        assert not crossed_off.exclude(transitions__move=PledgeMove.VERIFY).exists()
        evaluated = pledges.filter(status=S.EVALUATED)
        published = YearEndEvaluation.objects.filter(year=year, is_published=True)
        assert not evaluated.exclude(pk__in=published.values("pledge")).exists()
        assert not published.exclude(pledge__status=S.EVALUATED).exists()
        done = pledges.filter(status__in=[S.COMPLETED, S.VERIFIED, S.EVALUATED])
        assert not TimeNode.objects.filter(pledge__in=done).open().exists()
        closed = TimeNode.objects.filter(pledge__year=year).exclude(closed_as="")
        assert closed.count() == TimeNodeClosing.objects.filter(node__pledge__year=year).count()
        started = pledges.filter(status__in=[S.IN_PROGRESS, *DONE])
        assert not started.filter(progress_records__isnull=True).exists()
        # Crossed off at the sessions (July, October, December), evaluated in December.
        moves = PledgeTransition.objects.filter(pledge__year=year)
        verified_in = {
            timezone.localtime(moment).month
            for moment in moves.filter(move=PledgeMove.VERIFY).values_list("created_at", flat=True)
        }
        assert verified_in <= {7, 10, 12}
        evaluated_on = {
            timezone.localdate(moment)
            for moment in moves.filter(move=PledgeMove.EVALUATE).values_list(
                "created_at", flat=True
            )
        }
        assert all(day.year == year and day.month == 12 for day in evaluated_on)
    last = Pledge.objects.filter(year=LAST_YEAR)
    assert last.filter(status=S.EVALUATED).count() >= 0.8 * last.count()
    assert not last.filter(status=S.VERIFIED).exists()  # every crossed-off pledge was rated
    if datetime.date(TODAY.year, 12, 28) > TODAY:  # the year end has not come
        assert not Pledge.objects.filter(year=TODAY.year, status=S.EVALUATED).exists()


def test_demo_last_year_is_published_with_points_and_grades(demo, client):
    evaluated = Pledge.objects.filter(year=LAST_YEAR, status=S.EVALUATED)
    assert not YearEndEvaluation.objects.filter(year=LAST_YEAR, is_published=False).exists()
    branches = Branch.objects.filter(pledges__year=LAST_YEAR).distinct()
    assert BranchGrade.objects.filter(year=LAST_YEAR).count() == branches.count() == 53
    rated_members = Member.objects.filter(pledges__in=evaluated.filter(member__isnull=False))
    earned = PointsEntry.objects.filter(year=LAST_YEAR, points__gt=0)
    assert not rated_members.exclude(pk__in=earned.values("member")).exists()

    response = client.get(reverse("reviews_public:results", args=[LAST_YEAR]))
    rows = response.context["branches"]
    assert len(rows) == 53 and all(row.grade for row in rows)
    shown = sum(len(row.pledges) for row in rows)
    public_evaluated = evaluated.filter(
        Q(member__isnull=True) | Q(member__public_page_enabled=True)
    )
    assert shown == public_evaluated.count() > 0
    index = client.get(reverse("reviews_public:results_index"))
    assert [(row.year, row.pledges, row.branches) for row in index.context["years"]][-1] == (
        LAST_YEAR,
        evaluated.count(),
        53,
    )
    assert reverse("reviews_public:results", args=[LAST_YEAR]) in index.content.decode()
    this_year = client.get(reverse("reviews_public:results", args=[TODAY.year]))
    assert this_year.context["branches"] == [] or datetime.date(TODAY.year, 12, 28) <= TODAY


def test_demo_year_end_page_agrees_with_the_statuses(demo, client):
    client.force_login(get_user_model().objects.get(username="district"))
    for year in (LAST_YEAR, TODAY.year):
        data = client.get(reverse("reviews:yearend", args=[year])).context["data"]
        pledges = Pledge.objects.filter(year=year)
        assert data.total == pledges.filter(status__in=[S.VERIFIED, S.EVALUATED]).count()
        assert data.rated == data.published == pledges.filter(status=S.EVALUATED).count()
        assert data.waiting == 0


def test_demo_calendar_agrees_with_the_records(demo):
    branches = list(Branch.objects.select_related("committee").order_by("pk"))
    last = branch_calendars(branches=branches, year=LAST_YEAR, today=TODAY)
    assert all(item.year_end.state == "done" for item in last)
    assert all(item.half_year.state == "done" for item in last)
    assert all(review.state == "done" for item in last for review in item.upper_reviews)

    this = branch_calendars(branches=branches, year=TODAY.year, today=TODAY)
    passed = [
        entry
        for item in this
        for entry in [*item.months, *item.briefings, *item.upper_reviews, item.half_year]
        if entry.due < TODAY
    ]
    states = [entry.state for entry in passed]
    assert set(states) <= {"done", "late"}
    if passed:
        # A believable year: most of it on time, some of it late.
        assert states.count("done") >= 0.85 * len(states)
    if len(passed) > 100:
        assert "late" in states
    assert all(item.year_end.state != "done" for item in this)
    # Every review the calendar shows done has its rows: each branch pledge public at the
    # time was reviewed, and the quarter was signed off.
    for item in this:
        for quarter, review in enumerate(item.upper_reviews, start=1):
            if review.state == "done":
                assert QuarterSignOff.objects.filter(
                    year=TODAY.year, quarter=quarter, committee=item.branch.committee
                ).exists()

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pledges.enums import FeedbackChannel, FeedbackRating, PledgeMove, PledgeStatus
from pledges.models import Feedback, PledgeTransition
from reviews.enums import ReviewRating
from reviews.models import BranchGrade, PointsEntry, YearEndEvaluation
from reviews.selectors.yearend import export_sheets, public_results, yearend_lists
from reviews.services.yearend import evaluation_record, evaluations_confirm, yearend_publish
from tests.conftest import ROLES
from tests.factories import make_member, make_pledge, make_user, walk_to

YEAR = 2026
R = ReviewRating
S = PledgeStatus
TODAY = datetime.date(2026, 11, 29)
AFTER_YEAR = datetime.date(2027, 1, 10)


def pledge_at(org, status=S.VERIFIED, *, member=None, branch=None, **extra):
    if member is None and branch is None:
        branch = org.branch
    pledge = make_pledge(branch=branch, member=member, **extra)
    owner = member.branch if member else branch
    secretary = owner.secretary
    staff = org.town_staff if owner.committee_id == org.town.pk else org.other_town_staff
    return walk_to(pledge, status, secretary=secretary, staff=staff)


def feedback(pledge, rating, channel=FeedbackChannel.ONLINE, *, n=1, recorder=None):
    for _ in range(n):
        Feedback.objects.create(
            pledge=pledge,
            rating=rating,
            channel=channel,
            recorded_by=recorder if channel == FeedbackChannel.RECORDED else None,
            address_hash=f"h{Feedback.objects.count()}",
        )


# ---- evaluation_record -------------------------------------------------------


def test_evaluation_record_branch_pledge_combines_and_moves_to_evaluated(org):
    pledge = pledge_at(org)
    feedback(pledge, FeedbackRating.SATISFIED, n=2)
    feedback(
        pledge, FeedbackRating.FAIRLY_SATISFIED, FeedbackChannel.RECORDED, recorder=org.secretary
    )

    evaluation = evaluation_record(
        pledge=pledge, actor=org.town_staff, organisation_rating=R.GOOD, comment=" 按期完成 "
    )

    # feedback (100+100+70)/3 = 90; 95·0.6 + 90·0.4 = 93
    assert (evaluation.feedback_score, evaluation.result_score) == (Decimal(90), Decimal(93))
    assert (evaluation.result, evaluation.comment, evaluation.year) == (R.GOOD, "按期完成", YEAR)
    pledge.refresh_from_db()
    assert pledge.status == S.EVALUATED
    audit = PledgeTransition.objects.filter(pledge=pledge).latest("created_at", "pk")
    assert (audit.move, audit.actor) == (PledgeMove.EVALUATE, org.town_staff)


def test_evaluation_record_member_pledge_waits_for_confirmation(org):
    pledge = pledge_at(org, member=make_member(org.branch))
    evaluation = evaluation_record(
        pledge=pledge, actor=org.secretary, organisation_rating=R.FAIR, comment=""
    )
    assert (evaluation.result_score, evaluation.result, evaluation.feedback_score) == (
        Decimal(70),
        R.FAIR,
        None,
    )
    pledge.refresh_from_db()
    assert pledge.status == S.VERIFIED


def test_evaluation_record_correction_chain_until_published(org):
    pledge = pledge_at(org, member=make_member(org.branch))
    first = evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.POOR)
    second = evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.GOOD)
    third = evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.FAIR)
    assert (second.corrects, third.corrects, first.corrects) == (first, second, None)
    assert YearEndEvaluation.objects.filter(pledge=pledge, corrected_by__isnull=True).get() == third

    evaluations_confirm(actor=org.town_staff, year=YEAR)
    yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    with pytest.raises(ValidationError) as error:
        evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.GOOD)
    assert error.value.messages == ["该承诺的评议结果已公示，不能再更正。"]
    assert YearEndEvaluation.objects.filter(pledge=pledge).count() == 3


@pytest.mark.parametrize(
    ("kind", "who"),
    [
        ("branch", "secretary"),
        ("branch", "other_town_staff"),
        ("member", "town_staff"),
        ("member", "district_staff"),
        ("member", "other_secretary"),
    ],
)
def test_evaluation_record_refuses_who_does_not_rate(org, kind, who):
    member = make_member(org.branch) if kind == "member" else None
    pledge = pledge_at(org, member=member)
    with pytest.raises(PermissionDenied):
        evaluation_record(pledge=pledge, actor=getattr(org, who), organisation_rating=R.GOOD)
    assert not YearEndEvaluation.objects.exists()


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.COMPLETED, S.WITHDRAWN])
def test_evaluation_record_refuses_pledge_not_verified(org, status):
    pledge = pledge_at(org, status)
    with pytest.raises(ValidationError):
        evaluation_record(pledge=pledge, actor=org.town_staff, organisation_rating=R.GOOD)
    assert not YearEndEvaluation.objects.exists()


# ---- confirm ---------------------------------------------------------------------


def test_confirm_moves_rated_verified_pledges_with_audit_rows(org, client_as):
    rated = [pledge_at(org, member=make_member(org.branch)) for _ in range(2)]
    unrated = pledge_at(org, member=make_member(org.branch))
    far = pledge_at(org, member=make_member(org.far_branch))
    for pledge in rated:
        evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.GOOD)
    evaluation_record(pledge=far, actor=org.far_branch.secretary, organisation_rating=R.GOOD)

    response = client_as("town_staff").post(reverse("reviews:yearend_confirm", args=[YEAR]))

    assert response.status_code == 302
    for pledge in rated:
        pledge.refresh_from_db()
        assert pledge.status == S.EVALUATED
        audit = PledgeTransition.objects.get(pledge=pledge, move=PledgeMove.EVALUATE)
        assert (audit.from_status, audit.to_status, audit.actor) == (
            S.VERIFIED,
            S.EVALUATED,
            org.town_staff,
        )
    unrated.refresh_from_db()
    far.refresh_from_db()
    assert (unrated.status, far.status) == (S.VERIFIED, S.VERIFIED)


def test_confirm_reports_nothing_to_confirm(org, client_as):
    response = client_as("town_staff").post(
        reverse("reviews:yearend_confirm", args=[YEAR]), follow=True
    )
    assert "没有待确认的评议结果。" in response.content.decode()


@pytest.mark.parametrize("name", ["reviews:yearend_confirm", "reviews:yearend_publish"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("secretary", 403),
        ("other_secretary", 403),
        ("town_staff", 302),
        ("other_town_staff", 302),
        ("district_staff", 302),
        ("anonymous", 302),
    ],
)
def test_staff_posts_refuse_others(org, client_as, name, who, status):
    assert set(ROLES) >= {who}
    response = client_as(who).post(reverse(name, args=[YEAR]))
    assert response.status_code == status
    if who == "anonymous":
        assert "/accounts/login/" in response["Location"]


def test_confirm_refuses_get(org, client_as):
    response = client_as("town_staff").get(reverse("reviews:yearend_confirm", args=[YEAR]))
    assert response.status_code == 405


# ---- publish ---------------------------------------------------------------------


@pytest.fixture
def year_of_town(org):
    """范寨村: two members; one with a pledge rated 好 and a withdrawn one, the other with
    one rated 较好 and one overdue. 姬石村: a branch pledge rated 差."""
    o = org
    o.li = make_member(org.branch, name="李荣花")
    o.ji = make_member(org.branch, name="姬国胜")
    o.good = pledge_at(org, member=o.li, title="浇水")
    o.withdrawn = pledge_at(org, S.WITHDRAWN, member=o.li, title="修路")
    o.fairly = pledge_at(org, member=o.ji, title="修剪")
    o.overdue = pledge_at(
        org, S.IN_PROGRESS, member=o.ji, title="清扫", due_date=datetime.date(2026, 10, 1)
    )
    o.poor = pledge_at(org, branch=org.other_branch, title="改厕")
    evaluation_record(pledge=o.good, actor=org.secretary, organisation_rating=R.GOOD)
    evaluation_record(pledge=o.fairly, actor=org.secretary, organisation_rating=R.FAIRLY_GOOD)
    evaluation_record(pledge=o.poor, actor=org.town_staff, organisation_rating=R.POOR)
    evaluations_confirm(actor=org.town_staff, year=YEAR)
    return o


def test_publish_refuses_while_ratings_wait_for_confirmation(org):
    pledge = pledge_at(org, member=make_member(org.branch))
    evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.GOOD)
    with pytest.raises(ValidationError) as error:
        yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    assert error.value.messages == ["还有 1 项已评议的承诺未确认，请先确认评议结果再公示。"]
    assert not YearEndEvaluation.objects.filter(is_published=True).exists()
    assert not PointsEntry.objects.exists()


def test_publish_writes_points_and_grades_exactly_once(year_of_town):
    o = year_of_town
    result = yearend_publish(actor=o.town_staff, year=YEAR, today=TODAY)

    assert (result.evaluations, result.points, result.grades) == (3, 4, 2)
    assert not YearEndEvaluation.objects.filter(is_published=False).exists()
    ledger = {
        (entry.member.name, entry.pledge.title, entry.points)
        for entry in PointsEntry.objects.select_related("member", "pledge")
    }
    assert ledger == {
        ("李荣花", "浇水", 10),
        ("李荣花", "修路", -3),
        ("姬国胜", "修剪", 8),
        ("姬国胜", "清扫", -5),
    }
    grades = {grade.branch: grade for grade in BranchGrade.objects.all()}
    # 范寨村: 3 pledges (withdrawn left out), 2 done = 66.7%, one overdue → 一般.
    assert grades[o.branch].grade == R.FAIR
    assert grades[o.branch].reasons.splitlines()[0] == "承诺 3 项，已完成 66.7%。"
    assert grades[o.branch].graded_by == o.town_staff
    # 姬石村: 1 pledge done, average 50 → 较好 needs 80: 一般.
    assert grades[o.other_branch].grade == R.FAIR
    assert set(grades) == {o.branch, o.other_branch}  # no pledges, no grade: 远村 is elsewhere

    again = yearend_publish(actor=o.district_staff, year=YEAR, today=TODAY)
    assert (again.evaluations, again.points, again.grades) == (0, 0, 0)
    assert (again.members_skipped, again.branches_skipped) == (2, 2)
    assert PointsEntry.objects.count() == 4
    assert BranchGrade.objects.count() == 2


def test_publish_counts_open_pledges_overdue_after_the_year(org):
    member = make_member(org.branch)
    pledge_at(org, S.IN_PROGRESS, member=member)  # due 2026-12-31
    rated = pledge_at(org, branch=org.other_branch)  # publishing needs an evaluation
    evaluation_record(pledge=rated, actor=org.town_staff, organisation_rating=R.GOOD)
    yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    assert not PointsEntry.objects.exists()
    PointsEntry.objects.all().delete()
    BranchGrade.objects.all().delete()
    yearend_publish(actor=org.town_staff, year=YEAR, today=AFTER_YEAR)
    assert list(PointsEntry.objects.values_list("points", flat=True)) == [-5]


def test_publish_view_reports_counts(year_of_town, client_as):
    response = client_as("town_staff").post(
        reverse("reviews:yearend_publish", args=[YEAR]), follow=True
    )
    assert "已公示 3 项评议结果，记入积分 4 条，为 2 个党支部定级。" in response.content.decode()


# ---- public results --------------------------------------------------------------


def test_public_results_show_only_published_results(year_of_town, client):
    o = year_of_town
    o.fairly.member.public_page_enabled = False
    o.fairly.member.save()
    YearEndEvaluation.objects.filter(pledge=o.poor).update(comment="内部意见：整改不力")
    url = reverse("reviews_public:results", args=[YEAR])

    before = client.get(url).content.decode()
    assert "浇水" not in before
    assert "本年度的年终评议结果尚未公示。" in before

    yearend_publish(actor=o.town_staff, year=YEAR, today=TODAY)
    page = client.get(url).content.decode()
    assert "浇水" in page and "李荣花" in page and "改厕" in page
    assert "支部分类定级：<strong>一般</strong>" in page
    assert "评议结果：<strong>差</strong>" in page
    # A member who withdrew consent, comments, scores and staff stay off the public page.
    for private in ("修剪", "姬国胜", "内部意见", o.town_staff.username, "93.00", "50.00"):
        assert private not in page


def test_public_results_unknown_year_is_not_found(client):
    assert client.get(reverse("reviews_public:results", args=[1990])).status_code == 404


# ---- pages and their permissions ---------------------------------------------------


MEMBER_PLEDGE_MATRIX = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 403,
    "other_town_staff": 404,
    "district_staff": 403,
    "anonymous": 302,
}
BRANCH_PLEDGE_MATRIX = {
    "secretary": 403,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("kind", ["member", "branch"])
def test_evaluate_page_permissions(org, client_as, who, kind):
    member = make_member(org.branch) if kind == "member" else None
    pledge = pledge_at(org, member=member)
    url = reverse("reviews:yearend_evaluate", args=[pledge.pk, YEAR])
    expected = (MEMBER_PLEDGE_MATRIX if kind == "member" else BRANCH_PLEDGE_MATRIX)[who]
    assert client_as(who).get(url).status_code == expected
    response = client_as(who).post(url, {"organisation_rating": R.GOOD})
    assert response.status_code == (302 if expected == 200 else expected)
    assert YearEndEvaluation.objects.exists() == (expected == 200)


def test_evaluate_page_other_year_is_not_found(org, client_as):
    pledge = pledge_at(org)
    url = reverse("reviews:yearend_evaluate", args=[pledge.pk, YEAR - 1])
    assert client_as("town_staff").get(url).status_code == 404


def test_evaluate_bad_input_keeps_what_was_typed(org, client_as):
    pledge = pledge_at(org)
    url = reverse("reviews:yearend_evaluate", args=[pledge.pk, YEAR])
    response = client_as("town_staff").post(url, {"organisation_rating": "best", "comment": "很好"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "请选择好、较好、一般或差。" in page
    assert "很好</textarea>" in page
    assert not YearEndEvaluation.objects.exists()


def test_evaluate_refusal_is_reported_not_raised(org, client_as):
    pledge = pledge_at(org, S.COMPLETED)
    url = reverse("reviews:yearend_evaluate", args=[pledge.pk, YEAR])
    response = client_as("town_staff").post(url, {"organisation_rating": R.GOOD})
    assert response.status_code == 200
    assert "只有已销号的承诺才能进行年终评议。" in response.content.decode()


def test_evaluate_post_redirects_to_year_with_result(org, client_as):
    pledge = pledge_at(org)
    url = reverse("reviews:yearend_evaluate", args=[pledge.pk, YEAR])
    response = client_as("town_staff").post(
        url, {"organisation_rating": R.FAIRLY_GOOD}, follow=True
    )
    assert "综合得分 85.00，结果“较好”" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("secretary", 200),
        ("other_secretary", 404),
        ("town_staff", 200),
        ("other_town_staff", 404),
        ("district_staff", 200),
        ("anonymous", 302),
    ],
)
def test_points_page_permissions(org, client_as, who, status):
    member = make_member(org.branch)
    assert client_as(who).get(reverse("reviews:points", args=[member.pk, YEAR])).status_code == (
        status
    )


def test_points_page_shows_reasons_and_total(year_of_town, client_as):
    o = year_of_town
    yearend_publish(actor=o.town_staff, year=YEAR, today=TODAY)
    page = client_as("secretary").get(reverse("reviews:points", args=[o.li.pk, YEAR]))
    text = page.content.decode()
    assert "承诺“浇水”年终评议结果为“好”，加 10 分" in text
    assert "承诺“修路”已撤销，减 3 分" in text
    assert page.context["ledger"].total == 7


@pytest.mark.parametrize("name", ["reviews:yearend_lists", "reviews:yearend_export"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("secretary", 403),
        ("other_secretary", 403),
        ("town_staff", 200),
        ("other_town_staff", 200),
        ("district_staff", 200),
        ("anonymous", 302),
    ],
)
def test_staff_pages_refuse_others(org, client_as, name, who, status):
    assert client_as(who).get(reverse(name, args=[YEAR])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [(who, 302 if who == "anonymous" else 200) for who in ROLES],
)
def test_yearend_page_permissions(org, client_as, who, status):
    assert client_as(who).get(reverse("reviews:yearend", args=[YEAR])).status_code == status


def test_yearend_page_refuses_someone_without_a_role(db, client):
    client.force_login(make_user())
    assert client.get(reverse("reviews:yearend", args=[YEAR])).status_code == 403


def test_yearend_page_shows_feedback_apart_and_who_may_rate(org, client_as):
    member_pledge = pledge_at(org, member=make_member(org.branch), title="党员承诺甲")
    branch_pledge = pledge_at(org, title="支部承诺乙")
    feedback(member_pledge, FeedbackRating.SATISFIED, n=2)
    feedback(
        member_pledge, FeedbackRating.DISSATISFIED, FeedbackChannel.RECORDED, recorder=org.secretary
    )
    as_secretary = client_as("secretary").get(reverse("reviews:yearend", args=[YEAR]))
    rows = {pledge.title: pledge for pledge in as_secretary.context["data"].page.object_list}
    assert set(rows) == {"党员承诺甲"}
    row = rows["党员承诺甲"]
    assert (row.online_satisfied, row.online_dissatisfied, row.recorded_dissatisfied) == (2, 0, 1)
    assert row.can_rate
    assert "扫码评议：满意 2，基本满意 0，不满意 0" in as_secretary.content.decode()

    as_staff = client_as("town_staff").get(reverse("reviews:yearend", args=[YEAR]))
    rows = {pledge.title: pledge for pledge in as_staff.context["data"].page.object_list}
    assert {title: row.can_rate for title, row in rows.items()} == {
        "党员承诺甲": False,
        "支部承诺乙": True,
    }
    assert branch_pledge.pk


def test_lists_name_award_candidates_and_accountability(org):
    member = make_member(org.branch, name="李荣花")
    pledges = [pledge_at(org, member=member, title=f"承诺{i}") for i in range(2)]
    overdue = pledge_at(org, S.IN_PROGRESS, title="逾期", due_date=datetime.date(2026, 3, 1))
    poor = pledge_at(org, branch=org.other_branch, title="差评")
    for pledge in pledges:
        evaluation_record(pledge=pledge, actor=org.secretary, organisation_rating=R.GOOD)
    evaluation_record(pledge=poor, actor=org.town_staff, organisation_rating=R.POOR)
    evaluations_confirm(actor=org.town_staff, year=YEAR)
    yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)

    lists = yearend_lists(user=org.town_staff, year=YEAR, today=TODAY)
    assert [(m.name, m.total_points) for m in lists.members] == [("李荣花", 20)]
    assert {p.title: p.is_overdue for p in lists.accountability} == {"逾期": True, "差评": False}
    assert overdue.pk
    # 姬石村: one pledge, done, average 50 → 一般, not an award candidate.
    assert lists.branches == []
    elsewhere = yearend_lists(user=org.other_town_staff, year=YEAR, today=TODAY)
    assert (elsewhere.members, elsewhere.accountability) == ([], [])


# ---- export ----------------------------------------------------------------------


def test_export_sheets_rows(year_of_town):
    o = year_of_town
    yearend_publish(actor=o.town_staff, year=YEAR, today=TODAY)
    sheets = {
        title: (headers, rows)
        for title, headers, rows in export_sheets(user=o.town_staff, year=YEAR)
    }
    assert list(sheets) == ["评议结果", "党员积分", "支部定级"]
    headers, rows = sheets["评议结果"]
    assert headers[:4] == ["党委", "党支部", "承诺事项", "承诺人"]
    assert [
        "姬石镇党委",
        "范寨村党支部",
        "浇水",
        "李荣花",
        "党员承诺",
        "好",
        None,
        95.0,
        "好",
        "是",
    ] in rows
    assert len(rows) == 3
    assert len(sheets["党员积分"][1]) == 4
    assert sorted(row[:3] for row in sheets["支部定级"][1]) == [
        ["姬石镇党委", "姬石村党支部", "一般"],
        ["姬石镇党委", "范寨村党支部", "一般"],
    ]


# ---- query counts ----------------------------------------------------------------


def _grow(org, n):
    """n more rated and confirmed pledges in each town branch, with feedback."""
    for branch in (org.branch, org.other_branch):
        for _ in range(n):
            member = make_member(branch)
            pledge = pledge_at(org, member=member)
            feedback(pledge, FeedbackRating.SATISFIED)
            evaluation_record(pledge=pledge, actor=branch.secretary, organisation_rating=R.GOOD)
            branch_pledge = pledge_at(org, branch=branch)
            evaluation_record(
                pledge=branch_pledge, actor=org.town_staff, organisation_rating=R.FAIR
            )
    evaluations_confirm(actor=org.town_staff, year=YEAR)


@pytest.mark.parametrize("size", [1, 6])
def test_reads_run_in_fixed_queries(org, client_as, django_assert_max_num_queries, size):
    _grow(org, size)
    # Two of them check that every crossed-off pledge was evaluated; 14 count the stored
    # figures of the subtree's branches again (the evaluations are marked in bulk).
    with django_assert_max_num_queries(26):
        yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    member = org.branch.members.first()
    client = client_as("town_staff")
    pages = [
        # The table: its filters' choices (2) and the quarterly ratings behind the suggestion.
        (reverse("reviews:yearend", args=[YEAR]), 11),
        (reverse("reviews:yearend_lists", args=[YEAR]), 7),
        (reverse("reviews:points", args=[member.pk, YEAR]), 6),
        (reverse("reviews:yearend_export", args=[YEAR]), 6),
    ]
    client.get(reverse("home"))  # the first request after signing in writes the session
    for url, limit in pages:
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200
    client.logout()
    with django_assert_max_num_queries(2):
        assert len(public_results(year=YEAR)) == 2
    with django_assert_max_num_queries(3):
        export_sheets(user=org.town_staff, year=YEAR)


def test_export_workbook_opens_with_chinese_sheets(year_of_town, client_as):
    from io import BytesIO

    from openpyxl import load_workbook

    yearend_publish(actor=year_of_town.town_staff, year=YEAR, today=TODAY)
    response = client_as("town_staff").get(reverse("reviews:yearend_export", args=[YEAR]))
    assert response.status_code == 200
    book = load_workbook(BytesIO(b"".join(response) if response.streaming else response.content))
    assert book.sheetnames == ["评议结果", "党员积分", "支部定级"]
    results = book["评议结果"]
    assert [cell.value for cell in results[1]] == [
        "党委",
        "党支部",
        "承诺事项",
        "承诺人",
        "类型",
        "组织评议",
        "群众评议得分",
        "综合得分",
        "评议结果",
        "已公示",
    ]
    rows = [[cell.value for cell in row] for row in results.iter_rows(min_row=2)]
    assert [
        "姬石镇党委",
        "姬石村党支部",
        "改厕",
        "姬石村党支部",
        "支部承诺",
        "差",
        None,
        50,
        "差",
        "是",
    ] in rows
    points = book["党员积分"]
    assert [cell.value for cell in points[1]] == ["党支部", "党员", "分值", "原因"]
    assert points.max_row == 5
    assert sorted(points.cell(row=r, column=3).value for r in range(2, 6)) == [-5, -3, 8, 10]
    assert book["支部定级"].max_row == 3


# ---- a year of the district --------------------------------------------------------


def test_a_year_of_the_district(org, client_as):
    """Pledges walked through the workflow in three branches, feedback from villagers,
    ratings by secretaries and committees through the pages, confirmation, publication,
    then grades and points checked against figures counted here."""
    town_members = {
        org.branch: [make_member(org.branch, name=f"范寨{i}") for i in range(3)],
        org.other_branch: [make_member(org.other_branch, name=f"姬石{i}") for i in range(2)],
        org.far_branch: [make_member(org.far_branch, name="远村0")],
    }
    expected_points: dict[str, int] = {}
    # (organisation rating, villagers' feedback, points of the result): 95·0.6 + 100·0.4
    # = 97 → 好; 85·0.6 + 70·0.4 = 79 → 一般.
    plans = [
        (R.GOOD, FeedbackRating.SATISFIED, 10),
        (R.FAIRLY_GOOD, FeedbackRating.FAIRLY_SATISFIED, 5),
        (R.GOOD, FeedbackRating.SATISFIED, 10),
    ]
    for branch, members in town_members.items():
        for i, member in enumerate(members):
            pledge = pledge_at(org, member=member, title=f"{member.name}的承诺")
            rating, villagers, points = plans[i % len(plans)]
            feedback(pledge, villagers, n=2)
            client = client_as("secretary") if branch == org.branch else None
            if client:
                url = reverse("reviews:yearend_evaluate", args=[pledge.pk, YEAR])
                assert client.post(url, {"organisation_rating": rating}).status_code == 302
            else:
                evaluation_record(pledge=pledge, actor=branch.secretary, organisation_rating=rating)
            expected_points[member.name] = points
        branch_pledge = pledge_at(org, branch=branch, title=f"{branch.name}的承诺")
        feedback(
            branch_pledge,
            FeedbackRating.SATISFIED,
            FeedbackChannel.RECORDED,
            recorder=branch.secretary,
        )
        staff = "town_staff" if branch.committee_id == org.town.pk else "other_town_staff"
        url = reverse("reviews:yearend_evaluate", args=[branch_pledge.pk, YEAR])
        assert client_as(staff).post(url, {"organisation_rating": R.GOOD}).status_code == 302
    # 范寨村 also has a pledge still open after the year: overdue, and −5 for its member.
    late = town_members[org.branch][0]
    pledge_at(
        org, S.IN_PROGRESS, member=late, title="迟迟未完成", due_date=datetime.date(2026, 6, 30)
    )
    expected_points[late.name] -= 5

    district = client_as("district_staff")
    district.post(reverse("reviews:yearend_confirm", args=[YEAR]))
    assert not YearEndEvaluation.objects.filter(pledge__status=S.VERIFIED).exists()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("reviews.services.yearend.timezone.localdate", lambda: AFTER_YEAR)
        assert district.post(reverse("reviews:yearend_publish", args=[YEAR])).status_code == 302

    totals: dict[str, int] = {}
    for name, points in PointsEntry.objects.values_list("member__name", "points"):
        totals[name] = totals.get(name, 0) + points
    assert totals == expected_points
    grades = dict(BranchGrade.objects.values_list("branch__name", "grade"))
    # 范寨村: 5 pledges, 4 done (80%), one overdue, average (97+79+97+97)/4 = 92.5 → 较好.
    # 姬石村 (97, 79, 97: 91) and 远村 (97, 97): all done, none overdue → 好.
    assert grades == {"范寨村党支部": R.FAIRLY_GOOD, "姬石村党支部": R.GOOD, "远村党支部": R.GOOD}
    assert set(BranchGrade.objects.values_list("graded_by", flat=True)) == {org.district_staff.pk}

    public = client_as("anonymous").get(reverse("reviews_public:results", args=[YEAR]))
    text = public.content.decode()
    assert text.count("评议结果：<strong>") == 9
    assert "迟迟未完成" not in text

    lists = yearend_lists(user=org.district_staff, year=YEAR, today=AFTER_YEAR)
    assert [p.title for p in lists.accountability] == ["迟迟未完成"]
    assert {grade.branch.name for grade in lists.branches} == {"姬石村党支部", "远村党支部"}

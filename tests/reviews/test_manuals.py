"""The printed manuals (三册) of the reviews: the member activity manual (one member, or a
whole roll), the branch work manual and the print office. Fixed queries at two sizes,
content in order, honest empty states, nothing private, the workspace's access rules and
the year parameter."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from branches.enums import ExemptionReason
from branches.models import MemberPairing, Pairing
from pledges.enums import PledgeStatus
from pledges.manuals import manual_year
from pledges.models import TimeNode
from reviews.enums import NoticeStatus, ReviewRating
from reviews.models import (
    BranchGrade,
    HalfYearNotice,
    MonthlyReport,
    PointsEntry,
    QuarterlyBriefing,
    QuarterlyReview,
    YearEndEvaluation,
)
from tests import factories
from tests.config.test_headers import inspected
from tests.conftest import ROLES

TODAY = timezone.localdate()
YEAR = TODAY.year
S = PledgeStatus
R = ReviewRating


def pledge_of(org, *, member=None, branch=None, status=S.PUBLISHED, **extra):
    pledge = factories.make_pledge(branch=branch, member=member, **extra)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)


def fill_branch(org, *, members: int, pledges: int, branch_records: bool = True, prefix="党员"):
    """A branch's year: members with pledges (time nodes, reports, reviews, evaluations and
    points), the branch's own pledge with its quarterly review, a need it answered, a
    briefing, a grade and a published half-year notice."""
    made = []
    for index in range(members):
        member = factories.make_member(org.branch, name=f"{prefix}{index:02d}")
        made.append(member)
        for number in range(pledges):
            pledge = pledge_of(org, member=member, title=f"{member.name}的承诺{number}")
            TimeNode.objects.create(
                pledge=pledge, due_on=datetime.date(YEAR, 3, 1), description="第一步"
            )
            QuarterlyReview.objects.create(
                pledge=pledge,
                year=YEAR,
                quarter=1,
                rating=R.GOOD,
                on_schedule=True,
                reviewer=org.town_staff,
            )
            YearEndEvaluation.objects.create(
                pledge=pledge,
                year=YEAR,
                organisation_rating=R.GOOD,
                result_score=Decimal(95),
                result=R.GOOD,
                evaluated_by=org.secretary,
                is_published=True,
            )
            PointsEntry.objects.create(
                member=member, year=YEAR, points=10, reason=f"{pledge.title}评议为好", pledge=pledge
            )
        for month in (1, 2):
            MonthlyReport.objects.create(
                member=member,
                month=datetime.date(YEAR, month, 1),
                service_done=f"{member.name}{month}月服务",
                recorded_by=org.secretary,
            )
        MemberPairing.objects.create(member=member, village_branch=org.other_branch, year=YEAR)
    if not branch_records:
        return made
    own = pledge_of(org, branch=org.branch, title="支部修村道", due_date=datetime.date(YEAR, 5, 1))
    TimeNode.objects.create(pledge=own, due_on=datetime.date(YEAR, 4, 1), description="备料")
    need = factories.make_need(org.branch, description="村道坑洼", raised_by="四组村民张喜民")
    own.needs.add(need)
    QuarterlyReview.objects.create(
        pledge=own, year=YEAR, quarter=1, rating=R.FAIR, on_schedule=False, reviewer=org.town_staff
    )
    QuarterlyBriefing.objects.create(
        branch=org.branch,
        year=YEAR,
        quarter=1,
        summary="一季度通报",
        member_comments="党员提议加快进度",
        held_on=datetime.date(YEAR, 3, 20),
        recorded_by=org.secretary,
    )
    BranchGrade.objects.create(
        branch=org.branch, year=YEAR, grade=R.GOOD, reasons="承诺全部完成", graded_by=org.town_staff
    )
    Pairing.objects.create(office_branch=org.far_branch, village_branch=org.branch, year=YEAR)
    HalfYearNotice.objects.create(
        committee=org.town,
        year=YEAR,
        title="半年通报",
        body="范寨村党支部推进缓慢。",
        generated_body="",
        status=NoticeStatus.PUBLISHED,
        author=org.town_staff,
    )
    return made


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# ---------------------------------------------------------------------------
# Fixed queries: the same at two sizes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["member_manual", "member_manuals", "branch_work_manual"])
def test_manual_queries_do_not_grow_with_members_and_records(client_as, org, page):
    client = client_as("secretary")

    def url(members):
        if page == "member_manual":
            return reverse("reviews:member_manual", args=[members[0].pk]) + f"?year={YEAR}"
        return reverse(f"reviews:{page}", args=[org.branch.pk]) + f"?year={YEAR}"

    small = fill_branch(org, members=2, pledges=1)
    client.get(url(small))  # warm the session and the caches of the first request
    first = queries_of(client, url(small))
    fill_branch(org, members=6, pledges=3, branch_records=False, prefix="另一党员")
    for quarter in (2, 3):
        QuarterlyBriefing.objects.create(
            branch=org.branch,
            year=YEAR,
            quarter=quarter,
            summary="通报",
            held_on=datetime.date(YEAR, quarter * 3, 20),
            recorded_by=org.secretary,
        )
    assert queries_of(client, url(small)) == first


def test_office_queries_do_not_grow_with_the_branches_picked(client_as, org):
    client = client_as("district_staff")
    few = f"{reverse('reviews:manual_office')}?year={YEAR}&branch={org.branch.pk}"
    client.get(few)
    first = queries_of(client, few)
    for _ in range(5):
        factories.make_branch(org.town)
    every = f"{reverse('reviews:manual_office')}?year={YEAR}" + "".join(
        f"&branch={pk}" for pk in (org.branch.pk, org.other_branch.pk, org.far_branch.pk)
    )
    assert queries_of(client, every) == first


# ---------------------------------------------------------------------------
# The member manual: content in order, empty states
# ---------------------------------------------------------------------------


def test_member_manual_shows_the_year_in_order(client_as, org):
    member = factories.make_member(org.branch, name="任长建")
    first = pledge_of(
        org, member=member, title="帮助3户村民改厕", due_date=datetime.date(YEAR, 5, 1)
    )
    second = pledge_of(
        org, member=member, title="流转闲置土地2亩", due_date=datetime.date(YEAR, 9, 1)
    )
    TimeNode.objects.create(
        pledge=first,
        due_on=datetime.date(YEAR, 3, 5),
        description="完成前期准备",
        closed_as="done",
        done_on=datetime.date(YEAR, 3, 4),
    )
    TimeNode.objects.create(
        pledge=first,
        due_on=datetime.date(YEAR, 4, 1),
        description="第二户",
        closed_as="not_needed",
        close_reason="村民已自行改造",
    )
    MonthlyReport.objects.create(
        member=member,
        month=datetime.date(YEAR, 1, 1),
        service_done="走访三户",
        problems="资金不足",
        next_steps="继续走访",
        recorded_by=org.secretary,
    )
    QuarterlyReview.objects.create(
        pledge=second,
        year=YEAR,
        quarter=2,
        rating=R.FAIRLY_GOOD,
        on_schedule=True,
        comment="进度较好",
        reviewer=org.town_staff,
    )
    YearEndEvaluation.objects.create(
        pledge=first,
        year=YEAR,
        organisation_rating=R.GOOD,
        result_score=Decimal("93.5"),
        result=R.GOOD,
        evaluated_by=org.secretary,
        is_published=True,
    )
    PointsEntry.objects.create(member=member, year=YEAR, points=10, reason="改厕评议为好")
    PointsEntry.objects.create(member=member, year=YEAR, points=-2, reason="一次未参加主题党日")

    response = client_as("secretary").get(
        reverse("reviews:member_manual", args=[member.pk]) + f"?year={YEAR}"
    )

    text = response.text
    order = [
        "任长建",
        "一、基本情况",
        "二、年度承诺",
        "帮助3户村民改厕",
        f"{YEAR}年3月4日完成",
        "不再需要：村民已自行改造",
        "流转闲置土地2亩",
        "三、主题党日汇报",
        "走访三户",
        "资金不足",
        "继续走访",
        "四、季度讲评",
        "进度较好",
        "五、年终评议与积分",
        "93.5",
        "改厕评议为好",
        "一次未参加主题党日",
    ]
    # Each after the previous one (the TOC names the parts first, so search on from there).
    position = text.index('class="manual-part"')
    for piece in order[1:]:
        found = text.index(piece, position)
        assert found > position, piece
        position = found
    assert "合计" in text and "<strong>8</strong>" in text
    assert response.context["running_header"] == f"范寨村党支部 · {YEAR}年度"


def test_member_manual_empty_parts_say_so(client_as, org):
    member = factories.make_member(org.branch, name="王五")

    text = (
        client_as("secretary")
        .get(reverse("reviews:member_manual", args=[member.pk]) + f"?year={YEAR}")
        .text
    )

    assert f"{YEAR}年度没有本人的承诺" in text
    assert f"{YEAR}年度没有本人的主题党日汇报记录。" in text
    assert f"{YEAR}年度还没有涉及本人的季度讲评记录。" in text
    assert f"{YEAR}年度的年终评议尚未进行" in text
    assert "<table" not in text.split("三、主题党日汇报")[-1].split("四、季度讲评")[0]


def test_member_manual_marks_the_exempt_member_with_the_reason(client_as, org):
    member = factories.make_member(
        org.branch,
        is_exempt=True,
        exemption_reason=ExemptionReason.OLD_AGE,
        exemption_note="患有严重心脏病",
    )

    text = client_as("secretary").get(reverse("reviews:member_manual", args=[member.pk])).text

    assert "免于承诺（年老体弱）" in text
    assert "本人免于承诺（年老体弱），本年度没有承诺。" in text
    assert "患有严重心脏病" not in text


def test_member_manual_prints_nothing_private(client_as, org):
    member = factories.make_member(org.branch, name="李四", phone="13912345678", birth_year=1957)
    factories.make_pledge(member=member, title="草稿里的承诺")
    need = factories.make_need(org.branch, raised_by="四组村民张喜民")
    pledge = pledge_of(org, member=member, title="修路")
    pledge.needs.add(need)

    for url in (
        reverse("reviews:member_manual", args=[member.pk]),
        reverse("reviews:member_manuals", args=[org.branch.pk]),
        reverse("reviews:branch_work_manual", args=[org.branch.pk]),
    ):
        text = client_as("secretary").get(url).text
        assert "修路" in text
        for private in ("13912345678", "1957", "草稿里的承诺", "张喜民"):
            assert private not in text, (url, private)


# ---------------------------------------------------------------------------
# The batch and the branch work manual
# ---------------------------------------------------------------------------


def test_member_manuals_print_every_member_on_the_roll_each_a_whole_manual(client_as, org):
    fill_branch(org, members=3, pledges=1)
    gone = factories.make_member(org.branch, name="已转出的党员", is_active=False)
    factories.make_member(org.other_branch, name="别村党员")

    response = client_as("secretary").get(
        reverse("reviews:member_manuals", args=[org.branch.pk]) + f"?year={YEAR}"
    )

    text = response.text
    assert [manual.member.name for manual in response.context["manuals"]] == [
        "党员00",
        "党员01",
        "党员02",
    ]
    assert text.count('<article class="manual member-manual"') == 3
    assert text.count('class="manual-cover"') == 3
    assert text.count('class="manual-toc"') == 3
    assert text.count("五、年终评议与积分</h2>") == 3
    assert gone.name not in text and "别村党员" not in text
    # Ids stay unique across the manuals of one print.
    assert 'id="m' in text and text.count('id="m') == len(set(_ids(text, 'id="m')))


def _ids(text, marker):
    return [chunk.split('"', 1)[0] for chunk in text.split(marker)[1:]]


def test_branch_work_manual_holds_the_eight_parts(client_as, org):
    fill_branch(org, members=2, pledges=1)
    exempt = factories.make_member(
        org.branch, name="老党员", is_exempt=True, exemption_reason=ExemptionReason.ILLNESS
    )

    response = client_as("town_staff").get(
        reverse("reviews:branch_work_manual", args=[org.branch.pk]) + f"?year={YEAR}"
    )

    text = response.text
    order = [
        "一、支部概况</h2>",
        "农村党支部",
        "远村党支部与本支部结对",
        "二、党员名册</h2>",
        "党员00",
        "老党员",
        "免于承诺（患病）",
        "三、支部承诺</h2>",
        "支部修村道",
        "党员00的承诺0",
        "四、群众需求清单</h2>",
        "村道坑洼",
        "支部修村道：范寨村党支部",
        "五、主题党日</h2>",
        "六、季度讲评</h2>",
        "一季度通报",
        "党员提议加快进度",
        "七、半年销号</h2>",
        "本支部在《半年通报》中被通报。",
        "八、年终定级</h2>",
        "承诺全部完成",
    ]
    position = text.index('class="manual-part"')
    for piece in order:
        found = text.index(piece, position)
        assert found >= position, piece
        position = found
    manual = response.context["manual"]
    assert [row.reported for row in manual.months[:3]] == [2, 2, 0]
    assert manual.months[0].on_roll == 3
    assert [len(row.reviews) for row in manual.quarters] == [1, 0, 0, 0]
    assert manual.exempt == 1 and exempt.name in text


def test_branch_work_manual_empty_year_says_so(client_as, org):
    text = (
        client_as("secretary")
        .get(reverse("reviews:branch_work_manual", args=[org.branch.pk]) + "?year=2020")
        .text
    )
    for sentence in (
        "本支部没有在册党员。",
        "2020年度没有以支部名义作出的承诺",
        "2020年度没有登记群众需求。",
        "2020年度没有主题党日汇报记录。",
        "2020年6月30日前没有到期的承诺。",
        "2020年度尚未进行支部分类定级。",
    ):
        assert sentence in text


# ---------------------------------------------------------------------------
# Access: the workspace's rules (out of reach → 404, anonymous → sign-in)
# ---------------------------------------------------------------------------

EXPECTED = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["member_manual", "member_manuals", "branch_work_manual"])
def test_manual_permission_matrix(client_as, org, who, page):
    member = factories.make_member(org.branch)
    args = [member.pk] if page == "member_manual" else [org.branch.pk]

    response = client_as(who).get(reverse(f"reviews:{page}", args=args))

    assert response.status_code == EXPECTED[who]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))


def test_office_lists_only_the_subtree_and_drops_picks_out_of_reach(client_as, org):
    url = reverse("reviews:manual_office")
    response = client_as("town_staff").get(
        f"{url}?year={YEAR}&branch={org.branch.pk}&branch={org.far_branch.pk}"
    )

    assert response.status_code == 200
    listed = [branch.name for group in response.context["groups"] for branch in group.branches]
    assert listed == ["姬石村党支部", "范寨村党支部"]
    assert response.context["picked"] == [org.branch]
    text = response.text
    for name, args in (
        ("reviews:member_manuals", [org.branch.pk]),
        ("reviews:branch_work_manual", [org.branch.pk]),
        ("pledges:record_manual", [org.branch.pk]),
    ):
        assert f"{reverse(name, args=args)}?year={YEAR}" in text
    assert reverse("pledges:members_letter", args=[org.branch.pk]) in text
    assert reverse("reviews:member_manuals", args=[org.far_branch.pk]) not in text


def test_office_gives_a_secretary_their_own_branch(client_as, org):
    response = client_as("secretary").get(reverse("reviews:manual_office"))

    assert response.status_code == 200
    assert response.context["picked"] == [org.branch]
    assert response.context["groups"] == []


def test_office_refuses_a_person_without_a_role(client, db):
    client.force_login(factories.make_user())
    assert client.get(reverse("reviews:manual_office")).status_code == 403


def test_office_sends_anonymous_to_sign_in(client, db):
    response = client.get(reverse("reviews:manual_office"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# ---------------------------------------------------------------------------
# The year parameter
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "refused"),
    [
        (None, YEAR, ""),
        ("", YEAR, ""),
        ("2025", 2025, ""),
        ("abc", YEAR, "abc"),
        ("²⁰²⁵", YEAR, "²⁰²⁵"),
        ("99999999999999999999", YEAR, "99999999999999999999"),
        ("1066", YEAR, "1066"),
        ("-1", YEAR, "-1"),
    ],
)
def test_manual_year_reads_digits_of_a_review_year_else_the_year_under_way(
    value, expected, refused
):
    chosen = manual_year(value, today=TODAY)
    assert (chosen.year, chosen.refused) == (expected, refused)


@pytest.mark.parametrize("junk", ["abc", "0", "99999999999999999999", "2025-01", "<b>"])
@pytest.mark.parametrize("page", ["member_manual", "member_manuals", "branch_work_manual"])
def test_manual_junk_year_shows_the_year_under_way_with_a_note(client_as, org, junk, page):
    member = factories.make_member(org.branch)
    args = [member.pk] if page == "member_manual" else [org.branch.pk]

    response = client_as("secretary").get(reverse(f"reviews:{page}", args=args), {"year": junk})

    assert response.status_code == 200
    assert response.context["year"] == YEAR
    assert "这个年度" in response.text


# ---------------------------------------------------------------------------
# The Content-Security-Policy: nothing inline but the base's nonce'd page style
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["member_manual", "member_manuals", "branch_work_manual", "manual_office"]
)
def test_manual_pages_carry_no_inline_code(client_as, org, page):
    member = fill_branch(org, members=1, pledges=1)[0]
    args = {"member_manual": [member.pk], "manual_office": []}.get(page, [org.branch.pk])

    response = client_as("town_staff").get(
        reverse(f"reviews:{page}", args=args), {"branch": org.branch.pk}
    )

    assert response.status_code == 200
    assert inspected(response.text).found == []

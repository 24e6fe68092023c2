import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pledges.enums import PledgeStatus
from reviews.enums import ReviewRating
from reviews.models import QuarterlyBriefing, QuarterlyReview, QuarterSignOff
from reviews.services.quarterly import (
    CORRECTED,
    CREATED,
    UNCHANGED,
    UPDATED,
    quarter_sign_off,
    quarterly_briefing_save,
    quarterly_review_save,
)
from tests import factories
from tests.conftest import ROLES

YEAR = 2026


def branch_pledge(org, status=PledgeStatus.IN_PROGRESS, branch=None, **extra):
    branch = branch or org.branch
    pledge = factories.make_pledge(branch=branch, year=YEAR, **extra)
    return factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)


def save(org, pledge, actor=None, quarter=1, **values):
    values = {"rating": ReviewRating.GOOD, "on_schedule": True, "comment": "按计划推进", **values}
    return quarterly_review_save(
        pledge=pledge,
        year=YEAR,
        quarter=quarter,
        actor=actor or org.town_staff,
        today=datetime.date(YEAR, 12, 31),
        **values,
    )


def sign(org, committee=None, quarter=1, actor=None):
    return quarter_sign_off(
        committee=committee or org.town, year=YEAR, quarter=quarter, actor=actor or org.town_staff
    )


# ---------------------------------------------------------------- the review service


def test_review_save_creates_one_original_per_quarter(org):
    pledge = branch_pledge(org)
    assert save(org, pledge).action == CREATED
    assert save(org, pledge, rating=ReviewRating.FAIR).action == UPDATED
    assert save(org, pledge, quarter=2).action == CREATED
    rows = QuarterlyReview.objects.filter(pledge=pledge, quarter=1)
    assert [(row.rating, row.corrects_id) for row in rows] == [(ReviewRating.FAIR, None)]


def test_review_save_same_values_changes_nothing(org):
    pledge = branch_pledge(org)
    save(org, pledge)
    assert save(org, pledge).action == UNCHANGED


def test_review_after_sign_off_is_a_correction_chain(org):
    pledge = branch_pledge(org)
    original = save(org, pledge).review
    sign(org)
    first = save(org, pledge, rating=ReviewRating.FAIR)
    second = save(org, pledge, actor=org.district_staff, on_schedule=False)
    assert (first.action, second.action) == (CORRECTED, CORRECTED)
    original.refresh_from_db()
    assert original.rating == ReviewRating.GOOD  # the signed row is never rewritten
    assert first.review.corrects_id == original.pk
    assert second.review.corrects_id == first.review.pk
    assert QuarterlyReview.objects.filter(pledge=pledge).count() == 3


def test_review_sign_off_by_a_committee_above_counts(org):
    pledge = branch_pledge(org)
    save(org, pledge)
    sign(org, committee=org.district, actor=org.district_staff)
    assert save(org, pledge, rating=ReviewRating.POOR).action == CORRECTED


def test_review_sign_off_of_another_town_does_not_count(org):
    pledge = branch_pledge(org)
    save(org, pledge)
    sign(org, committee=org.other_town, actor=org.other_town_staff)
    assert save(org, pledge, rating=ReviewRating.POOR).action == UPDATED


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("secretary", False),
        ("other_secretary", False),
        ("town_staff", True),
        ("other_town_staff", False),
        ("district_staff", True),
    ],
)
def test_review_only_staff_above_may_review_or_correct(org, who, allowed):
    pledge = branch_pledge(org)
    save(org, pledge)
    sign(org)
    if allowed:
        assert save(org, pledge, actor=getattr(org, who), rating=ReviewRating.FAIR).action == (
            CORRECTED
        )
    else:
        with pytest.raises(PermissionDenied):
            save(org, pledge, actor=getattr(org, who), rating=ReviewRating.FAIR)
        assert QuarterlyReview.objects.count() == 1


@pytest.mark.parametrize(
    "status", [PledgeStatus.DRAFT, PledgeStatus.APPROVED, PledgeStatus.WITHDRAWN]
)
def test_review_refuses_pledges_not_published(org, status):
    pledge = branch_pledge(org, status)
    with pytest.raises(ValidationError):
        save(org, pledge)


def test_review_refuses_member_pledges(org):
    member = factories.make_member(org.branch)
    pledge = factories.walk_to(
        factories.make_pledge(member=member, year=YEAR),
        PledgeStatus.PUBLISHED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    with pytest.raises(ValidationError):
        save(org, pledge)


def test_sign_off_twice_is_refused(org):
    sign(org)
    with pytest.raises(ValidationError):
        sign(org, actor=org.district_staff)
    assert QuarterSignOff.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("secretary", False),
        ("town_staff", True),
        ("other_town_staff", False),
        ("district_staff", True),
    ],
)
def test_sign_off_by_staff_of_the_committee_or_above(org, who, allowed):
    if allowed:
        sign(org, actor=getattr(org, who))
    else:
        with pytest.raises(PermissionDenied):
            sign(org, actor=getattr(org, who))


# ---------------------------------------------------------------- the briefing


def briefing_url(org, quarter=1):
    return reverse("reviews:briefing", args=[org.branch.pk, YEAR, quarter])


BRIEFING_DATA = {
    "summary": "两项承诺按计划推进",
    "member_comments": "加快进度",
    "held_on": "2026-03-28",
}
BRIEFING_READ = {
    "secretary": 200,
    "other_secretary": 404,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}
BRIEFING_WRITE = {**BRIEFING_READ, "secretary": 302, "town_staff": 403, "district_staff": 403}


@pytest.mark.parametrize("who", ROLES)
def test_briefing_read_permissions(client_as, org, who):
    branch_pledge(org, title="修缮村道")
    response = client_as(who).get(briefing_url(org))
    assert response.status_code == BRIEFING_READ[who]
    if response.status_code == 200:
        assert "修缮村道" in response.content.decode()


@pytest.mark.parametrize("who", ROLES)
def test_briefing_write_permissions(client_as, org, who):
    response = client_as(who).post(briefing_url(org), BRIEFING_DATA)
    assert response.status_code == BRIEFING_WRITE[who]
    assert QuarterlyBriefing.objects.count() == (1 if who == "secretary" else 0)


def test_briefing_saved_once_per_quarter_and_rewritten(client_as, org):
    client = client_as("secretary")
    client.post(briefing_url(org), BRIEFING_DATA)
    client.post(briefing_url(org), {**BRIEFING_DATA, "summary": "改过"})
    (briefing,) = QuarterlyBriefing.objects.all()
    assert (briefing.summary, briefing.held_on) == ("改过", datetime.date(2026, 3, 28))


def test_briefing_bad_input_keeps_what_was_typed(client_as, org):
    response = client_as("secretary").post(
        briefing_url(org), {**BRIEFING_DATA, "summary": "", "member_comments": "留着"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "请填写向党员通报的承诺完成情况。" in text
    assert "留着" in text
    assert QuarterlyBriefing.objects.count() == 0


def test_briefing_in_the_future_is_refused(org):
    with pytest.raises(ValidationError):
        quarterly_briefing_save(
            branch=org.branch,
            year=YEAR,
            quarter=4,
            actor=org.secretary,
            summary="x",
            member_comments="",
            held_on=datetime.date(2999, 1, 1),
        )


def test_briefing_read_only_after_sign_off(client_as, org):
    client = client_as("secretary")
    client.post(briefing_url(org), BRIEFING_DATA)
    sign(org)
    response = client.get(briefing_url(org))
    assert 'name="summary"' not in response.content.decode()
    client.post(briefing_url(org), {**BRIEFING_DATA, "summary": "改过"})
    assert QuarterlyBriefing.objects.get().summary == BRIEFING_DATA["summary"]
    with pytest.raises(ValidationError):
        quarterly_briefing_save(
            branch=org.branch,
            year=YEAR,
            quarter=1,
            actor=org.secretary,
            summary="改过",
            member_comments="",
            held_on=datetime.date(2026, 3, 1),
        )


def test_briefing_impossible_quarter_is_not_found(client_as, org):
    assert client_as("secretary").get(briefing_url(org, quarter=5)).status_code == 404


# ---------------------------------------------------------------- the upper pages

QUARTERLY_URL = reverse("reviews:quarterly", args=[YEAR, 1])
STAFF_PAGE = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 200,
    "other_town_staff": 200,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
def test_quarterly_page_is_for_staff(client_as, org, who):
    branch_pledge(org, title="修缮村道")
    response = client_as(who).get(QUARTERLY_URL)
    assert response.status_code == STAFF_PAGE[who]
    if response.status_code == 200:
        assert ("修缮村道" in response.content.decode()) == (who != "other_town_staff")


@pytest.mark.parametrize(
    ("who", "status"), [("town_staff", 200), ("other_town_staff", 404), ("district_staff", 200)]
)
def test_quarterly_page_for_one_branch_within_reach(client_as, org, who, status):
    response = client_as(who).get(QUARTERLY_URL, {"branch": org.branch.pk})
    assert response.status_code == status


def test_quarterly_page_lists_reviewable_branch_pledges_only(client_as, org):
    branch_pledge(org, title="已公示的")
    branch_pledge(org, PledgeStatus.APPROVED, title="未公示的")
    branch_pledge(org, PledgeStatus.WITHDRAWN, title="撤销的")
    text = client_as("town_staff").get(QUARTERLY_URL).content.decode()
    assert "已公示的" in text
    assert "未公示的" not in text
    assert "撤销的" not in text


def review_url(pledge, quarter=1):
    return reverse("reviews:quarterly_review", args=[pledge.pk, YEAR, quarter])


def review_data(pledge, **values):
    prefix = f"p{pledge.pk}"
    data = {"rating": ReviewRating.FAIRLY_GOOD, "on_schedule": "no", "comment": "进度偏慢"}
    data.update(values)
    return {f"{prefix}-{key}": value for key, value in data.items()}


REVIEW_POST = {
    "secretary": 403,
    "other_secretary": 404,
    "town_staff": 302,
    "other_town_staff": 404,
    "district_staff": 302,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
def test_review_post_permissions(client_as, org, who):
    pledge = branch_pledge(org)
    response = client_as(who).post(review_url(pledge), review_data(pledge))
    assert response.status_code == REVIEW_POST[who]
    expected = 1 if who in ("town_staff", "district_staff") else 0
    assert QuarterlyReview.objects.count() == expected


def test_review_post_saves_and_returns(client_as, org):
    pledge = branch_pledge(org)
    back = QUARTERLY_URL + f"?branch={org.branch.pk}"
    response = client_as("town_staff").post(
        review_url(pledge), {**review_data(pledge), "next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{back}#pledge-{pledge.pk}"
    review = QuarterlyReview.objects.get()
    assert (review.rating, review.on_schedule, review.comment, review.reviewer) == (
        ReviewRating.FAIRLY_GOOD,
        False,
        "进度偏慢",
        org.town_staff,
    )


def test_review_post_bad_input_keeps_what_was_typed(client_as, org):
    pledge = branch_pledge(org)
    response = client_as("town_staff").post(
        review_url(pledge), review_data(pledge, rating="", comment="写好的意见")
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "请选择讲评等次。" in text
    assert "写好的意见" in text
    assert QuarterlyReview.objects.count() == 0


def test_review_post_refusal_is_shown_not_raised(client_as, org):
    pledge = branch_pledge(org, PledgeStatus.APPROVED)
    response = client_as("town_staff").post(review_url(pledge), review_data(pledge))
    assert response.status_code == 400
    assert "只有已公示、未撤销的承诺才能讲评。" in response.content.decode()


def test_review_page_shows_the_chain(client_as, org):
    pledge = branch_pledge(org)
    save(org, pledge, comment="原始意见")
    sign(org)
    save(org, pledge, comment="更正意见")
    text = client_as("district_staff").get(review_url(pledge)).content.decode()
    assert "原始意见" in text
    assert "更正意见" in text
    assert "提交更正" in text


SIGN_OFF_URL = reverse("reviews:quarter_sign_off", args=[YEAR, 1])


@pytest.mark.parametrize(
    ("who", "status", "signed"),
    [
        ("secretary", 403, 0),
        ("town_staff", 302, 1),
        ("other_town_staff", 404, 0),
        ("district_staff", 302, 1),
        ("anonymous", 302, 0),
    ],
)
def test_sign_off_post_permissions(client_as, org, who, status, signed):
    response = client_as(who).post(SIGN_OFF_URL, {"committee": org.town.pk})
    assert response.status_code == status
    assert QuarterSignOff.objects.count() == signed


def test_sign_off_post_twice_reports_the_refusal(client_as, org):
    client = client_as("town_staff")
    client.post(SIGN_OFF_URL, {"committee": org.town.pk})
    response = client.post(SIGN_OFF_URL, {"committee": org.town.pk}, follow=True)
    assert "本季度讲评已经签署过了" in response.content.decode()
    assert QuarterSignOff.objects.count() == 1


def test_sign_off_get_not_allowed(client_as):
    assert client_as("town_staff").get(SIGN_OFF_URL).status_code == 405


def grow(org, size):
    for _ in range(size):
        branch = factories.make_branch(org.town, factories.make_user())
        pledge = branch_pledge(org, branch=branch)
        save(org, pledge)


@pytest.mark.parametrize("size", [2, 12])
def test_quarterly_page_queries_do_not_grow(client_as, org, django_assert_num_queries, size):
    grow(org, size)
    client = client_as("district_staff")
    with django_assert_num_queries(8):
        response = client.get(QUARTERLY_URL)
    assert response.status_code == 200
    assert response.content.decode().count('class="qrow"') == size


# ---------------------------------------------------------------- the export


def test_quarterly_export_cells(client_as, org):
    pledge = branch_pledge(org, title="修缮村道", due_date=datetime.date(2026, 9, 30))
    save(org, pledge, rating=ReviewRating.FAIR, on_schedule=False, comment="偏慢")
    branch_pledge(org, branch=org.far_branch, title="别的镇")
    response = client_as("town_staff").get(reverse("reviews:quarterly_export", args=[YEAR, 1]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:8] == [
        "党支部",
        "上级党委",
        "承诺事项",
        "完成时限",
        "状态",
        "讲评等次",
        "按时间节点推进",
        "讲评意见",
    ]
    assert len(rows) == 2
    assert rows[1][0:3] == ["范寨村党支部", "姬石镇党委", "修缮村道"]
    assert rows[1][3].date() == datetime.date(2026, 9, 30)
    assert rows[1][4:8] == ["践诺中", "一般", "否", "偏慢"]
    assert rows[1][-1] == "否"


def test_quarterly_export_is_for_staff(client_as, org):
    url = reverse("reviews:quarterly_export", args=[YEAR, 1])
    assert client_as("secretary").get(url).status_code == 403

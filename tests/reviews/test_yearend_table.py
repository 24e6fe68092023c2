"""The year-end table (a suggested rating to confirm per row, one save) and the
year-end gaps: publishing needs evaluations; a pledge crossed off after publishing
still earns its points, by a correction entry."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pledges.enums import FeedbackRating, PledgeStatus
from reviews.enums import ReviewRating
from reviews.models import PointsEntry, QuarterlyReview, YearEndEvaluation
from reviews.rules import suggested_rating
from reviews.selectors.yearend import yearend_page
from reviews.services.yearend import (
    EvaluationBatchRefused,
    EvaluationEntry,
    evaluation_record,
    evaluations_confirm,
    evaluations_record_many,
    yearend_publish,
)
from tests import factories
from tests.reviews.test_yearend import AFTER_YEAR, TODAY, YEAR, feedback, pledge_at

R = ReviewRating
S = PledgeStatus
URL = reverse("reviews:yearend", args=[YEAR])


@pytest.mark.parametrize(
    ("quarterly", "feedback_counts", "expected"),
    [
        ([], {}, R.FAIRLY_GOOD),  # nothing known: the default
        ([R.GOOD, R.GOOD], {}, R.GOOD),  # 95
        ([R.GOOD, R.FAIR], {}, R.FAIRLY_GOOD),  # 82.5
        ([], {FeedbackRating.DISSATISFIED: 2}, R.POOR),  # 30
        ([R.FAIRLY_GOOD], {FeedbackRating.SATISFIED: 1}, R.GOOD),  # 85·0.6 + 100·0.4 = 91
        ([R.POOR, R.POOR], {FeedbackRating.FAIRLY_SATISFIED: 3}, R.POOR),  # 50·0.6 + 70·0.4 = 58
        ([R.FAIR], {FeedbackRating.FAIRLY_SATISFIED: 1}, R.FAIR),  # 70
    ],
)
def test_suggested_rating_rule(quarterly, feedback_counts, expected):
    assert suggested_rating(quarterly_ratings=quarterly, feedback=feedback_counts) == expected


def review(org, pledge, quarter, rating):
    QuarterlyReview.objects.create(
        pledge=pledge,
        year=YEAR,
        quarter=quarter,
        rating=rating,
        on_schedule=True,
        reviewer=org.town_staff,
    )


def test_yearend_table_preselects_the_suggestion_with_a_marker(client_as, org):
    pledge = pledge_at(org, title="修村道")
    review(org, pledge, 1, R.GOOD)
    review(org, pledge, 2, R.GOOD)

    response = client_as("town_staff").get(URL)

    row = response.context["data"].page.object_list[0]
    assert row.suggestion == R.GOOD
    text = response.text
    assert '<option value="good" selected>好（建议）</option>' in text
    assert "建议 好" in text
    assert f'name="confirm" value="{pledge.pk}">' in text  # not ticked: a person confirms


def test_yearend_table_writes_only_confirmed_rows_in_one_save(client_as, org):
    confirmed = pledge_at(org, title="确认的")
    left = pledge_at(org, title="未确认的", branch=org.other_branch)
    data = {
        "confirm": [confirmed.pk],
        f"p{confirmed.pk}-organisation_rating": R.FAIRLY_GOOD,
        f"p{confirmed.pk}-comment": "完成较好",
        f"p{left.pk}-organisation_rating": R.GOOD,
    }

    response = client_as("town_staff").post(URL, data, follow=True)

    assert "已保存 1 项评议" in response.text
    evaluation = YearEndEvaluation.objects.get()
    assert (evaluation.pledge, evaluation.organisation_rating, evaluation.comment) == (
        confirmed,
        R.FAIRLY_GOOD,
        "完成较好",
    )
    confirmed.refresh_from_db()
    assert confirmed.status == S.EVALUATED


def test_yearend_table_refused_row_writes_nothing_and_keeps_choices(client_as, org):
    ok = pledge_at(org, title="可以评的")
    published = pledge_at(org, title="已公示的", branch=org.other_branch)
    evaluation_record(pledge=published, actor=org.town_staff, organisation_rating=R.GOOD)
    YearEndEvaluation.objects.update(is_published=True)
    data = {
        "confirm": [ok.pk, published.pk],
        f"p{ok.pk}-organisation_rating": R.FAIR,
        f"p{ok.pk}-comment": "打的意见",
        f"p{published.pk}-organisation_rating": R.POOR,
    }

    response = client_as("town_staff").post(URL, data)

    assert response.status_code == 400
    assert "“已公示的”未能评议" in response.text
    assert "本次评议均未保存" in response.text
    assert "打的意见" in response.text
    assert YearEndEvaluation.objects.count() == 1


def test_evaluations_record_many_skips_rows_that_say_the_same(org):
    pledge = pledge_at(org)
    evaluation_record(pledge=pledge, actor=org.town_staff, organisation_rating=R.GOOD)
    pledge.refresh_from_db()
    written = evaluations_record_many(
        entries=[EvaluationEntry(pledge=pledge, organisation_rating=R.GOOD)],
        actor=org.town_staff,
    )
    assert written == []
    assert YearEndEvaluation.objects.count() == 1


def test_evaluations_record_many_refuses_a_rater_of_the_wrong_kind(org):
    member_pledge = pledge_at(org, member=factories.make_member(org.branch))
    with pytest.raises(EvaluationBatchRefused):
        evaluations_record_many(
            entries=[EvaluationEntry(pledge=member_pledge, organisation_rating=R.GOOD)],
            actor=org.town_staff,
        )


def test_yearend_table_filters_by_committee_branch_and_status(client_as, org):
    pledge_at(org, title="范寨的")
    rated = pledge_at(org, title="姬石已评的", branch=org.other_branch)
    evaluation_record(pledge=rated, actor=org.town_staff, organisation_rating=R.GOOD)
    pledge_at(org, title="远村的", branch=org.far_branch)
    client = client_as("district_staff")

    def titles(**query):
        page = client.get(URL, query).context["data"].page
        return {pledge.title for pledge in page.object_list}

    assert titles(committee=org.other_town.pk) == {"远村的"}
    assert titles(branch=org.other_branch.pk) == {"姬石已评的"}
    assert titles(status="unrated") == {"范寨的", "远村的"}
    assert titles(status="evaluated") == {"姬石已评的"}


def test_yearend_table_paginates_fifty(client_as, org):
    for number in range(51):
        pledge_at(org, title=f"承诺{number:02d}")
    client = client_as("town_staff")
    assert client.get(URL).text.count('name="confirm"') == 50
    assert client.get(URL, {"page": 2}).text.count('name="confirm"') == 1


@pytest.mark.parametrize("size", [2, 20])
def test_yearend_table_queries_fixed(client_as, org, django_assert_num_queries, size):
    for _ in range(size):
        pledge = pledge_at(org, branch=factories.make_branch(org.town, factories.make_user()))
        review(org, pledge, 1, R.GOOD)
        feedback(pledge, FeedbackRating.SATISFIED)
    client = client_as("district_staff")
    # Narrowed, the page counts its rows apart from the figures' whole list: one more
    # than the unfiltered page (test_yearend.test_reads_run_in_fixed_queries).
    with django_assert_num_queries(9):
        response = client.get(URL, {"committee": org.town.pk})
    assert response.text.count('name="confirm"') == size


def test_yearend_figures_count_each_pledge_once_through_its_corrections(org):
    rated_twice = pledge_at(org, member=factories.make_member(org.branch), title="改过的")
    for rating in (R.POOR, R.GOOD):
        evaluation_record(pledge=rated_twice, actor=org.secretary, organisation_rating=rating)
    branch_pledge = pledge_at(org, title="支部的")
    evaluation_record(pledge=branch_pledge, actor=org.town_staff, organisation_rating=R.GOOD)
    unrated = pledge_at(org, title="未评的")
    pledge_at(org, S.IN_PROGRESS, title="未销号的")

    def figures():
        page = yearend_page(user=org.town_staff, year=YEAR)
        return page.total, page.rated, page.waiting, page.published

    # The member pledge waits for the staff's confirmation; the branch pledge is evaluated.
    assert figures() == (3, 2, 1, 0)
    evaluation_record(pledge=unrated, actor=org.town_staff, organisation_rating=R.FAIR)
    evaluations_confirm(actor=org.town_staff, year=YEAR)
    yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    assert figures() == (3, 3, 0, 3)
    assert yearend_page(user=org.town_staff, year=YEAR + 1).total == 0


# ---- the gaps of publishing ---------------------------------------------------


def test_publish_refused_without_any_evaluation(org):
    pledge_at(org, S.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    assert error.value.messages == ["本年度还没有任何评议结果，请先进行年终评议再公示。"]


def test_publish_refused_while_a_crossed_off_pledge_is_unevaluated(org):
    rated = pledge_at(org)
    evaluation_record(pledge=rated, actor=org.town_staff, organisation_rating=R.GOOD)
    pledge_at(org, title="漏评的")
    with pytest.raises(ValidationError) as error:
        yearend_publish(actor=org.town_staff, year=YEAR, today=TODAY)
    assert error.value.messages == ["还有 1 项已销号的承诺未评议，请全部评议后再公示。"]
    assert not YearEndEvaluation.objects.filter(is_published=True).exists()


def test_publish_view_says_why_it_refused(client_as, org):
    response = client_as("town_staff").post(
        reverse("reviews:yearend_publish", args=[YEAR]), follow=True
    )
    assert "本年度还没有任何评议结果" in response.text


def test_pledge_crossed_off_after_publishing_earns_its_points_by_correction(org):
    member = factories.make_member(org.branch, name="李荣花")
    branch_pledge = pledge_at(org)
    evaluation_record(pledge=branch_pledge, actor=org.town_staff, organisation_rating=R.GOOD)
    late = pledge_at(
        org, S.IN_PROGRESS, member=member, title="晚完成的", due_date=datetime.date(2026, 10, 1)
    )
    yearend_publish(actor=org.town_staff, year=YEAR, today=AFTER_YEAR)
    overdue = PointsEntry.objects.get(member=member)
    assert overdue.points == -5

    late.complete(org.secretary)
    late.verify(org.town_staff)
    evaluation_record(pledge=late, actor=org.secretary, organisation_rating=R.FAIRLY_GOOD)
    evaluations_confirm(actor=org.town_staff, year=YEAR)
    result = yearend_publish(actor=org.town_staff, year=YEAR, today=AFTER_YEAR)

    assert result.points == 1
    correction = PointsEntry.objects.exclude(pk=overdue.pk).get()
    assert correction.corrects == overdue
    assert correction.pledge == late
    assert correction.points == 13  # from −5 to +8 (较好)
    assert "更正" in correction.reason
    overdue.refresh_from_db()
    assert overdue.points == -5  # append-only: the old entry stays as it was
    assert sum(PointsEntry.objects.filter(member=member).values_list("points", flat=True)) == 8

    again = yearend_publish(actor=org.town_staff, year=YEAR, today=AFTER_YEAR)
    assert again.points == 0

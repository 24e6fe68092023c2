from decimal import Decimal

import pytest

from pledges.enums import FeedbackRating, PledgeStatus
from reviews.enums import ReviewRating
from reviews.rules import branch_grade, combine_result, member_points

R = ReviewRating
F = FeedbackRating
S = PledgeStatus


@pytest.mark.parametrize(
    ("rating", "feedback", "weights", "score", "result", "feedback_score"),
    [
        # No feedback: the organisation's points alone.
        (R.GOOD, {}, (0.6, 0.4), "95.00", R.GOOD, None),
        (R.FAIRLY_GOOD, {}, (0.6, 0.4), "85.00", R.FAIRLY_GOOD, None),
        (R.FAIR, {F.SATISFIED: 0}, (0.6, 0.4), "70.00", R.FAIR, None),
        (R.POOR, {}, (0.6, 0.4), "50.00", R.POOR, None),
        # 95·0.6 + 100·0.4 = 97
        (R.GOOD, {F.SATISFIED: 3}, (0.6, 0.4), "97.00", R.GOOD, "100.00"),
        # feedback (100+70+30)/3 = 66.67; 95·0.6 + 66.67·0.4 = 83.67
        (
            R.GOOD,
            {F.SATISFIED: 1, F.FAIRLY_SATISFIED: 1, F.DISSATISFIED: 1},
            (0.6, 0.4),
            "83.67",
            R.FAIRLY_GOOD,
            "66.67",
        ),
        # 85·0.6 + 30·0.4 = 63
        (R.FAIRLY_GOOD, {F.DISSATISFIED: 2}, (0.6, 0.4), "63.00", R.FAIR, "30.00"),
        # 50·0.6 + 30·0.4 = 42
        (R.POOR, {F.DISSATISFIED: 5}, (0.6, 0.4), "42.00", R.POOR, "30.00"),
        # Equal weights: 70·0.5 + 100·0.5 = 85 → 较好; 70·0.5 + 85·0.5 = 77.5 → 一般
        (R.FAIR, {F.SATISFIED: 1}, (1, 1), "85.00", R.FAIRLY_GOOD, "100.00"),
        (R.FAIR, {F.SATISFIED: 1, F.FAIRLY_SATISFIED: 1}, (1, 1), "77.50", R.FAIR, "85.00"),
        # Weights need not add up to 1; feedback alone when the organisation weighs 0.
        (R.POOR, {F.SATISFIED: 4}, (0, 1), "100.00", R.GOOD, "100.00"),
        (R.GOOD, {F.DISSATISFIED: 1}, (3, 1), "78.75", R.FAIR, "30.00"),
        # String keys, as from a values() query, count the same.
        (R.GOOD, {"satisfied": 2, "dissatisfied": 2}, (0.6, 0.4), "83.00", R.FAIRLY_GOOD, "65.00"),
    ],
)
def test_combine_result_table(rating, feedback, weights, score, result, feedback_score):
    combined = combine_result(
        organisation_rating=rating,
        feedback=feedback,
        organisation_weight=weights[0],
        feedback_weight=weights[1],
    )
    assert combined.score == Decimal(score)
    assert combined.result == result
    assert combined.feedback_score == (None if feedback_score is None else Decimal(feedback_score))


@pytest.mark.parametrize(
    ("org_weight", "feedback_weight", "score"),
    [(0.6, 0.4, "85.00"), (0.8, 0.2, "90.00"), (0.5, 0.5, "82.50")],
)
def test_combine_result_weights_come_from_settings(settings, org_weight, feedback_weight, score):
    settings.YEAR_END_ORGANISATION_WEIGHT = org_weight
    settings.YEAR_END_FEEDBACK_WEIGHT = feedback_weight
    combined = combine_result(organisation_rating=R.GOOD, feedback={F.FAIRLY_SATISFIED: 2})
    assert combined.score == Decimal(score)


@pytest.mark.parametrize(
    ("status", "result", "overdue", "expected"),
    [
        (S.EVALUATED, R.GOOD, False, [10]),
        (S.EVALUATED, R.FAIRLY_GOOD, False, [8]),
        (S.EVALUATED, R.FAIR, False, [5]),
        (S.EVALUATED, R.POOR, False, [1]),
        (S.WITHDRAWN, None, False, [-3]),
        (S.WITHDRAWN, None, True, [-3]),
        (S.IN_PROGRESS, None, True, [-5]),
        (S.PUBLISHED, None, True, [-5]),
        (S.IN_PROGRESS, None, False, []),
        (S.COMPLETED, None, False, []),
        (S.VERIFIED, None, False, []),
        (S.DRAFT, None, False, []),
    ],
)
def test_member_points_table(status, result, overdue, expected):
    entries = member_points(
        pledge_title="每月给村东生产路树木浇水一次",
        pledge_status=status,
        result=result,
        overdue=overdue,
    )
    assert [points for points, _reason in entries] == expected
    for _points, reason in entries:
        assert "“每月给村东生产路树木浇水一次”" in reason


def test_member_points_reason_names_result_and_points():
    [(points, reason)] = member_points(
        pledge_title="修剪花草", pledge_status=S.EVALUATED, result=R.FAIRLY_GOOD, overdue=False
    )
    assert (points, reason) == (8, "承诺“修剪花草”年终评议结果为“较好”，加 8 分")


@pytest.mark.parametrize(
    ("done_share", "average", "overdue", "pledges", "grade"),
    [
        (1, 95, 0, 10, R.GOOD),
        ("0.9", 88, 0, 10, R.GOOD),
        ("0.9", 88, 1, 10, R.FAIRLY_GOOD),  # one overdue pledge costs 好
        ("0.9", "87.99", 0, 10, R.FAIRLY_GOOD),
        ("0.89", 95, 0, 100, R.FAIRLY_GOOD),
        ("0.8", 80, 3, 10, R.FAIRLY_GOOD),
        ("0.8", "79.99", 0, 10, R.FAIR),
        (1, None, 0, 10, R.FAIR),  # no evaluation meets no score threshold
        ("0.6", 50, 4, 10, R.FAIR),
        ("0.59", 95, 0, 100, R.POOR),
        (0, None, 0, 0, R.POOR),  # no pledges at all
    ],
)
def test_branch_grade_table(done_share, average, overdue, pledges, grade):
    result, reasons = branch_grade(
        done_share=done_share, average_score=average, overdue_count=overdue, pledges=pledges
    )
    assert result == grade
    assert reasons


def test_branch_grade_reasons_state_the_figures():
    grade, reasons = branch_grade(
        done_share=Decimal("0.85"), average_score=Decimal("82.5"), overdue_count=1, pledges=20
    )
    assert grade == R.FAIRLY_GOOD
    assert reasons == [
        "承诺 20 项，已完成 85.0%。",
        "年终评议平均得分 82.50。",
        "年终逾期未完成 1 项。",
        "达到“较好”的标准。",
    ]

"""The three year-end rules (用诺) as pure functions: no database, no clock.

Each states its rule in its docstring; tests/reviews/test_rules.py runs them over tables.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _

from pledges.enums import FeedbackRating, PledgeStatus
from reviews.enums import ReviewRating

# The organisation's rating as points out of 100.
ORGANISATION_POINTS: dict[ReviewRating, int] = {
    ReviewRating.GOOD: 95,
    ReviewRating.FAIRLY_GOOD: 85,
    ReviewRating.FAIR: 70,
    ReviewRating.POOR: 50,
}
# One villager's feedback as points out of 100.
FEEDBACK_POINTS: dict[FeedbackRating, int] = {
    FeedbackRating.SATISFIED: 100,
    FeedbackRating.FAIRLY_SATISFIED: 70,
    FeedbackRating.DISSATISFIED: 30,
}
# The lowest combined score of each result, best first; below the last: 差.
RESULT_THRESHOLDS: list[tuple[Decimal, ReviewRating]] = [
    (Decimal(90), ReviewRating.GOOD),
    (Decimal(80), ReviewRating.FAIRLY_GOOD),
    (Decimal(60), ReviewRating.FAIR),
]
CENT = Decimal("0.01")


class Combined(NamedTuple):
    score: Decimal
    result: ReviewRating
    feedback_score: Decimal | None


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def result_for_score(score: Decimal) -> ReviewRating:
    """好 from 90, 较好 from 80, 一般 from 60, else 差."""
    for lowest, rating in RESULT_THRESHOLDS:
        if score >= lowest:
            return rating
    return ReviewRating.POOR


def feedback_score(feedback: dict) -> Decimal | None:
    """(100·满意 + 70·基本满意 + 30·不满意) / n, to the cent; None when n is 0."""
    counts = {FeedbackRating(rating): int(n) for rating, n in feedback.items() if n}
    total = sum(counts.values())
    if not total:
        return None
    points = sum(FEEDBACK_POINTS[rating] * n for rating, n in counts.items())
    return (Decimal(points) / Decimal(total)).quantize(CENT, ROUND_HALF_UP)


def combine_result(
    *,
    organisation_rating: ReviewRating,
    feedback: dict,
    organisation_weight=None,
    feedback_weight=None,
) -> Combined:
    """Combine the organisation's rating and the served villagers' feedback into a
    year-end result.

    - The organisation's rating counts 好 95, 较好 85, 一般 70, 差 50.
    - `feedback` maps a FeedbackRating to its count for the pledge; online feedback
      (scanned codes) and feedback recorded by the secretary both count, equally.
      Its score is (100·满意 + 70·基本满意 + 30·不满意) / n.
    - The score is the weighted mean of the two, with the weights
      YEAR_END_ORGANISATION_WEIGHT and YEAR_END_FEEDBACK_WEIGHT from the settings
      unless given (divided by their sum, so they need not add up to 1). With no
      feedback at all, the organisation's points alone are the score.
    - The score is rounded half up to the cent and graded: 好 from 90, 较好 from 80,
      一般 from 60, else 差.

    Returns (score, result, feedback score or None).
    """
    if organisation_weight is None:
        organisation_weight = settings.YEAR_END_ORGANISATION_WEIGHT
    if feedback_weight is None:
        feedback_weight = settings.YEAR_END_FEEDBACK_WEIGHT
    organisation = Decimal(ORGANISATION_POINTS[ReviewRating(organisation_rating)])
    villagers = feedback_score(feedback)
    org_w, feedback_w = _decimal(organisation_weight), _decimal(feedback_weight)
    if villagers is None or org_w + feedback_w <= 0:
        score = organisation
    else:
        score = (organisation * org_w + villagers * feedback_w) / (org_w + feedback_w)
    score = score.quantize(CENT, ROUND_HALF_UP)
    return Combined(score, result_for_score(score), villagers)


# The suggestion when nothing is known of a pledge but that it was crossed off: done,
# and no sign of how well.
DEFAULT_SUGGESTION = ReviewRating.FAIRLY_GOOD


def suggested_rating(*, quarterly_ratings, feedback: dict) -> ReviewRating:
    """The year-end organisation rating to offer, preselected, for staff to confirm.

    - The quarterly reviews' ratings of the year (the current row of each quarter) are
      averaged as points (好 95, 较好 85, 一般 70, 差 50);
    - the villagers' feedback gives its score as in `combine_result`;
    - both present: their weighted mean with the year-end weights; one present: that
      one alone; neither: DEFAULT_SUGGESTION (较好).
    - The mean is graded as a result is (好 from 90, 较好 from 80, 一般 from 60, else 差).

    A suggestion only: nothing is written until a person confirms the row.
    """
    ratings = [ReviewRating(rating) for rating in quarterly_ratings if rating]
    villagers = feedback_score(feedback)
    if not ratings and villagers is None:
        return DEFAULT_SUGGESTION
    if not ratings:
        return result_for_score(villagers)
    quarters = Decimal(sum(ORGANISATION_POINTS[r] for r in ratings)) / Decimal(len(ratings))
    if villagers is None:
        return result_for_score(quarters.quantize(CENT, ROUND_HALF_UP))
    org_w = _decimal(settings.YEAR_END_ORGANISATION_WEIGHT)
    feedback_w = _decimal(settings.YEAR_END_FEEDBACK_WEIGHT)
    if org_w + feedback_w <= 0:
        return result_for_score(quarters.quantize(CENT, ROUND_HALF_UP))
    score = (quarters * org_w + villagers * feedback_w) / (org_w + feedback_w)
    return result_for_score(score.quantize(CENT, ROUND_HALF_UP))


# Points a member's pledge earns for its published year-end result.
RESULT_POINTS: dict[ReviewRating, int] = {
    ReviewRating.GOOD: 10,
    ReviewRating.FAIRLY_GOOD: 8,
    ReviewRating.FAIR: 5,
    ReviewRating.POOR: 1,
}
WITHDRAWN_POINTS = -3
OVERDUE_POINTS = -5


def member_points(
    *,
    pledge_title: str,
    pledge_status: PledgeStatus,
    result: ReviewRating | None,
    overdue: bool,
) -> list[tuple[int, str]]:
    """The points ledger entries (points, reason) one member pledge earns for its year.

    | the pledge at year end                            | points |
    |---------------------------------------------------|--------|
    | has a published result 好 / 较好 / 一般 / 差      | +10 / +8 / +5 / +1 |
    | withdrawn (已撤销)                                | −3     |
    | still open past its due date (逾期未完成)         | −5     |
    | anything else (a draft, done but not evaluated…)  | none   |

    A fulfilled pledge always earns something, even rated 差: it was carried out.
    Each reason names the pledge, so the ledger says why each entry was given.
    """
    entries: list[tuple[int, str]] = []
    if result is not None:
        rating = ReviewRating(result)
        points = RESULT_POINTS[rating]
        reason = _("承诺“%(title)s”年终评议结果为“%(result)s”，加 %(points)s 分")
        entries.append(
            (points, reason % {"title": pledge_title, "result": rating.label, "points": points})
        )
    if pledge_status == PledgeStatus.WITHDRAWN:
        reason = _("承诺“%(title)s”已撤销，减 %(points)s 分")
        entries.append(
            (WITHDRAWN_POINTS, reason % {"title": pledge_title, "points": -WITHDRAWN_POINTS})
        )
    elif overdue:
        reason = _("承诺“%(title)s”逾期未完成，减 %(points)s 分")
        values = {"title": pledge_title, "points": -OVERDUE_POINTS}
        entries.append((OVERDUE_POINTS, reason % values))
    return entries


# The grading table, best first: (grade, lowest done share, lowest average score,
# whether overdue pledges are allowed). Below the last row: 差.
GRADE_TABLE: list[tuple[ReviewRating, Decimal, Decimal | None, bool]] = [
    (ReviewRating.GOOD, Decimal("0.90"), Decimal(88), False),
    (ReviewRating.FAIRLY_GOOD, Decimal("0.80"), Decimal(80), True),
    (ReviewRating.FAIR, Decimal("0.60"), None, True),
]


def _percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def branch_grade(
    *, done_share, average_score, overdue_count: int, pledges: int
) -> tuple[ReviewRating, list[str]]:
    """支部分类定级 of a branch for a year, from its pledges (withdrawn ones not counted).

    | grade | done share | average result score | overdue at year end |
    |-------|------------|----------------------|---------------------|
    | 好    | ≥ 90%      | ≥ 88                 | none                |
    | 较好  | ≥ 80%      | ≥ 80                 | any                 |
    | 一般  | ≥ 60%      | any                  | any                 |
    | 差    | below      |                      |                     |

    `done_share` is done / pledges (0–1), `average_score` the mean of the pledges'
    published results (None when none was evaluated: it then meets no score
    threshold). A branch without pledges is 差. The reasons state the figures and
    the rule the grade met.
    """
    if not pledges:
        return ReviewRating.POOR, [_("本年度没有承诺。")]
    share = _decimal(done_share)
    average = None if average_score is None else _decimal(average_score)
    reasons = [
        _("承诺 %(pledges)s 项，已完成 %(share)s。")
        % {"pledges": pledges, "share": _percent(share)},
        _("年终评议平均得分 %(score)s。") % {"score": average.quantize(CENT, ROUND_HALF_UP)}
        if average is not None
        else _("没有年终评议结果。"),
        _("年终逾期未完成 %(count)s 项。") % {"count": overdue_count},
    ]
    for grade, lowest_share, lowest_score, overdue_allowed in GRADE_TABLE:
        if share < lowest_share:
            continue
        if lowest_score is not None and (average is None or average < lowest_score):
            continue
        if not overdue_allowed and overdue_count:
            continue
        reasons.append(_("达到“%(grade)s”的标准。") % {"grade": grade.label})
        return grade, reasons
    reasons.append(_("完成率低于 60%，定为“差”。"))
    return ReviewRating.POOR, reasons

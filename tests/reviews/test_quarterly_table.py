"""The quarterly review table: a row per branch pledge, one save, filters, pagination,
and quarters that have not started refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pledges.enums import PledgeStatus
from reviews.enums import ReviewRating
from reviews.models import QuarterlyReview
from reviews.services.quarterly import (
    ReviewBatchRefused,
    ReviewEntry,
    quarter_sign_off,
    quarterly_review_save,
    quarterly_reviews_save_many,
)
from tests import factories

YEAR = 2026
URL = reverse("reviews:quarterly", args=[YEAR, 1])


def branch_pledge(org, status=PledgeStatus.IN_PROGRESS, branch=None, **extra):
    branch = branch or org.branch
    pledge = factories.make_pledge(branch=branch, year=YEAR, **extra)
    return factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)


def row(pledge, rating="", on_schedule=True, comment=""):
    data = {"pledges": pledge.pk, f"p{pledge.pk}-rating": rating, f"p{pledge.pk}-comment": comment}
    if on_schedule:
        data[f"p{pledge.pk}-on_schedule"] = "on"
    return data


def post_rows(*rows):
    data = {"pledges": []}
    for one in rows:
        data["pledges"].append(one.pop("pledges"))
        data.update(one)
    return data


def test_quarterly_table_saves_every_rated_row_in_one_post(client_as, org):
    first = branch_pledge(org, title="甲")
    second = branch_pledge(org, title="乙")
    skipped = branch_pledge(org, title="丙")
    data = post_rows(
        row(first, ReviewRating.GOOD),
        row(second, ReviewRating.FAIR, on_schedule=False, comment="偏慢"),
        row(skipped),
    )

    response = client_as("town_staff").post(URL, data, follow=True)

    assert "已保存 2 项讲评（新增 2，修改 0，更正 0）。" in response.text
    saved = {r.pledge_id: r for r in QuarterlyReview.objects.all()}
    assert set(saved) == {first.pk, second.pk}
    assert (saved[second.pk].rating, saved[second.pk].on_schedule, saved[second.pk].comment) == (
        ReviewRating.FAIR,
        False,
        "偏慢",
    )


def test_quarterly_table_shows_saved_values_as_initial(client_as, org):
    pledge = branch_pledge(org)
    quarterly_review_save(
        pledge=pledge,
        year=YEAR,
        quarter=1,
        actor=org.town_staff,
        rating=ReviewRating.FAIRLY_GOOD,
        on_schedule=False,
        comment="已有意见",
    )
    text = client_as("town_staff").get(URL).text
    assert '<option value="fairly_good" selected>' in text
    assert "已有意见" in text
    assert f'name="p{pledge.pk}-on_schedule"' in text
    assert f'name="p{pledge.pk}-on_schedule" id="id_p{pledge.pk}-on_schedule" checked' not in text


def test_quarterly_table_comment_without_rating_keeps_everything(client_as, org):
    ok = branch_pledge(org, title="甲")
    bad = branch_pledge(org, title="乙")
    data = post_rows(row(ok, ReviewRating.GOOD), row(bad, comment="只写了意见"))

    response = client_as("town_staff").post(URL, data)

    assert response.status_code == 400
    assert "填写了讲评意见，请选择讲评等次。" in response.text
    assert "只写了意见" in response.text
    assert QuarterlyReview.objects.count() == 0


def test_quarterly_table_refused_row_saves_nothing_and_names_itself(client_as, org):
    ok = branch_pledge(org, title="能讲评的")
    gone = branch_pledge(org, title="刚撤销的")
    data = post_rows(row(ok, ReviewRating.GOOD), row(gone, ReviewRating.GOOD))
    client = client_as("town_staff")
    client.get(URL)
    gone.withdraw(org.town_staff, reason="不再需要")

    response = client.post(URL, data)

    # The withdrawn pledge is no longer reviewable: it drops out of the posted rows, and
    # the other row is saved; a refusal raised by the service is tested below.
    assert response.status_code == 302
    assert list(QuarterlyReview.objects.values_list("pledge_id", flat=True)) == [ok.pk]


def test_save_many_is_all_or_nothing(org):
    ok = branch_pledge(org, title="能讲评的")
    approved = branch_pledge(org, PledgeStatus.APPROVED, title="未公示的")
    entries = [
        ReviewEntry(pledge=ok, rating=ReviewRating.GOOD, on_schedule=True, comment=""),
        ReviewEntry(pledge=approved, rating=ReviewRating.GOOD, on_schedule=True, comment=""),
    ]
    with pytest.raises(ReviewBatchRefused) as refused:
        quarterly_reviews_save_many(entries=entries, year=YEAR, quarter=1, actor=org.town_staff)
    assert refused.value.pledge == approved
    assert QuarterlyReview.objects.count() == 0


def test_quarterly_table_after_sign_off_saves_corrections(client_as, org):
    pledge = branch_pledge(org)
    client = client_as("town_staff")
    client.post(URL, post_rows(row(pledge, ReviewRating.GOOD)))
    quarter_sign_off(committee=org.town, year=YEAR, quarter=1, actor=org.town_staff)

    response = client.post(URL, post_rows(row(pledge, ReviewRating.FAIR)), follow=True)

    assert "更正 1" in response.text
    assert QuarterlyReview.objects.filter(corrects__isnull=False).count() == 1


def test_quarterly_table_filters_by_committee_branch_and_status(client_as, org):
    branch_pledge(org, title="范寨的")
    reviewed = branch_pledge(org, branch=org.other_branch, title="姬石已讲评的")
    branch_pledge(org, branch=org.far_branch, title="远村的")
    branch_pledge(org, PledgeStatus.COMPLETED, title="范寨已完成的")
    quarterly_review_save(
        pledge=reviewed,
        year=YEAR,
        quarter=1,
        actor=org.town_staff,
        rating=ReviewRating.GOOD,
        on_schedule=True,
        comment="",
    )
    client = client_as("district_staff")

    by_committee = client.get(URL, {"committee": org.other_town.pk}).text
    by_branch = client.get(URL, {"branch": org.other_branch.pk}).text
    unreviewed = client.get(URL, {"status": "unreviewed"}).text
    completed = client.get(URL, {"status": "completed"}).text

    assert "远村的" in by_committee and "范寨的" not in by_committee
    assert "姬石已讲评的" in by_branch and "范寨的" not in by_branch
    assert "范寨的" in unreviewed and "姬石已讲评的" not in unreviewed
    assert "范寨已完成的" in completed and "范寨的<" not in completed


def test_quarterly_table_paginates_fifty(client_as, org):
    for number in range(51):
        branch_pledge(org, title=f"承诺{number:02d}号")
    client = client_as("town_staff")
    first = client.get(URL).text
    second = client.get(URL, {"page": 2}).text
    assert first.count('class="qrow"') == 50
    assert second.count('class="qrow"') == 1
    assert "第 1 / 2 页" in first


def test_quarter_not_started_is_refused_by_the_service(org):
    pledge = branch_pledge(org)
    with pytest.raises(ValidationError, match="尚未开始"):
        quarterly_review_save(
            pledge=pledge,
            year=YEAR,
            quarter=4,
            actor=org.town_staff,
            rating=ReviewRating.GOOD,
            on_schedule=True,
            comment="",
            today=datetime.date(YEAR, 9, 30),
        )
    assert QuarterlyReview.objects.count() == 0


def test_quarter_not_started_page_has_no_save(client_as, org):
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch, year=YEAR + 1, title="明年承诺"),
        PledgeStatus.IN_PROGRESS,
        secretary=org.secretary,
        staff=org.district_staff,
    )
    url = reverse("reviews:quarterly", args=[YEAR + 1, 4])
    client = client_as("town_staff")

    text = client.get(url).text
    response = client.post(url, post_rows(row(pledge, ReviewRating.GOOD)), follow=True)

    assert "尚未开始，不能讲评" in text
    assert "保存本页讲评" not in text
    assert "本季度尚未开始，不能讲评。" in response.text
    assert QuarterlyReview.objects.count() == 0


@pytest.mark.parametrize("size", [3, 30])
def test_quarterly_table_queries_fixed(client_as, org, django_assert_num_queries, size):
    for _ in range(size):
        branch = factories.make_branch(org.town, factories.make_user())
        branch_pledge(org, branch=branch)
    client = client_as("district_staff")
    with django_assert_num_queries(8):
        response = client.get(URL, {"committee": org.town.pk, "status": "unreviewed"})
    assert response.text.count('class="qrow"') == size

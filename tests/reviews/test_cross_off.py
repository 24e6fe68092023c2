"""Crossing off (销号) completed pledges in bulk at any time of the year."""

import datetime

import pytest
from django.urls import reverse

from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import PledgeTransition
from reviews.services.halfyear import pledges_verify
from tests import factories
from tests.conftest import ROLES

URL = reverse("reviews:cross_off")
AUTUMN = datetime.date(2026, 10, 15)


def pledge_at(org, status, *, branch=None, due=AUTUMN, **extra):
    branch = branch or org.branch
    pledge = factories.make_pledge(branch=branch, due_date=due, **extra)
    return factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)


def status_of(pledge):
    pledge.refresh_from_db()
    return pledge.status


PAGE = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 200,
    "other_town_staff": 200,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
def test_cross_off_page_permissions(client_as, org, who):
    pledge_at(org, PledgeStatus.COMPLETED, title="秋天完成的")
    response = client_as(who).get(URL)
    assert response.status_code == PAGE[who]
    if response.status_code == 200:
        assert ("秋天完成的" in response.text) is (who != "other_town_staff")


@pytest.mark.parametrize("who", ROLES)
def test_cross_off_post_permissions(client_as, org, who):
    pledge = pledge_at(org, PledgeStatus.COMPLETED)
    response = client_as(who).post(URL, {"pledges": [pledge.pk]})
    assert response.status_code == (302 if PAGE[who] == 200 else PAGE[who])
    expected = (
        PledgeStatus.VERIFIED if who in ("town_staff", "district_staff") else PledgeStatus.COMPLETED
    )
    assert status_of(pledge) == expected


def test_cross_off_lists_only_completed_all_ticked(client_as, org):
    done = pledge_at(org, PledgeStatus.COMPLETED, title="已完成的")
    pledge_at(org, PledgeStatus.IN_PROGRESS, title="进行中的")
    pledge_at(org, PledgeStatus.VERIFIED, title="已销号的")
    text = client_as("town_staff").get(URL).text
    assert "已完成的" in text
    assert "进行中的" not in text and "已销号的" not in text
    assert f'name="pledges" value="{done.pk}" checked' in text


def test_cross_off_filters_by_committee_and_branch(client_as, org):
    pledge_at(org, PledgeStatus.COMPLETED, title="范寨的")
    pledge_at(org, PledgeStatus.COMPLETED, title="姬石的", branch=org.other_branch)
    pledge_at(org, PledgeStatus.COMPLETED, title="远村的", branch=org.far_branch)
    client = client_as("district_staff")
    by_branch = client.get(URL, {"branch": org.other_branch.pk}).text
    by_committee = client.get(URL, {"committee": org.other_town.pk}).text
    assert "姬石的" in by_branch and "范寨的" not in by_branch and "远村的" not in by_branch
    assert "远村的" in by_committee and "范寨的" not in by_committee


def test_cross_off_crosses_off_many_through_the_workflow(client_as, org):
    pledges = [pledge_at(org, PledgeStatus.COMPLETED, title=f"承诺{n}") for n in range(5)]
    response = client_as("town_staff").post(URL, {"pledges": [p.pk for p in pledges]}, follow=True)
    assert "已销号 5 项承诺。" in response.text
    assert [status_of(p) for p in pledges] == [PledgeStatus.VERIFIED] * 5
    assert (
        PledgeTransition.objects.filter(move=PledgeMove.VERIFY, actor=org.town_staff).count() == 5
    )


def test_pledges_verify_reports_refusals_and_goes_on(org):
    done = pledge_at(org, PledgeStatus.COMPLETED)
    working = pledge_at(org, PledgeStatus.IN_PROGRESS, title="还在干的")
    far = pledge_at(org, PledgeStatus.COMPLETED, branch=org.far_branch)
    result = pledges_verify(pledge_ids=[done.pk, working.pk, far.pk], actor=org.town_staff)
    assert result.verified == 1
    assert {title for title, _reason in result.refusals} == {
        f"编号 {working.pk}",
        f"编号 {far.pk}",
    }
    assert status_of(done) == PledgeStatus.VERIFIED
    assert status_of(far) == PledgeStatus.COMPLETED


def test_cross_off_paginates_a_hundred(client_as, org):
    for number in range(101):
        pledge_at(org, PledgeStatus.COMPLETED, title=f"承诺{number:03d}号")
    client = client_as("town_staff")
    first = client.get(URL).text
    second = client.get(URL, {"page": 2}).text
    assert first.count('name="pledges"') == 100
    assert second.count('name="pledges"') == 1


@pytest.mark.parametrize("size", [2, 12])
def test_cross_off_page_queries_fixed(client_as, org, django_assert_num_queries, size):
    for _ in range(size):
        branch = factories.make_branch(org.town, factories.make_user())
        pledge_at(org, PledgeStatus.COMPLETED, branch=branch)
    client = client_as("district_staff")
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert response.text.count('name="pledges"') == size


def test_halfyear_page_ticks_completed_pledges(client_as, org):
    done = pledge_at(org, PledgeStatus.COMPLETED, due=datetime.date(2026, 6, 1))
    text = client_as("town_staff").get(reverse("reviews:halfyear", args=[2026])).text
    assert f'name="pledges" value="{done.pk}" checked' in text

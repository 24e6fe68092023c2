"""Two people moving different pledges of the same branch at once, on a real server: the
second refresh waits for the first and counts what it committed, so the stored figures end
equal to a fresh count."""

import pytest

from pledges.enums import PledgeStatus
from pledges.models import Pledge, PledgeTransition
from tests import factories
from tests.pledges.test_stored_figures import fresh, stored
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("rounds", range(3))
def test_two_moves_in_one_branch_at_once_leave_a_fresh_count(org, rounds):
    pledges = [
        factories.walk_to(
            factories.make_pledge(branch=org.branch),
            PledgeStatus.SUBMITTED,
            secretary=org.secretary,
            staff=org.town_staff,
        )
        for _ in range(2)
    ]
    copies = [Pledge.objects.get(pk=pledge.pk) for pledge in pledges]
    outcomes = race(
        [
            lambda: copies[0].approve(org.town_staff),
            lambda: copies[1].approve(org.district_staff),
        ]
    )
    assert all(isinstance(outcome, PledgeTransition) for outcome in outcomes), outcomes
    assert stored() == fresh()

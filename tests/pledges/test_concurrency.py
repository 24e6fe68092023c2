"""Two people moving the same pledge at once: exactly one wins, on a real server."""

import pytest

from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import Pledge, PledgeTransition
from pledges.workflow import TransitionNotAllowed
from tests import factories
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("rounds", range(5))
def test_two_staff_approving_at_once_one_wins(org, rounds):
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        PledgeStatus.SUBMITTED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    copies = [Pledge.objects.get(pk=pledge.pk) for _ in range(2)]
    outcomes = race(
        [
            lambda: copies[0].approve(org.town_staff),
            lambda: copies[1].return_for_revision(org.district_staff, reason="再斟酌"),
        ]
    )
    winners = [o for o in outcomes if isinstance(o, PledgeTransition)]
    losers = [o for o in outcomes if isinstance(o, TransitionNotAllowed)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    pledge.refresh_from_db()
    assert pledge.status == winners[0].to_status
    moves = PledgeTransition.objects.filter(pledge=pledge).exclude(move=PledgeMove.SUBMIT)
    assert moves.count() == 1


def test_the_same_move_twice_at_once_writes_one_audit_row(org):
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        PledgeStatus.COMPLETED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    copies = [Pledge.objects.get(pk=pledge.pk) for _ in range(3)]
    outcomes = race([lambda c=c: c.verify(org.town_staff) for c in copies])
    assert sum(isinstance(o, PledgeTransition) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, TransitionNotAllowed) for o in outcomes) == 2, outcomes
    assert PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.VERIFY).count() == 1

"""Two people moving the same pledge at once: exactly one wins, on a real server."""

import threading

import pytest
from django.db import connection

from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import Pledge, PledgeTransition
from pledges.workflow import TransitionNotAllowed
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(callables):
    """Start all callables together; return what each returned or raised."""
    barrier = threading.Barrier(len(callables))
    outcomes = [None] * len(callables)

    def run(index, fn):  # each thread has its own database connection
        try:
            barrier.wait()
            outcomes[index] = fn()
        except Exception as error:  # the outcome is what is asserted
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("rounds", range(5))
def test_two_staff_approving_at_once_one_wins(org, rounds):
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        PledgeStatus.SUBMITTED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    copies = [Pledge.objects.get(pk=pledge.pk) for _ in range(2)]
    outcomes = _race(
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
    outcomes = _race([lambda c=c: c.verify(org.town_staff) for c in copies])
    assert sum(isinstance(o, PledgeTransition) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, TransitionNotAllowed) for o in outcomes) == 2, outcomes
    assert PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.VERIFY).count() == 1

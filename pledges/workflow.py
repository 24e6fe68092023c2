"""The pledge workflow as data: which move leads from which statuses to which, and
who may make it. `pledges.services.pledge_transition` is the only code that reads
this table to change a status.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from pledges.enums import ActorRole, PledgeMove, PledgeStatus, Step

S = PledgeStatus


@dataclass(frozen=True)
class Move:
    name: PledgeMove
    sources: frozenset[PledgeStatus]
    target: PledgeStatus
    role: ActorRole
    needs_reason: bool = False


MOVES: dict[PledgeMove, Move] = {
    move.name: move
    for move in (
        Move(
            PledgeMove.SUBMIT,
            frozenset({S.DRAFT, S.RETURNED}),
            S.SUBMITTED,
            ActorRole.BRANCH_SECRETARY,
        ),
        Move(
            PledgeMove.RETURN_FOR_REVISION,
            frozenset({S.SUBMITTED}),
            S.RETURNED,
            ActorRole.UPPER_STAFF,
            needs_reason=True,
        ),
        Move(PledgeMove.APPROVE, frozenset({S.SUBMITTED}), S.APPROVED, ActorRole.UPPER_STAFF),
        Move(PledgeMove.PUBLISH, frozenset({S.APPROVED}), S.PUBLISHED, ActorRole.BRANCH_SECRETARY),
        Move(PledgeMove.START, frozenset({S.PUBLISHED}), S.IN_PROGRESS, ActorRole.BRANCH_SECRETARY),
        Move(
            PledgeMove.COMPLETE, frozenset({S.IN_PROGRESS}), S.COMPLETED, ActorRole.BRANCH_SECRETARY
        ),
        Move(PledgeMove.VERIFY, frozenset({S.COMPLETED}), S.VERIFIED, ActorRole.UPPER_STAFF),
        Move(PledgeMove.EVALUATE, frozenset({S.VERIFIED}), S.EVALUATED, ActorRole.UPPER_STAFF),
        Move(
            PledgeMove.WITHDRAW,
            frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.PUBLISHED, S.IN_PROGRESS}),
            S.WITHDRAWN,
            ActorRole.UPPER_STAFF,
            needs_reason=True,
        ),
    )
}

# (from, to) -> the move that makes it: the whole grid of allowed status changes.
TRANSITIONS: dict[tuple[PledgeStatus, PledgeStatus], Move] = {
    (source, move.target): move for move in MOVES.values() for source in move.sources
}

STATUS_STEP: dict[PledgeStatus, Step | None] = {
    S.DRAFT: Step.DEFINE,
    S.SUBMITTED: Step.DEFINE,
    S.RETURNED: Step.DEFINE,
    S.APPROVED: Step.DEFINE,
    S.PUBLISHED: Step.SHOW,
    S.IN_PROGRESS: Step.PRACTISE,
    S.COMPLETED: Step.SUPERVISE,
    S.VERIFIED: Step.SUPERVISE,
    S.EVALUATED: Step.USE,
    S.WITHDRAWN: None,  # left the flow
}

# Statuses a villager may see: the pledge has been made public.
PUBLIC_STATUSES = frozenset({S.PUBLISHED, S.IN_PROGRESS, S.COMPLETED, S.VERIFIED, S.EVALUATED})
# Completed or beyond: what the district counts as "done".
DONE_STATUSES = frozenset({S.COMPLETED, S.VERIFIED, S.EVALUATED})


class TransitionNotAllowed(Exception):
    """A move that the table does not allow from the pledge's current status."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class StatusChangeRefused(Exception):
    """A status written by any path other than pledges.services.pledge_transition."""


def moves_from(status: PledgeStatus) -> list[Move]:
    return [move for move in MOVES.values() if status in move.sources]


def refusal_message(move: Move, status: PledgeStatus) -> str:
    return _("当前状态为“%(status)s”，不能执行“%(move)s”。") % {
        "status": PledgeStatus(status).label,
        "move": move.name.label,
    }


# Still being carried out: a pledge in one of these can be overdue.
OPEN_STATUSES = frozenset({S.APPROVED, S.PUBLISHED, S.IN_PROGRESS})

"""Writes to pledges. `pledge_transition` is the one door for a pledge's status."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.permissions import is_branch_secretary, is_upper_staff
from pledges.enums import ActorRole, PledgeMove, PledgeStatus
from pledges.models import Pledge, PledgeTransition, TimeNode
from pledges.services.needs import needs_release
from pledges.workflow import MOVES, TransitionNotAllowed, refusal_message

ROLE_PREDICATES = {
    ActorRole.BRANCH_SECRETARY: is_branch_secretary,
    ActorRole.UPPER_STAFF: is_upper_staff,
}

ROLE_REFUSALS = {
    ActorRole.BRANCH_SECRETARY: gettext_lazy("只有本支部书记可以执行“%(move)s”。"),
    ActorRole.UPPER_STAFF: gettext_lazy("只有上级党组织工作人员可以执行“%(move)s”。"),
}


def _refuse_open_nodes(pledge: Pledge) -> None:
    """A pledge is completed only once each of its time nodes is closed (done or no longer
    needed): pledges.services.progress.pledge_complete closes them in the same transaction."""
    still_open = list(
        TimeNode.objects.filter(pledge=pledge)
        .open()
        .order_by("due_on", "pk")
        .values_list("description", flat=True)
    )
    if still_open:
        raise ValidationError(
            _(
                "还有 %(count)d 个时间节点未关闭（%(nodes)s），请逐一确认已完成或不再需要后"
                "再完成承诺。"
            )
            % {"count": len(still_open), "nodes": "、".join(still_open)}
        )


def pledge_transition(
    *, pledge: Pledge, actor, move: PledgeMove, reason: str = ""
) -> PledgeTransition:
    """Make one move of the workflow, or raise and change nothing.

    Locks the row (PostgreSQL), checks the actor's role (first, so that someone
    without it learns nothing of the pledge) and the move against the table, then
    moves the status with an update conditional on the old status, so that of two
    concurrent callers exactly one wins on every database, and writes the audit row
    in the same transaction. The passed instance is brought up to date.

    Raises PermissionDenied (wrong role), TransitionNotAllowed (wrong status, or
    lost a race) or ValidationError (a reason is required but empty; or completing a
    pledge with a time node still open, see pledges.services.progress.pledge_complete).
    """
    spec = MOVES[PledgeMove(move)]
    reason = (reason or "").strip()
    with transaction.atomic():
        current = (
            Pledge.objects.select_for_update(of=("self",))
            .select_related("owner_branch__committee")
            .get(pk=pledge.pk)
        )
        if not ROLE_PREDICATES[spec.role](actor, current.owner_branch):
            raise PermissionDenied(ROLE_REFUSALS[spec.role] % {"move": spec.name.label})
        if current.status not in spec.sources:
            raise TransitionNotAllowed(refusal_message(spec, current.status))
        if spec.needs_reason and not reason:
            raise ValidationError(
                {"reason": _("请填写“%(move)s”的原因。") % {"move": spec.name.label}}
            )
        if spec.name == PledgeMove.COMPLETE:
            _refuse_open_nodes(current)
        won = Pledge.objects.filter(pk=current.pk)._move_status(
            source=current.status, target=spec.target
        )
        if won != 1:
            raise TransitionNotAllowed(_("该承诺的状态刚刚被他人改变，请刷新后重试。"))
        audit = PledgeTransition.objects.create(
            pledge=current,
            move=spec.name,
            from_status=current.status,
            to_status=spec.target,
            actor=actor,
            actor_role=spec.role,
            note=reason,
            snapshot=current.letter_snapshot() if spec.name == PledgeMove.SUBMIT else {},
        )
        if spec.target == PledgeStatus.WITHDRAWN:
            # A withdrawn pledge answers nobody: its needs go back to be claimed again.
            needs_release(need_ids=current.needs.values_list("pk", flat=True))
    pledge.status = PledgeStatus(spec.target)
    pledge._status_as_loaded = pledge.status
    return audit


class BulkMoveRefused(Exception):
    """One pledge of a batch was refused: the whole batch was rolled back."""

    def __init__(self, *, pledge: Pledge, reason: str):
        super().__init__(reason)
        self.pledge = pledge
        self.reason = reason

    @property
    def message(self) -> str:
        return _("“%(title)s”不能审核通过：%(reason)s，本批承诺均未审核通过。") % {
            "title": self.pledge.title,
            "reason": self.reason.rstrip("。"),
        }


def pledges_approve(*, pledges: list[Pledge], actor) -> list[PledgeTransition]:
    """Approve every pledge of the batch through `pledge_transition`, all or nothing.

    The moves run in one transaction: the first refusal (role, status, a lost race)
    rolls every move of the batch back and raises BulkMoveRefused naming that pledge.
    """
    audits = []
    with transaction.atomic():
        for pledge in pledges:
            try:
                audits.append(
                    pledge_transition(pledge=pledge, actor=actor, move=PledgeMove.APPROVE)
                )
            except (PermissionDenied, TransitionNotAllowed, ValidationError) as refusal:
                raise BulkMoveRefused(pledge=pledge, reason=_refusal_reason(refusal)) from refusal
    return audits


def _refusal_reason(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return "；".join(refusal.messages)
    if isinstance(refusal, TransitionNotAllowed):
        return str(refusal.message)
    return str(refusal) or _("您没有执行此操作的权限。")

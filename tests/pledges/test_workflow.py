"""The pledge workflow: the whole grid of moves, roles, the audit row, and the one door."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pledges.enums import ActorRole, PledgeMove, PledgeStatus, Step
from pledges.models import Pledge, PledgeTransition
from pledges.workflow import (
    MOVES,
    STATUS_STEP,
    TRANSITIONS,
    StatusChangeRefused,
    TransitionNotAllowed,
)
from tests import factories

S = PledgeStatus

# Written out independently of pledges.workflow: the list of allowed moves.
EXPECTED_TRANSITIONS = {
    (S.DRAFT, S.SUBMITTED): ("submit", ActorRole.BRANCH_SECRETARY),
    (S.RETURNED, S.SUBMITTED): ("submit", ActorRole.BRANCH_SECRETARY),
    (S.SUBMITTED, S.RETURNED): ("return_for_revision", ActorRole.UPPER_STAFF),
    (S.SUBMITTED, S.APPROVED): ("approve", ActorRole.UPPER_STAFF),
    (S.APPROVED, S.PUBLISHED): ("publish", ActorRole.BRANCH_SECRETARY),
    (S.PUBLISHED, S.IN_PROGRESS): ("start", ActorRole.BRANCH_SECRETARY),
    (S.IN_PROGRESS, S.COMPLETED): ("complete", ActorRole.BRANCH_SECRETARY),
    (S.COMPLETED, S.VERIFIED): ("verify", ActorRole.UPPER_STAFF),
    (S.VERIFIED, S.EVALUATED): ("evaluate", ActorRole.UPPER_STAFF),
    **{
        (source, S.WITHDRAWN): ("withdraw", ActorRole.UPPER_STAFF)
        for source in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.PUBLISHED, S.IN_PROGRESS)
    },
}

REASON_MOVES = {"return_for_revision", "withdraw"}


def test_transition_table_is_exactly_the_allowed_grid():
    actual = {pair: (move.name.value, move.role) for pair, move in TRANSITIONS.items()}
    assert actual == EXPECTED_TRANSITIONS


def test_every_status_belongs_to_its_step():
    assert STATUS_STEP == {
        S.DRAFT: Step.DEFINE,
        S.SUBMITTED: Step.DEFINE,
        S.RETURNED: Step.DEFINE,
        S.APPROVED: Step.DEFINE,
        S.PUBLISHED: Step.SHOW,
        S.IN_PROGRESS: Step.PRACTISE,
        S.COMPLETED: Step.SUPERVISE,
        S.VERIFIED: Step.SUPERVISE,
        S.EVALUATED: Step.USE,
        S.WITHDRAWN: None,
    }


def _actor_for(org, role):
    return org.secretary if role == ActorRole.BRANCH_SECRETARY else org.town_staff


def _call(pledge, move_name, actor, reason="情况需要调整"):
    method = getattr(pledge, move_name)
    if move_name in REASON_MOVES:
        return method(actor, reason=reason)
    return method(actor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "move_name"), list(itertools.product(list(S), [m.value for m in PledgeMove]))
)
def test_every_move_from_every_status(org, status, move_name):
    """The full grid: allowed pairs move and write one audit row; all others raise and
    leave the row and the audit log untouched."""
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        status,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    spec = MOVES[PledgeMove(move_name)]
    allowed = (S(status), spec.target) in EXPECTED_TRANSITIONS and S(status) in spec.sources
    transitions_before = PledgeTransition.objects.filter(pledge=pledge).count()

    if allowed:
        audit = _call(pledge, move_name, _actor_for(org, spec.role))
        pledge.refresh_from_db()
        assert pledge.status == spec.target
        assert (audit.from_status, audit.to_status, audit.move) == (status, spec.target, move_name)
        assert audit.actor == _actor_for(org, spec.role)
        assert audit.actor_role == spec.role
        assert PledgeTransition.objects.filter(pledge=pledge).count() == transitions_before + 1
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            _call(pledge, move_name, _actor_for(org, spec.role))
        assert "不能执行" in refused.value.message
        pledge.refresh_from_db()
        assert pledge.status == status
        assert PledgeTransition.objects.filter(pledge=pledge).count() == transitions_before


ROLE_MATRIX = [
    # (who, role they hold for org.branch or None)
    ("secretary", ActorRole.BRANCH_SECRETARY),
    ("other_secretary", None),
    ("town_staff", ActorRole.UPPER_STAFF),
    ("district_staff", ActorRole.UPPER_STAFF),
    ("other_town_staff", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "holds"), ROLE_MATRIX)
@pytest.mark.parametrize("move_name", [m.value for m in PledgeMove])
def test_each_move_needs_its_role(org, who, holds, move_name):
    spec = MOVES[PledgeMove(move_name)]
    source = sorted(spec.sources)[0]
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        source,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    actor = getattr(org, who)
    if holds == spec.role:
        _call(pledge, move_name, actor)
        pledge.refresh_from_db()
        assert pledge.status == spec.target
    else:
        with pytest.raises(PermissionDenied):
            _call(pledge, move_name, actor)
        pledge.refresh_from_db()
        assert pledge.status == source


@pytest.mark.django_db
def test_member_pledge_is_run_by_the_members_branch(org):
    member = factories.make_member(org.branch, name="李荣花")
    pledge = factories.make_pledge(member=member)
    assert pledge.owner_branch == org.branch
    pledge.submit(org.secretary)
    with pytest.raises(PermissionDenied):
        pledge.approve(org.other_town_staff)
    pledge.approve(org.town_staff)
    assert pledge.status == S.APPROVED


@pytest.mark.django_db
def test_anonymous_user_cannot_move(org):
    from django.contrib.auth.models import AnonymousUser

    pledge = factories.make_pledge(branch=org.branch)
    with pytest.raises(PermissionDenied):
        pledge.submit(AnonymousUser())


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize("move_name", sorted(REASON_MOVES))
def test_moves_with_a_reason_refuse_an_empty_one(org, move_name, reason):
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        S.SUBMITTED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    with pytest.raises(ValidationError) as refused:
        _call(pledge, move_name, org.town_staff, reason=reason)
    assert "原因" in str(refused.value)
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED


@pytest.mark.django_db
def test_audit_row_keeps_the_reason_and_the_actor(org):
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        S.SUBMITTED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    pledge.return_for_revision(org.district_staff, reason="  完成时限不明确  ")
    audit = PledgeTransition.objects.get(pledge=pledge, move=PledgeMove.RETURN_FOR_REVISION)
    assert audit.note == "完成时限不明确"
    assert audit.actor == org.district_staff
    assert audit.actor_role == ActorRole.UPPER_STAFF
    assert [t.to_status for t in pledge.transitions.all()] == [S.SUBMITTED, S.RETURNED]


@pytest.mark.django_db
def test_assigning_status_and_saving_raises(org):
    pledge = factories.make_pledge(branch=org.branch)
    pledge.status = S.APPROVED
    with pytest.raises(StatusChangeRefused):
        pledge.save()
    assert Pledge.objects.get(pk=pledge.pk).status == S.DRAFT


@pytest.mark.django_db
def test_saving_other_fields_after_a_move_works(org):
    pledge = factories.make_pledge(branch=org.branch)
    pledge.submit(org.secretary)
    pledge.title = "新的承诺事项"
    pledge.save()
    pledge.refresh_from_db()
    assert (pledge.title, pledge.status) == ("新的承诺事项", S.SUBMITTED)


@pytest.mark.django_db
def test_a_stale_copy_cannot_save_an_old_status_back(org):
    pledge = factories.make_pledge(branch=org.branch)
    stale = Pledge.objects.get(pk=pledge.pk)
    pledge.submit(org.secretary)
    stale.title = "改个标题"
    stale.save()  # the stale copy still reads draft; saving it must not write that back
    assert Pledge.objects.get(pk=pledge.pk).status == S.SUBMITTED
    assert Pledge.objects.get(pk=pledge.pk).title == "改个标题"


@pytest.mark.django_db
def test_creating_a_pledge_in_a_later_status_raises(org):
    with pytest.raises(StatusChangeRefused):
        factories.make_pledge(branch=org.branch, status=S.PUBLISHED)
    assert Pledge.objects.count() == 0


@pytest.mark.django_db
def test_queryset_update_of_status_raises(org):
    factories.make_pledge(branch=org.branch)
    with pytest.raises(StatusChangeRefused):
        Pledge.objects.update(status=S.PUBLISHED)
    with pytest.raises(StatusChangeRefused):
        Pledge.objects.bulk_update(list(Pledge.objects.all()), ["status"])
    assert list(Pledge.objects.values_list("status", flat=True)) == [S.DRAFT]


@pytest.mark.django_db
def test_transitions_are_append_only(org):
    pledge = factories.make_pledge(branch=org.branch)
    audit = pledge.submit(org.secretary)
    audit.note = "改写历史"
    with pytest.raises(StatusChangeRefused):
        audit.save()
    with pytest.raises(StatusChangeRefused):
        audit.delete()
    with pytest.raises(StatusChangeRefused):
        PledgeTransition.objects.filter(pk=audit.pk).update(note="x")
    with pytest.raises(StatusChangeRefused):
        PledgeTransition.objects.all().delete()
    assert PledgeTransition.objects.get(pk=audit.pk).note == ""


@pytest.mark.django_db
def test_a_second_identical_move_loses(org):
    """Two copies of the same pledge approved one after the other: the second finds the
    status already changed and is refused, leaving one audit row."""
    pledge = factories.walk_to(
        factories.make_pledge(branch=org.branch),
        S.SUBMITTED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    copy = Pledge.objects.get(pk=pledge.pk)
    pledge.approve(org.town_staff)
    with pytest.raises(TransitionNotAllowed):
        copy.approve(org.district_staff)
    assert PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.APPROVE).count() == 1


@pytest.mark.django_db
def test_conditional_update_reports_the_loser(org):
    """The conditional update is what decides a race where locks do nothing (SQLite)."""
    pledge = factories.make_pledge(branch=org.branch)
    rows = Pledge.objects.filter(pk=pledge.pk)
    assert rows._move_status(source=S.DRAFT, target=S.SUBMITTED) == 1
    assert rows._move_status(source=S.DRAFT, target=S.SUBMITTED) == 0


@pytest.mark.django_db
def test_withdrawing_a_pledge_reopens_the_needs_only_it_claimed(org):
    from pledges.enums import NeedStatus

    only_this = factories.make_need(org.branch, status=NeedStatus.CLAIMED)
    shared = factories.make_need(org.branch, status=NeedStatus.CLAIMED)
    pledge = factories.make_pledge(branch=org.branch)
    other = factories.make_pledge(branch=org.branch)
    pledge.needs.add(only_this, shared)
    other.needs.add(shared)

    pledge.withdraw(org.town_staff, reason="村里已另行解决")

    only_this.refresh_from_db()
    shared.refresh_from_db()
    assert (only_this.status, shared.status) == (NeedStatus.OPEN, NeedStatus.CLAIMED)


@pytest.mark.django_db
def test_amendments_are_append_only(org):
    from pledges.models import PledgeAmendment

    pledge = factories.make_pledge(branch=org.branch)
    amendment = PledgeAmendment.objects.create(
        pledge=pledge,
        field="title",
        old_value="旧",
        new_value="新",
        reason="笔误",
        actor=org.secretary,
    )
    amendment.new_value = "改写"
    with pytest.raises(StatusChangeRefused):
        amendment.save()
    with pytest.raises(StatusChangeRefused):
        amendment.delete()
    with pytest.raises(StatusChangeRefused):
        PledgeAmendment.objects.all().update(reason="x")
    assert PledgeAmendment.objects.get().new_value == "新"

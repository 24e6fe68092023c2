"""定诺 services: pledge_create and pledge_update, and the needs they claim and release."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from branches.enums import BranchKind
from branches.models import Pairing
from pledges.enums import NeedStatus, PledgeMove, PledgeStatus
from pledges.models import Need, Pledge, PledgeTransition, TimeNode
from pledges.services.drafting import pledge_create, pledge_update
from tests import factories

S = PledgeStatus


def fields(**extra):
    """A valid one-off pledge due ten days from today."""
    due = timezone.localdate() + datetime.timedelta(days=10)
    return {
        "title": "每月给村东生产路树木浇水一次",
        "content": "",
        "beneficiaries": "沿路农户",
        "category": "environment",
        "year": due.year,
        "due_date": due,
        "is_recurring": False,
        "rhythm": "",
        **extra,
    }


def node(days, description="节点"):
    return {
        "due_on": timezone.localdate() + datetime.timedelta(days=days),
        "description": description,
    }


def create(org, **extra):
    arguments = {
        "branch": org.branch,
        "member": None,
        "actor": org.secretary,
        "needs": [],
        "time_nodes": [],
        **extra,
    }
    field_values = fields(**{key: arguments.pop(key) for key in list(arguments) if key in fields()})
    return pledge_create(**arguments, **field_values)


def test_pledge_create_claims_its_needs_and_writes_time_nodes(org):
    first, second = factories.make_need(branch=org.branch), factories.make_need(branch=org.branch)
    pledge = create(org, needs=[first, second], time_nodes=[node(5, "第二次"), node(1, "第一次")])
    assert pledge.status == S.DRAFT
    assert pledge.owner_branch == org.branch
    assert set(pledge.needs.all()) == {first, second}
    assert set(Need.objects.values_list("status", flat=True)) == {NeedStatus.CLAIMED}
    assert list(pledge.time_nodes.values_list("description", flat=True)) == ["第一次", "第二次"]
    assert PledgeTransition.objects.count() == 0


def test_pledge_create_for_a_member_runs_in_the_member_branch(org):
    member = factories.make_member(org.branch, name="李荣花")
    pledge = create(org, member=member)
    assert (pledge.member, pledge.branch, pledge.owner_branch) == (member, None, org.branch)


def test_pledge_create_with_submit_moves_through_the_workflow(org):
    need = factories.make_need(branch=org.branch)
    pledge = create(org, needs=[need], time_nodes=[node(3, "走访")], submit=True)
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    audit = PledgeTransition.objects.get()
    assert (audit.move, audit.actor) == (PledgeMove.SUBMIT, org.secretary)
    assert audit.snapshot["needs"] == [need.description]
    assert len(audit.snapshot["time_nodes"]) == 1


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("other_branch_member", "承诺人须是本支部的党员。"),
        ("inactive_member", "该党员已不在册"),
        ("other_branch_need", "只能认领本支部或结对村需求清单中的需求。"),
        ("resolved_need", "已解决或已搁置，不能认领"),
        ("recurring_without_rhythm", "经常性承诺须选择频次"),
    ],
)
def test_pledge_create_refusals_leave_nothing(org, case, error):
    extra = {
        "other_branch_member": {"member": factories.make_member(org.other_branch)},
        "inactive_member": {"member": factories.make_member(org.branch, is_active=False)},
        "other_branch_need": {"needs": [factories.make_need(branch=org.other_branch)]},
        "resolved_need": {
            "needs": [factories.make_need(branch=org.branch, status=NeedStatus.RESOLVED)]
        },
        "recurring_without_rhythm": {"is_recurring": True},
    }[case]
    with pytest.raises(ValidationError) as raised:
        create(org, **extra)
    assert error in " ".join(raised.value.messages)
    assert Pledge.objects.count() == 0
    assert not Need.objects.filter(status=NeedStatus.CLAIMED).exists()


@pytest.mark.parametrize(("paired_year_offset", "allowed"), [(0, True), (-1, False)])
def test_an_office_branch_claims_the_needs_of_the_village_it_is_paired_with(
    org, paired_year_offset, allowed
):
    """结对共建: an office branch's pledge answers its paired village's needs list, in the
    year of the pairing only."""
    office = factories.make_branch(
        org.town,
        name="机关党支部",
        kind=BranchKind.GOVERNMENT_OFFICE,
        secretary=factories.make_user("jiguan"),
    )
    year = fields()["year"]
    Pairing.objects.create(
        office_branch=office, village_branch=org.branch, year=year + paired_year_offset
    )
    need = factories.make_need(branch=org.branch)
    arguments = {"branch": office, "actor": office.secretary, "needs": [need]}
    if not allowed:
        with pytest.raises(ValidationError, match="结对村"):
            create(org, **arguments)
        return
    pledge = create(org, **arguments)
    assert list(pledge.needs.all()) == [need]
    need.refresh_from_db()
    assert need.status == NeedStatus.CLAIMED


@pytest.mark.parametrize("who", ["other_secretary", "town_staff", "district_staff"])
def test_pledge_create_refused_for_anyone_but_the_secretary(org, who):
    with pytest.raises(PermissionDenied):
        create(org, actor=getattr(org, who))
    assert Pledge.objects.count() == 0


def test_pledge_create_is_one_transaction(org):
    """A row that fails after the pledge is written takes the pledge and claims with it."""
    need = factories.make_need(branch=org.branch)
    with pytest.raises(IntegrityError):
        create(org, needs=[need], time_nodes=[{"due_on": None, "description": "无日期"}])
    assert Pledge.objects.count() == 0
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN


def _update(org, pledge, **extra):
    arguments = {
        "pledge": pledge,
        "member": None,
        "actor": org.secretary,
        "needs": [],
        "time_nodes": [],
        **extra,
    }
    field_values = fields(**{key: arguments.pop(key) for key in list(arguments) if key in fields()})
    return pledge_update(**arguments, **field_values)


def test_pledge_update_releases_a_need_no_one_else_claims(org):
    alone, shared, added = (factories.make_need(branch=org.branch) for _ in range(3))
    pledge = create(org, needs=[alone, shared])
    create(org, needs=[shared])
    _update(org, pledge, needs=[added], title="新的承诺事项")
    statuses = dict(Need.objects.values_list("pk", "status"))
    assert statuses == {
        alone.pk: NeedStatus.OPEN,
        shared.pk: NeedStatus.CLAIMED,
        added.pk: NeedStatus.CLAIMED,
    }
    pledge.refresh_from_db()
    assert pledge.title == "新的承诺事项"


def test_pledge_update_replaces_the_time_nodes_and_may_change_the_pledger(org):
    member = factories.make_member(org.branch)
    pledge = create(org, time_nodes=[node(1, "旧节点")])
    _update(org, pledge, member=member, time_nodes=[node(2, "新节点")])
    pledge.refresh_from_db()
    assert (pledge.member, pledge.branch, pledge.owner_branch) == (member, None, org.branch)
    assert list(TimeNode.objects.values_list("description", flat=True)) == ["新节点"]


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.PUBLISHED, S.WITHDRAWN])
def test_pledge_update_refused_once_locked(org, status):
    pledge = factories.walk_to(create(org), status, secretary=org.secretary, staff=org.town_staff)
    with pytest.raises(ValidationError) as raised:
        _update(org, pledge, title="偷偷改掉")
    assert "已锁定，不能修改" in raised.value.messages[0]
    pledge.refresh_from_db()
    assert pledge.title == "每月给村东生产路树木浇水一次"


def test_pledge_update_resubmits_a_returned_pledge(org):
    pledge = factories.walk_to(
        create(org), S.RETURNED, secretary=org.secretary, staff=org.town_staff
    )
    _update(org, pledge, title="按意见修改后的承诺", submit=True)
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    assert PledgeTransition.objects.filter(move=PledgeMove.SUBMIT).count() == 2


def test_pledge_update_keeps_an_inactive_member_who_already_holds_it(org):
    member = factories.make_member(org.branch)
    pledge = create(org, member=member)
    member.is_active = False
    member.save()
    _update(org, pledge, member=member, title="仍是原承诺人")
    pledge.refresh_from_db()
    assert pledge.member == member

"""Test factories: each builds a valid object with sensible defaults; pass what matters."""

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from branches.enums import BranchKind, CommitteeKind, Gender, StaffRole
from branches.models import Branch, Committee, CommitteeStaff, Member
from pledges.enums import NeedCategory, NeedSource, PledgeStatus
from pledges.models import Need, Pledge
from pledges.workflow import MOVES

_sequence = itertools.count(1)


def make_user(username=None, **extra):
    username = username or f"user{next(_sequence)}"
    return get_user_model().objects.create_user(username=username, password="pw-12345678", **extra)


def make_committee(name=None, parent=None, kind=CommitteeKind.TOWN):
    return Committee.objects.create(name=name or f"党委{next(_sequence)}", parent=parent, kind=kind)


def make_branch(committee=None, secretary=None, name=None, kind=BranchKind.VILLAGE, **extra):
    committee = committee or make_committee()
    return Branch.objects.create(
        name=name or f"支部{next(_sequence)}",
        kind=kind,
        committee=committee,
        secretary=secretary,
        village=extra.pop("village", "某村"),
        **extra,
    )


def make_member(branch=None, name=None, **extra):
    return Member.objects.create(
        branch=branch or make_branch(),
        name=name or f"党员{next(_sequence)}",
        gender=extra.pop("gender", Gender.FEMALE),
        **extra,
    )


def make_staff(committee, user=None, role=StaffRole.REVIEW):
    user = user or make_user()
    CommitteeStaff.objects.create(user=user, committee=committee, role=role)
    return user


def make_organiser(committee, user=None):
    """Organisation staff (组织部门管理员) of the committee's subtree."""
    return make_staff(committee, user, role=StaffRole.ORGANISATION)


def make_need(branch=None, **extra):
    return Need.objects.create(
        branch=branch or make_branch(),
        description=extra.pop("description", "村东生产路树木缺人浇水"),
        category=extra.pop("category", NeedCategory.ENVIRONMENT),
        source=extra.pop("source", NeedSource.HOME_VISIT),
        **extra,
    )


def make_pledge(branch=None, member=None, **extra):
    if branch is None and member is None:
        branch = make_branch()
    return Pledge.objects.create(
        branch=branch,
        member=member,
        title=extra.pop("title", "每月给村东生产路树木浇水一次"),
        category=extra.pop("category", NeedCategory.ENVIRONMENT),
        year=extra.pop("year", timezone.localdate().year),
        due_date=extra.pop("due_date", datetime.date(timezone.localdate().year, 12, 31)),
        **extra,
    )


# The shortest path of moves from draft to each status, used to put a pledge there.
PATH_TO_STATUS = {
    PledgeStatus.DRAFT: [],
    PledgeStatus.SUBMITTED: ["submit"],
    PledgeStatus.RETURNED: ["submit", "return_for_revision"],
    PledgeStatus.APPROVED: ["submit", "approve"],
    PledgeStatus.PUBLISHED: ["submit", "approve", "publish"],
    PledgeStatus.IN_PROGRESS: ["submit", "approve", "publish", "start"],
    PledgeStatus.COMPLETED: ["submit", "approve", "publish", "start", "complete"],
    PledgeStatus.VERIFIED: ["submit", "approve", "publish", "start", "complete", "verify"],
    PledgeStatus.EVALUATED: [
        "submit",
        "approve",
        "publish",
        "start",
        "complete",
        "verify",
        "evaluate",
    ],
    PledgeStatus.WITHDRAWN: ["withdraw"],
}


def walk_to(pledge, status, *, secretary, staff):
    """Move a pledge along the real workflow until it reaches `status`."""
    from pledges.enums import ActorRole, PledgeMove

    for name in PATH_TO_STATUS[PledgeStatus(status)]:
        spec = MOVES[PledgeMove(name)]
        actor = secretary if spec.role == ActorRole.BRANCH_SECRETARY else staff
        method = getattr(pledge, name)
        if spec.needs_reason:
            method(actor, reason="测试原因")
        else:
            method(actor)
    return pledge

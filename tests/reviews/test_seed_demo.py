"""The demo data set of `manage.py seed_demo`, checked against the article's numbers.

The seed runs once for the module (about two seconds); each test reads it inside its
own rolled-back transaction, and the module's teardown empties the database again.
"""

import datetime
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.test import override_settings
from django.utils import timezone

from branches.enums import BranchKind, CommitteeKind, ExemptionReason, Gender
from branches.models import Branch, Committee, CommitteeStaff, Member, Pairing
from branches.permissions import (
    is_branch_secretary,
    is_district_staff,
    is_organisation_staff,
    is_organisation_staff_over,
    is_upper_staff,
    staff_committee_paths,
)
from pledges.enums import ActorRole, NeedStatus, PledgeMove, PledgeStatus, Rhythm
from pledges.models import Feedback, Need, Pledge, PledgeTransition, ProgressRecord, TimeNode
from pledges.workflow import DONE_STATUSES, TRANSITIONS
from reviews.demo import build_demo, wipe_all_data
from reviews.demo.context import Clock
from reviews.demo.plan import district_plans
from reviews.demo.pledging import status_weights
from reviews.models import BranchGrade, MonthlyReport, PointsEntry, YearEndEvaluation
from tests.factories import PATH_TO_STATUS

DEMO_LOGINS = ["admin", "district", "jishi", "zuzhi", "fanzhai", "jishicun"]
ROOT = "漯河市城乡一体化示范区党工委"
OFFICE = "示范区党政综合办公室党支部"
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    # The same fast hasher as conftest's function-scoped fixture, which runs too late here.
    hashers = override_settings(PASSWORD_HASHERS=[FAST_HASHER])
    with django_db_blocker.unblock(), hashers:
        output = StringIO()
        call_command("seed_demo", stdout=output)
        yield output.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seeded(seed_output, db):
    return seed_output


def test_seed_demo_builds_the_article_district(seeded):
    root = Committee.objects.get(parent=None)
    assert (root.name, root.kind) == (ROOT, CommitteeKind.WORKING_COMMITTEE)
    assert set(root.children.values_list("name", flat=True)) == {
        "姬石镇党委",
        "老窝镇党委",
        "机关事业党委",
        "两新组织党委",
    }
    assert Branch.objects.count() == 53
    # Every kind the article names; its district has no urban community (社区) branch.
    article_kinds = set(BranchKind.values) - {BranchKind.COMMUNITY}
    assert set(Branch.objects.values_list("kind", flat=True)) == article_kinds
    fanzhai = Branch.objects.get(name="范寨村党支部")
    assert (fanzhai.kind, fanzhai.village, fanzhai.committee.name) == (
        BranchKind.VILLAGE,
        "范寨村",
        "姬石镇党委",
    )
    assert Branch.objects.get(name="姬石村党支部").committee.name == "姬石镇党委"
    office = Branch.objects.get(name=OFFICE)
    assert (office.kind, office.committee.name) == (BranchKind.GOVERNMENT_OFFICE, "机关事业党委")
    assert Pairing.objects.filter(
        office_branch=office, village_branch=fanzhai, year=timezone.localdate().year
    ).exists()
    assert Branch.objects.filter(secretary__isnull=True).count() == 0


def test_seed_demo_members_match_the_article(seeded):
    assert 1500 <= Member.objects.count() <= 1700
    assert Member.objects.filter(branch__name="范寨村党支部").count() == 71
    jishi = Member.objects.filter(branch__name="姬石村党支部")
    assert jishi.count() == 64
    assert jishi.filter(pledges__isnull=False).distinct().count() == 42
    assert jishi.filter(is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE).count() == 22
    assert jishi.filter(is_exempt=True, pledges__isnull=False).count() == 0
    assert Member.objects.filter(is_active=False).exists()
    assert Member.objects.exclude(branch__name="姬石村党支部").filter(is_exempt=True).exists()
    year = timezone.localdate().year
    li = jishi.get(name="李荣花")
    assert (li.gender, year - li.birth_year) == (Gender.FEMALE, 58)
    this_year = li.pledges.filter(year=year)
    assert list(this_year.values_list("title", "is_recurring", "rhythm")) == [
        ("每月给村东生产路树木浇水一次", True, Rhythm.MONTHLY)
    ]
    ji = jishi.get(name="姬国胜")
    assert (ji.gender, year - ji.birth_year) == (Gender.MALE, 74)
    assert list(ji.pledges.filter(year=year).values_list("title", "rhythm")) == [
        ("每年对村内的花草树木修剪一至两次", Rhythm.YEARLY)
    ]


def test_seed_demo_pledges_are_mostly_done_and_demo_branches_hold_every_status(seeded):
    year = timezone.localdate().year
    last_year = Pledge.objects.filter(year=year - 1)
    assert last_year.count() >= 2000
    # 83% done by the year end, as the article reports.
    assert last_year.filter(status__in=DONE_STATUSES).count() / last_year.count() >= 0.80
    this_year = Pledge.objects.filter(year=year)
    assert this_year.count() >= 2000
    # Every status the year has reached so far, in each demo branch.
    reached = set(status_weights(Clock.around(timezone.localtime()), branch_pledge=False))
    for name in ("范寨村党支部", "姬石村党支部"):
        statuses = set(this_year.filter(owner_branch__name=name).values_list("status", flat=True))
        assert reached <= statuses, name
    # Every pledge belongs to the branch that runs it: its own, or its member's.
    assert not Pledge.objects.exclude(branch=None).exclude(owner_branch=F("branch")).exists()
    members_pledges = Pledge.objects.exclude(member=None)
    assert not members_pledges.exclude(owner_branch=F("member__branch")).exists()
    office_pledges = this_year.filter(branch__name=OFFICE)
    assert office_pledges.count() == 6
    assert set(office_pledges.values_list("needs__branch__name", flat=True)) == {"范寨村党支部"}
    wells = office_pledges.get(title__contains="机井")
    assert wells.needs.get().raised_by == "四组村民张喜民"
    assert "13" in " ".join(wells.progress_records.values_list("description", flat=True))
    jishi_branch_pledges = this_year.filter(branch__name="姬石村党支部")
    assert jishi_branch_pledges.count() == 4
    assert jishi_branch_pledges.filter(title="完成户厕改造340户").exists()


def test_seed_demo_histories_follow_the_workflow(seeded):
    transitions = PledgeTransition.objects.filter(pledge=OuterRef("pk"))
    pledges = Pledge.objects.annotate(
        last_status=Subquery(transitions.order_by("-created_at").values("to_status")[:1]),
        first_source=Subquery(transitions.order_by("created_at").values("from_status")[:1]),
    )
    assert pledges.filter(status=PledgeStatus.DRAFT, last_status__isnull=False).count() == 0
    moved = pledges.exclude(status=PledgeStatus.DRAFT)
    assert moved.exclude(last_status=F("status")).count() == 0
    assert moved.exclude(first_source=PledgeStatus.DRAFT).count() == 0

    # Each row starts where the one before it ended.
    previous = PledgeTransition.objects.filter(
        pledge=OuterRef("pledge"), created_at__lt=OuterRef("created_at")
    ).order_by("-created_at")
    chained = PledgeTransition.objects.annotate(
        previous_status=Subquery(previous.values("to_status")[:1])
    )
    after_another = chained.filter(previous_status__isnull=False)
    assert not after_another.exclude(from_status=F("previous_status")).exists()
    for move, source, target in PledgeTransition.objects.values_list(
        "move", "from_status", "to_status"
    ).distinct():
        assert TRANSITIONS[(source, target)].name == move

    # One row per move of the path: the shortest, plus two per send-back before approval.
    lengths = Pledge.objects.annotate(
        moves=Count("transitions"),
        returns=Count("transitions", filter=Q(transitions__move=PledgeMove.RETURN_FOR_REVISION)),
    ).values_list("status", "moves", "returns")
    for status, moves, returns in lengths:
        if status == PledgeStatus.WITHDRAWN:
            assert 1 <= moves - 2 * returns <= 5
            continue
        own_return = 1 if status == PledgeStatus.RETURNED else 0
        assert moves == len(PATH_TO_STATUS[status]) + 2 * (returns - own_return)

    secretary_moves = PledgeTransition.objects.filter(actor_role=ActorRole.BRANCH_SECRETARY)
    assert secretary_moves.exclude(actor=F("pledge__owner_branch__secretary")).count() == 0
    staff_of_committee = CommitteeStaff.objects.filter(
        user=OuterRef("actor"), committee=OuterRef("pledge__owner_branch__committee")
    )
    staff_moves = PledgeTransition.objects.filter(actor_role=ActorRole.UPPER_STAFF)
    assert staff_moves.filter(~Exists(staff_of_committee)).count() == 0
    reasoned = [PledgeMove.RETURN_FOR_REVISION, PledgeMove.WITHDRAW]
    assert PledgeTransition.objects.filter(move__in=reasoned, note="").count() == 0
    assert not PledgeTransition.objects.filter(created_at__gt=timezone.now()).exists()


def test_seed_demo_needs_time_nodes_progress_and_reports(seeded):
    # Needs move as the people moved them: every status in the district, and in each
    # demo branch.
    assert set(Need.objects.values_list("status", flat=True)) == set(NeedStatus.values)
    for name in ("范寨村党支部", "姬石村党支部"):
        statuses = set(Need.objects.filter(branch__name=name).values_list("status", flat=True))
        assert statuses == set(NeedStatus.values), name
    this_year = Pledge.objects.filter(year=timezone.localdate().year)
    linked = this_year.filter(needs__isnull=False).distinct().count()
    assert linked >= 0.8 * this_year.count()
    links = Pledge.needs.through.objects.all()
    assert not links.filter(need__created_at__gt=F("pledge__created_at")).exists()
    # An open need has no pledge answering it, except a withdrawn one.
    open_needs = Need.objects.filter(status=NeedStatus.OPEN, pledges__isnull=False)
    assert not open_needs.exclude(pledges__status=PledgeStatus.WITHDRAWN).exists()

    assert TimeNode.objects.count() == 2 * Pledge.objects.count()
    started = [PledgeStatus.IN_PROGRESS, *DONE_STATUSES]
    assert Pledge.objects.filter(status__in=started, progress_records__isnull=True).count() == 0
    records = ProgressRecord.objects.all()
    assert not records.exclude(pledge__status__in=[*started, PledgeStatus.WITHDRAWN]).exists()
    assert not records.exclude(recorded_by=F("pledge__owner_branch__secretary")).exists()

    # Every month of last year, and of this year those whose theme party day came.
    reports = MonthlyReport.objects.order_by("month")
    months = list(reports.values_list("month", flat=True).distinct())
    assert len(months) >= 12
    assert all(month.day == 1 and month <= timezone.localdate() for month in months)
    active = Member.objects.filter(is_active=True).count()
    assert 0.95 * len(months) * active <= MonthlyReport.objects.count() <= len(months) * active
    assert MonthlyReport.objects.exclude(recorded_by=F("member__branch__secretary")).count() == 0


def test_seed_demo_logins_authenticate_with_their_roles(seeded):
    users = {name: authenticate(username=name, password="demo12345") for name in DEMO_LOGINS}
    assert all(users.values()), users
    admin = users["admin"]
    assert admin.is_superuser and is_district_staff(admin)
    assert is_district_staff(users["district"])
    jishi_town = Committee.objects.get(name="姬石镇党委")
    assert CommitteeStaff.objects.filter(user=users["jishi"], committee=jishi_town).exists()
    assert not is_district_staff(users["jishi"])
    fanzhai = Branch.objects.get(name="范寨村党支部")
    jishi_village = Branch.objects.get(name="姬石村党支部")
    assert is_branch_secretary(users["fanzhai"], fanzhai)
    assert is_branch_secretary(users["jishicun"], jishi_village)
    assert is_upper_staff(users["jishi"], fanzhai)
    assert not is_upper_staff(users["jishi"], Branch.objects.get(name=OFFICE))
    assert users["fanzhai"].get_full_name().replace(" ", "") in ("彦军王", "王彦军")
    # zuzhi keeps the whole district's organisation and reviews nothing.
    root = Committee.objects.get(parent=None)
    assert is_organisation_staff_over(users["zuzhi"], root)
    assert not staff_committee_paths(users["zuzhi"])
    assert not is_organisation_staff(users["district"])
    others = get_user_model().objects.exclude(username__in=DEMO_LOGINS)
    role_users = Branch.objects.count() + Committee.objects.count()  # secretaries and staff
    assert others.count() == role_users - 4  # district, jishi, fanzhai, jishicun
    assert not any(user.has_usable_password() for user in others)
    demo_users = get_user_model().objects.filter(username__in=DEMO_LOGINS)
    assert demo_users.values("password").distinct().count() == 1  # hashed once


def test_seed_demo_prints_the_logins(seeded):
    assert "演示账号" in seeded
    for name in DEMO_LOGINS:
        assert f"{name}" in seeded
    assert "demo12345" in seeded


def test_seed_demo_refuses_a_database_with_data(seeded):
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", stdout=StringIO())
    assert Branch.objects.count() == 53


def test_seed_demo_if_empty_leaves_existing_data_alone(seeded):
    def counts():
        return [model.objects.count() for model in (Member, Pledge, PledgeTransition)]

    before = counts()
    output = StringIO()
    call_command("seed_demo", "--if-empty", stdout=output)
    assert counts() == before
    assert "fanzhai" in output.getvalue()


def _fingerprint(*, with_dates=True):
    """What must not change between two runs: people, pledges, needs and row counts."""
    member_fields = ["name", "gender", "phone", "is_exempt"]
    pledge_fields = ["owner_branch__name", "title", "status", "is_recurring"]
    if with_dates:
        member_fields.append("birth_year")
        pledge_fields.append("due_date")
    return (
        list(Member.objects.filter(branch__name="范寨村党支部").values_list(*member_fields)),
        list(Pledge.objects.order_by(*pledge_fields).values_list(*pledge_fields)),
        list(
            Need.objects.order_by("branch__name", "description", "raised_by", "status").values_list(
                "branch__name", "description", "raised_by", "status"
            )
        ),
        [
            model.objects.count()
            for model in (Pledge.needs.through, PledgeTransition, TimeNode, ProgressRecord)
        ],
        MonthlyReport.objects.count(),
        _tokens(),
    )


def _tokens():
    """(branch, member or "", token) of every printed code."""
    branches = Branch.objects.values_list("name", "public_token")
    members = Member.objects.values_list("branch__name", "name", "public_token")
    return sorted([(name, "", token) for name, token in branches] + list(members))


def test_seed_demo_tokens_are_the_same_after_a_flush(seeded):
    before = _tokens()
    assert len({token for _branch, _member, token in before}) == len(before)
    wipe_all_data()
    build_demo(scale=1, play=False)  # the codes come before the year is written
    assert _tokens() == before


# A digit with a Chinese unit ("3十盏") or a Chinese numeral with a digit ("十3").
MIXED_NUMERAL = re.compile(r"\d[十百千万亿]|[〇一二三四五六七八九十百千万两]\d")


def test_seed_demo_writes_numbers_as_chinese_does(seeded):
    texts = [
        *Pledge.objects.values_list("title", flat=True),
        *Pledge.objects.values_list("content", flat=True),
        *Pledge.objects.values_list("beneficiaries", flat=True),
        *Need.objects.values_list("description", flat=True),
        *ProgressRecord.objects.values_list("description", flat=True),
        *MonthlyReport.objects.values_list("service_done", flat=True),
    ]
    assert [text for text in texts if MIXED_NUMERAL.search(text)] == []
    assert Pledge.objects.filter(title__regex=r"路灯[0-9]+0盏").exists()


def test_seed_demo_needs_are_listed_once_and_claimed_by_their_subject(seeded):
    live = Need.objects.filter(status__in=[NeedStatus.OPEN, NeedStatus.CLAIMED])
    repeated = live.values("branch", "description").annotate(lines=Count("pk"))
    assert list(repeated.filter(lines__gt=1)) == []
    # The builder's relation: a pledge claims a need of its own category, on the list
    # of the branch it serves (its own; an office branch's pledges, its paired village's).
    links = Pledge.needs.through.objects.all()
    assert links.exclude(need__category=F("pledge__category")).count() == 0
    paired = Pairing.objects.filter(
        office_branch=OuterRef("pledge__owner_branch"), village_branch=OuterRef("need__branch")
    )
    elsewhere = links.exclude(need__branch=F("pledge__owner_branch"))
    assert elsewhere.exclude(Exists(paired)).count() == 0
    assert not elsewhere.exclude(pledge__member=None).exists()


def test_seed_demo_reset_rebuilds_the_same_data(seeded):
    before = _fingerprint()
    call_command("seed_demo", "--reset", stdout=StringIO())
    assert _fingerprint() == before
    assert Branch.objects.count() == 53


def test_seed_demo_builds_the_same_people_and_codes_on_another_day(seeded):
    """Statuses follow where the year stands; who is who, and the printed codes, do not."""
    before = _people()
    wipe_all_data()
    build_demo(scale=1, now=timezone.now() - datetime.timedelta(days=123), play=False)
    assert _people() == before


def _people():
    members = Member.objects.order_by("branch__name", "name", "gender")
    return (
        list(members.values_list("branch__name", "name", "gender", "phone", "is_exempt")),
        list(Branch.objects.order_by("name").values_list("name", "kind", "village")),
        _tokens(),
    )


def test_seed_demo_dates_are_in_the_demo_years(seeded):
    year = timezone.localdate().year
    assert set(Pledge.objects.values_list("year", flat=True)) == {year - 1, year}
    done = Pledge.objects.filter(status__in=DONE_STATUSES)
    last_complete = PledgeTransition.objects.filter(move=PledgeMove.COMPLETE).latest("created_at")
    assert last_complete.created_at.date() < timezone.localdate()
    unticked = done.filter(time_nodes__done_on__isnull=True, time_nodes__due_on=F("due_date"))
    assert not unticked.exists()
    for pledge_year in (year - 1, year):
        written = Pledge.objects.filter(year=pledge_year)
        # Written in the year, or late in the year before when the year is young.
        assert not written.filter(created_at__year__lt=pledge_year - 1).exists()
        assert not written.filter(created_at__year__gt=pledge_year).exists()
    assert not PledgeTransition.objects.filter(created_at__lt=F("pledge__created_at")).exists()
    assert not ProgressRecord.objects.filter(happened_on__gte=timezone.localdate()).exists()


def test_seed_demo_plan_at_province_scale_keeps_named_branches_unique():
    plans = district_plans(100)
    names = [branch.name for plan in plans for branch in plan.branches]
    assert len(names) == 5300
    for named in ("范寨村党支部", "姬石村党支部", OFFICE):
        assert names.count(named) == 1, named
    assert all(len(plan.branches) == 53 for plan in plans)
    members = sum(branch.member_count for plan in plans for branch in plan.branches)
    assert 155_000 <= members <= 165_000
    assert len({plan.area for plan in plans}) == 100
    for plan in plans:  # branch names are unique within their committee (a DB constraint)
        keys = [(branch.committee_key, branch.name) for branch in plan.branches]
        assert len(keys) == len(set(keys)), plan.area


@pytest.mark.parametrize(
    "arguments, message",
    [(["--scale", "0"], "--scale"), (["--reset", "--if-empty"], "--if-empty")],
)
def test_seed_demo_rejects_contradictory_arguments(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *arguments, stdout=StringIO())


def test_seed_demo_plays_the_year_end_once_december_has_come(seeded):
    """Seeded after the year-end sessions, the year under way is evaluated through the
    services too: villagers' feedback, ratings, confirmation, publication with points and
    grades. (Last in the module: it leaves the database seeded on another day.)"""
    year = timezone.localdate().year
    wipe_all_data()
    build_demo(scale=1, now=timezone.make_aware(datetime.datetime(year, 12, 30, 10)))
    evaluated = Pledge.objects.filter(year=year, status=PledgeStatus.EVALUATED)
    assert evaluated.count() >= 0.6 * Pledge.objects.filter(year=year).count()
    assert not Pledge.objects.filter(year=year, status=PledgeStatus.VERIFIED).exists()
    published = YearEndEvaluation.objects.filter(year=year, is_published=True)
    assert published.count() == evaluated.count()
    assert Feedback.objects.filter(pledge__year=year).count() >= evaluated.count()
    assert BranchGrade.objects.filter(year=year).count() == 53
    assert PointsEntry.objects.filter(year=year, points__gt=0).exists()

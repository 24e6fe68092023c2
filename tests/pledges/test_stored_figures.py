"""The stored figures never drift: after every kind of change they equal a fresh count of
the source rows by the definitions of pledges.figures."""

import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import Branch, Member
from branches.signals import rolls_changed
from pledges.enums import NeedCategory, PledgeMove, PledgeStatus
from pledges.figures import LIVE, branches_with_figures
from pledges.figures.stored import (
    stored_figures_deferred,
    stored_figures_rebuild,
)
from pledges.models import Pledge, PledgeTransition
from pledges.stored_figures import QUARTERS, STATUS_COLUMNS, BranchYearFigures, PledgeTally
from tests import factories

pytestmark = pytest.mark.django_db

S = PledgeStatus
YEAR = timezone.localdate().year
DUE = tuple(f"due_q{quarter}" for quarter in QUARTERS)


def stored() -> tuple[dict, dict]:
    tallies = {
        (tally.branch_id, tally.year, tally.category): tuple(
            getattr(tally, name) for name in (*STATUS_COLUMNS, *DUE)
        )
        for tally in PledgeTally.objects.all()
    }
    figures = {
        (row.branch_id, row.year): (
            row.pledges_total,
            row.pledges_done,
            row.pledged_members,
            row.covered_members,
            *(getattr(row, f"completed_q{q}") for q in QUARTERS),
        )
        for row in BranchYearFigures.objects.all()
        if any(
            (row.pledges_total, row.pledged_members, row.completed_q1, row.completed_q2)
            + (row.completed_q3, row.completed_q4)
        )
    }
    return tallies, figures


def fresh() -> tuple[dict, dict]:
    """The same figures counted row by row in Python, and the branch figures of every year
    by the live definition (branches_with_figures)."""
    counted = {}
    for pledge in Pledge.objects.all():
        key = (pledge.owner_branch_id, pledge.year, pledge.category)
        counts = counted.setdefault(key, dict.fromkeys((*STATUS_COLUMNS, *DUE), 0))
        counts[pledge.status] += 1
        if pledge.status in LIVE.statuses and pledge.due_date.year == pledge.year:
            counts[DUE[(pledge.due_date.month - 1) // 3]] += 1
    tallies = {key: tuple(counts.values()) for key, counts in counted.items()}

    years = set(Pledge.objects.values_list("year", flat=True))
    completions = Counter()
    for move in PledgeTransition.objects.filter(move=PledgeMove.COMPLETE).select_related("pledge"):
        moment = timezone.localtime(move.created_at)
        completions[(move.pledge.owner_branch_id, moment.year, (moment.month - 1) // 3)] += 1
    years |= {year for _branch, year, _quarter in completions}

    figures = {}
    for year in years:
        with time_machine.travel(datetime.datetime(year, 6, 1, 12, tzinfo=datetime.UTC)):
            rows = branches_with_figures(
                Branch.objects.all(), pledge_set=LIVE, today=datetime.date(year, 6, 1)
            )
            for branch in rows:
                done = [completions[(branch.pk, year, quarter)] for quarter in range(4)]
                value = (
                    branch.pledges_total,
                    branch.pledges_done,
                    branch.pledged_members,
                    branch.covered_members,
                    *done,
                )
                if branch.pledges_total or branch.pledged_members or any(done):
                    figures[(branch.pk, year)] = value
    return tallies, figures


@pytest.fixture
def district():
    committee = factories.make_committee()
    staff = factories.make_staff(committee)
    first = factories.make_branch(committee=committee, secretary=factories.make_user())
    second = factories.make_branch(committee=committee, secretary=factories.make_user())
    return {"staff": staff, "first": first, "second": second}


def walked(pledge, status, district):
    return factories.walk_to(
        pledge, status, secretary=pledge.owner_branch.secretary, staff=district["staff"]
    )


def test_every_status_counts_as_a_fresh_count(district):
    for index, status in enumerate(S):
        exempt = {"is_exempt": True, "exemption_reason": "old_age"} if index % 3 == 0 else {}
        member = factories.make_member(branch=district["first"], **exempt)
        pledge = factories.make_pledge(
            member=member,
            category=list(NeedCategory)[index % len(NeedCategory)],
            due_date=datetime.date(YEAR, 1 + index, 10),
        )
        walked(pledge, status, district)
        walked(factories.make_pledge(branch=district["second"]), status, district)
    assert stored() == fresh()
    assert PledgeTally.objects.filter(completed__gt=0).exists()


@pytest.mark.parametrize(
    "change",
    [
        "category",
        "due_date_to_next_year",
        "year",
        "member_to_other_branch_member",
        "delete_draft",
    ],
)
def test_editing_a_pledge_moves_its_counts(district, change):
    member = factories.make_member(branch=district["first"])
    other = factories.make_member(branch=district["second"])
    pledge = factories.make_pledge(member=member, due_date=datetime.date(YEAR, 3, 1))
    walked(factories.make_pledge(member=member), S.PUBLISHED, district)
    if change == "category":
        pledge.category = NeedCategory.INFRASTRUCTURE
    elif change == "due_date_to_next_year":
        pledge.due_date = datetime.date(YEAR + 1, 2, 1)
    elif change == "year":
        pledge.year = YEAR + 1
    elif change == "member_to_other_branch_member":
        pledge.member = other
        pledge.owner_branch_id = None
    if change == "delete_draft":
        pledge.delete()
    else:
        pledge.save()
        walked(pledge, S.SUBMITTED, district)
    assert stored() == fresh()


@pytest.mark.parametrize("change", ["move_branch", "leave_roll", "become_exempt"])
def test_a_member_change_moves_the_member_counts(district, change):
    member = factories.make_member(branch=district["first"])
    walked(factories.make_pledge(member=member), S.IN_PROGRESS, district)
    if change == "move_branch":
        member.branch = district["second"]
    elif change == "leave_roll":
        member.is_active = False
    else:
        member.is_exempt = True
        member.exemption_reason = "illness"
    member.save()
    tallies, figures = stored()
    assert (tallies, figures) == fresh()
    if change == "move_branch":
        # The pledge stays with the branch that watched it; the member counts at the new one.
        assert figures[(district["first"].pk, YEAR)][:3] == (1, 0, 0)
        assert figures[(district["second"].pk, YEAR)][:3] == (0, 0, 1)


def test_a_roster_written_in_bulk_names_its_branches(district):
    member = factories.make_member(branch=district["first"])
    walked(factories.make_pledge(member=member), S.APPROVED, district)
    Member.objects.filter(pk=member.pk).update(is_active=False)  # no signal, as an import
    assert stored() != fresh()
    rolls_changed.send(sender=Member, branch_ids={district["first"].pk})
    assert stored() == fresh()


def test_a_completion_counts_in_the_year_and_quarter_it_was_made(district):
    pledge = factories.make_pledge(
        branch=district["first"], year=YEAR - 1, due_date=datetime.date(YEAR - 1, 12, 1)
    )
    walked(pledge, S.IN_PROGRESS, district)
    with time_machine.travel(timezone.make_aware(datetime.datetime(YEAR, 2, 3, 10)), tick=False):
        pledge.complete(district["first"].secretary)
    tallies, figures = stored()
    assert (tallies, figures) == fresh()
    assert figures[(district["first"].pk, YEAR)][4:] == (1, 0, 0, 0)
    assert figures[(district["first"].pk, YEAR - 1)][:2] == (1, 1)


def test_deferred_changes_are_counted_once_on_leaving(district):
    with stored_figures_deferred():
        for status in (S.SUBMITTED, S.PUBLISHED, S.COMPLETED):
            walked(factories.make_pledge(branch=district["first"]), status, district)
        assert not PledgeTally.objects.exists()
    assert stored() == fresh()


def test_a_rebuild_gives_the_same_rows(district):
    for status in (S.DRAFT, S.RETURNED, S.VERIFIED, S.WITHDRAWN):
        walked(factories.make_pledge(branch=district["second"]), status, district)
    before = stored()
    PledgeTally.objects.all().delete()
    stored_figures_rebuild()
    assert stored() == before == fresh()


def test_a_save_that_changes_only_words_counts_nothing_again(district):
    pledge = factories.make_pledge(branch=district["first"])
    pledge.title = "每周给村东生产路树木浇水一次"
    with CaptureQueriesContext(connection) as queries:
        pledge.save()
    assert queries.captured_queries
    assert not [q for q in queries.captured_queries if "pledges_pledgetally" in q["sql"]]


def test_every_status_has_its_column():
    columns = {field.name for field in PledgeTally._meta.get_fields()}
    assert set(S.values) <= columns
    assert set(STATUS_COLUMNS) == set(S.values)


def test_refresh_figures_counts_everything_again(district):
    walked(factories.make_pledge(branch=district["first"]), S.IN_PROGRESS, district)
    BranchYearFigures.objects.update(pledges_total=99)  # as an edit outside the application
    assert stored() != fresh()
    out = io.StringIO()
    call_command("refresh_figures", stdout=out)
    assert stored() == fresh()
    assert "已重新统计" in out.getvalue()

"""The /work/ home's drawn sections (reviews.views.home): kept in the cache under the
branches' workspace stamp and the day, and never showing less than a fresh drawing.

Each change below is one a person makes through the product; after it, the page served
from the cache must equal the page drawn afresh, and must have changed.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from branches.kept import forget_kept_in_worker
from branches.models import Branch, Member
from branches.signals import rolls_changed
from pledges.enums import NeedStatus, PledgeStatus
from pledges.models import TimeNode
from pledges.services.needs import need_create
from reviews.services.monthly import monthly_reports_save
from tests import factories

S = PledgeStatus
TODAY = timezone.localdate()


def forget_everything_kept():
    """What a fresh worker with an empty cache has: nothing."""
    cache.clear()
    forget_kept_in_worker()


def page(client) -> str:
    html = client.get(reverse("home")).text
    # The sign-out form's token is the request's own, not the sections'.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def fresh_page(client) -> str:
    forget_everything_kept()
    return page(client)


@pytest.fixture
def district(org):
    """What each to-do lists, in the town's two branches."""
    factories.make_member(org.branch, name="张喜民")
    factories.make_need(org.branch, description="村东生产路树木缺人浇水")
    for branch, status in (
        (org.branch, S.SUBMITTED),
        (org.branch, S.IN_PROGRESS),
        (org.other_branch, S.IN_PROGRESS),
    ):
        pledge = factories.make_pledge(
            branch=branch, due_date=TODAY - datetime.timedelta(days=1), title=f"{status}的承诺"
        )
        factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)
    return org


def _approve(org):
    pledge = org.branch.pledges.get(status=S.SUBMITTED)
    pledge.approve(org.town_staff)


def _return(org):
    pledge = org.branch.pledges.get(status=S.SUBMITTED)
    pledge.return_for_revision(org.town_staff, reason="请写清楚时间")


def _submit_another(org):
    pledge = factories.make_pledge(branch=org.other_branch, title="新交来的承诺")
    pledge.submit(org.other_secretary)


def _complete(org):
    pledge = org.other_branch.pledges.get(status=S.IN_PROGRESS)
    pledge.complete(org.other_secretary)


def _need_through_the_form(org):
    need_create(
        branch=org.branch,
        actor=org.secretary,
        description="五组路灯不亮",
        category="infrastructure",
        source="home_visit",
    )


def _need_dropped(org):
    need = org.branch.needs.get()
    need.status = NeedStatus.DROPPED
    need.save()


def _time_node_due(org):
    pledge = org.branch.pledges.get(status=S.IN_PROGRESS)
    TimeNode.objects.create(pledge=pledge, due_on=TODAY, description="买树苗")


def _monthly_report(org):
    member = org.branch.members.get()
    monthly_reports_save(
        branch=org.branch,
        month=TODAY.replace(day=1),
        actor=org.secretary,
        entries=[{"member_id": member.pk, "service_done": "帮五保户收麦"}],
    )


def _member_renamed(org):
    member = org.branch.members.get()
    member.name = "张喜明"
    member.save()


def _roll_written_in_bulk(org):
    # As a roster import writes: in bulk, then the signal.
    Member.objects.filter(branch=org.branch).update(is_active=False)
    rolls_changed.send(sender=Member, branch_ids={org.branch.pk})


def _branch_renamed(org):
    branch = Branch.objects.get(pk=org.other_branch.pk)
    branch.name = "姬石社区党支部"
    branch.save()


def _committee_renamed(org):
    org.town.name = "姬石镇党委员会"
    org.town.save()


CHANGES = [
    ("secretary", _return),
    ("secretary", _approve),
    ("secretary", _need_through_the_form),
    ("secretary", _need_dropped),
    ("secretary", _time_node_due),
    ("secretary", _monthly_report),
    ("secretary", _member_renamed),
    ("secretary", _roll_written_in_bulk),
    ("town_staff", _approve),
    ("town_staff", _submit_another),
    ("town_staff", _complete),
    ("town_staff", _need_through_the_form),
    ("town_staff", _branch_renamed),
    ("town_staff", _committee_renamed),
    ("district_staff", _submit_another),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "change"), CHANGES, ids=lambda v: getattr(v, "__name__", v))
def test_a_change_shows_at_once(client, district, role, change):
    client.force_login(getattr(district, role))
    before = page(client)
    assert page(client) == before  # kept, and the same

    change(district)

    after = page(client)
    assert after != before, "the change is not on the page: the test would prove nothing"
    assert after == fresh_page(client)


@pytest.mark.django_db
def test_the_next_day_is_drawn_again(client, district, monkeypatch):
    """What is overdue and which month's reports are missing move with the day."""
    client.force_login(district.secretary)
    pledge = district.branch.pledges.get(status=S.IN_PROGRESS)
    TimeNode.objects.create(
        pledge=pledge, due_on=TODAY + datetime.timedelta(days=1), description="验收"
    )
    before = page(client)
    assert "（已逾期）" not in before

    tomorrow = TODAY + datetime.timedelta(days=2)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    after = page(client)
    assert "（已逾期）" in after
    assert after == fresh_page(client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "queries"),
    [
        # The session, and the user with their roles and their branch's workspace stamp.
        ("secretary", 2),
        # … and the stamp of the staff's branches.
        ("town_staff", 3),
        ("district_staff", 3),
    ],
)
def test_a_kept_home_reads_only_its_stamps(
    client, district, role, queries, django_assert_num_queries
):
    client.force_login(getattr(district, role))
    drawn = page(client)
    with django_assert_num_queries(queries):
        assert page(client) == drawn


@pytest.mark.django_db
def test_each_person_sees_their_own_sections(client, district):
    """Two people of different scopes never share a drawing."""
    client.force_login(district.town_staff)
    town = page(client)
    client.force_login(district.other_town_staff)
    other = page(client)
    assert "范寨村党支部" in town
    assert "范寨村党支部" not in other
    client.force_login(district.other_secretary)
    assert "姬石村党支部 · 待办" in page(client)

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import PledgeTransition
from reviews.enums import NoticeStatus
from reviews.models import HalfYearNotice
from reviews.services.halfyear import (
    halfyear_verify,
    is_slow_branch,
    notice_edit,
    notice_generate,
    notice_publish,
)
from tests import factories
from tests.conftest import ROLES

YEAR = 2026
JUNE = datetime.date(2026, 6, 15)


def pledge_at(org, status, *, branch=None, due=JUNE, member=False, **extra):
    branch = branch or org.branch
    if member:
        pledge = factories.make_pledge(
            member=factories.make_member(branch), year=YEAR, due_date=due, **extra
        )
    else:
        pledge = factories.make_pledge(branch=branch, year=YEAR, due_date=due, **extra)
    return factories.walk_to(pledge, status, secretary=branch.secretary, staff=org.district_staff)


# ---------------------------------------------------------------- the slow-branch rule


@pytest.mark.parametrize(
    ("total", "overdue", "not_started", "slow"),
    [
        (0, 0, 0, False),  # nothing due: never slow
        (10, 0, 0, False),
        (10, 2, 1, False),  # 20% overdue, one not started
        (10, 3, 0, True),  # exactly 30% overdue
        (3, 1, 0, True),  # 33%
        (4, 1, 1, False),  # 25%
        (10, 0, 2, True),  # two not started
        (1, 1, 0, True),
        (20, 5, 1, False),  # 25%
    ],
)
def test_slow_branch_rule(total, overdue, not_started, slow):
    assert is_slow_branch(total=total, overdue=overdue, not_started=not_started) is slow


# ---------------------------------------------------------------- bulk verify


def test_halfyear_verify_crosses_off_through_the_transition(org):
    done = [pledge_at(org, PledgeStatus.COMPLETED, member=True) for _ in range(2)]
    working = pledge_at(org, PledgeStatus.IN_PROGRESS, title="还在干的")
    result = halfyear_verify(
        pledge_ids=[p.pk for p in [*done, working]], year=YEAR, actor=org.town_staff
    )
    assert result.verified == 2
    assert [title for title, _ in result.refusals] == ["还在干的"]
    for pledge in done:
        pledge.refresh_from_db()
        assert pledge.status == PledgeStatus.VERIFIED
    audit = PledgeTransition.objects.filter(move=PledgeMove.VERIFY)
    assert sorted(audit.values_list("pledge_id", flat=True)) == sorted(p.pk for p in done)
    assert set(audit.values_list("actor", flat=True)) == {org.town_staff.pk}
    working.refresh_from_db()
    assert working.status == PledgeStatus.IN_PROGRESS


def test_halfyear_verify_ignores_pledges_out_of_reach_or_due_later(org):
    far = pledge_at(org, PledgeStatus.COMPLETED, branch=org.far_branch)
    later = pledge_at(org, PledgeStatus.COMPLETED, due=datetime.date(2026, 9, 1))
    result = halfyear_verify(pledge_ids=[far.pk, later.pk], year=YEAR, actor=org.town_staff)
    assert result.verified == 0
    assert len(result.refusals) == 2
    assert not PledgeTransition.objects.filter(move=PledgeMove.VERIFY).exists()


def test_halfyear_verify_by_a_secretary_does_nothing(org):
    pledge = pledge_at(org, PledgeStatus.COMPLETED)
    result = halfyear_verify(pledge_ids=[pledge.pk], year=YEAR, actor=org.secretary)
    assert result.verified == 0
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMPLETED


HALFYEAR_URL = reverse("reviews:halfyear", args=[YEAR])
VERIFY_URL = reverse("reviews:halfyear_verify", args=[YEAR])
STAFF_PAGE = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 200,
    "other_town_staff": 200,
    "district_staff": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", ROLES)
def test_halfyear_page_is_for_staff(client_as, org, who):
    pledge_at(org, PledgeStatus.COMPLETED, title="修缮村道")
    response = client_as(who).get(HALFYEAR_URL)
    assert response.status_code == STAFF_PAGE[who]
    if response.status_code == 200:
        assert ("修缮村道" in response.content.decode()) == (who != "other_town_staff")


def test_halfyear_page_lists_due_by_june_with_checkboxes_for_completed(client_as, org):
    done = pledge_at(org, PledgeStatus.COMPLETED, title="修缮村道")
    working = pledge_at(org, PledgeStatus.IN_PROGRESS, title="进行中的")
    pledge_at(org, PledgeStatus.IN_PROGRESS, title="下半年的", due=datetime.date(2026, 11, 1))
    pledge_at(org, PledgeStatus.WITHDRAWN, title="撤销的")
    text = client_as("town_staff").get(HALFYEAR_URL).content.decode()
    assert "修缮村道" in text and "进行中的" in text
    assert "下半年的" not in text and "撤销的" not in text
    assert f'name="pledges" value="{done.pk}"' in text
    assert f'name="pledges" value="{working.pk}"' not in text


def test_halfyear_verify_post_reports_count_and_refusals(client_as, org):
    done = pledge_at(org, PledgeStatus.COMPLETED)
    working = pledge_at(org, PledgeStatus.IN_PROGRESS, title="还在干的")
    response = client_as("town_staff").post(
        VERIFY_URL, {"pledges": [done.pk, working.pk]}, follow=True
    )
    text = response.content.decode()
    assert "已销号 1 项承诺。" in text
    assert "“还在干的”未销号" in text
    done.refresh_from_db()
    assert done.status == PledgeStatus.VERIFIED


@pytest.mark.parametrize(
    ("who", "status"), [("secretary", 403), ("anonymous", 302), ("town_staff", 302)]
)
def test_halfyear_verify_post_permissions(client_as, org, who, status):
    pledge = pledge_at(org, PledgeStatus.COMPLETED)
    assert client_as(who).post(VERIFY_URL, {"pledges": [pledge.pk]}).status_code == status
    pledge.refresh_from_db()
    expected = PledgeStatus.VERIFIED if who == "town_staff" else PledgeStatus.COMPLETED
    assert pledge.status == expected


def grow(org, size):
    for _ in range(size):
        branch = factories.make_branch(org.town, factories.make_user())
        pledge_at(org, PledgeStatus.COMPLETED, branch=branch)
        pledge_at(org, PledgeStatus.IN_PROGRESS, branch=branch, member=True)


@pytest.mark.parametrize("size", [2, 12])
def test_halfyear_page_queries_do_not_grow(client_as, org, django_assert_max_num_queries, size):
    grow(org, size)
    client = client_as("district_staff")
    with django_assert_max_num_queries(6):
        response = client.get(HALFYEAR_URL)
    assert response.status_code == 200
    assert response.content.decode().count('name="pledges"') == size


# ---------------------------------------------------------------- the notice


@pytest.fixture
def slow_town(org):
    """org.branch is slow (2 of 3 overdue), org.other_branch is not (1 done, 1 later)."""
    pledge_at(org, PledgeStatus.IN_PROGRESS)
    pledge_at(org, PledgeStatus.PUBLISHED)
    pledge_at(org, PledgeStatus.COMPLETED)
    pledge_at(org, PledgeStatus.COMPLETED, branch=org.other_branch)
    pledge_at(org, PledgeStatus.PUBLISHED, branch=org.other_branch, due=datetime.date(2026, 9, 1))
    return org


def test_notice_generate_names_slow_branches(slow_town):
    org = slow_town
    notice = notice_generate(
        committee=org.town, year=YEAR, actor=org.town_staff, today=datetime.date(2026, 7, 5)
    )
    assert notice.status == NoticeStatus.DRAFT
    assert notice.body == notice.generated_body
    assert "姬石镇党委" in notice.title
    assert "共有 4 项承诺" in notice.body
    assert "已完成 2 项（50%）" in notice.body
    assert "1. 范寨村党支部：应完成 3 项，逾期 2 项（67%），尚未开始 1 项。" in notice.body
    assert "姬石村党支部" not in notice.body


def test_notice_generate_keeps_the_existing_notice(slow_town):
    org = slow_town
    first = notice_generate(committee=org.town, year=YEAR, actor=org.town_staff)
    notice_edit(notice=first, actor=org.town_staff, title="改过的标题", body="改过的正文")
    again = notice_generate(committee=org.town, year=YEAR, actor=org.district_staff)
    assert again.pk == first.pk
    assert (again.title, again.body) == ("改过的标题", "改过的正文")
    assert again.generated_body == first.generated_body


def test_notice_is_read_only_once_published(org):
    notice = notice_generate(committee=org.town, year=YEAR, actor=org.town_staff)
    published = notice_publish(notice=notice, actor=org.town_staff)
    assert published.status == NoticeStatus.PUBLISHED
    assert published.published_at is not None
    with pytest.raises(ValidationError):
        notice_edit(notice=notice, actor=org.town_staff, title="x", body="y")
    with pytest.raises(ValidationError):
        notice_publish(notice=notice, actor=org.town_staff)


@pytest.mark.parametrize("who", ["secretary", "other_town_staff"])
def test_notice_services_refuse_people_out_of_reach(org, who):
    with pytest.raises(PermissionDenied):
        notice_generate(committee=org.town, year=YEAR, actor=getattr(org, who))


def notice_url(committee=None):
    url = reverse("reviews:notice_edit", args=[YEAR])
    return f"{url}?committee={committee.pk}" if committee else url


NOTICE_PAGE = {
    "secretary": 403,
    "other_secretary": 403,
    "town_staff": 200,
    "other_town_staff": 404,
    "district_staff": 200,
    "anonymous": 302,
}


DRAFT_URL = reverse("reviews:notice_draft", args=[YEAR])


@pytest.mark.parametrize("who", ROLES)
def test_notice_page_permissions(client_as, org, who):
    response = client_as(who).get(notice_url(org.town))
    assert response.status_code == NOTICE_PAGE[who]
    assert HalfYearNotice.objects.count() == 0


@pytest.mark.parametrize("who", ROLES)
def test_notice_draft_permissions(client_as, org, who):
    response = client_as(who).post(DRAFT_URL, {"committee": org.town.pk})
    expected = 302 if NOTICE_PAGE[who] == 200 else NOTICE_PAGE[who]
    assert response.status_code == expected
    assert HalfYearNotice.objects.count() == (1 if NOTICE_PAGE[who] == 200 else 0)


def test_notice_page_get_never_writes_and_previews_the_draft(client_as, slow_town):
    response = client_as("town_staff").get(notice_url(slow_town.town))
    assert response.status_code == 200
    text = response.content.decode()
    assert "起草通报" in text
    assert "范寨村党支部：应完成 3 项" in text
    assert HalfYearNotice.objects.count() == 0


def test_notice_draft_is_created_on_post_once(client_as, org):
    staff = client_as("town_staff")
    response = staff.post(DRAFT_URL, {"committee": org.town.pk})
    assert response.url == notice_url(org.town)
    staff.post(DRAFT_URL, {"committee": org.town.pk})
    assert HalfYearNotice.objects.filter(committee=org.town, year=YEAR).count() == 1


def test_notice_publish_without_a_draft_says_so(client_as, org):
    response = client_as("town_staff").post(
        reverse("reviews:notice_publish", args=[YEAR]), {"committee": org.town.pk}, follow=True
    )
    assert "请先起草通报。" in response.content.decode()
    assert HalfYearNotice.objects.count() == 0


def test_notice_counts_every_branch_of_the_committee(org):
    """The bug behind “所属 11 个” for a town of 21: only branches with pledges due by
    June 30 were counted."""
    for _ in range(3):
        factories.make_branch(org.town, factories.make_user())  # no pledges at all
    pledge_at(org, PledgeStatus.COMPLETED)
    notice = notice_generate(committee=org.town, year=YEAR, actor=org.town_staff)
    assert "姬石镇党委所属 5 个党支部共有 1 项承诺" in notice.body


def test_notice_page_defaults_to_the_top_committee(client_as, org):
    client_as("district_staff").post(DRAFT_URL)
    assert HalfYearNotice.objects.get().committee == org.district


def test_notice_edit_publish_and_public_page(client, client_as, org):
    staff = client_as("town_staff")
    staff.post(DRAFT_URL, {"committee": org.town.pk})
    notice = HalfYearNotice.objects.get()
    public_url = reverse("reviews_public:notice", args=[notice.pk])

    response = staff.post(notice_url(org.town), {"title": "", "body": "我写的正文"})
    assert response.status_code == 400
    assert "请填写标题。" in response.content.decode()
    assert "我写的正文" in response.content.decode()

    staff.post(notice_url(org.town), {"title": "通报标题", "body": "通报正文"})
    notice.refresh_from_db()
    assert (notice.title, notice.body) == ("通报标题", "通报正文")
    client.logout()
    assert client.get(public_url).status_code == 404  # a draft is not public

    staff = client_as("town_staff")
    publish = reverse("reviews:notice_publish", args=[YEAR])
    response = staff.post(publish, {"committee": org.town.pk}, follow=True)
    assert public_url in response.content.decode()  # the address to put on the site
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED

    staff.post(notice_url(org.town), {"title": "再改", "body": "再改"})
    notice.refresh_from_db()
    assert notice.title == "通报标题"

    client.logout()
    response = client.get(public_url)
    assert response.status_code == 200
    assert "通报正文" in response.content.decode()


def test_public_notice_unknown_is_not_found(client, db):
    assert client.get(reverse("reviews_public:notice", args=[999])).status_code == 404


def test_notice_publish_by_a_secretary_is_refused(client_as, org):
    response = client_as("secretary").post(
        reverse("reviews:notice_publish", args=[YEAR]), {"committee": org.town.pk}
    )
    assert response.status_code == 403

"""A whole year of the demo district, through the review calendar's four systems:
quarterly reviews and sign-off, half-year 销号 and notice, year-end evaluation, points and
grades, the published results — and the dashboard checked against counts made here."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from branches.models import Branch, Committee, Member
from pledges.enums import PledgeStatus
from pledges.models import Pledge
from pledges.workflow import DONE_STATUSES, PUBLIC_STATUSES
from reviews.enums import NoticeStatus, ReviewRating
from reviews.models import BranchGrade, PointsEntry, QuarterlyReview, YearEndEvaluation
from reviews.services.halfyear import halfyear_verify, notice_generate, notice_publish
from reviews.services.quarterly import quarter_sign_off, quarterly_review_save
from reviews.services.yearend import evaluation_record, evaluations_confirm, yearend_publish

S = PledgeStatus
pytestmark = pytest.mark.django_db


def user(username):
    return get_user_model().objects.get(username=username)


def test_a_year_of_the_demo_district(client):
    call_command("seed_demo", verbosity=0)
    year = timezone.localdate().year
    district = user("district")
    root = Committee.objects.get(parent=None)
    fanzhai = Branch.objects.get(name="范寨村党支部")

    # 季度讲评: the upper review of the branch's own public pledges, then the sign-off.
    reviewed = list(Pledge.objects.filter(branch=fanzhai, year=year, status__in=PUBLIC_STATUSES))
    assert reviewed
    for pledge in reviewed:
        quarterly_review_save(
            pledge=pledge,
            year=year,
            quarter=1,
            actor=district,
            rating=ReviewRating.GOOD,
            on_schedule=True,
            comment="按节点推进",
        )
    quarter_sign_off(committee=root, year=year, quarter=1, actor=district)
    assert QuarterlyReview.objects.filter(year=year, quarter=1).count() == len(reviewed)

    # 半年销号: cross off what was completed by the half year, then the notice.
    half_year = datetime.date(year, 6, 30)
    completed = list(
        Pledge.objects.filter(status=S.COMPLETED, due_date__lte=half_year).values_list(
            "pk", flat=True
        )
    )
    halfyear_verify(pledge_ids=completed, year=year, actor=district)
    assert not Pledge.objects.filter(pk__in=completed).exclude(status=S.VERIFIED).exists()
    notice = notice_generate(committee=root, year=year, actor=district)
    notice_publish(notice=notice, actor=district)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert client.get(reverse("reviews_public:notice", args=[notice.pk])).status_code == 200

    # 年终评议: branch pledges by the upper organisation, member pledges by their branch.
    verified = list(
        Pledge.objects.filter(status=S.VERIFIED, year=year).select_related(
            "owner_branch__secretary", "owner_branch__committee"
        )
    )
    assert verified
    for pledge in verified:
        rater = district if pledge.branch_id else pledge.owner_branch.secretary
        evaluation_record(pledge=pledge, actor=rater, organisation_rating=ReviewRating.GOOD)
    evaluations_confirm(actor=district, year=year)
    assert (
        not Pledge.objects.filter(pk__in=[p.pk for p in verified])
        .exclude(status=S.EVALUATED)
        .exists()
    )
    published = yearend_publish(actor=district, year=year)

    # 用诺: results public, points and grades written once, with reasons.
    assert YearEndEvaluation.objects.filter(year=year, is_published=True).count() == len(verified)
    assert published.grades == BranchGrade.objects.filter(year=year).count() > 0
    assert PointsEntry.objects.filter(year=year, member__branch=fanzhai).exists()
    assert all(entry.reason for entry in PointsEntry.objects.filter(year=year)[:50])
    assert client.get(reverse("reviews_public:results", args=[year])).status_code == 200

    # The dashboard against counts made here.
    client.force_login(district)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    total = response.context["total"]
    # Counted: every pledge but drafts and withdrawn ones (pledges.figures.LIVE).
    pledges = Pledge.objects.exclude(status__in=[S.DRAFT, S.WITHDRAWN])
    active = Member.objects.filter(is_active=True)
    pledged = active.filter(
        Exists(
            Pledge.objects.filter(member=OuterRef("pk")).exclude(status__in=[S.DRAFT, S.WITHDRAWN])
        )
    )
    assert total.branches == Branch.objects.count() == 53
    assert total.active_members == active.count() >= 1600
    assert total.pledged_members == pledged.count()
    assert total.exempt_members == active.filter(is_exempt=True).count()
    assert total.pledges_total == pledges.count() >= 2000
    assert total.by_status.get(S.EVALUATED, 0) == Pledge.objects.filter(status=S.EVALUATED).count()
    done = pledges.filter(status__in=DONE_STATUSES).count()
    assert done / pledges.count() >= 0.80

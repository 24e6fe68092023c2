import datetime

import pytest
from django.db import IntegrityError, transaction

from reviews.models import MonthlyReport
from tests import factories


@pytest.mark.django_db
def test_one_monthly_report_per_member_and_month(org):
    member = factories.make_member(org.branch)
    month = datetime.date(2026, 11, 1)
    MonthlyReport.objects.create(
        member=member, month=month, service_done="给树浇水", recorded_by=org.secretary
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.create(member=member, month=month, recorded_by=org.secretary)
    MonthlyReport.objects.create(
        member=member, month=datetime.date(2026, 12, 1), recorded_by=org.secretary
    )
    assert MonthlyReport.objects.filter(member=member).count() == 2


@pytest.mark.django_db
def test_month_is_stored_as_its_first_day(org):
    member = factories.make_member(org.branch)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.create(
            member=member, month=datetime.date(2026, 11, 15), recorded_by=org.secretary
        )

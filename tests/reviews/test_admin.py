import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from reviews.models import MonthlyReport
from tests import factories

CHANGELIST = reverse("admin:reviews_monthlyreport_changelist")
ADD = reverse("admin:reviews_monthlyreport_add")


@pytest.fixture
def member(org):
    return factories.make_member(org.branch, name="李荣花")


def report_form(member, month):
    return {"member": member.pk, "month": month, "service_done": "浇水一次"}


def test_monthly_report_is_registered():
    assert admin.site.is_registered(MonthlyReport)


def test_changelist_and_add_page_render(admin_client, member):
    MonthlyReport.objects.create(
        member=member, month=datetime.date(2026, 5, 1), recorded_by=member.branch.secretary
    )

    changelist = admin_client.get(CHANGELIST)

    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    assert admin_client.get(ADD).status_code == 200


def test_new_report_is_recorded_by_the_admin_user(admin_client, admin_user, member):
    response = admin_client.post(ADD, report_form(member, "2026-05-01"))

    assert response.status_code == 302
    assert MonthlyReport.objects.get().recorded_by == admin_user


def test_report_month_must_be_a_first_day(admin_client, member):
    response = admin_client.post(ADD, report_form(member, "2026-05-15"))

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["月份须记为该月第一天。"]
    assert not MonthlyReport.objects.exists()


def test_changelist_runs_a_fixed_number_of_queries(
    admin_client, org, django_assert_max_num_queries
):
    for _ in range(30):
        branch = factories.make_branch(org.town)
        MonthlyReport.objects.create(
            member=factories.make_member(branch),
            month=datetime.date(2026, 5, 1),
            recorded_by=org.secretary,
        )

    with django_assert_max_num_queries(8):
        response = admin_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 30


@pytest.mark.django_db
def test_every_review_record_is_registered_read_only(admin_client):
    from django.apps import apps
    from django.urls import reverse

    for model in apps.get_app_config("reviews").get_models():
        assert admin.site.is_registered(model)
        if model is MonthlyReport:
            continue
        name = f"admin:reviews_{model._meta.model_name}"
        assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"{name}_add")).status_code == 403

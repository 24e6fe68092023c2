from django.urls import path

from reviews import urls_calendar, urls_chart, urls_manuals, urls_yearend
from reviews.views import monthly

app_name = "reviews"

urlpatterns = [
    path("branches/<int:branch_id>/monthly/", monthly.monthly_report, name="monthly_report"),
    path(
        "branches/<int:branch_id>/monthly/<int:year>-<int:month>/",
        monthly.monthly_report,
        name="monthly_report_month",
    ),
    # One member at a time (逐人填写): from the first without a report, or one member.
    path(
        "branches/<int:branch_id>/monthly/members/",
        monthly.monthly_members,
        name="monthly_members",
    ),
    path(
        "branches/<int:branch_id>/monthly/<int:year>-<int:month>/members/",
        monthly.monthly_members,
        name="monthly_members_month",
    ),
    path(
        "branches/<int:branch_id>/monthly/<int:year>-<int:month>/members/<int:member_id>/",
        monthly.monthly_member,
        name="monthly_member",
    ),
    *urls_calendar.urlpatterns,
    *urls_yearend.urlpatterns,
    *urls_manuals.urlpatterns,
    *urls_chart.urlpatterns,
]

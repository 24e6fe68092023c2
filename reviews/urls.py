from django.urls import path

from reviews import urls_calendar, urls_yearend
from reviews.views import monthly

app_name = "reviews"

urlpatterns = [
    path("branches/<int:branch_id>/monthly/", monthly.monthly_report, name="monthly_report"),
    path(
        "branches/<int:branch_id>/monthly/<int:year>-<int:month>/",
        monthly.monthly_report,
        name="monthly_report_month",
    ),
    *urls_calendar.urlpatterns,
    *urls_yearend.urlpatterns,
]

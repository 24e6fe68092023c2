from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("branches/<int:branch_id>/monthly/", views.monthly_report, name="monthly_report"),
    path(
        "branches/<int:branch_id>/monthly/<int:year>-<int:month>/",
        views.monthly_report,
        name="monthly_report_month",
    ),
]

"""Public pages of the reviews: published half-year notices and year-end results."""

from django.urls import path

from reviews.views import notices, results

app_name = "reviews_public"

urlpatterns = [
    path("notices/<int:notice_id>/", notices.notice_page, name="notice"),
    path("results/", results.results_index, name="results_index"),
    path("results/<int:year>/", results.results_page, name="results"),
]

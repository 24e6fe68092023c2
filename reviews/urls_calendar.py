"""The review calendar, quarterly reviews (季度讲评) and the half-year check (半年销号)."""

from django.urls import path

from reviews.views import calendar, halfyear, quarterly

urlpatterns = [
    path("reviews/calendar/", calendar.review_calendar, name="calendar"),
    path(
        "branches/<int:branch_id>/briefings/<int:year>/q<int:quarter>/",
        quarterly.briefing,
        name="briefing",
    ),
    path("reviews/<int:year>/q<int:quarter>/", quarterly.quarterly, name="quarterly"),
    path(
        "reviews/<int:year>/q<int:quarter>/export.xlsx",
        quarterly.quarterly_export,
        name="quarterly_export",
    ),
    path(
        "reviews/<int:year>/q<int:quarter>/sign-off/",
        quarterly.quarter_sign_off,
        name="quarter_sign_off",
    ),
    path(
        "reviews/pledges/<int:pledge_id>/<int:year>/q<int:quarter>/",
        quarterly.quarterly_review,
        name="quarterly_review",
    ),
    path("reviews/cross-off/", halfyear.cross_off, name="cross_off"),
    path("reviews/<int:year>/half-year/", halfyear.halfyear, name="halfyear"),
    path("reviews/<int:year>/half-year/verify/", halfyear.halfyear_verify, name="halfyear_verify"),
    path("reviews/<int:year>/half-year/notice/", halfyear.notice_edit, name="notice_edit"),
    path("reviews/<int:year>/half-year/notice/draft/", halfyear.notice_draft, name="notice_draft"),
    path(
        "reviews/<int:year>/half-year/notice/publish/",
        halfyear.notice_publish,
        name="notice_publish",
    ),
]

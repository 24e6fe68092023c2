"""Year-end evaluation (年终评议), points, branch grades, award and accountability lists."""

from django.urls import path

from reviews.views import yearend

urlpatterns = [
    path("reviews/<int:year>/year-end/", yearend.yearend, name="yearend"),
    path(
        "reviews/pledges/<int:pledge_id>/<int:year>/evaluate/",
        yearend.yearend_evaluate,
        name="yearend_evaluate",
    ),
    path("reviews/<int:year>/year-end/confirm/", yearend.yearend_confirm, name="yearend_confirm"),
    path(
        "reviews/<int:year>/year-end/publish/",
        yearend.yearend_publish_view,
        name="yearend_publish",
    ),
    path("reviews/<int:year>/year-end/export.xlsx", yearend.export, name="yearend_export"),
    path("reviews/<int:year>/lists/", yearend.lists, name="yearend_lists"),
    path("members/<int:member_id>/points/<int:year>/", yearend.points, name="points"),
]

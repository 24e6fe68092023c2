"""The printed manuals (三册) made from the reviews' records: the member activity manual
(one member, or all of a branch), the branch work manual, and the office's page for
printing them branch by branch."""

from django.urls import path

from reviews.views import manuals

urlpatterns = [
    path("members/<int:member_id>/manual/", manuals.member_manual, name="member_manual"),
    path(
        "branches/<int:branch_id>/manuals/members/",
        manuals.member_manuals,
        name="member_manuals",
    ),
    path(
        "branches/<int:branch_id>/manuals/work/",
        manuals.branch_work_manual,
        name="branch_work_manual",
    ),
    path("manuals/", manuals.manual_office, name="manual_office"),
]

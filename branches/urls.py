from django.urls import include, path

from branches.views import members as views

app_name = "branches"

urlpatterns = [
    # The branch list, a branch's page and its members list are in pledges.urls (they show
    # pledge figures); these pages write on members.
    path("branches/<int:branch_id>/members/add/", views.member_add, name="member_add"),
    path("members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:member_id>/exempt/", views.member_exempt, name="member_exempt"),
    path("members/<int:member_id>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("members/<int:member_id>/reactivate/", views.member_reactivate, name="member_reactivate"),
    path(
        "members/<int:member_id>/erase-personal-data/",
        views.member_erase_personal_data,
        name="member_erase_personal_data",
    ),
]

# Organisation staff (组织部门管理员): the committee tree, branches, pairings, accounts, the
# audit list, and the spreadsheet imports. Every URL name starts with "org_".
urlpatterns += [
    path("organisation/", include("branches.urls_organisation")),
    path("organisation/imports/", include("branches.urls_imports")),
]

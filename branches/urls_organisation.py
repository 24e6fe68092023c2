from django.urls import path

from branches.views import accounts, organisation

# Included inside the "branches" namespace by branches/urls.py, at /work/organisation/.
# Every name starts with "org_": the navigation marks these pages as the organisation's.
urlpatterns = [
    path("", organisation.org_home, name="org_home"),
    path("committees/add/", organisation.org_committee_add, name="org_committee_add"),
    path(
        "committees/<int:committee_id>/edit/",
        organisation.org_committee_edit,
        name="org_committee_edit",
    ),
    path(
        "committees/<int:committee_id>/close/",
        organisation.org_committee_close,
        name="org_committee_close",
    ),
    path(
        "committees/<int:committee_id>/reopen/",
        organisation.org_committee_reopen,
        name="org_committee_reopen",
    ),
    path("branches/", organisation.org_branches, name="org_branches"),
    path("branches/add/", organisation.org_branch_add, name="org_branch_add"),
    path("branches/<int:branch_id>/edit/", organisation.org_branch_edit, name="org_branch_edit"),
    path("pairings/", organisation.org_pairings, name="org_pairings"),
    path("pairings/add/", organisation.org_pairing_add, name="org_pairing_add"),
    path(
        "pairings/<int:pairing_id>/delete/",
        organisation.org_pairing_delete,
        name="org_pairing_delete",
    ),
    path(
        "member-pairings/add/", organisation.org_member_pairing_add, name="org_member_pairing_add"
    ),
    path(
        "member-pairings/<int:pairing_id>/delete/",
        organisation.org_member_pairing_delete,
        name="org_member_pairing_delete",
    ),
    path("accounts/", accounts.org_accounts, name="org_accounts"),
    path("accounts/add/<str:kind>/", accounts.org_account_add, name="org_account_add"),
    path(
        "accounts/<int:account_id>/reset-password/",
        accounts.org_account_reset_password,
        name="org_account_reset_password",
    ),
    path(
        "accounts/<int:account_id>/deactivate/",
        accounts.org_account_deactivate,
        name="org_account_deactivate",
    ),
    path(
        "accounts/<int:account_id>/reactivate/",
        accounts.org_account_reactivate,
        name="org_account_reactivate",
    ),
    path("accounts/lockouts/", accounts.org_signin_lockouts, name="org_signin_lockouts"),
    path(
        "accounts/<int:account_id>/unlock/",
        accounts.org_account_unlock,
        name="org_account_unlock",
    ),
    path("changes/", organisation.org_changes, name="org_changes"),
    path("personal-data/", organisation.org_personal_data, name="org_personal_data"),
]

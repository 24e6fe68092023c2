from django.utils.functional import SimpleLazyObject

from branches.permissions import (
    organisation_committee_paths,
    secretary_branch_id,
    staff_committee_paths,
)
from branches.selectors import secretary_branch

# Which navigation entry a page belongs to, by its URL name.
NAV_SECTIONS = {
    "home": "home",
    "pledges:members": "members",
    "branches:member_add": "members",
    "branches:member_edit": "members",
    "pledges:needs": "needs",
    "pledges:need_add": "needs",
    "pledges:need_edit": "needs",
    "pledges:need_merge": "needs",
    "pledges:branch_pledges": "pledges",
    "pledges:pledge_add": "pledges",
    "pledges:pledge_edit": "pledges",
    "pledges:pledge_detail": "pledges",
    "pledges:publish_many": "pledges",
    "pledges:progress_add": "pledges",
    "reviews:monthly_report": "monthly",
    "reviews:monthly_report_month": "monthly",
    "reviews:monthly_members": "monthly",
    "reviews:monthly_members_month": "monthly",
    "reviews:monthly_member": "monthly",
    "pledges:approvals": "approvals",
    "pledges:pledge_review": "approvals",
    "pledges:branch_list": "branches",
    "pledges:branch_detail": "branches",
    "password_change": "password",
    "dashboard": "dashboard",
    "reviews:calendar": "reviews",
    "reviews:briefing": "reviews",
    "reviews:quarterly": "reviews",
    "reviews:quarterly_review": "reviews",
    "reviews:halfyear": "reviews",
    "reviews:notice_edit": "reviews",
    "reviews:yearend": "reviews",
    "reviews:yearend_evaluate": "reviews",
    "reviews:yearend_lists": "reviews",
    "reviews:points": "reviews",
    "reviews:chart": "manuals",
    "reviews:manual_office": "manuals",
    "reviews:member_manual": "manuals",
    "reviews:member_manuals": "manuals",
    "reviews:branch_work_manual": "manuals",
    "pledges:record_manual": "manuals",
    "pledges:members_letter": "manuals",
    "pledges:letter_edit": "manuals",
}


# Every page of organisation staff is named "branches:org_…" and belongs to one entry.
ORGANISATION_VIEW_PREFIX = "branches:org_"


def workspace(request):
    """The signed-in person's own branch and staff standing, for the navigation.

    Lazy: pages that never show the navigation (public pages) run no query for it, and
    the others one (the person's roles, with their branch's id).
    """
    user = getattr(request, "user", None)
    if user is None:
        # An error page for a request refused before AuthenticationMiddleware ran (Django's
        # 400 for a bad Host header or too many fields): no one is signed in there.
        return {"workspace": {}, "nav_section": None}

    def build():
        return {
            # The navigation links by the id, read with the roles; the branch itself is
            # read only by a page that shows it (and kept for the page's own use).
            "branch_id": secretary_branch_id(user),
            "branch": SimpleLazyObject(lambda: secretary_branch(user=user)),
            "is_committee_staff": bool(staff_committee_paths(user)),
            "is_organisation_staff": bool(organisation_committee_paths(user)),
        }

    match = getattr(request, "resolver_match", None)
    section = NAV_SECTIONS.get(match.view_name) if match else None
    if match and match.view_name.startswith(ORGANISATION_VIEW_PREFIX):
        section = "organisation"
    return {"workspace": SimpleLazyObject(build), "nav_section": section}

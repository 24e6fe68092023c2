"""{% nav_links %}: the navigation's links of the signed-in person (includes/nav_links.html).

Every workspace page draws them, and they depend on four things only: the person's branch
(its id), whether they are committee staff and organisation staff, and the page's section.
Each worker draws each combination once and keeps it: the roles themselves are read for
every request (branches.context_processors.workspace), only their drawing is remembered.
"""

import threading

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Distinct navigations kept per worker: a district's secretaries, each a branch id, by the
# sections of the navigation (each kept entry about 1 KB).
NAVIGATIONS_KEPT = 4096

_kept: dict[tuple, str] = {}
_lock = threading.Lock()


@register.simple_tag(takes_context=True)
def nav_links(context) -> SafeString:
    workspace = context.get("workspace") or {}
    key = (
        workspace.get("branch_id"),
        bool(workspace.get("is_committee_staff")),
        bool(workspace.get("is_organisation_staff")),
        context.get("nav_section"),
        translation.get_language(),
    )
    links = _kept.get(key)
    if links is None:
        branch_id, is_committee_staff, is_organisation_staff, nav_section, _language = key
        links = render_to_string(
            "includes/nav_links.html",
            {
                "workspace": {
                    "branch_id": branch_id,
                    "is_committee_staff": is_committee_staff,
                    "is_organisation_staff": is_organisation_staff,
                },
                "nav_section": nav_section,
            },
        )
        with _lock:
            if len(_kept) >= NAVIGATIONS_KEPT:
                _kept.clear()
            _kept[key] = links
    return mark_safe(links)

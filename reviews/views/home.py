"""The /work/ home page: each person's to-do, which combines pledges and reviews.

The secretary's to-do with their branch's chart, and committee staff's to-do with their
scope's chart, are the page's whole cost (a dozen queries and a few hundred template nodes)
and change only when the branches' content does. Each is drawn once per state and day and
kept in the cache, keyed by the branches' workspace stamp (Branch.workspace_changed_at,
moved in the transaction of every change they show) and the day (what is overdue, this
month's reports). The stamp is read before the content, so a drawing is never kept under
a stamp older than what it shows; the rest of the page (navigation, messages, the
organisation's to-do) is rendered for each request.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation

from branches.kept import kept
from branches.permissions import (
    is_organisation_staff,
    secretary_branch_id,
    secretary_branch_stamp,
    staff_committee_paths,
)
from branches.selectors import branches_visible_to, secretary_branch, workspace_stamp_of
from branches.selectors_organisation import organisation_todo
from reviews.chart import branch_chart, scope_chart
from reviews.dashboard.scope import dashboard_scope
from reviews.selectors.home import secretary_todo, staff_todo


def _secretary_section(*, user, with_chart: bool, today) -> str:
    branch_id = secretary_branch_id(user)
    stamp = secretary_branch_stamp(user)
    key = (
        f"work-home:secretary:{branch_id}:{stamp.isoformat() if stamp else ''}:"
        f"{int(with_chart)}:{today.isoformat()}:{translation.get_language()}"
    )

    def draw():
        branch = secretary_branch(user=user)
        chart = None
        if with_chart:
            chart = branch_chart(branch=branch, today=today, is_staff=False, with_systems=False)
        return render_to_string(
            "reviews/home/_secretary.html",
            {"todo": secretary_todo(branch=branch, today=today), "chart": chart},
        )

    return kept(key, draw)


def _staff_section(*, user, today) -> str:
    latest, count = workspace_stamp_of(branches_visible_to(user=user))
    paths = ",".join(sorted(staff_committee_paths(user)))
    key = (
        f"work-home:staff:{user.pk}:{paths}:{latest}:{count}:{today.isoformat()}:"
        f"{translation.get_language()}"
    )

    def draw():
        chart = scope_chart(scope=dashboard_scope(user=user), today=today, with_systems=False)
        return render_to_string(
            "reviews/home/_staff.html",
            {"todo": staff_todo(user=user, today=today), "chart": chart},
        )

    return kept(key, draw)


@login_required
def home(request):
    """Each person's own to-do: a secretary's branch, committee staff's subtree, and the
    organisation staff's accounts and branches. 一图 of the person's scope with it, its
    steps' figures (the full page adds the systems')."""
    user = request.user
    today = timezone.localdate()
    is_staff = bool(staff_committee_paths(user))
    context = {
        "secretary_section": _secretary_section(user=user, with_chart=not is_staff, today=today)
        if secretary_branch_id(user)
        else "",
        "staff_section": _staff_section(user=user, today=today) if is_staff else "",
        "organisation_todo": organisation_todo(user=user) if is_organisation_staff(user) else None,
    }
    return render(request, "reviews/home.html", context)

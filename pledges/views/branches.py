"""The branch pages with their pledge figures: the branch list (committee staff), a
branch's page, and its members list. Committee staff read; the member pages that write
(branches/views/members.py) are the secretary's."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.enums import PersonalDataAction
from branches.models import Branch, Member, Pairing
from branches.permissions import can_manage_branch, staff_committee_paths
from branches.selectors import (
    branch_for,
    branches_visible_to,
    committees_visible_to,
    secretary_branch,
)
from branches.services.personal_data import personal_data_access_record
from pledges.figures import LIVE, PUBLIC, Figures, branches_with_figures, counted_q, done_q

BRANCHES_PER_PAGE = 30
MEMBERS_PER_PAGE = 50

# Member filters of the members page: key -> (label, queryset filter).
MEMBER_FILTERS = {
    "all": (gettext_lazy("全部"), Q()),
    "active": (gettext_lazy("在册"), Q(is_active=True)),
    "exempt": (gettext_lazy("免于承诺"), Q(is_active=True, is_exempt=True)),
    "inactive": (gettext_lazy("已不在册"), Q(is_active=False)),
}


# ---------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------
@login_required
def branch_list(request):
    """Committee staff: the branches of their subtree with their figures."""
    if not staff_committee_paths(request.user):
        own = secretary_branch(user=request.user)
        if own:
            return redirect("pledges:branch_detail", own.pk)
        raise PermissionDenied(_("只有党委工作人员可以查看各党支部。"))

    committees = list(committees_visible_to(request.user))
    branches = branches_visible_to(user=request.user)
    committee = next((c for c in committees if str(c.pk) == request.GET.get("committee", "")), None)
    if committee:
        branches = branches.filter(committee__path__startswith=committee.path)
    query = request.GET.get("q", "").strip()
    if query:
        branches = branches.filter(name__icontains=query)
    branches = branches_with_figures(
        branches.select_related("committee", "secretary"),
        pledge_set=LIVE,
        today=timezone.localdate(),
    ).order_by("committee__path", "name", "pk")
    page = Paginator(branches, BRANCHES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for branch in page.object_list:
        branch.figures = Figures.of_branch(branch, LIVE)
    return render(
        request,
        "pledges/branches/branch_list.html",
        {
            "page_obj": page,
            "committees": committees,
            "committee": committee,
            "query": query,
        },
    )


@login_required
def branch_detail(request, branch_id: int):
    branch = branch_for(user=request.user, branch_id=branch_id)
    today = timezone.localdate()
    # The staff's figures (all pledges but drafts and withdrawn ones) and, beside them,
    # the board's (published pledges), so a secretary sees both and why they differ.
    figures, public_figures = (
        Figures.of_branch(
            branches_with_figures(
                Branch.objects.filter(pk=branch.pk), pledge_set=pledge_set, today=today
            ).get(),
            pledge_set,
        )
        for pledge_set in (LIVE, PUBLIC)
    )
    pairings = Pairing.objects.filter(
        Q(office_branch=branch) | Q(village_branch=branch), year=today.year
    ).select_related("office_branch", "village_branch")
    partners = [
        pairing.village_branch if pairing.office_branch_id == branch.pk else pairing.office_branch
        for pairing in pairings
    ]
    return render(
        request,
        "pledges/branches/branch_detail.html",
        {
            "branch": branch,
            "figures": figures,
            "public_figures": public_figures,
            "partners": partners,
            "year": today.year,
            "can_manage": can_manage_branch(request.user, branch),
        },
    )


# ---------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------
@login_required
def member_list(request, branch_id: int):
    branch = branch_for(user=request.user, branch_id=branch_id)
    show = request.GET.get("show", "all")
    if show not in MEMBER_FILTERS:
        show = "all"
    members = Member.objects.filter(branch=branch).filter(MEMBER_FILTERS[show][1])
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(name__icontains=query)
    members = members.annotate(
        pledge_count=Count("pledges", filter=counted_q(LIVE, "pledges__")),
        done_count=Count("pledges", filter=done_q(LIVE, "pledges__")),
        age=ExpressionWrapper(
            Value(timezone.localdate().year) - F("birth_year"), output_field=IntegerField()
        ),
    ).order_by("-is_active", "name", "pk")
    counts = Member.objects.filter(branch=branch).aggregate(
        **{
            key: Count("pk", filter=condition)
            for key, (_label, condition) in MEMBER_FILTERS.items()
        }
    )
    filters = [(key, label, counts[key]) for key, (label, _condition) in MEMBER_FILTERS.items()]
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    # The page shows phone numbers: each showing goes to the personal-data access log.
    personal_data_access_record(
        actor=request.user,
        action=PersonalDataAction.MEMBER_LIST_VIEW,
        branch=branch,
        subject=branch.name,
    )
    return render(
        request,
        "pledges/branches/member_list.html",
        {
            "branch": branch,
            "page_obj": page,
            "filters": filters,
            "show": show,
            "query": query,
            "can_manage": can_manage_branch(request.user, branch),
        },
    )

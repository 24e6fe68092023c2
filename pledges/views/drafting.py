"""定诺: the branch's pledges, writing and rewriting a pledge, and the printable public
pledge letters (为民服务解难题公开承诺书). The secretary writes; committee staff above read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    Prefetch,
    Value,
    When,
    prefetch_related_objects,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.enums import StaffRole
from branches.forms import add_service_error
from branches.http import parse_id, parse_ids
from branches.models import CommitteeStaff, Member
from branches.permissions import can_manage_branch
from pledges import qr
from pledges.enums import PledgeMove, PledgeStatus, Step
from pledges.figures import LIVE, overdue_q
from pledges.forms.drafting import (
    TIME_NODE_EXTRA_ROWS,
    PledgeForm,
    TimeNodeFormSet,
    time_node_earliest,
    time_node_initial,
    typed_values,
)
from pledges.models import Need, Pledge, PledgeTransition, TimeNode
from pledges.progress import set_progress, with_node_counts
from pledges.selectors import branch_for, need_branch_ids, pledge_for
from pledges.services.drafting import EDITABLE_STATUSES, pledge_create, pledge_update
from pledges.services.needs import ALSO_FROM_PREFIX
from pledges.workflow import DONE_STATUSES, PUBLIC_STATUSES, STATUS_STEP, TransitionNotAllowed

S = PledgeStatus
PLEDGES_PER_PAGE = 30
# Letters printed for the whole branch: approved by the upper organisation and still valid.
LETTER_STATUSES = PUBLIC_STATUSES | {S.APPROVED}
# Pledges still being worked on first, then those done or withdrawn.
FINISHED_LAST = Case(
    When(status__in=[*DONE_STATUSES, S.WITHDRAWN], then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
# The steps a pledge can be in (研诺 is the needs list's).
PLEDGE_STEPS = [step for step in Step if step != Step.RESEARCH]
# Needs and time nodes of the letters, in print order: one query each for any number.
LETTER_PREFETCHES = (
    Prefetch("needs", queryset=Need.objects.order_by("pk")),
    Prefetch("time_nodes", queryset=TimeNode.objects.order_by("due_on", "pk")),
)


def _require_secretary(user, branch) -> None:
    if not can_manage_branch(user, branch):
        raise PermissionDenied(_("只有本支部书记可以填写和修改承诺；上级党组织可以查看。"))


# ---------------------------------------------------------------------------
# The branch's pledges
# ---------------------------------------------------------------------------


def _filters(request) -> dict:
    """The list's filters from the query string, each checked against what it may be."""
    params = request.GET
    status = params.get("status", "")
    step = params.get("step", "")
    pledger = params.get("pledger", "")
    if pledger not in ("", "branch") and parse_id(pledger) is None:
        pledger = ""
    return {
        "status": status if status in S.values else "",
        "step": step if step in [value.value for value in PLEDGE_STEPS] else "",
        "pledger": pledger,
        "overdue": params.get("overdue") == "1",
        "q": params.get("q", "").strip()[:100],
    }


def _branch_pledges_page(*, branch, filters: dict, today, page_number):
    """Status counts (one query), the branch's pledgers (one), one page of pledges with
    their pledger, progress count, progress bar (pledges.progress) and overdue flag (a
    count and the rows)."""
    pledges = Pledge.objects.filter(owner_branch=branch)
    counts = dict(pledges.order_by().values_list("status").annotate(total=Count("pk")))
    shown = pledges
    if filters["status"]:
        shown = shown.filter(status=filters["status"])
    if filters["step"]:
        shown = shown.filter(
            status__in=[status for status, step in STATUS_STEP.items() if step == filters["step"]]
        )
    if filters["pledger"] == "branch":
        shown = shown.filter(member__isnull=True)
    elif filters["pledger"]:
        shown = shown.filter(member_id=int(filters["pledger"]))
    if filters["overdue"]:
        shown = shown.filter(overdue_q(LIVE, today))
    if filters["q"]:
        shown = shown.filter(title__icontains=filters["q"])
    shown = (
        with_node_counts(shown.select_related("member", "branch"))
        .annotate(
            progress_count=Count("progress_records"),
            is_overdue=Case(
                When(overdue_q(LIVE, today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by(FINISHED_LAST, "due_date", "pk")
    )
    status_chips = [
        {"value": choice.value, "label": choice.label, "count": counts[choice.value]}
        for choice in S
        if counts.get(choice.value)
    ]
    step_chips = [
        {
            "value": step.value,
            "label": step.label,
            "count": sum(counts.get(status, 0) for status, of in STATUS_STEP.items() if of == step),
        }
        for step in PLEDGE_STEPS
    ]
    pledgers = list(
        Member.objects.filter(pledges__owner_branch=branch)
        .distinct()
        .order_by("name", "pk")
        .values("pk", "name")
    )
    page = Paginator(shown, PLEDGES_PER_PAGE).get_page(page_number)
    page.object_list = [set_progress(pledge) for pledge in page.object_list]
    return {
        "total": sum(counts.values()),
        "status_chips": status_chips,
        "step_chips": step_chips,
        "pledgers": pledgers,
        "page": page,
    }


@login_required
def branch_pledges(request, branch_id):
    branch = branch_for(user=request.user, branch_id=branch_id)
    filters = _filters(request)
    context = _branch_pledges_page(
        branch=branch,
        filters=filters,
        today=timezone.localdate(),
        page_number=request.GET.get("page"),
    )
    return render(
        request,
        "pledges/drafting/branch_pledges.html",
        {
            "branch": branch,
            "filters": filters,
            "can_manage": can_manage_branch(request.user, branch),
            "editable_statuses": [status.value for status in EDITABLE_STATUSES],
            **context,
        },
    )


# ---------------------------------------------------------------------------
# Writing a pledge
# ---------------------------------------------------------------------------


def _return_reason(pledge) -> PledgeTransition | None:
    if pledge.status != S.RETURNED:
        return None
    return (
        PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.RETURN_FOR_REVISION)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


def _render_form(request, *, branch, form, formset, pledge=None, status=200):
    return render(
        request,
        "pledges/drafting/pledge_form.html",
        {
            "branch": branch,
            "form": form,
            "formset": formset,
            "pledge": pledge,
            "returned": _return_reason(pledge) if pledge else None,
        },
        status=status,
    )


def _more_rows(request, *, branch, pledge, today):
    """Redraw the form with what was typed and three more time node rows, unvalidated."""
    initial, rows = typed_values(request.POST)
    form = PledgeForm(initial=initial, branch=branch, instance=pledge, today=today)
    formset = TimeNodeFormSet(initial=rows, extra=TIME_NODE_EXTRA_ROWS)
    return _render_form(request, branch=branch, form=form, formset=formset, pledge=pledge)


def _save(request, *, branch, pledge=None):
    """Validate the posted pledge and its time nodes, then create or update it through the
    drafting services (submitting it if 提交审核 was pressed); redraw with every typed
    value and the reasons when anything is refused."""
    today = timezone.localdate()
    if "more_rows" in request.POST:
        return _more_rows(request, branch=branch, pledge=pledge, today=today)
    form = PledgeForm(request.POST, branch=branch, instance=pledge, today=today)
    formset = TimeNodeFormSet(
        request.POST, pledge_form=form, earliest=time_node_earliest(today=today, pledge=pledge)
    )
    form_ok = form.is_valid()
    if formset.is_valid() and form_ok:
        submit = request.POST.get("action") == "submit"
        arguments = {
            "actor": request.user,
            "time_nodes": formset.nodes(),
            "submit": submit,
            **form.service_arguments(),
        }
        try:
            if pledge is None:
                saved = pledge_create(branch=branch, **arguments)
            else:
                saved = pledge_update(pledge=pledge, **arguments)
        except (ValidationError, PermissionDenied, TransitionNotAllowed) as error:
            add_service_error(form, error)
        else:
            if submit:
                messages.success(request, _("承诺已提交上级党组织审核。"))
            else:
                messages.success(request, _("承诺草稿已保存，可随时修改后提交审核。"))
            return redirect("pledges:pledge_detail", saved.pk)
    return _render_form(request, branch=branch, form=form, formset=formset, pledge=pledge)


@login_required
def pledge_add(request, branch_id):
    """A new pledge of the branch or of a member, from the needs in ?needs=… or from scratch."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    _require_secretary(request.user, branch)
    if request.method == "POST":
        return _save(request, branch=branch)
    chosen = list(
        Need.objects.filter(
            branch_id__in=need_branch_ids(branch=branch, years=[timezone.localdate().year]),
            pk__in=_ids(request.GET.getlist("needs")),
        )
        .order_by("pk")
        .values("pk", "category")
    )
    initial = {"needs": [need["pk"] for need in chosen]}
    if chosen:
        initial["category"] = chosen[0]["category"]
    form = PledgeForm(initial=initial, branch=branch)
    return _render_form(request, branch=branch, form=form, formset=TimeNodeFormSet())


def _ids(values) -> list[int]:
    return parse_ids(values)


@login_required
def pledge_edit(request, pledge_id):
    """Rewrite a draft or a pledge returned for revision; any other status is locked."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    branch = pledge.owner_branch
    _require_secretary(request.user, branch)
    if pledge.status not in EDITABLE_STATUSES:
        if request.method == "POST":
            messages.error(
                request,
                _("该承诺当前为“%(status)s”，已锁定，不能修改。")
                % {"status": pledge.get_status_display()},
            )
            return redirect("pledges:pledge_detail", pledge.pk)
        return render(
            request, "pledges/drafting/pledge_locked.html", {"pledge": pledge, "branch": branch}
        )
    if request.method == "POST":
        return _save(request, branch=branch, pledge=pledge)
    form = PledgeForm(instance=pledge, branch=branch)
    formset = TimeNodeFormSet(initial=time_node_initial(pledge))
    return _render_form(request, branch=branch, form=form, formset=formset, pledge=pledge)


# ---------------------------------------------------------------------------
# The public pledge letter
# ---------------------------------------------------------------------------


def _public_text(description: str) -> str:
    """A need as the public letter shows it: without the lines naming who else raised it."""
    return "\n".join(
        line for line in description.splitlines() if not line.startswith(ALSO_FROM_PREFIX)
    )


def _approvals(pledges: list[Pledge]) -> dict[int, dict]:
    """{pledge id: {"committee": name, "on": date}} of each pledge's latest approval. The
    committee is the one whose staff approved: the nearest committee over the pledge's
    branch that the approving account reviews for, else the branch's own committee; the
    person is never named. Two queries for any number of pledges (none without pledges):
    the approvals, and the approvers' committees. Needs owner_branch__committee loaded."""
    if not pledges:
        return {}
    latest: dict[int, PledgeTransition] = {}
    for transition in (
        PledgeTransition.objects.filter(
            pledge_id__in=[pledge.pk for pledge in pledges], move=PledgeMove.APPROVE
        )
        .only("pk", "pledge_id", "actor_id", "created_at")
        .order_by("pledge_id", "-created_at", "-pk")
    ):
        latest.setdefault(transition.pledge_id, transition)
    committees: dict[int, list[tuple[str, str]]] = {}
    for user_id, path, name in CommitteeStaff.objects.filter(
        user_id__in={transition.actor_id for transition in latest.values()},
        role=StaffRole.REVIEW,
    ).values_list("user_id", "committee__path", "committee__name"):
        committees.setdefault(user_id, []).append((path, name))
    approvals = {}
    for pledge in pledges:
        transition = latest.get(pledge.pk)
        if transition is None:
            continue
        branch_committee = pledge.owner_branch.committee
        over = [
            (path, name)
            for path, name in committees.get(transition.actor_id, [])
            if branch_committee.path.startswith(path)
        ]
        approvals[pledge.pk] = {
            "committee": max(over)[1] if over else branch_committee.name,
            "on": timezone.localdate(transition.created_at),
        }
    return approvals


def _letter_code(pledge) -> tuple[str, str]:
    """The QR code printed on the letter and its caption: the member's (whose page shows
    their pledges, or the branch's board when they withdrew consent), or the branch's."""
    if pledge.member_id:
        caption = (
            _("扫码查看本人的承诺和进展")
            if pledge.member.public_page_enabled
            else _("扫码查看本支部承诺公示")
        )
        return qr.qr_inline_svg(pledge.member.public_token), caption
    return qr.qr_inline_svg(pledge.branch.public_token), _("扫码查看本支部的承诺和进展")


def _letters(pledges) -> list[Pledge]:
    pledges = list(pledges)
    approvals = _approvals(pledges)
    for pledge in pledges:
        pledge.letter_needs = [_public_text(need.description) for need in pledge.needs.all()]
        pledge.is_official = pledge.status in LETTER_STATUSES
        # No approval line on a letter not (or no longer) approved: it is stamped instead.
        pledge.approval = approvals.get(pledge.pk) if pledge.is_official else None
        pledge.letter_qr, pledge.letter_qr_caption = _letter_code(pledge)
    return pledges


@login_required
def pledge_letter(request, pledge_id):
    """One pledge's letter on one A4 page, with the pledger's QR code and, once approved,
    which committee approved it and when; a pledge not (or no longer) approved is marked."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    prefetch_related_objects([pledge], *LETTER_PREFETCHES)
    return render(
        request,
        "pledges/drafting/letters.html",
        {"branch": pledge.owner_branch, "pledges": _letters([pledge]), "single": pledge},
    )


@login_required
def branch_letters(request, branch_id):
    """Every approved-or-later pledge of the branch, one page each: the branch's own first,
    then its members' by name. Optionally one year (?year=2026). Six queries in all: the
    pledges, their needs, time nodes, approvals and approvers' committees, the branch."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    pledges = Pledge.objects.filter(owner_branch=branch, status__in=LETTER_STATUSES)
    year = request.GET.get("year", "")
    if parse_id(year) is not None:
        pledges = pledges.filter(year=parse_id(year))
    pledges = (
        pledges.select_related("member", "branch", "owner_branch__committee")
        .prefetch_related(*LETTER_PREFETCHES)
        .order_by(F("member__name").asc(nulls_first=True), "member_id", "due_date", "pk")
    )
    return render(
        request,
        "pledges/drafting/letters.html",
        {"branch": branch, "pledges": _letters(pledges), "single": None, "year": year},
    )

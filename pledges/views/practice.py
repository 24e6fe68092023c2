"""The pledge page and its moves, approval (定诺), 示诺 and 践诺."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from branches.http import parse_ids, safe_next_url
from branches.permissions import can_manage_branch, is_upper_staff, staff_committee_paths
from pledges.enums import ActorRole, PledgeMove, PledgeStatus, Step
from pledges.forms.practice import (
    ApprovalFilterForm,
    ProgressForm,
    PublishForm,
    ReasonForm,
    TimeNodeCloseForm,
)
from pledges.models import Pledge, TimeNode
from pledges.progress import set_progress_from_nodes
from pledges.selectors import (
    OPEN_STATUSES,
    branch_for,
    label_choices,
    pledge_for,
    pledge_resubmission_changes,
    pledges_visible_to,
)
from pledges.selectors.approvals import (
    approval_page,
    approval_places,
    approval_queue_state,
)
from pledges.services.progress import (
    TIME_NODE_STATUSES,
    NodeClosing,
    pledge_complete,
    progress_record_create,
    time_node_close,
)
from pledges.services.workflow import ROLE_PREDICATES, BulkMoveRefused, pledges_approve
from pledges.workflow import MOVES, Move, TransitionNotAllowed, moves_from

# The most pledges one bulk approval previews and approves (a page of the queue and more).
APPROVE_MANY_LIMIT = 100
REFUSALS = (TransitionNotAllowed, PermissionDenied, ValidationError)

SUCCESS_MESSAGES = {
    PledgeMove.SUBMIT: gettext_lazy("“%(title)s”已提交审核，请等待上级党组织审核。"),
    PledgeMove.RETURN_FOR_REVISION: gettext_lazy("“%(title)s”已退回修改，支部书记会看到退回原因。"),
    PledgeMove.APPROVE: gettext_lazy("“%(title)s”已审核通过。"),
    PledgeMove.PUBLISH: gettext_lazy("“%(title)s”已公示。"),
    PledgeMove.START: gettext_lazy("“%(title)s”已开始践诺。"),
    PledgeMove.COMPLETE: gettext_lazy("“%(title)s”已完成，等待上级党组织销号。"),
    PledgeMove.VERIFY: gettext_lazy("“%(title)s”已销号。"),
    PledgeMove.EVALUATE: gettext_lazy("“%(title)s”已评议。"),
    PledgeMove.WITHDRAW: gettext_lazy("“%(title)s”已撤销。"),
}
# Moves made from the review page rather than by a button on the pledge page.
REVIEW_MOVES = frozenset({PledgeMove.APPROVE, PledgeMove.RETURN_FOR_REVISION})


def refusal_text(refusal: Exception) -> str:
    """The Chinese reason a move or a write was refused, as the service worded it."""
    if isinstance(refusal, ValidationError):
        return "；".join(refusal.messages)
    if isinstance(refusal, TransitionNotAllowed):
        return str(refusal.message)
    return str(refusal) or _("您没有执行此操作的权限。")


def moves_for(user, pledge: Pledge) -> list[Move]:
    """The moves this user may make on the pledge now (no query: the pledge carries its
    branch and committee)."""
    return [
        move
        for move in moves_from(PledgeStatus(pledge.status))
        if ROLE_PREDICATES[move.role](user, pledge.owner_branch)
    ]


def detail_url(pledge: Pledge) -> str:
    return reverse("pledges:pledge_detail", args=[pledge.pk])


def six_steps(pledge: Pledge) -> list[dict]:
    """The flow chart's six steps, each done, current or to come (all to come once
    the pledge has been withdrawn)."""
    current = pledge.step
    steps = list(Step)
    reached = steps.index(current) if current else -1
    return [
        {
            "label": step.label,
            "state": "current" if index == reached else "done" if index < reached else "todo",
        }
        for index, step in enumerate(steps)
    ]


# ---------------------------------------------------------------------------
# The pledge page
# ---------------------------------------------------------------------------


def node_close_form(node: TimeNode, data=None, *, today=None) -> TimeNodeCloseForm:
    """The closing form of one time node, prefixed by the node so that several forms on
    one page (or in one POST, on the completion page) do not clash."""
    return TimeNodeCloseForm(data, prefix=f"node{node.pk}", today=today)


def _render_detail(request, pledge, *, withdraw_form=None, node_form=None, node_id=None):
    user = request.user
    today = timezone.localdate()
    moves = moves_for(user, pledge)
    move_names = {move.name for move in moves}
    is_secretary = can_manage_branch(user, pledge.owner_branch)
    transitions = list(pledge.transitions.select_related("actor").order_by("created_at", "pk"))
    label_choices(
        transitions,
        move=PledgeMove,
        from_status=PledgeStatus,
        to_status=PledgeStatus,
        actor_role=ActorRole,
    )
    returns = [t for t in transitions if t.move == PledgeMove.RETURN_FOR_REVISION]
    can_close_nodes = is_secretary and pledge.status in TIME_NODE_STATUSES
    nodes = list(pledge.time_nodes.order_by("due_on", "pk"))
    set_progress_from_nodes(pledge, nodes)
    node_rows = []
    for node in nodes:
        form = None
        if node.pk == node_id:
            form = node_form  # refused: shown with its error and what was typed
        elif can_close_nodes and node.is_open:
            form = node_close_form(node, today=today)
        node_rows.append((node, form))
    context = {
        "pledge": pledge,
        "today": today,
        "steps": six_steps(pledge),
        "is_overdue": pledge.status in OPEN_STATUSES and pledge.due_date < today,
        "needs": list(pledge.needs.order_by("pk")),
        "node_rows": node_rows,
        "open_statuses": OPEN_STATUSES,
        "transitions": transitions,
        "last_return": returns[-1] if returns else None,
        "records": list(
            pledge.progress_records.select_related("recorded_by")
            .prefetch_related("photos")
            .order_by("-happened_on", "-pk")
        ),
        "button_moves": [
            move for move in moves if not move.needs_reason and move.name not in REVIEW_MOVES
        ],
        # With a time node open, 完成 leads to the page that asks how each was closed.
        "complete_asks": any(node.is_open for node in nodes),
        "can_review": PledgeMove.APPROVE in move_names,
        "can_withdraw": PledgeMove.WITHDRAW in move_names,
        "withdraw_form": withdraw_form or ReasonForm(),
        "can_edit": is_secretary and pledge.status in (PledgeStatus.DRAFT, PledgeStatus.RETURNED),
        "can_record": is_secretary and pledge.status == PledgeStatus.IN_PROGRESS,
    }
    return render(request, "pledges/practice/pledge_detail.html", context)


@login_required
def pledge_detail(request, pledge_id):
    """Everything about one pledge, and the moves this person may make on it now."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    return _render_detail(request, pledge)


@login_required
@require_POST
def pledge_move(request, pledge_id, move):
    """Make one move of the workflow; a refusal is shown, never raised as an error page.

    A refused move that carried a reason re-renders its page with the reason kept.
    """
    try:
        spec = MOVES[PledgeMove(move)]
    except ValueError:
        raise Http404(_("没有这个操作。")) from None
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if spec.name == PledgeMove.COMPLETE and pledge.time_nodes.open().exists():
        return redirect("pledges:pledge_complete", pledge.pk)
    extra = {}
    form = None
    if spec.needs_reason:
        form = ReasonForm(request.POST)
        # An invalid reason goes on as empty: the workflow then refuses, the role first.
        extra["reason"] = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        getattr(pledge, spec.name.value)(request.user, **extra)
    except REFUSALS as refusal:
        if form is not None and not isinstance(refusal, PermissionDenied):
            # The form's own error already says what is wrong with the reason.
            if form.is_valid() or not isinstance(refusal, ValidationError):
                form.add_error(None, refusal_text(refusal))
            return _render_reason_page(request, pledge, spec, form)
        messages.error(request, refusal_text(refusal))
        return HttpResponseRedirect(safe_next_url(request, detail_url(pledge)))
    messages.success(request, SUCCESS_MESSAGES[spec.name] % {"title": pledge.title})
    return HttpResponseRedirect(safe_next_url(request, detail_url(pledge)))


def _render_reason_page(request, pledge, spec: Move, form):
    if spec.name == PledgeMove.RETURN_FOR_REVISION:
        return _render_review(request, pledge, return_form=form)
    return _render_detail(request, pledge, withdraw_form=form)


@login_required
@require_POST
def time_node_close_view(request, pledge_id, node_id):
    """Close one time node of the pledge: done on a date, or no longer needed and why."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if not can_manage_branch(request.user, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以关闭时间节点。"))
    node = get_object_or_404(TimeNode.objects.filter(pledge=pledge), pk=node_id)
    node.pledge = pledge
    form = node_close_form(node, request.POST)
    if form.is_valid():
        try:
            time_node_close(
                node=node,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                on=form.cleaned_data["done_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as refusal:
            _add_closing_error(form, refusal)
        else:
            if node.is_done:
                text = _("时间节点“%(node)s”已标记完成。")
            else:
                text = _("时间节点“%(node)s”已标记为不再需要。")
            messages.success(request, text % {"node": node.description})
            return redirect(detail_url(pledge))
    return _render_detail(request, pledge, node_form=form, node_id=node.pk)


def _add_closing_error(form: TimeNodeCloseForm, refusal: ValidationError) -> None:
    """A service refusal onto the closing form: by field where the service named one."""
    if not hasattr(refusal, "error_dict"):
        form.add_error(None, refusal)
        return
    fields = {"outcome": "outcome", "on": "done_on", "reason": "reason"}
    for key, errors in refusal.message_dict.items():
        form.add_error(fields.get(key), errors)


def _spread_refusal(refusal: Exception, forms_by_key: dict) -> list[str]:
    """Put a refused completion's errors on the node forms they name; return the rest."""
    if not (isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict")):
        return [refusal_text(refusal)]
    rest = []
    for key, errors in refusal.message_dict.items():
        if key in forms_by_key:
            forms_by_key[key].add_error(None, errors)
        else:
            rest.extend(errors)
    return rest


@login_required
def pledge_complete_view(request, pledge_id):
    """完成: asks how each time node still open was closed (done on a date, or no longer
    needed and why), then closes them and completes the pledge in one transaction."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if not can_manage_branch(request.user, pledge.owner_branch):
        raise PermissionDenied(
            _("只有本支部书记可以执行“%(move)s”。") % {"move": PledgeMove.COMPLETE.label}
        )
    if pledge.status != PledgeStatus.IN_PROGRESS:
        messages.error(request, _("只有“践诺中”的承诺可以完成。"))
        return redirect(detail_url(pledge))
    today = timezone.localdate()
    open_nodes = list(pledge.time_nodes.open().order_by("due_on", "pk"))
    data = request.POST if request.method == "POST" else None
    rows = [(node, node_close_form(node, data, today=today)) for node in open_nodes]
    page_errors: list[str] = []
    if request.method == "POST" and all([form.is_valid() for _node, form in rows]):
        closings = [
            NodeClosing(
                node_id=node.pk,
                outcome=form.cleaned_data["outcome"],
                on=form.cleaned_data["done_on"],
                reason=form.cleaned_data["reason"],
            )
            for node, form in rows
        ]
        try:
            pledge_complete(pledge=pledge, actor=request.user, closings=closings, today=today)
        except REFUSALS as refusal:
            page_errors = _spread_refusal(refusal, {f"node-{node.pk}": form for node, form in rows})
        else:
            messages.success(
                request, SUCCESS_MESSAGES[PledgeMove.COMPLETE] % {"title": pledge.title}
            )
            return redirect(detail_url(pledge))
    context = {
        "pledge": pledge,
        "rows": rows,
        "page_errors": page_errors,
        "closed_nodes": list(pledge.time_nodes.closed().order_by("due_on", "pk")),
    }
    return render(request, "pledges/practice/pledge_complete.html", context)


# ---------------------------------------------------------------------------
# Approval: the queue and the review page
# ---------------------------------------------------------------------------


def _require_staff_of(user, pledge: Pledge) -> None:
    if not is_upper_staff(user, pledge.owner_branch):
        raise PermissionDenied(_("只有上级党组织工作人员可以审核承诺。"))


def _render_review(request, pledge, *, return_form=None):
    _require_staff_of(request.user, pledge)
    transitions = list(pledge.transitions.select_related("actor").order_by("created_at", "pk"))
    returns = [t for t in transitions if t.move == PledgeMove.RETURN_FOR_REVISION]
    submits = [t for t in transitions if t.move == PledgeMove.SUBMIT]
    today = timezone.localdate()
    context = {
        "pledge": pledge,
        "today": today,
        "is_overdue": pledge.due_date < today,
        "needs": list(pledge.needs.order_by("pk")),
        "time_nodes": list(pledge.time_nodes.order_by("due_on", "pk")),
        "changes": pledge_resubmission_changes(pledge=pledge),
        "last_return": returns[-1] if returns else None,
        "last_submit": submits[-1] if submits else None,
        "is_resubmission": len(submits) > 1,
        "can_decide": pledge.status == PledgeStatus.SUBMITTED,
        "return_form": return_form or ReasonForm(),
        "next": reverse("pledges:approvals"),
    }
    return render(request, "pledges/practice/pledge_review.html", context)


@login_required
def pledge_review(request, pledge_id):
    """The pledge letter as submitted, what changed since last time, approve or return."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    return _render_review(request, pledge)


@login_required
def approvals(request):
    """Submitted pledges of the person's subtree, oldest submission first."""
    if not staff_committee_paths(request.user):
        raise PermissionDenied(_("只有上级党组织工作人员可以审核承诺。"))
    state = approval_queue_state(user=request.user)  # before what it keys
    places = approval_places(user=request.user, state=state)
    committees = sorted({(c_id, c_name) for c_id, c_name, *_rest in places}, key=lambda c: c[1])
    branches = sorted({(b_id, b_name) for _c, _n, b_id, b_name, _w in places}, key=lambda b: b[1])
    form = ApprovalFilterForm(request.GET or None, committees=committees, branches=branches)
    committee = branch = None
    if form.is_bound and form.is_valid():
        committee, branch = form.cleaned_data["committee"], form.cleaned_data["branch"]
    page = approval_page(
        user=request.user,
        state=state,
        places=places,
        committee=committee,
        branch=branch,
        page_number=request.GET.get("page"),
    )
    context = {"form": form, "page_obj": page, "today": timezone.localdate()}
    return render(request, "pledges/practice/approvals.html", context)


def _chosen_ids(values) -> list[int]:
    """The distinct pledge ids of a selection, in the order given; junk is dropped."""
    return parse_ids(values)


def _chosen_pledges(request, ids: list[int]) -> list[Pledge]:
    """The chosen pledges, each with its letter's parts, in the order chosen.

    An id out of the person's reach (or of no pledge) answers 404, as a single pledge
    page would; a pledge in reach but not under the person's committees answers 403.
    """
    found = {
        pledge.pk: pledge
        for pledge in pledges_visible_to(user=request.user)
        .filter(pk__in=ids)
        .select_related("owner_branch__committee", "member", "branch")
        .prefetch_related(
            Prefetch("time_nodes", queryset=TimeNode.objects.order_by("due_on", "pk"))
        )
    }
    if len(found) != len(ids):
        raise Http404(_("所选承诺不存在或不在您的管理范围内。"))
    pledges = [found[pk] for pk in ids]
    for pledge in pledges:
        _require_staff_of(request.user, pledge)
    return pledges


@login_required
def approve_many(request):
    """Approve several submitted pledges at once: GET previews each chosen pledge's
    letter (?pledges=…), POST approves them all through the workflow, all or nothing."""
    if not staff_committee_paths(request.user):
        raise PermissionDenied(_("只有上级党组织工作人员可以审核承诺。"))
    data = request.POST if request.method == "POST" else request.GET
    ids = _chosen_ids(data.getlist("pledges"))
    if not ids:
        messages.error(request, _("请先勾选要审核的承诺。"))
        return redirect("pledges:approvals")
    if len(ids) > APPROVE_MANY_LIMIT:
        messages.error(
            request,
            _("一次最多审核 %(limit)d 项承诺，请分批进行。") % {"limit": APPROVE_MANY_LIMIT},
        )
        return redirect("pledges:approvals")
    pledges = _chosen_pledges(request, ids)
    if request.method == "POST":
        try:
            pledges_approve(pledges=pledges, actor=request.user)
        except BulkMoveRefused as refusal:
            messages.error(request, refusal.message)
            pledges = _chosen_pledges(request, ids)
        else:
            messages.success(request, _("已审核通过 %(count)d 项承诺。") % {"count": len(pledges)})
            return redirect("pledges:approvals")
    today = timezone.localdate()
    rows = [
        {
            "pledge": pledge,
            "is_overdue": pledge.due_date < today,
            "waiting": pledge.status == PledgeStatus.SUBMITTED,
            # Where to come back after returning this one: the preview without it.
            "back_without": _preview_url([pk for pk in ids if pk != pledge.pk]),
        }
        for pledge in pledges
    ]
    context = {
        "rows": rows,
        "all_waiting": all(row["waiting"] for row in rows),
    }
    return render(request, "pledges/practice/approve_many.html", context)


def _preview_url(ids: list[int]) -> str:
    if not ids:
        return reverse("pledges:approvals")
    query = "&".join(f"pledges={pk}" for pk in ids)
    return f"{reverse('pledges:approve_many')}?{query}"


# ---------------------------------------------------------------------------
# 示诺 and 践诺
# ---------------------------------------------------------------------------


@login_required
def publish_many(request, branch_id):
    """The branch's approved pledges, all ticked: publish the chosen ones at once."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    if not can_manage_branch(request.user, branch):
        raise PermissionDenied(_("只有本支部书记可以公示承诺。"))
    if request.method == "POST":
        form = PublishForm(request.POST, branch=branch)
        if form.is_valid():
            _publish_each(request, form.cleaned_data["pledges"])
            return redirect("pledges:publish_many", branch.pk)
        selected = set(request.POST.getlist("pledges"))
    else:
        form = PublishForm(branch=branch)
        selected = None
    approved = list(
        Pledge.objects.filter(owner_branch=branch, status=PledgeStatus.APPROVED)
        .select_related("member", "branch")
        .order_by("due_date", "pk")
    )
    context = {
        "branch": branch,
        "form": form,
        "rows": [
            {"pledge": pledge, "checked": selected is None or str(pledge.pk) in selected}
            for pledge in approved
        ],
        "today": timezone.localdate(),
    }
    return render(request, "pledges/practice/publish_many.html", context)


def _publish_each(request, pledges) -> None:
    """Publish each pledge through the workflow; report the count and every refusal."""
    published = 0
    for pledge in pledges:
        try:
            pledge.publish(request.user)
        except REFUSALS as refusal:
            messages.error(
                request,
                _("“%(title)s”未公示：%(reason)s")
                % {"title": pledge.title, "reason": refusal_text(refusal)},
            )
        else:
            published += 1
    if published:
        messages.success(request, _("已公示 %(count)d 项承诺。") % {"count": published})


@login_required
def progress_add(request, pledge_id):
    """Record progress (date, what was done, photos) on a pledge being carried out."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if not can_manage_branch(request.user, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以记录践诺情况。"))
    if pledge.status != PledgeStatus.IN_PROGRESS:
        messages.error(request, _("只有“践诺中”的承诺可以记录践诺情况。"))
        return redirect(detail_url(pledge))
    if request.method == "POST":
        form = ProgressForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                progress_record_create(
                    pledge=pledge,
                    actor=request.user,
                    happened_on=form.cleaned_data["happened_on"],
                    description=form.cleaned_data["description"],
                    photos=form.cleaned_data["photos"],
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("已记录践诺情况。"))
                return redirect(detail_url(pledge))
    else:
        form = ProgressForm()
    context = {
        "pledge": pledge,
        "form": form,
        "photos_lost": form.is_bound and bool(request.FILES),
    }
    return render(request, "pledges/practice/progress_add.html", context)

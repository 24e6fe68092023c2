"""服务对象评议 (villagers' feedback on public pledges) and changes after publication.

The public submission takes no account and no CSRF token; the workspace pages (the
feedback of a pledge, the branch's comments waiting for approval, moderation, changing
a published pledge) are signed-in pages like the rest of the workspace.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from branches.forms import add_service_error
from branches.http import safe_next_url
from branches.idempotency import mark_submitted
from branches.permissions import can_manage_branch
from pledges import public
from pledges.enums import CommentStatus, FeedbackChannel, FeedbackRating, PledgeStatus
from pledges.forms.feedback import AmendForm, FeedbackForm, FeedbackRecordForm
from pledges.models import Feedback, Pledge
from pledges.selectors import branch_for, pledge_for, pledges_visible_to
from pledges.services import amend as amend_services
from pledges.services import feedback as feedback_services
from pledges.views.practice import detail_url

COMMENTS_PER_PAGE = 30
QUEUE_PER_PAGE = 30


# ---------------------------------------------------------------------------
# Public: a villager's feedback, no account
# ---------------------------------------------------------------------------


def _origin_of(url: str) -> str:
    """The "scheme://host" of a URL; "" when it has none or is malformed (a browser never
    sends "http://[", a forger may)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def is_same_origin(request) -> bool:
    """False when the browser says the form was posted from another site (Origin, else
    Referer); True when it says this site or says nothing."""
    allowed = {
        f"{request.scheme}://{request.get_host()}".lower(),
        _origin_of(settings.PUBLIC_BASE_URL),
        *(origin.lower() for origin in settings.CSRF_TRUSTED_ORIGINS),
    } - {""}
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.META.get("HTTP_REFERER")
    if referer:
        return _origin_of(referer) in allowed
    return True


def _open_pledge_or_404(pledge_id: int) -> Pledge:
    """A pledge villagers may rate, else 404: a draft, a withdrawn pledge or one of a
    member whose public page is switched off is not found here either."""
    return get_object_or_404(
        Pledge.objects.filter(status__in=feedback_services.FEEDBACK_STATUSES)
        .filter(Q(member__isnull=True) | Q(member__public_page_enabled=True))
        .only("pk", "title", "status", "owner_branch_id", "member_id"),
        pk=pledge_id,
    )


def _public_result(request, pledge, *, form=None, error="", status=200):
    context = {"pledge": pledge, "feedback_form": form, "feedback_error": error}
    return render(request, "pledges/feedback/submitted.html", context, status=status)


# Public pages are cached and shared by everyone, so they carry no CSRF token and this
# view cannot ask for one. A forged post can do no more than a villager can do in person:
# it is refused when the browser names another site as its origin, it is limited to one
# per pledge, address and day and FEEDBACK_HOURLY_CAP an hour, and it writes nothing but
# one feedback row (a comment waits for approval before anyone sees it).
@csrf_exempt
@require_POST
@never_cache
def feedback_submit(request, pledge_id):
    """Take a villager's rating and optional comment on a public pledge."""
    pledge = _open_pledge_or_404(pledge_id)
    form = FeedbackForm(request.POST)
    if not is_same_origin(request):
        return _public_result(
            request, pledge, form=form, error=_("请在承诺公示页面上提交评议。"), status=403
        )
    day = timezone.localdate()
    address_hash = feedback_services.address_hash_of(public.client_address(request), day=day)
    if not feedback_services.feedback_flood_check(address_hash=address_hash):
        return _public_result(
            request, pledge, form=form, error=_("提交太频繁了，请过一会儿再试。"), status=429
        )
    if form.is_valid():
        try:
            feedback_services.feedback_submit(
                pledge=pledge,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                address_hash=address_hash,
                day=day,
            )
        except ValidationError as refusal:
            add_service_error(form, refusal)
        else:
            # The thank-you page is shown once; the same submission again (its key) goes
            # to the pledge's page.
            return mark_submitted(
                _public_result(request, pledge),
                replay_to=reverse("public:pledge_page", args=[pledge.pk]),
            )
    return _public_result(request, pledge, form=form, status=400)


# ---------------------------------------------------------------------------
# Workspace: the feedback of a pledge, recording on a villager's behalf, moderation
# ---------------------------------------------------------------------------


def rating_table(pledge: Pledge) -> list[dict]:
    """Per rating: online and recorded counts, apart (one query)."""
    counts = {
        (channel, rating): total
        for channel, rating, total in Feedback.objects.filter(pledge=pledge)
        .order_by()
        .values_list("channel", "rating")
        .annotate(total=Count("pk"))
    }
    return [
        {
            "rating": rating.label,
            "online": counts.get((FeedbackChannel.ONLINE, rating.value), 0),
            "recorded": counts.get((FeedbackChannel.RECORDED, rating.value), 0),
        }
        for rating in FeedbackRating
    ]


def _render_pledge_feedback(request, pledge, *, record_form=None):
    user = request.user
    is_open = pledge.status in feedback_services.FEEDBACK_STATUSES
    may_record = can_manage_branch(user, pledge.owner_branch) and is_open
    comments = (
        Feedback.objects.filter(pledge=pledge)
        .exclude(comment_status=CommentStatus.NONE)
        .select_related("recorded_by", "moderated_by")
        .order_by("-created_at", "-pk")
    )
    table = rating_table(pledge)
    context = {
        "pledge": pledge,
        "table": table,
        "online_total": sum(row["online"] for row in table),
        "recorded_total": sum(row["recorded"] for row in table),
        "page": Paginator(comments, COMMENTS_PER_PAGE).get_page(request.GET.get("page")),
        "can_moderate": feedback_services.can_moderate(user, pledge),
        "is_open": is_open,
        "record_form": record_form or (FeedbackRecordForm() if may_record else None),
    }
    return render(request, "pledges/feedback/pledge_feedback.html", context)


@login_required
def pledge_feedback(request, pledge_id):
    """All feedback of a pledge: the figures (online and recorded apart) and the comments
    with their status; the secretary records feedback gathered offline here (POST)."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if request.method != "POST":
        return _render_pledge_feedback(request, pledge)
    if not can_manage_branch(request.user, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以代为记录群众评议。"))
    form = FeedbackRecordForm(request.POST)
    if form.is_valid():
        try:
            feedback_services.feedback_record(
                pledge=pledge, actor=request.user, **form.cleaned_data
            )
        except ValidationError as refusal:
            add_service_error(form, refusal)
        else:
            messages.success(request, _("已记录一条群众评议（代为记录）。"))
            return redirect("pledges:pledge_feedback", pledge.pk)
    return _render_pledge_feedback(request, pledge, record_form=form)


@login_required
@require_POST
def feedback_moderate(request, feedback_id):
    """Approve (show publicly) or reject a comment; back to where the button was."""
    feedback = get_object_or_404(
        Feedback.objects.filter(pledge__in=pledges_visible_to(user=request.user)).select_related(
            "pledge__owner_branch__committee"
        ),
        pk=feedback_id,
    )
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("请选择公开或不公开。"))
    else:
        try:
            feedback_services.feedback_moderate(
                feedback=feedback, actor=request.user, approve=decision == "approve"
            )
        except ValidationError as refusal:
            messages.error(request, "；".join(refusal.messages))
        else:
            if decision == "approve":
                messages.success(request, _("留言已公开。"))
            else:
                messages.success(request, _("留言已设为不公开。"))
    default = reverse("pledges:pledge_feedback", args=[feedback.pledge_id])
    return HttpResponseRedirect(safe_next_url(request, default))


@login_required
def branch_feedback(request, branch_id):
    """The branch's comments waiting for approval, oldest first."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    waiting = (
        Feedback.objects.filter(pledge__owner_branch=branch, comment_status=CommentStatus.PENDING)
        .select_related("pledge__member", "pledge__branch", "recorded_by")
        .order_by("created_at", "pk")
    )
    context = {
        "branch": branch,
        "can_moderate": feedback_services.can_moderate_branch(request.user, branch),
        "page": Paginator(waiting, QUEUE_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "pledges/feedback/branch_feedback.html", context)


# ---------------------------------------------------------------------------
# Changes after publication
# ---------------------------------------------------------------------------


@login_required
def pledge_amend(request, pledge_id):
    """Change the wording or due date of a published pledge, with a reason made public."""
    pledge = pledge_for(user=request.user, pledge_id=pledge_id)
    if not can_manage_branch(request.user, pledge.owner_branch):
        raise PermissionDenied(_("只有本支部书记可以修改已公示的承诺。"))
    if pledge.status not in amend_services.AMENDABLE_STATUSES:
        messages.error(
            request,
            _("只有“已公示”或“践诺中”的承诺可以在公示后修改；当前状态为“%(status)s”。")
            % {"status": PledgeStatus(pledge.status).label},
        )
        return redirect(detail_url(pledge))
    if request.method == "POST":
        form = AmendForm(request.POST)
        if form.is_valid():
            try:
                amendments = amend_services.pledge_amend(
                    pledge=pledge,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    **form.changes(),
                )
            except ValidationError as refusal:
                add_service_error(form, refusal)
            else:
                messages.success(
                    request,
                    _("已修改 %(count)d 项内容，修改记录会在公示页面上显示。")
                    % {"count": len(amendments)},
                )
                return redirect(detail_url(pledge))
    else:
        form = AmendForm(
            initial={
                "title": pledge.title,
                "content": pledge.content,
                "beneficiaries": pledge.beneficiaries,
                "due_date": pledge.due_date,
            }
        )
    return render(request, "pledges/feedback/pledge_amend.html", {"pledge": pledge, "form": form})

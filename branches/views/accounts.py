"""Accounts, by organisation staff: open a secretary's or staff account, reset its password,
stop and restore it, see and lift sign-in lockouts; and everyone's own password change,
which also ends the one-time password of a first sign-in.

A one-time password appears only in the response to the POST that made it (never in the
session, a message or a URL), marked not to be stored by the browser or a proxy.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from branches.enums import AccountKind
from branches.forms import add_service_error
from branches.forms.accounts import AccountCreateForm
from branches.idempotency import mark_submitted
from branches.middleware import must_change_password, password_changed
from branches.names import person_name
from branches.selectors import branch_organised_for
from branches.selectors_organisation import ACCOUNT_FILTERS, account_managed_for, account_rows
from branches.services import accounts as services
from branches.signin import cool_off, failure_limit, lockouts_for
from branches.views.organisation import _pk, organiser_required

ACCOUNTS_PER_PAGE = 50

# Filters of the accounts list, in the order shown.
ACCOUNT_FILTER_LABELS = {
    "all": gettext_lazy("全部"),
    "secretary": AccountKind.SECRETARY.label,
    "review_staff": gettext_lazy("审核讲评"),
    "organisation_staff": gettext_lazy("组织管理"),
    "pending": gettext_lazy("待首次登录改密码"),
    "inactive": gettext_lazy("已停用"),
}


@organiser_required
def org_accounts(request):
    show = request.GET.get("show", "all")
    if show not in ACCOUNT_FILTERS:
        show = "all"
    query = request.GET.get("q", "").strip()
    accounts = account_rows(user=request.user, show=show, query=query)
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "branches/organisation/account_list.html",
        {
            "page_obj": page,
            "show": show,
            "query": query,
            "filters": ACCOUNT_FILTER_LABELS.items(),
            "kinds": AccountKind.choices,
            "locked_count": sum(lockout.is_locked for lockout in lockouts_for(user=request.user)),
        },
    )


def _handover(request, *, account, password: str, created: bool, replaced=None):
    """The handover slip: the only place the one-time password is ever shown. `replaced`
    tells of the secretary account the new one took over from: whether it was kept
    active (other roles) or deactivated by the change."""
    response = render(
        request,
        "branches/organisation/account_handover.html",
        {
            "account": account,
            "password_groups": services.one_time_password_groups(password),
            "password_length": len(password),
            "created": created,
            "replaced": replaced,
            "sign_in_url": settings.PUBLIC_BASE_URL + reverse("login"),
            "issued_at": timezone.now(),
        },
    )
    add_never_cache_headers(response)
    return response


@organiser_required
def org_account_add(request, kind: str):
    if kind not in AccountKind.values:
        raise Http404
    initial = {}
    branch_id = _pk(request.GET.get("branch"))
    if branch_id and kind == AccountKind.SECRETARY:
        branch = branch_organised_for(user=request.user, branch_id=branch_id)
        # The organisation's roster already names the secretary: start from that name.
        initial = {"branch": branch, "full_name": branch.secretary_name}
    form = AccountCreateForm(request.POST or None, user=request.user, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        branch = form.cleaned_data.get("branch")
        previous = branch.secretary if branch is not None else None
        previous_was_active = previous is not None and previous.is_active
        try:
            account, password = services.account_create(
                actor=request.user, kind=kind, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            replaced = None
            if previous is not None:
                # Read again: the service deactivates it when that was its last role.
                previous.refresh_from_db(fields=["is_active"])
                replaced = {
                    "account": previous,
                    "kept": previous.is_active,
                    "deactivated": previous_was_active and not previous.is_active,
                }
            response = _handover(
                request, account=account, password=password, created=True, replaced=replaced
            )
            # The password is shown once: the same submission again (its key) goes to the
            # account in the list, where a new password can be issued.
            accounts_url = reverse("branches:org_accounts")
            return mark_submitted(
                response, replay_to=f"{accounts_url}?{urlencode({'q': account.username})}"
            )
    return render(
        request,
        "branches/organisation/account_form.html",
        {"form": form, "kind": kind, "kind_label": AccountKind(kind).label},
    )


@organiser_required
@require_POST
def org_account_reset_password(request, account_id: int):
    account = account_managed_for(user=request.user, account_id=account_id)
    try:
        password = services.account_reset_password(actor=request.user, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("branches:org_accounts")
    return _handover(request, account=account, password=password, created=False)


@organiser_required
@require_POST
def org_account_deactivate(request, account_id: int):
    account = account_managed_for(user=request.user, account_id=account_id)
    try:
        services.account_deactivate(actor=request.user, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("已停用账号“%(name)s”：此人不能再登录，其记录保留。")
            % {"name": person_name(account)},
        )
    return redirect("branches:org_accounts")


@organiser_required
@require_POST
def org_account_reactivate(request, account_id: int):
    account = account_managed_for(user=request.user, account_id=account_id)
    try:
        services.account_reactivate(actor=request.user, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("已恢复账号“%(name)s”，此人可以用原密码登录。") % {"name": person_name(account)},
        )
    return redirect("branches:org_accounts")


@organiser_required
def org_signin_lockouts(request):
    """Failed sign-ins still counted against the accounts the person manages."""
    return render(
        request,
        "branches/organisation/account_lockouts.html",
        {
            "lockouts": lockouts_for(user=request.user),
            "failure_limit": failure_limit(),
            "cool_off_minutes": int(cool_off().total_seconds() // 60),
        },
    )


@organiser_required
@require_POST
def org_account_unlock(request, account_id: int):
    account = account_managed_for(user=request.user, account_id=account_id)
    try:
        services.account_unlock(actor=request.user, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("已解除账号“%(name)s”的登录锁定，此人现在可以登录。")
            % {"name": person_name(account)},
        )
    return redirect("branches:org_signin_lockouts")


# ---------------------------------------------------------------------------
# Everyone's own password
# ---------------------------------------------------------------------------
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, password validators included. At the first sign-in (or
    after a reset) the person has just typed the one-time password, so only the new
    password is asked; choosing it ends the one-time password."""

    success_url = reverse_lazy("password_change_done")

    def first_sign_in(self) -> bool:
        return must_change_password(self.request)

    def get_form_class(self):
        return SetPasswordForm if self.first_sign_in() else super().get_form_class()

    def get_context_data(self, **kwargs):
        return super().get_context_data(first_sign_in=self.first_sign_in(), **kwargs)

    def form_valid(self, form):
        first = self.first_sign_in()
        response = super().form_valid(form)
        services.account_password_chosen(user=form.user)
        password_changed(self.request)
        if first:
            messages.success(self.request, _("密码已设置。以后请用新密码登录。"))
            return redirect("home")
        return response

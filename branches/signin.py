"""Signing in: the client's address, the lockout after repeated failures, its page and its log.

django-axes counts failed sign-ins in the database (AccessAttempt), so every worker and every
server sees the same count: after settings.AXES_FAILURE_LIMIT failures for one account from
one address, that account is refused from that address until settings.AXES_COOLOFF_TIME has
passed since the last counted failure, or until organisation staff unlock it
(branches.services.accounts.account_unlock). A successful sign-in clears the count.

Every failed and every refused sign-in is logged on the "pledgewall.signin" logger: the
username as typed, the client's address and the failure count, never the password.
"""

import dataclasses
import datetime
import ipaddress
import logging
import math

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import handle_user_login_failed  # noqa: F401  (see "The log")
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from branches.http import safe_next_url
from branches.permissions import user_with_roles
from branches.selectors_organisation import accounts_managed_by

logger = logging.getLogger("pledgewall.signin")

# Set on a request whose sign-in the lockout refused before the password was checked.
_REFUSED_ATTR = "pledgewall_signin_refused"


# ---------------------------------------------------------------------------
# The client's address
# ---------------------------------------------------------------------------
def client_address(request) -> str:
    """The client's address, for the rate limits and the sign-in lockout. REMOTE_ADDR unless
    the deployment names a header its own proxy sets (settings.PUBLIC_CLIENT_ADDRESS_HEADER,
    e.g. "HTTP_X_REAL_IP" with nginx's `proxy_set_header X-Real-IP $remote_addr`): behind a
    proxy REMOTE_ADDR is the proxy, and every visitor would share one limit."""
    header = settings.PUBLIC_CLIENT_ADDRESS_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def client_ip_address(request) -> str | None:
    """The client's address as django-axes stores it (settings.AXES_CLIENT_IP_CALLABLE): the
    address of client_address when it is an IP address, else None (the column holds only
    IP addresses; a proxy that sends something else must not break signing in)."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# The lockout's state
# ---------------------------------------------------------------------------
@dataclasses.dataclass
class Lockout:
    """The failed sign-ins of one username from one address that still count."""

    username: str
    address: str | None
    failures: int
    last_attempt: datetime.datetime
    # When the address may try this username again; None while under the limit.
    locked_until: datetime.datetime | None
    # The account (with the staff's page only).
    account: object = None

    @property
    def is_locked(self) -> bool:
        # Axes counts a failure while it is no older than the cool-off: the end is included.
        return self.locked_until is not None and self.locked_until >= timezone.now()


def failure_limit() -> int:
    return get_failure_limit(None, None)


def cool_off() -> datetime.timedelta:
    return get_cool_off(None)


def _counting_attempts():
    """Attempt rows still counted: their last failure within the cool-off (as axes counts)."""
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off())


def _lockouts(attempts) -> list[Lockout]:
    """One Lockout per (username, address) of the attempt rows (axes keeps one row per user
    agent too). Locked while the failures of the newest rows still reach the limit: until
    the row that reaches it leaves the cool-off."""
    rows: dict[tuple, list] = {}
    for attempt in attempts:
        rows.setdefault((attempt.username, attempt.ip_address), []).append(attempt)
    limit, period = failure_limit(), cool_off()
    lockouts = []
    for (username, address), group in rows.items():
        group.sort(key=lambda attempt: attempt.attempt_time, reverse=True)
        counted, locked_until = 0, None
        for attempt in group:
            counted += attempt.failures_since_start
            if counted >= limit:
                locked_until = attempt.attempt_time + period
                break
        lockouts.append(
            Lockout(
                username=username,
                address=address,
                failures=sum(attempt.failures_since_start for attempt in group),
                last_attempt=group[0].attempt_time,
                locked_until=locked_until,
            )
        )
    return lockouts


def lockout_of(*, username: str, address: str | None) -> Lockout | None:
    """The counted failures of this username from this address, if any. One query."""
    lockouts = _lockouts(_counting_attempts().filter(username=username, ip_address=address))
    return lockouts[0] if lockouts else None


def lockouts_of(*, username: str) -> list[Lockout]:
    """The counted failures of this username, one Lockout per address. One query."""
    return _lockouts(_counting_attempts().filter(username=username))


def lockouts_for(*, user) -> list[Lockout]:
    """Counted failed sign-ins to the accounts the user manages (never a username without an
    account, nor an account outside the user's subtrees), each with its `account`: locked
    first, then the latest first. Three queries, however many."""
    attempts = _counting_attempts()
    accounts = {
        account.username: account
        for account in accounts_managed_by(user=user).filter(
            username__in=attempts.values("username")
        )
    }
    lockouts = _lockouts(attempts.filter(username__in=list(accounts)))
    for lockout in lockouts:
        lockout.account = accounts[lockout.username]
    lockouts.sort(key=lambda lockout: lockout.last_attempt, reverse=True)
    lockouts.sort(key=lambda lockout: not lockout.is_locked)
    return lockouts


def lockout_message(until: datetime.datetime) -> str:
    """What a locked-out person reads: until when, and who can unlock sooner."""
    now = timezone.now()
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    local = timezone.localtime(until)
    moment = date_format(local, "H:i" if local.date() == timezone.localdate(now) else "Y-m-d H:i")
    return _(
        "登录失败次数过多，此账号在当前网络上已暂停登录。请在 %(minutes)s 分钟后"
        "（%(moment)s 以后）再试；如需马上登录，请联系上级党组织的组织部门管理员解除锁定。"
    ) % {"minutes": minutes, "moment": moment}


# ---------------------------------------------------------------------------
# What django-axes calls
# ---------------------------------------------------------------------------
class SignInLockoutBackend(AxesStandaloneBackend):
    """The lockout check, before the backend that checks passwords.

    Checks without a request (a server-side command, the test client's login()) are not
    sign-ins and are let through to the next backend: axes would refuse them outright. A
    sign-in the lockout refuses is marked, so that its log line says so."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        try:
            return super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            setattr(request, _REFUSED_ATTR, True)
            raise


class UserWithRolesBackend(ModelBackend):
    """Django's ModelBackend, but a signed-in request's user is read with their roles in
    one query (branches.permissions.user_with_roles): every workspace page needs both, for
    its navigation and its permission checks. Their roles are still read afresh on every
    request, so a role given or taken counts at once."""

    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page with the lockout's message (settings.AXES_LOCKOUT_CALLABLE)."""
    username = get_client_username(request, credentials) or ""
    lockout = lockout_of(username=username, address=getattr(request, "axes_ip_address", None))
    until = (
        lockout.locked_until
        if lockout is not None and lockout.locked_until is not None
        else timezone.now() + cool_off()
    )
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "next": safe_next_url(request, ""),
            "locked_out": lockout_message(until),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# ---------------------------------------------------------------------------
# The log (the receiver is connected by branches.apps)
# ---------------------------------------------------------------------------
# axes.signals (imported above) connects axes's receivers before this one, whatever the
# order of INSTALLED_APPS: by the time it runs, the request carries axes's failure count and
# lockout flag.
@receiver(user_login_failed, dispatch_uid="pledgewall.signin.failed")
def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    """One line per wrong password at sign-in, with the failures counted so far; one more
    when that failure reaches the limit; one per sign-in refused while locked out."""
    if request is None:
        return  # a check on the server, not a sign-in
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_ip_address(request)
    if getattr(request, _REFUSED_ATTR, False):
        _log_locked("Sign-in refused, locked out", username=username, address=address)
        return
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        failures = AxesProxyHandler.get_failures(request, credentials)
    logger.warning(
        "Sign-in failed: username=%r address=%s failures=%d of %d",
        username,
        address,
        failures,
        failure_limit(),
    )
    if getattr(request, "axes_locked_out", False):
        _log_locked("Sign-in locked out", username=username, address=address)


def _log_locked(event: str, *, username: str, address: str | None) -> None:
    lockout = lockout_of(username=username, address=address)
    logger.warning(
        "%s: username=%r address=%s failures=%d locked_until=%s",
        event,
        username,
        address,
        lockout.failures if lockout is not None else 0,
        lockout.locked_until.isoformat() if lockout and lockout.locked_until else "-",
    )

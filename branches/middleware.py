"""The first sign-in with a one-time password: until the person chooses their own password,
every page sends them to the password change.

Whether the signed-in person holds a one-time password is read once per session (at sign-in
through `user_logged_in`, or on the first request of a session that predates this) and kept
in the session, so ordinary requests run no query for it. Handing out a new one-time
password changes the account's password, which ends all its sessions, so the remembered
answer cannot go stale.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from branches.models import OneTimePassword

SESSION_KEY = "pledgewall_one_time_password"
# URL names that stay reachable while the password must be changed.
EXEMPT_VIEWS = {"password_change", "logout", "healthz"}
# The public pages never read who is signed in: they are shared by everyone and must not
# vary by cookie (reading the session would add "Vary: Cookie"). Nothing there needs an
# account, so a one-time password holds nothing back.
PUBLIC_NAMESPACES = {"public", "reviews_public"}


def _holds_one_time_password(user) -> bool:
    return OneTimePassword.objects.filter(user=user).exists()


@receiver(user_logged_in, dispatch_uid="branches.one_time_password_at_login")
def remember_one_time_password(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = _holds_one_time_password(user)


def must_change_password(request) -> bool:
    """Whether the signed-in person still has to replace a one-time password."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return False
    if SESSION_KEY not in request.session:
        request.session[SESSION_KEY] = _holds_one_time_password(user)
    return request.session[SESSION_KEY]


def password_changed(request) -> None:
    """The person chose their own password in this session."""
    request.session[SESSION_KEY] = False


class OneTimePasswordMiddleware:
    """Sends a person signed in with a one-time password to the password change page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if self._exempt(request) or not must_change_password(request):
            return None
        messages.warning(request, _("您正在使用组织部门发放的一次性密码，请先设置您自己的密码。"))
        return redirect("password_change")

    @staticmethod
    def _exempt(request) -> bool:
        match = request.resolver_match
        if match is not None and (
            match.view_name in EXEMPT_VIEWS or match.namespace in PUBLIC_NAMESPACES
        ):
            return True
        path = request.path_info
        return any(path.startswith(prefix) for prefix in (settings.STATIC_URL, settings.MEDIA_URL))

"""Middleware of the site's own.

The first sign-in with a one-time password: until the person chooses their own password,
every page sends them to the password change.

Whether the signed-in person holds a one-time password is read once per session (at sign-in
through `user_logged_in`, or on the first request of a session that predates this) and kept
in the session, so ordinary requests run no query for it. Handing out a new one-time
password changes the account's password, which ends all its sessions, so the remembered
answer cannot go stale.
"""

import re
from itertools import chain
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from branches.http import is_site_path
from branches.models import OneTimePassword
from branches.xlsx import XLSX_CONTENT_TYPE

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


# C0 control characters but tab, line feed and carriage return, and DEL. No keyboard types
# them and no page of the site sends them; PostgreSQL refuses NUL in text outright.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ControlCharacterMiddleware:
    """Answers 400, with the Chinese page 400.html, to a query string or a posted form
    whose names or values hold a control character (see CONTROL_CHARACTERS).

    Only requests with a query string or a POST are read, so a plain page view costs
    nothing. Uploaded files are not read: only the form's text fields are.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.META.get("QUERY_STRING") and _holds_control_character(request.GET)) or (
            request.method == "POST" and _holds_control_character(request.POST)
        ):
            return bad_request_page(request)
        return self.get_response(request)


def _holds_control_character(data) -> bool:
    """Whether a QueryDict holds a control character in a name or a value."""
    texts = chain.from_iterable((key, *values) for key, values in data.lists())
    return CONTROL_CHARACTERS.search("\n".join(texts)) is not None


def bad_request_page(request) -> HttpResponseBadRequest:
    """The 400 page saying why, with a link back to the page the form was on, or to this
    page without its query string."""
    back = request.path if request.method == "GET" else ""
    try:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    except ValueError:  # e.g. a malformed IPv6 host
        referer = None
    if referer and referer.netloc == request.get_host():
        back = referer.path
    context = {"back": back if is_site_path(back) else "", "control_characters": True}
    text = render_to_string("400.html", context)
    return HttpResponseBadRequest(text)


# Paths whose every response is private, signed in or not: the workspace, the dashboard,
# sign-in and password pages (they carry CSRF tokens), the back office.
PRIVATE_PATH_PREFIXES = ("/work/", "/dashboard/", "/accounts/", "/admin/")


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` and `Vary: Cookie` on every response to a signed-in
    person, on every response under PRIVATE_PATH_PREFIXES and on every .xlsx download: no
    browser, proxy or shared computer keeps a copy of a page or a spreadsheet that only its
    reader may see.

    The public pages (PUBLIC_NAMESPACES) keep their own shared caching (ETag, public
    max-age) whoever asks: they are rendered without the request, the same for everyone,
    so a signed-in person's copy holds nothing of theirs, and they never read the session
    (which would add `Vary: Cookie` to them). Elsewhere, whether the visitor is signed in
    is asked only when a session cookie came with the request. Sits after
    AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self._private(request, response):
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Cookie",))
        return response

    @staticmethod
    def _private(request, response) -> bool:
        path = request.path_info
        if path.startswith(PRIVATE_PATH_PREFIXES) or path.endswith(".xlsx"):
            return True
        if response.get("Content-Type", "").startswith(XLSX_CONTENT_TYPE):
            return True
        match = request.resolver_match
        if match is not None and match.namespace in PUBLIC_NAMESPACES:
            return False
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return bool(getattr(user, "is_authenticated", False))

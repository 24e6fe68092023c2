"""Response headers of the hardening: the Content-Security-Policy on every page with no
inline script or style left for it to block, HTTPS redirect and HSTS from the settings,
and `Cache-Control: private, no-store` on what only a signed-in reader may see."""

import datetime
import io
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Q
from django.test import override_settings
from django.urls import Resolver404, path, resolve, reverse
from django.utils import timezone

from pledges.enums import PledgeStatus
from pledges.models import Pledge
from tests import factories

TODAY = timezone.localdate()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLICY = {
    "default-src": "'self'",
    # A page whose print style uses the nonce adds it here; no other page does.
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    directives = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: value for name, value in directives}


def cache_control(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip().split("=")[0] for part in header.split(",") if part.strip()}


def varies_by_cookie(response) -> bool:
    return "cookie" in response.headers.get("Vary", "").lower().replace(" ", "").split(",")


# ---------------------------------------------------------------------------
# Inline script and style: what the policy would block
# ---------------------------------------------------------------------------
class InlineCode(HTMLParser):
    """Everything inline that `default-src 'self'` blocks: style attributes, <style>
    elements, event handler attributes, javascript: addresses and script bodies."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.links: list[str] = []
        # Nonces of <style> elements: allowed only when the response's policy names them.
        self.nonces: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower() for name, _value in attrs}
        if "style" in names:
            self.found.append(f"<{tag} style=…>")
        self.found += [f"<{tag} {name}=…>" for name in sorted(names) if name.startswith("on")]
        for name, value in attrs:
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            if dict(attrs).get("nonce"):
                self.nonces.append(dict(attrs)["nonce"])
            else:
                self.found.append("<style> without nonce")
        if tag == "script":
            data_block = dict(attrs).get("type") == "application/json"
            self._in_script = not data_block
            if "src" not in names and not data_block:
                self.found.append("<script> without src")
        if tag == "a":
            self.links += [value for name, value in attrs if name == "href" and value]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script body")


def inspected(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize(
    "html",
    [
        '<div style="width:3px">',
        "<style>p{}</style>",
        '<button onclick="go()">',
        '<svg><rect onload="x()"/></svg>',
        '<a href="javascript:void(0)">',
        "<script>alert(1)</script>",
        '<script src="/static/js/forms.js">alert(1)</script>',
    ],
)
def test_inline_code_finder_catches_each_kind(html):
    assert inspected(html).found != []


def test_inline_code_finder_lets_files_and_data_through():
    html = (
        '<link rel="stylesheet" href="/static/css/app.css">'
        '<script src="/static/js/forms.js" defer></script>'
        '<script type="application/json" id="d">{"a": 1}</script>'
        '<svg viewBox="0 0 100 6"><rect class="fill" width="40" height="6"/></svg>'
        "<p>style=&quot;x&quot; onclick= as text</p>"
    )
    assert inspected(html).found == []


# ---------------------------------------------------------------------------
# Pages the crawl does not reach by links
# ---------------------------------------------------------------------------
def test_login_with_errors_403_and_404_have_the_policy_and_no_inline_code(client_as, org):
    client = client_as("anonymous")
    failed_login = client.post(reverse("login"), {"username": "fanzhai", "password": "wrong"})
    assert failed_login.status_code == 200
    assert 'src="/static/js/forms.js"' in failed_login.content.decode()
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    forbidden = client_as("secretary").get(reverse("branches:org_home"))
    assert forbidden.status_code == 403
    for response in (failed_login, not_found, forbidden):
        assert policy_of(response) == POLICY
        assert inspected(response.content.decode()).found == []


def test_a_printed_manual_styles_its_running_header_with_the_nonce_of_its_policy(client_as, org):
    """The manuals' @page rule (branch and year at the top of each page) is the only inline
    style, allowed by the nonce of that response alone."""
    member = factories.make_member(org.branch, name="张三")
    response = client_as("secretary").get(reverse("reviews:member_manual", args=[member.pk]))
    assert response.status_code == 200
    found = inspected(response.content.decode())
    assert found.found == []
    assert len(found.nonces) == 1
    assert policy_of(response)["style-src"] == f"'self' 'nonce-{found.nonces[0]}'"
    again = client_as("secretary").get(reverse("reviews:member_manual", args=[member.pk]))
    assert inspected(again.content.decode()).nonces != found.nonces


def _server_error(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _server_error)]


@pytest.mark.urls(__name__)
def test_server_error_page_has_the_policy_and_no_inline_code(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert policy_of(response) == POLICY
    assert inspected(response.content.decode()).found == []
    assert 'href="/static/css/app.css"' in response.content.decode()


def test_admin_pages_have_the_policy_and_no_inline_code(client, org):
    admin = factories.make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    pledge = factories.make_pledge(branch=org.branch)
    for url in [
        reverse("admin:index"),
        reverse("admin:pledges_pledge_changelist"),
        reverse("admin:pledges_pledge_change", args=[pledge.pk]),
        reverse("admin:branches_branch_add"),
        reverse("admin:auth_user_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy_of(response) == POLICY, url
        assert inspected(response.content.decode()).found == [], url


# ---------------------------------------------------------------------------
# HTTPS: the redirect, its exemption for the health check, HSTS
# ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_ssl_redirect_sends_plain_http_to_https_except_the_health_check(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    page = client.get("/figures/")
    assert page.status_code == 301
    assert page.headers["Location"] == "https://testserver/figures/"
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.content == b"ok"


@pytest.mark.django_db
def test_https_through_the_proxy_header_is_served_with_hsts(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/figures/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


@pytest.mark.django_db
def test_plain_http_gets_no_hsts(settings, client):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/figures/")
    assert "Strict-Transport-Security" not in response.headers


# ---------------------------------------------------------------------------
# Cache-Control: private, no-store
# ---------------------------------------------------------------------------
QUARTER = (TODAY.month - 1) // 3 + 1

SIGNED_IN_PAGES = [
    ("secretary", "home", lambda o: []),
    ("secretary", "pledges:branch_pledges", lambda o: [o.branch.pk]),
    ("secretary", "pledges:needs", lambda o: [o.branch.pk]),
    ("secretary", "pledges:members", lambda o: [o.branch.pk]),
    ("secretary", "pledges:pledge_add", lambda o: [o.branch.pk]),
    ("secretary", "reviews:monthly_members", lambda o: [o.branch.pk]),
    ("secretary", "pledges:wall_sheet", lambda o: [o.branch.pk]),
    ("secretary", "password_change", lambda o: []),
    ("town_staff", "home", lambda o: []),
    ("town_staff", "pledges:approvals", lambda o: []),
    ("town_staff", "pledges:branch_list", lambda o: []),
    ("town_staff", "dashboard", lambda o: []),
    ("town_staff", "reviews:calendar", lambda o: []),
    ("town_staff", "reviews:quarterly", lambda o: [TODAY.year, QUARTER]),
    ("town_staff", "reviews:yearend", lambda o: [TODAY.year]),
    ("district_organiser", "branches:org_home", lambda o: []),
    ("district_organiser", "branches:org_accounts", lambda o: []),
    ("district_organiser", "branches:org_import_index", lambda o: ["members"]),
]

DOWNLOADS = [
    ("town_staff", "dashboard_export", lambda o: []),
    ("town_staff", "reviews:quarterly_export", lambda o: [TODAY.year, QUARTER]),
    ("town_staff", "reviews:yearend_export", lambda o: [TODAY.year]),
    ("district_organiser", "branches:org_import_export", lambda o: []),
    ("district_organiser", "branches:org_import_template", lambda o: ["organisation"]),
    ("district_organiser", "branches:org_import_template", lambda o: ["members"]),
]


def assert_private(response):
    directives = cache_control(response)
    assert {"private", "no-store"} <= directives, response.headers.get("Cache-Control")
    assert "public" not in directives
    assert varies_by_cookie(response)


@pytest.mark.parametrize(("who", "name", "args"), SIGNED_IN_PAGES)
def test_signed_in_pages_are_private_and_not_stored(client_as, org, who, name, args):
    response = client_as(who).get(reverse(name, args=args(org)))
    assert response.status_code == 200
    assert_private(response)


@pytest.mark.parametrize(("who", "name", "args"), DOWNLOADS)
def test_xlsx_downloads_are_private_and_not_stored(client_as, org, who, name, args):
    response = client_as(who).get(reverse(name, args=args(org)))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == XLSX
    assert_private(response)


@pytest.mark.parametrize("url", ["/accounts/login/", "/work/", "/dashboard/"])
def test_workspace_addresses_are_private_for_anonymous_visitors_too(client, db, url):
    assert_private(client.get(url))


@pytest.fixture
def public_pages(org):
    """The public addresses of `org`: site, figures, a branch's and a member's code, a
    published pledge and a code's image."""
    cache.clear()
    member = factories.make_member(org.branch, name="王建国")
    pledge = factories.walk_to(
        factories.make_pledge(member=member, due_date=TODAY + datetime.timedelta(days=30)),
        PledgeStatus.PUBLISHED,
        secretary=org.secretary,
        staff=org.town_staff,
    )
    yield [
        reverse("public:district_site"),
        reverse("public:figures"),
        reverse("public:by_token", args=[org.branch.public_token]),
        reverse("public:by_token", args=[member.public_token]),
        reverse("public:pledge_page", args=[pledge.pk]),
        reverse("public:qr_svg", args=[member.public_token]),
    ]
    cache.clear()


def test_public_pages_keep_their_public_caching_for_anonymous_visitors(client, public_pages):
    for url in public_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = cache_control(response)
        assert {"public", "max-age"} <= directives, url
        assert directives.isdisjoint({"private", "no-store"}), url
        assert not varies_by_cookie(response), url
        assert response.headers["ETag"], url


def test_public_pages_stay_shared_for_a_signed_in_person(client_as, public_pages):
    # Rendered without the request, the same for everyone: nothing of the person in them.
    client = client_as("secretary")
    for url in public_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "public" in cache_control(response), url
        assert not varies_by_cookie(response), url


def test_other_pages_are_private_for_a_signed_in_person(client_as, org):
    client = client_as("secretary")
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_private(not_found)
    assert_private(client.get(reverse("healthz")))
    anonymous = client_as("anonymous").get("/no-such-page/")
    assert cache_control(anonymous).isdisjoint({"private", "no-store"})


# ---------------------------------------------------------------------------
# The demo district, crawled as each kind of person (last in the module: the demo's
# people would clash with those of `org` until the module's end empties it)
# ---------------------------------------------------------------------------
# Pages of one route visited at most twice (whatever the ids and query; a branch's board
# and a member's page share one): breadth, not every pledge; and at most this many pages a
# person, so the crawl stays within seconds.
VISITS_PER_ROUTE = 2
MAX_PAGES = 80
# Never followed: signing out, files, the images of codes (checked as public pages below).
NOT_FOLLOWED = ("/accounts/logout/", "/media/", "/static/", ".xlsx", ".png", ".svg")
START_PAGES = {
    "anonymous": ["/", "/figures/", "/results/", "/search/?q=范寨", "/accounts/login/"],
    "fanzhai": ["/work/"],
    "jishi": ["/work/", "/dashboard/"],
    "district": ["/work/", "/dashboard/", "/work/reviews/calendar/"],
    "zuzhi": ["/work/", "/work/organisation/", "/work/organisation/imports/members/"],
}


def secretary_forms(user) -> list[str]:
    """The forms of a pledge under way, which the crawl may miss by visiting other pledges:
    recording progress, completing it, changing it after publication."""
    pledge = (
        Pledge.objects.filter(Q(branch__secretary=user) | Q(member__branch__secretary=user))
        .filter(status=PledgeStatus.IN_PROGRESS)
        .order_by("pk")
        .first()
    )
    return [
        reverse(name, args=[pledge.pk])
        for name in (
            "pledges:pledge_detail",
            "pledges:progress_add",
            "pledges:pledge_complete",
            "pledges:pledge_amend",
        )
    ]


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker):
    """The demo district as `seed_demo --bulk` writes it, emptied at the end."""
    hashers = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), hashers:
        call_command("seed_demo", "--bulk", stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


def _route_key(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.route


def crawl(client, start: list[str]):
    """Same-site pages reachable by links from `start`, breadth first, VISITS_PER_ROUTE of
    each route, at most MAX_PAGES: yields (url, response)."""
    queue, seen, visits = list(start), set(start), Counter()
    while queue and visits.total() < MAX_PAGES:
        url = queue.pop(0)
        route = _route_key(url)
        if route is None or visits[route] >= VISITS_PER_ROUTE:
            continue
        visits[route] += 1
        response = client.get(url)
        yield url, response
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        for href in inspected(response.content.decode()).links:
            target = urljoin(url, href).split("#")[0]
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen or any(mark in parts.path for mark in NOT_FOLLOWED):
                continue
            seen.add(local)
            queue.append(local)


@pytest.mark.parametrize("who", list(START_PAGES))
def test_every_page_carries_the_policy_and_no_inline_code(demo_district, db, client, who):
    start = START_PAGES[who]
    if who != "anonymous":
        user = get_user_model().objects.get(username=who)
        client.force_login(user)
        if who == "fanzhai":
            start = [*start, *secretary_forms(user)]
    visited, faults = 0, {}
    for url, response in crawl(client, start):
        visited += 1
        assert response.status_code < 500, url
        expected = POLICY
        if "text/html" in response.headers.get("Content-Type", ""):
            page = inspected(response.content.decode())
            if page.nonces:
                # A printed page's <style nonce> is allowed by that nonce alone.
                nonces = " ".join(f"'nonce-{nonce}'" for nonce in page.nonces)
                expected = POLICY | {"style-src": f"'self' {nonces}"}
            if page.found:
                faults[url] = sorted(set(page.found))
        assert policy_of(response) == expected, url
    assert faults == {}
    # The crawl went on from the start to the person's other pages.
    assert visited > 2 * len(start)

"""Junk into every form of the site, as every role: never a server error, and a refusal
changes nothing.

The URLs come from the URL conf itself (every pattern but the admin and static files), so a
page is fuzzed the day it is added. Path converters are filled with the ids of a small world
(a district with branches, members, needs, pledges in several statuses, a quarter's
reviews, a pairing, an import waiting) or with ids that name nothing.

First every page is read once, as the first of a secretary, town staff and a district
organiser it opens for: its forms say which fields each URL takes (a form posting to
another URL lends that URL its fields) and its links which query string keys, with the
values the page offers. Then hypothesis draws, per URL, the role (all of `org`'s and
anonymous), GET or POST, the path's objects, a query string and a form: offered values,
real ids and choices, control characters, huge, negative and non-ASCII numbers, emoji, long
texts and hostile `next` values.

Each example runs in a savepoint rolled back afterwards, so every example meets the same
world. A refusal (a 4xx; a form shown again with 200; a redirect to sign-in or with an
error message) must leave every table as it was, compared row by row.

Bounded for CI: FUZZ_EXAMPLES examples per URL (the environment variable, default below),
derandomized so that a run is reproducible. Failures are collected over all URLs and
reported together, each with the input hypothesis shrank it to. FUZZ_ONLY=name,name runs
only the URLs whose names contain one of these (while fixing what a run found).
"""

import datetime
import hashlib
import html.parser
import os
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django import forms
from django.conf import settings as django_settings
from django.contrib import messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.http import urlencode
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from branches.enums import AccountKind, BranchKind, ImportKind
from branches.idempotency import replay_location
from branches.imports.services import import_batch_create
from branches.services.pairings import member_pairing_create, pairing_create
from pledges.enums import CommentStatus, FeedbackRating, NeedStatus, PledgeMove, PledgeStatus
from pledges.models import Feedback, TimeNode
from reviews.enums import ReviewRating
from reviews.services.halfyear import notice_generate
from reviews.services.monthly import monthly_reports_save
from reviews.services.quarterly import quarterly_briefing_save, quarterly_review_save
from reviews.services.yearend import evaluation_record
from tests import factories
from tests.branches.imports_support import member_row, xlsx
from tests.conftest import ORGANISATION_ROLES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# Tables a refused request may still write, each for its own reason.
WRITTEN_ON_REFUSAL = {
    # A refused sign-in, or a sign-out, ends or starts a session.
    "django_session",
    # django-axes logs sign-ins and counts the failed ones: a refused sign-in's purpose.
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
}
# URLs that answer a carried-out form with a page (200) unmarked by
# branches.idempotency.mark_submitted: the new password, shown once.
RESULT_PAGES = {"branches:org_account_reset_password"}
# Tables written whenever a page is shown, a refused form's too: the access log of the
# members' phone numbers the page shows.
WRITTEN_WHEN_SHOWN = {"branches_personaldataaccess"}
# Path converter values that name no object (the larger is past any database's integer).
MISSING_IDS = [987654, 10**20]
# The most fields of a form drawn (a sheet of every member has hundreds).
MAX_FIELDS = 40
# Roles that read the pages for their fields, in this order.
READERS = ("secretary", "town_staff", "district_organiser")


# ---------------------------------------------------------------------------
# The URLs, from the URL conf
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"; "" for a pattern without a name
    route: str  # the pattern as written
    arguments: tuple[str, ...]  # the path converters' names


def _routes(patterns, prefix="", namespace="") -> list[Route]:
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("admin/", "static/", "media/", "^media/")):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            found.append(Route(name, route, tuple(getattr(pattern.pattern, "converters", {}))))
    return found


ROUTES = _routes(get_resolver().url_patterns)
# The fuzzed ones: an unnamed pattern cannot be built (the discovery test fails on it).
NAMED_ROUTES = [route for route in ROUTES if route.name]


def test_fuzz_discovers_every_url_of_the_site():
    """Every pattern has a name (so it can be built and fuzzed), once, and the forms of
    every app are found."""
    names = [route.name for route in ROUTES]
    assert [route.route for route in ROUTES if not route.name] == []
    assert len(names) == len(set(names))
    for expected in (
        "pledges:need_add",
        "pledges:pledge_move",
        "branches:org_import_upload",
        "reviews:quarterly_review",
        "public:feedback_submit",
        "login",
    ):
        assert expected in names


# ---------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------


@dataclass
class World:
    users: dict
    sessions: dict = field(default_factory=dict)
    path_values: dict = field(default_factory=dict)
    ids: list = field(default_factory=list)


def _walked(org, status, **owner):
    """A pledge of 范寨村 (or of `branch`, or of `member`) moved along the workflow."""
    pledge = factories.make_pledge(**(owner or {"branch": org.branch}))
    secretary = pledge.owner_branch.secretary
    return factories.walk_to(pledge, status, secretary=secretary, staff=org.district_staff)


@pytest.fixture
def world(org):
    """A small district in the states the pages show, and a session for every role."""
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    office = factories.make_branch(
        org.town,
        factories.make_user("jiguan"),
        name="镇机关党支部",
        kind=BranchKind.GOVERNMENT_OFFICE,
    )
    members = [
        factories.make_member(org.branch, name="李荣花", phone="13900001111"),
        factories.make_member(org.branch, name="张喜民", public_page_enabled=False),
        factories.make_member(org.branch, name="王离开", is_active=False),
        factories.make_member(org.other_branch, name="赵姬石"),
        factories.make_member(office, name="机关党员"),
    ]
    needs = [
        factories.make_need(org.branch),
        factories.make_need(org.branch, status=NeedStatus.RESOLVED),
        factories.make_need(org.branch, status=NeedStatus.DROPPED),
        factories.make_need(org.other_branch),
    ]
    pledges = [
        _walked(org, status)
        for status in (
            PledgeStatus.DRAFT,
            PledgeStatus.SUBMITTED,
            PledgeStatus.RETURNED,
            PledgeStatus.PUBLISHED,
            PledgeStatus.IN_PROGRESS,
            PledgeStatus.COMPLETED,
            PledgeStatus.VERIFIED,
            PledgeStatus.VERIFIED,
            PledgeStatus.WITHDRAWN,
        )
    ]
    pledges += [
        _walked(org, PledgeStatus.IN_PROGRESS, member=members[0]),
        _walked(org, PledgeStatus.SUBMITTED, branch=org.other_branch),
        _walked(org, PledgeStatus.PUBLISHED, branch=org.far_branch),
    ]
    in_progress = pledges[4]
    in_progress.needs.add(needs[0])
    node = TimeNode.objects.create(
        pledge=in_progress, due_on=today + datetime.timedelta(days=30), description="首次浇水"
    )
    feedback = Feedback.objects.create(
        pledge=in_progress,
        rating=FeedbackRating.SATISFIED,
        comment="路灯修好了",
        comment_status=CommentStatus.PENDING,
        address_hash="fuzz",
        day=today,
    )
    quarterly_review_save(
        pledge=in_progress,
        year=year,
        quarter=quarter,
        actor=org.town_staff,
        rating=ReviewRating.GOOD,
        on_schedule=True,
        comment="按计划推进",
    )
    quarterly_briefing_save(
        branch=org.branch,
        year=year,
        quarter=quarter,
        actor=org.secretary,
        summary="本季度讲评",
        member_comments="无",
        held_on=today,
    )
    monthly_reports_save(
        branch=org.branch,
        month=today.replace(day=1),
        actor=org.secretary,
        entries=[
            {"member_id": members[0].pk, "service_done": "浇水", "problems": "", "next_steps": "续"}
        ],
    )
    evaluation_record(
        pledge=pledges[7], actor=org.town_staff, organisation_rating=ReviewRating.GOOD
    )
    notice = notice_generate(committee=org.town, year=year, actor=org.town_staff)
    pairing = pairing_create(
        actor=org.district_organiser, office_branch=office, village_branch=org.branch, year=year
    )
    member_pairing = member_pairing_create(
        actor=org.district_organiser, member=members[4], village_branch=org.branch, year=year
    )
    batch = import_batch_create(
        kind=ImportKind.MEMBERS,
        committee=org.town,
        filename="名册.xlsx",
        content=xlsx([member_row()]),
        full_roster=False,
        actor=org.district_organiser,
    )
    world = World(
        users={role: getattr(org, role) for role in ORGANISATION_ROLES if role != "anonymous"}
    )
    for role, user in world.users.items():
        client = Client()
        client.force_login(user)
        world.sessions[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    world.path_values = {
        "branch_id": [org.branch.pk, org.other_branch.pk, org.far_branch.pk, office.pk],
        "member_id": [member.pk for member in members],
        "need_id": [need.pk for need in needs],
        # The pledge being carried out first: its page has the most forms.
        "pledge_id": [in_progress.pk, *(pledge.pk for pledge in pledges if pledge != in_progress)],
        "node_id": [node.pk],
        "feedback_id": [feedback.pk],
        "committee_id": [org.town.pk, org.district.pk, org.other_town.pk],
        "pairing_id": [pairing.pk, member_pairing.pk],
        "account_id": [org.secretary.pk, org.town_staff.pk, org.town_organiser.pk],
        "batch_id": [batch.pk],
        "notice_id": [notice.pk],
        "year": [year, year - 1],
        "month": [today.month, 1],
        "quarter": [quarter, 1],
        "token": [members[0].public_token, members[1].public_token, org.branch.public_token],
        "kind": [*ImportKind.values, *AccountKind.values],
        "move": list(PledgeMove.values),
    }
    world.ids = sorted(
        {pk for name, pks in world.path_values.items() if name.endswith("_id") for pk in pks}
    )
    return world


def client_as(world: World, role: str) -> Client:
    """A client signed in as the role, with the session the world made for it."""
    client = Client()
    if role != "anonymous":
        client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


# ---------------------------------------------------------------------------
# What each URL takes, read from the pages
# ---------------------------------------------------------------------------


@dataclass
class Takes:
    """The form fields and query string keys a URL takes, each with the values offered."""

    fields: dict[str, set[str]] = field(default_factory=dict)
    query: dict[str, set[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    # Who was shown a page with this URL's form or link: someone it is meant for.
    readers: list[str] = field(default_factory=list)


def _route_of(url: str, page_url: str) -> str | None:
    path = urlsplit(url).path or urlsplit(page_url).path
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


class _PageReader(html.parser.HTMLParser):
    """Adds a page's forms (by the URL they post to) and links to `takes`; keeps the
    page's links to itself with an id in their query string (a list narrowed to one
    branch shows more forms)."""

    def __init__(self, page_url: str, takes: dict[str, Takes], reader: str):
        super().__init__()
        self.page_url = page_url
        self.takes = takes
        self.reader = reader
        self.own_route = _route_of(page_url, page_url)
        self.narrowed: list[str] = []
        self._form: tuple[str | None, bool] = (self.own_route, False)
        self._select: str | None = None

    def _entry(self, route: str) -> Takes:
        entry = self.takes.setdefault(route, Takes())
        if self.reader not in entry.readers:
            entry.readers.append(self.reader)
        return entry

    def _offer(self, name, value):
        route, is_get = self._form
        if route is None:
            return
        entry = self._entry(route)
        values = (entry.query if is_get else entry.fields).setdefault(name, set())
        if value:
            values.add(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            action = attrs.get("action") or self.page_url
            method = (attrs.get("method") or "get").lower()
            self._form = (_route_of(action, self.page_url), method == "get")
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            route = _route_of(attrs["href"], self.page_url)
            if route is not None:
                entry = self._entry(route)
                pairs = parse_qsl(urlsplit(attrs["href"]).query)
                for key, value in pairs:
                    entry.query.setdefault(key, set()).add(value)
                if route == self.own_route and any(value.isdigit() for _key, value in pairs):
                    self.narrowed.append(attrs["href"])
        elif tag in ("input", "textarea", "select", "button") and name:
            self._offer(name, attrs.get("value", ""))
            if attrs.get("type") == "file" and self._form[0]:
                self._entry(self._form[0]).files.add(name)
            if tag == "select":
                self._select = name
        elif tag == "option" and self._select:
            self._offer(self._select, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = (self.own_route, False)
        elif tag == "select":
            self._select = None


def read_pages(world: World) -> dict[str, Takes]:
    """What every URL takes, from every page read as the first reader it opens for; a
    pledge's pages for pledges in three statuses, since each status has its own forms."""
    takes: dict[str, Takes] = {}
    for route in NAMED_ROUTES:
        first = route.arguments[0] if route.arguments else None
        for value in (
            world.path_values[first][: 3 if first == "pledge_id" else 1] if first else [None]
        ):
            kwargs = {name: world.path_values[name][0] for name in route.arguments}
            if first:
                kwargs[first] = value
            url = reverse(route.name, kwargs=kwargs)
            for role in READERS:
                if _read(url, world, role, takes, narrow=True) in (200, 405):
                    break  # read, or not a page at all
    return takes


def _read(url: str, world: World, role: str, takes: dict[str, Takes], *, narrow: bool) -> int:
    """Reads one page into `takes` (and, with `narrow`, its first link to itself narrowed
    by an id); returns the status."""
    with transaction.atomic():
        response = client_as(world, role).get(url)
        transaction.set_rollback(True)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        reader = _PageReader(url, takes, role)
        reader.feed(response.text)
        if narrow and reader.narrowed:
            _read(urljoin(url, reader.narrowed[0]), world, role, takes, narrow=False)
    return response.status_code


# ---------------------------------------------------------------------------
# The junk
# ---------------------------------------------------------------------------


def _site_field_names() -> list[str]:
    """Every field name of the site's forms and templates, for fields sent where they do
    not belong."""
    names = set()
    stack = [forms.BaseForm]
    while stack:
        form_class = stack.pop()
        stack += form_class.__subclasses__()
        if form_class.__module__.split(".")[0] in ("branches", "pledges", "reviews"):
            names |= set(getattr(form_class, "base_fields", {}))
    for template in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'\bname="([^"{}]+)"', template.read_text(encoding="utf-8")))
    return sorted(names - {"csrfmiddlewaretoken"})


SITE_FIELD_NAMES = _site_field_names()
NEXT_VALUES = [
    "-1",
    "\x00",
    "//evil.com",
    "/\\evil.com",
    "https://evil.com/",
    "javascript:alert(1)",
    "😀",
    "",
    "/work/",
]
NUMBERS = ["-1", "0", "²", "١٢", "9" * 20, "9" * 400, "1e309", "NaN", " 1", "1.5"]
TEXTS = [
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-13",
    "on",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "\\",
    "😀👨‍👩‍👧🇨🇳",
    "\u202e\u200b",
    "a\x00b",
    "\x1b[31m",
    "长" * 5000,
    "x" * 100_000,
]
CHOICES = sorted(
    {
        *PledgeStatus.values,
        *PledgeMove.values,
        *NeedStatus.values,
        *ReviewRating.values,
        *FeedbackRating.values,
        *CommentStatus.values,
        *AccountKind.values,
        *ImportKind.values,
        "approve",
        "reject",
        "yes",
        "no",
        "1",
    }
)
# The junk of the explicit examples: a digit that is no number, too many digits, a negative
# number, an emoji, nothing, a NUL (which PostgreSQL refuses in text).
PROBES = ["²", "9" * 20, "-1", "😀", "", "a\x00b"]
# Text without control characters: those are answered at the door (400) and have their own
# few entries in TEXTS and NEXT_VALUES, so most examples reach the views.
PLAIN_TEXT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=30)


def _values(world: World, offered: set[str]):
    """One value: offered by the page (twice as likely as each other kind), a real id or
    choice, or junk."""
    offered_values = st.sampled_from(sorted(offered)) if offered else st.nothing()
    return st.one_of(
        offered_values,
        offered_values,
        st.sampled_from([str(pk) for pk in world.ids]),
        st.sampled_from(CHOICES),
        st.sampled_from(NUMBERS),
        st.sampled_from(NUMBERS),
        st.sampled_from(TEXTS),
        st.sampled_from(NEXT_VALUES),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        PLAIN_TEXT,
    )


def _form(world: World, offered: dict[str, set[str]], extra_names: list[str]):
    """A form or query string: the offered names, all of them (twice as often, so that some
    forms are carried out) or a few, and up to two names from elsewhere."""
    names = sorted(offered)[:MAX_FIELDS]
    lists = {
        name: st.lists(_values(world, offered[name]), min_size=1, max_size=2) for name in names
    }
    some = st.lists(st.sampled_from(names), unique=True, max_size=6) if names else st.just([])
    chosen = st.one_of(st.just(names), st.just(names), some).flatmap(
        lambda picked: st.fixed_dictionaries({name: lists[name] for name in picked})
    )
    others = st.dictionaries(
        st.sampled_from(extra_names) | PLAIN_TEXT.filter(bool),
        st.lists(_values(world, set()), min_size=1, max_size=2),
        max_size=2,
    )
    return st.builds(lambda picked, extra: {**extra, **picked}, chosen, others)


@dataclass
class Case:
    role: str
    method: str
    kwargs: dict
    query: dict
    data: dict

    def __repr__(self):
        def short(values):
            return [value[:60] + "…" if len(value) > 60 else value for value in values]

        data = {key: short(values) for key, values in self.data.items()}
        query = {key: short(values) for key, values in self.query.items()}
        return f"Case({self.role!r}, {self.method}, {self.kwargs}, query={query}, data={data})"


def _cases(route: Route, world: World, takes: Takes):
    path_arguments = {
        name: st.sampled_from(
            world.path_values[name] + (MISSING_IDS if name.endswith("_id") else [])
        )
        for name in route.arguments
    }
    readers = st.sampled_from(takes.readers) if takes.readers else st.nothing()
    return st.builds(
        Case,
        # Those the URL is for, half the time: their requests get past the permission checks.
        role=st.one_of(readers, st.sampled_from(ORGANISATION_ROLES)),
        method=st.sampled_from(["POST", "POST", "GET"]),
        kwargs=st.fixed_dictionaries(path_arguments),
        query=_form(world, {"next": set(), **takes.query}, ["page", "q", "year", "next"]),
        data=_form(world, {"next": set(), **takes.fields}, SITE_FIELD_NAMES),
    )


def probes(route: Route, world: World, takes: Takes) -> list[Case]:
    """The explicit examples run before the drawn ones: as the page's reader (or anonymous),
    every field and query string key holding the same junk, for each junk that broke
    views before."""
    role = takes.readers[0] if takes.readers else "anonymous"
    kwargs = {name: world.path_values[name][0] for name in route.arguments}
    cases = []
    for junk in PROBES:
        query = dict.fromkeys([*takes.query, "next", "page"], [junk])
        data = dict.fromkeys([*list(takes.fields)[:MAX_FIELDS], "next"], [junk])
        cases.append(Case(role, "POST", kwargs, query, data))
        cases.append(Case(role, "GET", kwargs, query, {}))
    return cases


def _uploads(takes: Takes) -> dict:
    """A file for each file input the URL takes: a real spreadsheet or junk bytes."""
    return {
        name: SimpleUploadedFile(
            "名册.xlsx", xlsx([member_row()]) if index % 2 == 0 else b"\x00junk\xff" * 10
        )
        for index, name in enumerate(sorted(takes.files))
    }


# ---------------------------------------------------------------------------
# Before and after
# ---------------------------------------------------------------------------


def snapshot() -> dict[str, str]:
    """A digest of every row of every table, by table."""
    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.django_table_names(only_existing=True)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            rows = cursor.fetchall()
            if rows and any(isinstance(value, memoryview) for value in rows[0]):
                # PostgreSQL's bytea: a memoryview, whose repr is its address.
                rows = [
                    tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows
                ]
            digests[table] = hashlib.blake2b(repr(rows).encode()).hexdigest()
    return digests


def is_refusal(case: Case, response) -> bool:
    """Whether the site said no: a 4xx, sign-in, an error message, or a form answered with
    a page (200) that is not marked as the page of a carried-out submission (a handover
    slip, see branches.idempotency)."""
    if response.status_code >= 400:
        return True
    if response.get("Location", "").startswith(reverse("login")):
        return True
    queued = messages.get_messages(response.wsgi_request)
    if any(message.level == messages.ERROR for message in queued):
        return True
    return (
        case.method == "POST"
        and response.status_code == 200
        and not replay_location(response.wsgi_request, response)
    )


# ---------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------


def fuzz_route(route: Route, world: World, takes: Takes, baseline: dict[str, str]) -> str:
    """Runs the route's examples; "" when all pass, else what failed and on which input.

    Every example starts from the same rows (the previous one was rolled back), so each
    refusal is compared with `baseline`, the world's snapshot taken once.
    """

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # No explain phase: it traces every line run, through all of Django, per failure.
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case):
        cache.clear()
        client = client_as(world, case.role)
        url = reverse(route.name, kwargs=case.kwargs)
        with transaction.atomic():
            if case.method == "GET":
                response = client.get(url, {**case.query, **case.data})
            else:
                query = f"?{urlencode(case.query, doseq=True)}" if case.query else ""
                response = client.post(url + query, {**case.data, **_uploads(takes)})
            refused = is_refusal(case, response) and not (
                response.status_code == 200 and route.name in RESULT_PAGES
            )
            after = snapshot() if refused else None
            transaction.set_rollback(True)
        assert response.status_code < 500, response.status_code
        if after is not None:
            allowed = WRITTEN_ON_REFUSAL | (
                WRITTEN_WHEN_SHOWN if response.status_code == 200 else set()
            )
            changed = sorted(
                table
                for table in baseline
                if baseline[table] != after[table] and table not in allowed
            )
            assert changed == [], f"{response.status_code} refused, yet changed {changed}"

    run = given(case=_cases(route, world, takes))(run)
    for case in reversed(probes(route, world, takes)):
        run = example(case=case)(run)
    try:
        run()
    except Exception as failure:  # noqa: BLE001 - reported with the input that caused it
        return _report(route, failure)
    return ""


def _report(route: Route, failure: Exception) -> str:
    """The failure, where in the site's code it was raised, and hypothesis's input (each
    of them when hypothesis found several)."""
    if isinstance(failure, BaseExceptionGroup):
        return "\n".join(_report(route, each) for each in failure.exceptions)
    frames = [
        f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(failure.__traceback__)
        if frame.filename.startswith(str(ROOT))
        and not frame.filename.startswith((str(ROOT / ".venv"), str(ROOT / "tests")))
    ]
    where = f" (at {frames[-1]})" if frames else ""
    notes = [note for note in getattr(failure, "__notes__", []) if "Explanation" not in note]
    text = str(failure).splitlines()[0] if str(failure) else ""
    return f"{route.name}: {type(failure).__name__}: {text}{where}\n" + "\n".join(notes)


def test_fuzz_forms_no_server_error_and_refusals_change_nothing(world):
    takes = read_pages(world)
    baseline = snapshot()

    only = [part for part in os.environ.get("FUZZ_ONLY", "").split(",") if part]
    routes = [route for route in NAMED_ROUTES if not only or any(p in route.name for p in only)]

    failures = [
        report
        for route in routes
        if (report := fuzz_route(route, world, takes.get(route.name, Takes()), baseline))
    ]

    assert failures == [], f"{len(failures)} URLs failed:\n\n" + "\n\n".join(failures)

"""Caching of the public pages: shared by everyone, conditional, dropped with the stamp
of what they show; and the rate limit on failed code lookups.

The limit never stands between a villager and a real code: behind one carrier address a
whole village may scan, so a code that names something is served whatever that address
did before, and only codes that name nothing are refused (429) once it has passed
MISS_LIMIT of them in the window. An address over the limit can therefore still tell a
real code from a guess; what makes guessing hopeless is the tokens' 50 random bits
(branches.tokens), and a proxy's rate limit bounds how fast anyone asks. Counted in the
shared cache (pledges.limits), so the limit holds across workers."""

import datetime
import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from branches.stamps import EPOCH, read_stamps
from pledges.limits import limit_hit

# Failed code lookups allowed per client address and window; then unknown codes are
# answered 429 until it ends (known codes are always served).
MISS_LIMIT = 30
MISS_WINDOW_SECONDS = 10 * 60
# Rendered pages and their ETags are also renewed once per this many seconds: what the
# stamp does not follow (a renamed branch or committee, a new pairing, another secretary)
# shows within it. Pages of an old stamp are never read again and expire with it.
PAGE_CACHE_SECONDS = 15 * 60


def _misses_key(address: str) -> str:
    return "public-misses:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def lookup_missed(*, address: str) -> bool:
    """Count one failed lookup (a well-formed code that names nothing) from this address;
    True when the address is now over MISS_LIMIT in the current window, and the code is
    to be refused (429) rather than answered as not found. The window starts at the first
    miss and is not extended by later ones."""
    return limit_hit(_misses_key(address), window_seconds=MISS_WINDOW_SECONDS) > MISS_LIMIT


@functools.cache
def page_code_version() -> str:
    """A digest of what shapes a rendered page besides the data (this package, the public
    templates and stylesheet), in the cache key and ETag: after a deploy that changes
    them, no page rendered by the old code is served, even from a shared cache."""
    base = Path(settings.BASE_DIR)
    files = sorted(Path(__file__).parent.glob("*.py"))
    # The definitions of the figures and of a pledge's progress that the pages show.
    files += [
        *sorted((Path(__file__).parent.parent / "figures").glob("*.py")),
        Path(__file__).parent.parent / "progress.py",
        # The chart of the six steps on the district site and the boards, and its drawing.
        Path(__file__).parent.parent / "chart.py",
        Path(__file__).parent.parent / "templatetags" / "charts.py",
    ]
    files += sorted((base / "templates" / "pledges" / "public").glob("*.html"))
    files += sorted((base / "templates" / "pledges" / "chart").glob("*.html"))
    files += [base / "static" / "css" / "public.css", base / "static" / "css" / "chart.css"]
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def page_period() -> int:
    """The number of the current PAGE_CACHE_SECONDS period, part of every page's key."""
    return int(time.time() // PAGE_CACHE_SECONDS)


def public_page_response(
    request: HttpRequest,
    *,
    key: str,
    changed_at: datetime.datetime,
    render: Callable[[], str] | None,
) -> HttpResponse | None:
    """A public page, shareable by every visitor and proxy.

    `key` names the page (kind, ids, page number); `changed_at` is the stamp of all it
    shows. Sends Cache-Control: public with PUBLIC_PAGE_MAX_AGE, an ETag and
    Last-Modified from the stamp, answers 304 to a matching If-None-Match (or, without
    one, If-Modified-Since), and else serves the page from the cache, calling `render`
    only when this stamp's page is not there yet (or is older than PAGE_CACHE_SECONDS).
    With `render=None` it only serves what is cached, and answers None otherwise.
    """
    identity = f"{page_code_version()}|{page_period()}|{key}|{changed_at.isoformat()}"
    digest = hashlib.sha256(identity.encode()).hexdigest()
    response = HttpResponse()
    response["ETag"] = quote_etag(digest[:24])
    response["Last-Modified"] = http_date(changed_at.timestamp())
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)
    answer = get_conditional_response(
        request,
        etag=response["ETag"],
        last_modified=int(changed_at.timestamp()),
        response=response,
    )
    if answer is not response:
        return answer
    cache_key = f"public-page:{digest}"
    body = cache.get(cache_key)
    if body is None:
        if render is None:
            return None
        body = render()
        cache.set(cache_key, body, PAGE_CACHE_SECONDS)
    response.content = body
    return response


# ---------------------------------------------------------------------------
# Pages served from the cache without the database
# ---------------------------------------------------------------------------
# A page's route names its cached entry and the stamps of all it shows
# (branches.stamps). The entry holds the stamps it was rendered under: it is served while
# they are the stamps now, read in the same cache round trip as the entry, so a cached
# page costs one cache round trip and no query. Routes that take a query to find (a
# code's target, a pledge's branches) are remembered in the worker and in the shared
# cache for ROUTE_SECONDS; any change that could send a route elsewhere (consent, a
# reissue, a member leaving, a pledge withdrawn) moves one of its stamps, which misses
# the entry and takes the full path, which finds the route again.
ROUTE_SECONDS = 10 * 60
# Routes kept in each worker's memory (a district's codes, pledges and pages many times
# over); the least recently used go first.
ROUTES_IN_WORKER = 20_000


@dataclass(frozen=True)
class PageRoute:
    key: str  # names the cached entry: kind, ids, page number
    stamps: tuple[str, ...]  # the stamps of all it shows (branches.stamps)
    # Names what is shown, for the ETag, when several routes show the same page (the
    # retired page of every departed code of a branch); the key when empty.
    shows: str = ""


class _WorkerRoutes:
    """A small LRU of routes with their expiry, private to the worker process (locked: a
    threaded server shares it between requests)."""

    def __init__(self, size: int):
        self.size = size
        self.routes: OrderedDict[str, tuple[float, PageRoute]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, name: str) -> PageRoute | None:
        with self.lock:
            found = self.routes.get(name)
            if found is None:
                return None
            expires, route = found
            if expires < time.monotonic():
                del self.routes[name]
                return None
            self.routes.move_to_end(name)
            return route

    def put(self, name: str, route: PageRoute) -> None:
        with self.lock:
            self.routes[name] = (time.monotonic() + ROUTE_SECONDS, route)
            self.routes.move_to_end(name)
            while len(self.routes) > self.size:
                self.routes.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.routes.clear()


_worker_routes = _WorkerRoutes(ROUTES_IN_WORKER)


def _route_key(name: str) -> str:
    return "public-route:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def remembered_route(name: str) -> PageRoute | None:
    """The route remembered under `name`, from the worker or the shared cache."""
    route = _worker_routes.get(name)
    if route is None:
        route = cache.get(_route_key(name))
        if route is not None:
            _worker_routes.put(name, route)
    return route


def remember_route(name: str, route: PageRoute) -> None:
    _worker_routes.put(name, route)
    cache.set(_route_key(name), route, ROUTE_SECONDS)


def forget_routes_in_worker() -> None:
    """Empty this worker's routes (tests; the shared cache is cleared on its own)."""
    _worker_routes.clear()


def _entry_key(route: PageRoute) -> str:
    # The page's name may hold a visitor's search text: hashed into a safe key.
    identity = f"{page_code_version()}|{page_period()}|{route.key}"
    return "public-page:" + hashlib.sha256(identity.encode()).hexdigest()[:40]


def _signature(route: PageRoute, stamps: dict[str, datetime.datetime]) -> tuple:
    return tuple((name, stamps[name]) for name in route.stamps)


def _respond(request: HttpRequest, entry: tuple) -> HttpResponse:
    """The cached page (or a 304) from its entry: (signature, ETag, Last-Modified, body)."""
    _signature_, etag, last_modified, body = entry
    response = HttpResponse()
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)
    answer = get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=response
    )
    if answer is response:
        response.content = body
    return answer


def cached_page(request: HttpRequest, *, route: PageRoute) -> HttpResponse | None:
    """The page (or a 304) when its cached entry was rendered under today's stamps; None
    when it must be rendered. One cache round trip, no query while the stamps' copies
    are in the cache."""
    entry_key = _entry_key(route)
    stamps, found = read_stamps(route.stamps, also=[entry_key], needs=entry_key)
    entry = found.get(entry_key)
    if entry is None or entry[0] != _signature(route, stamps):
        return None
    return _respond(request, entry)


def remembered_page(request: HttpRequest, *, name: str) -> HttpResponse | None:
    """The cached page (or a 304) of the route remembered under `name`; None when there is
    no route yet or its page must be rendered (the view then finds the route again)."""
    route = remembered_route(name)
    return None if route is None else cached_page(request, route=route)


def page_response(
    request: HttpRequest,
    *,
    route: PageRoute,
    render: Callable[[], str],
    known_stamps: dict[str, datetime.datetime] | None = None,
) -> HttpResponse:
    """The page, shareable by every visitor and proxy: Cache-Control public with
    PUBLIC_PAGE_MAX_AGE, an ETag and Last-Modified from its stamps, 304 to a matching
    If-None-Match (or, without one, If-Modified-Since); rendered by `render` only when
    the cache has no entry rendered under today's stamps (or in this period), and kept.
    `known_stamps` are stamps the caller read from the database with the page's target,
    which spare a query when their cached copies are missing.

    The stamps are read before rendering: a change committed while the page renders
    leaves an entry that the moved stamp no longer matches."""
    entry_key = _entry_key(route)
    stamps, found = read_stamps(route.stamps, also=[entry_key], known=known_stamps)
    signature = _signature(route, stamps)
    entry = found.get(entry_key)
    if entry is None or entry[0] != signature:
        shows = route.shows or route.key
        identity = f"{page_code_version()}|{page_period()}|{shows}|{signature!r}"
        etag = quote_etag(hashlib.sha256(identity.encode()).hexdigest()[:24])
        last_modified = int(max(stamps.values(), default=EPOCH).timestamp())
        if request.headers.get("if-none-match") == etag:
            return _respond(request, (signature, etag, last_modified, b""))
        entry = (signature, etag, last_modified, render().encode())
        cache.set(entry_key, entry, PAGE_CACHE_SECONDS)
    return _respond(request, entry)

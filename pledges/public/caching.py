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
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag

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
        # The chart of the six steps on the district site and the boards.
        Path(__file__).parent.parent / "chart.py",
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
# The fast path of a printed code
# ---------------------------------------------------------------------------
# A scanned code whose page is cached costs one small query: the stamps of the branches
# its page shows. Where a code leads (its page key and those branches) is remembered
# here; any change that could send it elsewhere (consent, reissue, a member leaving)
# saves the member and so bumps the stamp, which misses the page and takes the full path.
TOKEN_ROUTE_SECONDS = 10 * 60


def _route_key(token: str) -> str:
    return f"public-token-route:{token}"


def remember_token_route(*, token: str, key: str, branch_ids: list[int]) -> None:
    cache.set(_route_key(token), (key, tuple(sorted(set(branch_ids)))), TOKEN_ROUTE_SECONDS)


def branches_stamp(branch_ids) -> datetime.datetime | None:
    """The newest public change stamp among these branches: one query, written in SQL
    because it runs on every scan of a cached code and the ORM's compiling of it costs
    more than the query."""
    from branches.models import Branch

    ids = [int(pk) for pk in branch_ids]
    if not ids:
        return None
    table = connection.ops.quote_name(Branch._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT public_changed_at FROM {table} WHERE id IN ({placeholders})", ids)
        stamps = [_as_aware(value) for (value,) in cursor.fetchall()]
    return max(stamps, default=None)


def _as_aware(value) -> datetime.datetime:
    # PostgreSQL gives an aware datetime; SQLite gives the stored UTC text.
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


def cached_token_response(request: HttpRequest, *, token: str) -> HttpResponse | None:
    """The cached page (or a 304) of a code seen before; None when it must be built."""
    route = cache.get(_route_key(token))
    if route is None:
        return None
    key, branch_ids = route
    changed_at = branches_stamp(branch_ids)
    if changed_at is None:
        return None
    return public_page_response(request, key=key, changed_at=changed_at, render=None)

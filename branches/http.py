"""Small request helpers every app shares; the lowest layer, so all may import them."""

import functools
import unicodedata

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import url_has_allowed_host_and_scheme

# The longest `next` followed: a page's path and its filters, with room to spare. A longer
# one is not a link any page of the site made.
NEXT_MAX_LENGTH = 2000
# The most digits of an id read from a form or a query string: anything longer is past the
# database's 64-bit integer (9 223 372 036 854 775 807 has 19 digits).
ID_MAX_DIGITS = 18


def is_site_path(target: str) -> bool:
    """Whether `target` is a path on this site: a single "/" first (not "//" or "/\\",
    which browsers read as another host), at most NEXT_MAX_LENGTH characters, and no
    control or other invisible character (Unicode category C), which no page of the site
    puts in a link."""
    return (
        0 < len(target) <= NEXT_MAX_LENGTH
        and target[0] == "/"
        and target[1:2] not in ("/", "\\")
        and not any(unicodedata.category(character)[0] == "C" for character in target)
    )


def this_page_url(request) -> str:
    """The page's own address with its query string (its filters), to come back to after
    its form is carried out; without the query string when that is longer than a `next`
    may be (Django refuses to redirect past 16 384 characters, after the form's writes)."""
    full = request.get_full_path()
    return full if len(full) <= NEXT_MAX_LENGTH else request.path


def safe_next_url(request, default: str) -> str:
    """Where a form sends the person afterwards: its `next` (the form's, else the query
    string's) when that is a path on this host, else `default`.

    Always a URL, never a view name: callers hand it to `HttpResponseRedirect`, so a junk
    `next` such as "-1" never reaches `reverse()`.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if is_site_path(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def parse_id(value) -> int | None:
    """An id from a form or a query string: ASCII digits that fit the database's integer,
    else None. `str.isdigit()` is not enough: it passes "²" (which `int()` refuses) and
    any number of digits (which the database refuses)."""
    text = value if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= ID_MAX_DIGITS:
        return int(text)
    return None


def parse_ids(values) -> list[int]:
    """The ids among `values` (a QueryDict's getlist), in order, each once."""
    ids = []
    for value in values:
        pk = parse_id(value)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


# An id no row has, that reverse() puts in a URL once: see id_url.
_MARKER_ID = 987654321987


@functools.lru_cache(maxsize=512)
def _id_url_halves(name: str, prefix: str, urlconf) -> tuple[str, str]:
    head, tail = reverse(name, args=[_MARKER_ID], urlconf=urlconf).split(str(_MARKER_ID))
    return head, tail


@functools.lru_cache(maxsize=256)
def _fixed_url(name: str, args: tuple, prefix: str, urlconf) -> str:
    return reverse(name, args=args, urlconf=urlconf)


def fixed_url(name: str, *args: int | str) -> str:
    """reverse(name, args=args) for a URL of few addresses (none but its name, or a year and
    a quarter), reversed once for each: the navigation of every page links to the same dozen
    pages. For a URL that takes an object's id, id_url."""
    return _fixed_url(name, args, get_script_prefix(), get_urlconf())


def id_url(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL that takes one id, reversed once per name: a
    table of many rows links each to its pages, and reverse() costs more than the rest of
    a row."""
    head, tail = _id_url_halves(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"

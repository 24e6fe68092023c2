"""What a workspace page draws or counts once per state of the branches it shows, kept in
the cache under a key that names that state (Branch.workspace_changed_at, read with
branches.selectors.workspace_stamp_of or with the person's roles, and the day).

Any change the page shows moves the stamp in its own transaction, so a new state is a new
key and nothing kept is ever served for a state it does not show; the time a value is kept
only frees memory. Read the stamp before the content: a value is then never kept under a
stamp older than what it shows.

As a key never names two states, what it holds never goes stale: each worker also keeps the
drawn sections (text) it served last in its own memory, and answers them again without a
round trip to a shared cache (Redis).
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.paginator import Page, Paginator

# Seconds a value is kept: no bound on staleness (the key changes with the state), only
# the memory of states no one asks for any more.
KEPT_SECONDS = 15 * 60
# Drawn sections each worker keeps in its own memory (a few KB to 20 KB each).
KEPT_IN_WORKER = 1000

T = TypeVar("T")

_in_worker: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def kept(key: str, compute: Callable[[], T]) -> T:
    """The value kept under `key`, or `compute()` kept there now."""
    with _lock:
        value = _in_worker.get(key)
        if value is not None:
            _in_worker.move_to_end(key)
            return value
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, KEPT_SECONDS)
    if isinstance(value, str):
        # Text cannot be changed by the page that shows it; objects (figures, rows) are
        # given to each request afresh from the cache.
        with _lock:
            _in_worker[key] = value
            while len(_in_worker) > KEPT_IN_WORKER:
                _in_worker.popitem(last=False)
    return value


def forget_kept_in_worker() -> None:
    """Empty this worker's own copies (tests start from nothing)."""
    with _lock:
        _in_worker.clear()


def page_key(page_number) -> str:
    """The asked page number (?page=, any text) as a short part of a key."""
    return hashlib.sha256(str(page_number).encode()).hexdigest()[:16]


def page_of(rows: list, *, number: int, total: int, per_page: int) -> Page:
    """A paginator's page holding kept rows: only the count matters to the page's links,
    so the paginator is over a range and holds no rows."""
    page = Paginator(range(total), per_page).page(number)
    page.object_list = rows
    return page

"""What a workspace page draws or counts once per state of the branches it shows, kept in
the cache under a key that names that state (Branch.workspace_changed_at, read with
branches.selectors.workspace_stamp_of or with the person's roles, and the day).

Any change the page shows moves the stamp in its own transaction, so a new state is a new
key and nothing kept is ever served for a state it does not show; the time a value is kept
only frees memory. Read the stamp before the content: a value is then never kept under a
stamp older than what it shows.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

# Seconds a value is kept: no bound on staleness (the key changes with the state), only
# the memory of states no one asks for any more.
KEPT_SECONDS = 15 * 60

T = TypeVar("T")


def kept(key: str, compute: Callable[[], T]) -> T:
    """The value kept under `key`, or `compute()` kept there now."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, KEPT_SECONDS)
    return value

"""Rate limits, counted in the default cache.

The cache must be one that every worker shares (Redis in production; branches.checks
warns under `check --deploy` when it is not): in a per-process cache each gunicorn worker
counts on its own, and a cap of 20 becomes 20 per worker.

A limit is a counter per key and window. The first hit creates the counter together with
its expiry (`cache.add`, SET NX EX on Redis); every later hit raises it (`cache.incr`,
INCR on Redis, under a lock in the per-process caches). Nothing here writes back a value
read before, so workers counting at once never lose a hit and never restart a window.
"""

from django.core.cache import cache

# Tries of add, then incr, when the counter expires between the two.
_ATTEMPTS = 3


def limit_hit(key: str, *, window_seconds: int) -> int:
    """Count one hit against `key`; the hits in its window, this one included.

    The window starts at the key's first hit and is not extended by later ones.
    """
    for _attempt in range(_ATTEMPTS):
        if cache.add(key, 1, window_seconds):
            return 1
        try:
            count = cache.incr(key)
        except ValueError:
            # The counter expired between add and incr: this hit opens the next window.
            continue
        if count == 1:
            # Only a counter made by this incr holds 1 after it (add makes it with 1, so an
            # increment gives at least 2): on Redis it expired between Django's existence
            # check and INCR, which made it anew without an expiry. It gets its window.
            cache.touch(key, window_seconds)
        return count
    # The counter kept vanishing and reappearing under this hit: left uncounted.
    return 1

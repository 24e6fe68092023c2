"""System checks of the site's own, run by `manage.py check` (those tagged deploy only with
`check --deploy`)."""

from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

# Caches whose content lives in one process: each gunicorn worker has its own.
PER_PROCESS_CACHES = (LocMemCache, DummyCache)


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when, DEBUG off, the default cache is not shared by the workers: the rate
    limits (failed code lookups, ratings an hour) and the public page cache then count
    and hold per worker, and a cap of 20 becomes 20 for each."""
    if settings.DEBUG:
        return []
    backend = caches["default"]
    if not isinstance(backend, PER_PROCESS_CACHES):
        return []
    return [
        checks.Warning(
            f"The default cache is {type(backend).__name__}, which each worker process keeps "
            "on its own: the rate limits (failed code lookups, ratings an hour) and the "
            "cached public pages then count and hold per worker, so with 4 workers a cap "
            "of 20 lets through up to 80.",
            hint="Set CACHE_URL to a cache all workers share, e.g. redis://127.0.0.1:6379/1.",
            obj="CACHES['default']",
            id="pledgewall.W001",
        )
    ]

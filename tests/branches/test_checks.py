"""The site's own system checks: `check --deploy` warns of a cache each worker keeps alone."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from branches.checks import check_shared_cache

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
REDIS = "django.core.cache.backends.redis.RedisCache"
DATABASE = "django.core.cache.backends.db.DatabaseCache"
# The check looks at the backend only: it never connects.
LOCATIONS = {REDIS: "redis://127.0.0.1:6379/0", DATABASE: "cache_table"}


def with_cache(settings, backend, *, debug):
    settings.DEBUG = debug
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": LOCATIONS.get(backend, "")}}


@pytest.mark.parametrize("backend", [LOCMEM, DUMMY])
def test_check_shared_cache_warns_of_a_per_process_cache(settings, backend):
    with_cache(settings, backend, debug=False)

    (warning,) = check_shared_cache()

    assert warning.id == "pledgewall.W001"
    assert warning.level == checks.WARNING
    assert backend.rsplit(".", 1)[1] in warning.msg
    assert "per worker" in warning.msg
    assert "CACHE_URL" in warning.hint


@pytest.mark.parametrize(
    ("backend", "debug"),
    [(REDIS, False), (DATABASE, False), (LOCMEM, True), (DUMMY, True)],
)
def test_check_shared_cache_is_quiet_with_a_shared_cache_or_in_development(
    settings, backend, debug
):
    with_cache(settings, backend, debug=debug)

    assert check_shared_cache() == []


def test_check_shared_cache_runs_only_with_deploy(settings):
    """Registered with the deployment checks: `check --deploy` runs it, `check` does not."""
    with_cache(settings, LOCMEM, debug=False)

    deploy = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.caches])
    plain = checks.run_checks(tags=[checks.Tags.caches])

    assert "pledgewall.W001" in {message.id for message in deploy}
    assert "pledgewall.W001" not in {message.id for message in plain}


def test_check_deploy_fails_on_the_warning_at_warning_level(settings):
    with_cache(settings, LOCMEM, debug=False)

    with pytest.raises(SystemCheckError, match="pledgewall.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "caches")

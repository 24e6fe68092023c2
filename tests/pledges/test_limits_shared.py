"""The rate limits count in the shared cache: a cap holds whichever worker takes a request.

Each gunicorn worker makes its own client of the default cache. Here two clients are made
the same way (`caches.create_connection`), and requests alternate between them: on Redis
(marked `redis`) they are two connections to one server, as two workers are; on the
per-process cache the same behaviour is checked within one process. A last test counts
from a second Python process.
"""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse

from pledges import public
from pledges.enums import FeedbackRating, PledgeStatus
from pledges.limits import limit_hit
from pledges.public import caching
from pledges.services import feedback as feedback_services
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
# A fixed moment, well inside one clock hour, for the hourly cap.
NOW = 1_800_000_000.0 + 600
ADDRESS = "203.0.113.77"
CACHES = [pytest.param("redis", marks=pytest.mark.redis), "locmem"]


@pytest.fixture(params=CACHES)
def shared_cache(request, settings):
    """The default cache, emptied: on the Redis at REDIS_URL, or in this process."""
    if request.param == "redis":
        yield request.getfixturevalue("redis_cache")
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "limits-shared",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def as_worker(shared_cache):
    """as_worker(0) or as_worker(1): within it, the default cache is that worker's own
    client, made from the same settings as each gunicorn worker makes its own."""
    clients = [caches.create_connection("default") for _worker in range(2)]
    assert clients[0] is not clients[1]
    own = caches["default"]

    @contextlib.contextmanager
    def worker(number):
        caches["default"] = clients[number]
        try:
            yield
        finally:
            caches["default"] = own

    yield worker
    for client in clients:
        client.close()


def by_token(token):
    return reverse("public:by_token", args=[token])


def qr_png(token):
    return reverse("public:qr_png", args=[token])


# ---------------------------------------------------------------------------
# Ratings: FEEDBACK_HOURLY_CAP an hour per address
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("last", [0, 1])
def test_rating_cap_holds_across_workers(as_worker, last):
    cap = feedback_services.FEEDBACK_HOURLY_CAP
    assert cap == 20
    for number in range(cap):
        with as_worker(number % 2):
            assert feedback_services.feedback_flood_check(address_hash="h", now=NOW)

    with as_worker(last):
        assert not feedback_services.feedback_flood_check(address_hash="h", now=NOW)
    with as_worker(1 - last):
        assert not feedback_services.feedback_flood_check(address_hash="h", now=NOW)
        assert feedback_services.feedback_flood_check(address_hash="other", now=NOW)


@pytest.mark.parametrize("last", [0, 1])
def test_rating_cap_through_the_pages_holds_across_workers(
    client, org, as_worker, monkeypatch, last
):
    monkeypatch.setattr(feedback_services, "FEEDBACK_HOURLY_CAP", 3)
    pledges = []
    for number in range(4):
        pledge = factories.make_pledge(branch=org.branch, title=f"承诺{number}")
        factories.walk_to(
            pledge, PledgeStatus.PUBLISHED, secretary=org.secretary, staff=org.district_staff
        )
        pledges.append(pledge)

    def rate(pledge):
        url = reverse("public:feedback_submit", args=[pledge.pk])
        return client.post(url, {"rating": FeedbackRating.SATISFIED}, REMOTE_ADDR=ADDRESS)

    for number, pledge in enumerate(pledges[:3]):
        with as_worker(number % 2):
            assert rate(pledge).status_code == 200

    with as_worker(last):
        assert rate(pledges[3]).status_code == 429
    with as_worker(1 - last):
        assert rate(pledges[3]).status_code == 429


# ---------------------------------------------------------------------------
# Failed code lookups: MISS_LIMIT per window and address, for unknown codes only
# ---------------------------------------------------------------------------
def miss_the_limit(client, as_worker, address=ADDRESS):
    for number in range(public.MISS_LIMIT):
        with as_worker(number % 2):
            assert client.get(by_token("ZZZZZZZZZZ"), REMOTE_ADDR=address).status_code == 404


@pytest.mark.parametrize("last", [0, 1])
def test_miss_limit_holds_across_workers(client, org, as_worker, last):
    miss_the_limit(client, as_worker)

    with as_worker(last):
        refused = client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR=ADDRESS)
        image = client.get(qr_png("YYYYYYYYYY"), REMOTE_ADDR=ADDRESS)

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(public.MISS_WINDOW_SECONDS)
    assert image.status_code == 429


@pytest.mark.parametrize("worker", [0, 1])
def test_real_codes_are_served_to_an_address_over_the_miss_limit(client, org, as_worker, worker):
    member = factories.make_member(org.branch, name="李荣花")
    miss_the_limit(client, as_worker)

    with as_worker(worker):
        # Twice each: the first scan takes the full path, the second the remembered route.
        pages = [client.get(by_token(member.public_token), REMOTE_ADDR=ADDRESS) for _ in range(2)]
        boards = [
            client.get(by_token(org.branch.public_token), REMOTE_ADDR=ADDRESS) for _ in range(2)
        ]
        image = client.get(qr_png(member.public_token), REMOTE_ADDR=ADDRESS)
        unknown = client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR=ADDRESS)

    assert [response.status_code for response in pages + boards] == [200, 200, 200, 200]
    assert "李荣花" in pages[1].content.decode()
    assert image.status_code == 200
    assert unknown.status_code == 429


def test_unknown_codes_are_refused_only_to_the_address_over_the_limit(client, org, as_worker):
    miss_the_limit(client, as_worker)

    with as_worker(1):
        assert client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR=ADDRESS).status_code == 429
        assert client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR="198.51.100.4").status_code == 404


def test_miss_limit_counts_the_misses_of_an_address_over_it(client, org, as_worker):
    """Refused guesses still count: the window is the same whoever answers."""
    miss_the_limit(client, as_worker)
    for number in range(5):
        with as_worker(number % 2):
            client.get(by_token("YYYYYYYYYY"), REMOTE_ADDR=ADDRESS)

    assert caches["default"].get(caching._misses_key(ADDRESS)) == public.MISS_LIMIT + 5


# ---------------------------------------------------------------------------
# The counter: made with its expiry, never reset by a race
# ---------------------------------------------------------------------------
def test_limit_hit_counts_from_one(shared_cache):
    counts = [limit_hit("limits-test", window_seconds=60) for _ in range(3)]

    assert counts == [1, 2, 3]


@pytest.mark.redis
def test_limit_counter_on_redis_expires_with_its_window(redis_cache):
    import redis

    limit_hit("limits-test", window_seconds=600)
    limit_hit("limits-test", window_seconds=600)

    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    key = redis_cache.make_key("limits-test")
    assert int(server.get(key)) == 2
    assert 590 <= server.ttl(key) <= 600


@pytest.mark.redis
def test_limit_counter_made_anew_by_redis_incr_gets_its_window(redis_cache, monkeypatch):
    """The race of Django's RedisCache.incr (EXISTS, then INCR): the counter expires in
    between, and INCR makes it anew with no expiry. It must not live for ever."""
    import redis
    from django.core.cache.backends.redis import RedisCacheClient

    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    key = redis_cache.make_key("limits-test")
    limit_hit("limits-test", window_seconds=600)

    def incr_after_expiry(self, key, delta=1):
        client = self.get_client(key, write=True)
        client.delete(key)  # expired just after the existence check
        return client.incr(key, delta)

    monkeypatch.setattr(RedisCacheClient, "incr", incr_after_expiry)

    assert limit_hit("limits-test", window_seconds=600) == 1
    assert 590 <= server.ttl(key) <= 600


def test_limit_window_starts_at_the_first_hit_and_is_not_extended(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "limits-window",
        }
    }
    caches["default"].clear()
    with time_machine.travel(NOW, tick=False) as clock:
        assert limit_hit("limits-test", window_seconds=600) == 1
        clock.shift(590)
        assert limit_hit("limits-test", window_seconds=600) == 2
        clock.shift(20)
        assert limit_hit("limits-test", window_seconds=600) == 1


# ---------------------------------------------------------------------------
# A second process
# ---------------------------------------------------------------------------
COUNT_IN_ANOTHER_PROCESS = """
import django
django.setup()
from pledges.services.feedback import feedback_flood_check
print([feedback_flood_check(address_hash="h", now={now}) for _ in range({count})])
"""


@pytest.mark.redis
def test_rating_cap_holds_across_processes(redis_cache):
    for _ in range(10):
        assert feedback_services.feedback_flood_check(address_hash="h", now=NOW)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": "another-process",
        "CACHE_URL": os.environ["REDIS_URL"],
    }
    code = COUNT_IN_ANOTHER_PROCESS.format(now=NOW, count=10)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str([True] * 10)
    assert not feedback_services.feedback_flood_check(address_hash="h", now=NOW)

"""The Redis cache backend keeps its redis-py client (config/redis_cache.py) and behaves as
Django's own in everything the site asks of it."""

import os

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from config.redis_cache import RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def redis():
    cache = RedisCache(os.environ["REDIS_URL"], {})
    cache.clear()
    yield cache
    cache.clear()


def test_the_client_is_built_once_and_reused(redis):
    first = redis._cache.get_client("a")
    assert redis._cache.get_client("b") is first
    assert redis._cache.get_client("c", write=True) is first


def test_it_answers_as_djangos_own_backend(redis):
    django_own = DjangoRedisCache(os.environ["REDIS_URL"], {})

    redis.set("stamp", {"at": 1.5}, 60)
    assert redis.add("counter", 1, 60)
    assert not redis.add("counter", 5, 60)
    assert redis.incr("counter") == 2

    assert django_own.get("stamp") == {"at": 1.5}
    assert redis.get_many(["stamp", "counter", "missing"]) == {"stamp": {"at": 1.5}, "counter": 2}
    redis.delete_many(["stamp"])
    assert django_own.get("stamp") is None

"""Django's Redis cache, keeping its redis-py client.

Django's RedisCache builds a new `redis.Redis` object around the connection pool on every
cache call; with redis-py 8 that costs about as much as the round trip itself, which is
the whole cost of a cached public page. A `redis.Redis` is safe to share between threads
(each command takes a connection from the pool), so one per pool is kept and reused.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

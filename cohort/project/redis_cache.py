"""Django's Redis cache, keeping one client per connection pool.

Django's client builds a new ``redis.Redis`` for every call, and with it the 170-odd response callbacks that
object registers: two thirds of a cache read's time, which is most of a feed revalidation's. A ``redis.Redis``
is safe to share between threads (each command takes a connection from the pool), so one per pool will do.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = PooledClient

"""The cache backends the settings choose: Django's, each with what the feeds' stamps and the failed-guess counts
need of them (``scheduling.feeds``, ``cohort.throttles``)."""

from __future__ import annotations

import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.files import locks
from django.core.files.move import file_move_safe

# INCRBY of a key that is not there, as Django's meaning of ``incr`` has it: nothing written, and Lua's false, which
# reaches the client as a null reply (as false only if the script asked for RESP3 replies, which it does not).
INCREMENT_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""
# The entries KEYS[2..] read, and one added to the count KEYS[1] (started at 0, to expire after ARGV[1] seconds, if
# it is not there), as one step: the count is never left without its expiry. Not counted (a null) if the entry at
# position ARGV[2] among those read (1 and up; 0: none) is missing. A script, not a MULTI/EXEC pipeline of the same
# commands: one command to send and one reply to read, which took a third less of the client's time.
GET_MANY_AND_ADD_ONE = """
local values = {}
if #KEYS > 1 then values = redis.call('MGET', unpack(KEYS, 2)) end
local condition = tonumber(ARGV[2])
if condition > 0 and not values[condition] then return {false, values} end
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return {redis.call('INCR', KEYS[1]), values}
"""


class PooledClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` for every call, and with it the 170-odd response callbacks
    that object registers: two thirds of a cache read's time, which is most of a feed revalidation's. A
    ``redis.Redis`` is safe to share between threads (each command takes a connection from the pool), so one per
    pool will do.

    ``incr`` is one round trip: Django's asks EXISTS, then INCRBY, and every API call counts against its rate
    limit (``cohort.throttles``). A count whose key expired between Django's two commands was written back without
    an expiry; the script runs both as one step.

    ``get_many_and_add_one`` reads entries and adds one to a count in one round trip: the failed-guess middleware
    reads a client's failures, and counts an API token's call against its rate, at once."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._scripts = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        value = self._run(INCREMENT_EXISTING, keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def get_many_and_add_one(
        self, keys: list[str], count_key: str, timeout: int, if_found: str | None
    ) -> tuple[dict[str, Any], int | None]:
        # On the server written to, so with replicas the entries are read from it too.
        condition = 0 if if_found is None else keys.index(if_found) + 1
        reached, values = self._run(GET_MANY_AND_ADD_ONE, keys=[count_key, *keys], args=[timeout, condition])
        found = {
            key: self._serializer.loads(value)
            for key, value in zip(keys, values, strict=True)
            if value is not None
        }
        return found, reached

    def _run(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script on the server written to: by its digest, sent again if Redis has forgotten it."""
        client = self.get_client(write=True)
        script = self._scripts.get((id(client), source))
        if script is None:
            script = self._scripts[id(client), source] = client.register_script(source)
        return script(keys=keys, args=args)


class PooledRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = PooledClient

    def get_many_and_add_one(
        self,
        keys: list[str],
        count_key: str,
        timeout: int,
        if_found: str | None = None,
        version: int | None = None,
    ) -> tuple[dict[str, Any], int | None]:
        """``get_many(keys)``, and one added to the count under ``count_key`` (started, to expire after ``timeout``
        seconds, at least 1, if there is none), in one round trip: the entries found, and the count reached. If
        ``if_found`` (one of ``keys``) is not in the cache, nothing is counted and the count is None."""
        made = {key: self.make_and_validate_key(key, version=version) for key in keys}
        found, reached = self._cache.get_many_and_add_one(
            list(made.values()),
            self.make_and_validate_key(count_key, version=version),
            timeout,
            None if if_found is None else made[if_found],
        )
        original = {cache_key: key for key, cache_key in made.items()}
        return {original[cache_key]: value for cache_key, value in found.items()}, reached


class SharedFileCache(FileBasedCache):
    """Django's file cache, for the processes of one machine (the demo's web app, worker and beat), with counters
    that hold across them and writes that stay cheap:

    - ``add`` and ``incr`` hold a lock shared by every process, and ``incr`` keeps the entry's expiry (Django's
      reads, then writes with the default timeout: a 15-minute failure window became 5 minutes, and two processes
      counting at once lost a count);
    - the directory is listed for culling at most once a minute per process, not before every write (a listing
      took 2 ms with a few files and 65 ms with 19,000, and the feed generation is written on every save).
    """

    CULL_INTERVAL_SECONDS = 60.0

    def __init__(self, dir, params) -> None:
        super().__init__(dir, params)
        self._lock_path = os.path.join(
            self._dir, "counters.lock"
        )  # not a .djcache file: never culled or cleared
        self._next_cull = 0.0

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None) -> int:
        fname = self._key_to_file(key, version)
        with self._locked():
            try:
                with open(fname, "rb") as f:
                    expiry = pickle.load(f)
                    if expiry is not None and expiry < time.time():
                        raise FileNotFoundError
                    value = pickle.loads(zlib.decompress(f.read())) + delta
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            fd, tmp_path = tempfile.mkstemp(dir=self._dir)
            with open(fd, "wb") as f:
                f.write(pickle.dumps(expiry, self.pickle_protocol))
                f.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
            file_move_safe(tmp_path, fname, allow_overwrite=True)
            return value

    def _cull(self) -> None:
        now = time.monotonic()
        if now < self._next_cull:
            return
        self._next_cull = now + self.CULL_INTERVAL_SECONDS
        super()._cull()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._createdir()
        with open(self._lock_path, "a+b") as lock:
            locks.lock(lock, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock)

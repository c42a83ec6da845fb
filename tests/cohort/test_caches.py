"""The cache backends the settings choose: the file cache counts failed guesses across processes and keeps their
window, and lists its directory rarely; the Redis cache keeps one client per pool."""

import multiprocessing
import os
import pickle
import time

import pytest

from cohort.project.caches import PooledRedisCache, SharedFileCache

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork with threads (pytest-xdist's)


def file_cache(folder) -> SharedFileCache:
    return SharedFileCache(str(folder), {})


def _count(folder: str, times: int) -> None:
    cache = file_cache(folder)
    for _ in range(times):
        cache.incr("failures")


def test_counting_keeps_the_window_the_first_failure_opened(tmp_path):
    cache = file_cache(tmp_path)
    cache.add("failures", 1, timeout=900)

    assert cache.incr("failures") == 2
    with open(cache._key_to_file("failures"), "rb") as entry:
        expiry = pickle.load(entry)

    # Django's file cache wrote the default 300 s back on every count.
    assert 890 < expiry - time.time() <= 900
    assert cache.get("failures") == 2


def test_processes_counting_at_once_lose_no_count(tmp_path):
    file_cache(tmp_path).add("failures", 0, timeout=900)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_count, args=(str(tmp_path), 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert file_cache(tmp_path).get("failures") == 200


def test_counting_a_missing_or_expired_entry_is_a_value_error(tmp_path):
    cache = file_cache(tmp_path)
    cache.set("stale", 3, timeout=-1)

    for key in ("missing", "stale"):
        with pytest.raises(ValueError, match=key):
            cache.incr(key)


def test_the_directory_is_listed_for_culling_at_most_once_an_interval(tmp_path, monkeypatch):
    cache = file_cache(tmp_path)
    listings = []
    listed = cache._list_cache_files
    monkeypatch.setattr(cache, "_list_cache_files", lambda: listings.append(1) or listed())

    for index in range(20):
        cache.set(f"key-{index}", index)
    cache._next_cull = 0.0  # the interval is over
    cache.set("one-more", 1)

    assert len(listings) == 2
    assert cache.get("key-19") == 19
    assert len(os.listdir(tmp_path)) == 21


def test_the_redis_cache_keeps_one_client_per_pool():
    cache = PooledRedisCache("redis://127.0.0.1:6379/15", {})

    # No command is sent: a client is made, not connected.
    assert cache._cache.get_client() is cache._cache.get_client()
    assert cache._cache.get_client(write=True) is cache._cache.get_client()

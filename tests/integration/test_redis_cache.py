"""The Redis cache counts as Django's does, in one round trip: a missing or expired count is a ValueError and
writes nothing, a count keeps its expiry, and clients counting at once lose no count."""

import threading
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from cohort.project.caches import PooledRedisCache


@pytest.fixture
def cache():
    # The broker's Redis, a database of this test's own; emptied before and after.
    cache = PooledRedisCache(urlsplit(settings.CELERY_BROKER_URL)._replace(path="/14").geturl(), {})
    cache.clear()
    yield cache
    cache.clear()


def test_counting_an_entry_adds_to_it_and_keeps_its_expiry(cache):
    cache.add("failures", 1, timeout=900)

    assert cache.incr("failures") == 2
    assert cache.incr("failures", 5) == 7

    client = cache._cache.get_client()
    assert 890 < client.ttl(cache.make_key("failures")) <= 900
    assert cache.get("failures") == 7


def test_counting_a_missing_or_expired_entry_is_a_value_error_and_writes_nothing(cache):
    cache.set("stale", 3, timeout=-1)

    for key in ("missing", "stale"):
        with pytest.raises(ValueError, match=key):
            cache.incr(key)
        assert not cache._cache.get_client().exists(cache.make_key(key))


def test_counting_is_one_round_trip(cache, monkeypatch):
    cache.add("failures", 1, timeout=900)
    client = cache._cache.get_client()
    commands = []
    send = client.execute_command
    monkeypatch.setattr(
        client, "execute_command", lambda *args, **kwargs: commands.append(args[0]) or send(*args, **kwargs)
    )

    cache.incr("failures")

    assert commands == ["EVALSHA"]


def test_threads_counting_at_once_lose_no_count(cache):
    cache.add("failures", 0, timeout=900)

    def count() -> None:
        for _ in range(200):
            cache.incr("failures")

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert cache.get("failures") == 800


def test_a_script_redis_has_forgotten_is_sent_again(cache):
    cache.add("failures", 1, timeout=900)
    cache.incr("failures")
    cache._cache.get_client().script_flush()  # as after a restart of Redis

    assert cache.incr("failures") == 3

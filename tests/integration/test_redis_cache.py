"""The Redis cache counts as Django's does, in one round trip: a missing count is a ValueError and writes nothing,
a count keeps its expiry, a script Redis has forgotten is sent again, and one client shared by threads counts
every increment."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from cohort.project.caches import INCREMENT_EXISTING, PooledRedisCache


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


def test_counting_a_missing_entry_is_a_value_error_and_writes_nothing(cache):
    with pytest.raises(ValueError, match="missing"):
        cache.incr("missing")

    assert not cache._cache.get_client().exists(cache.make_key("missing"))


def test_counting_is_one_round_trip(cache, monkeypatch):
    cache.add("failures", 1, timeout=900)
    client = cache._cache.get_client()
    client.script_load(INCREMENT_EXISTING)  # as after the first count of any process
    commands = []
    send = client.execute_command
    monkeypatch.setattr(
        client, "execute_command", lambda *args, **kwargs: commands.append(args[0]) or send(*args, **kwargs)
    )

    cache.incr("failures")

    assert commands == ["EVALSHA"]


def test_a_script_redis_has_forgotten_is_sent_again(cache):
    cache.add("failures", 1, timeout=900)
    cache.incr("failures")
    cache._cache.get_client().script_flush()  # as after a restart of Redis

    assert cache.incr("failures") == 3


def test_threads_sharing_the_client_count_every_increment(cache):
    cache.add("failures", 0, timeout=900)

    def count() -> list[int]:
        return [cache.incr("failures") for _ in range(200)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        counted = [
            value for task in [pool.submit(count) for _ in range(4)] for value in task.result(timeout=60)
        ]

    assert sorted(counted) == list(range(1, 801))
    assert cache.get("failures") == 800

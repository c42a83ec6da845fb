"""The Redis cache counts as Django's does, in one round trip: a missing count is a ValueError and writes nothing,
a count keeps its expiry, a script Redis has forgotten is sent again, and one client shared by threads counts
every increment. It reads entries and adds one to a count in one round trip too, which saves an API call one
(``cohort.throttles``)."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import caches
from redis.connection import AbstractConnection
from rest_framework.test import APIClient

from cohort.project.caches import GET_MANY_AND_ADD_ONE, INCREMENT_EXISTING, PooledRedisCache
from cohort.throttles import UserRateThrottle
from tests.factories import ScholarFactory, UserFactory, token_client


def redis_location() -> str:
    # The broker's Redis, a database of these tests' own.
    return urlsplit(settings.CELERY_BROKER_URL)._replace(path="/14").geturl()


@pytest.fixture
def cache():
    # Emptied before and after.
    cache = PooledRedisCache(redis_location(), {})
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def round_trips(monkeypatch) -> list[bytes]:
    """What each round trip to Redis sent, in order: a connection sends once, then reads every answer."""
    sent = []
    send = AbstractConnection.send_packed_command

    def sending(self, command, check_health=True):
        sent.append(command)
        return send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", sending)
    return sent


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


def test_reading_and_adding_one_starts_a_count_with_its_expiry_and_reads_entries_as_django_does(cache):
    cache.set("login", {"user": 7}, timeout=300)
    cache.set("failures", 2, timeout=300)

    found, reached = cache.get_many_and_add_one(["login", "failures", "absent"], "calls", timeout=60)

    assert (found, reached) == ({"login": {"user": 7}, "failures": 2}, 1)
    assert 50 < cache._cache.get_client().ttl(cache.make_key("calls")) <= 60


def test_adding_one_to_a_count_keeps_its_expiry_and_its_meaning_for_django(cache):
    cache.get_many_and_add_one([], "calls", timeout=60)

    found, reached = cache.get_many_and_add_one([], "calls", timeout=900)

    assert (found, reached) == ({}, 2)
    assert 0 < cache._cache.get_client().ttl(cache.make_key("calls")) <= 60  # not started again
    assert cache.get("calls") == 2
    assert cache.incr("calls") == 3


def test_reading_and_adding_one_names_keys_as_django_does():
    versioned = PooledRedisCache(redis_location(), {"KEY_PREFIX": "site", "VERSION": 3})
    versioned.clear()
    versioned.set("login", "entry")
    try:
        found, reached = versioned.get_many_and_add_one(["login"], "calls", timeout=60)

        assert (found, reached) == ({"login": "entry"}, 1)
        assert versioned.get("calls") == 1
        assert versioned._cache.get_client().exists("site:3:calls")
    finally:
        versioned.clear()


def test_counting_only_while_an_entry_is_found_leaves_a_missing_ones_count_unwritten(cache):
    cache.set("login", "entry")

    counted = cache.get_many_and_add_one(["generation", "login"], "calls", timeout=60, if_found="login")
    uncounted = cache.get_many_and_add_one(
        ["login", "other-login"], "other-calls", 60, if_found="other-login"
    )

    assert counted == ({"login": "entry"}, 1)
    assert uncounted == ({"login": "entry"}, None)
    assert cache.get("other-calls") is None


def test_reading_and_adding_one_is_one_round_trip(cache, round_trips):
    cache.set("login", "entry")
    cache._cache.get_client().script_load(GET_MANY_AND_ADD_ONE)  # as after the first call of any process
    round_trips.clear()

    cache.get_many_and_add_one(["login", "failures"], "calls", timeout=60)

    assert len(round_trips) == 1


def test_threads_reading_and_adding_at_once_count_every_call(cache):
    def add() -> list[int]:
        return [cache.get_many_and_add_one(["login"], "calls", timeout=900)[1] for _ in range(200)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        reached = [
            value for task in [pool.submit(add) for _ in range(4)] for value in task.result(timeout=60)
        ]

    assert sorted(reached) == list(range(1, 801))


@pytest.fixture
def redis_cache_for_the_site(settings):
    settings.CACHES = {
        "default": {"BACKEND": "cohort.project.caches.PooledRedisCache", "LOCATION": redis_location()}
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.mark.django_db
def test_an_unchanged_api_answer_costs_a_token_caller_two_round_trips(redis_cache_for_the_site, round_trips):
    client = token_client(ScholarFactory(user=UserFactory()).user)
    first = client.get("/api/v1/me/")
    round_trips.clear()

    again = client.get("/api/v1/me/")

    # The failed-guess count, the login and the rate count (cohort.throttles), then the answer.
    assert len(round_trips) == 2
    assert (first.status_code, again.content) == (200, first.content)


@pytest.mark.django_db
def test_a_made_up_token_writes_no_count(redis_cache_for_the_site):
    client = APIClient(headers={"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"})

    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [401, 401]
    assert caches["default"]._cache.get_client().keys("*throttle*") == []


@pytest.mark.django_db
def test_a_token_caller_is_refused_past_its_rate_on_redis(redis_cache_for_the_site, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "rate", "3/minute", raising=False)
    client = token_client(ScholarFactory(user=UserFactory()).user)

    assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]

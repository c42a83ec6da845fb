"""Suite-wide configuration.

Under CI=true the integration tests need the machine's PostgreSQL and Redis: when they are missing the run
fails (see tests/integration/conftest.py), it never skips.
"""

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

# Every property test draws the same examples on every run (and keeps no example database between runs), so the
# suite's verdict never depends on luck; a test's own @settings still adds to this.
hypothesis_settings.register_profile("cohortops", derandomize=True, database=None)
hypothesis_settings.load_profile("cohortops")


# Where every test's clock starts, except the integration tests'. The tests name dates (a cohort from 4 January
# 2027, a meeting on 1 February 2027) and count on them lying ahead or behind: on a fixed clock the suite's verdict
# does not depend on the day it runs. The clock ticks from there, so durations, deadlines and expiries still pass.
SUITE_NOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.UTC)  # a Wednesday


# pytest sets up a conftest's autouse fixtures of one scope in name order: one that writes rows must ask for
# `_suite_clock` by name, or it may run on the machine's clock.
@pytest.fixture(autouse=True)
def _suite_clock() -> Iterator[None]:
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The real hasher is slow on purpose; tests create many users and check no password strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _cache_of_this_process():
    """Each test process keeps its cache in memory: the default, files shared by every process on the machine,
    would have pytest-xdist's workers clear and count in each other's. The tests' own processes are one system."""
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counts and rendered feeds live in the cache, keyed by ids a rolled-back test frees for the next
    one: every test starts with none of another test's."""
    cache.clear()
    yield
    cache.clear()


# Every method of Django's cache API that reaches the cache: not the async twins (aget calls get), nor the helpers
# that name keys and timeouts.
CACHE_METHODS = [
    name
    for name, member in vars(BaseCache).items()
    if callable(member)
    and not name.startswith("_")
    and not (name.startswith("a") and name[1:] in vars(BaseCache))
    and name not in {"make_key", "validate_key", "make_and_validate_key", "get_backend_timeout", "close"}
]


@pytest.fixture
def cache_calls(monkeypatch) -> list[str]:
    """The names of the cache's methods called from outside it, in order: to a Redis cache, one round trip each.
    (The tests' in-memory cache makes its get_many of gets: those are not counted.)"""
    backend = caches["default"]
    called, depth = [], [0]

    def counted(name, method):
        def call(*args, **kwargs):
            if depth[0] == 0:
                called.append(name)
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in CACHE_METHODS:
        monkeypatch.setattr(backend, name, counted(name, getattr(backend, name)))
    return called

"""Limits on failed guesses at credentials, counted before authentication runs, on sign-in links asked for, and
on the API's request rate.

DRF checks its throttles after authentication and permissions, so a bad API token, an unknown feed URL or a
wrong admin password was never counted. Each limit here counts one client's failures in the cache, in fixed
windows of ``FAILURE_WINDOW_SECONDS``; once a client reaches the limit it is refused until its window ends.

The middleware that reads a client's failures also counts an API token's call against its request rate, in the
same cache round trip, for the rate throttle to find on the request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import authentication, throttling
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from cohort.authentication import login_cache_key, login_entry_keys, sent_token, token_digest
from cohort.generation import ReadAhead


@dataclass(frozen=True)
class Count:
    """A count to add one to, kept for ``timeout`` seconds from its first; if ``only_if_found`` names an entry read
    with it, only while the cache holds that entry."""

    key: str
    timeout: int
    only_if_found: str | None = None


def add_one(count: Count) -> int:
    """Add one to ``count``, starting it if the cache has none; the count it reaches."""
    try:
        return cache.incr(count.key)
    except ValueError:  # its first, or it has just expired
        return 1 if cache.add(count.key, 1, count.timeout) else cache.incr(count.key)


def read_and_count(keys: list[str], count: Count | None) -> tuple[dict[str, Any], dict[str, int]]:
    """The entries the cache has of ``keys``, and what ``count`` reaches with one added (by its key, if it was
    counted): in one round trip where the cache can do both at once (the Redis cache, ``cohort.project.caches``),
    else one after the other."""
    if count is not None and count.only_if_found is not None and count.only_if_found not in keys:
        raise ValueError(f"a count kept only while {count.only_if_found!r} is found must read it")
    together = None if count is None else getattr(cache, "get_many_and_add_one", None)
    if together is not None:
        found, reached = together(keys, count.key, count.timeout, if_found=count.only_if_found)
    else:
        found = cache.get_many(keys) if keys else {}
        counted = count is not None and (count.only_if_found is None or count.only_if_found in found)
        reached = add_one(count) if counted else None
    return found, ({} if reached is None else {count.key: reached})


@dataclass(frozen=True)
class CountLimit:
    """At most ``settings.<limit_setting>`` counted events (failed guesses, sign-in links asked for) per key and
    window; a limit of 0 counts nothing."""

    name: str
    limit_setting: str

    @property
    def limit(self) -> int:
        return getattr(settings, self.limit_setting)

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None while it has failures left."""
        return self.retry_after_reading(key, ())[0]

    def retry_after_reading(
        self, key: str, also: Collection[str], count: Count | None = None
    ) -> tuple[int | None, ReadAhead]:
        """``retry_after``, with the cache entries ``also`` read, and one added to ``count``, in the same round trip,
        for what comes next."""
        cache_key, window_ends = self._bucket(key)
        limited = self.limit > 0
        found, counted = read_and_count([*also, cache_key] if limited else list(also), count)
        read_ahead = ReadAhead(keys=frozenset(also), found=found, counted=counted)
        if not limited or found.get(cache_key, 0) < self.limit:
            return None, read_ahead
        return max(1, math.ceil(window_ends - time.time())), read_ahead

    def record(self, key: str) -> None:
        if self.limit > 0:
            add_one(Count(self._bucket(key)[0], settings.FAILURE_WINDOW_SECONDS))

    def _bucket(self, key: str) -> tuple[str, float]:
        window = settings.FAILURE_WINDOW_SECONDS
        index = int(time.time() // window)
        # Hashed: a username or address may hold characters a cache key may not.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"failures:{self.name}:{digest}:{index}", (index + 1) * window


API_AUTH_FAILURES = CountLimit("api-auth", "API_AUTH_FAILURE_LIMIT")
FEED_MISSES = CountLimit("feed-miss", "FEED_MISS_LIMIT")
LOGIN_FAILURES = CountLimit("login", "LOGIN_FAILURE_LIMIT")
# Sign-in links asked for, per client and per typed address (known or not, so a refusal reveals no account).
SIGN_IN_LINKS_BY_CLIENT = CountLimit("sign-in-client", "SIGN_IN_LINK_LIMIT_PER_CLIENT")
SIGN_IN_LINKS_BY_ADDRESS = CountLimit("sign-in-address", "SIGN_IN_LINK_LIMIT_PER_ADDRESS")


def client_address(request: HttpRequest) -> str:
    """The client's address. X-Forwarded-For only when the operator has said how many proxies add to it
    (DRF's ``NUM_PROXIES``): otherwise a client could name a new address with each guess."""
    if api_settings.NUM_PROXIES is None:
        return request.META.get("REMOTE_ADDR", "")
    return BaseThrottle().get_ident(request)


@dataclass(frozen=True)
class GuardedPaths:
    prefix: str
    limit: CountLimit
    failure_status: int  # the answer that means the guess was wrong
    refusal: Callable[[int], HttpResponse]
    guessed: Callable[[HttpRequest], bool]  # whether the request tried a credential at all
    # The cache entries the view will read first, read with the count: one round trip where there were two.
    read_ahead: Callable[[HttpRequest], list[str]] = lambda request: []
    # A count the view will add one to, added to in the same round trip. Before the view: a call counted here is
    # counted whatever its answer (a 401, a 403, a 429 for failed guesses); the view counts only calls it lets through.
    count_ahead: Callable[[HttpRequest], Count | None] = lambda request: None


def _sent_credentials(request: HttpRequest) -> bool:
    # A 401 to a caller who sent nothing is not a guess: counting it would let anonymous requests from a shared
    # address lock out everyone behind it.
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


def _api_refusal(retry_after: int) -> HttpResponse:
    # The API's error shape (cohort.api_errors).
    return JsonResponse(
        {"detail": f"Too many failed sign-ins from this address. Try again in {retry_after} seconds."},
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


def _feed_refusal(retry_after: int) -> HttpResponse:
    return HttpResponse(
        f"Too many unknown feeds asked for from this address. Try again in {retry_after} seconds.",
        content_type="text/plain",
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


def _token_rate_count(request: HttpRequest) -> Count | None:
    key = sent_token(request)
    return None if key is None else UserRateThrottle().token_count(key)


GUARDED_PATHS = [
    GuardedPaths(
        "/api/",
        API_AUTH_FAILURES,
        401,
        _api_refusal,
        guessed=_sent_credentials,
        read_ahead=login_entry_keys,
        count_ahead=_token_rate_count,
    ),
    # A feed URL is itself the credential.
    GuardedPaths("/feeds/", FEED_MISSES, 404, _feed_refusal, guessed=lambda request: True),
]


def read_ahead_under(prefix: str, keys: Callable[[HttpRequest], list[str]]) -> None:
    """Have the middleware read ``keys(request)`` with the count for requests under ``prefix``: the entries the
    app answering them reads first from the cache. For an app above this one, from its ``ready()``."""
    for index, guarded in enumerate(GUARDED_PATHS):
        if guarded.prefix == prefix:
            GUARDED_PATHS[index] = dataclasses.replace(guarded, read_ahead=keys)
            return
    raise ValueError(f"no failed-guess limit guards {prefix!r}")


class FailedGuessThrottleMiddleware:
    """Refuse a client that has used up its failed guesses at API credentials or feed URLs before anything
    (authentication, a token lookup) runs, and count the failures the views answer. What the view reads first
    from the cache is read with the count, and an API token's call counted against its rate, left on the request as
    ``read_ahead``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path as routed: under a SCRIPT_NAME (the site served below a prefix) request.path begins with it.
        guarded = next((each for each in GUARDED_PATHS if request.path_info.startswith(each.prefix)), None)
        if guarded is None:
            return self.get_response(request)
        address = client_address(request)
        retry_after, request.read_ahead = guarded.limit.retry_after_reading(
            address, guarded.read_ahead(request), guarded.count_ahead(request)
        )
        if retry_after is not None:
            return guarded.refusal(retry_after)
        response = self.get_response(request)
        if response.status_code == guarded.failure_status and guarded.guessed(request):
            guarded.limit.record(address)
        return response


class FixedWindowRate:
    """DRF's rate throttles keep the time of every request in the last window in one cache entry, read and
    written whole on each request: 2,000 timestamps at the default user rate, and more the higher the rate. This
    counts instead, one small counter per client and window; a client may send up to twice the rate across the
    edge of two windows, which is all a limit against runaway clients needs. A count the failed-guess middleware
    has already added this request to (``read_ahead.counted``) is taken as it stands. Counts are kept in the default
    cache (where the middleware counts), not in a throttle's ``cache``."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        count, self.window_ends = self._window_count(key)
        read_ahead: ReadAhead | None = getattr(request, "read_ahead", None)
        reached = read_ahead.counted.get(count.key) if read_ahead is not None else None
        return (add_one(count) if reached is None else reached) <= self.num_requests

    def wait(self) -> float:
        return max(0.0, self.window_ends - self.timer())

    def _window_count(self, key: str) -> tuple[Count, float]:
        """The count of ``key``'s window now, and when the window ends."""
        index = int(self.timer() // self.duration)
        return Count(f"{key}:{index}", self.duration), (index + 1) * self.duration


class AnonRateThrottle(FixedWindowRate, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FixedWindowRate, throttling.UserRateThrottle):
    """Per login, and a token's calls per token: the failed-guess middleware counts those before authentication
    has found whose token it is (one cache round trip fewer per call). A login calling with its token and with
    its session has a budget for each."""

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.successful_authenticator, authentication.TokenAuthentication):
            return self._token_key(request.auth.key)
        return super().get_cache_key(request, view)

    def token_count(self, token: str) -> Count | None:
        """The count a call with ``token`` adds one to now, or None if calls are not limited. Only while the token's
        login is kept in the cache, one that has signed in: made-up tokens write no count, and the throttle counts a
        token's first call (or its first in an hour) itself."""
        if self.rate is None:
            return None
        count, _ = self._window_count(self._token_key(token))
        return dataclasses.replace(count, only_if_found=login_cache_key(token))

    def _token_key(self, token: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": f"token-{token_digest(token)[:32]}"}

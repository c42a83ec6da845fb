"""The API's request-rate limits count per client in fixed windows: a few bytes per request, not the time of
every request in the window (DRF's own), and the same refusals. A token's calls are counted by the failed-guess
middleware, in the round trip it makes anyway, once each."""

import pytest
from django.core.cache import cache
from rest_framework.request import ForcedAuthentication, Request
from rest_framework.test import APIClient, APIRequestFactory

from cohort.throttles import AnonRateThrottle, Count, UserRateThrottle, read_and_count
from tests.factories import ScholarFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


class ThreeAMinute(UserRateThrottle):
    rate = "3/minute"


class ThreeAMinuteAnonymous(AnonRateThrottle):
    rate = "3/minute"


def asks(throttle_class, request, *, at: float) -> tuple[bool, float]:
    """One request seen by a fresh throttle (DRF makes one per request) at a given instant."""
    throttle = throttle_class()
    throttle.timer = lambda: at
    allowed = throttle.allow_request(request, view=None)
    return allowed, (0.0 if allowed else throttle.wait())


def signed_in(user) -> Request:
    # A session's login, as DRF's test client forces one.
    return Request(APIRequestFactory().get("/api/v1/me/"), authenticators=[ForcedAuthentication(user, None)])


def anonymous(address: str) -> Request:
    return Request(APIRequestFactory().get("/api/v1/me/", REMOTE_ADDR=address))


def test_a_user_gets_the_rate_per_window_then_waits_for_the_next():
    request = signed_in(UserFactory())

    answers = [asks(ThreeAMinute, request, at=6000 + second) for second in (1, 2, 3, 45)]
    next_window = asks(ThreeAMinute, request, at=6060)

    assert answers == [(True, 0.0), (True, 0.0), (True, 0.0), (False, 15.0)]
    assert next_window == (True, 0.0)


def test_each_user_and_each_anonymous_address_counts_alone():
    first, second = signed_in(UserFactory()), signed_in(UserFactory())
    for _ in range(3):
        asks(ThreeAMinute, first, at=6001)

    assert asks(ThreeAMinute, first, at=6002)[0] is False
    assert asks(ThreeAMinute, second, at=6002)[0] is True
    assert [asks(ThreeAMinuteAnonymous, anonymous("192.0.2.7"), at=6003)[0] for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


@pytest.fixture
def three_calls_a_minute(monkeypatch) -> None:
    # The class the views and the middleware both name (DRF binds the settings' rates at import).
    monkeypatch.setattr(UserRateThrottle, "rate", "3/minute", raising=False)


def test_a_token_caller_is_counted_once_per_call_and_refused_past_the_rate(three_calls_a_minute):
    caller = token_client(ScholarFactory(user=UserFactory()).user)

    answers = [caller.get("/api/v1/me/") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert "throttled" in answers[-1].json()["detail"].lower()


def test_a_made_up_token_writes_no_count(three_calls_a_minute):
    made_up = "0123456789abcdef0123456789abcdef01234567"
    caller = APIClient(headers={"Authorization": f"Token {made_up}"})

    assert [caller.get("/api/v1/me/").status_code for _ in range(2)] == [401, 401]
    assert cache.get(UserRateThrottle().token_count(made_up).key) is None


def test_a_count_kept_only_while_an_entry_is_found_must_read_that_entry():
    count = Count("calls", 60, only_if_found="login")

    with pytest.raises(ValueError, match="must read it"):
        read_and_count(["generation"], count)


def test_each_token_counts_alone_and_a_session_has_a_budget_of_its_own(three_calls_a_minute):
    scholar, other = ScholarFactory(user=UserFactory()), ScholarFactory(user=UserFactory())
    caller = token_client(scholar.user)
    for _ in range(3):
        caller.get("/api/v1/me/")
    by_session = APIClient()
    by_session.force_login(scholar.user)

    assert caller.get("/api/v1/me/").status_code == 429
    assert token_client(other.user).get("/api/v1/me/").status_code == 200
    # The trade-off of counting a token before its login is known (cohort.throttles.UserRateThrottle).
    assert by_session.get("/api/v1/me/").status_code == 200

"""The API's request-rate limits count per client in fixed windows: a few bytes per request, not the time of
every request in the window (DRF's own), and the same refusals."""

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate

from cohort.throttles import AnonRateThrottle, UserRateThrottle
from tests.factories import UserFactory

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


def signed_in(user):
    request = APIRequestFactory().get("/api/v1/me/")
    force_authenticate(request, user)
    request.user = user
    return request


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
    anonymous = APIRequestFactory().get("/api/v1/me/", REMOTE_ADDR="192.0.2.7")
    anonymous.user = None

    assert asks(ThreeAMinute, first, at=6002)[0] is False
    assert asks(ThreeAMinute, second, at=6002)[0] is True
    assert [asks(ThreeAMinuteAnonymous, anonymous, at=6003)[0] for _ in range(4)] == [True, True, True, False]

"""The suite's fixed clock: what every test but the integration tests reads as "now"."""

import datetime as dt
import time

from django.utils import timezone

from tests.conftest import SUITE_NOW


def test_a_test_starts_on_the_suite_clock_and_it_ticks():
    first = timezone.now()
    time.sleep(0.01)
    second = timezone.now()

    assert SUITE_NOW <= first < second < SUITE_NOW + dt.timedelta(minutes=1)
    assert timezone.localdate() == dt.date(2026, 12, 9)

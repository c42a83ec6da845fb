"""The integration tests keep the machine's clock, as the database, workers and servers they start do."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_an_integration_test_reads_the_clock_postgresql_reads():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (database_now,) = cursor.fetchone()

    assert not time_machine.escape_hatch.is_travelling()
    assert abs(timezone.now() - database_now) < dt.timedelta(seconds=5)

"""Real parts for the integration tests: PostgreSQL, Redis, Celery worker processes, SMTP servers.

They run in the PostgreSQL + Redis pass of ``run.py test``, which sets COHORTOPS_INTEGRATION=1. There, under
CI=true, a missing service fails the run; outside CI it skips with the reason. Without the variable (the SQLite
pass) they skip: that pass cannot give a worker process a database it shares with the test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.integration.processes import SENDING_TIMEOUT_SECONDS, reachable

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
IN_INTEGRATION_PASS = os.environ.get("COHORTOPS_INTEGRATION") == "1"


def _missing_services() -> list[str]:
    missing = []
    if connection.vendor != "postgresql":
        missing.append(f"DATABASE_URL points at {connection.vendor}, not PostgreSQL")
    elif not reachable(
        connection.settings_dict["HOST"] or "127.0.0.1", int(connection.settings_dict["PORT"] or 5432)
    ):
        missing.append("PostgreSQL is not reachable")
    broker = urlsplit(settings.CELERY_BROKER_URL)
    if broker.scheme != "redis":
        missing.append(f"CELERY_BROKER_URL is {broker.scheme}://, not redis://")
    elif not reachable(broker.hostname or "127.0.0.1", broker.port or 6379):
        missing.append("Redis is not reachable")
    if shutil.which("redis-server") is None:
        missing.append("redis-server is not installed (the outage test runs its own)")
    return missing


@pytest.fixture(autouse=True)
def _integration_services() -> None:
    if not IN_INTEGRATION_PASS:
        pytest.skip("runs in the PostgreSQL + Redis pass (COHORTOPS_INTEGRATION=1, set by `run.py test`)")
    missing = _missing_services()
    if missing and IN_CI:
        pytest.fail("CI=true but the integration services are missing: " + "; ".join(missing))
    if missing:
        pytest.skip("integration services missing: " + "; ".join(missing))


@pytest.fixture(autouse=True)
def _suite_clock() -> None:
    """The machine's own clock, not the suite's fixed one: the workers, servers and databases these tests start
    keep the machine's time, and the test must agree with them. These tests name no date they need ahead."""


@pytest.fixture
def queue() -> str:
    """A queue of this test's own on the shared Redis, so no other run's worker takes its tasks."""
    return f"test-notifications-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _short_sending_timeout(settings) -> None:
    settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS = SENDING_TIMEOUT_SECONDS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), every integration test runs in one process, one at a time: each
    starts real workers and servers of its own, and two at once would share two cores with the rest of the suite."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("integration"))

"""A throwaway database for a benchmark: created like pytest-django's test database, dropped afterwards.

Uses whatever DATABASE_URL says (``run.py bench`` points it at PostgreSQL when the machine has one), so figures
come from the database a deployment would use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import django
from django.db import connection
from django.test.utils import setup_test_environment, teardown_test_environment


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cohort.project.settings")
    django.setup()


@contextmanager
def bench_database() -> Iterator[str]:
    """Yield the database vendor ("sqlite", "postgresql") while a fresh, migrated test database is in use."""
    setup_django()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection.vendor
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def gather_statistics() -> None:
    """What autovacuum has done on a database in use: without statistics on the rows a benchmark has just written,
    PostgreSQL guesses their number and may walk a whole index where a join would read twelve rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

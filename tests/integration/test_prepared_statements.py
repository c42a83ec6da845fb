"""On PostgreSQL the statements compiled once (``cohort.prepared``) are prepared by the server after a few runs on a
connection, and then parsed and planned once; they read and write what the ORM would. Django's own queries are
still sent with their values written in, and never prepared (``cohort.project.postgresql``)."""

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from django.db import NotSupportedError, connection, connections, transaction
from django.db.models import BigIntegerField, CharField, DateField
from django.test.utils import CaptureQueriesContext

from cohort.models import Cohort
from cohort.prepared import PreparedRead, PreparedUpdate, Slot
from scholars.models import Scholar
from tests.factories import CohortFactory, ScholarFactory

pytestmark = pytest.mark.django_db

# psycopg's prepare_threshold, as the settings set it: runs of a statement before the one that prepares it.
RUNS_BEFORE_PREPARED = 5


def prepared_on_this_connection(table: str) -> list[tuple[str, int]]:
    """The server's prepared statements that name ``table``, with how many times each has run prepared."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            [f'%"{table}"%'],
        )
        return cursor.fetchall()


def test_the_settings_have_psycopg_prepare_what_runs_often():
    assert connection.connection.prepare_threshold == RUNS_BEFORE_PREPARED


def test_a_read_run_often_is_prepared_once_and_reads_what_the_orm_reads():
    scholars = ScholarFactory.create_batch(3)
    rows = Scholar.objects.filter(pk__gte=Slot("first", BigIntegerField())).order_by("pk")
    statement = PreparedRead(rows, "pk", "name")
    expected = list(Scholar.objects.filter(pk__gte=scholars[1].pk).order_by("pk").values_list("pk", "name"))

    with CaptureQueriesContext(connection) as queries:
        runs = [statement.run(first=scholars[1].pk) for _ in range(RUNS_BEFORE_PREPARED + 2)]

    assert runs == [expected] * (RUNS_BEFORE_PREPARED + 2)
    # Logged as Django logs its own statements, with their values, prepared or not.
    assert [query["sql"] for query in queries.captured_queries] == [statement.sql % (scholars[1].pk,)] * (
        RUNS_BEFORE_PREPARED + 2
    )
    [(text, prepared_runs)] = prepared_on_this_connection("scholars_scholar")
    assert "$1" in text  # its value sent apart from the SQL
    assert prepared_runs == 2  # the sixth run prepared and ran it, the seventh ran it again


def test_an_update_run_often_is_prepared_and_writes_each_runs_values():
    cohorts = CohortFactory.create_batch(RUNS_BEFORE_PREPARED + 1)
    statement = PreparedUpdate(
        Cohort.objects.filter(slug=Slot("slug", CharField())), end_date=Slot("end", DateField())
    )

    updated = [
        statement.run(slug=cohort.slug, end=dt.date(2031, 1, 1) + dt.timedelta(days=day))
        for day, cohort in enumerate(cohorts)
    ]

    assert updated == [1] * len(cohorts)
    assert dict(Cohort.objects.values_list("slug", "end_date")) == {
        cohort.slug: dt.date(2031, 1, 1) + dt.timedelta(days=day) for day, cohort in enumerate(cohorts)
    }
    assert [runs for _, runs in prepared_on_this_connection("cohort_cohort")] == [1]


def test_the_orms_own_queries_are_never_prepared():
    scholar = ScholarFactory()

    for _ in range(RUNS_BEFORE_PREPARED + 2):
        assert Scholar.objects.get(pk=scholar.pk) == scholar

    assert prepared_on_this_connection("scholars_scholar") == []


def test_with_prepared_statements_off_statements_run_unprepared(monkeypatch):
    # What DB_PREPARED_STATEMENTS=0 gives the connection (tests/cohort/test_settings.py), for a pooler in
    # transaction mode that keeps no prepared statements: the values still sent apart, nothing prepared.
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    scholar = ScholarFactory()
    statement = PreparedRead(Scholar.objects.filter(pk=Slot("pk", BigIntegerField())), "pk")

    runs = [statement.run(pk=scholar.pk) for _ in range(RUNS_BEFORE_PREPARED + 2)]

    assert runs == [[(scholar.pk,)]] * (RUNS_BEFORE_PREPARED + 2)
    assert prepared_on_this_connection("scholars_scholar") == []


@pytest.fixture
def migrated_elsewhere() -> Iterator:
    """Another process's migration: alters a column of the cohorts table on a connection of its own, outside any
    transaction of the test's, and puts it back afterwards."""
    other = connections.create_connection("default")
    altered = []

    def alter(column: str, new_type: str) -> None:
        quoted = connection.ops.quote_name(column)
        old_type = Cohort._meta.get_field(column).db_type(connection)
        with other.cursor() as cursor:
            cursor.execute(f"ALTER TABLE cohort_cohort ALTER COLUMN {quoted} TYPE {new_type}")
        altered.append((quoted, old_type))

    yield alter
    with other.cursor() as cursor:
        for quoted, old_type in altered:
            cursor.execute(f"ALTER TABLE cohort_cohort ALTER COLUMN {quoted} TYPE {old_type}")
    other.close()
    with connection.cursor() as cursor:  # what this connection prepared against the altered column
        cursor.execute("DEALLOCATE ALL")


@pytest.fixture
def read_prepared_before_a_migration(migrated_elsewhere) -> Callable[[], list[tuple]]:
    """A cohort's name read by a statement the connection has prepared, then a migration that changes the type of
    the column it reads (the server would refuse it: "cached plan must not change result type"); reads again."""
    cohort = CohortFactory(name="Winter cohort")
    statement = PreparedRead(Cohort.objects.filter(pk=Slot("pk", BigIntegerField())), "name")
    for _ in range(RUNS_BEFORE_PREPARED + 1):
        statement.run(pk=cohort.pk)
    assert prepared_on_this_connection("cohort_cohort")
    migrated_elsewhere("name", "varchar(250)")
    return lambda: statement.run(pk=cohort.pk)


@pytest.mark.django_db(transaction=True)
def test_a_read_prepared_before_a_migration_changed_its_columns_reads_them_as_they_are(
    read_prepared_before_a_migration,
):
    assert read_prepared_before_a_migration() == [("Winter cohort",)]
    assert read_prepared_before_a_migration() == [("Winter cohort",)]


@pytest.mark.django_db(transaction=True)
def test_a_statement_refused_in_a_transaction_fails_that_transaction(read_prepared_before_a_migration):
    with (
        pytest.raises(NotSupportedError, match="cached plan must not change result type"),
        transaction.atomic(),
    ):
        read_prepared_before_a_migration()

    # Its rollback dropped what the connection had prepared: the next run reads.
    assert read_prepared_before_a_migration() == [("Winter cohort",)]

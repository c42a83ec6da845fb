"""Instants read through psycopg's compiled loader (``cohort.postgres_instants``) are the ones Django's own loader
reads: the same values, in the same zone."""

import datetime as dt

from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from cohort.postgres_instants import TIMESTAMPTZ_OID
from scheduling.models import Meeting
from tests.factories import MeetingFactory

INSTANTS = [
    "2027-03-28 00:59:59.999999+00",  # a second before London's clocks go forward
    "2027-10-31 01:30:00+01",  # the hour London's clocks repeat
    "2027-01-04 10:00:00-05",
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def _read(cursor) -> list[dt.datetime]:
    cursor.execute(
        "SELECT value::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(value, position) ORDER BY position",
        [INSTANTS],
    )
    return [value for (value,) in cursor.fetchall()]


def test_instants_read_through_the_compiled_loader_are_the_ones_djangos_loader_reads(db):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, 0)

    with connection.cursor() as cursor:
        compiled = _read(cursor)
        # What Django's own loader reads, put on one cursor only.
        register_tzloader(connection.timezone, cursor.cursor)
        djangos = _read(cursor)

    assert loader.__name__ == "CompiledInstantLoader"
    assert loader.timezone == connection.timezone  # so Django's cursors keep it
    assert compiled == djangos
    assert [value.tzinfo for value in compiled] == [value.tzinfo for value in djangos] == [dt.UTC] * 6
    assert compiled[1] == dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC)


def test_the_orm_reads_instants_through_it(db):
    meeting = MeetingFactory(starts_at=dt.datetime(2027, 3, 28, 0, 59, 59, 999999, tzinfo=dt.UTC))

    read = Meeting.objects.values_list("starts_at", flat=True).get(pk=meeting.pk)
    with connection.cursor() as cursor:  # a cursor as the ORM's are made
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0)

    assert read == meeting.starts_at
    assert read.tzinfo is dt.UTC
    assert loader.__name__ == "CompiledInstantLoader"

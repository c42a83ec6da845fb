"""Celery tasks of the scholars app: reading people's own calendars for busy times."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from scholars.calendar_sources import calendar_source_read, calendar_sources_due
from scholars.models import CalendarSource


# Network I/O bounded by settings.CALENDAR_TIMEOUT_SECONDS per request, a few redirects at most.
@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def read_calendar_source(source_id: int) -> None:
    calendar_source_read(source_id, now=timezone.now())


@shared_task(ignore_result=True)
def read_due_calendar_sources() -> None:
    """On the tick queue: only enqueues, so a slow calendar server never holds up a tick."""
    for source_id in calendar_sources_due(now=timezone.now()):
        read_calendar_source.delay(source_id)


def read_on_worker(source: CalendarSource) -> None:
    """Read a source just added, once its transaction commits; a broker that is down leaves it to the refresh."""
    transaction.on_commit(lambda: read_calendar_source.delay(source.pk), robust=True)

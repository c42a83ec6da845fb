"""Reminders for the integration tests to send: meetings with their rows written, what should arrive, and the
beat tick's job done by the test."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from scheduling.dispatch import dispatch_due_notifications
from scheduling.models import Notification
from scheduling.notifications.messages import message_id_for
from scheduling.notifications.reminders import sync_meeting_notifications
from tests.factories import (
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)
from tests.integration.processes import wait_until

Status = Notification.Status


def one_on_ones(count):
    """``count`` one-on-ones two days ahead, their notifications written; returns the meetings and an instant by
    which every one is due: 5 per meeting, whatever the hour the test runs at.

    Each meeting brings a day-ahead and a 15-minute reminder to its mentor and scholar, and the scholar's weekly
    check-in prompt, due the day before at the start of their working day. Fifty hours ahead, that day starts
    between one and 27 hours from now, so the prompt is always written and always due before the meeting. A day
    ahead, it was written or not by the hour of the run (a day-ahead prompt already past is not written).
    """
    starts_at = timezone.now() + dt.timedelta(hours=50)
    today = timezone.localdate()
    cohort = CohortFactory(start_date=today - dt.timedelta(weeks=1), end_date=today + dt.timedelta(weeks=11))
    meetings = []
    for _ in range(count):
        mentorship = MentorshipFactory(mentor=MentorFactory(), scholar=ScholarFactory(cohort=cohort))
        series = MeetingSeriesFactory(
            mentor=mentorship.mentor, cohort=mentorship.scholar.cohort, scholars=[mentorship.scholar]
        )
        meetings.append(MeetingFactory(series=series, starts_at=starts_at))
    sync_meeting_notifications(meetings=meetings)
    return meetings, starts_at - dt.timedelta(minutes=5)


def make_due_now(meetings) -> None:
    """Their reminders due a minute ago: a backlog to send now, whatever the offsets."""
    Notification.objects.filter(meeting__in=meetings, kind=Notification.Kind.REMINDER).update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )


def expected_message_ids(as_of):
    keys = Notification.objects.filter(due_at__lte=as_of).values_list("dedupe_key", flat=True)
    return {message_id_for(key) for key in keys}


def all_sent(as_of):
    return not Notification.objects.filter(due_at__lte=as_of).exclude(status=Status.SENT).exists()


def tick_until_all_sent(as_of, enqueue, *, timeout):
    """Beat's job, done here: tick (claim due rows, sweep stuck ones) until every due row is sent."""

    def tick_and_check():
        dispatch_due_notifications(as_of=as_of, enqueue=enqueue)
        return all_sent(as_of)

    wait_until(tick_and_check, timeout=timeout, interval=1, what="every due notification to be sent")


def tick_every(
    seconds: float, *, as_of: dt.datetime, enqueue, until, timeout: float, what: str
) -> list[dt.datetime]:
    """Beat's job at a beat of ``seconds``: tick until ``until()`` holds; returns the instants of the ticks."""
    ticks = []
    deadline = time.monotonic() + timeout
    while True:
        dispatch_due_notifications(as_of=as_of, enqueue=enqueue)
        ticks.append(timezone.now())
        if until():
            return ticks
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(seconds)


def lease_ends() -> dt.datetime:
    """When the last lease of the rows in ``sending`` runs out."""
    return max(Notification.objects.filter(status=Status.SENDING).values_list("lease_expires_at", flat=True))

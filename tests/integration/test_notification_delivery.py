"""Reminders through real parts: PostgreSQL, Redis, `celery worker` processes and an aiosmtpd SMTP server.

Delivery is counted at the SMTP server by Message-ID, which every attempt at one notification shares (it is
derived from the dedupe key).
"""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from scheduling.dispatch import dispatch_due_notifications
from scheduling.models import DeliveryAttempt, Notification
from scheduling.notifications.messages import message_id_for
from scheduling.notifications.reminders import sync_meeting_notifications
from tests.factories import (
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)
from tests.integration.processes import celery_worker, enqueue_to, private_redis, wait_until
from tests.integration.servers import free_port, smtp_server

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Status = Notification.Status


@pytest.fixture
def queue():
    """A queue of this test's own on the shared Redis, so no other run's worker takes its tasks."""
    return f"test-notifications-{uuid.uuid4().hex[:12]}"


def one_on_ones(count):
    """``count`` one-on-ones a day ahead, their reminders written; returns the meetings and an instant by which
    every reminder is due (a day-ahead and a 15-minute one to each mentor and scholar, so 4 per meeting)."""
    starts_at = timezone.now() + dt.timedelta(hours=26)
    meetings = []
    for _ in range(count):
        mentorship = MentorshipFactory(mentor=MentorFactory(), scholar=ScholarFactory())
        series = MeetingSeriesFactory(
            mentor=mentorship.mentor, cohort=mentorship.scholar.cohort, scholars=[mentorship.scholar]
        )
        meetings.append(MeetingFactory(series=series, starts_at=starts_at))
    sync_meeting_notifications(meetings=meetings)
    return meetings, starts_at - dt.timedelta(minutes=5)


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


def test_a_worker_sends_due_reminders_into_a_real_smtp_server(queue, settings):
    meetings, as_of = one_on_ones(2)
    with (
        smtp_server() as (controller, received),
        celery_worker(broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=controller.port),
    ):
        tick_until_all_sent(as_of, enqueue_to(queue), timeout=60)

    assert Notification.objects.filter(kind=Notification.Kind.REMINDER, status=Status.SENT).count() == 8
    assert set(received.message_ids()) == expected_message_ids(as_of)
    assert set(received.message_ids().values()) == {1}
    reminders = [m for m in received.messages if str(m["Subject"]).strip().startswith("Reminder: ")]
    assert len(reminders) == 8
    bodies = [m.get_body(("plain",)).get_content() for m in reminders]
    whats = {line for body in bodies for line in body.splitlines() if line.startswith("What:")}
    assert whats == {f"What:  {meeting.series.title}" for meeting in meetings}
    assert reminders[0].get_body(("html",)) is not None


def test_every_notification_arrives_once_after_the_worker_is_killed_mid_batch(queue, settings):
    _, as_of = one_on_ones(50)
    expected = expected_message_ids(as_of)
    enqueue = enqueue_to(queue)
    with smtp_server() as (controller, received):
        with celery_worker(
            broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=controller.port
        ) as worker:
            report = dispatch_due_notifications(as_of=as_of, enqueue=enqueue)
            assert report.enqueued == len(expected)
            wait_until(lambda: received.count >= 30, timeout=60, what="the batch to be in flight")
            worker.kill_hard()
        in_flight = len(expected) - len(received.message_ids())
        assert in_flight > 0, "the worker finished the batch before it was killed; nothing was tested"

        with celery_worker(broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=controller.port):
            tick_until_all_sent(as_of, enqueue, timeout=90)

    counts = received.message_ids()
    assert set(counts) == expected
    # The honest residual: a worker killed between the SMTP server's "250" and its own UPDATE sends that one
    # again, with the same Message-ID. At most one per pool process (concurrency 2), and only for re-attempts.
    resent = {mid for mid, n in counts.items() if n > 1}
    assert len(resent) <= 2
    reattempted = {
        message_id_for(key)
        for key in Notification.objects.filter(attempts__gte=2).values_list("dedupe_key", flat=True)
    }
    assert resent <= reattempted


def test_two_ticks_racing_on_the_same_due_batch_claim_and_send_each_row_once(queue, settings):
    _, as_of = one_on_ones(20)
    expected = expected_message_ids(as_of)
    start = threading.Barrier(2)
    reports = []

    def tick():
        try:
            start.wait()
            reports.append(dispatch_due_notifications(as_of=as_of, enqueue=None, batch_size=5))
        finally:
            connection.close()

    ticks = [threading.Thread(target=tick) for _ in range(2)]
    for thread in ticks:
        thread.start()
    for thread in ticks:
        thread.join(timeout=60)

    first, second = ([pk for c in r.claims for pk in c.notification_ids] for r in reports)
    assert not set(first) & set(second)
    assert len(first) + len(second) == len(expected)
    enqueue = enqueue_to(queue)
    with (
        smtp_server() as (controller, received),
        celery_worker(broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=controller.port),
    ):
        for claim in [*reports[0].claims, *reports[1].claims]:
            enqueue(claim)
        wait_until(lambda: all_sent(as_of), timeout=60, what="every claimed notification to be sent")

    assert received.message_ids() == dict.fromkeys(expected, 1)


def test_the_tick_recovers_after_the_broker_was_down(queue):
    _, as_of = one_on_ones(3)
    expected = expected_message_ids(as_of)
    with (
        smtp_server() as (controller, received),
        private_redis(free_port()) as redis,
        celery_worker(broker_url=redis.url, queue=queue, smtp_port=controller.port),
    ):
        enqueue = enqueue_to(queue, broker_url=redis.url)
        redis.stop()
        # The broker is down: the tick claims a batch, cannot enqueue it, stops, and leaves it claimed.
        report = dispatch_due_notifications(as_of=as_of, enqueue=enqueue)
        assert (report.enqueue_failed, report.enqueued) == (True, 0)
        assert Notification.objects.filter(status=Status.SENDING).count() == report.claimed > 0

        redis.start()
        # Later ticks' sweeper re-enqueues the stranded claims; the worker has reconnected by itself.
        tick_until_all_sent(as_of, enqueue, timeout=90)

    assert received.message_ids() == dict.fromkeys(expected, 1)


def test_a_reminder_is_retried_while_the_smtp_server_is_down_and_sent_once_it_is_back(queue, settings):
    _, as_of = one_on_ones(1)
    expected = expected_message_ids(as_of)
    smtp_port = free_port()
    with celery_worker(broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=smtp_port):
        dispatch_due_notifications(as_of=as_of, enqueue=enqueue_to(queue))
        wait_until(
            lambda: DeliveryAttempt.objects.filter(outcome="transient_error").exists(),
            timeout=30,
            what="a failed attempt while the SMTP server is down",
        )
        with smtp_server(port=smtp_port) as (_, received):
            wait_until(lambda: all_sent(as_of), timeout=60, what="the retries to get through")

    assert received.message_ids() == dict.fromkeys(expected, 1)
    assert Notification.objects.filter(attempts__gte=2).exists()

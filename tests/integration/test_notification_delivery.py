"""Reminders through real parts: PostgreSQL, Redis, `celery worker` processes and an aiosmtpd SMTP server.

Delivery is counted at the SMTP server by Message-ID, which every attempt at one notification shares (it is
derived from the dedupe key).
"""

import threading

import pytest
from django.db import connection

from scheduling.dispatch import dispatch_due_notifications
from scheduling.models import Notification
from tests.integration.processes import (
    celery_worker,
    enqueue_to,
    private_redis,
    sessions_once_closed,
    wait_until,
)
from tests.integration.reminder_rows import (
    all_sent,
    expected_message_ids,
    one_on_ones,
    tick_until_all_sent,
)
from tests.integration.servers import free_port, smtp_server

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Status = Notification.Status


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
        # Once their lease runs out, a later tick enqueues the stranded claims again; the worker has reconnected by itself.
        tick_until_all_sent(as_of, enqueue, timeout=90)

    assert received.message_ids() == dict.fromkeys(expected, 1)


def test_a_worker_keeps_its_database_connections_across_tasks(queue, settings):
    _, as_of = one_on_ones(6)
    expected = expected_message_ids(as_of)
    before = sessions_once_closed()
    with (
        smtp_server() as (controller, received),
        celery_worker(broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=controller.port),
    ):
        # One row per task: 30 tasks over 2 pool processes.
        report = dispatch_due_notifications(as_of=as_of, enqueue=enqueue_to(queue), send_batch_size=1)
        assert len(report.claims) == len(expected) == 30
        wait_until(lambda: all_sent(as_of), timeout=60, what="every task to run")
    # Once the worker's connections are closed (as it stopped), each is counted.
    after = sessions_once_closed()

    assert received.message_ids() == dict.fromkeys(expected, 1)
    # At most one per pool process and one for the worker's main process (Celery's Django fixup alone would open
    # one per task).
    assert after - before <= 3

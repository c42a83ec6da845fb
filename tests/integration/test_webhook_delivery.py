"""Signed webhooks through a killed worker, on real parts: PostgreSQL, Redis, `celery worker` processes and a
receiver that checks every signature with the Standard Webhooks reference library.

Time is compressed as in the other fault tests: a 3 s lease, ticks every second, and a message waiting behind an
earlier one about the same meeting looked at again after half a second.
"""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from cohort.dates import monday_of
from scheduling.dispatch import dispatch_due_notifications
from scheduling.models import Notification, WebhookEndpoint
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.notifications.webhooks import message_id
from scheduling.services.meeting_edits import meeting_cancel, meeting_move
from scheduling.services.webhooks import endpoint_create
from tests.factories import CohortFactory
from tests.integration.processes import celery_worker, enqueue_to, wait_until
from tests.integration.reminder_rows import tick_every
from tests.integration.servers import free_port
from tests.meeting_rows import miras_one_on_one_with_sam
from tests.webhook_receiver import webhook_receiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Status = Notification.Status
MEETINGS = 15
WORKER_ENV = {
    "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
    "WEBHOOK_ORDER_WAIT_SECONDS": "0.5",
}


def three_events_each(count: int) -> list[int]:
    """``count`` meetings in the weeks from next Monday, each planned, then moved a day on, then cancelled: three
    events apiece. These tests keep the machine's clock (the workers do), so the meetings lie ahead."""
    first_day = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    first = dt.datetime.combine(first_day, dt.time(9), dt.UTC)
    ids = []
    for n in range(count):
        cohort = CohortFactory(start_date=first_day, end_date=first_day + dt.timedelta(weeks=12, days=-3))
        start = first + dt.timedelta(weeks=n % 8, hours=n // 8)
        meeting = miras_one_on_one_with_sam(cohort=cohort, time_zone="UTC", starts_at=start)
        sync_meeting_notifications(meetings=[meeting])
        moved = meeting_move(meeting=meeting, starts_at=start + dt.timedelta(days=1))
        meeting_cancel(meeting=moved)
        ids.append(meeting.pk)
    return ids


def all_settled() -> bool:
    return not Notification.objects.filter(
        channel=Notification.Channel.WEBHOOK, status__in=[Status.PENDING, Status.SENDING]
    ).exists()


def test_every_event_arrives_signed_exactly_once_by_its_id_and_in_order_per_meeting_across_a_killed_worker(
    queue, settings
):
    enqueue = enqueue_to(queue)
    with webhook_receiver([]) as receiver:
        settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
        receiver.secrets.append(
            endpoint_create(
                endpoint=WebhookEndpoint(
                    name="CRM",
                    url=receiver.url,
                    events=["meeting.planned", "meeting.moved", "meeting.cancelled"],
                ),
                by=None,
            ).secret
        )
        meeting_ids = three_events_each(MEETINGS)
        rows = list(Notification.objects.filter(channel=Notification.Channel.WEBHOOK).order_by("pk"))
        assert len(rows) == 3 * MEETINGS
        # A slow receiver, so the kill lands while messages are in flight.
        receiver.delay_seconds = 0.05

        with celery_worker(
            broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=free_port(), env=WORKER_ENV
        ) as worker:
            dispatch_due_notifications(as_of=timezone.now(), enqueue=enqueue)
            wait_until(lambda: receiver.requests >= 8, timeout=60, interval=0.01, what="messages in flight")
            worker.kill_hard()
        arrived_before_kill = len(receiver.unique)
        assert arrived_before_kill < len(rows), "every message went before the kill; nothing was tested"

        with celery_worker(
            broker_url=settings.CELERY_BROKER_URL, queue=queue, smtp_port=free_port(), env=WORKER_ENV
        ):
            tick_every(
                1,
                as_of=timezone.now(),
                enqueue=enqueue,
                until=all_settled,
                timeout=120,
                what="every message to settle",
            )

    print(
        f"\nkill -9 after {arrived_before_kill} of {len(rows)} messages; "
        f"{len(receiver.deliveries) - len(receiver.unique)} repeated by id"
    )
    assert receiver.refused == []
    assert set(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)) == {
        Status.SENT
    }
    # Exactly once by webhook-id: each message arrived, and a repeat (the worker killed between the receiver's
    # answer and the row marked sent) carries the id of a message attempted again, at most one per pool process.
    assert {r.message_id for r in receiver.unique} == {message_id(row) for row in rows}
    repeats = Counter(r.message_id for r in receiver.deliveries)
    repeated = {mid for mid, n in repeats.items() if n > 1}
    assert len(repeated) <= 2
    reattempted = {
        message_id(row) for row in Notification.objects.filter(pk__in=[r.pk for r in rows], attempts__gte=2)
    }
    assert repeated <= reattempted
    # In order for each meeting: planned, moved, cancelled, by first arrival.
    by_meeting: dict[int, list[str]] = {}
    for received in receiver.unique:
        by_meeting.setdefault(received.body["data"]["meeting"]["id"], []).append(received.body["type"])
    assert by_meeting == {pk: ["meeting.planned", "meeting.moved", "meeting.cancelled"] for pk in meeting_ids}
    # Repeats too: no message about a meeting arrives after a later one about it.
    sequences: dict[int, list[int]] = {}
    for received in receiver.deliveries:
        meeting = received.body["data"]["meeting"]
        sequences.setdefault(meeting["id"], []).append(meeting["sequence"])
    assert all(seq == sorted(seq) for seq in sequences.values()), sequences

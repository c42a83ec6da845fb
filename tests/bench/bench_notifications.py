"""Benchmark: 10,000 reminders due at the same instant, drained by real Celery worker processes.

    .venv/bin/python -m tests.bench.bench_notifications [--count 10000] [--concurrency 4]

Needs DATABASE_URL on PostgreSQL and CELERY_BROKER_URL on Redis (``run.py bench`` sets both when the machine
has them): one beat tick claims every row, one worker process with a prefork pool sends them to a local aiosmtpd
server, and the server counts Message-IDs. Runs in a throwaway test database; prints the time to drain, sends per
second, how many notifications were delivered twice (must be 0), how late after their due time they went
out (p50, p99, the last, and how many within a minute), and how many PostgreSQL sessions the worker opened.

Beat's part is played too, at a faster beat: while the backlog drains, a tick is published every
``--tick-seconds`` to the tick queue, which a worker process of its own serves, as deployed. It prints how many
ticks ran and how many expired unrun: a tick must never wait behind the sends.

Its floor, in the same run: the same messages, already rendered, sent by as many bare SMTP clients as the pool
has processes into the same kind of server. What the worker adds to that (claims, rendering, recording) is the
difference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import multiprocessing.synchronize
import os
import smtplib
import statistics
import sys
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cohort.project.settings")
django.setup()

from django.conf import settings  # noqa: E402 (after django.setup())
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from cohort.models import Cohort, Stream  # noqa: E402
from mentors.models import Mentor  # noqa: E402
from scheduling.dispatch import dispatch_due_notifications  # noqa: E402
from scheduling.models import Meeting, MeetingSeries, Notification  # noqa: E402
from scheduling.tasks import dispatch_due_notifications as tick_task  # noqa: E402
from scholars.models import Scholar  # noqa: E402
from tests.integration.processes import celery_worker, enqueue_to, sessions_once_closed  # noqa: E402
from tests.integration.servers import smtp_server  # noqa: E402

PEOPLE_PAIRS = 50
# A benchmark stops by itself: a worker that lost rows must not make it wait forever.
DRAIN_TIMEOUT_SECONDS = 600
# Issue 14's mark: every reminder delivered within a minute of its due time.
ON_TIME_SECONDS = 60


def write_due_reminders(count: int, due_at: dt.datetime) -> None:
    """``count`` 15-minute reminders, all due at ``due_at``: one mentor and one scholar per meeting."""
    today = due_at.date()
    cohort = Cohort.objects.create(
        name="Bench", slug="bench", start_date=today, end_date=today + dt.timedelta(days=90)
    )
    stream = Stream.objects.create(slug="bench", title="Bench")
    mentors = Mentor.objects.bulk_create(
        Mentor(name=f"Mentor {i}", slug=f"bench-mentor-{i}", email=f"mentor{i}@bench.test")
        for i in range(PEOPLE_PAIRS)
    )
    scholars = Scholar.objects.bulk_create(
        Scholar(
            cohort=cohort,
            stream=stream,
            name=f"Scholar {i}",
            slug=f"bench-scholar-{i}",
            email=f"s{i}@bench.test",
        )
        for i in range(PEOPLE_PAIRS)
    )
    series = MeetingSeries.objects.bulk_create(
        MeetingSeries(
            cohort=cohort,
            mentor=mentor,
            kind="one_on_one",
            demand_key=f"bench-{i}",
            title=f"Bench 1-on-1 {i}",
            uid=f"bench-{i}@cohortops.test",
            weekday=0,
            start_time=dt.time(10),
            duration_minutes=30,
            time_zone="Europe/London",
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_on=cohort.start_date,
            ends_on=cohort.end_date,
        )
        for i, mentor in enumerate(mentors)
    )
    MeetingSeries.scholars.through.objects.bulk_create(
        MeetingSeries.scholars.through(meetingseries=s, scholar=scholar)
        for s, scholar in zip(series, scholars, strict=True)
    )
    meetings_per_series = count // (2 * PEOPLE_PAIRS)
    first_start = due_at + dt.timedelta(hours=2)
    meetings = Meeting.objects.bulk_create(
        Meeting(
            series=s,
            original_start=first_start + dt.timedelta(minutes=k),
            starts_at=first_start + dt.timedelta(minutes=k),
            ends_at=first_start + dt.timedelta(minutes=k + 30),
        )
        for s in series
        for k in range(meetings_per_series)
    )
    mentor_of = dict(zip([s.pk for s in series], mentors, strict=True))
    scholar_of = dict(zip([s.pk for s in series], scholars, strict=True))
    rows = []
    for meeting in meetings:
        for field, person in (
            ("recipient_mentor", mentor_of[meeting.series_id]),
            ("recipient_scholar", scholar_of[meeting.series_id]),
        ):
            who = f"{field.removeprefix('recipient_')}={person.pk}"
            rows.append(
                Notification(
                    kind=Notification.Kind.REMINDER,
                    dedupe_key=f"reminder:meeting={meeting.pk}:v=1:{who}:email:offset=15",
                    due_at=due_at,
                    meeting=meeting,
                    meeting_version=1,
                    payload={"offset_minutes": 15},
                    **{field: person},
                )
            )
    Notification.objects.bulk_create(rows, batch_size=2000)


def send_rendered(port: int, contents: list[bytes], start: multiprocessing.synchronize.Barrier) -> None:
    """One bare SMTP client: connected, it waits for the others, then sends ``contents`` over one connection."""
    with smtplib.SMTP("127.0.0.1", port) as client:
        start.wait()
        for content in contents:
            client.sendmail("floor@bench.test", ["floor@bench.test"], content)


def floor_sends_per_second(contents: list[bytes], clients: int) -> float:
    """Timed from when every client is connected (starting processes is not what is measured) to the last mail."""
    with smtp_server() as (controller, received):
        share = -(-len(contents) // clients)
        context = multiprocessing.get_context("spawn")
        chunks = [contents[i : i + share] for i in range(0, len(contents), share)]
        start = context.Barrier(len(chunks) + 1, timeout=120)
        senders = [
            context.Process(target=send_rendered, args=(controller.port, chunk, start)) for chunk in chunks
        ]
        for sender in senders:
            sender.start()
        start.wait()
        started = time.perf_counter()
        for sender in senders:
            sender.join()
        elapsed = time.perf_counter() - started
        if received.count != len(contents):
            sys.exit(f"The floor's clients delivered {received.count} of {len(contents)} messages.")
    return len(contents) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--tick-seconds", type=float, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("bench_notifications needs DATABASE_URL on PostgreSQL and CELERY_BROKER_URL on Redis.")

    # A database of its own, apart from the one a concurrent test run creates.
    connection.settings_dict["TEST"]["NAME"] = "cohortops_bench_notifications"
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        due_at = timezone.now()
        write_due_reminders(args.count, due_at)
        total = Notification.objects.count()
        queue = f"bench-notifications-{uuid.uuid4().hex[:8]}"
        tick_queue = f"{queue}-ticks"
        # Production's lease, not the integration tests' short one.
        lease = {"NOTIFICATION_SENDING_TIMEOUT_SECONDS": str(settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)}
        sessions_before = sessions_once_closed()
        with (
            smtp_server() as (controller, received),
            celery_worker(
                broker_url=settings.CELERY_BROKER_URL,
                queue=queue,
                smtp_port=controller.port,
                concurrency=args.concurrency,
                env=lease,
            ),
            celery_worker(
                broker_url=settings.CELERY_BROKER_URL,
                queue=tick_queue,
                send_queue=queue,
                smtp_port=controller.port,
                concurrency=1,
                env=lease,
            ) as tick_worker,
        ):
            started = time.perf_counter()
            report = dispatch_due_notifications(as_of=due_at, enqueue=enqueue_to(queue))
            claimed_in = time.perf_counter() - started
            unsent = Notification.objects.exclude(status=Notification.Status.SENT)
            ticks_published = 0
            next_tick = started
            while unsent.exists():
                if time.perf_counter() - started > DRAIN_TIMEOUT_SECONDS:
                    sys.exit(f"{unsent.count()} of {total} reminders unsent after {DRAIN_TIMEOUT_SECONDS} s.")
                if time.perf_counter() >= next_tick:
                    # As beat publishes it: worthless, and dropped, once the next one is due.
                    tick_task.apply_async(queue=tick_queue, expires=args.tick_seconds)
                    ticks_published += 1
                    next_tick += args.tick_seconds
                time.sleep(0.5)
            drained_in = time.perf_counter() - started
            time.sleep(args.tick_seconds)  # the last tick's turn
            tick_log = tick_worker.output()
        sessions = sessions_once_closed() - sessions_before
        counts = received.message_ids()
        floor = floor_sends_per_second(received.contents(), args.concurrency)
        late = sorted(
            (sent_at - due).total_seconds()
            for due, sent_at in Notification.objects.values_list("due_at", "sent_at")
        )
        print("Database: PostgreSQL; broker: Redis; mail: local aiosmtpd SMTP server over TCP")
        print(f"Workers: 1 process, prefork pool of {args.concurrency}; {os.cpu_count()} CPU cores")
        print(f"Reminders due at the same instant: {total}")
        print(f"One tick claimed and enqueued {report.enqueued} in {claimed_in:.2f} s")
        print(
            f"Time to drain: {drained_in:.1f} s ({total / drained_in:.0f} sends per second, "
            f"{total / drained_in / floor:.0%} of the floor)"
        )
        print(
            f"Floor: the same {total} messages, already rendered, sent by {args.concurrency} bare SMTP clients: "
            f"{floor:.0f} per second"
        )
        print(
            f"Distinct Message-IDs received: {len(counts)}; delivered twice: {sum(1 for n in counts.values() if n > 1)}"
        )
        print(f"PostgreSQL sessions opened by the workers: {sessions} ({report.enqueued} sends)")
        print(
            f"Ticks during the drain, one every {args.tick_seconds:g} s on their own queue and worker: "
            f"{ticks_published} published, {tick_log.count('succeeded in')} ran, "
            f"{tick_log.count('Discarding revoked task')} discarded as expired"
        )
        within = sum(1 for seconds in late if seconds <= ON_TIME_SECONDS)
        print(
            f"Lateness after the due time: p50 {statistics.median(late):.1f} s, "
            f"p99 {statistics.quantiles(late, n=100)[98]:.1f} s, last {late[-1]:.1f} s; "
            f"{within} of {total} sent within {ON_TIME_SECONDS} s"
        )
    finally:
        connection.close()
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()

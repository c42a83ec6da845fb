"""Send, in this process and at once, every notification due by now (or by ``--as-of``, to fast-forward the demo).

Each row is judged as if sent at its own due time when that lies ahead of now, so fast-forwarding to tomorrow
morning sends tonight's reminders as they would have gone out, not as skipped for meetings already begun.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from scheduling.dispatch import dispatch_due_notifications, send_claimed_notification
from scheduling.notifications.oversight import write_periodic_notifications


def parse_instant(value: str) -> dt.datetime:
    instant = parse_datetime(value)
    if instant is None:
        raise CommandError(f"--as-of {value!r} is not an ISO 8601 instant such as 2027-01-12T09:00:00+00:00.")
    if timezone.is_naive(instant):
        raise CommandError(f"--as-of {value!r} has no offset; add one, e.g. +00:00 or Z.")
    return instant


class Command(BaseCommand):
    help = "Send every notification due by now (or by --as-of) from this process, without a worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", type=parse_instant, help="Send what is due by this instant (ISO 8601)."
        )

    def handle(self, *args: object, as_of: dt.datetime | None, **options: object) -> None:
        as_of = as_of or timezone.now()
        written = write_periodic_notifications(as_of=as_of)
        report = dispatch_due_notifications(as_of=as_of, enqueue=None)
        outcomes = Counter(
            send_claimed_notification(notification_id=c.notification_id, token=c.token).status
            for c in report.claims
        )
        left = outcomes.pop("sending", 0)
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())) or "nothing"
        self.stdout.write(
            f"As of {as_of.isoformat()}: wrote {written.created} digests/escalations; "
            f"claimed {report.claimed + report.reclaimed}: {summary}"
            + (f"; {left} failed for now and retry through the worker" if left else "")
            + "."
        )

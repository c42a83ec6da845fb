"""Send, in this process and at once, every notification due by now (or by ``--as-of``, to fast-forward the demo).

``--as-of`` moves this run's clock: the run does what the beat tick would do at that instant, and judges everything
by it (what is due, what is too late to send, what counts as missed, how long a reminder says there is left).
So one instant run twice sends nothing the second time, and no instant, earlier or later, sends again what
another run settled. To see a meeting's reminders go out as they would, fast-forward to each reminder's time in turn.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from scheduling.dispatch import dispatch_due_notifications, send_claimed_notifications
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
            "--as-of",
            type=parse_instant,
            help="Send what is due by this instant (ISO 8601), as the worker would at that instant.",
        )

    def handle(self, *args: object, as_of: dt.datetime | None, **options: object) -> None:
        # Forward only: what is sent now cannot have gone out at an instant already past.
        as_of = max(as_of, timezone.now()) if as_of else timezone.now()
        written = write_periodic_notifications(as_of=as_of)
        report = dispatch_due_notifications(as_of=as_of, enqueue=None)
        outcomes: Counter[str] = Counter()
        claims = deque(report.claims)
        while claims:
            sent = send_claimed_notifications(claims.popleft(), as_of=as_of)
            outcomes.update(outcome.status for outcome in sent.outcomes.values())
            # Rows a batch had no time left for go again at once. A transient failure puts its row back to pending
            # with a retry due later, which the worker's tick (or a later run) sends.
            if sent.requeue is not None:
                claims.append(sent.requeue)
        left = outcomes.pop("pending", 0)
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())) or "nothing"
        self.stdout.write(
            f"As of {as_of.isoformat()}: wrote {written.created} digests/escalations; "
            f"claimed {report.claimed + report.reclaimed}: {summary}"
            + (f"; {left} failed for now and are retried by the worker's tick" if left else "")
            + "."
        )

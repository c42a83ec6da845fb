"""Sending what is due: claim rows, send each once, in batches, and record the outcomes.

The database row is the truth; Celery only carries "send rows N, M … under claim T" messages. States:
pending → sending → sent | failed | superseded | skipped, and sending → pending again after a transient failure,
with ``retry_at`` set. A row in ``sending`` carries in ``claimed_at`` the claim that owns it: the instant the tick
claimed it, and then the instant its send attempt started (``attempting``). The claim holds a lease
(``lease_expires_at``, ``NOTIFICATION_SENDING_TIMEOUT_SECONDS`` long) that a running attempt renews; a row whose
lease ran out (its task lost from the broker, its worker killed) is enqueued again by the next tick: under the same
claim while only queued, under a new one once its attempt had started, which fences that attempt off. A task may
only start an attempt under the claim it was given, or take over a claim whose lease ran out, so two copies of one
task never both send.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    Field,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from cohort.prepared import PreparedUpdate, Slot
from scheduling.channels import (
    DeliveryError,
    ServerUnreachable,
    deliver,
    loggable_address,
    loggable_webhook,
)
from scheduling.models import DeliveryAttempt, Meeting, Notification, WebhookEndpoint
from scheduling.notifications import webhooks
from scheduling.notifications.clashes import open_clash_of, open_clashes_matching
from scheduling.notifications.messages import NothingToSend, compose_message, recipient_address, recipient_of
from scheduling.notifications.oversight import escalate_dead_webhook
from scheduling.notifications.reminders import person_notifications_resync
from scheduling.notifications.rows import LIVE_MEETING_STATUSES, MEETING_KINDS, check_in_closes_at
from scheduling.services.feedback import feedback_given, why_not_rateable

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = Notification.Channel
Status = Notification.Status
Outcome = DeliveryAttempt.Outcome

CLAIM_BATCH_SIZE = 500
# One tick claims at most this many rows; the next tick, a minute later, takes the rest.
MAX_CLAIMS_PER_TICK = 20_000
# A send batch starts no delivery after this long, so one slow delivery (connect, TLS and each reply have
# EMAIL_TIMEOUT) still ends inside the send task's soft time limit (60 s).
BATCH_DELIVERY_SECONDS = 30


def lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Claim:
    """The right to send some rows: their ids and the ``claimed_at`` the claimer wrote on each (ISO 8601)."""

    token: str
    notification_ids: tuple[int, ...]

    @property
    def instant(self) -> dt.datetime:
        """The ``claimed_at`` the claimer wrote."""
        return dt.datetime.fromisoformat(self.token)

    def batches(self, size: int) -> list[Claim]:
        ids = self.notification_ids
        return [Claim(self.token, ids[i : i + size]) for i in range(0, len(ids), size)]


@dataclass
class DispatchReport:
    """One tick: rows claimed (due) and reclaimed (stuck), rows enqueued, and the claims, one per send batch."""

    claimed: int = 0
    reclaimed: int = 0
    redriven: int = 0
    enqueued: int = 0
    enqueue_failed: bool = False
    claims: list[Claim] = field(default_factory=list)


@dataclass(frozen=True)
class SendOutcome:
    status: str
    detail: str = ""


@dataclass
class SendReport:
    """What a batch did to each row it tried or found claimed by another; rows it had no time left for are only
    in ``requeue``, a claim to send at once."""

    outcomes: dict[int, SendOutcome] = field(default_factory=dict)
    requeue: Claim | None = None


# --- Claiming -------------------------------------------------------------------------------------------------


def due_notifications(*, as_of: dt.datetime, now: dt.datetime | None = None) -> QuerySet[Notification]:
    """Pending rows due by ``as_of`` whose retry, if a transient failure put one off, is due by ``now`` (the real
    clock, as every retry and lease)."""
    # Served by notification_due_idx (status, due_at).
    return Notification.objects.filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now or timezone.now()),
        status=Status.PENDING,
        due_at__lte=as_of,
    ).order_by("due_at", "pk")


def lost_notifications(*, now: dt.datetime) -> QuerySet[Notification]:
    """Rows whose claim's lease ran out: their task was lost from the broker, or their worker died mid-send."""
    return Notification.objects.filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True), status=Status.SENDING
    ).order_by("claimed_at", "pk")


def claim_notifications(
    candidates: QuerySet[Notification], *, limit: int, now: dt.datetime, starting_attempt: bool = False
) -> Claim:
    """Claim up to ``limit`` of ``candidates`` under the token ``now``, with a fresh lease, safely against any
    number of concurrent claimers.

    Starting an attempt (``starting_attempt``: the rows are named by a claim) counts the attempt and, on
    PostgreSQL, waits for a row another transaction holds instead of skipping it, then finds it still under that
    claim, or not.
    """
    changes: dict[str, object] = {
        "status": Status.SENDING,
        "claimed_at": now,
        "attempting": starting_attempt,
        "retry_at": None,
    }
    if starting_attempt:
        changes["attempts"] = F("attempts") + 1
    won = _claim_rows(candidates, limit=limit, now=now, changes=changes, skip_locked=not starting_attempt)
    return Claim(now.isoformat(), tuple(pk for pk, _ in won))


def renew_lost_claims(*, now: dt.datetime, limit: int) -> list[Claim]:
    """Give up to ``limit`` rows whose lease ran out a fresh lease, as claims to enqueue again.

    A row only queued keeps its claim: a copy of its task still queued (the broker was only slow) finds it under
    the same claim, so whichever runs first sends it and the other finds nothing to do, and enqueueing again never
    makes a row wait longer than it already has. A row whose attempt had started (its worker died, or stalled longer
    than the lease) gets a new claim, so that attempt, should it wake, finds the row no longer its own."""
    lost = lost_notifications(now=now)
    taken = _claim_rows(
        lost.filter(Q(attempting=True) | Q(claimed_at__isnull=True)),
        limit=limit,
        now=now,
        changes={"claimed_at": now, "attempting": False},
        skip_locked=True,
    )
    claims = [Claim(now.isoformat(), tuple(pk for pk, _ in taken))] if taken else []
    queued = _claim_rows(
        lost.filter(attempting=False, claimed_at__isnull=False),
        limit=limit - len(taken),
        now=now,
        changes={},
        skip_locked=True,
    )
    by_claim: dict[dt.datetime, list[int]] = defaultdict(list)
    for pk, claimed_at in queued:
        by_claim[claimed_at].append(pk)
    if taken:
        logger.warning("Taking over %d notifications whose attempt stopped renewing its lease", len(taken))
    if queued:
        # A backlog longer than the lease, or tasks the broker lost: worth knowing, not alarming.
        logger.info("Enqueueing again %d notifications still queued when their lease ran out", len(queued))
    return claims + [Claim(claimed_at.isoformat(), tuple(ids)) for claimed_at, ids in by_claim.items()]


def _claim_rows(
    candidates: QuerySet[Notification],
    *,
    limit: int,
    now: dt.datetime,
    changes: dict[str, object],
    skip_locked: bool,
) -> list[tuple[int, dt.datetime]]:
    """Apply ``changes`` and a fresh lease to up to ``limit`` of ``candidates`` that no concurrent claimer takes;
    returns (pk, claimed_at) of each row won, ``claimed_at`` as the row has it now.

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` hands each claimer rows no other claimer holds (or, not
    skipping, waits for them). SQLite (no row locks): each row is claimed by an UPDATE conditional on the state just
    read, which changes exactly one row for the one claimer that wins it and none for the others.
    """
    changes = {**changes, "lease_expires_at": now + lease_length(), "updated_at": now}
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            locked = candidates.select_for_update(skip_locked=skip_locked)
            read = list(locked.values_list("pk", "claimed_at")[:limit])
            Notification.objects.filter(pk__in=[pk for pk, _ in read]).update(**changes)
        else:
            read = []
            state = ("pk", "status", "claimed_at", "lease_expires_at", "retry_at", "attempting")
            for pk, status, claimed_at, lease, retry_at, attempting in candidates.values_list(*state)[:limit]:
                if Notification.objects.filter(
                    pk=pk,
                    status=status,
                    claimed_at=claimed_at,
                    lease_expires_at=lease,
                    retry_at=retry_at,
                    attempting=attempting,
                ).update(**changes):
                    read.append((pk, claimed_at))
    kept_claim = "claimed_at" not in changes
    return [(pk, claimed_at if kept_claim else now) for pk, claimed_at in read]


def dispatch_due_notifications(
    *,
    as_of: dt.datetime,
    enqueue: Callable[[Claim], object] | None,
    batch_size: int = CLAIM_BATCH_SIZE,
    max_claims: int = MAX_CLAIMS_PER_TICK,
    send_batch_size: int | None = None,
) -> DispatchReport:
    """One beat tick.

    0. Re-drive: rows an outage failed, about a meeting ahead, are due again once their channel delivers again
       (``redrive_failed_notifications``).
    1. Sweep: renew the lease of rows whose lease ran out (a lost task, a killed worker), under their own claim if
       only queued, under a new one if their attempt had started (``renew_lost_claims``).
    2. Claim pending rows due by ``as_of`` (and retries due by now), oldest first, ``batch_size`` per transaction.
    3. Once each transaction has committed (so the worker finds the rows claimed), enqueue its claims in send
       batches of ``send_batch_size`` rows (``NOTIFICATION_SEND_BATCH_SIZE``), one task each. With ``enqueue``
       None the caller sends ``report.claims`` itself, in this process.
    A failed enqueue (the broker is down) stops the tick: its rows stay claimed and step 1 of a later tick
    enqueues them again once their lease has run out and the broker is back.
    """
    report = DispatchReport()
    send_batch_size = send_batch_size or settings.NOTIFICATION_SEND_BATCH_SIZE

    def enqueue_after_commit(claims: list[Claim]) -> None:
        batches = [batch for claim in claims for batch in claim.batches(send_batch_size)]
        report.claims.extend(batches)
        if enqueue is None:
            return

        def run() -> None:
            for batch in batches:
                try:
                    enqueue(batch)
                except Exception:
                    logger.exception(
                        "Could not enqueue %d notifications; a later tick enqueues them once their lease (%s) "
                        "has run out",
                        len(batch.notification_ids),
                        lease_length(),
                    )
                    report.enqueue_failed = True
                    return
                report.enqueued += len(batch.notification_ids)

        transaction.on_commit(run)

    report.redriven = redrive_failed_notifications(now=timezone.now())
    while not report.enqueue_failed and report.reclaimed < max_claims:
        claims = renew_lost_claims(now=timezone.now(), limit=batch_size)
        renewed = sum(len(claim.notification_ids) for claim in claims)
        report.reclaimed += renewed
        enqueue_after_commit(claims)
        if renewed < batch_size:
            break
    while not report.enqueue_failed and report.claimed < max_claims:
        now = timezone.now()
        claim = claim_notifications(due_notifications(as_of=as_of, now=now), limit=batch_size, now=now)
        report.claimed += len(claim.notification_ids)
        enqueue_after_commit([claim])
        if len(claim.notification_ids) < batch_size:
            break
    return report


def redrive_failed_notifications(*, now: dt.datetime) -> int:
    """Give another go to the rows an outage failed, once their channel delivers again: failed rows about a meeting
    that has not started, whose last attempt failed transiently while the channel's last verdict on its server (at
    or before that attempt) was "unreachable", and after which the channel has delivered. Returns how many. A row
    re-driven and failing again while the server is up waits for staff (``send_again``); one failing again in a new
    outage is re-driven after it."""
    attempts = DeliveryAttempt.objects.filter(notification=OuterRef("pk")).order_by("-attempted_at", "-pk")
    failed = Notification.objects.filter(status=Status.FAILED, meeting__starts_at__gt=now).annotate(
        last_outcome=Subquery(attempts.values("outcome")[:1]),
        last_attempted_at=Subquery(attempts.values("attempted_at")[:1]),
    )
    # Served by delivery_channel_outcome_idx.
    verdicts = DeliveryAttempt.objects.filter(channel=OuterRef("channel"))
    verdict_then = Subquery(
        verdicts.filter(
            outcome__in=[Outcome.SENT, Outcome.UNREACHABLE], attempted_at__lte=OuterRef("last_attempted_at")
        )
        .order_by("-attempted_at", "-pk")
        .values("outcome")[:1]
    )
    delivered_since = Exists(
        verdicts.filter(outcome=Outcome.SENT, attempted_at__gt=OuterRef("last_attempted_at"))
    )
    redriven = send_again(
        failed.annotate(verdict_then=verdict_then).filter(
            delivered_since,
            last_outcome__in=[Outcome.TRANSIENT_ERROR, Outcome.UNREACHABLE],
            verdict_then=Outcome.UNREACHABLE,
        ),
        now=now,
    )
    if redriven:
        logger.warning("Sending again %d failed notifications: their channel delivers again", redriven)
    return redriven


def send_again(failed: QuerySet[Notification], *, now: dt.datetime) -> int:
    """Put the ``failed`` rows back to pending, due at once, but for messages about a meeting that has started.
    Returns how many. Sending judges each again (a meeting changed since, a recipient who left, a week over)."""
    # A webhook message tells of something that happened: still worth sending once its meeting has started.
    not_too_late = Q(meeting__isnull=True) | Q(meeting__starts_at__gt=now) | Q(channel=Channel.WEBHOOK)
    ids = list(failed.filter(not_too_late, status=Status.FAILED).values_list("pk", flat=True))
    return Notification.objects.filter(pk__in=ids, status=Status.FAILED).update(
        status=Status.PENDING, retry_at=None, updated_at=now
    )


# --- Sending a batch ------------------------------------------------------------------------------------------

# The values a batch's prepared statements take from the row at hand.
_ROW_SLOTS = {
    name: Slot(name, BigIntegerField())
    for name in ("notification", "meeting", "meeting_version", "person", "endpoint")
}


@dataclass(frozen=True)
class _Result:
    """What one attempt did, to be recorded with its batch; ``retry_at`` is when a transient failure's retry is
    due."""

    notification: Notification
    status: str
    detail: str = ""
    log: tuple[str, str, str] | None = None
    retry_at: dt.datetime | None = None
    at: dt.datetime = field(default_factory=timezone.now)  # when it was decided: the delivery log's time
    # Put off without an attempt (a webhook message waiting behind an earlier one): its claim did not count.
    uncounted: bool = False


class _Batch:
    """One attempt at a batch's rows: its claim token (the attempt's start) and what it learnt on the way."""

    def __init__(self, attempt: dt.datetime, ids: tuple[int, ...]) -> None:
        self.attempt = attempt
        self.ids = ids
        # channel → the error that showed its server unreachable, and when
        self.down: dict[str, tuple[ServerUnreachable, dt.datetime]] = {}
        self.switched_off: set[tuple[int | None, int | None, str]] = set()
        self.statements: dict[object, PreparedUpdate] = {}
        self.renewed_at = attempt  # starting the attempt gave its rows a lease

    def hold_for_delivery(self, notification: Notification) -> bool:
        """Immediately before a delivery, in one statement: whether ``notification`` is still this attempt's and,
        for a meeting's message, its meeting still the version and status it was written for; if so, renew its
        lease and, once a quarter of the lease has passed since the batch last did, the lease of every row of the
        batch still ``sending`` under this attempt (those not reached, and those decided but recorded only when the
        batch ends). So a meeting moved while the batch ran is not announced at its old time; the row delivered has
        a whole lease for its delivery, and the batch's other rows are taken over only if one delivery outlasts
        three quarters of the lease, which costs a retry, never a second mail. (Renewing them all before every
        delivery rewrote a dozen rows a mail on average: a third of PostgreSQL's CPU in ``bench notifications``.)"""
        now = timezone.now()
        renew_all = now - self.renewed_at >= lease_length() / 4
        kind = notification.kind
        role, _, person = (
            notification.payload["person"].partition("=") if kind == Kind.CLASH else ("", "", "")
        )
        statement = self._hold_statement(
            kind, role, webhook=notification.channel == Channel.WEBHOOK, renew_all=renew_all
        )
        held = statement.run(
            notification=notification.pk,
            meeting=notification.meeting_id,
            meeting_version=notification.meeting_version,
            person=person,
            endpoint=notification.webhook_endpoint_id,
            lease_expires_at=now + lease_length(),
        )
        if held and renew_all:
            self.renewed_at = now
        return held > 0

    def _hold_statement(self, kind: str, role: str, *, webhook: bool, renew_all: bool) -> PreparedUpdate:
        """``hold_for_delivery``'s statement for rows of one kind (a clash notice's: of one role) and channel,
        compiled once per batch: compiling it costs more than running it."""
        key = ("hold", kind, role, webhook, renew_all)
        if key not in self.statements:
            ours = Notification.objects.filter(status=Status.SENDING, claimed_at=self.attempt)
            this = ours.filter(pk=_ROW_SLOTS["notification"])
            rows = ours.filter(pk__in=self.ids).filter(Exists(this)) if renew_all else this
            meeting, version = _ROW_SLOTS["meeting"], _ROW_SLOTS["meeting_version"]
            if kind in MEETING_KINDS:
                rows = rows.filter(
                    Exists(
                        Meeting.objects.filter(
                            pk=meeting, version=version, status__in=_wanted_meeting_statuses(kind)
                        )
                    )
                )
            if kind == Kind.CLASH:
                clashes = open_clashes_matching(
                    role=role, person=_ROW_SLOTS["person"], meeting=meeting, meeting_version=version
                )
                rows = rows.filter(Exists(clashes))
            if webhook:
                rows = rows.filter(
                    Exists(WebhookEndpoint.objects.filter(pk=_ROW_SLOTS["endpoint"], is_active=True))
                )
            self.statements[key] = PreparedUpdate(
                rows, lease_expires_at=Slot("lease_expires_at", DateTimeField())
            )
        return self.statements[key]

    def mark_sent(self, result: _Result) -> None:
        """At once, in one statement compiled once per batch: a crash from here on repeats no mail."""
        if "sent" not in self.statements:
            now = Slot("now", DateTimeField())
            rows = Notification.objects.filter(pk=_ROW_SLOTS["notification"], status=Status.SENDING)
            self.statements["sent"] = PreparedUpdate(rows, **_recorded(Status.SENT, now=now, last_error=""))
        updated = self.statements["sent"].run(notification=result.notification.pk, now=timezone.now())
        _report_lost_claims(updated, of=1, attempt=self.attempt, status=Status.SENT)

    def still_claimed(self, notification: Notification) -> bool:
        return Notification.objects.filter(
            pk=notification.pk, status=Status.SENDING, claimed_at=self.attempt
        ).exists()


def send_claimed_notifications(claim: Claim, *, as_of: dt.datetime | None = None) -> SendReport:
    """Send the rows of one claim, each once, judged as sent at ``as_of``: now, or the instant
    ``send_due_notifications --as-of`` fast-forwards to.

    1. Start the attempt: claim again, under a fresh token no queued copy of this task holds, the rows still
       ``sending`` under ``claim`` (or under a claim whose lease ran out). Any other copy of the task (a
       redelivery, a re-enqueue after a lost lease) finds nothing to start; so does a task for rows already settled.
    2. Load the started rows with everything their messages show, in two queries for the whole batch.
    3. For each row: supersede it if its meeting changed since it was written; skip it (reason recorded) if, as of
       ``as_of``, its meeting has started or its check-in week has ended, or its recipient left; otherwise render
       it as of ``as_of``, check in one statement that the row is still ours and its meeting unchanged (renewing
       its lease and, once a quarter of the lease has passed, the lease of the batch's rows: the attempt's
       heartbeat), and deliver it through the process's kept SMTP connection.
    4. Mark a delivered row sent at once, in one UPDATE (even if its lease ran out meanwhile: the mail went out).
       Record every other outcome, conditional on the attempt's claim, and the delivery log of the whole batch in
       one INSERT, together at the end in one transaction.
       A transient failure puts the row back to pending with a retry due after a jittered backoff, retried while it
       is still worth sending (see ``_failed_attempt``). Once a mail server proves unreachable, the batch's other
       rows for it are put off the same way without trying. Rows the batch had no time left for go back for an
       immediate retry (``report.requeue``), their attempt uncounted.

    Where a mail can go out twice (always with the same Message-ID, derived from the dedupe key, so a receiver that
    drops repeated Message-IDs shows it once): the process dies after the mail server took a message and before
    its row is marked sent (one reply and one UPDATE apart), and the row is sent again once its lease runs out, at
    most one mail per pool process; or the server's reply to the message is lost (a timeout, a dropped connection)
    after it took the message, which reads as a transient failure and is retried. No protocol closes those windows
    without a transaction spanning our database and the mail server. A process that dies mid-batch also loses the
    delivery-log entries of the rows it had sent; the rows still say sent, when, and after how many attempts.

    Claims, leases and retries always run on the real clock; only what a row says and whether it is still worth
    sending follow ``as_of``.
    """
    attempt = timezone.now()
    as_of = as_of or attempt
    started = claim_notifications(
        Notification.objects.filter(
            Q(claimed_at=claim.instant) | Q(lease_expires_at__lt=attempt) | Q(lease_expires_at__isnull=True),
            pk__in=claim.notification_ids,
            status=Status.SENDING,
        ).order_by("pk"),
        limit=len(claim.notification_ids),
        now=attempt,
        starting_attempt=True,
    )
    report = SendReport()
    for pk in set(claim.notification_ids) - set(started.notification_ids):
        report.outcomes[pk] = _NOT_CLAIMED
    if not started.notification_ids:
        return report
    notifications = (
        Notification.objects.filter(pk__in=started.notification_ids)
        .select_related(
            "meeting__series__mentor", "recipient_mentor", "recipient_scholar", "webhook_endpoint"
        )
        .prefetch_related("meeting__series__scholars")
        .order_by("due_at", "pk")
    )

    deadline = time.monotonic() + BATCH_DELIVERY_SECONDS
    batch = _Batch(attempt, started.notification_ids)
    tried: list[_Result] = []
    marked: set[int] = set()
    untried: list[int] = []

    def settle() -> None:
        """What was decided and not yet marked, the delivery log, and the rows given back, in one transaction."""
        with transaction.atomic():
            _mark([r for r in tried if r.notification.pk not in marked], attempt=attempt)
            _log(tried)
            if untried:
                report.requeue = _release(untried, attempt=attempt)

    try:
        for notification in notifications:
            # At least one row per batch, so a batch always makes progress.
            if tried and time.monotonic() > deadline:
                untried.append(notification.pk)
                continue
            result = _attempt(notification, batch=batch, as_of=as_of)
            if result is None:
                report.outcomes[notification.pk] = _NOT_CLAIMED
                continue
            tried.append(result)
            if result.status == Status.SENT:
                batch.mark_sent(result)
                marked.add(notification.pk)
    except BaseException:
        # The task's time limit, or the database gone: keep what was decided if we can, and let the cause
        # through. Rows not reached stay claimed by this attempt and come back with its lease.
        try:
            settle()
        except Exception:
            logger.exception("Could not record a batch interrupted at %s", attempt.isoformat())
        raise
    settle()
    for result in tried:
        report.outcomes[result.notification.pk] = SendOutcome(result.status, result.detail)
    return report


_NOT_CLAIMED = SendOutcome("not_claimed", "Sent, finished or claimed by another attempt already.")


def _attempt(notification: Notification, *, batch: _Batch, as_of: dt.datetime) -> _Result | None:
    """Judge, render and deliver one row; None if another attempt took it over meanwhile."""
    try:
        reason = _why_not_send(notification, at=as_of)
        if reason is not None:
            return _Result(notification, *reason)
        message = compose_message(notification, as_of=as_of)
    except NothingToSend as nothing:
        return _Result(notification, Status.SKIPPED, str(nothing))
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        # Our fault (a template, a bad row): no retry can fix it, and it must not hold up the rows after it.
        logger.exception("Could not compose notification %s (%s)", notification.pk, notification.dedupe_key)
        detail = f"Could not compose the message: {type(error).__name__}: {error}"
        # Logged, so the row's last outcome says it failed for good (a re-drive skips it).
        return _Result(
            notification, Status.FAILED, detail, log=(Outcome.PERMANENT_ERROR, "(not composed)", detail)
        )
    recipient = (notification.recipient_mentor_id, notification.recipient_scholar_id, message.address)
    if recipient in batch.switched_off:
        return _Result(
            notification, Status.SKIPPED, "Not sent: the recipient's Slack webhook was just switched off."
        )
    if message.channel == Channel.WEBHOOK:
        waiting = _webhook_gate(notification, now=timezone.now())
        if waiting is not None:
            return waiting
    address = loggable_address(message)
    if message.channel in batch.down:
        # Logged at the time of the verdict it follows, so the delivery log orders outages right.
        error, verdict_at = batch.down[message.channel]
        return _failed_attempt(
            notification, attempt=batch.attempt, error=error.put_off(), address=address, at=verdict_at
        )
    if not batch.hold_for_delivery(notification):
        if not batch.still_claimed(notification):
            return None
        if message.channel == Channel.WEBHOOK:
            return _Result(notification, Status.FAILED, webhooks.KEPT_BACK)
        return _Result(
            notification, Status.SUPERSEDED, "The meeting changed while the message was being sent."
        )
    try:
        deliver(message)
    except DeliveryError as error:
        failed = _failed_attempt(notification, attempt=batch.attempt, error=error, address=address)
        if message.channel == Channel.WEBHOOK:
            return _webhook_failed(notification, failed)
        if isinstance(error, ServerUnreachable):
            batch.down[message.channel] = (error, failed.at)
        if error.permanent and message.channel == Channel.SLACK:
            batch.switched_off.add(recipient)
            try:
                _retire_dead_webhook(
                    notification, webhook_url=message.address, error=error, now=batch.attempt
                )
            except SoftTimeLimitExceeded:
                raise
            except Exception:
                # The row's own outcome still counts; the webhook is retired by the next row that meets it.
                logger.exception("Could not switch off the dead webhook of notification %s", notification.pk)
        return failed
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        # Refused before anything reached the server (Django's mail backend rejects a malformed address with a
        # ValueError, say): no retry can fix it, and it must not hold up the rows after it.
        logger.exception("Could not deliver notification %s (%s)", notification.pk, notification.dedupe_key)
        detail = f"Could not deliver the message: {type(error).__name__}: {error}"
        return _Result(notification, Status.FAILED, detail, log=(Outcome.PERMANENT_ERROR, address, detail))
    if message.channel == Channel.WEBHOOK:
        webhooks.endpoint_delivered(notification.webhook_endpoint)
    return _Result(notification, Status.SENT, log=(Outcome.SENT, address, message.message_id))


def _webhook_failed(notification: Notification, failed: _Result) -> _Result:
    """A failed attempt at an endpoint pauses it and counts towards switching it off; the attempt that switches it
    off keeps this message back, with the others, until staff switch it on."""
    if not webhooks.endpoint_failed(notification.webhook_endpoint, detail=failed.detail, now=failed.at):
        return failed
    return replace(
        failed, status=Status.FAILED, retry_at=None, detail=f"{webhooks.KEPT_BACK} {failed.detail}"
    )


def _webhook_gate(notification: Notification, *, now: dt.datetime) -> _Result | None:
    """Whether a webhook message may go now, from the endpoint as it is now (not as the batch loaded it): kept back
    while it is switched off; put off, uncounted, while it is paused after a failure, or while an earlier message
    to it about the same thing is still to go (one failed for good no longer holds the others up)."""
    endpoint = (
        WebhookEndpoint.objects.filter(pk=notification.webhook_endpoint_id)
        .values_list("is_active", "paused_until")
        .first()
    )
    is_active, paused_until = endpoint or (False, None)
    if not is_active:
        return _Result(notification, Status.FAILED, webhooks.KEPT_BACK)
    if paused_until is not None and paused_until > now:
        return _Result(
            notification,
            Status.PENDING,
            f"Waiting: the endpoint failed just now and is tried again from {paused_until.isoformat()}.",
            retry_at=paused_until,
            uncounted=True,
        )
    earlier = (
        Notification.objects.filter(
            webhook_endpoint_id=notification.webhook_endpoint_id,
            status__in=[Status.PENDING, Status.SENDING],
            pk__lt=notification.pk,
            dedupe_key__startswith=webhooks.ordering_prefix(notification),
        )
        .order_by("pk")
        .values_list("pk", "retry_at")
        .first()
    )
    if earlier is None:
        return None
    earlier_pk, earlier_retry_at = earlier
    retry_at = max(now + dt.timedelta(seconds=settings.WEBHOOK_ORDER_WAIT_SECONDS), earlier_retry_at or now)
    return _Result(
        notification,
        Status.PENDING,
        f"Waiting for an earlier message about the same thing (notification {earlier_pk}) to go first.",
        retry_at=retry_at,
        uncounted=True,
    )


def _why_not_send(notification: Notification, *, at: dt.datetime) -> tuple[str, str] | None:
    """Superseded or skipped, with the reason, or None to send. ``at`` is when it counts as sent."""
    meeting = notification.meeting
    if notification.kind in MEETING_KINDS and (
        meeting.version != notification.meeting_version or not _meeting_still_wants(notification, meeting)
    ):
        return Status.SUPERSEDED, f"The meeting changed (now version {meeting.version}, {meeting.status})."
    if notification.kind == Kind.CLASH and open_clash_of(notification) is None:
        return Status.SKIPPED, "Not sent: the clash was resolved before the notice could be sent."
    if (notification.kind in MEETING_KINDS or notification.kind == Kind.CLASH) and meeting.starts_at <= at:
        return Status.SKIPPED, (
            f"Not sent: the meeting had started at {meeting.starts_at.isoformat()} "
            f"when the notification could be sent ({at.isoformat()})."
        )
    if notification.kind == Kind.FEEDBACK_REQUEST:
        person = notification.recipient_mentor or notification.recipient_scholar
        reason = why_not_rateable(meeting, person, now=at) or (
            "They rated it already." if feedback_given(meeting, person) else None
        )
        if reason:
            return Status.SKIPPED, f"Not sent: {reason}"
    scholar = notification.recipient_scholar
    if notification.kind == Kind.CHECKIN_PROMPT:
        week = dt.date.fromisoformat(notification.payload["week_start"])
        closed = check_in_closes_at(week, scholar.time_zone)
        if closed <= at:
            # Too late to answer: not worth sending, and so never counted as a missed check-in.
            return Status.SKIPPED, (
                f"Not sent: the week of {week.isoformat()} had ended at {closed.isoformat()} "
                f"when the prompt could be sent ({at.isoformat()})."
            )
    if scholar is not None and not scholar.is_active:
        return Status.SKIPPED, f"Not sent: the scholar is {scholar.get_status_display().lower()}."
    if not recipient_address(notification):
        return Status.SKIPPED, f"Not sent: the recipient has no {notification.get_channel_display()} address."
    return None


def _meeting_still_wants(notification: Notification, meeting: Meeting) -> bool:
    return meeting.status in _wanted_meeting_statuses(notification.kind)


def _wanted_meeting_statuses(kind: str) -> tuple[str, ...]:
    """The meeting statuses in which a message of ``kind`` about it is still worth sending."""
    return (Meeting.Status.CANCELLED,) if kind == Kind.CANCELLATION else LIVE_MEETING_STATUSES


def _failed_attempt(
    notification: Notification,
    *,
    attempt: dt.datetime,
    error: DeliveryError,
    address: str,
    at: dt.datetime | None = None,
) -> _Result:
    """A permanent error fails the row. A transient one puts it back to pending, its retry due after an
    exponential backoff (base, 2 × base, 4 × base … up to NOTIFICATION_RETRY_MAX_SECONDS) drawn at random between
    half of it and all of it, so rows failing together (a mail server down) do not all come back in the same tick.
    It is retried while it is worth sending: the next attempt skips it once its meeting has started or its check-in
    week has ended. Only a row whose retry would fall more than NOTIFICATION_RETRY_FOR_SECONDS after it fell due
    fails for good. ``at``: when it was decided, if not now."""
    at = at or timezone.now()
    detail = str(error)
    if error.permanent:
        logger.error("Notification %s failed for good: %s", notification.pk, detail)
        return _Result(
            notification, Status.FAILED, detail, log=(Outcome.PERMANENT_ERROR, address, detail), at=at
        )
    backoff = min(
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** min(notification.attempts - 1, 32),
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
    )
    retry_at = attempt + dt.timedelta(seconds=random.uniform(backoff / 2, backoff))
    log = (
        Outcome.UNREACHABLE if isinstance(error, ServerUnreachable) else Outcome.TRANSIENT_ERROR,
        address,
        detail,
    )
    give_up_at = notification.due_at + dt.timedelta(seconds=settings.NOTIFICATION_RETRY_FOR_SECONDS)
    # A webhook message is never given up for its age: its endpoint is switched off after repeated failures instead,
    # and what that keeps back goes when it is switched on, however long after.
    if retry_at > give_up_at and notification.channel != Channel.WEBHOOK:
        detail = f"Gave up at attempt {notification.attempts}: {detail}"
        logger.error("Notification %s failed for good: %s", notification.pk, detail)
        return _Result(notification, Status.FAILED, detail, log=log, at=at)
    logger.warning("Notification %s: %s; retrying at %s", notification.pk, detail, retry_at.isoformat())
    return _Result(notification, Status.PENDING, detail, log=log, retry_at=retry_at, at=at)


@transaction.atomic
def _retire_dead_webhook(
    notification: Notification, *, webhook_url: str, error: DeliveryError, now: dt.datetime
) -> None:
    """Slack refused a webhook for good (or the outbound policy did): every later message would fail the same way.

    1. Clear the person's webhook, recording when and why, only while it is still the URL that failed: a person
       who saved a new one meanwhile keeps it, and of several sends failing at once exactly one gets this far.
       (Slack is only ever an extra: everyone with an address gets each reminder by email too.)
    2. The send that disabled the webhook tells staff (once per dead webhook) and rewrites the person's upcoming
       notifications, which supersedes their pending Slack rows.
    """
    person = recipient_of(notification)
    webhook = loggable_webhook(webhook_url)
    disabled = (
        type(person)
        .objects.filter(pk=person.pk, slack_webhook_url=webhook_url)
        .update(
            slack_webhook_url="",
            slack_webhook_disabled_at=now,
            slack_webhook_disabled_reason=str(error)[:500],
            updated_at=now,
        )
    )
    if disabled == 1:
        logger.warning("Disabled the Slack webhook %s of %s: %s", webhook, person, error)
        escalate_dead_webhook(
            person=person, webhook_url=webhook_url, webhook=webhook, detail=str(error), as_of=now
        )
        person_notifications_resync(person=person, now=now)


def _mark(results: list[_Result], *, attempt: dt.datetime) -> None:
    """Write outcomes: one UPDATE per status, each row's only while our attempt still holds its claim."""
    now = timezone.now()
    groups: dict[tuple[str, bool], list[_Result]] = defaultdict(list)
    for result in results:
        groups[result.status, result.uncounted].append(result)
    for (status, uncounted), group in groups.items():
        fields = _recorded(
            status,
            now=now,
            last_error=_each(group, "detail", CharField()),
            retry_at=_each(group, "retry_at", DateTimeField()) if status == Status.PENDING else None,
            uncounted=uncounted,
        )
        rows = Notification.objects.filter(
            pk__in=[result.notification.pk for result in group], status=Status.SENDING
        )
        # The mail went out: say so even if our lease ran out meanwhile, so whoever took the row over and has not
        # started finds nothing to send. Any other outcome stands only under our claim.
        updated = (rows if status == Status.SENT else rows.filter(claimed_at=attempt)).update(**fields)
        _report_lost_claims(updated, of=len(group), attempt=attempt, status=status)


def _recorded(
    status: str, *, now: object, last_error: object, retry_at: object = None, uncounted: bool = False
) -> dict[str, object]:
    """The changes that record ``status`` on a row (the values may be expressions); ``retry_at`` counts for a row
    put back to pending, ``uncounted`` takes back the attempt its claim counted."""
    fields: dict[str, object] = {
        "status": status,
        "last_error": last_error,
        "lease_expires_at": None,
        "attempting": False,
        "updated_at": now,
    }
    if uncounted:
        fields["attempts"] = F("attempts") - 1
    if status == Status.SENT:
        fields["sent_at"] = now
    if status == Status.PENDING:
        fields["retry_at"] = retry_at
    return fields


def _report_lost_claims(updated: int, *, of: int, attempt: dt.datetime, status: str) -> None:
    if updated != of:
        # Their lease ran out mid-batch and another attempt took over: it may send second copies.
        logger.error(
            "%d of %d notifications attempted at %s lost their claim before recording %s",
            of - updated,
            of,
            attempt.isoformat(),
            status,
        )


def _log(results: list[_Result]) -> None:
    """The delivery log entries of ``results``, in one INSERT; none for a row deleted meanwhile (its webhook
    endpoint removed while the batch ran)."""
    logged = [result for result in results if result.log is not None]
    if not logged:
        return
    still_there = {r.notification.pk for r in logged}
    if any(r.notification.channel == Channel.WEBHOOK for r in logged):
        still_there = set(Notification.objects.filter(pk__in=still_there).values_list("pk", flat=True))
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            notification=result.notification,
            attempted_at=result.at,
            channel=result.notification.channel,
            recipient=address,
            outcome=outcome,
            detail=detail,
        )
        for result in logged
        if result.notification.pk in still_there
        for outcome, address, detail in [result.log]
    )


def _each(group: list[_Result], attribute: str, output_field: Field) -> Value | Case:
    """``attribute`` of each result as one SQL expression: a constant when all agree, else a CASE on the pk."""
    values = {getattr(result, attribute) for result in group}
    if len(values) == 1:
        return Value(values.pop(), output_field=output_field)
    return Case(
        *(When(pk=result.notification.pk, then=Value(getattr(result, attribute))) for result in group),
        output_field=output_field,
    )


def _release(ids: list[int], *, attempt: dt.datetime) -> Claim:
    """Rows a batch had no time left for: a new claim and lease for an immediate retry, the attempt not
    counted."""
    now = timezone.now()
    Notification.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=attempt).update(
        claimed_at=now,
        lease_expires_at=now + lease_length(),
        attempting=False,
        attempts=F("attempts") - 1,
        updated_at=now,
    )
    return Claim(now.isoformat(), tuple(ids))

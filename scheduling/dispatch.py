"""Sending what is due: claim rows, send each once, in batches, and record the outcomes.

The database row is the truth; Celery only carries "send rows N, M … under claim T" messages. States:
pending → sending → sent | failed | superseded | skipped. A row in ``sending`` carries in ``claimed_at`` the
claim that owns it: the instant the tick (or the sweeper, or a retry) claimed it, and then the instant its send
attempt started. A task may only act under the claim it was given, or take over a claim whose lease
(``NOTIFICATION_SENDING_TIMEOUT_SECONDS``) ran out, so two copies of one task never both send.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.utils import timezone

from scheduling.channels import DeliveryError, deliver, loggable_address, loggable_webhook
from scheduling.models import DeliveryAttempt, Meeting, Notification
from scheduling.notifications.messages import NothingToSend, compose_message, recipient_address, recipient_of
from scheduling.notifications.oversight import check_in_closes_at, escalate_dead_webhook
from scheduling.notifications.reminders import person_notifications_resync
from scheduling.notifications.rows import LIVE_MEETING_STATUSES, MEETING_KINDS

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = Notification.Channel
Status = Notification.Status
Outcome = DeliveryAttempt.Outcome

CLAIM_BATCH_SIZE = 500
# One tick claims at most this many rows; the next tick, a minute later, takes the rest.
MAX_CLAIMS_PER_TICK = 20_000
MAX_BACKOFF = dt.timedelta(hours=1)
# A send batch starts no delivery after this long (nor after half its lease, if that is sooner), so one slow
# delivery (connect, TLS and each reply have EMAIL_TIMEOUT) still ends inside the send task's soft time limit
# (60 s) and long before the lease runs out.
BATCH_DELIVERY_SECONDS = 30


def sending_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Claim:
    """The right to send some rows: their ids and the ``claimed_at`` the claimer wrote on each (ISO 8601)."""

    token: str
    notification_ids: tuple[int, ...]

    @property
    def instant(self) -> dt.datetime:
        """The ``claimed_at`` the claimer wrote: a retry's is the instant it is due."""
        return dt.datetime.fromisoformat(self.token)

    def batches(self, size: int) -> list[Claim]:
        ids = self.notification_ids
        return [Claim(self.token, ids[i : i + size]) for i in range(0, len(ids), size)]


@dataclass
class DispatchReport:
    """One tick: rows claimed (due) and reclaimed (stuck), rows enqueued, and the claims, one per send batch."""

    claimed: int = 0
    reclaimed: int = 0
    enqueued: int = 0
    enqueue_failed: bool = False
    claims: list[Claim] = field(default_factory=list)


@dataclass(frozen=True)
class SendOutcome:
    status: str
    detail: str = ""


@dataclass(frozen=True)
class Retry:
    """Send ``claim`` again in ``seconds`` (the backoff; ``claim``'s token is the attempt's start plus it): rows a
    transient failure, or a batch out of time, left ``sending``."""

    claim: Claim
    seconds: float


@dataclass
class SendReport:
    """What a batch did to each row it tried or found claimed by another; rows it had no time left for are only
    in ``retries``."""

    outcomes: dict[int, SendOutcome] = field(default_factory=dict)
    retries: list[Retry] = field(default_factory=list)


# --- Claiming -------------------------------------------------------------------------------------------------


def due_notifications(*, as_of: dt.datetime) -> QuerySet[Notification]:
    # Served by notification_due_idx (status, due_at).
    return Notification.objects.filter(status=Status.PENDING, due_at__lte=as_of).order_by("due_at", "pk")


def stuck_notifications(*, now: dt.datetime) -> QuerySet[Notification]:
    """Rows claimed so long ago that their enqueue was lost or their worker died mid-send."""
    return Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - sending_timeout()
    ).order_by("claimed_at", "pk")


def claim_notifications(
    candidates: QuerySet[Notification], *, limit: int, now: dt.datetime, starting_attempt: bool = False
) -> Claim:
    """Claim up to ``limit`` of ``candidates`` under the token ``now``, safely against any number of concurrent
    claimers.

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` hands each claimer rows no other claimer holds. Starting an
    attempt (``starting_attempt``: the rows are named by a claim, and the attempt is counted) waits for a row
    another transaction holds instead of skipping it, then finds it still under that claim, or not.
    SQLite (no row locks): each row is claimed by an UPDATE conditional on the state just read, which changes
    exactly one row for the one claimer that wins it and none for the others.
    """
    changes = {"status": Status.SENDING, "claimed_at": now, "updated_at": now}
    if starting_attempt:
        changes["attempts"] = F("attempts") + 1
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            locked = candidates.select_for_update(skip_locked=not starting_attempt)
            ids = list(locked.values_list("pk", flat=True)[:limit])
            Notification.objects.filter(pk__in=ids).update(**changes)
        else:
            ids = []
            for pk, status, claimed_at in candidates.values_list("pk", "status", "claimed_at")[:limit]:
                won = Notification.objects.filter(pk=pk, status=status, claimed_at=claimed_at).update(
                    **changes
                )
                if won == 1:
                    ids.append(pk)
    return Claim(now.isoformat(), tuple(ids))


def dispatch_due_notifications(
    *,
    as_of: dt.datetime,
    enqueue: Callable[[Claim], object] | None,
    batch_size: int = CLAIM_BATCH_SIZE,
    max_claims: int = MAX_CLAIMS_PER_TICK,
    send_batch_size: int | None = None,
) -> DispatchReport:
    """One beat tick.

    1. Sweep: re-claim rows stuck in ``sending`` past the timeout (a lost enqueue, a killed worker).
    2. Claim pending rows due by ``as_of``, oldest first, ``batch_size`` per transaction.
    3. Once each transaction has committed (so the worker finds the rows claimed), enqueue its claim in send
       batches of ``send_batch_size`` rows (``NOTIFICATION_SEND_BATCH_SIZE``), one task each. With ``enqueue``
       None the caller sends ``report.claims`` itself, in this process.
    A failed enqueue (the broker is down) stops the tick: its rows stay claimed and step 1 of a later tick
    re-enqueues them when the broker is back.
    """
    report = DispatchReport()
    send_batch_size = send_batch_size or settings.NOTIFICATION_SEND_BATCH_SIZE

    def enqueue_after_commit(claim: Claim) -> None:
        batches = claim.batches(send_batch_size)
        report.claims.extend(batches)
        if enqueue is None:
            return

        def run() -> None:
            for batch in batches:
                try:
                    enqueue(batch)
                except Exception:
                    logger.exception(
                        "Could not enqueue %d notifications; the sweeper retries them after %s",
                        len(batch.notification_ids),
                        sending_timeout(),
                    )
                    report.enqueue_failed = True
                    return
                report.enqueued += len(batch.notification_ids)

        transaction.on_commit(run)

    now = timezone.now()
    while not report.enqueue_failed and report.reclaimed < max_claims:
        claim = claim_notifications(stuck_notifications(now=now), limit=batch_size, now=timezone.now())
        if claim.notification_ids:
            logger.warning("Re-enqueueing %d notifications stuck in sending", len(claim.notification_ids))
        report.reclaimed += len(claim.notification_ids)
        enqueue_after_commit(claim)
        if len(claim.notification_ids) < batch_size:
            break
    while not report.enqueue_failed and report.claimed < max_claims:
        claim = claim_notifications(due_notifications(as_of=as_of), limit=batch_size, now=timezone.now())
        report.claimed += len(claim.notification_ids)
        enqueue_after_commit(claim)
        if len(claim.notification_ids) < batch_size:
            break
    return report


# --- Sending a batch ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    """What one attempt did, to be recorded with its batch; ``retry_at`` is the claim of a retry."""

    notification: Notification
    status: str
    detail: str = ""
    log: tuple[str, str, str] | None = None
    retry_at: dt.datetime | None = None


def send_claimed_notifications(claim: Claim, *, as_of: dt.datetime | None = None) -> SendReport:
    """Send the rows of one claim, each once, judged as sent at ``as_of``: now, or the instant
    ``send_due_notifications --as-of`` fast-forwards to.

    1. Start the attempt: claim again, under a fresh token no queued copy of this task holds, the rows still
       ``sending`` under ``claim`` (or under a claim whose lease ran out). Any other copy of the task (a
       redelivery, a sweeper's re-enqueue) finds nothing to start; so does a task for rows already settled.
    2. Load the started rows with everything their messages show, in two queries for the whole batch.
    3. For each row: supersede it if its meeting changed since it was written; skip it (reason recorded) if, as of
       ``as_of``, its meeting has started or its check-in week has ended, or its recipient left; otherwise render
       it as of ``as_of`` and deliver it, through the process's kept SMTP connection.
    4. Mark a delivered row sent at once, in one UPDATE (even if its lease ran out meanwhile: the mail went out).
       Record every other outcome, conditional on the attempt's claim, and the delivery log of the whole batch in
       one INSERT, together at the end in one transaction.
       On a transient error a row keeps a new claim for its retry, until NOTIFICATION_MAX_ATTEMPTS; then it
       fails. Rows the batch had no time left for go back for an immediate retry, their attempt uncounted.

    Where a mail can go out twice (always with the same Message-ID, derived from the dedupe key, so a receiver that
    drops repeated Message-IDs shows it once): the process dies after the mail server took a message and before
    its row is marked sent (one reply and one UPDATE apart), and the row is sent again once its lease runs out, at
    most one mail per pool process; or the server's reply to the message is lost (a timeout, a dropped connection)
    after it took the message, which reads as a transient failure and is retried. No protocol closes those windows
    without a transaction spanning our database and the mail server. A process that dies mid-batch also loses the
    delivery-log entries of the rows it had sent; the rows still say sent, when, and after how many attempts.

    Claims and leases always run on the real clock; only what a row says and whether it is still worth sending
    follow ``as_of``.
    """
    attempt = timezone.now()
    as_of = as_of or attempt
    started = claim_notifications(
        Notification.objects.filter(
            Q(claimed_at=claim.instant) | Q(claimed_at__lt=attempt - sending_timeout()),
            pk__in=claim.notification_ids,
            status=Status.SENDING,
        ).order_by("pk"),
        limit=len(claim.notification_ids),
        now=attempt,
        starting_attempt=True,
    )
    report = SendReport()
    for pk in set(claim.notification_ids) - set(started.notification_ids):
        report.outcomes[pk] = SendOutcome(
            "not_claimed", "Sent, finished or claimed by another attempt already."
        )
    if not started.notification_ids:
        return report
    notifications = (
        Notification.objects.filter(pk__in=started.notification_ids)
        .select_related("meeting__series__mentor", "recipient_mentor", "recipient_scholar")
        .prefetch_related("meeting__series__scholars")
        .order_by("due_at", "pk")
    )

    deadline = time.monotonic() + min(BATCH_DELIVERY_SECONDS, sending_timeout().total_seconds() / 2)
    tried: list[_Result] = []
    marked: set[int] = set()
    untried: list[int] = []
    switched_off: set[tuple[int | None, int | None, str]] = set()

    def settle() -> None:
        """What was decided and not yet marked, the delivery log, and the rows given back, in one transaction."""
        with transaction.atomic():
            _mark([r for r in tried if r.notification.pk not in marked], attempt=attempt)
            _log(tried)
            if untried:
                report.retries.append(_release(untried, attempt=attempt))

    try:
        for notification in notifications:
            # At least one row per batch, so a batch always makes progress.
            if tried and time.monotonic() > deadline:
                untried.append(notification.pk)
                continue
            result = _attempt(notification, attempt=attempt, as_of=as_of, switched_off=switched_off)
            tried.append(result)
            if result.status == Status.SENT:
                # At once, in one statement: a crash from here on repeats no mail.
                _mark([result], attempt=attempt)
                marked.add(notification.pk)
    except BaseException:
        # The task's time limit, or the database gone: keep what was decided if we can, and let the cause
        # through. Rows not reached stay claimed by this attempt and come back with its lease, as do the retries
        # this report would have queued.
        try:
            settle()
        except Exception:
            logger.exception("Could not record a batch interrupted at %s", attempt.isoformat())
        raise
    settle()
    retry_ids: dict[dt.datetime, list[int]] = defaultdict(list)
    for result in tried:
        report.outcomes[result.notification.pk] = SendOutcome(result.status, result.detail)
        if result.retry_at is not None:
            retry_ids[result.retry_at].append(result.notification.pk)
    report.retries.extend(
        Retry(Claim(at.isoformat(), tuple(ids)), (at - attempt).total_seconds())
        for at, ids in retry_ids.items()
    )
    return report


def _attempt(
    notification: Notification,
    *,
    attempt: dt.datetime,
    as_of: dt.datetime,
    switched_off: set[tuple[int | None, int | None, str]],
) -> _Result:
    """Judge, render and deliver one row. ``switched_off`` holds the (recipient, webhook) pairs this batch
    retired: the loaded rows still show the old URL."""
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
        return _Result(
            notification, Status.FAILED, f"Could not compose the message: {type(error).__name__}: {error}"
        )
    recipient = (notification.recipient_mentor_id, notification.recipient_scholar_id, message.address)
    if recipient in switched_off:
        return _Result(
            notification, Status.SKIPPED, "Not sent: the recipient's Slack webhook was just switched off."
        )
    address = loggable_address(message)
    try:
        deliver(message)
    except DeliveryError as error:
        if error.permanent and message.channel == Channel.SLACK:
            switched_off.add(recipient)
            try:
                _retire_dead_webhook(notification, webhook_url=message.address, error=error, now=attempt)
            except SoftTimeLimitExceeded:
                raise
            except Exception:
                # The row's own outcome still counts; the webhook is retired by the next row that meets it.
                logger.exception("Could not switch off the dead webhook of notification %s", notification.pk)
        return _failed_attempt(notification, attempt=attempt, error=error, address=address)
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        # Refused before anything reached the server (Django's mail backend rejects a malformed address with a
        # ValueError, say): no retry can fix it, and it must not hold up the rows after it.
        logger.exception("Could not deliver notification %s (%s)", notification.pk, notification.dedupe_key)
        detail = f"Could not deliver the message: {type(error).__name__}: {error}"
        return _Result(notification, Status.FAILED, detail, log=(Outcome.PERMANENT_ERROR, address, detail))
    return _Result(notification, Status.SENT, log=(Outcome.SENT, address, message.message_id))


def _why_not_send(notification: Notification, *, at: dt.datetime) -> tuple[str, str] | None:
    """Superseded or skipped, with the reason, or None to send. ``at`` is when it counts as sent."""
    meeting = notification.meeting
    if notification.kind in MEETING_KINDS:
        if meeting.version != notification.meeting_version or not _meeting_still_wants(notification, meeting):
            return (
                Status.SUPERSEDED,
                f"The meeting changed (now version {meeting.version}, {meeting.status}).",
            )
        if meeting.starts_at <= at:
            return Status.SKIPPED, (
                f"Not sent: the meeting had started at {meeting.starts_at.isoformat()} "
                f"when the notification could be sent ({at.isoformat()})."
            )
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
    if notification.kind == Kind.CANCELLATION:
        return meeting.status == Meeting.Status.CANCELLED
    return meeting.status in LIVE_MEETING_STATUSES


def _failed_attempt(
    notification: Notification, *, attempt: dt.datetime, error: DeliveryError, address: str
) -> _Result:
    detail = str(error)
    if error.permanent or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        outcome = Outcome.PERMANENT_ERROR if error.permanent else Outcome.TRANSIENT_ERROR
        logger.error("Notification %s failed for good: %s", notification.pk, detail)
        return _Result(notification, Status.FAILED, detail, log=(outcome, address, detail))
    # Exponential backoff: base, 2 × base, 4 × base … capped; the new claim is the instant the retry is due, so
    # the sweeper takes over only if the retry is lost for longer than the timeout.
    backoff = min(
        dt.timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (notification.attempts - 1)),
        MAX_BACKOFF,
    )
    logger.warning("Notification %s: %s; retrying in %s", notification.pk, detail, backoff)
    return _Result(
        notification,
        Status.SENDING,
        detail,
        log=(Outcome.TRANSIENT_ERROR, address, detail),
        retry_at=attempt + backoff,
    )


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
    """Write outcomes: one UPDATE per (status, retry claim), each row's only while our attempt still holds its
    claim."""
    now = timezone.now()
    groups: dict[tuple[str, dt.datetime | None], list[_Result]] = defaultdict(list)
    for result in results:
        groups[result.status, result.retry_at].append(result)
    for (status, retry_at), group in groups.items():
        fields = {"status": status, "last_error": _each_detail(group), "updated_at": now}
        if status == Status.SENT:
            fields["sent_at"] = now
        if retry_at is not None:
            fields["claimed_at"] = retry_at
        rows = Notification.objects.filter(
            pk__in=[result.notification.pk for result in group], status=Status.SENDING
        )
        # The mail went out: say so even if our lease ran out meanwhile, so whoever took the row over and has not
        # started finds nothing to send. Any other outcome stands only under our claim.
        updated = (rows if status == Status.SENT else rows.filter(claimed_at=attempt)).update(**fields)
        if updated != len(group):
            # Their lease ran out mid-batch and another attempt took over: it may send second copies.
            logger.error(
                "%d of %d notifications attempted at %s lost their claim before recording %s",
                len(group) - updated,
                len(group),
                attempt.isoformat(),
                status,
            )


def _log(results: list[_Result]) -> None:
    """The delivery log entries of ``results``, in one INSERT."""
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            notification=result.notification,
            channel=result.notification.channel,
            recipient=address,
            outcome=outcome,
            detail=detail,
        )
        for result in results
        if result.log is not None
        for outcome, address, detail in [result.log]
    )


def _each_detail(group: list[_Result]) -> Value | Case:
    details = {result.detail for result in group}
    if len(details) == 1:
        return Value(details.pop())
    return Case(
        *(When(pk=result.notification.pk, then=Value(result.detail)) for result in group),
        output_field=CharField(),
    )


def _release(ids: list[int], *, attempt: dt.datetime) -> Retry:
    """Rows a batch had no time left for: a new claim for an immediate retry, the attempt not counted."""
    now = timezone.now()
    Notification.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=attempt).update(
        claimed_at=now, attempts=F("attempts") - 1, updated_at=now
    )
    return Retry(Claim(now.isoformat(), tuple(ids)), 0)

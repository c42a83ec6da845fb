"""Sending what is due: claim rows, send each once, record the outcome.

The database row is the truth; Celery only carries "send row N under claim T" messages. States:
pending → sending → sent | failed | superseded | skipped. A row in ``sending`` carries in ``claimed_at`` the
claim that owns it: the instant the tick (or the sweeper, or a retry) claimed it, and then the instant its send
attempt started. A task may only act under the claim it was given, or take over a claim whose lease
(``NOTIFICATION_SENDING_TIMEOUT_SECONDS``) ran out, so two copies of one task never both send.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
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


def sending_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Claim:
    """The right to send one row: its id and the ``claimed_at`` the claimer wrote (ISO 8601)."""

    notification_id: int
    token: str


@dataclass
class DispatchReport:
    claimed: int = 0
    reclaimed: int = 0
    enqueued: int = 0
    enqueue_failed: bool = False
    claims: list[Claim] = field(default_factory=list)


@dataclass(frozen=True)
class SendOutcome:
    """What one send did. ``retry_in``/``retry_token``: send again after that many seconds under that claim."""

    status: str
    detail: str = ""
    retry_in: float | None = None
    retry_token: str | None = None


# --- Claiming -------------------------------------------------------------------------------------------------


def due_notifications(*, as_of: dt.datetime) -> QuerySet[Notification]:
    # Served by notification_due_idx (status, due_at).
    return Notification.objects.filter(status=Status.PENDING, due_at__lte=as_of).order_by("due_at", "pk")


def stuck_notifications(*, now: dt.datetime) -> QuerySet[Notification]:
    """Rows claimed so long ago that their enqueue was lost or their worker died mid-send."""
    return Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - sending_timeout()
    ).order_by("claimed_at", "pk")


def claim_notifications(candidates: QuerySet[Notification], *, limit: int, now: dt.datetime) -> list[Claim]:
    """Claim up to ``limit`` of ``candidates`` for sending, safely against any number of concurrent claimers.

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` hands each claimer rows no other claimer holds.
    SQLite (no row locks): each row is claimed by an UPDATE conditional on the state just read, which changes
    exactly one row for the one claimer that wins it and none for the others.
    """
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            Notification.objects.filter(pk__in=ids).update(
                status=Status.SENDING, claimed_at=now, updated_at=now
            )
        else:
            ids = []
            for pk, status, claimed_at in candidates.values_list("pk", "status", "claimed_at")[:limit]:
                won = Notification.objects.filter(pk=pk, status=status, claimed_at=claimed_at).update(
                    status=Status.SENDING, claimed_at=now, updated_at=now
                )
                if won == 1:
                    ids.append(pk)
    return [Claim(pk, now.isoformat()) for pk in ids]


def dispatch_due_notifications(
    *,
    as_of: dt.datetime,
    enqueue: Callable[[Claim], object] | None,
    batch_size: int = CLAIM_BATCH_SIZE,
    max_claims: int = MAX_CLAIMS_PER_TICK,
) -> DispatchReport:
    """One beat tick.

    1. Sweep: re-claim rows stuck in ``sending`` past the timeout (a lost enqueue, a killed worker).
    2. Claim pending rows due by ``as_of``, oldest first, one batch per transaction.
    3. Enqueue each claim once its batch has committed, so the worker finds the row claimed. With ``enqueue``
       None the caller sends ``report.claims`` itself, in this process.
    A failed enqueue (the broker is down) stops the tick: its rows stay claimed and step 1 of a later tick
    re-enqueues them when the broker is back.
    """
    report = DispatchReport()

    def enqueue_after_commit(claims: list[Claim]) -> None:
        if enqueue is None:
            return

        def run() -> None:
            for claim in claims:
                try:
                    enqueue(claim)
                except Exception:
                    logger.exception(
                        "Could not enqueue notification %s; the sweeper retries it after %s",
                        claim.notification_id,
                        sending_timeout(),
                    )
                    report.enqueue_failed = True
                    return
                report.enqueued += 1

        transaction.on_commit(run)

    now = timezone.now()
    while not report.enqueue_failed and report.reclaimed < max_claims:
        claims = claim_notifications(stuck_notifications(now=now), limit=batch_size, now=timezone.now())
        if claims:
            logger.warning("Re-enqueueing %d notifications stuck in sending", len(claims))
        report.reclaimed += len(claims)
        report.claims.extend(claims)
        enqueue_after_commit(claims)
        if len(claims) < batch_size:
            break
    while not report.enqueue_failed and report.claimed < max_claims:
        claims = claim_notifications(due_notifications(as_of=as_of), limit=batch_size, now=timezone.now())
        report.claimed += len(claims)
        report.claims.extend(claims)
        enqueue_after_commit(claims)
        if len(claims) < batch_size:
            break
    return report


# --- Sending one ----------------------------------------------------------------------------------------------


def send_claimed_notification(
    *, notification_id: int, token: str, as_of: dt.datetime | None = None
) -> SendOutcome:
    """Send one claimed row, once, judged as sent at ``as_of``: now, or the instant
    ``send_due_notifications --as-of`` fast-forwards to.

    1. Start the attempt: an UPDATE that changes the row only while it is ``sending`` under our claim (or under a
       claim whose lease ran out), writing a fresh ``claimed_at`` that no queued copy of this task holds. Any other
       copy of the task (a redelivery, a sweeper's re-enqueue) changes nothing and stops; so does a task for a row
       already sent, superseded, skipped or failed.
    2. Supersede the row if its meeting changed since it was written; skip it (reason recorded) if, as of
       ``as_of``, its meeting has started or its check-in week has ended, or its recipient left.
    3. Render it as of ``as_of`` (a reminder says the time really left) and deliver it through the channel.
    4. Mark it sent, still conditional on our attempt's claim, and log the DeliveryAttempt, in one transaction.
    On a transient error the row keeps a new claim for the retry, until NOTIFICATION_MAX_ATTEMPTS; then it fails.

    The residual at-least-once window: if the process dies after 3 delivered and before 4 commits (one SMTP reply
    and one UPDATE apart), the row stays ``sending`` and is sent again once its lease runs out. That second copy
    has the same Message-ID (derived from the dedupe key), so a receiver that drops repeated Message-IDs shows
    it once. No protocol closes that window without a transaction spanning our database and the mail server.

    Claims and leases always run on the real clock; only what the row says and whether it is still worth sending
    follow ``as_of``.
    """
    now = timezone.now()
    as_of = as_of or now
    claim = dt.datetime.fromisoformat(token)
    started = Notification.objects.filter(
        Q(claimed_at=claim) | Q(claimed_at__lt=now - sending_timeout()),
        pk=notification_id,
        status=Status.SENDING,
    ).update(claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    if started != 1:
        return SendOutcome("not_claimed", "Sent, finished or claimed by another attempt already.")
    notification = (
        Notification.objects.select_related(
            "meeting__series__mentor", "recipient_mentor", "recipient_scholar"
        )
        .prefetch_related("meeting__series__scholars")
        .get(pk=notification_id)
    )

    reason = _why_not_send(notification, at=as_of)
    if reason is not None:
        status, detail = reason
        _finish(notification, attempt=now, status=status, detail=detail)
        return SendOutcome(status, detail)

    try:
        message = compose_message(notification, as_of=as_of)
    except NothingToSend as nothing:
        _finish(notification, attempt=now, status=Status.SKIPPED, detail=str(nothing))
        return SendOutcome(Status.SKIPPED, str(nothing))
    except Exception as error:
        # Our fault (a template, a bad row): no retry can fix it, so fail loudly with the context.
        logger.exception("Could not compose notification %s (%s)", notification.pk, notification.dedupe_key)
        detail = f"Could not compose the message: {type(error).__name__}: {error}"
        _finish(notification, attempt=now, status=Status.FAILED, detail=detail)
        return SendOutcome(Status.FAILED, detail)

    try:
        deliver(message)
    except DeliveryError as error:
        with transaction.atomic():
            if error.permanent and message.channel == Channel.SLACK:
                _retire_dead_webhook(notification, webhook_url=message.address, error=error, now=now)
            return _failed_attempt(notification, attempt=now, error=error, address=loggable_address(message))
    _finish(
        notification,
        attempt=now,
        status=Status.SENT,
        detail="",
        log=(Outcome.SENT, loggable_address(message), message.message_id),
    )
    return SendOutcome(Status.SENT)


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
) -> SendOutcome:
    detail = str(error)
    if error.permanent or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        outcome = Outcome.PERMANENT_ERROR if error.permanent else Outcome.TRANSIENT_ERROR
        _finish(
            notification, attempt=attempt, status=Status.FAILED, detail=detail, log=(outcome, address, detail)
        )
        logger.error("Notification %s failed for good: %s", notification.pk, detail)
        return SendOutcome(Status.FAILED, detail)
    # Exponential backoff: base, 2 × base, 4 × base … capped; the new claim is the instant the retry is due, so
    # the sweeper takes over only if the retry is lost for longer than the timeout.
    backoff = min(
        dt.timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (notification.attempts - 1)),
        MAX_BACKOFF,
    )
    retry_claim = attempt + backoff
    _finish(
        notification,
        attempt=attempt,
        status=Status.SENDING,
        detail=detail,
        log=(Outcome.TRANSIENT_ERROR, address, detail),
        claimed_at=retry_claim,
    )
    logger.warning("Notification %s: %s; retrying in %s", notification.pk, detail, backoff)
    return SendOutcome(
        Status.SENDING, detail, retry_in=backoff.total_seconds(), retry_token=retry_claim.isoformat()
    )


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


def _finish(
    notification: Notification,
    *,
    attempt: dt.datetime,
    status: str,
    detail: str,
    log: tuple[str, str, str] | None = None,
    claimed_at: dt.datetime | None = None,
) -> None:
    """Record the outcome, only if our attempt still holds the claim, together with its delivery log entry."""
    now = timezone.now()
    fields = {"status": status, "last_error": detail, "updated_at": now}
    if status == Status.SENT:
        fields["sent_at"] = now
    if claimed_at is not None:
        fields["claimed_at"] = claimed_at
    with transaction.atomic():
        updated = Notification.objects.filter(
            pk=notification.pk, status=Status.SENDING, claimed_at=attempt
        ).update(**fields)
        if updated != 1:
            # Our lease ran out mid-send and another attempt took over: it may send a second copy.
            logger.error(
                "Notification %s: attempt of %s lost its claim before recording %s",
                notification.pk,
                attempt.isoformat(),
                status,
            )
        if log is not None:
            outcome, address, log_detail = log
            DeliveryAttempt.objects.create(
                notification=notification,
                channel=notification.channel,
                recipient=address,
                outcome=outcome,
                detail=log_detail,
            )

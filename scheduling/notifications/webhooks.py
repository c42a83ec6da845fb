"""Integrations' webhook messages: one outbox row per event and endpoint that picked it, written with the change.

An event is written in the transaction of the write it tells of, so no change lands untold and none is told that
did not land; ``scheduling.dispatch`` sends the rows like any other notification, with its claims, leases, retries
and delivery log, and signs each attempt (``webhook_signatures``). Its dedupe key names the endpoint, what the
event is about and the event, e.g. ``webhook:endpoint=3:meeting=12:v=2``, so an event is written once per endpoint
however many times its writer runs; the part up to the event (``webhook:endpoint=3:meeting=12:``) is what
messages are kept in order by: one waits until every earlier one about the same thing has gone or failed for good.

An endpoint hears of changes made after it was registered, never of a backlog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cohort.models import Cohort
from cohort.services import RowChange, audit_write
from scheduling.models import HealthFinding, Meeting, Notification, WebhookEndpoint, WebhookEvent
from scheduling.notifications.rows import (
    Channel,
    Kind,
    Status,
    Wanted,
    WriteReport,
    staff_rows,
    write_rows,
)
from scholars.models import Mentorship

logger = logging.getLogger(__name__)

EVENT_OF_MEETING_STATUS = {
    Meeting.Status.SCHEDULED: WebhookEvent.MEETING_PLANNED,
    Meeting.Status.MOVED: WebhookEvent.MEETING_MOVED,
    Meeting.Status.CANCELLED: WebhookEvent.MEETING_CANCELLED,
    Meeting.Status.HELD: WebhookEvent.MEETING_HELD,
    Meeting.Status.MISSED: WebhookEvent.MEETING_MISSED,
}
# How far back the periodic pass looks for mentorships whose last day has passed: a pass runs every few minutes,
# so a week covers any pause of the workers.
ENDED_LOOKBACK = dt.timedelta(days=7)
KEY_PREFIX = "webhook:"
# The last error of a message an endpoint's being switched off keeps back; switching it on sends those again.
KEPT_BACK = "Kept back: the endpoint is switched off; switching it on sends it."


@dataclass(frozen=True)
class Event:
    """One thing that happened, before it is addressed: ``about`` names its subject (``meeting=12``), ``name``
    tells it apart from the subject's other events (``v=2``), ``at`` is when it happened."""

    type: WebhookEvent
    cohort_id: int
    about: str
    name: str
    at: dt.datetime
    data: dict
    meeting: Meeting | None = None


def ordering_prefix(notification: Notification) -> str:
    """The part of a webhook row's key its order is kept by: the endpoint and what the event is about."""
    return notification.dedupe_key.rpartition(":")[0] + ":"


def message_id(notification: Notification) -> str:
    """The ``webhook-id``: the same on every attempt at one message, so a receiver can drop a repeat; the
    endpoint's registration is in it, so two deployments (staging and production) never share one."""
    endpoint = notification.webhook_endpoint
    salted = f"{endpoint.pk}:{endpoint.created_at.isoformat()}|{notification.dedupe_key}"
    return "msg_" + hashlib.sha256(salted.encode()).hexdigest()[:32]


def message_body(notification: Notification) -> bytes:
    """The JSON body, as written with the event: the same bytes on every attempt."""
    return json.dumps(notification.payload, separators=(",", ":"), sort_keys=True).encode()


def listening_endpoints() -> list[WebhookEndpoint]:
    """Every endpoint, switched on or off: one switched off keeps its messages back until it is on again."""
    return list(WebhookEndpoint.objects.all())


def events_write(events: Iterable[Event], *, endpoints: Sequence[WebhookEndpoint]) -> WriteReport:
    """A row for each event and each endpoint that picked its type, for its cohort, registered before it happened;
    kept back (failed, sent when it is switched on) for an endpoint switched off."""
    rows = []
    for event in events:
        for endpoint in endpoints:
            if not _hears(endpoint, event):
                continue
            kept_back = {} if endpoint.is_active else {"status": Status.FAILED, "last_error": KEPT_BACK}
            rows.append(
                Notification(
                    kind=Kind.WEBHOOK_EVENT,
                    channel=Channel.WEBHOOK,
                    dedupe_key=f"{KEY_PREFIX}endpoint={endpoint.pk}:{event.about}:{event.name}",
                    due_at=event.at,
                    webhook_endpoint=endpoint,
                    meeting=event.meeting,
                    meeting_version=event.meeting.version if event.meeting else None,
                    payload={"type": event.type.value, "timestamp": event.at.isoformat(), "data": event.data},
                    **kept_back,
                )
            )
    return write_rows(Wanted(row, creatable=True) for row in rows)


def meeting_events_write(meetings: Sequence[Meeting]) -> WriteReport:
    """The current version of each of ``meetings`` (loaded as ``rows.with_attendees`` loads them), for the
    endpoints registered before it was written."""
    endpoints = listening_endpoints()
    if not endpoints:
        return WriteReport()
    first = min(endpoint.created_at for endpoint in endpoints)
    return events_write(meeting_events(m for m in meetings if m.updated_at >= first), endpoints=endpoints)


def _hears(endpoint: WebhookEndpoint, event: Event) -> bool:
    return (
        event.type.value in endpoint.events
        and endpoint.cohort_id in (None, event.cohort_id)
        and event.at >= endpoint.created_at
    )


# --- What each event says ------------------------------------------------------------------------------------


def _person(person) -> dict:
    return {"id": person.pk, "name": person.name}


def meeting_events(meetings: Iterable[Meeting]) -> list[Event]:
    """Each meeting's current version as an event, loaded as ``rows.with_attendees`` loads them. The meeting is
    named as calendars name it: the series' UID and the occurrence's RECURRENCE-ID (its original start as the wall
    clock of the series' zone, which is the TZID), with SEQUENCE its version."""
    events = []
    for meeting in meetings:
        series = meeting.series
        original_local = meeting.original_start.astimezone(ZoneInfo(series.time_zone))
        events.append(
            Event(
                type=EVENT_OF_MEETING_STATUS[meeting.status],
                cohort_id=series.cohort_id,
                about=f"meeting={meeting.pk}",
                name=f"v={meeting.version}",
                at=meeting.updated_at,
                meeting=meeting,
                data={
                    "meeting": {
                        "id": meeting.pk,
                        "series_uid": series.uid,
                        "recurrence_id": original_local.strftime("%Y%m%dT%H%M%S"),
                        "recurrence_id_tzid": series.time_zone,
                        "original_start": meeting.original_start.isoformat(),
                        "sequence": meeting.version,
                        "status": meeting.status,
                        "starts_at": meeting.starts_at.isoformat(),
                        "ends_at": meeting.ends_at.isoformat(),
                        "kind": series.kind,
                        "title": series.title,
                        "place": series.place,
                    },
                    "cohort": {"id": series.cohort_id},
                    "mentor": _person(series.mentor),
                    "scholars": [_person(scholar) for scholar in series.scholars.all()],
                },
            )
        )
    return events


def _mentorship_event(
    mentorship: Mentorship, pk: int, event: WebhookEvent, *, at: dt.datetime, **why: str
) -> Event:
    """``pk``: the mentorship's key, which a deleted one no longer carries; ``why``: what ended it."""
    return Event(
        type=event,
        cohort_id=mentorship.scholar.cohort_id,
        about=f"mentorship={pk}",
        name=event.value.rpartition(".")[2],
        at=at,
        data={
            "mentorship": {
                "id": pk,
                "role": mentorship.role,
                "start_date": mentorship.start_date.isoformat() if mentorship.start_date else None,
                "end_date": mentorship.end_date.isoformat() if mentorship.end_date else None,
            },
            "cohort": {"id": mentorship.scholar.cohort_id},
            "mentor": _person(mentorship.mentor),
            "scholar": _person(mentorship.scholar),
            **why,
        },
    )


def mentorship_changes_write(
    *, created: Sequence[int], removed: Sequence[tuple[int, Mentorship]], at: dt.datetime
) -> WriteReport:
    """``mentorship.created`` for the mentorships just written (their keys), ``mentorship.ended`` for those just
    deleted: each its key as it was, and the object, which keeps every field but its key."""
    if not created and not removed:
        return WriteReport()
    endpoints = listening_endpoints()
    if not endpoints:
        return WriteReport()
    events = [
        _mentorship_event(m, m.pk, WebhookEvent.MENTORSHIP_CREATED, at=at)
        for m in Mentorship.objects.filter(pk__in=created).select_related("mentor", "scholar")
    ]
    events += [
        _mentorship_event(m, pk, WebhookEvent.MENTORSHIP_ENDED, at=at, reason="removed") for pk, m in removed
    ]
    return events_write(events, endpoints=endpoints)


def last_day(mentorship: Mentorship) -> dt.date:
    """The mentorship's last day: its own end, else its cohort's, and no later than the day its scholar left."""
    last = mentorship.end_date or mentorship.scholar.cohort.end_date
    left_on = mentorship.scholar.left_on
    return min(last, left_on) if left_on else last


def ended_mentorships_write(*, as_of: dt.datetime) -> WriteReport:
    """``mentorship.ended`` for mentorships whose last day is over (in UTC) by ``as_of``, within ENDED_LOOKBACK,
    once each: the periodic pass's part."""
    endpoints = [e for e in listening_endpoints() if WebhookEvent.MENTORSHIP_ENDED.value in e.events]
    if not endpoints:
        return WriteReport()
    today = as_of.date()
    since = today - ENDED_LOOKBACK
    candidates = (
        Mentorship.objects.filter(scholar__cohort__in=Cohort.objects.filter(end_date__gte=since))
        .filter(
            Q(end_date__isnull=True, scholar__cohort__end_date__lt=today)
            | Q(end_date__lt=today)
            | Q(scholar__left_on__lt=today)
        )
        .select_related("mentor", "scholar__cohort")
    )
    events = []
    for mentorship in candidates:
        day = last_day(mentorship)
        if not since <= day < today:
            continue
        at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        events.append(
            _mentorship_event(
                mentorship,
                mentorship.pk,
                WebhookEvent.MENTORSHIP_ENDED,
                at=at,
                reason="last_day_passed",
                last_day=day.isoformat(),
            )
        )
    return events_write(events, endpoints=endpoints)


def findings_opened_write(*, findings: Sequence[HealthFinding]) -> WriteReport:
    """``health_finding.opened`` for findings just opened."""
    endpoints = listening_endpoints() if findings else []
    if not endpoints:
        return WriteReport()
    events = [
        Event(
            type=WebhookEvent.HEALTH_FINDING_OPENED,
            cohort_id=finding.cohort_id,
            about=f"finding={finding.pk}",
            name="opened",
            at=finding.opened_at,
            data={
                "health_finding": {
                    "id": finding.pk,
                    "rule": finding.rule,
                    "subject": finding.subject,
                    "summary": finding.summary,
                    "opened_at": finding.opened_at.isoformat(),
                    "mentorship_id": finding.mentorship_id,
                    "mentor_id": finding.mentor_id,
                    "scholar_id": finding.scholar_id,
                },
                "cohort": {"id": finding.cohort_id},
            },
        )
        for finding in findings
    ]
    return events_write(events, endpoints=endpoints)


# --- Endpoints that keep failing -----------------------------------------------------------------------------


def endpoint_delivered(endpoint: WebhookEndpoint) -> None:
    """A message went through: the count of failures in a row starts again, and nothing waits for a pause."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).filter(
        Q(failures_in_a_row__gt=0) | Q(paused_until__isnull=False)
    ).update(failures_in_a_row=0, paused_until=None)


def endpoint_failed(endpoint: WebhookEndpoint, *, detail: str, now: dt.datetime) -> bool:
    """Count a failed attempt and pause the endpoint: its other messages wait (uncounted) until the pause is over,
    base, 2 × base … seconds (NOTIFICATION_RETRY_BASE_SECONDS, at most NOTIFICATION_RETRY_MAX_SECONDS), so an
    outage counts one failure per pause, however many messages are waiting. The attempt that reaches the
    endpoint's limit switches it off, keeps its messages back (sent when staff switch it on) and tells staff,
    once; the audit trail records it. Returns whether it is off."""
    failures = (
        WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("failures_in_a_row", flat=True).first()
        or 0
    ) + 1
    pause = min(
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** min(failures - 1, 32),
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failures_in_a_row=F("failures_in_a_row") + 1, paused_until=now + dt.timedelta(seconds=pause)
    )
    reason = (
        f"Switched off after {endpoint.disable_after_failures} failed attempts in a row; the last: {detail}"
    )
    switched_off = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, is_active=True, failures_in_a_row__gte=F("disable_after_failures")
    ).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:2000], paused_until=None, updated_at=now
    )
    if not switched_off:
        return not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()
    logger.warning("Switched off the webhook endpoint %s (#%s): %s", endpoint, endpoint.pk, reason)
    endpoint_messages_keep_back(endpoint)
    audit_write(
        changes=[
            RowChange(
                model=WebhookEndpoint,
                pk=endpoint.pk,
                label=str(endpoint),
                before={"is_active": "True"},
                after={"is_active": "False"},
                cohort_ids=frozenset([endpoint.cohort_id] if endpoint.cohort_id else []),
            )
        ],
        by=None,
        reason=reason,
    )
    _tell_staff_endpoint_disabled(endpoint, at=now)
    return True


def endpoint_messages_keep_back(endpoint: WebhookEndpoint) -> int:
    """Keep back an endpoint's messages still to go, until it is switched on again."""
    return Notification.objects.filter(webhook_endpoint=endpoint, status=Status.PENDING).update(
        status=Status.FAILED, last_error=KEPT_BACK, retry_at=None, updated_at=timezone.now()
    )


def held_back(endpoint: WebhookEndpoint) -> QuerySet[Notification]:
    """The messages kept back while the endpoint was switched off: sent again when it is switched on."""
    return Notification.objects.filter(
        webhook_endpoint=endpoint, status=Status.FAILED, last_error__startswith=KEPT_BACK
    )


def _tell_staff_endpoint_disabled(endpoint: WebhookEndpoint, *, at: dt.datetime) -> WriteReport:
    rows = staff_rows(
        kind=Kind.ENDPOINT_DISABLED,
        key=f"endpoint={endpoint.pk}:at={at.isoformat()}",
        due_at=at,
        payload={"endpoint_id": endpoint.pk},
        about="a webhook endpoint switched off",
    )
    return write_rows(Wanted(row, creatable=True) for row in rows)


def endpoint_admin_url(endpoint: WebhookEndpoint) -> str:
    return settings.PUBLIC_BASE_URL + reverse("admin:scheduling_webhookendpoint_change", args=[endpoint.pk])

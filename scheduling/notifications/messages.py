"""What a notification row says: its message, rendered from the database as it is sent, in the recipient's zone."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cohort.dates import format_duration
from cohort.models import Person
from mentors.models import Mentor
from scheduling import ics
from scheduling.calendar_events import occurrence_event
from scheduling.channels import Attachment, OutgoingMessage
from scheduling.models import HealthFinding, MeetingFeedback, Notification, WebhookEndpoint
from scheduling.notifications import webhooks
from scheduling.notifications.clashes import open_clash_of
from scheduling.notifications.oversight import covers_week
from scheduling.notifications.rows import MEETING_KINDS, Channel, Kind, Status
from scheduling.services.feedback import FEEDBACK_WINDOW, feedback_token
from scholars.models import CheckIn, Mentorship, Scholar

# A reminder sent this long after its due time still says its offset: the tick runs once a minute, and a worker
# with a queue takes a moment more.
ON_TIME = dt.timedelta(minutes=5)


class NothingToSend(Exception):
    """Raised by ``compose_message`` when a row has nothing worth sending (a digest of a week with no check-ins)."""


def message_id_for(dedupe_key: str) -> str:
    """A Message-ID that is the same for every attempt at one notification, so receivers can drop a resend."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "cohortops.invalid"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def recipient_of(notification: Notification) -> Person | None:
    return notification.recipient_mentor or notification.recipient_scholar


def recipient_address(notification: Notification) -> str:
    """Where the row goes now: the person's current address or webhook (they may have changed it), or staff's."""
    if notification.channel == Channel.WEBHOOK:
        return notification.webhook_endpoint.url
    person = recipient_of(notification)
    if person is None:
        return notification.recipient_email
    return person.email if notification.channel == Channel.EMAIL else person.slack_webhook_url


def compose_message(notification: Notification, *, as_of: dt.datetime) -> OutgoingMessage:
    """Render one row as a message sent at ``as_of``, from the database, with every time in the recipient's own zone.

    Expects the row with its meeting, series and recipients selected (``dispatch`` loads it so). Raises
    ``NothingToSend`` for a digest of a week in which nothing was asked for or written.

    A webhook message is the event as it was written, whenever it is sent; it is signed as it goes.
    """
    if notification.channel == Channel.WEBHOOK:
        endpoint = notification.webhook_endpoint
        return OutgoingMessage(
            channel=Channel.WEBHOOK,
            address=endpoint.url,
            subject=notification.payload["type"],
            text=webhooks.message_body(notification).decode(),
            message_id=webhooks.message_id(notification),
            signing_secrets=tuple(endpoint.secrets_in_use(now=timezone.now())),
        )
    person = recipient_of(notification)
    zone = person.time_zone if person else settings.TIME_ZONE
    kind = notification.kind
    context = {
        "recipient_name": person.name if person else "",
        "time_zone": zone,
        "base_url": settings.PUBLIC_BASE_URL,
        **_CONTEXT_BUILDERS[kind](notification, zone),
    }
    if kind == Kind.REMINDER:
        context["starts_in"] = _time_left(notification, as_of)
    subject = " ".join(render_to_string(f"notifications/{kind}_subject.txt", context).split())
    is_email = notification.channel == Channel.EMAIL
    return OutgoingMessage(
        channel=notification.channel,
        address=recipient_address(notification),
        subject=subject,
        text=render_to_string(f"notifications/{kind}.txt", context),
        html=render_to_string(f"notifications/{kind}.html", context) if is_email else "",
        message_id=message_id_for(notification.dedupe_key),
        attachments=tuple(filter(None, [_invitation(notification)]))
        if is_email and kind in MEETING_KINDS
        else (),
    )


def format_span(starts_at: dt.datetime, ends_at: dt.datetime, zone: str) -> str:
    """'Tuesday 12 January 2027, 10:00–11:00 GMT (Europe/London)': the abbreviation for people, the IANA name
    because abbreviations are ambiguous (IST, CST)."""
    start = starts_at.astimezone(ZoneInfo(zone))
    end = ends_at.astimezone(ZoneInfo(zone))
    return f"{start:%A} {start.day} {start:%B %Y, %H:%M}–{end:%H:%M} {start:%Z} ({zone})"


def format_instant(at: dt.datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local:%Z} ({zone})"


def format_week(week_start: dt.date) -> str:
    return f"{week_start:%A} {week_start.day} {week_start:%B %Y}"


def _time_left(reminder: Notification, as_of: dt.datetime) -> str:
    """The reminder's own offset ("1 day") when it goes out on time, allowing for the minute's tick and a busy
    worker; otherwise the time really left, so one sent after an outage, or at an instant fast-forwarded to, says
    how long there is. Whole minutes rounded up: "1 minute" until the meeting starts."""
    if dt.timedelta(0) <= as_of - reminder.due_at <= ON_TIME:
        return format_duration(reminder.payload["offset_minutes"], exact=True)
    return format_duration(math.ceil((reminder.meeting.starts_at - as_of) / dt.timedelta(minutes=1)))


def _meeting_context(notification: Notification, zone: str) -> dict:
    meeting = notification.meeting
    series = meeting.series
    recipient = recipient_of(notification)
    people = [series.mentor, *series.active_scholars()]
    payload = notification.payload
    previous = payload.get("previous_starts_at")
    was_at = dt.datetime.fromisoformat(previous) if previous else None
    was_until = payload.get("previous_ends_at")
    previous_place = payload.get("previous_place")  # None: written before places were kept
    # A change notice tells of a move, or of a new place at the very same time.
    new_place = (
        was_at == meeting.starts_at
        and was_until is not None
        and dt.datetime.fromisoformat(was_until) == meeting.ends_at
        and previous_place != series.place
    )
    return {
        "title": series.title,
        "when": format_span(meeting.starts_at, meeting.ends_at, zone),
        "previously": format_instant(was_at, zone) if was_at else "",
        "new_place": new_place,
        "previous_place": previous_place if new_place and previous_place is not None else "",
        "with_names": [p.name for p in people if p != recipient],
        "where": series.place,
        "where_link": series.place_link,
    }


def _clash_context(notification: Notification, zone: str) -> dict:
    """A clash, for the busy person ("your own calendar") or for staff, who read it in their own zone."""
    clash = open_clash_of(notification)
    if clash is None:
        raise NothingToSend("The clash was resolved before the notice could be sent.")
    person = clash.person
    return {
        **_meeting_context(notification, zone),
        "for_staff": recipient_of(notification) is None,
        "busy_is_mentor": clash.mentor_id is not None,
        "person_name": person.name,
        "busy": format_span(clash.busy_starts_at, clash.busy_ends_at, zone),
        "mentor_name": notification.meeting.series.mentor.name,
        "meeting_admin_path": reverse("admin:scheduling_meeting_change", args=[notification.meeting_id]),
    }


def _prompt_context(notification: Notification, zone: str) -> dict:
    week = dt.date.fromisoformat(notification.payload["week_start"])
    return {
        "week": format_week(week),
        "check_in_url": settings.PUBLIC_BASE_URL + reverse("check-in", kwargs={"week": week.isoformat()}),
    }


def _digest_context(notification: Notification, zone: str) -> dict:
    week = dt.date.fromisoformat(notification.payload["week_start"])
    mentorships = [
        m
        for m in Mentorship.objects.filter(
            ~Q(scholar__status__in=Scholar.INACTIVE_STATUSES), mentor_id=notification.recipient_mentor_id
        ).select_related("scholar__cohort")
        if covers_week(m, week)
    ]
    scholar_ids = [m.scholar_id for m in mentorships]
    check_ins = {c.scholar_id: c for c in CheckIn.objects.filter(scholar_id__in=scholar_ids, week_start=week)}
    prompted = set(
        Notification.objects.filter(
            kind=Kind.CHECKIN_PROMPT,
            status=Status.SENT,
            recipient_scholar_id__in=scholar_ids,
            payload__week_start=week.isoformat(),
        ).values_list("recipient_scholar_id", flat=True)
    )
    if not check_ins and not prompted:
        raise NothingToSend(f"No check-in was asked for or written in the week of {week.isoformat()}.")
    entries = [
        {
            "name": m.scholar.name,
            "check_in": check_ins.get(m.scholar_id),
            "prompted": m.scholar_id in prompted,
        }
        for m in sorted(mentorships, key=lambda m: m.scholar.name)
        if m.scholar_id in check_ins or m.scholar_id in prompted
    ]
    return {"week": format_week(week), "entries": entries}


def _escalation_context(notification: Notification, zone: str) -> dict:
    payload = notification.payload
    if payload["reason"] != "dead_webhook":
        # Missed check-ins and mentorships behind their cadence, escalated before pair health's findings took
        # them over (a row written by an earlier release): the findings tell of them now.
        raise NothingToSend("Pair health findings tell of this now.")
    role, _, pk = payload["person"].partition("=")
    person = Mentor.objects.get(pk=pk) if role == "mentor" else Scholar.objects.get(pk=pk)
    mentors = (
        [person] if role == "mentor" else Mentor.objects.filter(mentorships__scholar=person).order_by("name")
    )
    return {
        "person_name": person.name,
        # Its last characters, not the URL: a mail client would turn a URL into a link to a dead webhook.
        "webhook_end": payload["webhook"][-4:],
        "detail": payload["detail"],
        "mentor_names": [m.name for m in mentors],
    }


def _health_context(notification: Notification, zone: str) -> dict:
    finding = (
        HealthFinding.objects.select_related("cohort", "mentor", "scholar")
        .filter(pk=notification.payload["finding_id"])
        .first()
    )
    if finding is None:
        raise NothingToSend("The finding is gone (its mentorship or person was deleted).")
    if finding.cleared_at is not None:
        raise NothingToSend("The finding cleared before its notice could be sent.")
    return {
        "for_staff": recipient_of(notification) is None,
        "rule": finding.get_rule_display(),
        "who": finding.who,
        "summary": finding.summary,
        "cohort_name": finding.cohort.name,
        "opened": format_instant(finding.opened_at, zone),
        "finding_admin_path": reverse("admin:scheduling_healthfinding_change", args=[finding.pk]),
        "week_admin_path": reverse("admin:cohort_cohort_week", args=[finding.cohort_id]),
        "home_path": reverse("home"),
    }


def _feedback_context(notification: Notification, zone: str) -> dict:
    person = recipient_of(notification)
    page = reverse("feedback-link", args=[feedback_token(notification.meeting, person)])
    return {
        **_meeting_context(notification, zone),
        "for_scholar": isinstance(person, Scholar),
        "ratings": [
            {"label": label, "path": f"{page}?rating={value}"}
            for value, label in reversed(MeetingFeedback.Rating.choices)
        ],
        "window_days": FEEDBACK_WINDOW.days,
    }


def _endpoint_disabled_context(notification: Notification, zone: str) -> dict:
    endpoint = WebhookEndpoint.objects.filter(pk=notification.payload["endpoint_id"]).first()
    if endpoint is None:
        raise NothingToSend("The endpoint has been deleted since.")
    if endpoint.is_active:
        raise NothingToSend("The endpoint has been switched on again since.")
    return {
        "endpoint_name": endpoint.name,
        "reason": endpoint.disabled_reason,
        "endpoint_admin_url": webhooks.endpoint_admin_url(endpoint),
        "held_back": webhooks.held_back(endpoint).count(),
    }


_CONTEXT_BUILDERS = {
    Kind.REMINDER: _meeting_context,
    Kind.CHANGE: _meeting_context,
    Kind.CANCELLATION: _meeting_context,
    Kind.CHECKIN_PROMPT: _prompt_context,
    Kind.CHECKIN_DIGEST: _digest_context,
    Kind.ESCALATION: _escalation_context,
    Kind.CLASH: _clash_context,
    Kind.HEALTH_FINDING: _health_context,
    Kind.FEEDBACK_REQUEST: _feedback_context,
    Kind.ENDPOINT_DISABLED: _endpoint_disabled_context,
}


def _invitation(notification: Notification) -> Attachment | None:
    """This occurrence as an iTIP invitation (METHOD:CANCEL for a cancellation). None when the mentor, the
    organizer, has no address: RFC 5546 needs one."""
    if not notification.meeting.series.mentor.email:
        return None
    method = "CANCEL" if notification.kind == Kind.CANCELLATION else "REQUEST"
    event = occurrence_event(notification.meeting, cancelled=method == "CANCEL")
    content = ics.render_invitation(event, method=method)
    return Attachment("invite.ics", content, f"text/calendar; method={method}")

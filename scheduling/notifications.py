"""Notifications as rows: which reminders, notices, prompts, digests and escalations exist, and what they say.

Writing is set-based and idempotent: every function here computes the rows that *should* exist, creates the
missing ones with one ``bulk_create(ignore_conflicts=True)`` on the unique ``dedupe_key`` and supersedes pending
rows that no longer should, in a fixed number of queries whatever the number of meetings. Running one twice
changes nothing. ``scheduling.dispatch`` sends the rows; ``compose_message`` turns one into a message.

Dedupe keys name everything that makes a notification distinct, e.g.
``reminder:meeting=12:v=2:scholar=5:email:offset=15``: a moved meeting has a new version, hence new keys, and
the old version's keys can never be sent again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone

from cohort.models import Cohort, Person
from mentors.models import Mentor
from scheduling import ics
from scheduling.channels import Attachment, OutgoingMessage
from scheduling.models import Meeting, MeetingSeries, Notification
from scholars.models import CheckIn, Mentorship, Scholar

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Channel = Notification.Channel
Status = Notification.Status
UTC = dt.UTC

MEETING_KINDS = frozenset({Kind.REMINDER, Kind.CHANGE, Kind.CANCELLATION})
LIVE_MEETING_STATUSES = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)
ACTIVE_SCHOLAR = ~Q(status__in=Scholar.INACTIVE_STATUSES)
# Change and cancellation notices go out for meetings this close. Further out the calendar feeds (polled every
# few hours) and the next reminder carry the change, so a re-plan that moves a whole series floods no inbox.
NOTICE_HORIZON = dt.timedelta(days=7)
# The digest of a week's check-ins reaches the mentor on the following Monday at this local time.
DIGEST_LOCAL_TIME = dt.time(8, 0)
# How far back the escalation writer looks for prompted weeks; two missed in a row needs only the last few.
ESCALATION_LOOKBACK = dt.timedelta(weeks=5)


class NothingToSend(Exception):
    """Raised by ``compose_message`` when a row has nothing worth sending (a digest of a week with no check-ins)."""


@dataclass(frozen=True)
class WriteReport:
    created: int = 0
    superseded: int = 0
    rescheduled: int = 0

    def __add__(self, other: WriteReport) -> WriteReport:
        return WriteReport(
            self.created + other.created,
            self.superseded + other.superseded,
            self.rescheduled + other.rescheduled,
        )


@dataclass(frozen=True)
class Wanted:
    """A row that should exist; ``creatable`` is False when it should not be written now (its time has passed)."""

    row: Notification
    creatable: bool


# --- Who, through what, and under which key -----------------------------------------------------------------


def person_channels(person: Person) -> list[str]:
    """Email for everyone with an address; Slack as well for people who gave a webhook."""
    channels = []
    if person.email:
        channels.append(Channel.EMAIL)
    if person.slack_webhook_url:
        channels.append(Channel.SLACK)
    return channels


def _who(person: Person) -> str:
    return f"{'mentor' if isinstance(person, Mentor) else 'scholar'}={person.pk}"


def _recipient_fields(person: Person) -> dict:
    if isinstance(person, Mentor):
        return {"recipient_mentor": person}
    return {"recipient_scholar": person}


def staff_alert_emails() -> list[str]:
    """settings.STAFF_ALERT_EMAILS, or else every active staff user's address (not mentors': their admin logins
    are ``is_staff`` too, but escalations about other people's scholars are not theirs to read)."""
    configured = list(getattr(settings, "STAFF_ALERT_EMAILS", []))
    if configured:
        return configured
    users = (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .filter(Q(mentor__isnull=True) | Q(is_superuser=True))
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_instant(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """A wall-clock time on a day in a zone, as UTC. Times in a spring-forward gap resolve forward (fold=0)."""
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _write(wanted: Iterable[Wanted], *, supersede: Iterable[int] = ()) -> WriteReport:
    """Create the creatable wanted rows that do not exist yet; mark the given pending rows superseded."""
    to_supersede = list(supersede)
    superseded = 0
    if to_supersede:
        superseded = Notification.objects.filter(pk__in=to_supersede, status=Status.PENDING).update(
            status=Status.SUPERSEDED, last_error="", updated_at=timezone.now()
        )
    rows = [w.row for w in wanted if w.creatable]
    if not rows:
        return WriteReport(superseded=superseded)
    before = Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).count()
    # ignore_conflicts: a row with the same key exists already (written by an earlier call, perhaps sent).
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return WriteReport(created=len(rows) - before, superseded=superseded)


# --- Meetings: reminders, change and cancellation notices, check-in prompts ---------------------------------


# A person's fields that shape their notifications: when, where and how they are reached.
NOTIFICATION_FIELDS = frozenset(
    {
        "time_zone",
        "email",
        "reminder_offsets_minutes",
        "slack_webhook_url",
        "work_start",
        "work_end",
        "work_days",
    }
)


def person_settings_changed(*, person: Person, fields: Iterable[str]) -> None:
    """Call after saving a person (admin, API): if a field their notifications depend on changed, rewrite them."""
    if NOTIFICATION_FIELDS.intersection(fields):
        person_notifications_resync(person=person)


def person_notifications_resync(*, person: Person, now: dt.datetime | None = None) -> WriteReport:
    """Rewrite the notifications of a person's upcoming live meetings after their settings changed (new
    reminder offsets, zone, address): pending ones are superseded by ones that match the new settings."""
    meetings = Meeting.objects.filter(status__in=LIVE_MEETING_STATUSES, starts_at__gt=now or timezone.now())
    if isinstance(person, Mentor):
        meetings = meetings.filter(series__mentor=person)
    else:
        meetings = meetings.filter(series__scholars=person).distinct()
    return sync_meeting_notifications(meetings=list(meetings), now=now)


@transaction.atomic
def sync_meeting_notifications(*, meetings: Sequence[Meeting], now: dt.datetime | None = None) -> WriteReport:
    """Bring the notifications of ``meetings`` in line with their current state; call after every meeting write.

    1. Reload the meetings with their series, mentor and active scholars (2 queries).
    2. For each live meeting, every attendee gets a reminder per channel and per reminder offset; a meeting whose
       version is above 1 also gets a change notice, a cancelled one a cancellation notice (both due now, and
       only for meetings within NOTICE_HORIZON that have not started).
    3. Pending rows of these meetings that are no longer wanted (an older version, a removed attendee) are
       superseded; wanted rows are created unless their due time has already passed.
    4. The check-in prompts of the scholars involved are recomputed (see ``_sync_check_in_prompts``).
    """
    now = now or timezone.now()
    ids = [m.pk for m in meetings]
    if not ids:
        return WriteReport()
    loaded = list(
        Meeting.objects.filter(pk__in=ids)
        .select_related("series__mentor")
        .prefetch_related(Prefetch("series__scholars", queryset=Scholar.objects.filter(ACTIVE_SCHOLAR)))
    )
    existing = Notification.objects.filter(meeting_id__in=ids).values_list(
        "pk", "dedupe_key", "status", "meeting_id", "meeting_version", "payload"
    )
    current_version = {m.pk: m.version for m in loaded}
    # Per meeting, the latest earlier version's start, so a change notice can say where the meeting was.
    previous_start: dict[int, tuple[int, str]] = {}
    pending: dict[str, int] = {}
    for pk, key, status, meeting_id, version, payload in existing:
        if status == Status.PENDING:
            pending[key] = pk
        best = previous_start.get(meeting_id, (0, ""))[0]
        if "starts_at" in payload and best < (version or 0) < current_version[meeting_id]:
            previous_start[meeting_id] = (version, payload["starts_at"])

    wanted: list[Wanted] = []
    for meeting in loaded:
        was = previous_start.get(meeting.pk, (0, None))[1]
        wanted.extend(_meeting_wanted(meeting, now=now, previous_starts_at=was))
    wanted_keys = {w.row.dedupe_key for w in wanted}
    report = _write(wanted, supersede=(pk for key, pk in pending.items() if key not in wanted_keys))

    scholar_ids = {s.pk for m in loaded for s in m.series.scholars.all()}
    return report + _sync_check_in_prompts(scholar_ids=scholar_ids, now=now)


def _meeting_wanted(meeting: Meeting, *, now: dt.datetime, previous_starts_at: str | None) -> list[Wanted]:
    series = meeting.series
    attendees: list[Person] = [series.mentor, *series.scholars.all()]
    payload = {"starts_at": meeting.starts_at.isoformat(), "ends_at": meeting.ends_at.isoformat()}
    notice_due = meeting.starts_at > now and meeting.starts_at - now <= NOTICE_HORIZON
    wanted = []

    def row(
        kind: str, person: Person, channel: str, key_tail: str, due_at: dt.datetime, extra: dict
    ) -> Notification:
        return Notification(
            kind=kind,
            channel=channel,
            dedupe_key=f"{kind}:meeting={meeting.pk}:v={meeting.version}:{_who(person)}:{channel}{key_tail}",
            due_at=due_at,
            meeting=meeting,
            meeting_version=meeting.version,
            payload={**payload, **extra},
            **_recipient_fields(person),
        )

    for person in attendees:
        for channel in person_channels(person):
            if meeting.status in LIVE_MEETING_STATUSES:
                for offset in sorted(set(person.reminder_offsets_minutes)):
                    due_at = meeting.starts_at - dt.timedelta(minutes=offset)
                    reminder = row(
                        Kind.REMINDER,
                        person,
                        channel,
                        f":offset={offset}",
                        due_at,
                        {"offset_minutes": offset},
                    )
                    wanted.append(Wanted(reminder, creatable=due_at > now))
                if meeting.version > 1:
                    notice = row(
                        Kind.CHANGE, person, channel, "", now, {"previous_starts_at": previous_starts_at}
                    )
                    wanted.append(Wanted(notice, creatable=notice_due))
            elif meeting.status == Meeting.Status.CANCELLED:
                wanted.append(
                    Wanted(row(Kind.CANCELLATION, person, channel, "", now, {}), creatable=notice_due)
                )
    return wanted


def _sync_check_in_prompts(*, scholar_ids: set[int], now: dt.datetime) -> WriteReport:
    """Each active scholar is asked for a written check-in once a week, on the day before their primary mentor's
    first meeting with them that week, at the start of their working day in their own zone.

    Recomputes the scholars' prompts from the start of this week on (4 queries plus the writes): prompts not yet
    due move with the first meeting of their week, and are superseded when their week has no meeting any more.
    """
    if not scholar_ids:
        return WriteReport()
    primaries = {
        m.scholar_id: m
        for m in Mentorship.objects.filter(
            ~Q(scholar__status__in=Scholar.INACTIVE_STATUSES),
            role=Mentorship.Role.PRIMARY,
            scholar_id__in=scholar_ids,
        ).select_related("scholar")
    }
    # A day's margin either side of "this Monday" covers every zone's idea of when the week began.
    window_start = dt.datetime.combine(monday_of(now.date()) - dt.timedelta(days=1), dt.time(), tzinfo=UTC)
    attended = Meeting.objects.filter(
        series__scholars__in=list(primaries),
        status__in=LIVE_MEETING_STATUSES,
        starts_at__gte=window_start,
    ).values_list("starts_at", "series__mentor_id", "series__scholars")
    first_of_week: dict[tuple[int, dt.date], dt.datetime] = {}
    for starts_at, mentor_id, scholar_id in attended:
        mentorship = primaries[scholar_id]
        if mentor_id != mentorship.mentor_id:
            continue
        week = monday_of(starts_at.astimezone(ZoneInfo(mentorship.scholar.time_zone)).date())
        if (scholar_id, week) not in first_of_week or starts_at < first_of_week[(scholar_id, week)]:
            first_of_week[(scholar_id, week)] = starts_at

    wanted: dict[str, Wanted] = {}
    for (scholar_id, week), first_start in first_of_week.items():
        scholar = primaries[scholar_id].scholar
        first_day = first_start.astimezone(ZoneInfo(scholar.time_zone)).date()
        due_at = local_instant(first_day - dt.timedelta(days=1), scholar.work_start, scholar.time_zone)
        for channel in person_channels(scholar):
            key = f"{Kind.CHECKIN_PROMPT}:scholar={scholar_id}:week={week.isoformat()}:{channel}"
            row = Notification(
                kind=Kind.CHECKIN_PROMPT,
                channel=channel,
                dedupe_key=key,
                due_at=due_at,
                recipient_scholar=scholar,
                payload={"week_start": week.isoformat()},
            )
            wanted[key] = Wanted(row, creatable=due_at > now)

    not_yet_due = Notification.objects.filter(
        kind=Kind.CHECKIN_PROMPT, status=Status.PENDING, recipient_scholar_id__in=scholar_ids, due_at__gt=now
    )
    moved = []
    stale = []
    for pending in not_yet_due:
        if pending.dedupe_key not in wanted:
            stale.append(pending.pk)
        elif pending.due_at != wanted[pending.dedupe_key].row.due_at:
            pending.due_at = wanted[pending.dedupe_key].row.due_at
            moved.append(pending)
    if moved:
        Notification.objects.bulk_update(moved, ["due_at"])
    return _write(wanted.values(), supersede=stale) + WriteReport(rescheduled=len(moved))


# --- Periodic: digests and escalations ------------------------------------------------------------------------


def write_periodic_notifications(*, as_of: dt.datetime) -> WriteReport:
    """What no meeting write causes: mentors' weekly digests and escalations to staff. Idempotent."""
    return (
        write_check_in_digests(as_of=as_of)
        + escalate_missed_check_ins(as_of=as_of)
        + escalate_behind_cadence(as_of=as_of)
    )


def _running_cohorts(as_of: dt.datetime) -> Q:
    # A day's margin for zones: a cohort still "runs" on its last local day wherever that is.
    day = as_of.date()
    return Q(start_date__lte=day + dt.timedelta(days=1), end_date__gte=day - dt.timedelta(days=1))


def write_check_in_digests(*, as_of: dt.datetime) -> WriteReport:
    """Each mentor with active scholars gets, for the current week (in the mentor's zone), one digest of their
    scholars' check-ins, due the following Monday at DIGEST_LOCAL_TIME, once the week is complete."""
    cohorts = Cohort.objects.filter(_running_cohorts(as_of))
    mentorships = Mentorship.objects.filter(
        ~Q(scholar__status__in=Scholar.INACTIVE_STATUSES), scholar__cohort__in=cohorts
    ).select_related("mentor", "scholar__cohort")
    wanted: dict[str, Wanted] = {}
    for mentorship in mentorships:
        mentor = mentorship.mentor
        week = monday_of(as_of.astimezone(ZoneInfo(mentor.time_zone)).date())
        if not _covers_week(mentorship, week):
            continue
        due_at = local_instant(week + dt.timedelta(days=7), DIGEST_LOCAL_TIME, mentor.time_zone)
        for channel in person_channels(mentor):
            key = f"{Kind.CHECKIN_DIGEST}:mentor={mentor.pk}:week={week.isoformat()}:{channel}"
            row = Notification(
                kind=Kind.CHECKIN_DIGEST,
                channel=channel,
                dedupe_key=key,
                due_at=due_at,
                recipient_mentor=mentor,
                payload={"week_start": week.isoformat()},
            )
            wanted[key] = Wanted(row, creatable=True)
    return _write(wanted.values())


def _covers_week(mentorship: Mentorship, week: dt.date) -> bool:
    cohort = mentorship.scholar.cohort
    first = mentorship.start_date or cohort.start_date
    last = mentorship.end_date or cohort.end_date
    return first <= week + dt.timedelta(days=6) and last >= week


@dataclass(frozen=True)
class Concern:
    """Something staff should hear about once: ``key`` names it, ``week`` is when it arose."""

    reason: str
    key: str
    week: dt.date
    details: dict


def escalate_missed_check_ins(*, as_of: dt.datetime) -> WriteReport:
    """Tell staff when a scholar missed the check-ins of their last two prompted weeks.

    A check-in is missed when its prompt was sent and the week ended (in the scholar's zone) without one. One
    escalation per scholar per second missed week: a third missed week escalates again.
    """
    prompted = Notification.objects.filter(
        ~Q(recipient_scholar__status__in=Scholar.INACTIVE_STATUSES),
        kind=Kind.CHECKIN_PROMPT,
        status=Status.SENT,
        due_at__gte=as_of - ESCALATION_LOOKBACK,
    ).values_list("recipient_scholar_id", "recipient_scholar__time_zone", "payload")
    closed_weeks: dict[int, set[dt.date]] = defaultdict(set)
    for scholar_id, zone, payload in prompted:
        week = dt.date.fromisoformat(payload["week_start"])
        if local_instant(week + dt.timedelta(days=7), dt.time(), zone) <= as_of:
            closed_weeks[scholar_id].add(week)
    if not closed_weeks:
        return WriteReport()
    earliest = min(min(weeks) for weeks in closed_weeks.values())
    submitted = set(
        CheckIn.objects.filter(scholar_id__in=list(closed_weeks), week_start__gte=earliest).values_list(
            "scholar_id", "week_start"
        )
    )
    concerns = []
    for scholar_id, weeks in closed_weeks.items():
        last_two = sorted(weeks)[-2:]
        if len(last_two) == 2 and not any((scholar_id, week) in submitted for week in last_two):
            details = {"scholar_id": scholar_id, "weeks": [w.isoformat() for w in last_two]}
            concerns.append(Concern("missed_check_ins", f"scholar={scholar_id}", last_two[-1], details))
    return _escalate(concerns, as_of=as_of)


def escalate_behind_cadence(*, as_of: dt.datetime) -> WriteReport:
    """Tell staff, once a week per mentorship, when a running cohort's mentorship is behind its cadence."""
    from scheduling.compliance import mentorships_behind_cadence

    concerns = []
    for cohort in Cohort.objects.filter(_running_cohorts(as_of)):
        week = monday_of(as_of.astimezone(ZoneInfo(cohort.time_zone)).date())
        for behind in mentorships_behind_cadence(cohort=cohort, as_of=as_of):
            details = {"mentorship_id": behind.mentorship_id, "detail": str(behind)}
            concerns.append(Concern("behind_cadence", f"mentorship={behind.mentorship_id}", week, details))
    return _escalate(concerns, as_of=as_of)


def escalate_dead_webhook(
    *, person: Person, webhook_url: str, webhook: str, detail: str, as_of: dt.datetime
) -> WriteReport:
    """Tell staff, once per webhook, that Slack refused a person's webhook for good: their messages go by email
    only until they save a new one. ``webhook`` is the URL as logs may show it, without its secret."""
    fingerprint = hashlib.sha256(webhook_url.encode()).hexdigest()[:12]
    concern = Concern(
        "dead_webhook",
        f"{_who(person)}:webhook={fingerprint}",
        monday_of(as_of.date()),
        {"person": _who(person), "webhook": webhook, "detail": detail},
    )
    return _escalate([concern], as_of=as_of)


def _escalate(concerns: list[Concern], *, as_of: dt.datetime) -> WriteReport:
    if not concerns:
        return WriteReport()
    recipients = staff_alert_emails()
    if not recipients:
        logger.warning(
            "%d concerns but no staff address to escalate to: set STAFF_ALERT_EMAILS or give a staff user an "
            "email address.",
            len(concerns),
        )
        return WriteReport()
    rows = [
        Notification(
            kind=Kind.ESCALATION,
            channel=Channel.EMAIL,
            dedupe_key=f"{Kind.ESCALATION}:{c.reason}:{c.key}:week={c.week.isoformat()}:to={email}",
            due_at=as_of,
            recipient_email=email,
            payload={"reason": c.reason, "week_start": c.week.isoformat(), **c.details},
        )
        for c in concerns
        for email in recipients
    ]
    return _write(Wanted(row, creatable=True) for row in rows)


# --- What a row says ------------------------------------------------------------------------------------------


def message_id_for(dedupe_key: str) -> str:
    """A Message-ID that is the same for every attempt at one notification, so receivers can drop a resend."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "cohortops.invalid"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def recipient_of(notification: Notification) -> Person | None:
    return notification.recipient_mentor or notification.recipient_scholar


def recipient_address(notification: Notification) -> str:
    """Where the row goes now: the person's current address or webhook (they may have changed it), or staff's."""
    person = recipient_of(notification)
    if person is None:
        return notification.recipient_email
    return person.email if notification.channel == Channel.EMAIL else person.slack_webhook_url


def compose_message(notification: Notification) -> OutgoingMessage:
    """Render one row as a message, now, from the database, with every time in the recipient's own zone.

    Expects the row with its meeting, series and recipients selected (``dispatch`` loads it so). Raises
    ``NothingToSend`` for a digest of a week in which nothing was asked for or written.
    """
    person = recipient_of(notification)
    zone = person.time_zone if person else settings.TIME_ZONE
    context = {
        "recipient_name": person.name if person else "",
        "time_zone": zone,
        "base_url": settings.PUBLIC_BASE_URL,
        **_CONTEXT_BUILDERS[notification.kind](notification, zone),
    }
    kind = notification.kind
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


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not parts:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def active_scholars(series: MeetingSeries) -> list[Scholar]:
    """The series' scholars still in the programme; filtered here so a prefetched ``scholars`` is reused."""
    return [s for s in series.scholars.all() if s.is_active]


def _meeting_context(notification: Notification, zone: str) -> dict:
    meeting = notification.meeting
    series = meeting.series
    recipient = recipient_of(notification)
    people = [series.mentor, *active_scholars(series)]
    previous = notification.payload.get("previous_starts_at")
    return {
        "title": series.title,
        "when": format_span(meeting.starts_at, meeting.ends_at, zone),
        "previously": format_instant(dt.datetime.fromisoformat(previous), zone) if previous else "",
        "with_names": [p.name for p in people if p != recipient],
        "before": format_minutes(notification.payload.get("offset_minutes", 0)),
    }


def _prompt_context(notification: Notification, zone: str) -> dict:
    return {"week": format_week(dt.date.fromisoformat(notification.payload["week_start"]))}


def _digest_context(notification: Notification, zone: str) -> dict:
    week = dt.date.fromisoformat(notification.payload["week_start"])
    mentorships = [
        m
        for m in Mentorship.objects.filter(
            ~Q(scholar__status__in=Scholar.INACTIVE_STATUSES), mentor_id=notification.recipient_mentor_id
        ).select_related("scholar__cohort")
        if _covers_week(m, week)
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
    week = format_week(dt.date.fromisoformat(payload["week_start"]))
    if payload["reason"] == "dead_webhook":
        role, _, pk = payload["person"].partition("=")
        person = Mentor.objects.get(pk=pk) if role == "mentor" else Scholar.objects.get(pk=pk)
        mentors = (
            [person]
            if role == "mentor"
            else Mentor.objects.filter(mentorships__scholar=person).order_by("name")
        )
        return {
            "reason": "dead_webhook",
            "week": week,
            "person_name": person.name,
            "webhook": payload["webhook"],
            "detail": payload["detail"],
            "mentor_names": [m.name for m in mentors],
        }
    if payload["reason"] == "missed_check_ins":
        scholar = Scholar.objects.select_related("cohort").get(pk=payload["scholar_id"])
        mentors = Mentor.objects.filter(mentorships__scholar=scholar).order_by("name")
        return {
            "reason": "missed_check_ins",
            "week": week,
            "scholar_name": scholar.name,
            "cohort_name": scholar.cohort.name,
            "mentor_names": [m.name for m in mentors],
            "weeks": [format_week(dt.date.fromisoformat(w)) for w in payload["weeks"]],
        }
    mentorship = Mentorship.objects.select_related("mentor", "scholar__cohort").get(
        pk=payload["mentorship_id"]
    )
    return {
        "reason": "behind_cadence",
        "week": week,
        "scholar_name": mentorship.scholar.name,
        "cohort_name": mentorship.scholar.cohort.name,
        "mentor_names": [mentorship.mentor.name],
        "detail": payload.get("detail", ""),
    }


_CONTEXT_BUILDERS = {
    Kind.REMINDER: _meeting_context,
    Kind.CHANGE: _meeting_context,
    Kind.CANCELLATION: _meeting_context,
    Kind.CHECKIN_PROMPT: _prompt_context,
    Kind.CHECKIN_DIGEST: _digest_context,
    Kind.ESCALATION: _escalation_context,
}


def occurrence_event(meeting: Meeting, *, cancelled: bool = False) -> ics.SingleEvent:
    """One occurrence as a calendar event: the series' UID with the occurrence's RECURRENCE-ID, as in the
    feeds, and SEQUENCE the meeting's version, so a calendar updates the event it already has instead of adding
    a second one. The organizer is the mentor (without an address when they have none)."""
    series = meeting.series
    scholars = active_scholars(series)
    return ics.SingleEvent(
        uid=series.uid,
        summary=series.title,
        description=f"{series.get_kind_display()} with {', '.join([series.mentor.name, *(s.name for s in scholars)])}",
        location="",
        starts_at_utc=meeting.starts_at,
        ends_at_utc=meeting.ends_at,
        time_zone=series.time_zone,
        sequence=meeting.version,
        status="CANCELLED" if cancelled or meeting.status == Meeting.Status.CANCELLED else "CONFIRMED",
        last_modified=meeting.updated_at,
        organizer=ics.CalendarPerson(name=series.mentor.name, email=series.mentor.email),
        attendees=tuple(ics.CalendarPerson(name=s.name, email=s.email) for s in scholars if s.email),
        recurrence_id_utc=meeting.original_start,
    )


def _invitation(notification: Notification) -> Attachment | None:
    """This occurrence as an iTIP invitation (METHOD:CANCEL for a cancellation). None when the mentor, the
    organizer, has no address: RFC 5546 needs one."""
    if not notification.meeting.series.mentor.email:
        return None
    method = "CANCEL" if notification.kind == Kind.CANCELLATION else "REQUEST"
    event = occurrence_event(notification.meeting, cancelled=method == "CANCEL")
    content = ics.render_invitation(event, method=method)
    return Attachment("invite.ics", content, f"text/calendar; method={method}")

"""The rows meeting writes cause: reminders, change and cancellation notices, and weekly check-in prompts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cohort.dates import monday_of
from cohort.models import Person
from mentors.models import Mentor
from scheduling.models import Meeting, Notification
from scheduling.notifications.clashes import meeting_clashes_sync
from scheduling.notifications.rows import (
    LIVE_MEETING_STATUSES,
    MEETING_KINDS,
    NOTICE_HORIZON,
    Channel,
    Kind,
    Status,
    Wanted,
    WriteReport,
    local_instant,
    person_channels,
    person_key,
    recipient_fields,
    weekly_rows,
    with_attendees,
    write_rows,
)
from scheduling.notifications.webhooks import meeting_events_write
from scheduling.services.feedback import FEEDBACK_DELAY, RATEABLE_STATUSES
from scholars.models import Mentorship, Scholar

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
    4. Each attendee's feedback request follows the meeting's end (``_feedback_requests_sync``), and each
       webhook endpoint listening hears of the meeting's new version (``webhooks.meeting_events``).
    5. Calendar clashes of these meetings are opened or resolved (``clashes.meeting_clashes_sync``).
    6. The check-in prompts of the scholars involved are recomputed (see ``_sync_check_in_prompts``).
    """
    now = now or timezone.now()
    ids = [m.pk for m in meetings]
    if not ids:
        return WriteReport()
    loaded = list(with_attendees(Meeting.objects.filter(pk__in=ids)))
    existing = Notification.objects.filter(meeting_id__in=ids, kind__in=MEETING_KINDS).values_list(
        "pk", "dedupe_key", "status", "meeting_id", "meeting_version", "payload"
    )
    current_version = {m.pk: m.version for m in loaded}
    # Per meeting, the latest earlier version's payload, so a change notice can say when and where it was.
    previous: dict[int, tuple[int, dict]] = {}
    pending: dict[str, int] = {}
    for pk, key, status, meeting_id, version, payload in existing:
        if status == Status.PENDING:
            pending[key] = pk
        best = previous.get(meeting_id, (0, {}))[0]
        if "starts_at" in payload and best < (version or 0) < current_version[meeting_id]:
            previous[meeting_id] = (version, payload)

    wanted: list[Wanted] = []
    for meeting in loaded:
        was = previous.get(meeting.pk, (0, {}))[1]
        wanted.extend(_meeting_wanted(meeting, now=now, previous=was))
    wanted_keys = {w.row.dedupe_key for w in wanted}
    report = write_rows(wanted, supersede=(pk for key, pk in pending.items() if key not in wanted_keys))

    report += _feedback_requests_sync(loaded, now=now)
    report += meeting_events_write(loaded)
    meeting_clashes_sync(meetings=loaded, now=now)
    scholar_ids = {s.pk for m in loaded for s in m.series.scholars.all()}
    return report + _sync_check_in_prompts(scholar_ids=scholar_ids, now=now)


def _meeting_wanted(meeting: Meeting, *, now: dt.datetime, previous: dict) -> list[Wanted]:
    """``previous``: the payload of the meeting's latest earlier version (empty when none is known)."""
    payload = _meeting_payload(meeting)
    notice_due = meeting.starts_at > now and meeting.starts_at - now <= NOTICE_HORIZON
    wanted = []

    def row(
        kind: str, person: Person, channel: str, key_tail: str, due_at: dt.datetime, extra: dict
    ) -> Notification:
        return Notification(
            kind=kind,
            channel=channel,
            dedupe_key=f"{kind}:meeting={meeting.pk}:v={meeting.version}:{person_key(person)}:{channel}{key_tail}",
            due_at=due_at,
            meeting=meeting,
            meeting_version=meeting.version,
            payload={**payload, **extra},
            **recipient_fields(person),
        )

    for person in _attendees(meeting):
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
                    # Rows written before places were kept in payloads know no previous place (None).
                    was = {f"previous_{key}": previous.get(key) for key in ("starts_at", "ends_at", "place")}
                    notice = row(Kind.CHANGE, person, channel, "", now, was)
                    wanted.append(Wanted(notice, creatable=notice_due))
            elif meeting.status == Meeting.Status.CANCELLED:
                wanted.append(
                    Wanted(row(Kind.CANCELLATION, person, channel, "", now, {}), creatable=notice_due)
                )
    return wanted


def _meeting_payload(meeting: Meeting) -> dict:
    return {
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.series.place,
    }


def _attendees(meeting: Meeting) -> list[Person]:
    return [meeting.series.mentor, *meeting.series.scholars.all()]


def feedback_requests_write(*, as_of: dt.datetime) -> WriteReport:
    """The feedback requests of meetings ending before NOTICE_HORIZON is out that have none yet: meetings published
    before there were feedback requests (an upgrade), or that a write left without. Idempotent."""
    requested = Notification.objects.filter(meeting=OuterRef("pk"), kind=Kind.FEEDBACK_REQUEST)
    meetings = with_attendees(
        Meeting.objects.filter(
            ~Exists(requested),
            status__in=RATEABLE_STATUSES,
            ends_at__gt=as_of - FEEDBACK_DELAY,
            ends_at__lte=as_of + NOTICE_HORIZON,
        )
    )
    return write_rows(_feedback_requests_wanted(list(meetings), now=as_of))


def _feedback_requests_wanted(meetings: list[Meeting], *, now: dt.datetime) -> list[Wanted]:
    """One request per attendee with an address, by email only: the link rates without signing in, so it goes to
    the person alone (a Slack webhook may post to a shared channel)."""
    wanted = []
    for meeting in meetings:
        if meeting.status not in RATEABLE_STATUSES:
            continue
        due_at = meeting.ends_at + FEEDBACK_DELAY
        for person in _attendees(meeting):
            if person.email:
                request = Notification(
                    kind=Kind.FEEDBACK_REQUEST,
                    channel=Channel.EMAIL,
                    dedupe_key=f"{Kind.FEEDBACK_REQUEST}:meeting={meeting.pk}:{person_key(person)}:email",
                    due_at=due_at,
                    meeting=meeting,
                    meeting_version=meeting.version,
                    payload=_meeting_payload(meeting),
                    **recipient_fields(person),
                )
                wanted.append(Wanted(request, creatable=due_at > now))
    return wanted


def _feedback_requests_sync(meetings: list[Meeting], *, now: dt.datetime) -> WriteReport:
    """Asked of each attendee once the meeting is over: one request per meeting and person, ever, kept in step
    with the meeting. A move takes a pending request with it; a meeting cancelled or marked missed, or an attendee
    gone, sets it aside (superseded), and the meeting coming back (the calendar gives the date back, missed is
    corrected to held) brings it back, so no change of mind loses it. Sent ones are left be."""
    wanted = {w.row.dedupe_key: w for w in _feedback_requests_wanted(meetings, now=now)}
    back: list[Notification] = []
    set_aside: list[int] = []
    for pk, key, status, due_at in Notification.objects.filter(
        meeting__in=meetings, kind=Kind.FEEDBACK_REQUEST
    ).values_list("pk", "dedupe_key", "status", "due_at"):
        request = wanted.pop(key, None)
        if request is None:
            if status == Status.PENDING:
                set_aside.append(pk)
        elif status == Status.SUPERSEDED or (status == Status.PENDING and due_at != request.row.due_at):
            back.append(Notification(pk=pk, status=Status.PENDING, due_at=request.row.due_at, last_error=""))
    Notification.objects.bulk_update(back, ["status", "due_at", "last_error"])
    return write_rows(wanted.values(), supersede=set_aside) + WriteReport(rescheduled=len(back))


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
    window_start = dt.datetime.combine(monday_of(now.date()) - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
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
        for key, row in weekly_rows(
            kind=Kind.CHECKIN_PROMPT, person=scholar, week=week, due_at=due_at
        ).items():
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
    return write_rows(wanted.values(), supersede=stale) + WriteReport(rescheduled=len(moved))

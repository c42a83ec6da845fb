"""Edits of single meetings by staff and mentors: move, cancel, mark held or missed, cancel the rest of a series.

Each edit leaves an audit entry naming who made it (``by``; None: the system) and each field's before and after.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cohort.generation import rows_changed
from cohort.models import Cohort
from cohort.services import RowChange, Snapshot, acting_user, audit_write, row_snapshot
from scheduling.models import SETTLED_STATUSES, Meeting, MeetingSeries
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.notifications.rows import LIVE_MEETING_STATUSES
from scheduling.planner import Person as PlannedPerson
from scheduling.planner.validate import inside_windows, outside_limits, over_caps
from scheduling.problem_builder import mentor_person, scholar_person
from scholars.models import BusyBlock

logger = logging.getLogger(__name__)


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("series").get(pk=meeting.pk)


def _upcoming_locked(which: Q) -> list[Meeting]:
    """The upcoming live meetings of the series ``which`` selects, locked. Meetings go before their series, the
    order plans, refreshes and single edits lock them in, so no two writes wait on each other in opposite orders."""
    return list(
        Meeting.objects.select_for_update()
        .filter(
            series__in=MeetingSeries.objects.filter(which),
            status__in=LIVE_MEETING_STATUSES,
            starts_at__gt=timezone.now(),
        )
        .order_by("pk")
    )


def _bump(
    meeting: Meeting, fields: list[str], *, before: Snapshot, by: AbstractBaseUser | None, reason: str = ""
) -> None:
    meeting.version += 1
    meeting.save(update_fields=[*fields, "version", "updated_at"])
    MeetingSeries.objects.filter(pk=meeting.series_id).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    sync_meeting_notifications(meetings=[meeting])
    audit_write(
        changes=[RowChange.of(meeting, before=before, cohort_ids=[meeting.series.cohort_id])],
        by=by,
        reason=reason,
    )


def _attendee_conflict(meeting: Meeting, starts_at: dt.datetime, ends_at: dt.datetime) -> Meeting | None:
    series = meeting.series
    scholar_ids = list(series.scholars.values_list("pk", flat=True))
    return (
        Meeting.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(pk=meeting.pk)
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(Q(series__mentor=series.mentor_id) | Q(series__scholars__in=scholar_ids))
        .select_related("series")
        .first()
    )


def _move_instant(value: dt.datetime, zone: ZoneInfo, field: str) -> dt.datetime:
    """The instant a move asks for; a naive value is wall-clock time in the series' zone.

    A wall-clock time the zone skips (clocks go forward) names no instant, and one it has twice (clocks go back)
    names two, which calendar clients resolve differently: both are refused rather than guessed.
    """
    try:
        if value.tzinfo is None:
            local = value.replace(tzinfo=zone)
            if local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != value:
                raise ValidationError(
                    {
                        field: f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip that hour "
                        "when daylight saving time starts. Choose another time."
                    }
                )
        else:
            local = value.astimezone(zone)
        if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
            raise ValidationError(
                {
                    field: f"{local:%Y-%m-%d %H:%M} happens twice in {zone.key}: the clocks go back that night, "
                    "so calendars could show either. Choose another time."
                }
            )
        return local.astimezone(dt.UTC)
    except OverflowError as error:
        raise ValidationError({field: "That date is out of range."}) from error


def _outside_cohort(meeting: Meeting, starts_at: dt.datetime) -> str | None:
    """Why the new start's date (in the series' zone) is not a day of the cohort, if it is not."""
    series = meeting.series
    cohort = series.cohort
    day = starts_at.astimezone(ZoneInfo(series.time_zone)).date()
    if not cohort.start_date <= day <= cohort.end_date:
        return f"{day} is outside the cohort ({cohort.start_date} to {cohort.end_date})."
    pause = cohort.breaks.filter(start_date__lte=day, end_date__gte=day).first()
    if pause is not None:
        return f"{day} is in the cohort's break “{pause.name}” ({pause.start_date} to {pause.end_date})."
    return None


def _outside_hours(meeting: Meeting, starts_at: dt.datetime, ends_at: dt.datetime) -> list[str]:
    """Who cannot meet then: outside the mentor's availability (weekly, or added for that date) or a scholar's
    working days and hours, against their
    limits (earliest, latest, days off, buffer, daily and weekly caps), away on a blackout, or busy in their own
    calendar, each in that person's own zone. Staff may still move the meeting there, with a reason."""
    mentor = meeting.series.mentor
    people = [(mentor, mentor_person(mentor), "availability")]
    for scholar in meeting.series.scholars.order_by("name"):
        if scholar.is_active:
            people.append((scholar, scholar_person(scholar), "working days and hours"))
    problems: list[str] = []
    for person, hours, what in people:
        local_start = starts_at.astimezone(ZoneInfo(person.time_zone))
        # The planner's own tests of a placement, so a move is held to the hours and limits a plan is.
        if not inside_windows(hours, starts_at, ends_at):
            problems.append(
                f"{local_start:%a %H:%M} in {person.time_zone} is outside {person.name}'s {what}."
            )
        problems += [
            f"{local_start:%a %H:%M} in {person.time_zone}: {broken}."
            for broken in outside_limits(hours, starts_at, ends_at)
        ]
        owned = Q(series__mentor=person) if person is mentor else Q(series__scholars=person)
        problems += _limits_against_other_meetings(meeting, owned, hours, starts_at, ends_at)
        local_end = ends_at.astimezone(ZoneInfo(person.time_zone))
        nearby = person.blackouts.filter(start_date__lte=local_end.date(), end_date__gte=local_start.date())
        if blackout := next((b for b in nearby if b.away_during(starts_at, ends_at, person.time_zone)), None):
            why = f" ({blackout.reason})" if blackout.reason else ""
            hours = f" {blackout.hours_label}" if blackout.is_part_day else ""
            problems.append(f"{person.name} is away on {local_start.date()}{hours}{why}.")
        owner = {"source__mentor" if person is mentor else "source__scholar": person}
        # Their buffer keeps meetings that far from a busy time too, as plans do; a busy time it overlaps is named
        # before one it only comes near.
        buffer = dt.timedelta(minutes=person.meeting_buffer_minutes)
        nearby = BusyBlock.objects.filter(
            **owner, starts_at__lt=ends_at + buffer, ends_at__gt=starts_at - buffer
        ).order_by("starts_at")
        busy = nearby.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first() or nearby.first()
        if busy is not None:
            zone = ZoneInfo(person.time_zone)
            near = busy.starts_at >= ends_at or busy.ends_at <= starts_at
            problems.append(
                f"{person.name}'s own calendar shows them busy "
                f"{busy.starts_at.astimezone(zone):%H:%M}–{busy.ends_at.astimezone(zone):%H:%M}"
                + (f", within their {person.meeting_buffer_minutes} min buffer." if near else ".")
            )
    return problems


def _limits_against_other_meetings(
    meeting: Meeting, owned: Q, person: PlannedPerson, starts_at: dt.datetime, ends_at: dt.datetime
) -> list[str]:
    """The person's buffer and daily and weekly caps, with the meeting at its new time among their others."""
    limits = person.limits
    if not limits.buffer_minutes and not limits.caps():
        return []
    zone = ZoneInfo(person.time_zone)
    day = starts_at.astimezone(zone).date()
    monday = day - dt.timedelta(days=day.weekday())
    buffer = dt.timedelta(minutes=limits.buffer_minutes)
    week_starts = dt.datetime.combine(monday, dt.time(0), tzinfo=zone)
    week_ends = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=zone)
    others = list(
        Meeting.objects.filter(owned, starts_at__lt=week_ends + buffer, ends_at__gt=week_starts - buffer)
        .exclude(pk=meeting.pk)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("series")
        .order_by("starts_at")
    )
    problems = []
    near = next(
        (m for m in others if m.starts_at < ends_at + buffer and starts_at < m.ends_at + buffer), None
    )
    if buffer and near is not None:
        problems.append(
            f"{person.name} keeps {limits.buffer_minutes} min free around meetings; "
            f"“{near.series.title}” is at {near.starts_at.astimezone(zone):%a %H:%M}."
        )
    in_week = [(m.starts_at, m.ends_at, "") for m in others if week_starts <= m.starts_at < week_ends]
    # Only what the move breaks: a cap already exceeded elsewhere that week is not this move's doing.
    before = set(over_caps(person, [*in_week, (meeting.starts_at, meeting.ends_at, "")]))
    after = over_caps(person, [*in_week, (starts_at, ends_at, "")])
    problems += [f"{broken}." for broken in after if broken not in before]
    return problems


@transaction.atomic
def meeting_move(
    *,
    meeting: Meeting,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    by: AbstractBaseUser | None = None,
    by_staff: bool = False,
    force: bool = False,
    reason: str = "",
) -> Meeting:
    """Move one occurrence to a future time inside the cohort, with no attendee double-booked.

    Naive times are wall-clock times in the series' zone, refused where the zone skips or repeats them. A time
    outside the mentor's availability or a scholar's working hours, or against someone's limits, is refused unless
    staff force it, saying why;
    the reason is kept in the meeting's private notes.
    """
    meeting = _locked(meeting)
    before = row_snapshot(meeting)
    zone = ZoneInfo(meeting.series.time_zone)
    # Forcing is asked for up front, so a mentor learns at once that it is not theirs to ask.
    if force and not by_staff:
        raise ValidationError(
            {"force": "Only staff can move a meeting outside someone's availability or working hours."}
        )
    reason = reason.strip()
    if force and not reason:
        raise ValidationError({"reason": "Say why the meeting is moved outside the usual hours."})
    if meeting.status in (*SETTLED_STATUSES, Meeting.Status.CANCELLED):
        raise ValidationError(
            {"status": f"A {meeting.get_status_display().lower()} meeting cannot be moved."}
        )
    starts_at = _move_instant(starts_at, zone, "starts_at")
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": "A meeting can only be moved to a time in the future."})
    not_a_cohort_day = _outside_cohort(meeting, starts_at)
    if not_a_cohort_day:
        raise ValidationError({"starts_at": not_a_cohort_day})
    if ends_at is None:
        ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    else:
        ends_at = _move_instant(ends_at, zone, "ends_at")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The meeting must end after it starts."})
    clash = _attendee_conflict(meeting, starts_at, ends_at)
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": f"That time overlaps “{clash.series.title}” at {clash.starts_at:%Y-%m-%d %H:%M} UTC."
            }
        )
    fields = ["starts_at", "ends_at", "status"]
    outside = _outside_hours(meeting, starts_at, ends_at)
    if outside and not force:
        way_out = "Force the move and say why" if by_staff else "Only staff can move it there anyway"
        raise ValidationError({"starts_at": [*outside, f"{way_out}."]})
    if outside:
        # Kept with the meeting too, where its mentor reads it (the audit trail is for staff).
        note = f"{timezone.now():%Y-%m-%d %H:%M} UTC, moved by {by} although: {' '.join(outside)} Reason: {reason}"
        meeting.private_notes = f"{meeting.private_notes}\n{note}".strip()
        fields.append("private_notes")
        logger.info("meeting %s moved outside usual hours by %s: %s", meeting.pk, by, reason)
    meeting.starts_at, meeting.ends_at, meeting.status = starts_at, ends_at, Meeting.Status.MOVED
    _bump(meeting, fields, before=before, by=by, reason=reason)
    return meeting


@transaction.atomic
def series_place_set(
    *, series: MeetingSeries, place: str, by: AbstractBaseUser | None = None
) -> MeetingSeries:
    """Set where a recurring meeting happens (a video link or a room; empty: the mentor's own place).

    It is set on every series of the same meeting with the same mentor in the cohort (the stretches one meeting
    is published as, and the ones a re-plan makes from them), each bumped, so feeds show it at once, and its
    attendees are told (``_attendees_told_of_place``). Raises ValidationError on ``meeting_place``, having written
    nothing.
    """
    place = place.strip()
    try:
        MeetingSeries._meta.get_field("meeting_place").run_validators(place)
    except ValidationError as error:
        raise ValidationError({"meeting_place": error.messages}) from error
    # One writer of a cohort's series at a time: a plan applied meanwhile would copy the old place.
    Cohort.objects.select_for_update().get(pk=series.cohort_id)
    same_meeting = Q(cohort_id=series.cohort_id, demand_key=series.demand_key, mentor_id=series.mentor_id)
    upcoming = _upcoming_locked(same_meeting)
    rows = MeetingSeries.objects.select_for_update(of=("self",)).select_related("mentor").filter(same_meeting)
    changes, elsewhere = [], []
    for row in rows.exclude(meeting_place=place).order_by("pk"):
        before, in_effect = row_snapshot(row), row.place
        row.meeting_place, row.version = place, row.version + 1
        row.save(update_fields=["meeting_place", "version", "updated_at"])
        changes.append(RowChange.of(row, before=before, cohort_ids=[row.cohort_id]))
        # Its own place set to the mentor's, or cleared back to it, is where it already was: nobody is told.
        if row.place != in_effect:
            elsewhere.append(row.pk)
    if changes:
        audit_write(changes=changes, by=by)
    if elsewhere:
        _attendees_told_of_place([meeting for meeting in upcoming if meeting.series_id in elsewhere])
    return rows.get(pk=series.pk)


@transaction.atomic
def mentor_place_followed(*, mentor_id: int) -> None:
    """The mentor's own place changed: the series that take it (no place of their own) show it from now on, and
    their attendees are told as they are of a series' new place."""
    # A day's slack: a series' last date is in its own zone, which may still be on yesterday.
    takes_theirs = Q(
        mentor_id=mentor_id, meeting_place="", ends_on__gte=timezone.localdate() - dt.timedelta(days=1)
    )
    upcoming = _upcoming_locked(takes_theirs)
    series_ids = list(
        MeetingSeries.objects.select_for_update()
        .filter(takes_theirs)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not series_ids:
        return
    MeetingSeries.objects.filter(pk__in=series_ids).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    _attendees_told_of_place(upcoming)


def _attendees_told_of_place(meetings: list[Meeting]) -> None:
    """Each of the upcoming ``meetings`` (locked) gets a new version, as a move gives it: calendars that imported it
    or its invitation take the new place (SEQUENCE goes up), reminders carry it, and attendees get a change notice
    for the meetings close enough to be told of a move."""
    now = timezone.now()
    Meeting.objects.filter(pk__in=[meeting.pk for meeting in meetings]).update(
        version=F("version") + 1, updated_at=now
    )
    sync_meeting_notifications(meetings=meetings, now=now)


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: AbstractBaseUser | None = None) -> Meeting:
    meeting = _locked(meeting)
    before = row_snapshot(meeting)
    if meeting.status in SETTLED_STATUSES:
        raise ValidationError(
            {"status": f"A {meeting.get_status_display().lower()} meeting cannot be cancelled."}
        )
    if meeting.status == Meeting.Status.CANCELLED:
        return meeting
    meeting.status, meeting.cancelled_by = Meeting.Status.CANCELLED, acting_user(by)
    _bump(meeting, ["status", "cancelled_by"], before=before, by=by)
    return meeting


@transaction.atomic
def series_cancel_rest(
    *, series: MeetingSeries, from_instant: dt.datetime, by: AbstractBaseUser | None = None
) -> list[Meeting]:
    """Cancel every not-yet-settled meeting of the series from an instant on (an audit entry for each)."""
    meetings = list(
        series.meetings.select_for_update()
        .filter(starts_at__gte=from_instant)
        .exclude(status__in=(*SETTLED_STATUSES, Meeting.Status.CANCELLED))
    )
    befores = [row_snapshot(meeting) for meeting in meetings]
    for meeting in meetings:
        meeting.status, meeting.version = Meeting.Status.CANCELLED, meeting.version + 1
        meeting.cancelled_by = acting_user(by)
    Meeting.objects.bulk_update(meetings, ["status", "version", "cancelled_by"])
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(updated_at=timezone.now())
    MeetingSeries.objects.filter(pk=series.pk).update(version=F("version") + 1, updated_at=timezone.now())
    rows_changed()  # bulk writes send no signal
    sync_meeting_notifications(meetings=meetings)
    audit_write(
        changes=[
            RowChange.of(meeting, before=before, cohort_ids=[series.cohort_id])
            for meeting, before in zip(meetings, befores, strict=True)
        ],
        by=by,
        reason=f"The rest of the series cancelled from {from_instant:%Y-%m-%d %H:%M} UTC.",
    )
    return meetings


@transaction.atomic
def meeting_mark(*, meeting: Meeting, status: str, by: AbstractBaseUser | None = None) -> Meeting:
    """Mark a meeting held or missed, once it has started."""
    if status not in (Meeting.Status.HELD, Meeting.Status.MISSED):
        raise ValidationError({"status": "A meeting can be marked held or missed."})
    meeting = _locked(meeting)
    before = row_snapshot(meeting)
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError({"status": "A cancelled meeting cannot be marked held or missed."})
    if meeting.starts_at > timezone.now():
        raise ValidationError({"status": "A meeting can be marked held or missed only once it has started."})
    meeting.status = status
    _bump(meeting, ["status"], before=before, by=by)
    return meeting

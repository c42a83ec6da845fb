"""Meetings, series and a cohort's programme as calendar events: the one mapping feeds, downloads and e-mailed
invitations share, so every calendar sees the same UID, RECURRENCE-ID and SEQUENCE for a meeting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from django.db.models import Q

from cohort.models import Break, Person, Phase, ProgramEvent
from mentors.models import Mentor
from scheduling import ics
from scheduling.models import Meeting, MeetingSeries
from scheduling.recurrence import expand


class MeetingTimes(NamedTuple):
    """What a calendar shows of one meeting: a feed reads thousands, as plain rows rather than model instances."""

    series_id: int
    original_start: dt.datetime
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    version: int
    updated_at: dt.datetime


def series_event(
    series: MeetingSeries,
    *,
    meetings: Sequence[MeetingTimes],
    attendees: Sequence[ics.CalendarPerson],
    alarm_minutes: tuple[int, ...] = (),
) -> ics.SeriesEvent | None:
    """One VEVENT with an RRULE, plus overrides, so clients show exactly the series' ``meetings``.

    The mentor and every scholar of the series (``attendees``, made by ``calendar_person``) are in it, each with
    their ``person_key``: a feed names only those its subscriber may see (``ics.CalendarTemplate.assemble``).

    Occurrences the rule makes but that have no meeting (a break, a blackout) and cancelled ones become EXDATEs;
    moved ones become RECURRENCE-ID overrides carrying their own SEQUENCE. A series whose rule makes no
    occurrence at all has nothing to show and gives None.
    """
    by_original = {m.original_start: m for m in meetings}
    rule = series.weekly_rule()
    occurrences = expand(rule, first_day=series.starts_on, last_day=series.ends_on, skip=None)
    if not occurrences:
        return None
    exdates = []
    overrides = []
    for occurrence in occurrences:
        meeting = by_original.get(occurrence.starts_at_utc)
        if meeting is None or meeting.status == Meeting.Status.CANCELLED:
            exdates.append(occurrence.starts_at_utc)
        elif meeting.starts_at != meeting.original_start or meeting.ends_at != occurrence.ends_at_utc:
            overrides.append(
                ics.OccurrenceOverride(
                    original_start_utc=meeting.original_start,
                    status="moved",
                    starts_at_utc=meeting.starts_at,
                    ends_at_utc=meeting.ends_at,
                    sequence=meeting.version,
                    last_modified=meeting.updated_at,
                )
            )
    last_modified = max([series.updated_at, *(m.updated_at for m in meetings)])
    return ics.SeriesEvent(
        uid=series.uid,
        summary=series.title,
        # Feeds never carry private notes: only what every attendee may see, and names the subscriber may see.
        description=series.get_kind_display(),
        names_people=True,
        location=series.place,
        rule=rule,
        # The rule's own wall clock, even on a spring-forward day where the instant shifts.
        first_start_local=dt.datetime.combine(occurrences[0].local_date, series.start_time),
        until_utc=occurrences[-1].starts_at_utc,
        sequence=series.version,
        last_modified=last_modified,
        organizer=calendar_person(Mentor, series.mentor_id, series.mentor.name, series.mentor.email),
        attendees=tuple(attendees),
        overrides=tuple(overrides),
        exdates_utc=tuple(exdates),
        alarm_minutes=alarm_minutes,
    )


def calendar_person(model: type[Person], pk: int, name: str, email: str) -> ics.CalendarPerson:
    return ics.CalendarPerson(name=name, email=email, key=person_key(model, pk))


def person_key(model: type[Person], pk: int) -> str:
    """Who a person is in a calendar template: ``scholar:12``, ``mentor:3``."""
    return f"{model._meta.model_name}:{pk}"


def cohort_calendar_events(
    cohort_id: int, *, stream_id: int | None = None
) -> list[ics.AllDayEvent | ics.SingleEvent]:
    """The programme's phases and breaks as all-day events, and its events: the whole cohort's, and with
    ``stream_id`` also that stream's own."""
    spans = [*Phase.objects.filter(cohort_id=cohort_id), *Break.objects.filter(cohort_id=cohort_id)]
    events: list[ics.AllDayEvent | ics.SingleEvent] = [
        ics.AllDayEvent(
            uid=f"{type(span).__name__.lower()}-{span.pk}@cohortops",
            summary=span.name if isinstance(span, Phase) else f"Break: {span.name}",
            description="",
            start=span.start_date,
            end_inclusive=span.end_date,
            sequence=0,
            last_modified=span.updated_at,
        )
        for span in sorted(spans, key=lambda s: (s.start_date, s.pk))
    ]
    audience = Q(stream__isnull=True) | Q(stream_id=stream_id) if stream_id else Q(stream__isnull=True)
    for event in ProgramEvent.objects.filter(audience, cohort_id=cohort_id).select_related("cohort"):
        events.append(
            ics.SingleEvent(
                uid=f"program-event-{event.pk}@cohortops",
                summary=event.title,
                description=event.description,
                location=event.location,
                starts_at_utc=event.starts_at,
                ends_at_utc=event.ends_at,
                time_zone=event.cohort.time_zone,
                sequence=0,
                status="CONFIRMED",
                last_modified=event.updated_at,
            )
        )
    return events


def occurrence_event(meeting: Meeting, *, cancelled: bool = False) -> ics.SingleEvent:
    """One occurrence as a calendar event: the series' UID with the occurrence's RECURRENCE-ID, as in the
    feeds, and SEQUENCE the meeting's version, so a calendar updates the event it already has instead of adding
    a second one. The organizer is the mentor (without an address when they have none)."""
    series = meeting.series
    scholars = series.active_scholars()
    return ics.SingleEvent(
        uid=series.uid,
        summary=series.title,
        description=f"{series.get_kind_display()} with {', '.join([series.mentor.name, *(s.name for s in scholars)])}",
        location=series.place,
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


def meeting_calendar(meeting: Meeting) -> bytes:
    """One meeting as a calendar file to download, with the same UID and RECURRENCE-ID as in the feeds, so
    importing it next to a subscription updates that occurrence rather than duplicating it."""
    event = occurrence_event(meeting)
    return ics.render_calendar(
        name=meeting.series.title,
        time_zone=meeting.series.time_zone,
        events=[event],
        last_modified=event.last_modified,
        method="PUBLISH",
    )

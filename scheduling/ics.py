"""One iCalendar builder over already-fetched data: every feed and every mailed invitation goes through it.

What calendar clients need, and how it is met here:
- Series are one VEVENT with DTSTART;TZID in the series' IANA zone and an RRULE whose UNTIL is UTC, so clients
  keep the wall clock across daylight-saving changes; every TZID gets a VTIMEZONE (STANDARD and DAYLIGHT parts).
- Output is a pure function of the data: DTSTAMP is the last change, never "now", and components and time zones
  are sorted, so an unchanged feed renders to identical bytes (and ETags can match).
- A cancelled occurrence is an EXDATE on the master and nothing else. A RECURRENCE-ID override with
  STATUS:CANCELLED is still an occurrence to many readers (recurring_ical_events expands it, with its status;
  Nextcloud draws it struck through), while EXDATE;TZID on the master is what Google's and Outlook's own feeds
  write for a deleted occurrence, and what recurring_ical_events leaves out.
- A moved occurrence is a VEVENT with the master's UID and a RECURRENCE-ID naming the start the rule gave it.
  EXDATE and RECURRENCE-ID are written exactly as the RRULE generates them (the rule's local wall clock with the
  series' TZID), so they match even on a night the clocks change.
- A calendar is rendered once as a template and assembled for each audience: the lines naming people
  (DESCRIPTION, ORGANIZER, ATTENDEE) are filled in with only those the reader may see.
- Content lines are written here, escaped and folded per RFC 5545; icalendar builds only the VTIMEZONEs. Building
  every property through icalendar's components took six times as long as the rest of a feed's render, and the
  tests read every output back with icalendar and recurring_ical_events.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Timezone, vDuration

from scheduling.recurrence import UTC, Occurrence, WeeklyRule, expand, iana_zone, rrule_string

PRODID = "-//cohortops//cohortops//EN"
# RFC 5545 3.3.11: TEXT holds no control character but HTAB and line breaks (escaped as \n).
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# RFC 5545 3.1: a parameter value holds no control character at all, nor a DQUOTE.
PARAMETER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, kw_only=True)
class CalendarPerson:
    name: str
    email: str
    # Who this is, for the audience a template is assembled for (CalendarTemplate.assemble); "" shows to everyone.
    key: str = ""


@dataclass(frozen=True, kw_only=True)
class PeopleSlot:
    """The lines of one component that depend on whom the reader may see: its DESCRIPTION when that names
    people, its ORGANIZER and its ATTENDEEs."""

    description: str
    names_people: bool
    organizer: CalendarPerson | None
    attendees: tuple[CalendarPerson, ...]

    def lines(self, visible: Collection[str] | None) -> bytes:
        def shown(person: CalendarPerson) -> bool:
            return visible is None or not person.key or person.key in visible

        organizer = self.organizer if self.organizer is not None and shown(self.organizer) else None
        attendees = [person for person in self.attendees if shown(person)]
        description = self.description
        if self.names_people:
            description = _people_description(description, organizer, attendees)
        lines = [_line("DESCRIPTION", _escaped(description))] if description else []
        if organizer is not None and organizer.email:
            lines.append(_address("ORGANIZER", organizer))
        # A person without an email address has no calendar address (a mailto: URI) to list.
        lines += [_address("ATTENDEE", person) for person in attendees if person.email]
        return b"".join(lines)


@dataclass(frozen=True)
class CalendarTemplate:
    """A calendar rendered once for every reader: its bytes, with a slot in each event for the people lines,
    which ``assemble`` fills for one audience. A shared feed renders once and assembles per subscriber."""

    pieces: tuple[bytes | PeopleSlot, ...]

    def assemble(self, visible: Collection[str] | None = None) -> bytes:
        """The calendar naming only the people whose key is in ``visible`` (and those without a key); None
        names everyone."""
        return b"".join(piece if isinstance(piece, bytes) else piece.lines(visible) for piece in self.pieces)


@dataclass(frozen=True, kw_only=True)
class OccurrenceOverride:
    """One occurrence of a series that no longer happens where the rule put it."""

    original_start_utc: dt.datetime
    status: Literal["moved", "cancelled"]
    starts_at_utc: dt.datetime | None
    ends_at_utc: dt.datetime | None
    sequence: int
    last_modified: dt.datetime

    def __post_init__(self) -> None:
        if self.status == "moved" and (
            self.starts_at_utc is None or self.ends_at_utc is None or self.ends_at_utc <= self.starts_at_utc
        ):
            raise ValueError(f"A moved occurrence needs a start and a later end, got {self!r}.")
        if self.status not in ("moved", "cancelled"):
            raise ValueError(f"Override status must be 'moved' or 'cancelled', got {self.status!r}.")


@dataclass(frozen=True, kw_only=True)
class SeriesEvent:
    """A recurring meeting as a calendar shows it.

    ``first_start_local`` is the rule's own wall clock on its first date (naive, in ``rule.time_zone``): it becomes
    DTSTART, from which the RRULE repeats. ``exdates_utc`` and cancelled overrides are occurrences (by their UTC
    start) that do not happen: breaks, blackouts, cancellations.
    """

    uid: str
    summary: str
    description: str
    location: str
    rule: WeeklyRule
    first_start_local: dt.datetime
    until_utc: dt.datetime
    sequence: int
    last_modified: dt.datetime
    organizer: CalendarPerson | None
    attendees: tuple[CalendarPerson, ...]
    # DESCRIPTION goes on to name the organizer and attendees the reader may see.
    names_people: bool = False
    overrides: tuple[OccurrenceOverride, ...] = ()
    exdates_utc: tuple[dt.datetime, ...] = ()
    alarm_minutes: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        first = self.first_start_local
        if (
            first.tzinfo is not None
            or first.time() != self.rule.start
            or not self.rule.falls_on(first.date())
        ):
            raise ValueError(
                f"Series {self.uid}: first_start_local {first} must be the rule's naive wall clock "
                f"({self.rule.start}) on one of its dates; DTSTART is where the RRULE repeats from."
            )
        if self.until_utc.tzinfo is None:
            raise ValueError(f"Series {self.uid}: until_utc must be an aware datetime.")


@dataclass(frozen=True, kw_only=True)
class AllDayEvent:
    """A span of whole days (a cohort phase, a break), both ends included."""

    uid: str
    summary: str
    description: str
    start: dt.date
    end_inclusive: dt.date
    sequence: int
    last_modified: dt.datetime

    def __post_init__(self) -> None:
        if self.end_inclusive < self.start:
            raise ValueError(
                f"Event {self.uid} cannot end ({self.end_inclusive}) before it starts ({self.start})."
            )


@dataclass(frozen=True, kw_only=True)
class SingleEvent:
    """One meeting. With ``recurrence_id_utc`` it is that occurrence of the series whose UID it carries."""

    uid: str
    summary: str
    description: str
    location: str
    starts_at_utc: dt.datetime
    ends_at_utc: dt.datetime
    time_zone: str
    sequence: int
    status: Literal["CONFIRMED", "CANCELLED"]
    last_modified: dt.datetime
    organizer: CalendarPerson | None = None
    attendees: tuple[CalendarPerson, ...] = ()
    names_people: bool = False
    alarm_minutes: tuple[int, ...] = ()
    recurrence_id_utc: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.ends_at_utc <= self.starts_at_utc:
            raise ValueError(f"Event {self.uid} must end after it starts.")
        if self.status not in ("CONFIRMED", "CANCELLED"):
            raise ValueError(f"Event status must be CONFIRMED or CANCELLED, got {self.status!r}.")
        iana_zone(self.time_zone)


CalendarEvent = SeriesEvent | AllDayEvent | SingleEvent


def render_calendar(
    *,
    name: str,
    time_zone: str,
    events: Iterable[CalendarEvent],
    last_modified: dt.datetime,
    refresh_minutes: int = 60,
    method: str | None = None,
) -> bytes:
    """A subscribable VCALENDAR holding the events, naming everyone in them; identical bytes for identical data."""
    return calendar_template(
        name=name,
        time_zone=time_zone,
        events=events,
        last_modified=last_modified,
        refresh_minutes=refresh_minutes,
        method=method,
    ).assemble()


def calendar_template(
    *,
    name: str,
    time_zone: str,
    events: Iterable[CalendarEvent],
    last_modified: dt.datetime,
    refresh_minutes: int = 60,
    method: str | None = None,
) -> CalendarTemplate:
    """A subscribable VCALENDAR holding the events, to assemble for any audience.

    ``last_modified`` is the calendar's last change (RFC 7986 LAST-MODIFIED); an empty calendar takes the year
    of its time zone's definition from it.
    """
    if last_modified.tzinfo is None:
        raise ValueError(f"Calendar {name!r}: last_modified must be an aware datetime.")
    events = list(events)
    _refuse_duplicate_uids(events)
    refresh = _duration(dt.timedelta(minutes=refresh_minutes))
    header = [
        *_calendar_header(method),
        _line("NAME", _escaped(name)),
        _line("X-WR-CALNAME", _escaped(name)),
        _line("LAST-MODIFIED", _utc(last_modified)),
        _line("X-WR-TIMEZONE", iana_zone(time_zone).key),
        # RFC 7986 makes VALUE=DURATION part of REFRESH-INTERVAL; X-PUBLISHED-TTL is the older hint Outlook reads.
        _line("REFRESH-INTERVAL;VALUE=DURATION", refresh),
        _line("X-PUBLISHED-TTL", refresh),
    ]
    components = _components(events)
    zones = _time_zones(components, events)
    if not components:
        # RFC 5545's icalbody needs at least one component: an empty calendar carries its own zone, which
        # clients ignore until an event names it.
        year = last_modified.astimezone(UTC).year
        zones = [_vtimezone(iana_zone(time_zone).key, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))]
    return _template(header, zones, components)


def render_invitation(event: SingleEvent | SeriesEvent, *, method: Literal["REQUEST", "CANCEL"]) -> bytes:
    """An iTIP message for a mail attachment: the event's own UID, METHOD, and for CANCEL STATUS:CANCELLED."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Invitation method must be REQUEST or CANCEL, got {method!r}.")
    if event.organizer is None or not event.organizer.email:
        raise ValueError(
            f"Event {event.uid}: an invitation needs an organizer with an email address (RFC 5546)."
        )
    # Cancelling a series cancels the master and with it every occurrence; overrides are not sent, and no alarm
    # rings for a meeting that will not happen.
    cancel = method == "CANCEL"
    components = _components([event], cancelled=cancel)[: 1 if cancel else None]
    return _template(list(_calendar_header(method)), _time_zones(components, [event]), components).assemble()


@dataclass(frozen=True)
class _Component:
    """One VEVENT's pieces, with what orders it among the others and the zones its times name."""

    order: tuple[str, bool, dt.datetime]
    pieces: tuple[bytes | PeopleSlot, ...]
    tzids: frozenset[str]


def _template(
    header: Sequence[bytes], zones: Sequence[bytes], components: Sequence[_Component]
) -> CalendarTemplate:
    """Properties, then the VTIMEZONEs before the events that name them, then the events by UID, each master
    before its overrides and overrides by the occurrence they replace."""
    pieces: list[bytes | PeopleSlot] = [b"BEGIN:VCALENDAR\r\n", *header, *zones]
    for component in sorted(components, key=lambda c: c.order):
        pieces += component.pieces
    pieces.append(b"END:VCALENDAR\r\n")
    # Neighbouring bytes joined once here rather than at every assembly.
    merged: list[bytes | PeopleSlot] = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += piece
        else:
            merged.append(piece)
    return CalendarTemplate(pieces=tuple(merged))


def _calendar_header(method: str | None) -> Iterable[bytes]:
    yield _line("PRODID", PRODID)
    yield _line("VERSION", "2.0")
    yield _line("CALSCALE", "GREGORIAN")
    if method is not None:
        yield _line("METHOD", method)


def _refuse_duplicate_uids(events: Sequence[CalendarEvent]) -> None:
    uids = [event.uid for event in events]
    duplicates = sorted({uid for uid in uids if uids.count(uid) > 1})
    if duplicates:
        raise ValueError(f"Two events share a UID, which clients would merge: {', '.join(duplicates)}.")


def _components(events: Iterable[CalendarEvent], *, cancelled: bool = False) -> list[_Component]:
    components: list[_Component] = []
    for event in events:
        if isinstance(event, SeriesEvent):
            components += _series_components(event, cancelled=cancelled)
        elif isinstance(event, AllDayEvent):
            components.append(_all_day_component(event))
        else:
            components.append(_single_component(event, cancelled=cancelled))
    return components


def _series_components(event: SeriesEvent, *, cancelled: bool) -> list[_Component]:
    rule = event.rule
    zone = rule.zone
    occurrences = _occurrences_by_start(event)
    cancelled_starts = {o.original_start_utc for o in event.overrides if o.status == "cancelled"}
    moved = [o for o in event.overrides if o.status == "moved"]
    skipped = set(event.exdates_utc) | cancelled_starts
    contradictory = sorted(skipped & {o.original_start_utc for o in moved})
    if contradictory:
        raise ValueError(f"Series {event.uid}: occurrences both moved and excluded: {contradictory}.")

    first = next(iter(occurrences.values()), None)
    if first is None:
        raise ValueError(f"Series {event.uid} has no occurrence between its first start and until_utc.")
    times = _Times()
    master = [
        times.line("DTSTART", event.first_start_local.replace(tzinfo=zone)),
        times.line("DTEND", _in_zone(first.ends_at_utc, zone)),
        _line("RRULE", rrule_string(rule, until_utc=event.until_utc)),
        *(
            times.line("EXDATE", _rule_wall_clock(rule, _occurrence(event, occurrences, start)))
            for start in sorted(skipped)
        ),
    ]
    if cancelled:
        master.append(_line("STATUS", "CANCELLED"))
    components = [
        _timed_component(
            event,
            (event.uid, False, _EARLIEST),
            master,
            times,
            sequence=event.sequence,
            last_modified=event.last_modified,
            alarms=not cancelled,
        )
    ]
    for override in moved:
        times = _Times()
        original = _rule_wall_clock(rule, _occurrence(event, occurrences, override.original_start_utc))
        lines = [
            times.line("RECURRENCE-ID", original),
            times.line("DTSTART", _in_zone(override.starts_at_utc, zone)),
            times.line("DTEND", _in_zone(override.ends_at_utc, zone)),
        ]
        components.append(
            _timed_component(
                event,
                (event.uid, True, original.astimezone(UTC)),
                lines,
                times,
                sequence=override.sequence,
                last_modified=override.last_modified,
                alarms=True,
            )
        )
    return components


_EARLIEST = dt.datetime.min.replace(tzinfo=UTC)


class _Times:
    """Writes DATE-TIME properties, noting each TZID they name (every one needs its VTIMEZONE)."""

    def __init__(self) -> None:
        self.tzids: set[str] = set()

    def line(self, name: str, value: dt.datetime) -> bytes:
        tzid = getattr(value.tzinfo, "key", "UTC")  # every zone here is a ZoneInfo, or datetime's UTC
        if tzid in UTC_TZIDS:
            return _line(name, _utc(value))
        self.tzids.add(tzid)
        return _line(f"{name};TZID={tzid}", f"{value:%Y%m%dT%H%M%S}")


# Zones written as UTC ("Z"), as icalendar writes them: they need no VTIMEZONE.
UTC_TZIDS = frozenset({"UTC", "Etc/UTC"})


def _timed_component(
    event: SeriesEvent | SingleEvent,
    order: tuple[str, bool, dt.datetime],
    lines: Sequence[bytes],
    times: _Times,
    *,
    sequence: int,
    last_modified: dt.datetime,
    alarms: bool,
) -> _Component:
    """A VEVENT with the event's own properties, the given time lines, a people slot (its description and
    people are filled in for each audience) and, where asked, the event's alarms."""
    pieces: list[bytes | PeopleSlot] = [
        b"BEGIN:VEVENT\r\n",
        *_described(event.uid, event.summary, sequence=sequence, last_modified=last_modified),
        *lines,
    ]
    if event.location:
        pieces.append(_line("LOCATION", _escaped(event.location)))
    pieces.append(
        PeopleSlot(
            description=event.description,
            names_people=event.names_people,
            organizer=event.organizer,
            attendees=event.attendees,
        )
    )
    if alarms:
        pieces += _alarms(event.summary, event.alarm_minutes)
    pieces.append(b"END:VEVENT\r\n")
    return _Component(order=order, pieces=tuple(pieces), tzids=frozenset(times.tzids))


def _described(uid: str, summary: str, *, sequence: int, last_modified: dt.datetime) -> list[bytes]:
    if not uid:
        raise ValueError(f"Event {summary!r} has no UID; clients would duplicate it on every refresh.")
    if last_modified.tzinfo is None:
        raise ValueError(f"Event {uid}: last_modified must be an aware datetime.")
    return [
        _line("UID", _escaped(uid)),
        # DTSTAMP is the last change, not the time of rendering, so unchanged data gives unchanged bytes.
        _line("DTSTAMP", _utc(last_modified)),
        _line("LAST-MODIFIED", _utc(last_modified)),
        _line("SEQUENCE", str(sequence)),
        _line("SUMMARY", _escaped(summary)),
    ]


def _alarms(summary: str, alarm_minutes: Iterable[int]) -> list[bytes]:
    return [
        b"BEGIN:VALARM\r\n"
        + _line("ACTION", "DISPLAY")
        + _line("DESCRIPTION", _escaped(summary))
        + _line("TRIGGER", _duration(dt.timedelta(minutes=-minutes)))
        + b"END:VALARM\r\n"
        for minutes in sorted(set(alarm_minutes), reverse=True)
    ]


def _all_day_component(event: AllDayEvent) -> _Component:
    lines = [
        b"BEGIN:VEVENT\r\n",
        *_described(event.uid, event.summary, sequence=event.sequence, last_modified=event.last_modified),
        _line("DTSTART;VALUE=DATE", f"{event.start:%Y%m%d}"),
        # DTEND of an all-day event is exclusive (RFC 5545 3.6.1).
        _line("DTEND;VALUE=DATE", f"{event.end_inclusive + dt.timedelta(days=1):%Y%m%d}"),
        # A phase or a break is context, not a commitment: it must not show the person as busy.
        _line("TRANSP", "TRANSPARENT"),
    ]
    if event.description:
        lines.append(_line("DESCRIPTION", _escaped(event.description)))
    lines.append(b"END:VEVENT\r\n")
    return _Component(order=(event.uid, False, _EARLIEST), pieces=tuple(lines), tzids=frozenset())


def _single_component(event: SingleEvent, *, cancelled: bool) -> _Component:
    zone = ZoneInfo(event.time_zone)
    times = _Times()
    lines = []
    order = (event.uid, False, _EARLIEST)
    if event.recurrence_id_utc is not None:
        recurrence_id = _in_zone(event.recurrence_id_utc, zone)
        lines.append(times.line("RECURRENCE-ID", recurrence_id))
        order = (event.uid, True, recurrence_id.astimezone(UTC))
    status = "CANCELLED" if cancelled else event.status
    lines += [
        times.line("DTSTART", _in_zone(event.starts_at_utc, zone)),
        times.line("DTEND", _in_zone(event.ends_at_utc, zone)),
        _line("STATUS", status),
    ]
    return _timed_component(
        event,
        order,
        lines,
        times,
        sequence=event.sequence,
        last_modified=event.last_modified,
        alarms=status == "CONFIRMED",
    )


def _time_zones(components: Sequence[_Component], events: Sequence[CalendarEvent]) -> list[bytes]:
    """A VTIMEZONE for every TZID used, in sorted order, covering whole years around the events; whole years
    give every zone with daylight saving both its STANDARD and its DAYLIGHT part."""
    tzids = sorted(set().union(*(component.tzids for component in components)))
    if not tzids:
        return []
    years = sorted(year for event in events for year in _years(event))
    # UTC years can be a local year off at either end; one spare year covers that.
    first_date, last_date = dt.date(years[0] - 1, 1, 1), dt.date(years[-1] + 2, 1, 1)
    return [_vtimezone(tzid, first_date, last_date) for tzid in tzids]


def _line(name: str, value: str) -> bytes:
    """One content line, folded at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character."""
    line = f"{name}:{value}".encode()
    if len(line) <= 75:
        return line + b"\r\n"
    parts, start, width = [], 0, 75
    while start < len(line):
        end = min(start + width, len(line))
        while end < len(line) and line[end] & 0xC0 == 0x80:  # a continuation byte: back off to its start
            end -= 1
        parts.append(line[start:end])
        start, width = end, 74  # a continuation line's leading space counts towards its 75
    return b"\r\n ".join(parts) + b"\r\n"


def _escaped(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): every line break as one \\n, any other control character (which TEXT may
    not hold) a space, and backslash, semicolon and comma escaped."""
    value = TEXT_CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(instant: dt.datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _duration(span: dt.timedelta) -> str:
    return vDuration(span).to_ical().decode()


def _occurrences_by_start(event: SeriesEvent) -> dict[dt.datetime, Occurrence]:
    """The occurrences the RRULE makes, keyed by UTC start: what EXDATEs and overrides must name."""
    last_day = event.until_utc.astimezone(event.rule.zone).date()
    occurrences = expand(event.rule, first_day=event.first_start_local.date(), last_day=last_day)
    return {o.starts_at_utc: o for o in occurrences if o.starts_at_utc <= event.until_utc}


def _occurrence(
    event: SeriesEvent, occurrences: dict[dt.datetime, Occurrence], start: dt.datetime
) -> Occurrence:
    try:
        return occurrences[start]
    except KeyError:
        raise ValueError(
            f"Series {event.uid}: {start.isoformat()} is not an occurrence of its rule between "
            f"{event.first_start_local} and {event.until_utc.isoformat()}."
        ) from None


def _rule_wall_clock(rule: WeeklyRule, occurrence: Occurrence) -> dt.datetime:
    """The occurrence's start as the RRULE names it: the rule's wall clock on its date, in the rule's zone."""
    return rule.local_start(occurrence.local_date).replace(tzinfo=rule.zone)


def _in_zone(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The instant as local time in the zone, or in UTC where the local time would be read back as another
    instant (the second pass through a fall-back hour: a TZID time always means the first)."""
    local = instant.astimezone(zone)
    if local.replace(fold=0).astimezone(UTC) == instant:
        return local.replace(fold=0)
    return instant.astimezone(UTC)


def _people_description(
    lead: str, organizer: CalendarPerson | None, attendees: Sequence[CalendarPerson]
) -> str:
    """ "Group meeting with Ann and Bo, Cy": the lead, then the organizer, then the attendees."""
    description = lead
    if organizer is not None:
        description += f" with {organizer.name}"
    if attendees:
        description += (" and " if organizer else " with ") + ", ".join(person.name for person in attendees)
    return description


def _address(name: str, person: CalendarPerson) -> bytes:
    # A caret escapes in a parameter (RFC 6868), which readers such as icalendar decode: a caret is written twice.
    cn = _parameter_text(person.name).replace("^", "^^")
    # An address holds no control character or space; one that did would start a line of its own.
    address = "".join(PARAMETER_CONTROL.sub("", person.email).split())
    return _line(f'{name};CN="{cn}"', f"mailto:{address}")


def _parameter_text(value: str) -> str:
    """A name fit for a parameter such as CN: control characters become spaces and double quotes single ones
    (RFC 6868's ^-escapes would do, but few clients decode them)."""
    return " ".join(PARAMETER_CONTROL.sub(" ", value).replace('"', "'").split())


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_date: dt.date, last_date: dt.date) -> bytes:
    """Building a VTIMEZONE walks the zone's transitions (about 15 ms a zone); the text is kept."""
    return Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date).to_ical()


def _years(event: CalendarEvent) -> tuple[int, ...]:
    if isinstance(event, SeriesEvent):
        moved = [o.starts_at_utc for o in event.overrides if o.starts_at_utc is not None]
        return (event.first_start_local.year, event.until_utc.year, *(start.year for start in moved))
    if isinstance(event, SingleEvent):
        return (event.starts_at_utc.year, event.ends_at_utc.year)
    return (event.start.year, event.end_inclusive.year)

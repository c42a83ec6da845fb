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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vDuration, vRecur, vText
from icalendar.parser import Contentline

from scheduling.recurrence import UTC, Occurrence, WeeklyRule, expand, iana_zone, rrule_string

PRODID = "-//cohortops//cohortops//EN"
# RFC 5545 3.3.11: TEXT holds no control character but HTAB and line breaks (which icalendar escapes as \n).
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
        lines = [_content_line("DESCRIPTION", _text(description))] if description else []
        if organizer is not None and organizer.email:
            lines.append(_content_line("ORGANIZER", _address(organizer)))
        # A person without an email address has no calendar address (a mailto: URI) to list.
        lines += [_content_line("ATTENDEE", _address(person)) for person in attendees if person.email]
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
    calendar = _calendar(method)
    # icalendar does not know these two as TEXT, so it would not escape a line break in them.
    calendar.add("name", _text(name))
    calendar.add("x-wr-calname", _text(name))
    calendar.add("last-modified", last_modified.astimezone(UTC))
    calendar.add("x-wr-timezone", iana_zone(time_zone).key)
    refresh = dt.timedelta(minutes=refresh_minutes)
    # RFC 7986 makes VALUE=DURATION part of REFRESH-INTERVAL; X-PUBLISHED-TTL is the older hint Outlook reads.
    calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    slots: list[PeopleSlot] = []
    for component in sorted(_components(events, slots), key=_component_order):
        calendar.add_component(component)
    zones = _time_zones(calendar, events)
    if not calendar.subcomponents and not zones:
        # RFC 5545's icalbody needs at least one component: an empty calendar carries its own zone, which
        # clients ignore until an event names it.
        year = last_modified.astimezone(UTC).year
        zones = [_vtimezone(iana_zone(time_zone).key, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))]
    return _template(calendar, slots, zones)


def render_invitation(event: SingleEvent | SeriesEvent, *, method: Literal["REQUEST", "CANCEL"]) -> bytes:
    """An iTIP message for a mail attachment: the event's own UID, METHOD, and for CANCEL STATUS:CANCELLED."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Invitation method must be REQUEST or CANCEL, got {method!r}.")
    if event.organizer is None or not event.organizer.email:
        raise ValueError(
            f"Event {event.uid}: an invitation needs an organizer with an email address (RFC 5546)."
        )
    calendar = _calendar(method)
    slots: list[PeopleSlot] = []
    components = _components([event], slots)
    if method == "CANCEL":
        # Cancelling a series cancels the master and with it every occurrence; overrides are not sent.
        components = components[:1]
        components[0].pop("STATUS", None)
        components[0].add("status", "CANCELLED")
        components[0].subcomponents.clear()  # no alarms for a meeting that will not happen
    for component in sorted(components, key=_component_order):
        calendar.add_component(component)
    return _template(calendar, slots, _time_zones(calendar, [event])).assemble()


# Where a component's people lines go; CalendarTemplate replaces the line with its slot.
PEOPLE_SLOT_PROPERTY = "X-COHORTOPS-PEOPLE"
PEOPLE_SLOT_LINE = re.compile(rb"^" + PEOPLE_SLOT_PROPERTY.encode() + rb":(\d+)\r\n", re.MULTILINE)


def _template(calendar: Calendar, slots: Sequence[PeopleSlot], zones: Sequence[bytes]) -> CalendarTemplate:
    """The calendar's bytes cut at its slots, with the VTIMEZONEs spliced in before the first component (as
    bytes: parsing them back into components to serialise them again took as long as the events)."""
    rendered = calendar.to_ical()
    # Properties come first, then components; a component starts a line, a folded line starts with a space.
    first_component = rendered.find(b"\r\nBEGIN:", len(b"BEGIN:VCALENDAR")) + 2
    if first_component == 1:
        first_component = rendered.rindex(b"END:VCALENDAR")
    rendered = rendered[:first_component] + b"".join(zones) + rendered[first_component:]
    pieces: list[bytes | PeopleSlot] = []
    position = 0
    for match in PEOPLE_SLOT_LINE.finditer(rendered):
        pieces += [rendered[position : match.start()], slots[int(match.group(1))]]
        position = match.end()
    pieces.append(rendered[position:])
    return CalendarTemplate(pieces=tuple(pieces))


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    return calendar


def _refuse_duplicate_uids(events: Sequence[CalendarEvent]) -> None:
    uids = [event.uid for event in events]
    duplicates = sorted({uid for uid in uids if uids.count(uid) > 1})
    if duplicates:
        raise ValueError(f"Two events share a UID, which clients would merge: {', '.join(duplicates)}.")


def _components(events: Iterable[CalendarEvent], slots: list[PeopleSlot]) -> list[Event]:
    """The events' components; each timed one gets a people slot, appended to ``slots``."""
    components: list[Event] = []
    for event in events:
        if isinstance(event, SeriesEvent):
            components += _series_components(event, slots)
        elif isinstance(event, AllDayEvent):
            components.append(_all_day_component(event))
        else:
            components.append(_single_component(event, slots))
    return components


def _component_order(component: Event) -> tuple[str, bool, dt.datetime]:
    """By UID, each master before its overrides, overrides by the occurrence they replace."""
    recurrence_id = component.get("RECURRENCE-ID")
    if recurrence_id is None:
        return (str(component["UID"]), False, dt.datetime.min.replace(tzinfo=UTC))
    return (str(component["UID"]), True, recurrence_id.dt.astimezone(UTC))


def _series_components(event: SeriesEvent, slots: list[PeopleSlot]) -> list[Event]:
    rule = event.rule
    zone = rule.zone
    occurrences = _occurrences_by_start(event)
    cancelled = {o.original_start_utc for o in event.overrides if o.status == "cancelled"}
    moved = [o for o in event.overrides if o.status == "moved"]
    skipped = set(event.exdates_utc) | cancelled
    contradictory = sorted(skipped & {o.original_start_utc for o in moved})
    if contradictory:
        raise ValueError(f"Series {event.uid}: occurrences both moved and excluded: {contradictory}.")

    first = next(iter(occurrences.values()), None)
    if first is None:
        raise ValueError(f"Series {event.uid} has no occurrence between its first start and until_utc.")
    master = _timed_component(event, slots, sequence=event.sequence, last_modified=event.last_modified)
    master.add("dtstart", event.first_start_local.replace(tzinfo=zone))
    master.add("dtend", _in_zone(first.ends_at_utc, zone))
    master.add("rrule", vRecur.from_ical(rrule_string(rule, until_utc=event.until_utc)))
    for start in sorted(skipped):
        master.add("exdate", _rule_wall_clock(rule, _occurrence(event, occurrences, start)))
    _add_alarms(master, event.summary, event.alarm_minutes)

    components = [master]
    for override in moved:
        component = _timed_component(
            event, slots, sequence=override.sequence, last_modified=override.last_modified
        )
        original = _occurrence(event, occurrences, override.original_start_utc)
        component.add("recurrence-id", _rule_wall_clock(rule, original))
        component.add("dtstart", _in_zone(override.starts_at_utc, zone))
        component.add("dtend", _in_zone(override.ends_at_utc, zone))
        _add_alarms(component, event.summary, event.alarm_minutes)
        components.append(component)
    return components


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


def _timed_component(
    event: SeriesEvent | SingleEvent, slots: list[PeopleSlot], *, sequence: int, last_modified: dt.datetime
) -> Event:
    component = _described(
        uid=event.uid, summary=event.summary, description="", sequence=sequence, last_modified=last_modified
    )
    if event.location:
        component.add("location", _text(event.location))
    # The description and the people are filled in for each audience (CalendarTemplate.assemble).
    component.add(PEOPLE_SLOT_PROPERTY, str(len(slots)))
    slots.append(
        PeopleSlot(
            description=event.description,
            names_people=event.names_people,
            organizer=event.organizer,
            attendees=event.attendees,
        )
    )
    return component


def _described(
    *, uid: str, summary: str, description: str, sequence: int, last_modified: dt.datetime
) -> Event:
    if not uid:
        raise ValueError(f"Event {summary!r} has no UID; clients would duplicate it on every refresh.")
    if last_modified.tzinfo is None:
        raise ValueError(f"Event {uid}: last_modified must be an aware datetime.")
    component = Event()
    component.add("uid", uid)
    # DTSTAMP is the last change, not the time of rendering, so unchanged data gives unchanged bytes.
    component.add("dtstamp", last_modified.astimezone(UTC))
    component.add("last-modified", last_modified.astimezone(UTC))
    component.add("sequence", sequence)
    component.add("summary", _text(summary))
    if description:
        component.add("description", _text(description))
    return component


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


def _content_line(name: str, value: vText | vCalAddress) -> bytes:
    return Contentline.from_parts(name, value.params, value).to_ical() + b"\r\n"


def _text(value: str) -> vText:
    """A TEXT value: every line break as one \\n, any other control character (which TEXT may not hold) a space."""
    return vText(TEXT_CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n")))


def _address(person: CalendarPerson) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = _parameter_text(person.name)
    return address


def _parameter_text(value: str) -> str:
    """A name fit for a parameter such as CN: control characters become spaces and double quotes single ones
    (RFC 6868's ^-escapes would do, but few clients decode them)."""
    return " ".join(PARAMETER_CONTROL.sub(" ", value).replace('"', "'").split())


def _add_alarms(component: Event, summary: str, alarm_minutes: Iterable[int]) -> None:
    for minutes in sorted(set(alarm_minutes), reverse=True):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _text(summary))
        alarm.add("trigger", dt.timedelta(minutes=-minutes))
        component.add_component(alarm)


def _all_day_component(event: AllDayEvent) -> Event:
    component = _described(
        uid=event.uid,
        summary=event.summary,
        description=event.description,
        sequence=event.sequence,
        last_modified=event.last_modified,
    )
    component.add("dtstart", event.start)
    # DTEND of an all-day event is exclusive (RFC 5545 3.6.1).
    component.add("dtend", event.end_inclusive + dt.timedelta(days=1))
    # A phase or a break is context, not a commitment: it must not show the person as busy.
    component.add("transp", "TRANSPARENT")
    return component


def _single_component(event: SingleEvent, slots: list[PeopleSlot]) -> Event:
    zone = ZoneInfo(event.time_zone)
    component = _timed_component(event, slots, sequence=event.sequence, last_modified=event.last_modified)
    if event.recurrence_id_utc is not None:
        component.add("recurrence-id", _in_zone(event.recurrence_id_utc, zone))
    component.add("dtstart", _in_zone(event.starts_at_utc, zone))
    component.add("dtend", _in_zone(event.ends_at_utc, zone))
    component.add("status", event.status)
    if event.status == "CONFIRMED":
        _add_alarms(component, event.summary, event.alarm_minutes)
    return component


def _time_zones(calendar: Calendar, events: Sequence[CalendarEvent]) -> list[bytes]:
    """A VTIMEZONE for every TZID used, in sorted order, covering whole years around the events.

    icalendar's add_missing_timezones() builds the same components but adds them in set order, which changes
    between processes; building them here keeps the bytes stable. Whole years give every zone with daylight
    saving both its STANDARD and its DAYLIGHT part.
    """
    missing = sorted(calendar.get_missing_tzids())
    if not missing:
        return []
    years = sorted(year for event in events for year in _years(event))
    # UTC years can be a local year off at either end; one spare year covers that.
    first_date, last_date = dt.date(years[0] - 1, 1, 1), dt.date(years[-1] + 2, 1, 1)
    return [_vtimezone(tzid, first_date, last_date) for tzid in missing]


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

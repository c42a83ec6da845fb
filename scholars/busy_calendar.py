"""A person's own calendar (an iCalendar file from Google, Outlook or Apple) read as the times they are busy.

Only when, never what: titles, places, descriptions and attendees are read to decide and then dropped. An event
counts as busy unless it says it is not:
- marked free (``TRANSP:TRANSPARENT``, or Outlook's ``X-MICROSOFT-CDO-BUSYSTATUS:FREE``/``WORKINGELSEWHERE``);
- cancelled (``STATUS:CANCELLED``), or declined by the calendar's owner (their ``ATTENDEE`` with
  ``PARTSTAT=DECLINED``).
Recurring events are expanded by recurring-ical-events (RRULE, RDATE, EXDATE, moved and cancelled instances).
Floating times and all-day events are the owner's wall clock (or the calendar's X-WR-TIMEZONE, as Google writes
it): an all-day event is busy from that local midnight to the next. A series whose rule cannot be expanded, or
that would repeat more often than hourly, is left out rather than let one bad event hide the rest or hold a worker.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

# Event instances one read may expand before the calendar is refused: a busy year of meetings stays well below.
MAX_INSTANCES = 20_000
MAX_TIMES_A_DAY = 24
# Floating and all-day times are placed in a zone only after the library chose them: ask for a day more each side.
ZONE_MARGIN = timedelta(days=1)
# Rules no person's calendar needs, and that dateutil would expand without end (INTERVAL=0) or by the million.
UNBOUNDED_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})
# Ours, on the parsed calendar only: a DURATION's calendar days and exact seconds (see _mark_durations).
DURATION_DAYS = "X-COHORTOPS-DURATION-DAYS"
EXACT_SECONDS = "X-COHORTOPS-DURATION-SECONDS"
FREE_BUSY_STATUSES = frozenset({"FREE", "WORKINGELSEWHERE"})


class NotACalendar(ValueError):
    """The bytes are no iCalendar data the reader can use; the message says why, for the person."""


@dataclass(frozen=True, order=True)
class BusyInterval:
    """[starts_at, ends_at), aware UTC datetimes."""

    starts_at: datetime
    ends_at: datetime


def busy_intervals(
    data: bytes,
    *,
    time_zone: str,
    owner_emails: Collection[str],
    start: datetime,
    end: datetime,
    ignored_uid_suffix: str = "",
) -> list[BusyInterval]:
    """The busy time of the calendar in ``data`` between ``start`` and ``end``, merged, sorted and clipped.

    ``time_zone`` is the owner's, for floating times and all-day events; ``owner_emails`` tell their own
    ``ATTENDEE`` line (and so a declined invitation) from the other guests'. Events whose UID ends in
    ``ignored_uid_suffix`` are left out: the meetings the program itself put in the person's calendar (a mailed
    invitation accepted, a subscribed feed merged) must not make them look busy for those very meetings.
    """
    # The messages never quote the file: a line of it may be the title of someone's private appointment.
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        raise NotACalendar("This is not an iCalendar file: its lines could not be read.") from error
    if calendar.name != "VCALENDAR":
        raise NotACalendar("This is not an iCalendar file: it holds no VCALENDAR.")
    zone = ZoneInfo(time_zone)
    owners = {email.strip().lower() for email in owner_emails if email.strip()}
    calendar.subcomponents = [
        component
        for component in calendar.subcomponents
        if component.name != "VEVENT" or not (_unbounded(component) or _ours(component, ignored_uid_suffix))
    ]
    _mark_durations(calendar)
    try:
        # One pass over the window (a month at a time, or .after(), walks every series again and again).
        events = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            start - ZONE_MARGIN, end + ZONE_MARGIN
        )
    except (ValueError, TypeError, KeyError) as error:
        raise NotACalendar(
            "The calendar's events could not be read: a date, time zone or rule is invalid."
        ) from error
    if len(events) > MAX_INSTANCES:
        raise NotACalendar(
            f"The calendar holds more than {MAX_INSTANCES:,} events in the months read; give a calendar with fewer."
        )
    found = []
    for event in events:
        interval = _interval(event, zone) if _is_busy(event, owners) else None
        if interval is not None and interval.starts_at < end and start < interval.ends_at:
            found.append(BusyInterval(max(interval.starts_at, start), min(interval.ends_at, end)))
    return merged(found)


def _ours(event: icalendar.Event, uid_suffix: str) -> bool:
    return bool(uid_suffix) and str(event.get("UID", "")).endswith(uid_suffix)


def _unbounded(event: icalendar.Event) -> bool:
    """A rule dateutil would expand forever (INTERVAL below one) or by the million: more often than hourly, or
    listing more than 24 times a day (BYHOUR × BYMINUTE × BYSECOND)."""
    try:
        rules = event.get("RRULE", [])
        for rule in rules if isinstance(rules, list) else [rules]:
            frequencies = {str(value).upper() for value in rule.get("FREQ", [])}
            intervals = [int(value) for value in rule.get("INTERVAL", [])]
            per_day = math.prod(
                max(len(rule.get(part, [])), 1) for part in ("BYHOUR", "BYMINUTE", "BYSECOND")
            )
            if (
                frequencies & UNBOUNDED_FREQUENCIES
                or any(i < 1 for i in intervals)
                or per_day > MAX_TIMES_A_DAY
            ):
                return True
    except (TypeError, ValueError):
        pass  # a rule that cannot be read at all: the expansion leaves its series out (skip_bad_series)
    return False


def merged(intervals: list[BusyInterval]) -> list[BusyInterval]:
    """Sorted, with overlapping and touching intervals joined: fewer rows, and the same busy time."""
    joined: list[BusyInterval] = []
    for interval in sorted(intervals):
        if joined and interval.starts_at <= joined[-1].ends_at:
            if interval.ends_at > joined[-1].ends_at:
                joined[-1] = BusyInterval(joined[-1].starts_at, interval.ends_at)
        else:
            joined.append(interval)
    return joined


def _is_busy(event: icalendar.Event, owners: set[str]) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() in FREE_BUSY_STATUSES:
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    attendees = event.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        address = str(attendee).lower().removeprefix("mailto:")
        if address in owners and str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED":
            return False
    return True


def _interval(event: icalendar.Event, zone: ZoneInfo) -> BusyInterval | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    starts_at = _instant(start.dt, zone)
    exact = event.get(EXACT_SECONDS)
    end = event.get("DTEND")
    if exact is not None and isinstance(start.dt, datetime):
        # DURATION's days are calendar days (wall clock), its hours, minutes and seconds exact time (RFC 5545).
        days = _instant(start.dt + timedelta(days=int(event[DURATION_DAYS])), zone)
        ends_at = days + timedelta(seconds=int(exact))
    elif end is not None:
        ends_at = _instant(end.dt, zone)
    elif isinstance(start.dt, datetime):
        return None  # RFC 5545: a DATE-TIME start with no end takes no time
    else:
        ends_at = _instant(start.dt + timedelta(days=1), zone)
    return BusyInterval(starts_at, ends_at) if starts_at < ends_at else None


def _mark_durations(calendar: icalendar.Calendar) -> None:
    """Keep each DURATION's exact part where the expansion keeps it: it turns DURATION into a DTEND on the wall
    clock, an hour off for an event across a clock change."""
    for event in calendar.walk("VEVENT"):
        duration = event.get("DURATION")
        if duration is not None and isinstance(duration.dt, timedelta):
            event[DURATION_DAYS] = str(duration.dt.days)
            event[EXACT_SECONDS] = str(duration.dt.seconds)


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A DTSTART or DTEND as an aware UTC datetime: a date is the owner's local midnight, a floating time theirs."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)

"""Weekly wall-clock rules expanded into UTC instants, and the RRULE text calendars read them as.

A rule is wall clock in its own IANA zone: 10:00 Europe/London is 10:00 local in GMT and in BST alike, so the UTC
instant moves by an hour across a change. Local times a change makes odd are resolved as RFC 5545 3.3.5 says:
a time inside the spring-forward gap is read with the offset in force before the gap (01:30 on the London
spring-forward day is 01:30 UTC, shown as 02:30 BST), and a time the fall-back repeats means its first occurrence.
zoneinfo's ``fold=0`` does exactly both, so every conversion here goes through it.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from cohort.dates import monday_of
from cohort.time_zones import iana_zone

UTC = dt.UTC
BYDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
T = TypeVar("T")


@dataclass(frozen=True)
class WeeklyRule:
    """Meetings on some weekdays at one wall-clock time in one zone, every ``interval_weeks`` weeks.

    With an interval above one, ``anchor`` fixes which weeks: the week (Monday to Sunday) holding the anchor
    and every ``interval_weeks``-th week before and after it.
    """

    weekdays: tuple[int, ...]
    start: dt.time
    duration_minutes: int
    time_zone: str
    interval_weeks: int = 1
    anchor: dt.date | None = None

    def __post_init__(self) -> None:
        if not self.weekdays or any(not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError(f"Weekdays must be numbers 0 (Monday) to 6 (Sunday), got {self.weekdays!r}.")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError(f"Weekdays must not repeat, got {self.weekdays!r}.")
        if self.start.tzinfo is not None:
            raise ValueError("The start is a wall-clock time; its zone is time_zone, not tzinfo.")
        if self.duration_minutes <= 0:
            raise ValueError(f"Duration must be positive, got {self.duration_minutes} minutes.")
        if self.interval_weeks < 1:
            raise ValueError(f"Interval must be at least one week, got {self.interval_weeks}.")
        if self.interval_weeks > 1 and self.anchor is None:
            raise ValueError("A rule repeating less often than weekly needs an anchor date for its weeks.")
        iana_zone(self.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    def falls_on(self, day: dt.date) -> bool:
        """Whether the rule makes a meeting on this local date."""
        if day.weekday() not in self.weekdays:
            return False
        if self.interval_weeks == 1:
            return True
        weeks_from_anchor = (monday_of(day) - monday_of(self.anchor)).days // 7
        return weeks_from_anchor % self.interval_weeks == 0

    def local_start(self, day: dt.date) -> dt.datetime:
        """The naive wall-clock start on a date, as the rule names it (even inside a spring-forward gap)."""
        return dt.datetime.combine(day, self.start)


@dataclass(frozen=True)
class Occurrence:
    local_date: dt.date
    starts_at_utc: dt.datetime
    ends_at_utc: dt.datetime


def occurrence_on(rule: WeeklyRule, day: dt.date) -> Occurrence:
    """The meeting the rule puts on a date (which must be one of its dates), in UTC."""
    # fold=0 gives RFC 5545's reading of gap and repeated local times (see the module docstring).
    starts_at = rule.local_start(day).replace(tzinfo=rule.zone, fold=0).astimezone(UTC)
    # The duration is exact time: a 60-minute meeting lasts 60 minutes even on the night the clocks change.
    return Occurrence(local_date=day, starts_at_utc=starts_at, ends_at_utc=starts_at + rule.duration)


def expand(
    rule: WeeklyRule,
    *,
    first_day: dt.date,
    last_day: dt.date,
    skip: Callable[[dt.date], bool] | Container[dt.date] | None = None,
) -> list[Occurrence]:
    """Every occurrence whose local date lies in [first_day, last_day], minus the skipped dates, in order."""
    is_skipped = _skip_predicate(skip)
    occurrences = []
    day = first_day
    while day <= last_day:
        if rule.falls_on(day) and not is_skipped(day):
            occurrences.append(occurrence_on(rule, day))
        day += dt.timedelta(days=1)
    return occurrences


def _skip_predicate(
    skip: Callable[[dt.date], bool] | Container[dt.date] | None,
) -> Callable[[dt.date], bool]:
    if skip is None:
        return lambda day: False
    if callable(skip):
        return skip
    return skip.__contains__


def rrule_string(rule: WeeklyRule, *, until_utc: dt.datetime | None) -> str:
    """The rule as RFC 5545 RRULE text, e.g. ``FREQ=WEEKLY;INTERVAL=2;WKST=MO;BYDAY=MO,TH;UNTIL=20250630T090000Z``.

    UNTIL must be UTC when DTSTART carries a TZID (RFC 5545 3.3.10), so it takes an aware datetime only.
    WKST=MO is written whenever the interval is above one because it decides which weeks count.
    """
    parts = ["FREQ=WEEKLY"]
    if rule.interval_weeks > 1:
        parts += [f"INTERVAL={rule.interval_weeks}", "WKST=MO"]
    parts.append("BYDAY=" + ",".join(BYDAY_CODES[day] for day in sorted(rule.weekdays)))
    if until_utc is not None:
        if until_utc.tzinfo is None:
            raise ValueError("UNTIL must be an aware datetime; it is written in UTC.")
        parts.append(f"UNTIL={until_utc.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


@dataclass(frozen=True)
class DateRange:
    """A span of local dates, both ends included (a break, a blackout)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"A date range cannot end ({self.end}) before it starts ({self.start}).")


@dataclass(frozen=True)
class DateRanges:
    """Dates held as sorted, merged, non-overlapping ranges: membership costs a bisect over the ranges, never a
    walk over the days, so a blackout from 0001-01-01 to 9999-12-31 is one range like any other."""

    ranges: tuple[DateRange, ...] = ()

    def __contains__(self, day: dt.date) -> bool:
        index = bisect_right(self.ranges, day, key=lambda span: span.start) - 1
        return index >= 0 and day <= self.ranges[index].end


def dates_in(ranges: Iterable[DateRange]) -> DateRanges:
    """The dates the ranges cover, both ends included: the skip set for ``expand``."""
    merged: list[DateRange] = []
    for span in sorted(ranges, key=lambda span: span.start):
        # Touching ranges merge too: 3-5 June and 6-9 June are 3-9 June.
        if merged and (span.start - merged[-1].end).days <= 1:
            if span.end > merged[-1].end:
                merged[-1] = DateRange(merged[-1].start, span.end)
        else:
            merged.append(span)
    return DateRanges(tuple(merged))


@dataclass(frozen=True)
class Segment(Generic[T]):
    """A run of meeting dates with the same attendees: one series' worth of a recurring slot."""

    attendees: frozenset[T]
    days: tuple[dt.date, ...]

    @property
    def first_day(self) -> dt.date:
        return self.days[0]

    @property
    def last_day(self) -> dt.date:
        return self.days[-1]


def attendance_segments(
    days: Iterable[dt.date], attends: Callable[[T, dt.date], bool], people: Iterable[T]
) -> list[Segment[T]]:
    """Split meeting dates into consecutive runs with the same attendees.

    A date nobody attends is dropped without ending the run, so a 1-on-1 paused for a phase stays one series;
    a change of who attends (a scholar who left, or who joins the research phase later) starts a new run.
    """
    people = tuple(people)
    segments: list[Segment[T]] = []
    for day in sorted(days):
        present = frozenset(person for person in people if attends(person, day))
        if not present:
            continue
        if segments and segments[-1].attendees == present:
            segments[-1] = Segment(present, (*segments[-1].days, day))
        else:
            segments.append(Segment(present, (day,)))
    return segments

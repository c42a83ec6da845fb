"""Candidate weekly slots for each demand, checked on every cohort date.

A slot is only a candidate when, on each date it falls on, the meeting converted to every attendee's zone lies
inside that attendee's windows for their local weekday. Zones change clocks on different dates, so a slot that
works in January can leave someone's hours for the weeks between two clock changes: it is then no candidate.
A slot whose local start does not exist on some date (the spring-forward gap) is treated as infeasible on that
date, and so is no candidate: the meeting could not happen at its written time. An ambiguous start (the hour
repeated in autumn) means its first occurrence. Dates on which the meeting would touch a time an attendee's own
calendar shows them busy (or their buffer around it) are counted, not failed: a candidate may have a few
(``busy_dates_tolerated``), which the planner then avoids where it can.

Instants are whole minutes since the Unix epoch, in UTC, so overlaps are integer comparisons.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from scheduling.planner.problem import (
    MINUTES_PER_DAY,
    CohortCalendar,
    Demand,
    Person,
    PlanningProblem,
    WeeklySlot,
    busy_dates_tolerated,
    minute_of_day,
    time_of_minute,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_WEEKDAY = EPOCH.weekday()  # a Thursday: day n after the epoch is weekday (n + 3) % 7
Interval = tuple[int, int]


def local_week(local_day: int) -> int:
    """The week, from Monday, of a local date given as days since 1970-01-01."""
    return (local_day + EPOCH_WEEKDAY) // 7


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=500_000)
def local_to_utc(zone_name: str, day: date, minute: int) -> int | None:
    """UTC minute of a wall-clock time, or None when that time does not exist (spring-forward gap)."""
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone(zone_name))
    instant = local.astimezone(UTC)
    # A time in the gap comes back from the round trip shifted by the jump.
    if instant.astimezone(local.tzinfo).timetuple()[:5] != local.timetuple()[:5]:
        return None
    return int((instant - EPOCH).total_seconds()) // 60


def utc_offset_minutes(zone_name: str, utc_minute: int) -> int:
    instant = EPOCH + timedelta(minutes=utc_minute)
    return int(instant.astimezone(zone(zone_name)).utcoffset().total_seconds()) // 60


def busy_minutes(person: Person) -> tuple[Interval, ...]:
    """The person's busy times, widened by their buffer, as sorted, merged UTC minute ranges (a partly busy minute
    counts as busy)."""
    buffer = person.limits.buffer_minutes
    joined: list[Interval] = []
    for busy in sorted(person.busy):
        start = math.floor((busy.start - EPOCH).total_seconds() / 60) - buffer
        end = math.ceil((busy.end - EPOCH).total_seconds() / 60) + buffer
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return tuple(joined)


def days_away(person: Person, first: date, last: date) -> frozenset[int]:
    """The dates from ``first`` to ``last`` the person is away all day, as local days since 1970-01-01."""
    found = set()
    for span in person.blackouts:
        day, end = max(span.start, first), min(span.end, last)
        while day <= end:
            found.add((day - EPOCH.date()).days)
            day += timedelta(days=1)
    return frozenset(found)


def merged_windows(person: Person) -> tuple[tuple[Interval, ...], ...]:
    """Per weekday, the hours their limits leave for meetings as sorted, merged minute ranges: 9-12 and 12-17 make
    9-17."""
    by_day: list[list[Interval]] = [[] for _ in range(7)]
    for window in person.meeting_windows:
        by_day[window.weekday].append((window.start_minute, window.end_minute))
    return tuple(_merged(ranges) for ranges in by_day)


def extra_day_windows(
    person: Person, weekly: tuple[tuple[Interval, ...], ...], first: date, last: date
) -> dict[int, tuple[Interval, ...]]:
    """The dates from ``first`` to ``last`` the person added hours on, as local days since 1970-01-01: that
    weekday's hours with the extra ones, merged, and cut to their limits like the weekly ones (none on a day off,
    none before the earliest start or after the latest end)."""
    limits = person.limits
    extra: dict[int, list[Interval]] = defaultdict(list)
    for hours in person.extra_hours:
        start = max(hours.start_minute, limits.earliest_minute)
        end = min(hours.end_minute, limits.latest_minute)
        if first <= hours.day <= last and hours.day.weekday() not in limits.days_off and start < end:
            extra[(hours.day - EPOCH.date()).days].append((start, end))
    return {
        day: _merged([*weekly[(day + EPOCH_WEEKDAY) % 7], *ranges]) for day, ranges in sorted(extra.items())
    }


def _merged(ranges: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, overlapping or touching ranges joined: 9-12 and 12-17 make 9-17."""
    joined: list[Interval] = []
    for start, end in sorted(ranges):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return tuple(joined)


def spread_allows(weekdays: Iterable[int], meetings_max: int) -> bool:
    """Distinct weekdays; up to three a week also keep a free day between any two (Sun and Mon are neighbours).

    From four a week (a daily stand-up) neighbouring days are unavoidable, so only distinctness holds.
    """
    days = sorted(weekdays)
    if len(set(days)) != len(days):
        return False
    if meetings_max > 3 or len(days) < 2:
        return True
    return all((b - a) % 7 not in (1, 6) for i, a in enumerate(days) for b in days[i + 1 :])


@dataclass(frozen=True)
class Candidate:
    """One feasible weekly slot of one demand, with every occurrence as a UTC interval."""

    demand_key: str
    weekday: int
    start_minute: int
    duration_minutes: int
    phase: int | None
    occurrences: tuple[Interval, ...]
    edge_slack: int
    busy_dates: int = 0  # dates on which an attendee's own calendar shows them busy
    away_dates: int = 0  # other dates on which an attendee is away all day (they miss it, or it is cancelled)
    off_hours: tuple[str, ...] = ()  # attendees it falls outside the preferred hours of, on most of its dates

    @property
    def lost_dates(self) -> int:
        """Dates the meeting would be held on a busy time, or without someone away all day (a 1-on-1, or any
        meeting its mentor is away for, is cancelled then): what the planner keeps few."""
        return self.busy_dates + self.away_dates

    @property
    def slot(self) -> WeeklySlot:
        return WeeklySlot(
            self.weekday,
            time_of_minute(self.start_minute),
            self.duration_minutes,
            self.phase,
            self.busy_dates,
        )


SlotKey = tuple[str, int, int, int | None]


def candidate_key(candidate: Candidate) -> SlotKey:
    return (candidate.demand_key, candidate.weekday, candidate.start_minute, candidate.phase)


def published_keys(problem: PlanningProblem) -> set[SlotKey]:
    return {
        (slot.demand_key, slot.weekday, minute_of_day(slot.start), slot.week_parity)
        for slot in problem.published
    }


@dataclass(frozen=True)
class SlotCheck:
    """How one weekly slot fares on each of its dates: the dates it works and who cannot make the others."""

    weekday: int
    start_minute: int
    phase: int | None
    good_dates: tuple[date, ...]
    failures: tuple[tuple[date, tuple[str, ...]], ...]


class Fit(NamedTuple):
    """How one person fares on each date of a slot, as bitmasks over its occurrences."""

    hours: int  # inside their hours and limits
    free: int  # clear of their busy times
    slack: int  # least minutes to an edge of their hours, over the dates inside them
    present: int  # not a day they are away all day
    preferred: int  # inside their preferred hours (every date, when they have none)

    @property
    def works(self) -> int:
        return self.hours & self.free


class ZoneClock:
    """A zone's UTC offset at any minute of the cohort, from its few clock changes, in integer arithmetic."""

    def __init__(self, zone_name: str, first_day: date, last_day: date) -> None:
        self.zone = zone(zone_name)
        start = _utc_minute(first_day)
        self.changes, self.offsets = [start], [self._offset(start)]
        for day_start in range(start, _utc_minute(last_day), MINUTES_PER_DAY):
            if self._offset(day_start + MINUTES_PER_DAY) != self.offsets[-1]:
                # Zones change clocks at most once a day: bisect the day for the minute it happens.
                low, high = day_start, day_start + MINUTES_PER_DAY
                while high - low > 1:
                    middle = (low + high) // 2
                    low, high = (middle, high) if self._offset(middle) == self.offsets[-1] else (low, middle)
                self.changes.append(high)
                self.offsets.append(self._offset(high))

    def _offset(self, utc_minute: int) -> int:
        instant = EPOCH + timedelta(minutes=utc_minute)
        return int(instant.astimezone(self.zone).utcoffset().total_seconds()) // 60

    def local(self, utc_minute: int) -> int:
        """Local wall-clock minutes since 1970-01-01 00:00 local."""
        return utc_minute + self.offsets[bisect_right(self.changes, utc_minute) - 1]


class CandidateFinder:
    """Checks weekly slots against a problem's calendar and availability, sharing work between demands.

    Whether a person can make a slot depends only on their zone, windows and busy times, so the verdict per date
    is kept as a bitmask per (zone, windows and busy times, slot): a mentor's five demands check each slot once.
    """

    def __init__(self, problem: PlanningProblem) -> None:
        self.problem = problem
        calendar = problem.calendar
        first, last = calendar.start - timedelta(days=2), calendar.end + timedelta(days=2)
        self.zones = {person.key: person.time_zone for person in problem.people}
        self.clocks = {name: ZoneClock(name, first, last) for name in sorted(set(self.zones.values()))}
        self.windows = {person.key: merged_windows(person) for person in problem.people}
        self.extra_days = {
            person.key: extra_day_windows(person, self.windows[person.key], first, last)
            for person in problem.people
        }
        # Weekdays on which someone has extra hours: there their weekly hours alone do not decide.
        self.extra_weekdays = {
            key: {(day + EPOCH_WEEKDAY) % 7 for day in days} for key, days in self.extra_days.items()
        }
        self.busy = {person.key: busy_minutes(person) for person in problem.people}
        self.away = {person.key: days_away(person, first, last) for person in problem.people}
        self.preferred_hours = {person.key: person.preferred_hours for person in problem.people}
        profiles: dict[tuple, int] = {}
        self.profile = {
            key: profiles.setdefault(
                (
                    self.zones[key],
                    windows,
                    tuple(self.extra_days[key].items()),
                    self.busy[key],
                    self.away[key],
                    self.preferred_hours[key],
                ),
                len(profiles),
            )
            for key, windows in self.windows.items()
        }
        self._dates: dict[tuple[int, int, int | None], tuple[date, ...]] = {}
        self._occurrences: dict[tuple, tuple[Interval | None, ...]] = {}
        self._fits: dict[tuple[int, tuple], Fit] = {}

    def slot_dates(self, weekday: int, interval_weeks: int, phase: int | None) -> tuple[date, ...]:
        key = (weekday, interval_weeks, phase)
        if key not in self._dates:
            self._dates[key] = _slot_dates(self.problem.calendar, weekday, interval_weeks, phase)
        return self._dates[key]

    def occurrences(
        self, zone_name: str, weekday: int, minute: int, duration: int, interval_weeks: int, phase: int | None
    ) -> tuple[Interval | None, ...]:
        """UTC interval of each date the slot falls on (None where its start does not exist)."""
        key = (zone_name, weekday, minute, duration, interval_weeks, phase)
        cached = self._occurrences.get(key)
        if cached is None:
            intervals = []
            for day in self.slot_dates(weekday, interval_weeks, phase):
                start = local_to_utc(zone_name, day, minute)
                intervals.append(None if start is None else (start, start + duration))
            cached = self._occurrences[key] = tuple(intervals)
        return cached

    def phases(self, demand: Demand) -> tuple[int | None, ...]:
        return (None,) if demand.interval_weeks == 1 else tuple(range(demand.interval_weeks))

    def grid(self, duration: int) -> range:
        return range(0, MINUTES_PER_DAY - duration + 1, self.problem.slot_minutes)

    def fit(self, person_key: str, slot: tuple, occurrences: tuple[Interval | None, ...]) -> Fit:
        """Which occurrences lie inside the person's hours, which are clear of their busy times, which fall on
        days they are not away, and which lie inside their preferred hours."""
        key = (self.profile[person_key], slot)
        found = self._fits.get(key)
        if found is None:
            hours, free, slack, present, preferred = 0, 0, MINUTES_PER_DAY, 0, 0
            has_busy, away = bool(self.busy[person_key]), self.away[person_key]
            clock = self.clocks[self.zones[person_key]]
            for bit, occurrence in enumerate(occurrences):
                if occurrence is None:
                    continue
                fits = self.slack(person_key, occurrence)
                if fits is not None:
                    hours |= 1 << bit
                    slack = min(slack, fits)
                if not (has_busy and self.is_busy(person_key, occurrence)):
                    free |= 1 << bit
                if clock.local(occurrence[0]) // MINUTES_PER_DAY not in away:
                    present |= 1 << bit
                if self.in_preferred_hours(person_key, occurrence):
                    preferred |= 1 << bit
            found = self._fits[key] = Fit(hours, free, slack, present, preferred)
        return found

    def local_days(self, person_key: str, occurrences: tuple[Interval, ...]) -> tuple[int, ...]:
        """The person's local date of each occurrence, as days since 1970-01-01 (weekday ``(day + 3) % 7``)."""
        clock = self.clocks[self.zones[person_key]]
        return tuple(clock.local(start) // MINUTES_PER_DAY for start, _ in occurrences)

    def is_busy(self, person_key: str, occurrence: Interval) -> bool:
        """Whether the occurrence touches a time the person's own calendar shows them busy, or their buffer
        around it."""
        busy = self.busy[person_key]
        # Merged and sorted, so the last busy time starting before the meeting ends is the only one to check.
        before_end = bisect_right(busy, (occurrence[1] - 1, math.inf)) - 1
        return before_end >= 0 and busy[before_end][1] > occurrence[0]

    def in_preferred_hours(self, person_key: str, occurrence: Interval) -> bool:
        """Whether the meeting lies inside the person's preferred hours (always, when they have none)."""
        hours = self.preferred_hours[person_key]
        if hours is None:
            return True
        _, start, end = self.local_span(person_key, occurrence)
        return hours.start_minute <= start and end <= hours.end_minute

    def local_span(self, person_key: str, occurrence: Interval) -> tuple[int, int, int]:
        """The person's local date of the meeting (days since 1970-01-01), and its start and end in minutes from
        that date's midnight: an end past 24:00 crosses their midnight."""
        clock = self.clocks[self.zones[person_key]]
        day, start = divmod(clock.local(occurrence[0]), MINUTES_PER_DAY)
        return day, start, clock.local(occurrence[1]) - day * MINUTES_PER_DAY

    def slack(self, person_key: str, occurrence: Interval) -> int | None:
        """Minutes from the meeting to the nearer edge of the person's window holding it; None if none does."""
        day, start, end = self.local_span(person_key, occurrence)
        hours = self.extra_days[person_key].get(day) or self.windows[person_key][(day + EPOCH_WEEKDAY) % 7]
        # Past 24:00 means the meeting crosses the person's midnight: never inside a window.
        for window_start, window_end in hours:
            if window_start <= start and end <= window_end:
                return min(start - window_start, window_end - end)
        return None

    def grid_within_hours(self, demand: Demand, duration: int) -> Iterator[tuple[int, int]]:
        """(weekday, start) on the slot grid, skipping those outside the weekly hours of anyone in the demand's zone.

        For them the slot's wall clock is their wall clock on every date, so no date can rescue it (unless they
        added hours on a date with that weekday: then the date-by-date check decides).
        """
        local = [key for key in demand.attendees if self.zones[key] == demand.time_zone]
        for weekday in range(7):
            deciding = [
                self.windows[key][weekday] for key in local if weekday not in self.extra_weekdays[key]
            ]
            for minute in self.grid(duration):
                end = minute + duration
                if all(any(s <= minute and end <= e for s, e in windows) for windows in deciding):
                    yield weekday, minute

    def candidates(self, demand: Demand) -> list[Candidate]:
        """Every weekly slot of the demand that works on all its dates, in (weekday, start, phase) order."""
        found = []
        for weekday, minute in self.grid_within_hours(demand, demand.duration_minutes):
            for phase in self.phases(demand):
                candidate = self._candidate(demand, weekday, minute, phase)
                if candidate is not None:
                    found.append(candidate)
        return found

    def _candidate(self, demand: Demand, weekday: int, minute: int, phase: int | None) -> Candidate | None:
        slot = (demand.time_zone, weekday, minute, demand.duration_minutes, demand.interval_weeks, phase)
        occurrences = self.occurrences(*slot)
        if not occurrences or None in occurrences:
            return None
        # Most slots fail on their first date for someone: rule those out before checking every date.
        if any(self.slack(key, occurrences[0]) is None for key in demand.attendees):
            return None
        every_date = (1 << len(occurrences)) - 1
        slack, free, present, off_hours = MINUTES_PER_DAY, every_date, every_date, []
        for key in demand.attendees:
            fit = self.fit(key, slot, occurrences)
            if fit.hours != every_date:
                return None
            slack, free, present = min(slack, fit.slack), free & fit.free, present & fit.present
            # Across clock changes a slot can leave someone's preferred hours for a few weeks: most dates decide.
            if fit.preferred.bit_count() * 2 < len(occurrences):
                off_hours.append(key)
        busy_dates = (every_date & ~free).bit_count()
        if busy_dates > busy_dates_tolerated(len(occurrences)):
            return None
        away_dates = (free & ~present).bit_count()
        return Candidate(
            demand.key,
            weekday,
            minute,
            demand.duration_minutes,
            phase,
            occurrences,
            slack,
            busy_dates,
            away_dates,
            tuple(off_hours),
        )

    def workable(self, demand: Demand, duration: int | None = None) -> Iterator[SlotCheck]:
        """Date-by-date verdicts of the slots that work on at least one date, for explanations."""
        length = duration or demand.duration_minutes
        for weekday, minute in self.grid_within_hours(demand, length):
            for phase in self.phases(demand):
                slot = (demand.time_zone, weekday, minute, length, demand.interval_weeks, phase)
                occurrences = self.occurrences(*slot)
                together = (1 << len(occurrences)) - 1
                for key in demand.attendees:
                    together &= self.fit(key, slot, occurrences).works
                if together:
                    yield self.check(demand, weekday, minute, phase, length)

    def check(
        self, demand: Demand, weekday: int, minute: int, phase: int | None = None, duration: int | None = None
    ) -> SlotCheck:
        """Which dates one slot works on, and who cannot make it on the others."""
        slot = (
            demand.time_zone,
            weekday,
            minute,
            duration or demand.duration_minutes,
            demand.interval_weeks,
            phase,
        )
        occurrences = self.occurrences(*slot)
        masks = {key: self.fit(key, slot, occurrences).works for key in demand.attendees}
        good, failures = [], []
        for bit, day in enumerate(self.slot_dates(weekday, demand.interval_weeks, phase)):
            missing = tuple(key for key, mask in masks.items() if not mask >> bit & 1)
            if missing:
                failures.append((day, missing))
            else:
                good.append(day)
        return SlotCheck(weekday, minute, phase, tuple(good), tuple(failures))


def _utc_minute(day: date) -> int:
    return (day - EPOCH.date()).days * MINUTES_PER_DAY


def _slot_dates(
    calendar: CohortCalendar, weekday: int, interval_weeks: int, phase: int | None
) -> tuple[date, ...]:
    first = calendar.start + timedelta(days=(weekday - calendar.start.weekday()) % 7)
    days = []
    day = first
    while day <= calendar.end:
        in_phase = phase is None or calendar.week_index(day) % interval_weeks == phase
        if in_phase and calendar.is_meeting_day(day):
            days.append(day)
        day += timedelta(days=7)
    return tuple(days)

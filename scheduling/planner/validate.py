"""An independent check of every hard constraint of a plan, date by date, with plain datetimes.

Deliberately shares no code with the planners beyond the problem's dataclasses (and its rule of how many busy
dates a weekly slot may have): it walks the calendar day by
day, builds aware datetimes with zoneinfo and compares them, so a bug in the planners' minute arithmetic or
caching cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cohort.dates import WEEKDAY_NAMES
from scheduling.planner.problem import (
    Demand,
    Person,
    PlanningProblem,
    PlanResult,
    WeeklySlot,
    busy_dates_tolerated,
)


def validate_plan(problem: PlanningProblem, result: PlanResult) -> list[str]:
    """Every violated hard constraint, as a sentence; an empty list means the plan is sound."""
    demands = {demand.key: demand for demand in problem.demands}
    people = {person.key: person for person in problem.people}
    violations: list[str] = []
    booked: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    placed: dict[str, int] = {}

    for placement in result.placements:
        demand = demands.get(placement.demand_key)
        if demand is None:
            violations.append(f"placement for unknown demand {placement.demand_key}")
            continue
        if demand.key in placed:
            violations.append(f"{demand.label}: placed twice")
        placed[demand.key] = len(placement.meetings)
        violations += _weekly_rules(demand, placement.meetings)
        for slot in placement.meetings:
            violations += _slot_shape(demand, slot)
            occurrences = _occurrences(problem, demand, slot, violations)
            busy_dates, busy_people = 0, set()
            for start, end in occurrences:
                what = f"{demand.label} {WEEKDAY_NAMES[slot.weekday]} {slot.start:%H:%M} on {start:%Y-%m-%d}"
                busy_now = set()
                for key in demand.attendees:
                    person = people[key]
                    if not inside_windows(person, start, end):
                        violations.append(f"{what}: outside {person.name}'s available hours")
                    violations += [f"{what}: {broken}" for broken in outside_limits(person, start, end)]
                    buffer = timedelta(minutes=person.limits.buffer_minutes)
                    if any(busy.start - buffer < end and start < busy.end + buffer for busy in person.busy):
                        busy_now.add(person.name)
                    booked[key].append((start, end, what))
                busy_dates += bool(busy_now)
                busy_people |= busy_now
            tolerated = busy_dates_tolerated(len(occurrences))
            if busy_dates > tolerated:
                violations.append(
                    f"{demand.label} {WEEKDAY_NAMES[slot.weekday]} {slot.start:%H:%M}: "
                    f"{', '.join(sorted(busy_people))} busy (own calendar or time away, with any buffer) on {busy_dates} of its "
                    f"{len(occurrences)} dates; at most {tolerated} may be"
                )

    for key, meetings in booked.items():
        meetings.sort()
        person = people[key]
        buffer = timedelta(minutes=person.limits.buffer_minutes)
        latest_end, latest_what = None, ""
        for start, end, what in meetings:
            if latest_end is not None and start < latest_end:
                violations.append(f"{person.name} double-booked: {latest_what} and {what}")
            elif latest_end is not None and start < latest_end + buffer:
                violations.append(
                    f"{person.name} has less than their {person.limits.buffer_minutes} min buffer between "
                    f"{latest_what} and {what}"
                )
            if latest_end is None or end > latest_end:
                latest_end, latest_what = end, what
        violations += over_caps(person, meetings)

    reported = {item.demand_key: item for item in result.unplaced}
    for demand in problem.demands:
        count = placed.get(demand.key, 0)
        if count < demand.meetings_min and demand.key not in reported:
            violations.append(f"{demand.label}: {count} placed, below its minimum, but not reported unplaced")
        if demand.key in reported and reported[demand.key].placed != count:
            violations.append(
                f"{demand.label}: reported {reported[demand.key].placed} placed, plan has {count}"
            )
    return violations


def outside_limits(person: Person, start: datetime, end: datetime) -> list[str]:
    """The person's earliest start, latest end and days off, checked on their local wall clock."""
    limits = person.limits
    zone = ZoneInfo(person.time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    found = []
    if local_start.weekday() in limits.days_off:
        found.append(f"{person.name} takes no meetings on {WEEKDAY_NAMES[local_start.weekday()]}")
    if limits.earliest is not None and local_start.time() < limits.earliest:
        found.append(f"{person.name} takes no meetings before {limits.earliest:%H:%M}")
    if limits.latest is not None:
        # Same zone on both sides: the comparison is of wall clocks. A latest end of 00:00 is the day's midnight.
        midnight = limits.latest == time(0)
        ends_by = datetime.combine(local_start.date() + timedelta(days=midnight), limits.latest, tzinfo=zone)
        if local_end > ends_by:
            found.append(f"{person.name} takes no meetings after {limits.latest:%H:%M}")
    return found


def over_caps(person: Person, meetings: list[tuple[datetime, datetime, str]]) -> list[str]:
    """Meetings and minutes per local day and per local week (from Monday) against the person's caps."""
    zone = ZoneInfo(person.time_zone)
    totals: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for start, end, _ in meetings:
        day = start.astimezone(zone).date()
        for period, first_day in (("day", day), ("week", day - timedelta(days=day.weekday()))):
            totals[(period, first_day)][0] += 1
            totals[(period, first_day)][1] += int((end - start).total_seconds()) // 60
    found = []
    for cap in person.limits.caps():
        for (period, first_day), (count, minutes) in sorted(totals.items()):
            amount = count if cap.measure == "meetings" else minutes
            if period == cap.period and amount > cap.most:
                when = f"on {first_day}" if period == "day" else f"in the week of {first_day}"
                found.append(f"{person.name} has {amount} {cap.measure} {when}, above their limit of {cap}")
    return found


def _weekly_rules(demand: Demand, slots: tuple[WeeklySlot, ...]) -> list[str]:
    found = []
    if len(slots) > demand.meetings_max:
        found.append(f"{demand.label}: {len(slots)} meetings a week, at most {demand.meetings_max} wanted")
    days = [slot.weekday for slot in slots]
    if len(set(days)) != len(days):
        found.append(f"{demand.label}: two meetings on the same weekday")
    if demand.meetings_max <= 3:
        for i, first in enumerate(days):
            for second in days[i + 1 :]:
                gap = abs(first - second)
                if min(gap, 7 - gap) == 1:
                    found.append(
                        f"{demand.label}: meetings on neighbouring days {WEEKDAY_NAMES[first]}/{WEEKDAY_NAMES[second]}"
                    )
    return found


def _slot_shape(demand: Demand, slot: WeeklySlot) -> list[str]:
    found = []
    if slot.duration_minutes != demand.duration_minutes:
        found.append(f"{demand.label}: {slot.duration_minutes} min meeting, {demand.duration_minutes} wanted")
    if demand.interval_weeks == 1 and slot.week_parity is not None:
        found.append(f"{demand.label}: weekly meeting with a week parity")
    if demand.interval_weeks > 1 and slot.week_parity not in range(demand.interval_weeks):
        found.append(
            f"{demand.label}: every-{demand.interval_weeks}-weeks meeting without a valid week parity"
        )
    return found


def _occurrences(
    problem: PlanningProblem, demand: Demand, slot: WeeklySlot, violations: list[str]
) -> list[tuple[datetime, datetime]]:
    """The slot's meetings as aware UTC datetimes, one per cohort date it falls on."""
    calendar = problem.calendar
    series_zone = ZoneInfo(demand.time_zone)
    week_zero = calendar.first_monday
    found = []
    day = calendar.start
    while day <= calendar.end:
        in_break = any(pause.start <= day <= pause.end for pause in calendar.breaks)
        in_phase = slot.week_parity is None or ((day - week_zero).days // 7) % demand.interval_weeks == (
            slot.week_parity
        )
        if day.weekday() == slot.weekday and in_phase and not in_break:
            local = datetime.combine(day, slot.start, tzinfo=series_zone)
            start = local.astimezone(UTC)
            if start.astimezone(series_zone).time() != slot.start:
                violations.append(
                    f"{demand.label}: {slot.start:%H:%M} does not exist on {day} in {demand.time_zone}"
                )
            else:
                found.append((start, start + timedelta(minutes=slot.duration_minutes)))
        day += timedelta(days=1)
    return found


def inside_windows(person: Person, start: datetime, end: datetime) -> bool:
    """Is [start, end) covered by the person's windows (together, back to back) on their local weekday, with the
    extra hours they gave for that date?"""
    zone = ZoneInfo(person.time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day: date = local_start.date()
    from_minute = local_start.hour * 60 + local_start.minute
    if local_end.date() == day:
        to_minute = local_end.hour * 60 + local_end.minute
    elif local_end.date() == day + timedelta(days=1) and local_end.time() == time(0):
        to_minute = 24 * 60
    else:
        return False
    # When clocks go back the wall-clock end can come at or before the start: check at least the meeting's length.
    to_minute = max(to_minute, from_minute + math.ceil((end - start).total_seconds() / 60))
    hours = [(w.start_minute, w.end_minute) for w in person.windows if w.weekday == day.weekday()]
    hours += [(extra.start_minute, extra.end_minute) for extra in person.extra_hours if extra.day == day]
    reached = from_minute
    for window_start, window_end in sorted(hours):
        if window_start <= reached < window_end:
            reached = window_end
    return reached >= to_minute

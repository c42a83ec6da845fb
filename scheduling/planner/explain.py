"""Why a demand got fewer meetings than it asked for, in words a staff member can act on.

The reasons, checked in this order: someone entered no availability, or only hours on single dates too few for
a weekly slot; the attendees never overlap long enough;
they overlap only in some weeks (a clock change moves the overlap out of someone's hours, or someone's own calendar
shows them busy then) or only when someone's own calendar shows them busy; someone's limits close the hours they
share; their overlap falls on days too close together for the spread rule; someone's daily or weekly cap is reached;
their shared hours are booked by other meetings.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import date
from itertools import combinations, pairwise

from cohort.dates import WEEKDAY_NAMES
from scheduling.planner.bookings import Bookings
from scheduling.planner.problem import Demand, Limits, Person, Window, busy_dates_tolerated
from scheduling.planner.slots import (
    Candidate,
    CandidateFinder,
    SlotCheck,
    local_to_utc,
    spread_allows,
    utc_offset_minutes,
)


def explain_shortfall(
    finder: CandidateFinder, demand: Demand, candidates: list[Candidate], chosen: dict[str, list[Candidate]]
) -> str:
    people = finder.problem.people_by_key
    attendees = [people[key] for key in demand.attendees]
    absent = [person.name for person in attendees if not person.windows and not person.extra_hours]
    if absent:
        verb = "has" if len(absent) == 1 else "have"
        return f"{_join(absent)} {verb} no availability entered"
    # Hours on single dates make a weekly slot only where they recur on (nearly) every one of its dates.
    dated_only = [person for person in attendees if not person.windows]
    if dated_only and not candidates and _would_meet_were_they_weekly(finder, demand, dated_only):
        return "; ".join(
            f"{person.name} has no weekly hours, only hours added on {_dates(len(person.extra_hours))}: "
            "too few weeks for a weekly meeting"
            for person in dated_only
        )
    closed = [person for person in attendees if person.windows and not person.meeting_windows]
    if closed:
        return "; ".join(
            f"{person.name}'s limits ({person.limits.shaping_hours()}) leave none of their hours for meetings"
            for person in closed
        )
    who = _join([people[key].name for key in demand.attendees])
    if candidates:
        reason = _booked_reason(finder, demand, candidates, chosen, who)
    else:
        reason = _no_candidate_reason(finder, demand, who)
    return reason + _blackout_note(finder, demand)


def _no_candidate_reason(finder: CandidateFinder, demand: Demand, who: str) -> str:
    best: SlotCheck | None = None
    for check in finder.workable(demand):
        if best is None or len(check.good_dates) > len(best.good_dates):
            best = check
    if best is not None:
        return _some_weeks_reason(finder, demand, best, who)
    busy = _busy_at_every_shared_hour(finder, demand)
    if busy:
        return f"{who} share available hours only when {_busy_words(finder, busy, then='')}"
    limited = _limits_close_every_shared_hour(finder, demand)
    if limited:
        return f"{who} share available hours only outside " + "; ".join(
            f"{person.name}'s limits ({person.limits.shaping_hours()})" for person in limited
        )
    longest = _longest_overlap(finder, demand)
    if longest:
        return (
            f"{who} overlap by at most {longest} minutes on any day; "
            f"the meeting needs {demand.duration_minutes} minutes"
        )
    return f"{who} share no available hour on any weekday" + _odd_one_out(finder, demand)


def _would_meet_were_they_weekly(finder: CandidateFinder, demand: Demand, dated_only: list[Person]) -> bool:
    """Whether the attendees would meet if the hours those people added on single dates held every week: then
    those dates being too few is the reason, not hours that never overlap."""
    weekly = {}
    for person in dated_only:
        windows = {Window(extra.day.weekday(), extra.start, extra.end) for extra in person.extra_hours}
        weekly[person.key] = replace(
            person, windows=tuple(sorted(windows, key=lambda w: (w.weekday, w.start)))
        )
    people = tuple(weekly.get(person.key, person) for person in finder.problem.people)
    return next(CandidateFinder(replace(finder.problem, people=people)).workable(demand), None) is not None


def _busy_at_every_shared_hour(finder: CandidateFinder, demand: Demand) -> list[str]:
    """Who is busy (own calendar, part-day time away), when without those busy times the attendees would meet on
    some date."""
    people = finder.problem.people_by_key
    busy = [key for key in demand.attendees if people[key].busy]
    if not busy:
        return []
    free = replace(finder.problem, people=tuple(replace(person, busy=()) for person in finder.problem.people))
    if next(CandidateFinder(free).workable(demand), None) is None:
        return []
    return busy


def _busy_words(finder: CandidateFinder, keys: list[str], *, then: str) -> str:
    """ "Ada's own calendar shows busy times then", or, where time away is among them, "Ada is away or busy then"."""
    people = [finder.problem.people_by_key[key] for key in keys]
    names = _join([person.name for person in people])
    if any(busy.away for person in people for busy in person.busy):
        return f"{names} {'is' if len(people) == 1 else 'are'} away or busy{then}"
    return f"{names}'s own calendar shows busy times{then}"


def _limits_close_every_shared_hour(finder: CandidateFinder, demand: Demand) -> list[Person]:
    """Whose limits on hours (earliest, latest, days off) close the hours the attendees otherwise share: those whose
    limits cut their hours at all."""
    people = finder.problem.people_by_key
    limited = [people[key] for key in demand.attendees if people[key].meeting_windows != people[key].windows]
    if not limited:
        return []
    unlimited = replace(
        finder.problem, people=tuple(replace(person, limits=Limits()) for person in finder.problem.people)
    )
    if next(CandidateFinder(unlimited).workable(demand), None) is None:
        return []
    return limited


def _odd_one_out(finder: CandidateFinder, demand: Demand) -> str:
    """In a meeting of three or more, the one attendee without whom the others would overlap."""
    if len(demand.attendees) < 3:
        return ""
    for key in demand.attendees:
        if key == demand.organiser:
            continue
        others = replace(demand, attendees=tuple(k for k in demand.attendees if k != key))
        if next(finder.workable(others), None):
            return f"; without {finder.problem.people_by_key[key].name} the others do"
    return ""


def _longest_overlap(finder: CandidateFinder, demand: Demand) -> int:
    """The longest meeting (in slot steps, shorter than the demand's) that fits on at least one date."""
    step = finder.problem.slot_minutes
    for duration in range(demand.duration_minutes - step, 0, -step):
        if next(finder.workable(demand, duration), None):
            return duration
    return 0


def _some_weeks_reason(finder: CandidateFinder, demand: Demand, check: SlotCheck, who: str) -> str:
    """The slot that works in the most weeks, and which clock change breaks it in the others."""
    good = set(check.good_dates)
    days = sorted(good | {day for day, _ in check.failures})
    bad = [day for day in days if day not in good]
    when = _weeks_phrase(days, good, bad)
    zones = list(dict.fromkeys([demand.time_zone, *(finder.zones[key] for key in demand.attendees)]))
    changed = []
    for before, after in pairwise(days):
        if (before in good) != (after in good):
            changed += [
                z for z in zones if _noon_offset(z, before) != _noon_offset(z, after) and z not in changed
            ]
    slot = f"{WEEKDAY_NAMES[check.weekday]} {check.start_minute // 60:02d}:{check.start_minute % 60:02d}"
    busy = _busy_on_failed_dates(finder, demand, check)
    if busy:
        return (
            f"{who} are available together at {slot} {when}: {_busy_words(finder, busy, then=' then')} "
            f"(a weekly slot may meet busy times on at most {busy_dates_tolerated(len(days))} of its {len(days)} "
            "dates)"
        )
    if not changed:
        return f"{who} are available together at {slot} {when}; no single time works in every week"
    if len(changed) == 1:
        cause = f"the clock change in {changed[0]} moves"
    else:
        cause = f"the clock changes in {_join(changed)} move"
    return f"{who} are available together ({slot}) {when}: {cause} the overlap out of hours"


def _busy_on_failed_dates(finder: CandidateFinder, demand: Demand, check: SlotCheck) -> list[str]:
    """Who (by key), of those missing on the slot's failed dates, is busy or away then."""
    dates = finder.slot_dates(check.weekday, demand.interval_weeks, check.phase)
    occurrences = finder.occurrences(
        demand.time_zone,
        check.weekday,
        check.start_minute,
        demand.duration_minutes,
        demand.interval_weeks,
        check.phase,
    )
    busy = {
        key
        for day, missing in check.failures
        for key in missing
        if (occurrence := occurrences[dates.index(day)]) is not None and finder.is_busy(key, occurrence)
    }
    return [key for key in demand.attendees if key in busy]


def _weeks_phrase(days: list[date], good: set[date], bad: list[date]) -> str:
    good_days = sorted(good)
    if good_days[-1] < bad[0]:
        return f"only in weeks before {_day(bad[0])}"
    if good_days[0] > bad[-1]:
        return f"only from {_day(good_days[0])}"
    if _is_run(days, good_days):
        return f"only from {_day(good_days[0])} to {_day(good_days[-1])}"
    if _is_run(days, bad):
        return f"except from {_day(bad[0])} to {_day(bad[-1])}"
    return f"only in {len(good_days)} of {len(days)} weeks"


def _is_run(days: list[date], subset: list[date]) -> bool:
    first = days.index(subset[0])
    return days[first : first + len(subset)] == subset


def _noon_offset(zone_name: str, day: date) -> int:
    return utc_offset_minutes(zone_name, local_to_utc(zone_name, day, 12 * 60))


def _booked_reason(
    finder: CandidateFinder,
    demand: Demand,
    candidates: list[Candidate],
    chosen: dict[str, list[Candidate]],
    who: str,
) -> str:
    weekdays = sorted({candidate.weekday for candidate in candidates})
    day_list = "/".join(WEEKDAY_NAMES[day] for day in weekdays)
    shared = f"Only {day_list} overlap for {who}" if len(weekdays) <= 3 else f"{who} overlap on {day_list}"
    if len(weekdays) < demand.meetings_min:
        return f"{shared}; {demand.meetings_min} meetings a week need {demand.meetings_min} different days"
    if _most_spread_days(weekdays, demand.meetings_max) < demand.meetings_min:
        return f"{shared}; {demand.meetings_min} meetings a week need a free day between any two"

    bookings = Bookings.of(finder, chosen, but=demand.key)
    blocked = {key: [bookings.clashes(key, c.occurrences) for c in candidates] for key in demand.attendees}
    capped = {key: [bookings.cap_reached(key, c) for c in candidates] for key in demand.attendees}
    free = [
        c
        for i, c in enumerate(candidates)
        if not any(blocked[key][i] or capped[key][i] for key in demand.attendees)
    ]
    if free:
        placed_days = [c.weekday for c in chosen.get(demand.key, ())]
        compatible = [c for c in free if spread_allows([*placed_days, c.weekday], demand.meetings_max)]
        if compatible:
            return (
                f"{shared}; free slots remain but the solver stopped first: re-run with a longer time limit"
            )
        taken = "/".join(WEEKDAY_NAMES[day] for day in sorted(placed_days))
        return f"{shared}; the only free slots fall on or next to the days already used ({taken})"

    # Slots free of other meetings, closed only by someone's cap: the cap is the reason.
    only_capped = Counter(
        (key, capped[key][i])
        for i in range(len(candidates))
        if not any(blocked[other][i] for other in demand.attendees)
        for key in demand.attendees
        if capped[key][i] is not None
    )
    if only_capped:
        (key, cap), _ = only_capped.most_common(1)[0]
        return f"{shared}; where they are free, {finder.problem.people_by_key[key].name} already has their limit of {cap}"

    step = math.gcd(finder.problem.slot_minutes, demand.duration_minutes)
    cells = sorted(
        {
            (c.weekday, minute)
            for c in candidates
            for minute in range(c.start_minute, c.start_minute + c.duration_minutes, step)
        }
    )
    used = {
        key: sum(_cell_booked(finder, demand, cell, step, bookings, key) for cell in cells)
        for key in demand.attendees
    }
    names = finder.problem.people_by_key
    total = _hours(len(cells) * step)
    solo = [key for key in demand.attendees if all(blocked[key])]
    if solo:
        busiest = max(solo, key=lambda key: used[key])
        return (
            f"{shared}, and {names[busiest].name} is fully booked there: "
            f"{_hours(used[busiest] * step)} of {total} available hours used"
        )
    busy = sorted((key for key in demand.attendees if used[key]), key=lambda key: -used[key])
    shares = ", ".join(f"{names[key].name} {_hours(used[key] * step)}" for key in busy)
    return (
        f"{shared}, and their other meetings fill every shared slot between them (of {total} hours: {shares})"
    )


def _cell_booked(
    finder: CandidateFinder, demand: Demand, cell: tuple[int, int], step: int, bookings: Bookings, person: str
) -> bool:
    weekday, minute = cell
    for phase in finder.phases(demand):
        occurrences = finder.occurrences(
            demand.time_zone, weekday, minute, step, demand.interval_weeks, phase
        )
        if bookings.clashes(person, [o for o in occurrences if o is not None]):
            return True
    return False


def _most_spread_days(weekdays: list[int], meetings_max: int) -> int:
    for size in range(min(len(weekdays), meetings_max), 0, -1):
        if any(spread_allows(days, meetings_max) for days in combinations(weekdays, size)):
            return size
    return 0


def _blackout_note(finder: CandidateFinder, demand: Demand) -> str:
    """Mentions anyone away for most of the cohort: blackouts do not block planning but empty the meetings."""
    days = finder.problem.calendar.meeting_days()
    notes = []
    for key in demand.attendees:
        person = finder.problem.people_by_key[key]
        away = sum(1 for day in days if any(day in blackout for blackout in person.blackouts))
        if days and away * 2 > len(days):
            notes.append(f"{person.name} is away {away} of {len(days)} cohort days")
    return f" ({'; '.join(notes)})" if notes else ""


def _dates(count: int) -> str:
    return f"{count} date{'s' if count != 1 else ''}"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _join(names: list[str]) -> str:
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} others"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

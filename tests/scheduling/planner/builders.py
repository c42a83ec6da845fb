"""Short constructors for planner tests: people, demands and cohorts in a line each."""

from __future__ import annotations

from datetime import date, time

from cohort.cadence import MeetingKind
from scheduling.planner import CohortCalendar, DateRange, Demand, Person, PlanningProblem, Window

LONDON = "Europe/London"
LOS_ANGELES = "America/Los_Angeles"
KOLKATA = "Asia/Kolkata"
WORKDAYS = (0, 1, 2, 3, 4)


def hours(start: float, end: float, days: tuple[int, ...] = WORKDAYS) -> tuple[Window, ...]:
    def clock(hour: float) -> time:
        return time(0) if hour == 24 else time(int(hour), round(hour % 1 * 60))

    return tuple(Window(day, clock(start), clock(end)) for day in days)


def person(key: str, zone: str, windows: tuple[Window, ...], name: str = "") -> Person:
    return Person(key, name or key.title(), zone, windows)


def demand(
    organiser: Person,
    *others: Person,
    per_week: tuple[float, float] = (1, 1),
    minutes: int = 60,
    kind: MeetingKind = MeetingKind.ONE_ON_ONE,
    key: str = "",
) -> Demand:
    attendees = (organiser.key, *(other.key for other in others))
    return Demand(
        key=key or "+".join(attendees),
        kind=kind,
        organiser=organiser.key,
        attendees=attendees,
        per_week_min=per_week[0],
        per_week_max=per_week[1],
        duration_minutes=minutes,
        time_zone=organiser.time_zone,
        label=f"{organiser.name} ↔ {', '.join(other.name for other in others)}",
    )


def calendar(start: date, end: date, breaks: tuple[DateRange, ...] = ()) -> CohortCalendar:
    return CohortCalendar(start, end, LONDON, breaks)


WINTER_TO_SPRING = calendar(date(2025, 1, 6), date(2025, 4, 25))


def problem(
    people: list[Person], demands: list[Demand], cohort: CohortCalendar = WINTER_TO_SPRING, **options
) -> PlanningProblem:
    options.setdefault("time_limit_seconds", 1)
    return PlanningProblem(tuple(people), tuple(demands), cohort, **options)

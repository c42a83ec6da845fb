"""Generated small problems: whatever the zones, windows, cadences and calendar, both planners' plans pass the
independent validator (people's limits, one-off busy times and hours added on dates included), CP-SAT never places
fewer meetings than first-fit, and the candidate search agrees with the validator slot by slot. People's preferred
hours are drawn too: soft, they must never break a hard constraint."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import product
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.cadence import MeetingKind
from scheduling.planner import (
    BusyTime,
    CohortCalendar,
    DailyHours,
    DateRange,
    Demand,
    ExtraHours,
    Limits,
    Person,
    Placement,
    PlanningProblem,
    PlanResult,
    PublishedSlot,
    WeeklySlot,
    Window,
    plan,
    plan_first_fit,
    validate_plan,
)
from scheduling.planner.slots import CandidateFinder

# Northern and southern clock changes, a zone without any, and a half-hour offset.
ZONES = ("Europe/London", "America/Los_Angeles", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
# Cohorts that start around a clock change, or in a quiet stretch.
STARTS = (date(2025, 3, 3), date(2025, 3, 24), date(2025, 10, 20), date(2025, 9, 22), date(2025, 6, 2))
CADENCES = ((0.5, 0.5), (1, 1), (2, 3), (2, 2), (5, 5))


def clock(minute: int) -> time:
    return time(minute // 60 % 24, minute % 60)


@st.composite
def availability(draw) -> tuple[Window, ...]:
    """Working hours on some days, wide enough across zones to overlap often, plus a few odd windows."""
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 40)) * 30
    end = min(start + draw(st.integers(8, 28)) * 30, 24 * 60)
    regular = [Window(day, clock(start), clock(end)) for day in sorted(days)]
    odd = []
    for _ in range(draw(st.integers(0, 2))):
        begin = draw(st.integers(0, 45)) * 30
        odd.append(
            Window(
                draw(st.integers(0, 6)),
                clock(begin),
                clock(min(begin + draw(st.integers(1, 8)) * 30, 24 * 60)),
            )
        )
    return tuple(regular + odd)


@st.composite
def limits(draw) -> Limits:
    """No limits for about half the people; otherwise any mix, caps never below one 90-minute meeting."""
    if draw(st.booleans()):
        return Limits()
    return Limits(
        buffer_minutes=draw(st.sampled_from((0, 15, 30))),
        meetings_per_day=draw(st.sampled_from((None, 1, 2))),
        meetings_per_week=draw(st.sampled_from((None, 1, 3))),
        minutes_per_day=draw(st.sampled_from((None, 90, 150))),
        minutes_per_week=draw(st.sampled_from((None, 120, 240))),
        earliest=draw(st.sampled_from((None, time(7), time(10)))),
        latest=draw(st.sampled_from((None, time(16), time(21), time(0)))),
        days_off=frozenset(draw(st.sets(st.integers(0, 6), max_size=2))),
    )


@st.composite
def busy_times(draw, zone: str, start: date, end: date) -> tuple[BusyTime, ...]:
    """A few events of the person's own calendar on their wall clock, sometimes none: one-off, or repeated for a
    few weeks, so weekly slots meet them on some of their dates (around the share a slot may have)."""
    found = []
    for _ in range(draw(st.integers(0, 4))):
        day = start + timedelta(days=draw(st.integers(0, (end - start).days)))
        at, minutes = clock(draw(st.integers(0, 47)) * 30), draw(st.sampled_from((15, 60, 150)))
        for week in range(draw(st.integers(1, 3))):
            begin = datetime.combine(day + timedelta(weeks=week), at, ZoneInfo(zone))
            found.append(BusyTime(begin, begin + timedelta(minutes=minutes)))
    return tuple(found)


@st.composite
def extra_hours(draw, start: date, end: date) -> tuple[ExtraHours, ...]:
    """Hours added on a date, sometimes on the same weekday of every week (so a weekly slot can rest on them)."""
    found = []
    for _ in range(draw(st.integers(0, 2))):
        weeks = draw(st.sampled_from((1, 9)))  # nine weeks cover any cohort drawn here from its first week
        day = start + timedelta(days=draw(st.integers(0, 6 if weeks > 1 else (end - start).days)))
        begin = draw(st.integers(0, 44)) * 30
        until = min(begin + draw(st.sampled_from((60, 120, 240))), 24 * 60)
        for week in range(weeks):
            found.append(ExtraHours(day + timedelta(weeks=week), clock(begin), clock(until)))
    return tuple(found)


PREFERRED = (
    None,
    DailyHours(time(9), time(12)),
    DailyHours(time(13), time(18)),
    DailyHours(time(8), time(0)),
)


@st.composite
def problems(draw) -> PlanningProblem:
    people = [
        Person(
            f"p{i}", f"Person {i}", draw(st.sampled_from(ZONES)), draw(availability()), limits=draw(limits())
        )
        for i in range(draw(st.integers(2, 5)))
    ]
    demands = []
    for index in range(draw(st.integers(1, 5))):
        organiser = draw(st.sampled_from(people))
        others = draw(
            st.lists(
                st.sampled_from([p for p in people if p is not organiser]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        low, high = draw(st.sampled_from(CADENCES))
        demands.append(
            Demand(
                key=f"d{index}",
                kind=MeetingKind.ONE_ON_ONE,
                organiser=organiser.key,
                attendees=(organiser.key, *(other.key for other in others)),
                per_week_min=low,
                per_week_max=high,
                duration_minutes=draw(st.sampled_from((30, 60, 90))),
                time_zone=organiser.time_zone,
                label=f"demand {index}",
            )
        )
    start = draw(st.sampled_from(STARTS))
    end = start + timedelta(days=draw(st.integers(6, 56)))
    people = [
        replace(
            person,
            busy=draw(busy_times(person.time_zone, start, end)),
            extra_hours=draw(extra_hours(start, end)),
            preferred_hours=draw(st.sampled_from(PREFERRED)),
        )
        for person in people
    ]
    breaks = ()
    if draw(st.booleans()):
        pause = start + timedelta(days=draw(st.integers(0, 20)))
        breaks = (DateRange(pause, pause + timedelta(days=draw(st.integers(0, 9)))),)
    published = tuple(
        PublishedSlot(
            f"d{draw(st.integers(0, len(demands) - 1))}",
            draw(st.integers(0, 6)),
            time(draw(st.integers(0, 22))),
            None,
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return PlanningProblem(
        people=tuple(people),
        demands=tuple(demands),
        calendar=CohortCalendar(start, end, "Europe/London", breaks),
        published=published,
        slot_minutes=draw(st.sampled_from((30, 60))),
        time_limit_seconds=0.2,
        workers=draw(st.sampled_from((1, 2))),
    )


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_both_planners_keep_every_hard_constraint_and_cp_sat_places_no_fewer(planning):
    optimised, first_fit = plan(planning), plan_first_fit(planning)

    assert validate_plan(planning, optimised) == []
    assert validate_plan(planning, first_fit) == []
    assert optimised.meetings_placed >= first_fit.meetings_placed


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_no_plan_scores_above_its_proven_bound_and_an_optimal_one_meets_it(planning):
    result = plan(planning)

    assert result.objective <= result.objective_bound
    if result.solver_status == "OPTIMAL":
        assert (result.objective, result.gap) == (result.objective_bound, 0)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_candidate_slots_are_exactly_the_grid_slots_the_validator_accepts(planning):
    finder = CandidateFinder(planning)
    for demand in planning.demands:
        # One meeting a week (or fortnight) is its own minimum, so only availability can fail validation.
        single = replace(
            demand, per_week_min=min(demand.per_week_max, 1), per_week_max=min(demand.per_week_max, 1)
        )
        alone = replace(planning, demands=(single,), published=())
        candidates = {(c.weekday, c.start_minute, c.phase) for c in finder.candidates(demand)}
        for weekday, minute in product(range(7), finder.grid(demand.duration_minutes)):
            for phase in finder.phases(demand):
                if not finder.slot_dates(weekday, demand.interval_weeks, phase):
                    continue
                slot = WeeklySlot(weekday, time(minute // 60, minute % 60), demand.duration_minutes, phase)
                verdict = validate_plan(
                    alone, PlanResult((Placement(demand.key, (slot,)),), (), (), "", 0, 0)
                )
                assert (verdict == []) == ((weekday, minute, phase) in candidates), (slot, verdict[:2])

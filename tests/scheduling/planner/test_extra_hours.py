"""Date overrides that add hours: hours a person gives on one date beyond their weekly ones join that day's hours,
for both planners and for the independent validator; their limits still hold then."""

from dataclasses import replace
from datetime import date, time

import pytest

from scheduling.planner import (
    ExtraHours,
    Limits,
    Placement,
    PlanResult,
    WeeklySlot,
    plan,
    plan_first_fit,
    validate_plan,
)
from tests.scheduling.planner.builders import LONDON, calendar, demand, hours, person, problem

PLANNERS = pytest.mark.parametrize("planner", [plan, plan_first_fit], ids=["solver", "first_fit"])
MONDAY = 0
FIRST, SECOND = date(2025, 1, 6), date(2025, 1, 13)
TWO_MONDAYS = calendar(FIRST, date(2025, 1, 17))
# Cas meets 09:00-10:00 on Mondays, Ada 10:00-11:00: they share no hour, week by week.
CAS = person("cas", LONDON, hours(9, 10, days=(MONDAY,)))
ADA = person("ada", LONDON, hours(10, 11, days=(MONDAY,)))


def with_extra(someone, *days: date, start: time = time(10), end: time = time(11)):
    return replace(someone, extra_hours=tuple(ExtraHours(day, start, end) for day in days))


@PLANNERS
def test_extra_hours_on_every_date_of_a_slot_make_it_a_candidate(planner):
    cas = with_extra(CAS, FIRST, SECOND)
    planning = problem([cas, ADA], [demand(cas, ADA)], TWO_MONDAYS)

    result = planner(planning)

    assert [(s.weekday, s.start) for p in result.placements for s in p.meetings] == [(MONDAY, time(10))]
    assert validate_plan(planning, result) == []


@PLANNERS
def test_extra_hours_on_one_date_do_not_make_a_weekly_slot(planner):
    cas = with_extra(CAS, SECOND)

    result = planner(problem([cas, ADA], [demand(cas, ADA)], TWO_MONDAYS))

    assert result.meetings_placed == 0


@PLANNERS
def test_someone_with_only_hours_on_single_dates_is_told_they_are_too_few(planner):
    cas = with_extra(replace(CAS, windows=()), SECOND)

    result = planner(problem([cas, ADA], [demand(cas, ADA)], TWO_MONDAYS))

    assert [item.reason for item in result.unplaced] == [
        "Cas has no weekly hours, only hours added on 1 date: too few weeks for a weekly meeting"
    ]


@PLANNERS
def test_hours_on_dates_that_never_meet_the_others_are_not_blamed_for_being_few(planner):
    # Cas's Monday evening would never overlap Ada's Monday morning, however many weeks it held.
    cas = with_extra(replace(CAS, windows=()), SECOND, start=time(18), end=time(19))

    result = planner(problem([cas, ADA], [demand(cas, ADA)], TWO_MONDAYS))

    assert [item.reason for item in result.unplaced] == ["Cas and Ada share no available hour on any weekday"]


@PLANNERS
def test_hours_on_every_date_of_a_slot_count_without_weekly_hours(planner):
    cas = with_extra(replace(CAS, windows=()), FIRST, SECOND)

    result = planner(problem([cas, ADA], [demand(cas, ADA)], TWO_MONDAYS))

    assert (result.meetings_placed, result.unplaced) == (1, ())


def hand_made(start: time, minutes: int = 60) -> PlanResult:
    slot = WeeklySlot(MONDAY, start, minutes)
    return PlanResult((Placement("cas+ada", (slot,)),), (), (), "HAND_MADE", 0, 0.0)


def test_the_validator_counts_extra_hours_as_hours_on_their_date_only():
    everyone = [CAS, ADA]
    weekly = problem(everyone, [demand(CAS, ADA)], TWO_MONDAYS)
    one_date = problem([with_extra(CAS, SECOND), ADA], [demand(CAS, ADA)], TWO_MONDAYS)
    both_dates = problem([with_extra(CAS, FIRST, SECOND), ADA], [demand(CAS, ADA)], TWO_MONDAYS)

    assert len(validate_plan(weekly, hand_made(time(10)))) == 2
    [left] = validate_plan(one_date, hand_made(time(10)))
    assert "2025-01-06" in left
    assert validate_plan(both_dates, hand_made(time(10))) == []


def test_extra_hours_join_the_weekly_hours_back_to_back():
    """Weekly 09:00-10:00 and extra 10:00-11:00 hold a meeting from 09:30 to 10:30."""
    cas = with_extra(CAS, FIRST, SECOND)
    ada = replace(ADA, windows=hours(9, 11, days=(MONDAY,)))
    planning = problem([cas, ada], [demand(cas, ada)], TWO_MONDAYS)

    assert validate_plan(planning, hand_made(time(9, 30))) == []
    assert plan(planning).meetings_placed == 1


@PLANNERS
def test_limits_still_hold_in_extra_hours(planner):
    """Extra hours on a day off, or past the latest end, open nothing."""
    ada = replace(ADA, windows=hours(10, 20, days=(MONDAY,)))
    day_off = replace(with_extra(CAS, FIRST, SECOND), limits=Limits(days_off=frozenset({MONDAY})))
    too_late = replace(
        with_extra(CAS, FIRST, SECOND, start=time(18), end=time(20)), limits=Limits(latest=time(18))
    )

    for cas in (day_off, too_late):
        assert planner(problem([cas, ada], [demand(cas, ada)], TWO_MONDAYS)).meetings_placed == 0


def test_extra_hours_must_end_after_they_start():
    with pytest.raises(ValueError, match="end before they start"):
        ExtraHours(FIRST, time(11), time(10))

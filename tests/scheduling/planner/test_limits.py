"""People's limits as hard planner constraints: a buffer around meetings, caps on meetings and meeting time a
day and a week, an earliest start and a latest end, days without meetings. Both planners keep them, the
independent validator checks them, and a shortfall they cause names the limit."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.planner import (
    BusyTime,
    Limits,
    Placement,
    PlanResult,
    WeeklySlot,
    plan,
    plan_first_fit,
    validate_plan,
)
from tests.scheduling.planner.builders import KOLKATA, LONDON, calendar, demand, hours, person, problem

PLANNERS = pytest.mark.parametrize("planner", [plan, plan_first_fit], ids=["solver", "first_fit"])
MONDAY, TUESDAY, FRIDAY = 0, 1, 4
# Eleven weeks before London's clock change.
WINTER = calendar(date(2025, 1, 6), date(2025, 3, 21))


def limited(someone, **limits):
    return replace(someone, limits=Limits(**limits))


def slots_of(result: PlanResult, demand_key: str) -> list[tuple[int, time]]:
    placement = result.placement_for(demand_key)
    return [(slot.weekday, slot.start) for slot in placement.meetings] if placement else []


def all_slots(result: PlanResult) -> list[tuple[int, time, int]]:
    return sorted((s.weekday, s.start, s.duration_minutes) for p in result.placements for s in p.meetings)


def hand_made(*slots: tuple[str, int, time], minutes: int = 60) -> PlanResult:
    placements = tuple(
        Placement(key, (WeeklySlot(weekday, start, minutes),)) for key, weekday, start in slots
    )
    return PlanResult(placements, (), (), "HAND_MADE", 0, 0.0)


def reasons(result: PlanResult) -> list[str]:
    return [item.reason for item in result.unplaced]


CAS = person("cas", LONDON, hours(9, 17), name="Cas")
SCHOLARS = [person(key, LONDON, hours(9, 17), name=key.title()) for key in ("ada", "bob", "eve")]


# --- Buffer ---------------------------------------------------------------------------------------------------


@PLANNERS
def test_a_buffer_keeps_two_meetings_apart_and_one_that_cannot_keep_it_is_unplaced(planner):
    """Ada and Bob can only meet Tuesday 10:00-12:00: two hours hold two meetings back to back, but not with
    Cas's 30 minutes between them."""
    ada, bob = (replace(s, windows=hours(10, 12, days=(TUESDAY,))) for s in SCHOLARS[:2])
    meetings = [demand(CAS, ada), demand(CAS, bob)]
    assert plan(problem([CAS, ada, bob], meetings)).meetings_placed == 2

    cas = limited(CAS, buffer_minutes=30)
    planning = problem([cas, ada, bob], meetings)
    result = planner(planning)

    assert result.meetings_placed == 1
    assert validate_plan(planning, result) == []
    assert len(result.unplaced) == 1


def test_meetings_with_a_buffer_form_a_block_the_buffer_apart():
    """Blocks still win over scattered meetings: with a buffer the next meeting starts the buffer after the last
    ends, not anywhere later in the day."""
    cas = limited(replace(CAS, windows=hours(9, 17, days=(MONDAY,))), buffer_minutes=30)
    planning = problem([cas, *SCHOLARS[:2]], [demand(cas, SCHOLARS[0]), demand(cas, SCHOLARS[1])])

    result = plan(planning)

    (day, first, _), (_, second, _) = all_slots(result)
    gap = datetime.combine(date.min, second) - datetime.combine(date.min, first) - timedelta(hours=1)
    assert (day, gap) == (MONDAY, timedelta(minutes=30))
    assert validate_plan(planning, result) == []


@PLANNERS
def test_a_buffer_keeps_meetings_clear_of_busy_times_too(planner):
    """Busy 12:00-13:00 every Tuesday; with a 15-minute buffer neither 11:00-12:00 nor 13:00-14:00 is free."""
    cas = replace(CAS, windows=hours(11, 14, days=(TUESDAY,)))
    start = date(2025, 1, 7)
    weekly = tuple(
        BusyTime(
            datetime.combine(start + timedelta(weeks=n), time(12), tzinfo=ZoneInfo(LONDON)),
            datetime.combine(start + timedelta(weeks=n), time(13), tzinfo=ZoneInfo(LONDON)),
        )
        for n in range(16)
    )
    cas = replace(cas, busy=weekly)
    meeting = demand(cas, SCHOLARS[0])
    assert slots_of(planner(problem([cas, SCHOLARS[0]], [meeting])), meeting.key) in (
        [(TUESDAY, time(11))],
        [(TUESDAY, time(13))],
    )

    planning = problem([limited(cas, buffer_minutes=15), SCHOLARS[0]], [meeting])
    result = planner(planning)

    assert result.meetings_placed == 0
    assert validate_plan(planning, hand_made((meeting.key, TUESDAY, time(11)))) == [
        f"{meeting.label} Tue 11:00: Cas busy (own calendar or time away, with any buffer) on 16 of its 16 dates; at most 4 may be"
    ]


# --- Caps on a day and a week ---------------------------------------------------------------------------------


@PLANNERS
def test_one_meeting_a_day_spreads_the_meetings_and_names_the_limit_when_days_run_out(planner):
    scholars = [replace(s, windows=hours(9, 17, days=(MONDAY, TUESDAY))) for s in SCHOLARS]
    cas = limited(CAS, meetings_per_day=1)
    meetings = [demand(cas, scholar) for scholar in scholars]
    planning = problem([cas, *scholars], meetings)

    result = planner(planning)

    assert sorted(day for day, _, _ in all_slots(result)) == [MONDAY, TUESDAY]
    assert validate_plan(planning, result) == []
    [reason] = reasons(result)
    assert reason.endswith("where they are free, Cas already has their limit of 1 meeting a day"), reason


@PLANNERS
def test_meeting_time_a_week_caps_how_many_hours_are_placed(planner):
    cas = limited(CAS, minutes_per_week=150)
    meetings = [demand(cas, scholar) for scholar in SCHOLARS]
    planning = problem([cas, *SCHOLARS], meetings)

    result = planner(planning)

    assert result.meetings_placed == 2
    assert validate_plan(planning, result) == []
    assert "Cas already has their limit of 2 h 30 min of meetings a week" in reasons(result)[0]


@PLANNERS
def test_a_cap_counts_on_the_persons_own_dates(planner):
    """Priya in Kolkata (UTC+5:30 all winter) takes one meeting a day. Cas's Monday 16:30 and Neel's Monday 18:30
    in London are both Monday there, but 22:00 Monday and 00:00 Tuesday for her: two of her days, so both fit."""
    priya = person(
        "priya", KOLKATA, hours(22, 23.5, days=(MONDAY,)) + hours(0, 1, days=(TUESDAY,)), name="Priya"
    )
    priya = limited(priya, meetings_per_day=1)
    cas = replace(CAS, windows=hours(16.5, 17, days=(MONDAY,)))
    neel = replace(CAS, key="neel", name="Neel", windows=hours(18.5, 19, days=(MONDAY,)))
    meetings = [demand(cas, priya, minutes=30), demand(neel, priya, minutes=30)]
    planning = problem([cas, neel, priya], meetings, WINTER)

    result = planner(planning)

    assert all_slots(result) == [(MONDAY, time(16, 30), 30), (MONDAY, time(18, 30), 30)]
    assert validate_plan(planning, result) == []
    # Two meetings on one of her days break the limit, every week.
    priya_one_day = replace(priya, windows=hours(22, 24, days=(MONDAY,)))
    neel_earlier = replace(neel, windows=hours(17, 17.5, days=(MONDAY,)))
    crowded = problem([cas, neel_earlier, priya_one_day], meetings, WINTER)
    both = hand_made((meetings[0].key, MONDAY, time(16, 30)), (meetings[1].key, MONDAY, time(17)), minutes=30)
    violations = validate_plan(crowded, both)
    assert violations[0] == "Priya has 2 meetings on 2025-01-06, above their limit of 1 meeting a day"
    assert len(violations) == 11
    assert planner(crowded).meetings_placed == 1


# --- Earliest, latest, days off -------------------------------------------------------------------------------


@PLANNERS
def test_earliest_latest_and_days_off_narrow_the_hours(planner):
    cas = limited(CAS, earliest=time(13), latest=time(15), days_off=frozenset({MONDAY, TUESDAY, 2, 3}))
    meeting = demand(cas, SCHOLARS[0], minutes=60)
    planning = problem([cas, SCHOLARS[0]], [meeting])

    result = planner(planning)

    assert slots_of(result, meeting.key) in (
        [(FRIDAY, time(13))],
        [(FRIDAY, time(13, 30))],
        [(FRIDAY, time(14))],
    )
    assert validate_plan(planning, result) == []


@pytest.mark.parametrize(
    ("slot", "broken"),
    [
        ((FRIDAY, time(12)), "Cas takes no meetings before 13:00"),
        ((FRIDAY, time(14, 30)), "Cas takes no meetings after 15:00"),
        ((MONDAY, time(13)), "Cas takes no meetings on Mon"),
    ],
)
def test_the_validator_reports_each_hour_limit_on_every_date(slot, broken):
    cas = limited(CAS, earliest=time(13), latest=time(15), days_off=frozenset({MONDAY}))
    meeting = demand(cas, SCHOLARS[0])
    planning = problem([cas, SCHOLARS[0]], [meeting])

    violations = validate_plan(planning, hand_made((meeting.key, *slot)))

    assert len([v for v in violations if v.endswith(broken)]) == 16


def test_the_validator_reports_a_broken_buffer_and_each_cap():
    cas = limited(CAS, buffer_minutes=15, meetings_per_day=1, minutes_per_day=90, meetings_per_week=1)
    meetings = [demand(cas, scholar) for scholar in SCHOLARS[:2]]
    planning = problem([cas, *SCHOLARS[:2]], meetings)
    back_to_back = hand_made((meetings[0].key, MONDAY, time(10)), (meetings[1].key, MONDAY, time(11)))

    violations = validate_plan(planning, back_to_back)

    assert "Cas has less than their 15 min buffer between" in violations[0]
    for cap in (
        "2 meetings on 2025-01-06, above their limit of 1 meeting a day",
        "120 minutes on 2025-01-06, above their limit of 1 h 30 min of meetings a day",
        "2 meetings in the week of 2025-01-06, above their limit of 1 meeting a week",
    ):
        assert f"Cas has {cap}" in violations
    apart = hand_made((meetings[0].key, MONDAY, time(10)), (meetings[1].key, TUESDAY, time(11, 15)))
    over = [v for v in validate_plan(planning, apart) if v.startswith("Cas has")]
    assert over[0] == "Cas has 2 meetings in the week of 2025-01-06, above their limit of 1 meeting a week"
    assert len(over) == 16
    assert all("a week" in v for v in over)


# --- Shortfalls the limits cause ------------------------------------------------------------------------------


def test_limits_that_close_every_hour_say_so():
    cas = limited(CAS, days_off=frozenset(range(5)))
    result = plan(problem([cas, SCHOLARS[0]], [demand(cas, SCHOLARS[0])]))

    assert reasons(result) == [
        "Cas's limits (not on Mon/Tue/Wed/Thu/Fri) leave none of their hours for meetings"
    ]


def test_a_weekly_cap_is_why_a_demand_gets_fewer_than_its_most():
    cas = limited(CAS, meetings_per_week=2)
    meeting = demand(cas, SCHOLARS[0], per_week=(2, 3), minutes=30)

    for planner in (plan, plan_first_fit):
        result = planner(problem([cas, SCHOLARS[0]], [meeting]))
        [short] = result.below_max
        assert short.placed == 2
        assert short.reason.endswith("where they are free, Cas already has their limit of 2 meetings a week")


def test_limits_that_close_the_shared_hours_say_whose():
    """Ada's buffer closes no hour: only Cas's earliest start is named."""
    ada = limited(replace(SCHOLARS[0], windows=hours(9, 12)), buffer_minutes=15)
    cas = limited(CAS, earliest=time(12, 30))
    result = plan(problem([cas, ada], [demand(cas, ada)]))

    assert reasons(result) == [
        "Cas and Ada share available hours only outside Cas's limits (not before 12:30)"
    ]


def test_limits_check_their_own_values():
    with pytest.raises(ValueError, match="latest end 09:00 is not after the earliest start 10:00"):
        Limits(earliest=time(10), latest=time(9))
    with pytest.raises(ValueError, match="at least 1"):
        Limits(meetings_per_day=0)
    with pytest.raises(ValueError, match=r"outside 0\.\.240"):
        Limits(buffer_minutes=300)
    assert Limits(earliest=time(22), latest=time(0)).latest_minute == 24 * 60

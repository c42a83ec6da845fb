from datetime import UTC, date, datetime, time

from scheduling.planner import Placement, PlanResult, Unplaced, WeeklySlot, validate_plan
from scheduling.planner.validate import inside_windows
from tests.scheduling.planner.builders import LONDON, LOS_ANGELES, calendar, demand, hours, person, problem

TWO_WEEKS = calendar(date(2025, 1, 6), date(2025, 1, 17))
CAS = person("cas", LONDON, hours(9, 17), name="Cas")
ADA = person("ada", LONDON, hours(9, 17), name="Ada")
BOB = person("bob", LONDON, hours(9, 17), name="Bob")


def result_of(*placements: Placement, unplaced: tuple[Unplaced, ...] = ()) -> PlanResult:
    return PlanResult(placements, unplaced, (), "HAND_MADE", 0, 0.0)


def weekly(
    demand_key: str, *slots: tuple[int, time], minutes: int = 60, parity: int | None = None
) -> Placement:
    return Placement(demand_key, tuple(WeeklySlot(day, start, minutes, parity) for day, start in slots))


def test_sound_plan_has_no_violations():
    planning = problem([CAS, ADA, BOB], [demand(CAS, ADA), demand(CAS, BOB)], TWO_WEEKS)

    plan = result_of(weekly("cas+ada", (0, time(10))), weekly("cas+bob", (0, time(11))))

    assert validate_plan(planning, plan) == []


def test_overlapping_meetings_of_one_person_are_reported_every_week():
    planning = problem([CAS, ADA, BOB], [demand(CAS, ADA), demand(CAS, BOB)], TWO_WEEKS)

    plan = result_of(weekly("cas+ada", (0, time(10))), weekly("cas+bob", (0, time(10, 30))))

    assert validate_plan(planning, plan) == [
        "Cas double-booked: Cas ↔ Ada Mon 10:00 on 2025-01-06 and Cas ↔ Bob Mon 10:30 on 2025-01-06",
        "Cas double-booked: Cas ↔ Ada Mon 10:00 on 2025-01-13 and Cas ↔ Bob Mon 10:30 on 2025-01-13",
    ]


def test_opposite_week_parities_do_not_clash():
    demands = [demand(CAS, ADA, per_week=(0.5, 0.5)), demand(CAS, BOB, per_week=(0.5, 0.5))]
    planning = problem([CAS, ADA, BOB], demands, TWO_WEEKS)

    plan = result_of(
        weekly("cas+ada", (0, time(10)), parity=0),
        weekly("cas+bob", (0, time(10)), parity=1),
    )

    assert validate_plan(planning, plan) == []


def test_meeting_outside_someones_hours_is_reported():
    planning = problem([CAS, ADA], [demand(CAS, ADA)], TWO_WEEKS)

    plan = result_of(weekly("cas+ada", (0, time(16, 30))))

    assert validate_plan(planning, plan) == [
        "Cas ↔ Ada Mon 16:30 on 2025-01-06: outside Cas's available hours",
        "Cas ↔ Ada Mon 16:30 on 2025-01-06: outside Ada's available hours",
        "Cas ↔ Ada Mon 16:30 on 2025-01-13: outside Cas's available hours",
        "Cas ↔ Ada Mon 16:30 on 2025-01-13: outside Ada's available hours",
    ]


def test_slot_that_breaks_only_between_the_spring_clock_changes_is_reported_on_those_dates():
    lee = person("lee", LOS_ANGELES, hours(6, 17), name="Lee")
    ada = person("ada", LONDON, hours(16, 20), name="Ada")
    planning = problem([lee, ada], [demand(lee, ada)])

    plan = result_of(weekly("lee+ada", (0, time(8))))

    assert validate_plan(planning, plan) == [
        f"Lee ↔ Ada Mon 08:00 on 2025-03-{day}: outside Ada's available hours" for day in (10, 17, 24)
    ]


def test_meeting_at_a_time_skipped_by_the_clock_change_is_reported():
    night = hours(0, 4, days=(6,))
    owl, lark = person("owl", LONDON, night, name="Owl"), person("lark", LONDON, night, name="Lark")
    planning = problem(
        [owl, lark], [demand(owl, lark, minutes=30)], calendar(date(2025, 3, 24), date(2025, 4, 6))
    )

    plan = result_of(weekly("owl+lark", (6, time(1)), minutes=30))

    assert validate_plan(planning, plan) == [
        "Owl ↔ Lark: 01:00 does not exist on 2025-03-30 in Europe/London"
    ]


def test_meetings_on_neighbouring_days_and_above_the_maximum_are_reported():
    planning = problem([CAS, ADA], [demand(CAS, ADA, per_week=(2, 2))], TWO_WEEKS)

    plan = result_of(weekly("cas+ada", (0, time(10)), (1, time(10)), (3, time(10))))

    assert validate_plan(planning, plan) == [
        "Cas ↔ Ada: 3 meetings a week, at most 2 wanted",
        "Cas ↔ Ada: meetings on neighbouring days Mon/Tue",
    ]


def test_demand_below_its_minimum_must_be_reported_unplaced():
    planning = problem([CAS, ADA], [demand(CAS, ADA, per_week=(2, 2))], TWO_WEEKS)

    plan = result_of(weekly("cas+ada", (0, time(10))))

    assert validate_plan(planning, plan) == [
        "Cas ↔ Ada: 1 placed, below its minimum, but not reported unplaced"
    ]


def test_every_other_week_meeting_needs_a_week_parity():
    planning = problem([CAS, ADA], [demand(CAS, ADA, per_week=(0.5, 0.5))], TWO_WEEKS)

    plan = result_of(weekly("cas+ada", (0, time(10))))

    assert validate_plan(planning, plan) == ["Cas ↔ Ada: every-2-weeks meeting without a valid week parity"]


def test_a_meeting_in_the_hour_clocks_repeat_is_inside_hours_only_if_its_length_is():
    """01:30 BST to 01:30 GMT on 26 October 2025: an hour long, though its wall clock does not move."""
    start, end = datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC)
    nights = person("owl", LONDON, hours(0, 3, days=(6,)))

    assert not inside_windows(person("cas", LONDON, hours(9, 17)), start, end)
    assert not inside_windows(person("owl", LONDON, hours(1.5, 2, days=(6,))), start, end)
    assert inside_windows(nights, start, end)

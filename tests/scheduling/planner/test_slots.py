from datetime import date, time

from scheduling.planner import DateRange, Window
from scheduling.planner.slots import CandidateFinder, spread_allows
from tests.scheduling.planner.builders import (
    LONDON,
    LOS_ANGELES,
    calendar,
    demand,
    hours,
    person,
    problem,
)

MONDAY = 0


def monday_starts(people, meeting, cohort=None) -> list[time]:
    options = {"cohort": cohort} if cohort else {}
    finder = CandidateFinder(problem(people, [meeting], **options))
    return [c.slot.start for c in finder.candidates(meeting) if c.weekday == MONDAY]


def test_nine_am_in_los_angeles_reaches_a_london_nine_to_five_only_between_the_two_spring_clock_changes():
    mentor = person("lee", LOS_ANGELES, hours(6, 17))
    scholar = person("ada", LONDON, hours(9, 17))
    meeting = demand(mentor, scholar)
    finder = CandidateFinder(problem([mentor, scholar], [meeting]))

    check = finder.check(meeting, MONDAY, 9 * 60)

    # 09:00 PST is 17:00 GMT; from 9 Mar (US clocks forward) it is 16:00 GMT, until 30 Mar (UK forward).
    assert check.good_dates == (date(2025, 3, 10), date(2025, 3, 17), date(2025, 3, 24))
    assert len(check.failures) == 13
    assert {who for _, who in check.failures} == {("ada",)}


def test_slot_that_leaves_someones_hours_in_the_weeks_between_clock_changes_is_no_candidate():
    mentor = person("lee", LOS_ANGELES, hours(6, 17))
    scholar = person("ada", LONDON, hours(16, 20))

    starts = monday_starts([mentor, scholar], demand(mentor, scholar))

    # 08:00 in Los Angeles is 16:00 in London, but 15:00 from 9 to 29 March.
    assert starts == [time(9), time(9, 30), time(10), time(10, 30), time(11)]


def test_slot_that_fails_only_during_a_break_is_a_candidate():
    mentor = person("lee", LOS_ANGELES, hours(6, 17))
    scholar = person("ada", LONDON, hours(16, 20))
    cohort = calendar(
        date(2025, 1, 6), date(2025, 4, 25), breaks=(DateRange(date(2025, 3, 10), date(2025, 3, 28)),)
    )

    starts = monday_starts([mentor, scholar], demand(mentor, scholar), cohort)

    assert starts[:3] == [time(8), time(8, 30), time(9)]


def test_start_times_missing_on_the_spring_forward_night_are_no_candidates():
    night = (Window(6, time(0), time(4)),)
    owl, lark = person("owl", LONDON, night), person("lark", LONDON, night)
    meeting = demand(owl, lark, minutes=30)
    finder = CandidateFinder(problem([owl, lark], [meeting], calendar(date(2025, 3, 24), date(2025, 4, 6))))

    starts = [c.slot.start for c in finder.candidates(meeting)]

    # On 30 March London jumps from 01:00 to 02:00.
    assert starts == [time(0), time(0, 30), time(2), time(2, 30), time(3), time(3, 30)]


def test_meeting_may_span_two_touching_windows():
    split_day = hours(9, 12) + hours(12, 17)
    cas, ada = person("cas", LONDON, split_day), person("ada", LONDON, hours(11, 13))

    starts = monday_starts([cas, ada], demand(cas, ada))

    assert starts == [time(11), time(11, 30), time(12)]


def test_window_ending_at_midnight_holds_a_meeting_ending_at_midnight():
    evening = hours(22, 24)
    cas, ada = person("cas", LONDON, evening), person("ada", LONDON, evening)

    starts = monday_starts([cas, ada], demand(cas, ada))

    assert starts == [time(22), time(22, 30), time(23)]


def test_two_meetings_a_week_need_a_free_day_between_them():
    assert spread_allows([0, 2], 2)
    assert spread_allows([0, 3], 3)
    assert not spread_allows([0, 1], 2)
    assert not spread_allows([6, 0], 2)
    assert not spread_allows([0, 0], 2)


def test_three_meetings_a_week_fall_on_no_two_neighbouring_days():
    assert spread_allows([0, 2, 4], 3)
    assert not spread_allows([0, 2, 3], 3)
    assert not spread_allows([0, 2, 6], 3)


def test_daily_stand_up_may_fill_neighbouring_days():
    assert spread_allows([0, 1, 2, 3, 4], 5)


def test_every_other_week_is_one_slot_with_a_two_week_interval():
    cas, ada = person("cas", LONDON, hours(9, 17)), person("ada", LONDON, hours(9, 17))

    fortnightly = demand(cas, ada, per_week=(0.5, 0.5))
    two_or_three = demand(cas, ada, per_week=(2, 3))

    assert (fortnightly.interval_weeks, fortnightly.meetings_min, fortnightly.meetings_max) == (2, 1, 1)
    assert (two_or_three.interval_weeks, two_or_three.meetings_min, two_or_three.meetings_max) == (1, 2, 3)


def test_every_other_week_candidates_come_in_both_week_parities():
    cas = person("cas", LONDON, hours(10, 11, days=(0,)))
    ada = person("ada", LONDON, hours(9, 17))
    meeting = demand(cas, ada, per_week=(0.5, 0.5))

    finder = CandidateFinder(problem([cas, ada], [meeting]))

    assert [(c.slot.start, c.phase) for c in finder.candidates(meeting)] == [(time(10), 0), (time(10), 1)]

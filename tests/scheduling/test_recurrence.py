import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.time_zones import time_zone_problem
from scheduling.recurrence import (
    DateRange,
    DateRanges,
    Occurrence,
    WeeklyRule,
    dates_in,
    expand,
    occurrence_on,
    rrule_string,
)

UTC = dt.UTC
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def starts(occurrences: list[Occurrence]) -> list[dt.datetime]:
    return [o.starts_at_utc for o in occurrences]


@pytest.mark.parametrize(
    ("first_day", "last_day", "expected_starts"),
    [
        # 2025's change is on Sunday 30 March.
        pytest.param(
            dt.date(2025, 3, 24),
            dt.date(2025, 4, 3),
            [utc(2025, 3, 24, 10), utc(2025, 3, 27, 10), utc(2025, 3, 31, 9), utc(2025, 4, 3, 9)],
            id="march",
        ),
        # 2025's change is on Sunday 26 October.
        pytest.param(
            dt.date(2025, 10, 20),
            dt.date(2025, 10, 30),
            [utc(2025, 10, 20, 9), utc(2025, 10, 23, 9), utc(2025, 10, 27, 10), utc(2025, 10, 30, 10)],
            id="october",
        ),
    ],
)
def test_london_wall_clock_stays_at_ten_across_the_clock_change(first_day, last_day, expected_starts):
    rule = WeeklyRule(weekdays=(MON, THU), start=dt.time(10), duration_minutes=60, time_zone="Europe/London")

    occurrences = expand(rule, first_day=first_day, last_day=last_day)

    assert starts(occurrences) == expected_starts


def test_los_angeles_wall_clock_stays_across_the_march_and_november_changes():
    rule = WeeklyRule(
        weekdays=(FRI,), start=dt.time(9, 30), duration_minutes=45, time_zone="America/Los_Angeles"
    )

    # 2025's changes are on Sunday 9 March and Sunday 2 November.
    spring = expand(rule, first_day=dt.date(2025, 3, 1), last_day=dt.date(2025, 3, 15))
    autumn = expand(rule, first_day=dt.date(2025, 10, 25), last_day=dt.date(2025, 11, 8))

    assert starts(spring) == [utc(2025, 3, 7, 17, 30), utc(2025, 3, 14, 16, 30)]
    assert starts(autumn) == [utc(2025, 10, 31, 16, 30), utc(2025, 11, 7, 17, 30)]


def test_occurrence_carries_its_local_date_and_exact_end():
    rule = WeeklyRule(weekdays=(WED,), start=dt.time(14), duration_minutes=90, time_zone="Asia/Kolkata")

    assert expand(rule, first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 6, 8)) == [
        Occurrence(
            local_date=dt.date(2025, 6, 4),
            starts_at_utc=utc(2025, 6, 4, 8, 30),
            ends_at_utc=utc(2025, 6, 4, 10),
        )
    ]


def test_time_in_the_london_spring_forward_gap_uses_the_offset_before_the_gap():
    rule = WeeklyRule(weekdays=(SUN,), start=dt.time(1, 30), duration_minutes=60, time_zone="Europe/London")

    occurrence = occurrence_on(rule, dt.date(2025, 3, 30))

    # RFC 5545 3.3.5: 01:30 does not exist that day; read with GMT it is 01:30 UTC, which clocks show as 02:30 BST.
    assert occurrence.starts_at_utc == utc(2025, 3, 30, 1, 30)
    assert occurrence.starts_at_utc.astimezone(ZoneInfo("Europe/London")).time() == dt.time(2, 30)


def test_time_in_the_los_angeles_spring_forward_gap_uses_the_offset_before_the_gap():
    rule = WeeklyRule(
        weekdays=(SUN,), start=dt.time(2, 30), duration_minutes=30, time_zone="America/Los_Angeles"
    )

    assert occurrence_on(rule, dt.date(2025, 3, 9)).starts_at_utc == utc(2025, 3, 9, 10, 30)


@pytest.mark.parametrize(
    ("time_zone", "start", "night", "first_start"),
    [
        # 01:30 happens twice on 26 October 2025: first in BST (00:30 UTC), then in GMT (01:30 UTC).
        pytest.param(
            "Europe/London", dt.time(1, 30), dt.date(2025, 10, 26), utc(2025, 10, 26, 0, 30), id="london"
        ),
        pytest.param(
            "America/Los_Angeles",
            dt.time(1, 15),
            dt.date(2025, 11, 2),
            utc(2025, 11, 2, 8, 15),
            id="los-angeles",
        ),
    ],
)
def test_time_the_fall_back_repeats_means_its_first_occurrence(time_zone, start, night, first_start):
    rule = WeeklyRule(weekdays=(SUN,), start=start, duration_minutes=30, time_zone=time_zone)

    assert occurrence_on(rule, night).starts_at_utc == first_start


def test_duration_is_exact_time_on_the_night_the_clocks_change():
    rule = WeeklyRule(weekdays=(SUN,), start=dt.time(0, 30), duration_minutes=120, time_zone="Europe/London")

    occurrence = occurrence_on(rule, dt.date(2025, 3, 30))

    assert occurrence.ends_at_utc - occurrence.starts_at_utc == dt.timedelta(minutes=120)


def test_every_other_week_follows_the_anchor_week():
    rule = WeeklyRule(
        weekdays=(TUE,),
        start=dt.time(16),
        duration_minutes=60,
        time_zone="Europe/London",
        interval_weeks=2,
        anchor=dt.date(2025, 9, 10),  # a Wednesday: its week (from Monday 8 September) is a meeting week
    )

    occurrences = expand(rule, first_day=dt.date(2025, 9, 1), last_day=dt.date(2025, 10, 5))

    assert [o.local_date for o in occurrences] == [dt.date(2025, 9, 9), dt.date(2025, 9, 23)]


def test_every_other_week_also_counts_weeks_before_the_anchor():
    rule = WeeklyRule(
        weekdays=(MON,),
        start=dt.time(16),
        duration_minutes=60,
        time_zone="Europe/London",
        interval_weeks=2,
        anchor=dt.date(2025, 9, 15),
    )

    occurrences = expand(rule, first_day=dt.date(2025, 8, 25), last_day=dt.date(2025, 9, 15))

    assert [o.local_date for o in occurrences] == [dt.date(2025, 9, 1), dt.date(2025, 9, 15)]


def test_skip_set_removes_those_dates():
    rule = WeeklyRule(
        weekdays=(MON, WED, FRI), start=dt.time(9), duration_minutes=30, time_zone="Europe/London"
    )
    break_week = dates_in([DateRange(dt.date(2025, 6, 4), dt.date(2025, 6, 6))])

    occurrences = expand(rule, first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 6, 9), skip=break_week)

    assert [o.local_date for o in occurrences] == [dt.date(2025, 6, 2), dt.date(2025, 6, 9)]


def test_skip_predicate_removes_the_dates_it_accepts():
    rule = WeeklyRule(
        weekdays=(MON, WED, FRI), start=dt.time(9), duration_minutes=30, time_zone="Europe/London"
    )

    occurrences = expand(
        rule, first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 6, 8), skip=lambda day: day.day == 4
    )

    assert [o.local_date for o in occurrences] == [dt.date(2025, 6, 2), dt.date(2025, 6, 6)]


def test_dates_in_covers_every_range_with_both_ends():
    ranges = [
        DateRange(dt.date(2025, 12, 30), dt.date(2026, 1, 1)),
        DateRange(dt.date(2026, 2, 3), dt.date(2026, 2, 3)),
    ]
    around = [dt.date(2025, 12, 29) + dt.timedelta(days=n) for n in range(40)]

    covered = dates_in(ranges)

    assert [day for day in around if day in covered] == [
        dt.date(2025, 12, 30),
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 3),
    ]


def test_dates_in_merges_overlapping_and_touching_ranges():
    ranges = [
        DateRange(dt.date(2025, 6, 6), dt.date(2025, 6, 9)),
        DateRange(dt.date(2025, 6, 3), dt.date(2025, 6, 5)),
        DateRange(dt.date(2025, 6, 4), dt.date(2025, 6, 4)),
        DateRange(dt.date(2025, 6, 11), dt.date(2025, 6, 12)),
    ]

    assert dates_in(ranges) == DateRanges(
        (
            DateRange(dt.date(2025, 6, 3), dt.date(2025, 6, 9)),
            DateRange(dt.date(2025, 6, 11), dt.date(2025, 6, 12)),
        )
    )


def test_a_range_over_every_representable_date_is_held_as_one_range():
    everything = DateRange(dt.date.min, dt.date.max)

    covered = dates_in([DateRange(dt.date(2025, 6, 3), dt.date(2025, 6, 5)), everything])

    assert covered == DateRanges((everything,))
    assert dt.date.min in covered
    assert dt.date(2025, 6, 2) in covered
    assert dt.date.max in covered


def test_a_skip_over_every_representable_date_leaves_no_occurrence():
    rule = WeeklyRule(weekdays=(MON, WED), start=dt.time(9), duration_minutes=30, time_zone="Europe/London")
    skip = dates_in([DateRange(dt.date.min, dt.date.max)])

    assert expand(rule, first_day=dt.date(2025, 6, 2), last_day=dt.date(2025, 8, 31), skip=skip) == []


date_ranges = st.lists(
    st.builds(
        lambda start, days: DateRange(start, start + dt.timedelta(days=days)),
        st.dates(dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
        st.integers(0, 20),
    ),
    max_size=6,
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(ranges=date_ranges)
def test_dates_in_holds_exactly_the_days_the_ranges_cover_in_sorted_separate_ranges(ranges):
    covered = dates_in(ranges)

    every_day = [dt.date(2024, 12, 31) + dt.timedelta(days=n) for n in range(120)]
    assert [day for day in every_day if day in covered] == [
        day for day in every_day if any(span.start <= day <= span.end for span in ranges)
    ]
    # Separate: a gap of at least one uncovered day between neighbours, so the count of ranges is minimal.
    assert all(
        (after.start - before.end).days > 1
        for before, after in zip(covered.ranges, covered.ranges[1:], strict=False)
    )


def test_date_range_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="cannot end"):
        DateRange(dt.date(2025, 6, 2), dt.date(2025, 6, 1))


def test_rrule_string_lists_interval_week_start_days_and_utc_until():
    rule = WeeklyRule(
        weekdays=(THU, MON),
        start=dt.time(10),
        duration_minutes=60,
        time_zone="Europe/London",
        interval_weeks=2,
        anchor=dt.date(2025, 9, 8),
    )

    text = rrule_string(rule, until_utc=dt.datetime(2025, 12, 18, 10, tzinfo=ZoneInfo("Europe/London")))

    assert text == "FREQ=WEEKLY;INTERVAL=2;WKST=MO;BYDAY=MO,TH;UNTIL=20251218T100000Z"


def test_rrule_string_of_a_weekly_rule_without_end():
    rule = WeeklyRule(weekdays=(SUN, TUE), start=dt.time(8), duration_minutes=15, time_zone="Asia/Kolkata")

    assert rrule_string(rule, until_utc=None) == "FREQ=WEEKLY;BYDAY=TU,SU"


def test_rrule_string_refuses_a_naive_until():
    rule = WeeklyRule(weekdays=(MON,), start=dt.time(8), duration_minutes=15, time_zone="Europe/London")

    with pytest.raises(ValueError, match="aware"):
        rrule_string(rule, until_utc=dt.datetime(2025, 12, 1))  # noqa: DTZ001 - the naive value is the point


@pytest.mark.parametrize(
    "name", ["GMT", "EST", "PST8PDT", "EST5EDT", "US/Eastern", "Etc/GMT+5", "Etc/UTC", "Europe/Nowhere", ""]
)
def test_rule_refuses_zone_names_that_are_not_canonical_iana_locations(name):
    with pytest.raises(ValueError, match=f"^{re.escape(time_zone_problem(name))}$"):
        WeeklyRule(weekdays=(MON,), start=dt.time(8), duration_minutes=15, time_zone=name)


def test_rule_repeating_every_other_week_needs_an_anchor():
    with pytest.raises(ValueError, match="anchor"):
        WeeklyRule(weekdays=(MON,), start=dt.time(8), duration_minutes=15, time_zone="UTC", interval_weeks=2)


def test_rule_refuses_repeated_weekdays():
    with pytest.raises(ValueError, match="repeat"):
        WeeklyRule(weekdays=(MON, MON), start=dt.time(8), duration_minutes=15, time_zone="UTC")


def exists(wall_clock: dt.datetime, zone: ZoneInfo) -> bool:
    return wall_clock.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall_clock


ZONES = ["Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney"]


@st.composite
def rules(draw: st.DrawFn) -> WeeklyRule:
    interval = draw(st.integers(1, 3))
    return WeeklyRule(
        weekdays=tuple(draw(st.sets(st.integers(0, 6), min_size=1))),
        start=dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))),
        duration_minutes=draw(st.integers(15, 240)),
        time_zone=draw(st.sampled_from(ZONES)),
        interval_weeks=interval,
        anchor=draw(st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))),
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(rule=rules(), first_day=st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)), days=st.integers(0, 120))
def test_every_occurrence_is_the_rules_wall_clock_on_a_rule_date(rule, first_day, days):
    last_day = first_day + dt.timedelta(days=days)

    occurrences = expand(rule, first_day=first_day, last_day=last_day)

    zone = ZoneInfo(rule.time_zone)
    rule_dates = [d for d in (first_day + dt.timedelta(days=n) for n in range(days + 1)) if rule.falls_on(d)]
    assert [o.local_date for o in occurrences] == rule_dates
    for occurrence in occurrences:
        nominal = rule.local_start(occurrence.local_date)
        shown = occurrence.starts_at_utc.astimezone(zone).replace(tzinfo=None)
        # Clocks show the rule's wall clock on every date where that local time exists (all but gap days).
        assert (shown == nominal) == exists(nominal, zone)
        assert occurrence.ends_at_utc - occurrence.starts_at_utc == dt.timedelta(
            minutes=rule.duration_minutes
        )

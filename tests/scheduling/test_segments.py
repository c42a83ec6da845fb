"""Splitting a slot's dates into runs with the same attendees."""

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.recurrence import attendance_segments

MONDAYS = [dt.date(2027, 3, 1) + dt.timedelta(weeks=i) for i in range(6)]


def test_a_leaver_starts_a_new_segment_without_them():
    segments = attendance_segments(MONDAYS, lambda who, day: who == "a" or day <= MONDAYS[2], ["a", "b"])

    assert [(set(s.attendees), s.days) for s in segments] == [
        ({"a", "b"}, tuple(MONDAYS[:3])),
        ({"a"}, tuple(MONDAYS[3:])),
    ]


def test_dates_nobody_attends_are_dropped_without_splitting_the_run():
    away = {MONDAYS[1], MONDAYS[2]}

    [segment] = attendance_segments(MONDAYS, lambda who, day: day not in away, ["a"])

    assert segment.days == (MONDAYS[0], *MONDAYS[3:])


@settings(derandomize=True)
@given(st.lists(st.sets(st.sampled_from("abc")), min_size=6, max_size=6))
def test_segments_cover_exactly_the_attended_dates_with_their_attendees(present):
    attending = dict(zip(MONDAYS, present, strict=True))

    segments = attendance_segments(MONDAYS, lambda who, day: who in attending[day], "abc")

    covered = {day: set(s.attendees) for s in segments for day in s.days}
    assert covered == {day: who for day, who in attending.items() if who}
    assert all(a.attendees != b.attendees for a, b in itertools.pairwise(segments))

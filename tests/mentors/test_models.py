import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import AvailabilityFactory, MentorFactory

pytestmark = pytest.mark.django_db


def test_availability_window_ending_before_it_starts_is_invalid():
    window = AvailabilityFactory.build(mentor=MentorFactory(), start_time=dt.time(17), end_time=dt.time(9))

    with pytest.raises(ValidationError) as error:
        window.full_clean()

    assert error.value.message_dict["end_time"] == ["The window must end after it starts (on the same day)."]


def test_overlapping_availability_windows_of_one_mentor_are_invalid():
    mentor = MentorFactory()
    AvailabilityFactory(mentor=mentor, weekday=1, start_time=dt.time(9), end_time=dt.time(12))
    overlapping = AvailabilityFactory.build(
        mentor=mentor, weekday=1, start_time=dt.time(11), end_time=dt.time(14)
    )

    with pytest.raises(ValidationError) as error:
        overlapping.full_clean()

    assert error.value.messages == [
        "This window overlaps your Tuesday 09:00–12:00 window; merge them into one window."
    ]


def test_adjacent_windows_and_other_mentors_windows_do_not_overlap():
    mentor = MentorFactory()
    AvailabilityFactory(mentor=mentor, weekday=1, start_time=dt.time(9), end_time=dt.time(12))
    AvailabilityFactory(mentor=MentorFactory(), weekday=1, start_time=dt.time(10), end_time=dt.time(11))
    adjacent = AvailabilityFactory.build(
        mentor=mentor, weekday=1, start_time=dt.time(12), end_time=dt.time(14)
    )

    adjacent.full_clean()


def test_reminder_offsets_outside_a_week_are_invalid():
    mentor = MentorFactory.build(reminder_offsets_minutes=[15, 8 * 24 * 60])

    with pytest.raises(ValidationError) as error:
        mentor.full_clean()

    assert error.value.message_dict["reminder_offsets_minutes"] == [
        "11520 minutes is more than 7 days (10080 minutes) before."
    ]

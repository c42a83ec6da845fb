import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from mentors.models import Blackout
from tests.factories import AvailabilityFactory, BlackoutFactory, MentorFactory, ScholarFactory

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


def test_blackout_must_belong_to_exactly_one_person():
    with pytest.raises(IntegrityError):
        Blackout.objects.create(
            mentor=MentorFactory(),
            scholar=ScholarFactory(),
            start_date=dt.date(2027, 2, 1),
            end_date=dt.date(2027, 2, 2),
        )


def test_blackout_ending_before_it_starts_is_invalid():
    blackout = BlackoutFactory.build(
        mentor=MentorFactory(), start_date=dt.date(2027, 2, 5), end_date=dt.date(2027, 2, 1)
    )

    with pytest.raises(ValidationError) as error:
        blackout.full_clean()

    assert error.value.message_dict["end_date"] == ["The end date must not be before the start date."]


def test_a_scholars_blackout_over_every_date_is_invalid_on_both_fields():
    blackout = BlackoutFactory.build(
        mentor=None, scholar=ScholarFactory(), start_date=dt.date.min, end_date=dt.date.max
    )

    with pytest.raises(ValidationError) as error:
        blackout.full_clean()

    assert sorted(error.value.message_dict) == ["end_date", "start_date"]
    assert error.value.message_dict["start_date"][0].startswith("0001-01-01 is too far from today;")


def test_a_blackout_of_more_than_two_years_is_invalid():
    blackout = BlackoutFactory.build(
        mentor=MentorFactory(), start_date=dt.date(2027, 1, 1), end_date=dt.date(2029, 1, 2)
    )

    with pytest.raises(ValidationError) as error:
        blackout.full_clean()

    assert error.value.message_dict == {
        "end_date": ["A date range may last at most 732 days; this one lasts 733."]
    }


def test_reminder_offsets_outside_a_week_are_invalid():
    mentor = MentorFactory.build(reminder_offsets_minutes=[15, 8 * 24 * 60])

    with pytest.raises(ValidationError) as error:
        mentor.full_clean()

    assert error.value.message_dict["reminder_offsets_minutes"] == [
        "11520 minutes is more than 7 days (10080 minutes) before."
    ]

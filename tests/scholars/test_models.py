import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from scholars.models import Blackout, Mentorship
from tests.factories import (
    BlackoutFactory,
    CheckInFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

pytestmark = pytest.mark.django_db


def test_a_scholar_has_at_most_one_primary_mentor():
    scholar = ScholarFactory()
    MentorshipFactory(scholar=scholar, role=Mentorship.Role.PRIMARY)

    with pytest.raises(IntegrityError):
        MentorshipFactory(scholar=scholar, role=Mentorship.Role.PRIMARY)


def test_a_scholar_can_have_a_co_mentor_beside_the_primary():
    scholar = ScholarFactory()
    MentorshipFactory(scholar=scholar, role=Mentorship.Role.PRIMARY)
    MentorshipFactory(scholar=scholar, role=Mentorship.Role.CO_MENTOR)

    assert scholar.mentorships.count() == 2


def test_mentorship_dates_must_lie_inside_the_cohort():
    scholar = ScholarFactory(cohort=CohortFactory())
    mentorship = MentorshipFactory.build(
        mentor=MentorFactory(), scholar=scholar, end_date=dt.date(2027, 6, 1)
    )

    with pytest.raises(ValidationError) as error:
        mentorship.full_clean()

    assert error.value.message_dict["end_date"] == ["Must lie inside the cohort (2027-01-04 to 2027-03-26)."]


def test_working_hours_must_end_after_they_start():
    scholar = ScholarFactory.build(cohort=CohortFactory(), work_start=dt.time(17), work_end=dt.time(9))

    with pytest.raises(ValidationError) as error:
        scholar.full_clean(exclude=["stream"])

    assert error.value.message_dict["work_end"] == ["Working hours must end after they start."]


def test_work_days_must_be_weekday_numbers():
    scholar = ScholarFactory.build(cohort=CohortFactory(), work_days=[0, 7])

    with pytest.raises(ValidationError) as error:
        scholar.full_clean(exclude=["stream"])

    assert error.value.message_dict["work_days"] == [
        "Weekdays must be a list of numbers 0 (Monday) to 6 (Sunday)."
    ]


def test_withdrawn_scholar_is_not_active():
    assert not ScholarFactory.build(status="withdrawn").is_active
    assert ScholarFactory.build(status="research").is_active


def test_check_in_week_starts_on_a_monday():
    check_in = CheckInFactory.build(scholar=ScholarFactory(), week_start=dt.date(2027, 1, 13))

    with pytest.raises(ValidationError) as error:
        check_in.full_clean()

    assert error.value.message_dict["week_start"] == ["A check-in's week starts on a Monday."]


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

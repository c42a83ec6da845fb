import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cohort.models import Cohort
from tests.factories import BreakFactory, CohortFactory, PhaseFactory

pytestmark = pytest.mark.django_db


def test_cohort_ending_before_it_starts_is_invalid():
    cohort = CohortFactory.build(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 2, 1))

    with pytest.raises(ValidationError) as error:
        cohort.full_clean()

    assert error.value.message_dict["end_date"] == ["A cohort must end after it starts."]


def test_database_refuses_a_cohort_ending_before_it_starts():
    with pytest.raises(IntegrityError):
        Cohort.objects.create(
            name="Backwards", slug="backwards", start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 2, 1)
        )


def test_time_zone_abbreviation_is_rejected_with_an_iana_hint():
    cohort = CohortFactory.build(time_zone="GMT+1")

    with pytest.raises(ValidationError) as error:
        cohort.full_clean()

    assert "not an IANA time zone" in error.value.message_dict["time_zone"][0]


def test_a_cohort_of_more_than_two_years_is_invalid():
    cohort = CohortFactory.build(start_date=dt.date(2027, 1, 4), end_date=dt.date(2029, 1, 8))

    with pytest.raises(ValidationError) as error:
        cohort.full_clean()

    assert error.value.message_dict["end_date"] == [
        "A date range may last at most 732 days; this one lasts 736."
    ]


def test_a_cohort_in_year_one_is_invalid():
    cohort = CohortFactory.build(start_date=dt.date(1, 1, 1), end_date=dt.date(1, 3, 1))

    with pytest.raises(ValidationError) as error:
        cohort.full_clean()

    assert sorted(error.value.message_dict) == ["end_date", "start_date"]


def test_a_break_ending_before_it_starts_is_invalid():
    cohort = CohortFactory()
    pause = BreakFactory.build(cohort=cohort, start_date=dt.date(2027, 2, 5), end_date=dt.date(2027, 2, 1))

    with pytest.raises(ValidationError) as error:
        pause.full_clean()

    assert error.value.message_dict["end_date"] == ["The end date must not be before the start date."]


def test_phase_outside_its_cohort_is_invalid():
    cohort = CohortFactory()
    phase = PhaseFactory.build(
        cohort=cohort, name="Training", start_date=dt.date(2026, 12, 1), end_date=dt.date(2027, 1, 20)
    )

    with pytest.raises(ValidationError) as error:
        phase.full_clean()

    assert error.value.messages == ["Training must lie inside the cohort (04 Jan 2027 to 26 Mar 2027)."]


def test_overlapping_phases_are_invalid():
    cohort = CohortFactory()
    PhaseFactory(
        cohort=cohort, name="Training", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 1, 29)
    )
    research = PhaseFactory.build(
        cohort=cohort, name="Research", start_date=dt.date(2027, 1, 25), end_date=dt.date(2027, 3, 26)
    )

    with pytest.raises(ValidationError) as error:
        research.full_clean()

    assert error.value.messages[0].startswith("It overlaps Training")


def test_break_ending_before_it_starts_is_invalid():
    cohort = CohortFactory()
    holiday = BreakFactory.build(
        cohort=cohort, start_date=dt.date(2027, 2, 19), end_date=dt.date(2027, 2, 15)
    )

    with pytest.raises(ValidationError) as error:
        holiday.full_clean()

    assert error.value.message_dict["end_date"] == ["The end date must not be before the start date."]


def test_break_inside_the_cohort_is_valid():
    holiday = BreakFactory.build(cohort=CohortFactory())

    holiday.full_clean()

    assert holiday.contains(dt.date(2027, 2, 17))
    assert not holiday.contains(dt.date(2027, 2, 20))

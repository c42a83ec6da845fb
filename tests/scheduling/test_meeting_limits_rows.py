"""People's limits as stored: what the models accept, and what the cohort problem hands the planner."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mentors.models import Mentor
from scheduling.planner import Limits, plan, validate_plan
from scheduling.problem_builder import build_cohort_problem, mentor_key, scholar_key
from scholars.models import Scholar
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

pytestmark = pytest.mark.django_db


def test_the_cohort_problem_carries_each_persons_limits():
    cohort = CohortFactory(start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 2, 26))
    mentor = MentorFactory(
        meeting_buffer_minutes=15,
        max_meetings_per_day=2,
        max_meeting_minutes_per_week=240,
        earliest_meeting_start=dt.time(10),
        latest_meeting_end=dt.time(0),
        meeting_free_days=[4],
    )
    busy_scholar = ScholarFactory(cohort=cohort, max_meetings_per_week=3, max_meeting_minutes_per_day=90)
    free_scholar = ScholarFactory(cohort=cohort)
    for scholar in (busy_scholar, free_scholar):
        MentorshipFactory(mentor=mentor, scholar=scholar)

    people = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem.people_by_key

    assert people[mentor_key(mentor)].limits == Limits(
        buffer_minutes=15,
        meetings_per_day=2,
        minutes_per_week=240,
        earliest=dt.time(10),
        latest=dt.time(0),
        days_off=frozenset({4}),
    )
    assert people[scholar_key(busy_scholar)].limits == Limits(meetings_per_week=3, minutes_per_day=90)
    assert people[scholar_key(free_scholar)].limits == Limits()


def test_a_mentors_daily_cap_spreads_their_cohorts_meetings():
    cohort = CohortFactory(start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 2, 26))
    mentor = MentorFactory(
        max_meetings_per_day=1,
        cadence=WEEKLY_ONE_ON_ONE.to_dict(),
    )
    for weekday in range(5):
        AvailabilityFactory(mentor=mentor, weekday=weekday)
    scholars = [ScholarFactory(cohort=cohort) for _ in range(4)]
    for scholar in scholars:
        MentorshipFactory(mentor=mentor, scholar=scholar)

    problem = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem
    result = plan(problem)

    assert result.meetings_placed == 4
    assert len({slot.weekday for p in result.placements for slot in p.meetings}) == 4
    assert validate_plan(problem, result) == []


def test_a_latest_end_must_come_after_the_earliest_start_unless_it_is_midnight():
    mentor = MentorFactory(earliest_meeting_start=dt.time(10))
    mentor.latest_meeting_end = dt.time(9)
    with pytest.raises(ValidationError) as refused:
        mentor.full_clean()
    assert refused.value.message_dict["latest_meeting_end"] == [
        "Must be after the earliest start (10:00); 00:00 is midnight."
    ]
    mentor.latest_meeting_end = dt.time(0)
    mentor.full_clean()

    with pytest.raises(IntegrityError), transaction.atomic():
        Mentor.objects.filter(pk=mentor.pk).update(latest_meeting_end=dt.time(9, 30))
    scholar = ScholarFactory(earliest_meeting_start=dt.time(10))
    with pytest.raises(IntegrityError), transaction.atomic():
        Scholar.objects.filter(pk=scholar.pk).update(latest_meeting_end=dt.time(10))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("meeting_buffer_minutes", 241, "Ensure this value is less than or equal to 240."),
        ("max_meetings_per_day", 0, "Ensure this value is greater than or equal to 1."),
        ("max_meeting_minutes_per_week", 4, "Ensure this value is greater than or equal to 5."),
        ("meeting_free_days", [7], "Weekdays must be a list of numbers 0 (Monday) to 6 (Sunday)."),
        ("meeting_free_days", [1, 1], "Weekdays must not repeat."),
    ],
)
def test_each_limit_refuses_what_it_cannot_mean(field, value, message):
    scholar = ScholarFactory()
    setattr(scholar, field, value)
    with pytest.raises(ValidationError) as refused:
        scholar.full_clean()
    assert refused.value.message_dict[field] == [message]

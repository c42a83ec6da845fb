"""A scholar's page and a mentor's home read a fixed number of queries, however many meetings, scholars and
check-ins they show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    CheckInFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def world(scholars: int, meetings: int):
    """One mentor with ``scholars`` scholars, each in a weekly series with ``meetings`` meetings this fortnight."""
    mentor = MentorFactory(user=UserFactory(is_staff=True))
    soon = timezone.now() + dt.timedelta(hours=1)
    people = []
    for _ in range(scholars):
        scholar = ScholarFactory(user=UserFactory())
        MentorshipFactory(mentor=mentor, scholar=scholar)
        CheckInFactory(scholar=scholar)
        series = MeetingSeriesFactory(mentor=mentor, cohort=scholar.cohort, scholars=[scholar])
        for n in range(meetings):
            MeetingFactory(series=series, starts_at=soon + dt.timedelta(days=n, minutes=len(people)))
        people.append(scholar)
    return mentor, people


def queries_for(user) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_a_scholars_page_reads_as_many_queries_for_one_meeting_as_for_six():
    _, [few] = world(scholars=1, meetings=1)
    _, [many] = world(scholars=1, meetings=6)

    assert queries_for(few.user) == queries_for(many.user)


def test_a_mentors_home_reads_as_many_queries_for_one_scholar_as_for_five():
    few, _ = world(scholars=1, meetings=2)
    many, _ = world(scholars=5, meetings=2)

    assert queries_for(few.user) == queries_for(many.user)

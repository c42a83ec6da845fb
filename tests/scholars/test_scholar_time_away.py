"""A scholar enters their own time away on their page, whole days or part of each day, in their zone: their
1-on-1s then are cancelled at once (their mentor is told) and come back when it is removed; a refused form says
why and writes nothing; no one else's time away can be removed from it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from scheduling.models import Meeting, PlanRun
from scheduling.problem_builder import scholar_person
from scheduling.services.planning import plan_apply, plan_cohort
from scholars.models import Blackout
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    BlackoutFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
# The 1-on-1 meets on Mondays 10:00-11:00 in London; the scholar lives in New York.
MONDAY = dt.date(2027, 3, 15)


@pytest.fixture
def ada(settings):
    """A scholar with a login and a weekly 1-on-1, planned and published over March 2027, and their client."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 31))
    mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict(), time_zone="Europe/London")
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    scholar = ScholarFactory(
        cohort=cohort,
        time_zone="America/New_York",
        work_start=dt.time(5),
        work_end=dt.time(13),
        user=UserFactory(username="ada"),
    )
    MentorshipFactory(mentor=mentor, scholar=scholar)
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=dt.date(2026, 12, 1))
    client = Client()
    client.force_login(scholar.user)
    return scholar, client


def live_days(scholar) -> list[int]:
    meetings = Meeting.objects.filter(series__scholars=scholar).exclude(status=Meeting.Status.CANCELLED)
    return sorted(meeting.starts_at.day for meeting in meetings)


def said(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


def test_a_scholar_adds_a_whole_day_away_and_their_1_on_1_is_cancelled(ada):
    scholar, client = ada

    response = client.post(
        reverse("time-away-add"),
        {"start_date": "2027-03-15", "end_date": "2027-03-15", "reason": "Conference"},
    )

    assert (response.status_code, response.url) == (302, "/")
    assert said(response) == [
        "Time away saved: Mon 15 Mar.",
        "1 meeting on Mon 15 Mar cancelled; the others in them are told.",
    ]
    assert live_days(scholar) == [1, 8, 22, 29]
    cancelled = Meeting.objects.get(series__scholars=scholar, status=Meeting.Status.CANCELLED)
    assert (cancelled.starts_at.date(), cancelled.cancelled_by_calendar) == (MONDAY, True)
    blackout = scholar.blackouts.get()
    assert (blackout.start_date, blackout.mentor_id, blackout.reason) == (MONDAY, None, "Conference")
    home = client.get("/")
    assert "Conference" in home.text
    assert reverse("time-away-remove", args=[blackout.pk]) in home.text


def test_part_of_a_day_counts_in_the_scholars_own_zone_across_its_clock_change(ada):
    scholar, client = ada
    # 10:00 London is 05:00 in New York on 8 March and 06:00 on 22 March (New York's clocks go forward on the
    # 14th, London's on the 28th): the same hours away miss the first and cover the second.
    for day in ("2027-03-08", "2027-03-22"):
        client.post(
            reverse("time-away-add"),
            {"start_date": day, "end_date": day, "start_time": "06:30", "end_time": "08:00"},
        )

    assert live_days(scholar) == [1, 8, 15, 29]


def test_a_refused_time_away_says_why_on_the_page_and_writes_nothing(ada):
    scholar, client = ada
    bad = {"start_date": "2027-03-15", "end_date": "2027-03-15", "start_time": "12:00", "end_time": "09:00"}

    response = client.post(reverse("time-away-add"), bad)

    assert response.status_code == 400
    assert "Part of a day must end after it starts." in response.text
    assert response.context["blackout_form"].errors == {
        "end_time": ["Part of a day must end after it starts."]
    }
    assert not Blackout.objects.exists()
    assert live_days(scholar) == [1, 8, 15, 22, 29]


def test_removing_it_brings_the_meeting_back(ada):
    scholar, client = ada
    client.post(reverse("time-away-add"), {"start_date": "2027-03-15", "end_date": "2027-03-15"})
    client.get("/")  # the redirect a browser follows, using up the save's messages
    blackout = scholar.blackouts.get()

    response = client.post(reverse("time-away-remove", args=[blackout.pk]))

    assert said(response) == [
        "Time away removed: Mon 15 Mar.",
        "1 meeting on Mon 15 Mar back on; the others in them are told.",
    ]
    assert live_days(scholar) == [1, 8, 15, 22, 29]


def test_another_persons_time_away_is_not_found(ada):
    scholar, client = ada
    mentors = BlackoutFactory(mentor=scholar.mentorships.get().mentor, start_date=MONDAY, end_date=MONDAY)
    other_scholars = BlackoutFactory(
        mentor=None, scholar=ScholarFactory(), start_date=MONDAY, end_date=MONDAY
    )

    for blackout in (mentors, other_scholars):
        assert client.post(reverse("time-away-remove", args=[blackout.pk])).status_code == 404

    assert Blackout.objects.count() == 2


def test_time_away_for_the_rest_of_the_day_ends_at_midnight(ada):
    """From 06:30 until 00:00 covers the 1-on-1 on the day (06:00-07:00 New York on 22 March) and stops at
    midnight: the next day is free."""
    scholar, client = ada
    rest_of_day = {
        "start_date": "2027-03-22",
        "end_date": "2027-03-22",
        "start_time": "06:30",
        "end_time": "00:00",
    }

    response = client.post(reverse("time-away-add"), rest_of_day)

    assert (response.status_code, response.url) == (302, "/")
    assert live_days(scholar) == [1, 8, 15, 29]
    blackout = scholar.blackouts.get()
    zone = ZoneInfo("America/New_York")
    assert blackout.away_during(
        dt.datetime(2027, 3, 22, 23, 30, tzinfo=zone),
        dt.datetime(2027, 3, 23, 0, 15, tzinfo=zone),
        scholar.time_zone,
    )
    assert not blackout.away_during(
        dt.datetime(2027, 3, 23, 0, 0, tzinfo=zone),
        dt.datetime(2027, 3, 23, 1, 0, tzinfo=zone),
        scholar.time_zone,
    )
    [busy] = scholar_person(scholar).busy
    assert (busy.start, busy.end) == (
        dt.datetime(2027, 3, 22, 6, 30, tzinfo=zone),
        dt.datetime(2027, 3, 23, 0, 0, tzinfo=zone),
    )
    whole_night = {**rest_of_day, "start_time": "00:00"}
    refused = client.post(reverse("time-away-add"), whole_night)
    assert refused.context["blackout_form"].errors == {
        "end_time": ["Part of a day must end after it starts."]
    }

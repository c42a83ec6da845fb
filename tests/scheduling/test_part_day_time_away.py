"""Time away for part of a day (a half-day trip): only the meetings it overlaps are cancelled, in the person's own
zone, and they come back when it is lifted; a move into those hours is refused like one into whole days away."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from cohort.dates import monday_of
from scheduling.models import Meeting
from scheduling.planner import BusyTime
from scheduling.problem_builder import build_cohort_problem, mentor_key
from scheduling.services.meeting_edits import meeting_move
from scheduling.services.planning import plan_apply, plan_cohort
from scholars.models import Blackout
from scholars.services import blackout_add, blackout_remove
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def planned(settings):
    """Noor (New York) meets Ada weekly, Wednesdays 09:00–10:00 New York time, from next Monday for eight weeks."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    start = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    cohort = CohortFactory(start_date=start, end_date=start + dt.timedelta(weeks=8, days=-3))
    mentor = MentorFactory(
        name="Noor",
        time_zone="America/New_York",
        user=UserFactory(username="noor", is_staff=True),
        cadence=WEEKLY_ONE_ON_ONE.to_dict(),
    )
    AvailabilityFactory(mentor=mentor, weekday=2, start_time=dt.time(9), end_time=dt.time(10))
    scholar = ScholarFactory(cohort=cohort, name="Ada", time_zone="Europe/London")
    MentorshipFactory(mentor=mentor, scholar=scholar)
    plan_apply(plan_run=plan_cohort(cohort=cohort), today=start)
    first = Meeting.objects.order_by("starts_at").first()
    return mentor, scholar, first


def local_day(meeting: Meeting) -> dt.date:
    return meeting.starts_at.astimezone(NEW_YORK).date()


def statuses() -> dict[int, str]:
    return dict(Meeting.objects.values_list("pk", "status"))


def test_hours_away_that_overlap_a_meeting_cancel_only_that_meeting(planned):
    mentor, _, first = planned
    before = statuses()

    blackout_add(
        mentor=mentor,
        start_date=local_day(first),
        end_date=local_day(first),
        start_time=dt.time(8, 30),
        end_time=dt.time(9, 15),
    )

    first.refresh_from_db()
    assert (first.status, first.cancelled_by_calendar) == (Meeting.Status.CANCELLED, True)
    after = statuses()
    assert {pk for pk in after if after[pk] != before[pk]} == {first.pk}


def test_hours_away_beside_a_meeting_cancel_nothing(planned):
    mentor, _, first = planned
    before = statuses()

    blackout_add(
        mentor=mentor,
        start_date=local_day(first),
        end_date=local_day(first),
        start_time=dt.time(10),
        end_time=dt.time(17),
    )

    assert statuses() == before


def test_a_scholars_hours_away_count_in_the_scholars_zone(planned):
    """09:00 in New York is 14:00 in London in winter: Ada's afternoon away in London takes the meeting."""
    _, scholar, first = planned
    london = first.starts_at.astimezone(ZoneInfo("Europe/London"))

    blackout_add(
        scholar=scholar,
        start_date=london.date(),
        end_date=london.date(),
        start_time=london.time(),
        end_time=(london + dt.timedelta(hours=1)).time(),
    )

    first.refresh_from_db()
    assert first.status == Meeting.Status.CANCELLED


def test_lifting_hours_away_brings_the_meeting_back(planned):
    mentor, _, first = planned
    blackout = blackout_add(
        mentor=mentor,
        start_date=local_day(first),
        end_date=local_day(first),
        start_time=dt.time(9),
        end_time=dt.time(12),
    )

    blackout_remove(blackout=blackout)

    first.refresh_from_db()
    assert (first.status, first.cancelled_by_calendar) == (Meeting.Status.SCHEDULED, False)


@pytest.mark.parametrize(
    ("times", "field", "message"),
    [
        ((dt.time(9), None), "end_time", "Give both times for part of a day, or neither for whole days."),
        ((None, dt.time(9)), "start_time", "Give both times for part of a day, or neither for whole days."),
        ((dt.time(12), dt.time(9)), "end_time", "Part of a day must end after it starts."),
    ],
)
def test_hours_away_need_both_times_in_order(planned, times, field, message):
    mentor, _, first = planned

    with pytest.raises(ValidationError) as refused:
        blackout_add(
            mentor=mentor,
            start_date=local_day(first),
            end_date=local_day(first),
            start_time=times[0],
            end_time=times[1],
        )

    assert refused.value.message_dict == {field: [message]}
    assert not Blackout.objects.exists()


def test_a_move_into_hours_away_is_refused_naming_them(planned):
    mentor, _, first = planned
    later = first.starts_at + dt.timedelta(weeks=1)
    day = later.astimezone(NEW_YORK).date()
    blackout_add(
        mentor=mentor,
        start_date=day,
        end_date=day,
        start_time=dt.time(13),
        end_time=dt.time(17),
        reason="Dentist",
    )
    afternoon = dt.datetime.combine(day, dt.time(14), tzinfo=NEW_YORK)

    with pytest.raises(ValidationError) as refused:
        meeting_move(meeting=first, starts_at=afternoon)

    assert f"Noor is away on {day} 13:00–17:00 (Dentist)." in refused.value.message_dict["starts_at"]


def test_the_mentor_page_takes_hours_away_and_says_what_they_cancelled(planned):
    mentor, _, first = planned
    client = Client()
    client.force_login(mentor.user)
    day = local_day(first)

    response = client.post(
        "/time-away/",
        {
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
            "start_time": "08:00",
            "end_time": "12:00",
        },
        follow=True,
    )

    shown = f"{day:%a} {day.day} {day:%b}"
    assert [str(m) for m in response.context["messages"]] == [
        f"Time away saved: {shown}, 08:00–12:00.",
        f"1 meeting on {shown} cancelled; your scholars are told.",
    ]
    [listed] = [
        line for line in response.text.splitlines() if "08:00–12:00" in line and 'class="what"' in line
    ]
    assert f"{day:%a} {day.day} {day:%b}, 08:00–12:00" in listed


def test_plans_avoid_hours_away_like_busy_times_and_only_hours_away():
    """Ben can meet Tuesdays 10:00-12:00 (London) and is away 10:00-11:00 on one Tuesday (a late start) and all
    day on another: the plan takes 11:00, clear of the late start; a whole day away still counts as no busy time
    (it cancels every slot of that day alike)."""
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 4, 23))
    mentor = MentorFactory(name="Ben", time_zone="Europe/London", cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=1, start_time=dt.time(10), end_time=dt.time(12))
    MentorshipFactory(
        mentor=mentor, scholar=ScholarFactory(cohort=cohort, name="Ada", time_zone="Europe/London")
    )
    Blackout.objects.create(
        mentor=mentor,
        start_date=dt.date(2027, 3, 16),
        end_date=dt.date(2027, 3, 16),
        start_time=dt.time(10),
        end_time=dt.time(11),
    )
    Blackout.objects.create(mentor=mentor, start_date=dt.date(2027, 3, 30), end_date=dt.date(2027, 3, 30))

    built = build_cohort_problem(cohort=cohort, time_limit_seconds=2).problem
    ben = built.people_by_key[mentor_key(mentor)]
    london = ZoneInfo("Europe/London")
    assert ben.busy == (
        BusyTime(
            dt.datetime(2027, 3, 16, 10, tzinfo=london),
            dt.datetime(2027, 3, 16, 11, tzinfo=london),
            away=True,
        ),
    )
    run = plan_cohort(cohort=cohort)
    assert run.result["on_busy"] == []
    assert [(m["weekday"], m["start"]) for m in run.result["placements"][0]["meetings"]] == [(1, "11:00")]

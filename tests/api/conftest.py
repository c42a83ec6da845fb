"""The API tests' shared world: two mentors, each with one scholar and one meeting series, in one cohort."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
    UserFactory,
)

FUTURE = dt.datetime(2027, 2, 1, 10, tzinfo=dt.UTC)  # a Monday, ahead of the suite's clock (SUITE_NOW)


def client_for(user=None) -> APIClient:
    """An API client logged in as ``user``, or anonymous without one."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def login_of(world: dict, reader: str):
    """A login of each kind of reader in ``world``: staff, mentor a, scholar a, or one who is none of them."""
    if reader == "nobody":
        return UserFactory()
    return world["staff"] if reader == "staff" else world["a"][reader].user


def make_series(mentor, scholars, cohort, *, meetings=1, notes=""):
    series = MeetingSeriesFactory(mentor=mentor, cohort=cohort, scholars=scholars)
    for week in range(meetings):
        MeetingFactory(series=series, starts_at=FUTURE + dt.timedelta(weeks=week), private_notes=notes)
    return series


@pytest.fixture
def world():
    """Two mentors, each with one scholar and one meeting series, in one cohort."""
    cohort = CohortFactory()
    stream = StreamFactory()
    people = {}
    for name in ("a", "b"):
        # Mentors log in to the admin, so their logins are is_staff: the API must still treat them as mentors.
        mentor = MentorFactory(user=UserFactory(username=f"mentor-{name}", is_staff=True))
        mentor.streams.add(stream)
        scholar = ScholarFactory(cohort=cohort, stream=stream, user=UserFactory(username=f"scholar-{name}"))
        MentorshipFactory(mentor=mentor, scholar=scholar)
        series = make_series(mentor, [scholar], cohort, notes=f"private about {name}")
        people[name] = {"mentor": mentor, "scholar": scholar, "series": series}
    people["staff"] = UserFactory(username="staff", is_staff=True)
    people["cohort"] = cohort
    return people

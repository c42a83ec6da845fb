"""Where people set their meeting limits and preferred hours: their own page (/limits/), the API (/me/limits/, and
staff on the mentor and scholar rows); the admin's is in tests/admin/test_mentor_profile.py. Every way takes the
same checks, answers bad input by field, writes nothing then, and leaves an audit entry when it writes."""

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cohort.models import AuditEntry, MeetingLimits
from mentors.models import Mentor
from scheduling.problem_builder import CohortProblem, build_cohort_problem
from scholars.models import Scholar
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FULL = {
    "meeting_buffer_minutes": "15",
    "max_meetings_per_day": "3",
    "max_meetings_per_week": "",
    "max_meeting_minutes_per_day": "180",
    "max_meeting_minutes_per_week": "",
    "earliest_meeting_start": "10:00",
    "latest_meeting_end": "16:30",
    "meeting_free_days": ["4"],
    "preferred_meeting_start": "",
    "preferred_meeting_end": "",
}


def a_mentor():
    return MentorFactory(name="Mira", user=UserFactory(username="mentor-mira", is_staff=True))


def a_scholar():
    return ScholarFactory(name="Ada", user=UserFactory(username="scholar-ada"))


PEOPLE = pytest.mark.parametrize("make", [a_mentor, a_scholar], ids=["mentor", "scholar"])


def page_client(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def limits_of(person) -> dict:
    """The limits and preferred hours every person has (a mentor's preferred days are tested on their own)."""
    person.refresh_from_db()
    return {field: getattr(person, field) for field in MeetingLimits.EDITABLE_FIELDS}


NO_LIMITS = {
    "meeting_buffer_minutes": 0,
    "max_meetings_per_day": None,
    "max_meetings_per_week": None,
    "max_meeting_minutes_per_day": None,
    "max_meeting_minutes_per_week": None,
    "earliest_meeting_start": None,
    "latest_meeting_end": None,
    "meeting_free_days": [],
    "preferred_meeting_start": None,
    "preferred_meeting_end": None,
}


# --- Their own page ---------------------------------------------------------------------------------------------


@PEOPLE
def test_a_person_sets_their_limits_on_their_own_page_and_sees_them_at_home(make):
    person = make()
    client = page_client(person)
    assert "Limits on your meetings: none." in client.get("/").content.decode()

    response = client.post("/limits/", FULL)

    assert response.status_code == 302
    assert limits_of(person) == {
        **NO_LIMITS,
        "meeting_buffer_minutes": 15,
        "max_meetings_per_day": 3,
        "max_meeting_minutes_per_day": 180,
        "earliest_meeting_start": dt.time(10),
        "latest_meeting_end": dt.time(16, 30),
        "meeting_free_days": [4],
    }
    home = client.get("/").content.decode()
    assert (
        "Limits on your meetings: 3 meetings a day, 3 h of meetings a day; not before 10:00, not after 16:30, "
        "not on Fri, 15 min buffer." in home
    )
    entry = AuditEntry.objects.get(target_id=person.pk, changes__has_key="max_meetings_per_day")
    assert entry.actor == person.user
    # Emptied boxes and no ticked day clear the limits again.
    cleared = {key: "" for key in FULL if key != "meeting_free_days"} | {"meeting_buffer_minutes": "0"}
    assert client.post("/limits/", cleared).status_code == 302
    assert limits_of(person) == NO_LIMITS


@PEOPLE
def test_limits_that_cannot_hold_are_refused_by_field_and_nothing_is_saved(make):
    person = make()
    client = page_client(person)

    response = client.post(
        "/limits/",
        {
            **FULL,
            "earliest_meeting_start": "14:00",
            "latest_meeting_end": "09:00",
            "max_meetings_per_day": "0",
        },
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["max_meetings_per_day"] == ["Ensure this value is greater than or equal to 1."]
    response = client.post("/limits/", {**FULL, "earliest_meeting_start": "10:00:10"})
    assert response.context["form"].errors["earliest_meeting_start"] == [
        "Give a time in whole minutes (like 10:00), without seconds."
    ]
    response = client.post(
        "/limits/", {**FULL, "earliest_meeting_start": "14:00", "latest_meeting_end": "09:00"}
    )
    assert response.context["form"].errors["latest_meeting_end"] == [
        "Must be after the earliest start (14:00); 00:00 is midnight."
    ]
    assert limits_of(person) == NO_LIMITS
    page = client.get("/limits/").content.decode()
    assert 'name="meeting_free_days" value="4"' in page
    assert 'type="time"' in page


@PEOPLE
def test_a_person_sets_preferred_hours_on_the_same_page_and_sees_them_at_home(make):
    person = make()
    client = page_client(person)
    assert "Preferred hours: your cohort's usual hours." in client.get("/").content.decode()

    response = client.post(
        "/limits/", {**FULL, "preferred_meeting_start": "10:00", "preferred_meeting_end": "13:00"}
    )

    assert response.status_code == 302
    assert (limits_of(person)["preferred_meeting_start"], limits_of(person)["preferred_meeting_end"]) == (
        dt.time(10),
        dt.time(13),
    )
    assert "Preferred hours: 10:00–13:00." in client.get("/").content.decode()
    refused = client.post("/limits/", {**FULL, "preferred_meeting_start": "15:00"})
    assert refused.context["form"].errors["preferred_meeting_end"] == [
        "Give both ends of your preferred hours, or neither."
    ]
    assert limits_of(person)["preferred_meeting_end"] == dt.time(13)


def test_staff_without_a_person_are_sent_home_from_the_limits_page():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/limits/")

    assert (response.status_code, response.url) == (302, "/")


# --- The API --------------------------------------------------------------------------------------------------


@PEOPLE
def test_a_person_reads_and_changes_their_own_limits_through_the_api(make):
    person = make()
    client = api_client(person.user)
    mentors_own = {"preferred_weekdays": []} if isinstance(person, Mentor) else {}
    assert client.get("/api/v1/me/limits/").json() == {**NO_LIMITS, **mentors_own}

    response = client.patch(
        "/api/v1/me/limits/",
        {"max_meetings_per_week": 6, "latest_meeting_end": "00:00", "meeting_free_days": [5, 6]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        **NO_LIMITS,
        **mentors_own,
        "max_meetings_per_week": 6,
        "latest_meeting_end": "00:00:00",
        "meeting_free_days": [5, 6],
    }
    assert limits_of(person)["meeting_free_days"] == [5, 6]


def build_cohort_problem_for(mentor: Mentor) -> CohortProblem:
    cohort = CohortFactory()
    mentor.cadence = WEEKLY_ONE_ON_ONE.to_dict()
    mentor.save(update_fields=["cadence"])
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort))
    return build_cohort_problem(cohort=cohort, time_limit_seconds=1)


def test_a_mentor_sets_the_days_they_prefer_with_their_limits_and_plans_lean_to_them():
    mentor = a_mentor()
    client = page_client(mentor)
    page = client.get("/limits/").content.decode()
    assert 'name="preferred_weekdays" value="3"' in page

    response = client.post("/limits/", {**FULL, "preferred_weekdays": ["1", "3"]})

    assert response.status_code == 302
    mentor.refresh_from_db()
    assert mentor.preferred_weekdays == [1, 3]
    assert AuditEntry.objects.filter(target_id=mentor.pk, changes__has_key="preferred_weekdays").exists()
    api = api_client(mentor.user)
    assert api.get("/api/v1/me/limits/").json()["preferred_weekdays"] == [1, 3]
    refused = api.patch("/api/v1/me/limits/", {"preferred_weekdays": [2, 2]}, format="json")
    assert (refused.status_code, refused.json()) == (
        400,
        {"preferred_weekdays": ["Weekdays must not repeat."]},
    )
    assert api.patch("/api/v1/me/limits/", {"preferred_weekdays": [4]}, format="json").status_code == 200
    mentor.refresh_from_db()
    assert mentor.preferred_weekdays == [4]
    demand = build_cohort_problem_for(mentor).problem.demands[0]
    assert demand.preferred_weekdays == frozenset({4})


def test_a_scholar_has_no_preferred_days_and_is_told_so_when_sending_them():
    scholar = a_scholar()

    page = page_client(scholar).get("/limits/").content.decode()

    assert "preferred_weekdays" not in page
    api = api_client(scholar.user)
    assert "preferred_weekdays" not in api.get("/api/v1/me/limits/").json()
    refused = api.patch(
        "/api/v1/me/limits/", {"preferred_weekdays": [1], "max_meetings_per_day": 2}, format="json"
    )
    assert (refused.status_code, list(refused.json())) == (400, ["preferred_weekdays"])
    scholar.refresh_from_db()
    assert scholar.max_meetings_per_day is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"meeting_buffer_minutes": 300},
            "meeting_buffer_minutes",
            "Ensure this value is less than or equal to 240.",
        ),
        ({"meeting_free_days": [1, 1]}, "meeting_free_days", "Weekdays must not repeat."),
        ({"meeting_free_days": [7]}, "meeting_free_days", "Ensure this value is less than or equal to 6."),
        (
            {"earliest_meeting_start": "12:00", "latest_meeting_end": "11:00"},
            "latest_meeting_end",
            "Must be after the earliest start (12:00); 00:00 is midnight.",
        ),
        (
            {"max_meeting_minutes_per_day": "lots"},
            "max_meeting_minutes_per_day",
            "A valid integer is required.",
        ),
        (
            {"earliest_meeting_start": "10:00", "latest_meeting_end": "10:00:30"},
            "latest_meeting_end",
            "Give a time in whole minutes (like 10:00), without seconds.",
        ),
        (
            {"preferred_meeting_start": "16:00", "preferred_meeting_end": "09:00"},
            "preferred_meeting_end",
            "Must be after the preferred start (16:00); 00:00 is midnight.",
        ),
        (
            {"preferred_meeting_end": "12:00"},
            "preferred_meeting_start",
            "Give both ends of your preferred hours, or neither.",
        ),
    ],
)
def test_bad_limits_get_a_field_level_400_and_change_nothing(body, field, message):
    scholar = a_scholar()

    response = api_client(scholar.user).patch("/api/v1/me/limits/", body, format="json")

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert limits_of(scholar) == NO_LIMITS


def test_staff_set_limits_on_the_mentor_and_scholar_rows_with_the_same_checks():
    mentor, scholar = a_mentor(), a_scholar()
    staff = api_client(UserFactory(username="staff", is_staff=True, is_superuser=True))

    assert staff.get("/api/v1/me/limits/").status_code == 403
    response = staff.patch(f"/api/v1/mentors/{mentor.pk}/", {"max_meetings_per_day": 2}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["max_meetings_per_day"] == 2
    Scholar.objects.filter(pk=scholar.pk).update(earliest_meeting_start=dt.time(13))
    response = staff.patch(f"/api/v1/scholars/{scholar.pk}/", {"latest_meeting_end": "12:00"}, format="json")
    assert response.status_code == 400
    assert response.json()["latest_meeting_end"] == [
        "Must be after the earliest start (13:00); 00:00 is midnight."
    ]
    assert Mentor.objects.get(pk=mentor.pk).max_meetings_per_day == 2
    # A mentor reads, but does not write, the mentor rows.
    assert (
        api_client(mentor.user)
        .patch(f"/api/v1/mentors/{mentor.pk}/", {"max_meetings_per_day": 9})
        .status_code
        == 403
    )

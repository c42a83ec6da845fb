"""Every role against every resource: what each caller lists, and that another person's row by id is not theirs.

Mentor a and scholar a are the callers; everything of mentor b and scholar b is "someone else's".
"""

import datetime as dt

import pytest
from django.utils import timezone

from cohort.dates import monday_of
from cohort.models import Stream
from mentors.selectors import mentors_read_by
from scheduling.models import Notification, PlanRun
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.selectors import meetings_read_by
from scholars.models import Mentorship
from scholars.selectors import scholars_read_by, teams_read_by
from tests.api.conftest import client_for, make_series
from tests.factories import (
    AvailabilityFactory,
    BlackoutFactory,
    CheckInFactory,
    CohortFactory,
    MentorFactory,
    ScholarFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    """For a and b each: a team, a check-in, an availability window, a blackout and notifications."""
    cohort = world["cohort"]
    for name in ("a", "b"):
        person = world[name]
        mentor, scholar = person["mentor"], person["scholar"]
        team = TeamFactory(cohort=cohort, mentor=mentor)
        team.members.add(scholar)
        person["team"] = team
        person["check_in"] = CheckInFactory(scholar=scholar)
        person["availability"] = AvailabilityFactory(mentor=mentor)
        person["blackout"] = BlackoutFactory(
            mentor=mentor, start_date=cohort.start_date, end_date=cohort.start_date
        )
        person["mentorship"] = Mentorship.objects.get(mentor=mentor, scholar=scholar)
        person["meeting"] = person["series"].meetings.get()
        sync_meeting_notifications(meetings=[person["meeting"]])
        person["notification"] = Notification.objects.filter(recipient_scholar=scholar).first()
    world["other_cohort"] = CohortFactory()
    world["plan_run"] = PlanRun.objects.create(cohort=cohort)
    return world


def listed(client, url) -> set[int] | int:
    response = client.get(url)
    return (
        {row["id"] for row in response.json()["results"]}
        if response.status_code == 200
        else response.status_code
    )


LISTS = [
    "cohorts",
    "streams",
    "mentors",
    "scholars",
    "teams",
    "mentorships",
    "check-ins",
    "meeting-series",
    "meetings",
    "availability",
    "blackouts",
    "notifications",
    "plan-runs",
]


def listings(client) -> dict[str, set[int] | int]:
    """Each list's ids as the caller sees them, or the status code when they may not list it."""
    return {name: listed(client, f"/api/v1/{name}/") for name in LISTS}


def ids(*objects) -> set[int]:
    return {o.pk for o in objects}


def listed_by_mentor_a_and_scholar_a(rows) -> dict[str, set[int]]:
    """What mentor a and scholar a both list: the cohort, every stream, and their mentorship's scholar, team,
    check-in, series and meeting."""
    a = rows["a"]
    return {
        "cohorts": ids(rows["cohort"]),
        "streams": ids(*Stream.objects.all()),
        "scholars": ids(a["scholar"]),
        "teams": ids(a["team"]),
        "mentorships": ids(a["mentorship"]),
        "check-ins": ids(a["check_in"]),
        "meeting-series": ids(a["series"]),
        "meetings": ids(a["meeting"]),
    }


def test_a_mentor_lists_their_own_rows_and_their_streams_mentors(rows):
    a, b = rows["a"], rows["b"]
    client = client_for(a["mentor"].user)

    assert listings(client) == {
        **listed_by_mentor_a_and_scholar_a(rows),
        "mentors": ids(a["mentor"], b["mentor"]),
        "availability": ids(a["availability"]),
        "blackouts": ids(a["blackout"]),
        "notifications": ids(*Notification.objects.filter(recipient_mentor=a["mentor"])),
        "plan-runs": 403,
    }


def test_a_scholar_lists_only_their_own_rows_and_their_own_mentors(rows):
    a = rows["a"]
    client = client_for(a["scholar"].user)

    assert listings(client) == {
        **listed_by_mentor_a_and_scholar_a(rows),
        "mentors": ids(a["mentor"]),
        "availability": set(),
        "blackouts": set(),
        "notifications": ids(*Notification.objects.filter(recipient_scholar=a["scholar"])),
        "plan-runs": 403,
    }


def test_staff_list_everyone(rows):
    client = client_for(rows["staff"])

    assert listed(client, "/api/v1/scholars/") == ids(rows["a"]["scholar"], rows["b"]["scholar"])
    assert listed(client, "/api/v1/cohorts/") == ids(rows["cohort"], rows["other_cohort"])
    assert listed(client, "/api/v1/plan-runs/") == ids(rows["plan_run"])


THEIRS = [
    ("scholars", "scholar"),
    ("teams", "team"),
    ("mentorships", "mentorship"),
    ("check-ins", "check_in"),
    ("meeting-series", "series"),
    ("meetings", "meeting"),
    ("availability", "availability"),
    ("blackouts", "blackout"),
    ("notifications", "notification"),
]


@pytest.mark.parametrize("caller", ["mentor", "scholar"])
@pytest.mark.parametrize(("resource", "row"), THEIRS)
def test_someone_elses_row_by_id_is_not_found_to_read_or_change(rows, caller, resource, row):
    client = client_for(rows["a"][caller].user)
    url = f"/api/v1/{resource}/{rows['b'][row].pk}/"

    assert client.get(url).status_code == 404
    assert client.patch(url, {}, format="json").status_code in (403, 404, 405)
    assert client.delete(url).status_code in (403, 404, 405)
    assert type(rows["b"][row]).objects.filter(pk=rows["b"][row].pk).exists()


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (
            "/api/v1/cohorts/",
            {"name": "Mine", "slug": "mine", "start_date": "2027-01-04", "end_date": "2027-03-26"},
        ),
        ("/api/v1/teams/", {"name": "Mine", "cohort": 0, "mentor": 0}),
        ("/api/v1/mentorships/", {"mentor": 0, "scholar": 0, "role": "primary"}),
        ("/api/v1/scholars/", {"name": "Me too"}),
    ],
)
@pytest.mark.parametrize("caller", ["mentor", "scholar"])
def test_only_staff_create_programme_rows(rows, caller, url, body):
    response = client_for(rows["a"][caller].user).post(url, body, format="json")

    assert response.status_code == 403


def test_a_check_in_naming_someone_else_is_written_as_the_callers_own(rows):
    monday = monday_of(timezone.localdate())
    cohort = rows["cohort"]
    cohort.start_date, cohort.end_date = monday, monday + dt.timedelta(weeks=10)
    cohort.save()
    response = client_for(rows["a"]["scholar"].user).post(
        "/api/v1/check-ins/",
        {"scholar": rows["b"]["scholar"].pk, "week_start": monday.isoformat(), "progress": "Mine"},
        format="json",
    )

    assert response.status_code == 201
    assert rows["a"]["scholar"].check_ins.filter(progress="Mine").exists()
    assert not rows["b"]["scholar"].check_ins.filter(progress="Mine").exists()


def test_a_mentor_edits_their_own_window_but_not_anothers(rows):
    client = client_for(rows["a"]["mentor"].user)
    own = f"/api/v1/availability/{rows['a']['availability'].pk}/"

    assert client.patch(own, {"end_time": "12:00"}, format="json").status_code == 200
    rows["b"]["availability"].refresh_from_db()
    assert str(rows["b"]["availability"].end_time) == "17:00:00"


@pytest.mark.parametrize("reader", ["mentor", "scholar"])
@pytest.mark.parametrize("read_by", [scholars_read_by, teams_read_by, mentors_read_by, meetings_read_by])
def test_a_mentor_or_a_scholar_read_as_nobody_in_particular_reads_nothing(rows, reader, read_by):
    # A scholar with no mentor, a mentor with no scholar, a team with no members: what a filter on a missing
    # person would match.
    ScholarFactory(cohort=rows["cohort"])
    MentorFactory()
    TeamFactory(cohort=rows["cohort"])
    make_series(rows["a"]["mentor"], [], rows["cohort"])

    assert read_by("staff", None).exists()
    assert not read_by(reader, None).exists()

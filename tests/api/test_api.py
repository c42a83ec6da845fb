"""The REST API through its real stack: authentication, role scoping, validation, query counts."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cohort.dates import monday_of
from cohort.serializers import ModelSerializer
from mentors.services import mentor_logins_create
from scheduling.api import FeedStatusSerializer, MeetingSerializer
from scheduling.feed_tokens import feed_status_for, feed_token_rotate
from scheduling.models import FeedToken, Meeting, PlanRun
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.notifications.rows import staff_alert_emails
from scheduling.selectors import listed_meetings
from tests.api.conftest import client_for, login_of, make_series
from tests.factories import (
    AvailabilityFactory,
    BlackoutFactory,
    CheckInFactory,
    CohortFactory,
    MeetingFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    StreamFactory,
    TeamFactory,
    UserFactory,
    token_client,
)

pytestmark = pytest.mark.django_db


def test_anonymous_callers_are_asked_to_authenticate(world):
    response = APIClient().get("/api/v1/meetings/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_scholar_lists_only_their_own_meetings(world):
    response = client_for(world["a"]["scholar"].user).get("/api/v1/meetings/")

    assert response.status_code == 200
    assert [m["series"] for m in response.json()["results"]] == [world["a"]["series"].pk]


def test_another_persons_meeting_by_id_is_not_found(world):
    theirs = world["b"]["series"].meetings.get()

    for user in (world["a"]["scholar"].user, world["a"]["mentor"].user):
        assert client_for(user).get(f"/api/v1/meetings/{theirs.pk}/").status_code == 404


def test_private_notes_are_for_staff_and_the_mentor_only(world):
    meeting = world["a"]["series"].meetings.get()
    url = f"/api/v1/meetings/{meeting.pk}/"

    assert client_for(world["a"]["mentor"].user).get(url).json()["private_notes"] == "private about a"
    assert client_for(world["staff"]).get(url).json()["private_notes"] == "private about a"
    assert client_for(world["a"]["scholar"].user).get(url).json()["private_notes"] is None


def test_a_mentor_sees_only_their_own_scholars(world):
    response = client_for(world["a"]["mentor"].user).get("/api/v1/scholars/")

    assert [s["id"] for s in response.json()["results"]] == [world["a"]["scholar"].pk]


def test_check_ins_are_read_by_their_scholar_mentor_and_staff_only(world):
    check_in = CheckInFactory(scholar=world["a"]["scholar"])
    url = f"/api/v1/check-ins/{check_in.pk}/"

    assert client_for(world["a"]["scholar"].user).get(url).status_code == 200
    assert client_for(world["a"]["mentor"].user).get(url).status_code == 200
    assert client_for(world["staff"]).get(url).status_code == 200
    assert client_for(world["b"]["scholar"].user).get(url).status_code == 404
    assert client_for(world["b"]["mentor"].user).get(url).status_code == 404


def test_a_scholar_submits_a_check_in_for_themselves():
    monday = monday_of(dt.datetime.now(tz=dt.UTC).date())
    running = CohortFactory(
        start_date=monday - dt.timedelta(weeks=2), end_date=monday + dt.timedelta(weeks=8)
    )
    scholar = ScholarFactory(cohort=running, user=UserFactory())
    week = monday - dt.timedelta(weeks=1)

    response = client_for(scholar.user).post(
        "/api/v1/check-ins/",
        {"week_start": week.isoformat(), "progress": "Trained the probe."},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["scholar"] == scholar.pk


def test_a_check_in_on_a_wednesday_is_a_field_error(world):
    scholar = world["a"]["scholar"]
    wednesday = scholar.cohort.start_date + dt.timedelta(days=2)

    response = client_for(scholar.user).post(
        "/api/v1/check-ins/", {"week_start": wednesday.isoformat(), "progress": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "week_start" in response.json()


def test_a_mentor_adds_availability_to_their_own_profile_only(world):
    mentor = world["a"]["mentor"]

    response = client_for(mentor.user).post(
        "/api/v1/availability/",
        {"weekday": 1, "start_time": "09:00", "end_time": "12:00", "mentor": world["b"]["mentor"].pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["mentor"] == mentor.pk


def test_overlapping_availability_is_a_400_with_the_reason(world):
    mentor = world["a"]["mentor"]
    AvailabilityFactory(mentor=mentor, weekday=1, start_time=dt.time(9), end_time=dt.time(12))

    response = client_for(mentor.user).post(
        "/api/v1/availability/", {"weekday": 1, "start_time": "11:00", "end_time": "13:00"}, format="json"
    )

    assert response.status_code == 400
    assert "overlaps" in response.json()["non_field_errors"][0]


def test_another_mentors_availability_cannot_be_changed(world):
    theirs = AvailabilityFactory(mentor=world["b"]["mentor"])

    response = client_for(world["a"]["mentor"].user).patch(
        f"/api/v1/availability/{theirs.pk}/", {"end_time": "18:00"}, format="json"
    )

    assert response.status_code == 404


def test_a_bad_time_zone_is_a_field_error(world):
    response = client_for(world["staff"]).patch(
        f"/api/v1/scholars/{world['a']['scholar'].pk}/", {"time_zone": "PST"}, format="json"
    )

    assert response.status_code == 400
    assert "not an IANA time zone" in response.json()["time_zone"][0]


def test_the_mentor_moves_their_meeting(world):
    meeting = world["a"]["series"].meetings.get()
    new_start = meeting.starts_at + dt.timedelta(days=1)
    AvailabilityFactory(mentor=world["a"]["mentor"], weekday=new_start.weekday())

    response = client_for(world["a"]["mentor"].user).post(
        f"/api/v1/meetings/{meeting.pk}/move/", {"starts_at": new_start.isoformat()}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["version"]) == ("moved", 2)


def test_a_scholar_cannot_cancel_their_meeting(world):
    meeting = world["a"]["series"].meetings.get()

    response = client_for(world["a"]["scholar"].user).post(f"/api/v1/meetings/{meeting.pk}/cancel/")

    assert response.status_code == 403


def test_marking_a_future_meeting_held_is_a_400(world):
    meeting = world["a"]["series"].meetings.get()

    response = client_for(world["staff"]).post(
        f"/api/v1/meetings/{meeting.pk}/mark/", {"status": "held"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["status"] == ["A meeting can be marked held or missed only once it has started."]


def test_staff_start_a_plan_run_and_poll_it(world, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client = client_for(world["staff"])

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/api/v1/cohorts/{world['cohort'].pk}/plan/")

    assert started.status_code == 202
    polled = client.get(f"/api/v1/plan-runs/{started.json()['id']}/")
    assert polled.json()["status"] == PlanRun.Status.SOLVED


def test_applying_a_plan_twice_is_a_conflict(world):
    client = client_for(world["staff"])
    run = PlanRun.objects.create(cohort=world["cohort"], status=PlanRun.Status.APPLIED)

    response = client.post(f"/api/v1/plan-runs/{run.pk}/apply/")

    assert response.status_code == 409


def test_malformed_stream_document_names_its_line(world, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    document = io.BytesIO(b"Stream title\n\nDescription.\n\nNot the mentors line\n")
    document.name = "broken.txt"
    client = client_for(world["staff"])

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/v1/stream-documents/", {"document": document}, format="multipart")

    assert started.status_code == 202
    polled = client.get(started.json()["url"]).json()
    assert (polled["status"], polled["line"]) == ("failed", 5)


def test_me_lists_my_upcoming_meetings_and_feeds(world):
    scholar = world["a"]["scholar"]

    response = client_for(scholar.user).get("/api/v1/me/")

    body = response.json()
    assert (body["role"], body["profile"]["id"]) == ("scholar", scholar.pk)
    assert [m["series"] for m in body["upcoming_meetings"]] == [world["a"]["series"].pk]
    assert {f["scope"] for f in body["feeds"]} == {"scholar", "stream", "cohort"}


def utc_text(instant: dt.datetime) -> str:
    """An instant as DRF's DateTimeField writes it in UTC: ISO 8601, "Z", microseconds when there are any."""
    return instant.astimezone(dt.UTC).isoformat().removesuffix("+00:00") + "Z"


def test_me_writes_its_instants_in_utc_to_the_microsecond(world):
    """The renderer writes /me/'s instants, which reach it as datetimes, as DRF's own fields wrote them."""
    scholar = world["a"]["scholar"]
    starts_at = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=250)
    world["a"]["series"].meetings.update(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1))
    feed_token_rotate(owner=scholar)

    body = client_for(scholar.user).get("/api/v1/me/").json()

    [meeting] = body["upcoming_meetings"]
    assert meeting["starts_at"] == utc_text(starts_at)
    assert meeting["starts_at"].endswith(".000250Z")
    assert meeting["ends_at"] == utc_text(starts_at + dt.timedelta(hours=1))
    token = FeedToken.objects.get(scholar=scholar)
    assert [feed["created_at"] for feed in body["feeds"] if feed["active"]] == [utc_text(token.created_at)]


def test_the_schema_keeps_what_the_model_says_of_a_meetings_instants():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    written = schema["components"]["schemas"]["Meeting"]["properties"]["original_start"]

    assert (written["type"], written["format"], written["readOnly"]) == ("string", "date-time", True)
    assert written["description"] == Meeting._meta.get_field("original_start").help_text


@pytest.mark.parametrize("reader", ["staff", "mentor", "scholar", "nobody"])
def test_my_upcoming_meetings_are_the_listed_ones_not_yet_over_nor_cancelled(world, reader):
    """/me/ reads them with a statement compiled once per kind of reader: they must be the list's own rows."""
    series = world["a"]["series"]
    now = timezone.now()
    # Both of the world's meetings at one start: the primary key orders them, as in the list.
    in_three_days = now + dt.timedelta(days=3)
    Meeting.objects.update(
        original_start=in_three_days, starts_at=in_three_days, ends_at=in_three_days + dt.timedelta(hours=1)
    )
    for starts_at, status in (
        (now - dt.timedelta(days=7), Meeting.Status.SCHEDULED),  # over
        (now - dt.timedelta(minutes=30), Meeting.Status.SCHEDULED),  # under way
        (now + dt.timedelta(days=2), Meeting.Status.CANCELLED),
        (now + dt.timedelta(days=1), Meeting.Status.MOVED),
    ):
        MeetingFactory(series=series, starts_at=starts_at, status=status)
    client = client_for(login_of(world, reader))

    upcoming = client.get("/api/v1/me/").json()["upcoming_meetings"]

    listed = [
        row
        for row in client.get("/api/v1/meetings/", {"limit": 200}).json()["results"]
        if row["status"] != "cancelled" and dt.datetime.fromisoformat(row["ends_at"]) > now
    ]
    assert upcoming == listed
    assert len(upcoming) == {"staff": 4, "mentor": 3, "scholar": 3, "nobody": 0}[reader]


def test_rotating_my_feed_gives_a_working_url(world):
    scholar = world["a"]["scholar"]
    client = client_for(scholar.user)

    response = client.post(
        "/api/v1/me/feeds/rotate/", {"scope": "scholar", "owner_id": scholar.pk}, format="json"
    )

    assert response.status_code == 201
    path = response.json()["https_url"].split("://", 1)[1].split("/", 1)[1]
    assert APIClient().get(f"/{path}").status_code == 200


def test_rotating_someone_elses_feed_is_not_found(world):
    other = world["b"]["scholar"]

    response = client_for(world["a"]["scholar"].user).post(
        "/api/v1/me/feeds/rotate/", {"scope": "scholar", "owner_id": other.pk}, format="json"
    )

    assert response.status_code == 404


STAFF_READS = [
    "/api/v1/cohorts/",
    "/api/v1/streams/",
    "/api/v1/mentors/",
    "/api/v1/availability/",
    "/api/v1/blackouts/",
    "/api/v1/scholars/",
    "/api/v1/teams/",
    "/api/v1/mentorships/",
    "/api/v1/check-ins/",
    "/api/v1/meeting-series/",
    "/api/v1/meetings/",
    "/api/v1/notifications/",
    "/api/v1/plan-runs/",
    "/api/v1/me/",
]
# What each read costs: the caller's token and role links, the count and the page, and one prefetch per nested
# list; the same whether the page holds one row or four.
STAFF_QUERIES = {
    "/api/v1/cohorts/": 8,
    "/api/v1/streams/": 3,
    "/api/v1/mentors/": 6,
    "/api/v1/availability/": 4,
    "/api/v1/blackouts/": 4,
    "/api/v1/scholars/": 4,
    "/api/v1/teams/": 5,
    "/api/v1/mentorships/": 4,
    "/api/v1/check-ins/": 4,
    "/api/v1/meeting-series/": 5,
    # Paged by cursor: no count.
    "/api/v1/meetings/": 3,
    "/api/v1/notifications/": 3,
    "/api/v1/plan-runs/": 4,
    "/api/v1/me/": 4,
}


@pytest.mark.parametrize("url", STAFF_READS)
def test_staff_lists_run_a_fixed_number_of_queries(world, url, django_assert_num_queries):
    client = client_for(world["staff"])
    _assert_fixed_queries(world, client, url, STAFF_QUERIES[url], django_assert_num_queries)


@pytest.mark.parametrize(
    ("url", "queries"),
    [("/api/v1/meetings/", 3), ("/api/v1/scholars/", 4), ("/api/v1/check-ins/", 5), ("/api/v1/me/", 6)],
)
def test_a_mentors_lists_run_a_fixed_number_of_queries(world, url, queries, django_assert_num_queries):
    client = client_for(world["a"]["mentor"].user)
    _assert_fixed_queries(world, client, url, queries, django_assert_num_queries)


@pytest.mark.parametrize(
    ("url", "queries"),
    [("/api/v1/meetings/", 4), ("/api/v1/mentors/", 6), ("/api/v1/check-ins/", 5), ("/api/v1/me/", 8)],
)
def test_a_scholars_lists_run_a_fixed_number_of_queries(world, url, queries, django_assert_num_queries):
    client = client_for(world["a"]["scholar"].user)
    _assert_fixed_queries(world, client, url, queries, django_assert_num_queries)


@pytest.mark.parametrize(
    ("detail", "queries"), [("meetings", 3), ("meeting-series", 4), ("mentors", 5), ("scholars", 3)]
)
def test_details_run_a_fixed_number_of_queries(world, detail, queries, django_assert_num_queries):
    ids = {
        "meetings": world["a"]["series"].meetings.get().pk,
        "meeting-series": world["a"]["series"].pk,
        "mentors": world["a"]["mentor"].pk,
        "scholars": world["a"]["scholar"].pk,
    }
    _assert_fixed_queries(
        world,
        client_for(world["staff"]),
        f"/api/v1/{detail}/{ids[detail]}/",
        queries,
        django_assert_num_queries,
    )


def _grow(world, index: int) -> None:
    """Mentor a and scholar a gain one more of everything the lists show."""
    mentor, scholar_a, cohort = world["a"]["mentor"], world["a"]["scholar"], world["cohort"]
    scholar = ScholarFactory(cohort=cohort, stream=scholar_a.stream)
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = make_series(mentor, [scholar, scholar_a], cohort, meetings=2)
    sync_meeting_notifications(meetings=list(series.meetings.all()))
    CheckInFactory(scholar=scholar)
    CheckInFactory(scholar=scholar_a, week_start=dt.date(2027, 1, 18) + dt.timedelta(weeks=index))
    AvailabilityFactory(mentor=mentor, weekday=index)
    BlackoutFactory(mentor=mentor, start_date=cohort.start_date + dt.timedelta(days=index))
    TeamFactory(cohort=cohort, mentor=mentor).members.add(scholar, scholar_a)
    PlanRun.objects.create(cohort=cohort)
    mentor.streams.add(StreamFactory())
    co_mentor = MentorFactory()
    co_mentor.streams.add(scholar_a.stream)
    MentorshipFactory(mentor=co_mentor, scholar=scholar_a, role="co_mentor")
    CohortFactory()


def _assert_fixed_queries(world, client, url, queries, django_assert_num_queries):
    """The same count with one of everything and with four; each request sees a freshly loaded user, as in life."""
    user_id = client.handler._force_user.pk
    _grow(world, 0)
    with django_assert_num_queries(queries):
        client.force_authenticate(type(client.handler._force_user).objects.get(pk=user_id))
        assert client.get(url).status_code == 200
    for index in range(1, 4):
        _grow(world, index)
    with django_assert_num_queries(queries):
        client.force_authenticate(type(client.handler._force_user).objects.get(pk=user_id))
        assert client.get(url).status_code == 200


@pytest.fixture
def admin_mentor(world, settings):
    """Mentor a with the login ``create_mentor_logins`` gives mentors, in place of the world's own."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mentor = world["a"]["mentor"]
    mentor.user.delete()
    mentor.refresh_from_db()
    mentor.email = "mentor-a@example.org"
    mentor.save()
    mentor_logins_create(mentors=[mentor])
    mentor.refresh_from_db()
    assert mentor.user.is_staff
    return mentor.user


def test_a_mentors_admin_login_is_a_mentor_not_staff_in_the_api(world, admin_mentor):
    client = client_for(admin_mentor)
    theirs = world["b"]["series"].meetings.get()

    assert [s["id"] for s in client.get("/api/v1/scholars/").json()["results"]] == [world["a"]["scholar"].pk]
    assert client.get(f"/api/v1/meetings/{theirs.pk}/").status_code == 404
    assert (
        client.get(f"/api/v1/check-ins/{CheckInFactory(scholar=world['b']['scholar']).pk}/").status_code
        == 404
    )
    assert client.post(f"/api/v1/cohorts/{world['cohort'].pk}/plan/").status_code == 403
    assert client.get("/api/v1/me/").json()["role"] == "mentor"


def test_escalations_go_to_staff_not_to_mentors_admin_logins(world, admin_mentor):
    world["staff"].email = "staff@example.org"
    world["staff"].save()

    assert staff_alert_emails() == ["staff@example.org"]


def test_a_scholar_downloads_their_meetings_ics_with_the_feeds_uid(world):
    meeting = world["a"]["series"].meetings.get()

    response = client_for(world["a"]["scholar"].user).get(f"/api/v1/meetings/{meeting.pk}/ics/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == world["a"]["series"].uid
    assert event.decoded("DTSTART").astimezone(dt.UTC) == meeting.starts_at
    assert event.decoded("RECURRENCE-ID").astimezone(dt.UTC) == meeting.original_start
    assert "private about a" not in response.content.decode()


def test_another_persons_meeting_ics_is_not_found(world):
    theirs = world["b"]["series"].meetings.get()

    response = client_for(world["a"]["scholar"].user).get(f"/api/v1/meetings/{theirs.pk}/ics/")

    assert response.status_code == 404


def test_staff_search_mentors_by_name(world):
    response = client_for(world["staff"]).get("/api/v1/mentors/", {"search": world["b"]["mentor"].name})

    assert [m["id"] for m in response.json()["results"]] == [world["b"]["mentor"].pk]


def test_a_format_suffix_on_an_action_url_is_served_not_a_server_error(world):
    meeting = world["a"]["series"].meetings.get()

    response = client_for(world["a"]["scholar"].user).get(f"/api/v1/meetings/{meeting.pk}/ics.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("reader", ["staff", "mentor", "scholar"])
def test_a_listed_meeting_reads_as_its_declared_fields_give_it(world, reader, rf):
    """MeetingSerializer writes its rows itself, for speed: what DRF's fields would give, for every reader."""
    meeting = world["a"]["series"].meetings.get()
    # Moved, keeping its original start, and holding the zone it was moved in (a move's answer is written from it).
    moved = meeting.starts_at + dt.timedelta(microseconds=250)
    meeting.starts_at = moved.astimezone(ZoneInfo("Asia/Kolkata"))
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    request = rf.get("/api/v1/meetings/")
    request.user = login_of(world, reader)
    serializer = MeetingSerializer(context={"request": request})

    written = serializer.to_representation(meeting)
    declared = ModelSerializer.to_representation(serializer, meeting)
    (row,) = listed_meetings(Meeting.objects.filter(pk=meeting.pk))  # as the list reads it

    assert written == declared
    assert list(written) == list(declared)
    assert serializer.to_representation(row) == declared
    assert (written["private_notes"] is None) == (reader == "scholar")
    # Instants go to the renderer in UTC, which it writes with "Z" (tests/cohort/test_renderers.py).
    assert [written[name].tzinfo for name in ("original_start", "starts_at", "ends_at")] == [dt.UTC] * 3
    assert [declared[name].tzinfo for name in ("original_start", "starts_at", "ends_at")] == [dt.UTC] * 3
    assert written["starts_at"].microsecond == 250


def test_a_feed_status_reads_as_its_declared_fields_give_it(world):
    """FeedStatusSerializer writes /me/'s feeds itself, for speed: what DRF's fields would give, a feed with a live
    link (its creation instant) and feeds without."""
    scholar = world["a"]["scholar"]
    feed_token_rotate(owner=scholar)
    serializer = FeedStatusSerializer()

    statuses = feed_status_for(scholar.user)
    written = [serializer.to_representation(status) for status in statuses]
    declared = [serializers.Serializer.to_representation(serializer, status) for status in statuses]

    assert written == declared
    assert [list(each) for each in written] == [list(each) for each in declared]
    assert [each["created_at"] is not None for each in written] == [True, False, False]
    assert written[0]["created_at"].tzinfo is dt.UTC


@pytest.mark.parametrize("who", ["scholar", "mentor"])
def test_a_token_brings_its_login_and_its_profiles_in_one_query(world, who, django_assert_num_queries):
    client = token_client(world["a"][who].user)

    # The token with the login and its mentor and scholar rows, then the page.
    with django_assert_num_queries(2):
        response = client.get("/api/v1/meetings/")

    assert response.status_code == 200
    assert [row["series"] for row in response.json()["results"]] == [world["a"]["series"].pk]


def test_a_token_of_an_inactive_login_or_none_at_all_is_refused(world):
    user = world["a"]["scholar"].user
    key = Token.objects.create(user=user).key
    user.is_active = False
    user.save()

    for credentials in (f"Token {key}", "Token not-a-token"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=credentials)
        assert client.get("/api/v1/meetings/").status_code == 401

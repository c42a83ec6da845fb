"""Staff create scholars from a CSV roster (all rows or none); a scholar edits their own preferences, which moves
their pending reminders."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from scheduling.models import Meeting, Notification
from scheduling.notifications.reminders import sync_meeting_notifications
from scholars.models import Mentorship, Scholar
from tests.api.conftest import FUTURE, client_for
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

pytestmark = pytest.mark.django_db
HEADER = "name,email,cohort,stream,status,time_zone,work_start,work_end,mentor,co_mentor\n"


def staff_client() -> APIClient:
    return client_for(UserFactory(username="staff", is_staff=True))


def upload(client: APIClient, text: str):
    file = SimpleUploadedFile("roster.csv", text.encode(), content_type="text/csv")
    return client.post("/api/v1/scholars/bulk/", {"file": file}, format="multipart")


@pytest.fixture
def places():
    cohort = CohortFactory(slug="winter-27", time_zone="Europe/London")
    stream = StreamFactory(slug="interp")
    return {
        "cohort": cohort,
        "stream": stream,
        "cas": MentorFactory(slug="cas"),
        "alex": MentorFactory(slug="alex"),
    }


# --- Bulk create from CSV ------------------------------------------------------------------------------------


def test_staff_create_every_scholar_of_a_roster_with_their_mentorships(places):
    response = upload(
        staff_client(),
        HEADER
        + "Ada Lovelace,ada@example.org,winter-27,interp,training,America/New_York,08:30,16:30,cas,alex\n"
        + "Grace Hopper,grace@example.org,winter-27,interp,,,,,cas,\n",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["count"] == 2
    assert [s["email"] for s in response.json()["scholars"]] == ["ada@example.org", "grace@example.org"]
    ada = Scholar.objects.get(email="ada@example.org")
    assert (ada.name, ada.slug, ada.cohort, ada.stream, ada.status) == (
        "Ada Lovelace",
        "ada-lovelace",
        places["cohort"],
        places["stream"],
        "training",
    )
    assert (ada.time_zone, ada.work_start, ada.work_end) == (
        "America/New_York",
        dt.time(8, 30),
        dt.time(16, 30),
    )
    grace = Scholar.objects.get(email="grace@example.org")
    # Left empty: the cohort's zone and the model's defaults.
    assert (grace.time_zone, grace.status, grace.work_start) == ("Europe/London", "accepted", dt.time(9))
    assert sorted(Mentorship.objects.values_list("scholar__slug", "mentor__slug", "role")) == [
        ("ada-lovelace", "alex", "co_mentor"),
        ("ada-lovelace", "cas", "primary"),
        ("grace-hopper", "cas", "primary"),
    ]


def test_a_raw_text_csv_body_is_accepted_too(places):
    response = staff_client().post(
        "/api/v1/scholars/bulk/",
        "name,email,cohort,stream\nAda,ada@example.org,winter-27,interp\n",
        content_type="text/csv",
    )

    assert response.status_code == 201, response.json()
    assert list(Scholar.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_a_namesake_in_the_cohort_gets_the_next_free_slug(places):
    ScholarFactory(cohort=places["cohort"], slug="ada-lovelace")

    response = upload(
        staff_client(), "name,email,cohort,stream\nAda Lovelace,ada2@example.org,winter-27,interp\n"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["scholars"][0]["slug"] == "ada-lovelace-2"


def test_a_roster_with_two_bad_rows_is_refused_whole_listing_both_lines(places):
    before = (Scholar.objects.count(), Mentorship.objects.count())

    response = upload(
        staff_client(),
        HEADER
        + "Ada,ada@example.org,winter-27,interp,,,,,cas,\n"
        + "Bob,bob@example.org,winter-27,interp,,Mars/Olympus,,,,\n"
        + "Cy,cy@example.org,winter-27,interp,,,,,,\n"
        + "Dee,dee@example.org,spring-27,interp,,,,,nobody,\n",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "line": 3,
            "field": "time_zone",
            "reason": "'Mars/Olympus' is not an IANA time zone; use a name like Europe/London.",
        },
        {"line": 5, "field": "cohort", "reason": "No cohort with slug 'spring-27'."},
        {"line": 5, "field": "mentor", "reason": "No mentor with slug 'nobody'."},
    ]
    assert response.json()["detail"] == "2 line(s) of the roster have problems; no scholar was created."
    assert (Scholar.objects.count(), Mentorship.objects.count()) == before


def test_an_address_a_scholar_already_has_is_refused_ignoring_case(places):
    ScholarFactory(email="Ada@Example.org")

    response = upload(staff_client(), "name,email,cohort,stream\nAda,ada@example.org,winter-27,interp\n")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 2, "field": "email", "reason": "A scholar with ada@example.org already exists."}
    ]
    assert Scholar.objects.count() == 1


def test_a_header_without_a_required_column_is_refused_at_line_1(places):
    response = upload(staff_client(), "name,email,stream\nAda,ada@example.org,interp\n")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 1, "field": "cohort", "reason": "Required column missing."}]


def test_an_upload_without_a_file_is_a_400_on_the_file_field(places):
    response = staff_client().post("/api/v1/scholars/bulk/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": None, "field": "file", "reason": "No file was submitted."}]


def test_creating_a_roster_runs_the_same_number_of_queries_for_one_row_or_three(
    places, django_assert_num_queries
):
    rows = [f"S{n},s{n}@example.org,winter-27,interp,,,,,cas,alex\n" for n in range(4)]
    one, three = staff_client(), client_for(UserFactory(username="staff-2", is_staff=True))
    # Django caches content types for the life of the process: the audit entries' are looked up once, not here.
    ContentType.objects.get_for_models(Scholar, Mentorship)
    # The caller's mentor row (staff check), savepoint, 4 look-ups, the cohorts' slugs, 2 inserts, the audit
    # entries and their cohorts, the cohorts touched, whether they have meetings published, the webhook endpoints
    # listening (none), release.
    with django_assert_num_queries(15):
        assert upload(one, HEADER + rows[0]).status_code == 201
    with django_assert_num_queries(15):
        assert upload(three, HEADER + "".join(rows[1:])).status_code == 201


@pytest.mark.parametrize("role", ["mentor", "scholar"])
def test_mentors_and_scholars_may_not_create_scholars(places, role):
    user = UserFactory(is_staff=role == "mentor")
    if role == "mentor":
        MentorFactory(user=user)
    else:
        ScholarFactory(user=user)

    response = upload(client_for(user), "name,email,cohort,stream\nAda,ada@example.org,winter-27,interp\n")

    assert response.status_code == 403
    assert not Scholar.objects.filter(email="ada@example.org").exists()


def test_anonymous_callers_may_not_create_scholars(places):
    response = upload(client_for(), "name,email,cohort,stream\nAda,ada@example.org,winter-27,interp\n")

    assert response.status_code == 401


# --- A scholar's own preferences -----------------------------------------------------------------------------


def one_on_one(mentor, scholar) -> Meeting:
    series = MeetingSeriesFactory(mentor=mentor, cohort=scholar.cohort, scholars=[scholar])
    meeting = MeetingFactory(series=series, starts_at=FUTURE)
    sync_meeting_notifications(meetings=[meeting])
    return meeting


@pytest.fixture
def pair():
    """Two scholars of one mentor, each with a 1-on-1 on FUTURE and its notifications written."""
    cohort = CohortFactory()
    mentor = MentorFactory(user=UserFactory(username="mentor", is_staff=True))
    people = {"mentor": mentor}
    for name in ("a", "b"):
        scholar = ScholarFactory(cohort=cohort, user=UserFactory(username=f"scholar-{name}"))
        MentorshipFactory(mentor=mentor, scholar=scholar)
        people[name] = scholar
        people[f"meeting_{name}"] = one_on_one(mentor, scholar)
    return people


def pending(**filters) -> list[tuple[str, dt.datetime]]:
    rows = Notification.objects.filter(status=Notification.Status.PENDING, **filters)
    return sorted(rows.values_list("kind", "due_at"))


def snapshot(**filters) -> list[tuple]:
    return sorted(Notification.objects.filter(**filters).values_list("dedupe_key", "status", "due_at"))


def test_a_scholar_reads_their_own_preferences(pair):
    response = client_for(pair["a"].user).get("/api/v1/me/preferences/")

    assert response.status_code == 200
    assert response.json() == {
        "time_zone": "Europe/London",
        "work_start": "09:00:00",
        "work_end": "17:00:00",
        "work_days": [0, 1, 2, 3, 4],
        "reminder_offsets_minutes": [1440, 15],
    }


def test_new_reminder_offsets_rewrite_the_pending_reminders_of_upcoming_meetings(pair):
    scholar = pair["a"]
    assert pending(recipient_scholar=scholar, kind="reminder") == [
        ("reminder", FUTURE - dt.timedelta(days=1)),
        ("reminder", FUTURE - dt.timedelta(minutes=15)),
    ]

    response = client_for(scholar.user).patch(
        "/api/v1/me/preferences/", {"reminder_offsets_minutes": [120, 10]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["reminder_offsets_minutes"] == [120, 10]
    assert pending(recipient_scholar=scholar, kind="reminder") == [
        ("reminder", FUTURE - dt.timedelta(hours=2)),
        ("reminder", FUTURE - dt.timedelta(minutes=10)),
    ]
    superseded = Notification.objects.filter(recipient_scholar=scholar, status="superseded")
    assert sorted(superseded.values_list("payload__offset_minutes", flat=True)) == [15, 1440]


def test_new_working_hours_and_zone_move_the_pending_check_in_prompt(pair):
    scholar = pair["a"]
    # The prompt comes on the Sunday before the Monday meeting, at the start of the scholar's working day.
    assert pending(recipient_scholar=scholar, kind="checkin_prompt") == [
        ("checkin_prompt", dt.datetime(2027, 1, 31, 9, tzinfo=dt.UTC))
    ]

    response = client_for(scholar.user).patch(
        "/api/v1/me/preferences/",
        {"time_zone": "America/New_York", "work_start": "08:00", "work_end": "16:00"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert pending(recipient_scholar=scholar, kind="checkin_prompt") == [
        ("checkin_prompt", dt.datetime(2027, 1, 31, 13, tzinfo=dt.UTC))  # 08:00 in New York
    ]


def test_changing_preferences_leaves_other_people_and_other_fields_untouched(pair):
    scholar, other = pair["a"], pair["b"]
    others_rows = snapshot(recipient_scholar=other)
    mentors_rows = snapshot(recipient_mentor=pair["mentor"])

    response = client_for(scholar.user).patch(
        "/api/v1/me/preferences/",
        {"reminder_offsets_minutes": [30], "status": "alumni", "email": "x@example.org", "cohort": 999},
        format="json",
    )

    assert response.status_code == 200, response.json()
    scholar.refresh_from_db()
    other.refresh_from_db()
    assert (scholar.reminder_offsets_minutes, scholar.status, scholar.email) == (
        [30],
        Scholar.Status.RESEARCH,
        pair["a"].email,
    )
    assert other.reminder_offsets_minutes == [1440, 15]
    assert snapshot(recipient_scholar=other) == others_rows
    assert snapshot(recipient_mentor=pair["mentor"]) == mentors_rows


def test_reminder_offsets_must_be_positive_at_most_a_week_and_distinct(pair):
    scholar = pair["a"]
    before = snapshot(recipient_scholar=scholar)

    response = client_for(scholar.user).patch(
        "/api/v1/me/preferences/", {"reminder_offsets_minutes": [0, 20160, 15, 15]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "reminder_offsets_minutes": [
            "0 is not a positive number of minutes before the meeting.",
            "20160 minutes is more than 7 days (10080 minutes) before.",
            "Each reminder once: 15 appears more than once.",
        ]
    }
    scholar.refresh_from_db()
    assert scholar.reminder_offsets_minutes == [1440, 15]
    assert snapshot(recipient_scholar=scholar) == before


def test_reminder_offsets_must_be_whole_minutes(pair):
    response = client_for(pair["a"].user).patch(
        "/api/v1/me/preferences/", {"reminder_offsets_minutes": ["soon"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"reminder_offsets_minutes": {"0": ["A valid integer is required."]}}


def test_working_hours_must_end_after_they_start(pair):
    response = client_for(pair["a"].user).patch(
        "/api/v1/me/preferences/", {"work_end": "08:00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"work_end": ["Working hours must end after they start."]}


def test_a_time_zone_must_be_an_iana_name(pair):
    response = client_for(pair["a"].user).patch(
        "/api/v1/me/preferences/", {"time_zone": "Europe/Londres", "work_days": [0, 0]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "time_zone": ["'Europe/Londres' is not an IANA time zone; use a name like Europe/London."],
        "work_days": ["Weekdays must not repeat."],
    }


@pytest.mark.parametrize("who", ["mentor", "staff"])
def test_people_who_are_not_scholars_have_no_preferences_here(pair, who):
    user = pair["mentor"].user if who == "mentor" else UserFactory(is_staff=True)
    client = client_for(user)

    assert client.get("/api/v1/me/preferences/").status_code == 403
    assert client.patch("/api/v1/me/preferences/", {"time_zone": "UTC"}, format="json").status_code == 403
    pair["mentor"].refresh_from_db()
    assert pair["mentor"].time_zone == "Europe/London"


def test_anonymous_callers_have_no_preferences(pair):
    assert client_for().get("/api/v1/me/preferences/").status_code == 401


def test_a_stored_value_older_rules_reject_does_not_block_an_unrelated_change(pair):
    scholar = pair["a"]
    Scholar.objects.filter(pk=scholar.pk).update(reminder_offsets_minutes=[15, 15])

    response = client_for(scholar.user).patch(
        "/api/v1/me/preferences/", {"time_zone": "Europe/Paris"}, format="json"
    )

    assert response.status_code == 200
    scholar.refresh_from_db()
    assert scholar.time_zone == "Europe/Paris"

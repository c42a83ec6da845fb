"""A scholar's own pages (scheduling.pages): their upcoming meetings in their zone, their calendar links, their
preferences and their weekly check-ins; and who is sent elsewhere.

Everything goes through the test client and the real services. Meetings lie in a fixed winter far ahead (the
page hides meetings already over, so a date in the near future would one day make these tests stale); check-ins
use a cohort built around today's week.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, urlsplit

import pytest
import recurring_ical_events
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from icalendar import Calendar
from rest_framework.test import APIClient

from cohort.models import AuditEntry
from scheduling.models import Meeting
from scholars.models import CheckIn, Scholar
from tests.factories import (
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    ScholarFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# A Monday in winter far ahead: 10:00 UTC is 05:00 EST in New York, and no test run will find it past.
WINTER_MONDAY = dt.datetime(2099, 2, 2, 10, tzinfo=dt.UTC)
PUBLIC_BASE_URL = "https://cohortops.example"


@pytest.fixture(autouse=True)
def _public_base_url(settings) -> None:
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


@pytest.fixture
def cohort():
    """The cohort WINTER_MONDAY falls in."""
    return CohortFactory(start_date=dt.date(2099, 1, 5), end_date=dt.date(2099, 3, 27))


def scholar_with_a_meeting(cohort, name: str, *, zone: str = "Europe/London") -> Scholar:
    """A scholar with a login, and a weekly 1-on-1 with their mentor ("<name>'s 1-on-1") meeting on WINTER_MONDAY."""
    scholar = ScholarFactory(
        cohort=cohort, name=name, time_zone=zone, user=UserFactory(username=name.lower())
    )
    series = MeetingSeriesFactory(
        cohort=cohort, mentor=MentorFactory(), scholars=[scholar], title=f"{name}'s 1-on-1"
    )
    MeetingFactory(series=series, starts_at=WINTER_MONDAY)
    return scholar


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown_meetings(response) -> list[Meeting]:
    return [row.meeting for row in response.context["meetings"]]


def shows(response, text: str) -> bool:
    """Whether the page shows ``text`` (as the template escapes it)."""
    return escape(text) in response.text


# --- Who sees these pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/calendars/", "/preferences/", "/check-in/", "/check-in/2099-02-02/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)

    assert (response.status_code, response.url) == (302, f"/sign-in/?next={quote(path)}")


def test_a_mentor_gets_their_own_home_and_staff_the_admin():
    mentor = MentorFactory(name="Grace", user=UserFactory(username="grace", is_staff=True))

    response = client_of(mentor.user).get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "pages/mentor_home.html"
    response = client_of(UserFactory(username="staff", is_staff=True)).get("/")
    assert (response.status_code, response.url) == (302, "/admin/")


def test_a_login_without_a_profile_or_staff_is_forbidden():
    response = client_of(UserFactory(username="nobody")).get("/")

    assert response.status_code == 403
    assert "this login belongs to no scholar or mentor" in response.text


# --- The scholar's page -----------------------------------------------------------------------------------------


def test_the_page_lists_upcoming_meetings_in_the_scholars_zone(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada", zone="America/New_York")
    series = scholar.meeting_series.get()
    upcoming = series.meetings.get()
    MeetingFactory(
        series=series, starts_at=WINTER_MONDAY + dt.timedelta(weeks=1), status=Meeting.Status.CANCELLED
    )
    MeetingFactory(series=series, starts_at=dt.datetime(2020, 2, 3, 10, tzinfo=dt.UTC))  # long over

    page = client_of(scholar.user).get("/")

    assert page.status_code == 200
    assert shown_meetings(page) == [upcoming]
    assert "Mon 2 Feb" in page.text
    assert "05:00–06:00 EST" in page.text
    assert "Times in <strong>America/New_York</strong>" in page.text


def test_another_scholars_meetings_never_appear(cohort):
    ada = scholar_with_a_meeting(cohort, "Ada")
    scholar_with_a_meeting(cohort, "Bob")

    page = client_of(ada.user).get("/")

    assert shown_meetings(page) == list(Meeting.objects.filter(series__scholars=ada))
    assert shows(page, "Ada's 1-on-1")
    assert not shows(page, "Bob's 1-on-1")


# --- Calendars ----------------------------------------------------------------------------------------------------


def own_feed(scholar: Scholar) -> dict:
    return {"scope": "scholar", "owner_id": scholar.pk}


def new_link_of(response) -> dict[str, str]:
    assert response.status_code == 200
    return response.context["new_link"]


def test_getting_a_calendar_link_shows_it_with_the_ways_to_subscribe(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada")

    page = client_of(scholar.user).post("/calendars/", own_feed(scholar))

    link = new_link_of(page)
    https = link["https"]
    assert re.fullmatch(rf"{PUBLIC_BASE_URL}/feeds/[A-Za-z0-9_\-]{{40,}}\.ics", https)
    assert link["webcal"] == "webcal://" + https.removeprefix("https://")
    assert (
        link["google"] == f"https://calendar.google.com/calendar/render?cid={quote(link['webcal'], safe='')}"
    )
    assert link["outlook"] == (
        "https://outlook.live.com/calendar/0/addfromweb?"
        f"url={quote(https, safe='')}&name={quote('cohortops: My meetings', safe='')}"
    )
    for url in (link["webcal"], link["google"], link["outlook"]):
        assert f'href="{escape(url)}"' in page.text


def test_the_link_has_a_copy_button_for_its_field(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada")

    page = client_of(scholar.user).post("/calendars/", own_feed(scholar))

    [field_id] = re.findall(r'<button type="button" data-copy="([^"]+)">Copy</button>', page.text)
    [field] = re.findall(rf'<input id="{field_id}"[^>]*>', page.text)
    assert f'value="{new_link_of(page)["https"]}"' in field


def test_the_new_link_serves_the_scholars_meetings(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada")
    link = new_link_of(client_of(scholar.user).post("/calendars/", own_feed(scholar)))

    feed = Client().get(urlsplit(link["https"]).path)

    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    day = WINTER_MONDAY.date()
    [event] = recurring_ical_events.of(Calendar.from_ical(feed.content)).between(
        day, day + dt.timedelta(days=1)
    )
    assert str(event["SUMMARY"]) == "Ada's 1-on-1"
    assert event["DTSTART"].dt == WINTER_MONDAY


def test_a_new_link_turns_the_old_one_off(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada")
    client = client_of(scholar.user)
    first = new_link_of(client.post("/calendars/", own_feed(scholar)))["https"]

    second = new_link_of(client.post("/calendars/", own_feed(scholar)))["https"]

    assert second != first
    assert Client().get(urlsplit(first).path).status_code == 404
    assert Client().get(urlsplit(second).path).status_code == 200


def another_scholars_feed(scholar: Scholar) -> dict:
    other = ScholarFactory(cohort=scholar.cohort)
    return {"scope": "scholar", "owner_id": other.pk}


def another_cohorts_feed(scholar: Scholar) -> dict:
    return {"scope": "cohort", "owner_id": CohortFactory().pk}


def their_stream_in_another_cohort(scholar: Scholar) -> dict:
    return {"scope": "stream", "owner_id": scholar.stream.pk, "cohort_id": CohortFactory().pk}


def nonsense_scope(scholar: Scholar) -> dict:
    return {"scope": "galaxy", "owner_id": scholar.pk}


def nonsense_owner(scholar: Scholar) -> dict:
    return {"scope": "scholar", "owner_id": "me"}


def nothing(scholar: Scholar) -> dict:
    return {}


@pytest.mark.parametrize(
    "feed_of",
    [
        another_scholars_feed,
        another_cohorts_feed,
        their_stream_in_another_cohort,
        nonsense_scope,
        nonsense_owner,
        nothing,
    ],
)
def test_a_link_to_a_calendar_not_theirs_is_not_found(cohort, feed_of):
    scholar = scholar_with_a_meeting(cohort, "Ada")

    response = client_of(scholar.user).post("/calendars/", feed_of(scholar))

    assert response.status_code == 404


# --- Preferences --------------------------------------------------------------------------------------------------


def preferences(**changes) -> dict:
    """The preferences form as a scholar submits it: the defaults, changed by ``changes``."""
    return {
        "time_zone": "Europe/London",
        "work_start": "09:00",
        "work_end": "17:00",
        "work_days": ["0", "1", "2", "3", "4"],
        "reminder_offsets_minutes": ["1440", "15"],
        **changes,
    }


def stored_preferences(scholar: Scholar) -> tuple:
    scholar.refresh_from_db()
    return (
        scholar.time_zone,
        scholar.work_start,
        scholar.work_end,
        scholar.work_days,
        scholar.reminder_offsets_minutes,
    )


def test_saving_preferences_changes_zone_hours_days_and_reminders(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada")
    client = client_of(scholar.user)

    saved = client.post(
        "/preferences/",
        preferences(
            time_zone="Asia/Kolkata",
            work_start="08:30",
            work_end="16:15",
            work_days=["4", "0", "2"],
            reminder_offsets_minutes=["60", "2880"],
        ),
    )

    assert (saved.status_code, saved.url) == (302, "/")
    assert stored_preferences(scholar) == (
        "Asia/Kolkata",
        dt.time(8, 30),
        dt.time(16, 15),
        [0, 2, 4],
        [2880, 60],
    )
    # Written by the service, which audits the change as the scholar's.
    [entry] = AuditEntry.objects.filter(actor=scholar.user, target_id=scholar.pk)
    assert {"time_zone", "work_start", "work_end", "work_days", "reminder_offsets_minutes"} <= set(
        entry.changes
    )
    assert "Preferences saved. Times are shown in Asia/Kolkata" in client.get("/").text


def test_a_reminder_set_through_the_api_is_offered_and_kept(cohort):
    scholar = scholar_with_a_meeting(cohort, "Ada")
    api = APIClient()
    api.force_authenticate(scholar.user)
    patched = api.patch("/api/v1/me/preferences/", {"reminder_offsets_minutes": [90, 1440]}, format="json")
    assert patched.status_code == 200
    client = client_of(scholar.user)

    form = client.get("/preferences/")

    assert (90, "1 hour 30 minutes") in form.context["form"].fields["reminder_offsets_minutes"].choices
    assert re.search(
        r'<input type="checkbox" name="reminder_offsets_minutes" value="90"[^>]* checked>', form.text
    )

    client.post(
        "/preferences/", preferences(time_zone="Europe/Paris", reminder_offsets_minutes=["90", "1440"])
    )

    assert stored_preferences(scholar)[0] == "Europe/Paris"
    assert stored_preferences(scholar)[4] == [1440, 90]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"time_zone": "Mars/Olympus_Mons"},
            "time_zone",
            "Select a valid choice. Mars/Olympus_Mons is not one of the available choices.",
        ),
        (
            {"work_start": "17:00", "work_end": "09:00"},
            "work_end",
            "Working hours must end after they start.",
        ),
    ],
    ids=["unknown-zone", "end-before-start"],
)
def test_refused_preferences_name_the_field_and_write_nothing(cohort, changes, field, message):
    scholar = scholar_with_a_meeting(cohort, "Ada")
    before = stored_preferences(scholar)

    refused = client_of(scholar.user).post(
        "/preferences/", preferences(reminder_offsets_minutes=["5"], **changes)
    )

    assert refused.status_code == 400
    assert refused.context["form"].errors[field] == [message]
    assert shows(refused, message)
    assert stored_preferences(scholar) == before
    assert not AuditEntry.objects.filter(actor=scholar.user).exists()


# --- Weekly check-ins ---------------------------------------------------------------------------------------------


@pytest.fixture
def scholar_now():
    """A scholar with a login in a cohort that runs four weeks either side of today."""
    today = timezone.now().date()
    running = CohortFactory(start_date=today - dt.timedelta(weeks=4), end_date=today + dt.timedelta(weeks=4))
    return ScholarFactory(cohort=running, user=UserFactory(username="ada"))


def this_weeks_form(client: Client) -> str:
    """The path of this week's check-in, as /check-in/ redirects to it."""
    redirect = client.get("/check-in/")
    assert redirect.status_code == 302
    return redirect.url


def week_of(path: str) -> dt.date:
    return dt.date.fromisoformat(path.strip("/").rsplit("/", 1)[1])


def check_in(**fields) -> dict:
    return {"progress": "Reproduced the baseline.", "blockers": "", "next_steps": "", **fields}


def test_this_weeks_check_in_form_opens_and_saves(scholar_now):
    client = client_of(scholar_now.user)
    path = this_weeks_form(client)
    week = week_of(path)

    form = client.get(path)
    saved = client.post(path, check_in(blockers="GPU quota"))

    assert week.weekday() == 0
    assert form.status_code == 200
    assert (saved.status_code, saved.url) == (302, "/")
    [entry] = CheckIn.objects.filter(scholar=scholar_now)
    assert (entry.week_start, entry.progress, entry.blockers) == (
        week,
        "Reproduced the baseline.",
        "GPU quota",
    )


def test_writing_the_same_week_again_edits_the_check_in(scholar_now):
    client = client_of(scholar_now.user)
    path = this_weeks_form(client)
    client.post(path, check_in())

    form = client.get(path)
    client.post(path, check_in(progress="Found the bug in layer 5."))

    assert "You wrote this already" in form.text
    assert form.context["form"].initial["progress"] == "Reproduced the baseline."
    assert list(CheckIn.objects.filter(scholar=scholar_now).values_list("progress", flat=True)) == [
        "Found the bug in layer 5."
    ]


def test_an_empty_progress_is_refused_by_the_field(scholar_now):
    client = client_of(scholar_now.user)

    refused = client.post(this_weeks_form(client), check_in(progress="  "))

    message = "Say what you did this week; progress cannot be empty."
    assert refused.status_code == 400
    assert refused.context["form"].errors["progress"] == [message]
    assert shows(refused, message)
    assert not CheckIn.objects.exists()


def test_a_week_not_starting_on_monday_is_refused(scholar_now):
    client = client_of(scholar_now.user)
    tuesday = week_of(this_weeks_form(client)) + dt.timedelta(days=1)

    refused = client.post(f"/check-in/{tuesday.isoformat()}/", check_in())

    message = f"{tuesday.isoformat()} is a Tuesday; a check-in's week starts on a Monday."
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [message]
    assert shows(refused, message)
    assert not CheckIn.objects.exists()


def test_a_week_outside_the_cohort_is_refused(scholar_now):
    client = client_of(scholar_now.user)
    cohort = scholar_now.cohort
    long_before = week_of(this_weeks_form(client)) - dt.timedelta(weeks=10)

    refused = client.post(f"/check-in/{long_before.isoformat()}/", check_in())

    message = (
        f"The week of {long_before.isoformat()} is outside {cohort.name} "
        f"({cohort.start_date.isoformat()} to {cohort.end_date.isoformat()})."
    )
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [message]
    assert shows(refused, message)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("week", ["nonsense", "2027-02-30"])
def test_a_malformed_week_is_not_found(scholar_now, week):
    assert client_of(scholar_now.user).get(f"/check-in/{week}/").status_code == 404

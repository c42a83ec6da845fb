"""People's own calendars and the clashes they make, through the API: each person writes only their own, the
address is never returned, and a read runs for real against a calendar host on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cohort.signals import busy_times_changed
from mentors.models import Mentor
from scheduling.models import CalendarClash
from scholars.models import BusyBlock, CalendarSource
from tests.api.conftest import FUTURE, client_for
from tests.integration.servers import CalendarRoute, calendar_server

pytestmark = pytest.mark.django_db

CALENDAR = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//EN\r
BEGIN:VEVENT\r
UID:one@example.org\r
DTSTART:20270201T093000Z\r
DTEND:20270201T103000Z\r
SUMMARY:Private appointment\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def server(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with calendar_server() as running:
        running.routes["/secret-7f3a/basic.ics"] = CalendarRoute(body=CALENDAR)
        yield running


def test_a_scholar_adds_their_calendar_which_is_read_at_once_and_its_address_never_returned(
    world, server, django_capture_on_commit_callbacks
):
    scholar = world["a"]["scholar"]
    url = server.url("/secret-7f3a/basic.ics")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(scholar.user).post(
            "/api/v1/calendar-sources/", {"url": url, "label": "Personal"}, format="json"
        )

    assert response.status_code == 201, response.json()
    assert "url" not in response.json()
    assert "secret-7f3a" not in response.content.decode()
    assert response.json()["url_hint"] == "127.0.0.1/…/basic.ics"
    source = CalendarSource.objects.get(pk=response.json()["id"])
    assert (source.scholar, source.status) == (scholar, CalendarSource.Status.OK)
    assert list(source.busy_blocks.values_list("starts_at", flat=True)) == [FUTURE - dt.timedelta(minutes=30)]
    listed = client_for(scholar.user).get(f"/api/v1/calendar-sources/{source.pk}/").json()
    assert (listed["status"], listed["label"]) == ("ok", "Personal")


def test_an_address_the_policy_refuses_is_a_400_on_the_field_and_nothing_is_saved(world):
    response = client_for(world["a"]["mentor"].user).post(
        "/api/v1/calendar-sources/", {"url": "https://192.168.1.10/cal.ics"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"url": ["192.168.1.10 resolves to a private address."]}
    assert not CalendarSource.objects.exists()


def test_staff_cannot_add_a_calendar_of_their_own_here(world):
    response = client_for(world["staff"]).post(
        "/api/v1/calendar-sources/", {"url": "https://calendar.example.org/x.ics"}, format="json"
    )

    assert response.status_code == 403
    assert "admin page" in response.json()["detail"]


def own_source(person) -> CalendarSource:
    field = "mentor" if isinstance(person, Mentor) else "scholar"
    return CalendarSource.objects.create(**{field: person}, url_encrypted="-", url_hint=f"h/…/{person.pk}")


def test_each_person_lists_only_their_own_calendars_and_staff_all(world):
    sources = {
        key: own_source(world[name][role])
        for name in "ab"
        for role in ("mentor", "scholar")
        for key in [f"{name}-{role}"]
    }

    def listed(user) -> set[int]:
        return {row["id"] for row in client_for(user).get("/api/v1/calendar-sources/").json()["results"]}

    assert listed(world["a"]["mentor"].user) == {sources["a-mentor"].pk}
    assert listed(world["b"]["scholar"].user) == {sources["b-scholar"].pk}
    assert listed(world["staff"]) == {source.pk for source in sources.values()}


def test_removing_a_calendar_resolves_its_clashes_and_another_persons_is_a_404(world):
    mentor = world["a"]["mentor"]
    source = own_source(mentor)
    meeting = world["a"]["series"].meetings.get()
    BusyBlock.objects.create(source=source, starts_at=meeting.starts_at, ends_at=meeting.ends_at)
    busy_times_changed.send(sender=CalendarSource, person=mentor)
    assert CalendarClash.objects.filter(resolved_at__isnull=True).count() == 1

    refused = client_for(world["b"]["mentor"].user).delete(f"/api/v1/calendar-sources/{source.pk}/")
    removed = client_for(mentor.user).delete(f"/api/v1/calendar-sources/{source.pk}/")

    assert (refused.status_code, removed.status_code) == (404, 204)
    assert not CalendarSource.objects.exists()
    assert CalendarClash.objects.get().resolved_at is not None


def test_clashes_are_listed_to_staff_the_meetings_mentor_and_the_busy_scholar_only(world):
    scholar = world["a"]["scholar"]
    meeting = world["a"]["series"].meetings.get()
    BusyBlock.objects.create(source=own_source(scholar), starts_at=meeting.starts_at, ends_at=meeting.ends_at)
    busy_times_changed.send(sender=CalendarSource, person=scholar)
    clash = CalendarClash.objects.get()

    def listed(user, query: str = "") -> list[int]:
        return [
            row["id"] for row in client_for(user).get(f"/api/v1/calendar-clashes/{query}").json()["results"]
        ]

    assert listed(world["staff"]) == [clash.pk]
    assert listed(world["a"]["mentor"].user) == [clash.pk]
    assert listed(scholar.user) == [clash.pk]
    assert listed(world["b"]["mentor"].user) == []
    assert listed(world["b"]["scholar"].user) == []
    CalendarClash.objects.update(resolved_at=timezone.now())
    assert listed(world["staff"], "?open=true") == []
    assert listed(world["staff"], "?open=false") == [clash.pk]


def test_the_open_filter_takes_true_or_false_only(world):
    response = client_for(world["staff"]).get("/api/v1/calendar-clashes/?open=yes")

    assert response.status_code == 400
    assert response.json() == {"open": ["Give true or false."]}

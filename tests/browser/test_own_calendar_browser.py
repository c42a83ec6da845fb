"""A mentor in a real browser gives the secret address of their own calendar on *Calendars*: it is read at once
(through the real fetch path, against a calendar host on this machine), the page says how many busy times lie
ahead, lists the meeting the calendar now clashes with, and never shows the address again.

At a laptop's viewport and a phone's, where no page may scroll sideways.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mentors.models import Mentor
from mentors.services import mentor_logins_create
from scheduling.models import CalendarClash, Meeting
from scholars.models import CalendarSource
from tests.browser.conftest import VIEWPORTS, assert_fits_the_width, sign_in
from tests.integration.servers import CalendarRoute, calendar_server
from tests.scholars.calendar_files import calendar_busy_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET_PATH = "/calendar/ical/ines/private-9c41d7/basic.ics"


def calendar_busy_during(meeting: Meeting) -> bytes:
    """Ines's own calendar: busy across the start of her next meeting, and a private title that must not show."""
    return calendar_busy_at(
        [meeting.starts_at - dt.timedelta(minutes=30)], title="Grant panel (confidential)"
    )


@pytest.fixture
def ines(planned_cohort_ahead) -> Mentor:
    mentor = Mentor.objects.get(name="Ines")
    mentor_logins_create(mentors=[mentor], invite=False)
    mentor.refresh_from_db()
    return mentor


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_mentor_adds_their_own_calendar_and_sees_the_meeting_it_clashes_with(
    open_page, live_server, settings, ines
):
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    meeting = Meeting.objects.filter(series__mentor=ines, starts_at__gt=timezone.now()).order_by("starts_at")[
        0
    ]
    page = open_page()
    sign_in(page, live_server, ines.user)

    with calendar_server() as host:
        host.routes[SECRET_PATH] = CalendarRoute(body=calendar_busy_during(meeting))
        page.goto(f"{live_server.url}/calendars/")
        page.get_by_label("Secret address in iCal format").fill(host.url(SECRET_PATH))
        page.get_by_label("Label").fill("Work")
        page.get_by_role("button", name="Add calendar").click()

        section = page.locator(
            "section", has=page.get_by_role("heading", name="Busy times from your own calendar")
        )
        expect(page.get_by_role("status")).to_contain_text("Calendar added (127.0.0.1/…/basic.ics)")
        expect(section.locator(".sources")).to_contain_text("Work")
        expect(section.locator(".sources")).to_contain_text("1 busy time ahead.")
        expect(section.locator(".clashes")).to_contain_text(meeting.series.title)
        expect(section.locator(".clashes")).to_contain_text("move it in the admin")
        assert_fits_the_width(page)
        html = page.content()

    assert "private-9c41d7" not in html
    assert "Grant panel" not in html
    assert CalendarSource.objects.get(mentor=ines).status == CalendarSource.Status.OK
    assert CalendarClash.objects.filter(meeting=meeting, mentor=ines, resolved_at__isnull=True).count() == 1

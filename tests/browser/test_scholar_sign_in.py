"""A scholar in a real browser: asks for a sign-in link, gets it by real SMTP, signs in with it, sees their
meetings in their own zone, copies a calendar link that serves their meetings, and cannot use the link twice.

At a laptop's viewport and a phone's, where no page may scroll sideways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from scheduling.models import Meeting
from scheduling.pages.scholar import UPCOMING_SHOWN
from scholars.models import Scholar
from scholars.services import scholar_logins_create
from tests.browser.conftest import VIEWPORTS, assert_fits_the_width, sign_in
from tests.integration.servers import RecordingSMTPHandler, smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = "America/New_York"
ADDRESS = "ines-scholar@example.org"
# A link with a token, not the plain sign-in page the mail also names.
LINK = re.compile(r"http://\S+/sign-in/[\w-]+/\S*")


@pytest.fixture
def mailbox(settings, live_server) -> Iterator[RecordingSMTPHandler]:
    """A real SMTP server the live server mails through, at once: the Celery task runs eagerly in its thread."""
    with smtp_server() as (controller, handler):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = controller.hostname
        settings.EMAIL_PORT = controller.port
        settings.CELERY_TASK_ALWAYS_EAGER = True
        settings.PUBLIC_BASE_URL = live_server.url
        yield handler


@pytest.fixture
def scholar(planned_cohort_ahead) -> Scholar:
    """Ines's scholar, in New York, with a login of their own and no invitation mailed."""
    scholar = Scholar.objects.get(cohort=planned_cohort_ahead, name="Ines's scholar")
    scholar.time_zone = ZONE
    scholar.email = ADDRESS
    scholar.save()
    scholar_logins_create(scholars=[scholar], invite=False)
    scholar.refresh_from_db()
    assert scholar.user is not None
    return scholar


def ask_for_link(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + reverse("sign-in") + "?next=/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_fits_the_width(page)
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_role("button", name="Mail me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
    expect(page.locator("main")).to_contain_text(ADDRESS)
    assert_fits_the_width(page)


def the_one_link(mailbox: RecordingSMTPHandler, live_server) -> str:
    """The sign-in link in the one message received, which must be the scholar's."""
    assert len(mailbox.messages) == 1, [m["To"] for m in mailbox.messages]
    message: EmailMessage = mailbox.messages[0]
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Your cohortops sign-in link"
    body = message.get_content()
    assert body.startswith("Hello Ines's scholar,")
    links = LINK.findall(body)
    assert len(links) == 1, body
    assert links[0].startswith(live_server.url + "/sign-in/")
    return links[0]


def sign_in_with(page: Page, link: str, live_server) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to cohortops")
    assert_fits_the_width(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/")


def expected_upcoming(scholar: Scholar) -> list[tuple[str, str, str]]:
    """The scholar's next meetings as the page should write them in their zone: (day, times, what)."""
    zone = ZoneInfo(ZONE)
    meetings = (
        Meeting.objects.filter(series__scholars=scholar, ends_at__gt=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("series")
        .order_by("starts_at")[:UPCOMING_SHOWN]
    )
    rows = []
    for meeting in meetings:
        starts, ends = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
        day = f"{starts:%a} {starts.day} {starts:%b}"
        rows.append((day, f"{starts:%H:%M}–{ends:%H:%M} {ends.tzname()}", meeting.series.title))
    return rows


def shown_upcoming(page: Page) -> list[tuple[str, str, str]]:
    rows = []
    for item in page.locator("ol.meetings > li").all():
        day = item.locator("time strong").inner_text()
        time_text = " ".join(item.locator("time").inner_text().split())
        rows.append((day, time_text.removeprefix(day).strip(), item.locator(".what").inner_text()))
    return rows


def copy_my_meetings_link(page: Page, live_server) -> str:
    """Get a new link for "My meetings", copy it, and return what the clipboard holds."""
    feed = page.locator("ul.feeds > li").filter(has_text="My meetings")
    expect(feed).to_have_count(1)
    feed.get_by_role("button", name="Get my link").click()

    expect(page.get_by_role("heading", name="My meetings: your new link")).to_be_visible()
    field = page.locator("#feed-url")
    expect(field).to_have_value(re.compile("^" + re.escape(live_server.url + "/feeds/") + r"\S+\.ics$"))
    assert_fits_the_width(page)

    copy = page.locator('button[data-copy="feed-url"]')  # by what it copies: its name changes once it has
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == field.input_value()
    return copied


def check_feed(page: Page, url: str, scholar: Scholar) -> None:
    response = page.request.get(url)
    assert response.status == 200, response.text()
    assert response.headers["content-type"].split(";")[0] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.body())
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT") if "RECURRENCE-ID" not in event}

    series = scholar.meeting_series.get()
    first = series.meetings.order_by("starts_at").first()
    assert series.uid in events, sorted(events)
    start = events[series.uid].decoded("DTSTART")
    assert start == first.starts_at
    # Ines's series: 09:00 on Tuesdays, in New York's wall clock.
    assert (start.strftime("%A %H:%M"), str(start.tzinfo)) == ("Tuesday 09:00", ZONE)


def expect_spent_link_page(page: Page) -> None:
    expect(page.get_by_role("alert")).to_have_text(
        "That sign-in link has expired or was already used. Ask for a new one below."
    )
    expect(page.get_by_role("button", name="Mail me a sign-in link")).to_be_visible()
    assert_fits_the_width(page)


def expect_signed_out(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + reverse("sign-in") + "?next=/")


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_scholar_signs_in_by_mailed_link_and_subscribes_to_their_meetings(
    open_page, live_server, mailbox, scholar
):
    page = open_page()
    ask_for_link(page, live_server)
    link = the_one_link(mailbox, live_server)
    # Opened elsewhere too (a second device, a mail scanner): the confirm page, which uses nothing up.
    elsewhere = open_page()
    elsewhere.goto(link)
    expect(elsewhere.get_by_role("button", name="Sign in")).to_be_visible()

    sign_in_with(page, link, live_server)

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Ines's scholar")
    expect(page.locator("header .zone")).to_have_text(f"Times in {ZONE}")
    upcoming = expected_upcoming(scholar)
    assert upcoming, "the planned cohort has no meetings ahead for the scholar"
    expect(page.locator("ol.meetings > li")).to_have_count(len(upcoming))
    assert shown_upcoming(page) == upcoming
    # Ines's weekly 1-on-1, on Tuesdays at 09:00 in New York, named by New York's abbreviation of that day.
    assert {day[:3] for day, _, _ in upcoming} == {"Tue"}
    first = (
        Meeting.objects.filter(series__scholars=scholar)
        .earliest("starts_at")
        .starts_at.astimezone(ZoneInfo(ZONE))
    )
    assert upcoming[0][1] == f"09:00–10:00 {first.tzname()}"
    assert_fits_the_width(page)

    feed_url = copy_my_meetings_link(page, live_server)
    assert feed_url.startswith(live_server.url + "/feeds/")
    check_feed(page, feed_url, scholar)

    # The link is spent. Its confirm page, opened before, signs nobody in ...
    with elsewhere.expect_response(lambda response: response.request.method == "POST") as posted:
        elsewhere.get_by_role("button", name="Sign in").click()
    assert posted.value.status == 410
    expect_spent_link_page(elsewhere)
    expect_signed_out(elsewhere, live_server)
    # ... and opened again, in a browser that never had it, it says so with a 410.
    again = open_page()
    response = again.goto(link)
    assert response.status == 410
    expect_spent_link_page(again)
    expect_signed_out(again, live_server)


@pytest.mark.parametrize("viewport", [VIEWPORTS["laptop"]], ids=["laptop"])
def test_the_calendar_list_names_the_live_link_by_its_start(open_page, live_server, settings, scholar):
    """Your calendars says "Link starting <hint>… is live": the hint is how the link it gave starts."""
    settings.PUBLIC_BASE_URL = live_server.url
    page = open_page()
    sign_in(page, live_server, scholar.user)
    page.goto(live_server.url + "/")

    feed_url = copy_my_meetings_link(page, live_server)

    token = feed_url.removeprefix(live_server.url + "/feeds/").removesuffix(".ics")
    mine = page.locator("ul.feeds > li").filter(has_text="My meetings")
    expect(mine).to_contain_text(f"Link starting {token[:6]}… is live.")

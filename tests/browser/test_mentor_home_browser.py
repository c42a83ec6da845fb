"""A mentor in a real browser: sees their next two weeks in their own zone, rewrites their weekly hours in the
seven-day editor (copying one day to all), is told which meetings now fall outside them, takes a half-day trip
that cancels a meeting, and lifts it again to bring the meeting back.

At a laptop's viewport and a phone's, where no page may scroll sideways.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from cohort.dates import WEEKDAY_FULL_NAMES, monday_of
from mentors.models import Mentor
from mentors.services import mentor_logins_create
from scheduling.models import Meeting, Notification
from scheduling.selectors import PLANNED
from tests.browser.conftest import VIEWPORTS, assert_fits_the_width, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("America/New_York")
NEW_RANGES = [(dt.time(13), dt.time(15)), (dt.time(16), dt.time(17, 30))]


@pytest.fixture
def ines(planned_cohort_ahead) -> Mentor:
    """Ines (New York, Tuesdays 09:00-10:00, one scholar, a weekly 1-on-1 planned), with a login, no mail sent."""
    mentor = Mentor.objects.get(name="Ines")
    mentor_logins_create(mentors=[mentor], invite=False)
    mentor.refresh_from_db()
    assert mentor.user is not None
    return mentor


# --- What the pages should say, worked out from the rows -------------------------------------------------------


def day_text(day: dt.date) -> str:
    """A day as the messages and the time-away list write it: "Tue 15 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZONE)


def meetings_ahead(mentor: Mentor) -> list[Meeting]:
    """The mentor's planned meetings not yet started, first first."""
    return list(
        Meeting.objects.filter(series__mentor=mentor, starts_at__gte=timezone.now(), status__in=PLANNED)
        .select_related("series")
        .order_by("starts_at")
    )


def meetings_in_the_two_weeks_shown(mentor: Mentor) -> list[Meeting]:
    """The mentor's meetings from Monday of this week, in their zone, for fourteen days: "This week and next"."""
    first = dt.datetime.combine(monday_of(local(timezone.now()).date()), dt.time(0), tzinfo=ZONE)
    return list(
        Meeting.objects.filter(
            series__mentor=mentor, starts_at__gte=first, starts_at__lt=first + dt.timedelta(days=14)
        )
        .select_related("series")
        .order_by("starts_at")
    )


def as_listed(meeting: Meeting) -> tuple[str, str, str]:
    """(day heading, times, title) as "This week and next" writes a meeting, in the mentor's zone."""
    starts, ends = local(meeting.starts_at), local(meeting.ends_at)
    heading = f"{starts:%A} {starts.day} {starts:%B}"
    return heading, f"{starts:%H:%M}–{ends:%H:%M} {ends.tzname()}", meeting.series.title


def counted_by_day(meetings: list[Meeting]) -> str:
    """ "1 meeting on Tue 15 Dec", or over more than three days "12 meetings from Tue 15 Dec to Tue 2 Mar"."""
    per_day = sorted(Counter(local(meeting.starts_at).date() for meeting in meetings).items())
    if len(per_day) > 3:
        return f"{len(meetings)} meetings from {day_text(per_day[0][0])} to {day_text(per_day[-1][0])}"
    (first_day, first_count), *rest = per_day
    first = f"{first_count} meeting{'s' if first_count != 1 else ''} on {day_text(first_day)}"
    return ", ".join([first, *(f"{count} on {day_text(day)}" for day, count in rest)])


# --- What the pages do say -------------------------------------------------------------------------------------


def shown_meetings(page: Page) -> list[tuple[str, str, str]]:
    """(day heading, times, title) of each meeting in "This week and next"."""
    rows = []
    for item in section(page, "This week and next").locator("ol.meetings > li").all():
        heading = item.locator("xpath=../preceding-sibling::h3[1]").inner_text()
        times = " ".join(item.locator("time").inner_text().split())
        rows.append((heading, times, item.locator(".what").inner_text()))
    return rows


def section(page: Page, heading: str) -> Locator:
    return page.get_by_role("region", name=heading, exact=True)


def messages(page: Page) -> Locator:
    return page.locator("ul.messages > li")


def expect_hours_summary(page: Page, rows: list[tuple[str, str]]) -> None:
    summary = section(page, "Your weekly hours").locator("dl.hours-summary")
    expect(summary.locator("dt")).to_have_text([day for day, _ in rows])
    expect(summary.locator("dd")).to_have_text([ranges for _, ranges in rows])


def expect_home(page: Page, live_server) -> None:
    expect(page).to_have_url(live_server.url + reverse("home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Ines")


# --- The three steps -------------------------------------------------------------------------------------------


def check_the_home(page: Page, live_server, ines: Mentor) -> None:
    page.goto(live_server.url + reverse("home"))
    expect_home(page, live_server)
    expect(page.locator("header .zone")).to_have_text("Times in America/New_York")
    shown = meetings_in_the_two_weeks_shown(ines)
    weeks = section(page, "This week and next")
    # The cohort starts next Monday: on the suite's clock (a Wednesday) next week's meeting is among them.
    assert shown, "no meeting of Ines's in this week and next"
    expect(weeks.locator("ol.meetings > li")).to_have_count(len(shown))
    assert shown_meetings(page) == [as_listed(meeting) for meeting in shown]
    # Every meeting of hers is on a Tuesday at 09:00 in New York (the list above names EST or EDT by its day).
    ahead = meetings_ahead(ines)
    assert ahead, "the planned cohort has no meetings ahead for Ines"
    for meeting in ahead:
        starts, ends = local(meeting.starts_at), local(meeting.ends_at)
        assert (f"{starts:%A %H:%M}", f"{ends:%H:%M}") == ("Tuesday 09:00", "10:00"), meeting
    expect(section(page, "Outside your hours")).to_have_count(0)
    expect_hours_summary(page, [("Tue", "09:00–10:00")])
    assert_fits_the_width(page)


def set_weekday_afternoons(page: Page, live_server, ines: Mentor) -> None:
    """Monday 13:00-15:00 and 16:00-17:30, copied to all days, then Saturday and Sunday switched off."""
    page.get_by_role("link", name="Edit your hours").click()
    expect(page).to_have_url(live_server.url + reverse("hours"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your weekly hours")
    expect(page.locator("main .aside")).to_contain_text("America/New_York")
    assert_fits_the_width(page)
    # The hours she has, as the editor shows them: Tuesday on, 09:00-10:00; every other day off and empty.
    expect(page.get_by_role("checkbox", name="Tuesday")).to_be_checked()
    expect(page.get_by_label("Tuesday range 1 from")).to_have_value("09:00")
    expect(page.get_by_label("Tuesday range 1 until")).to_have_value("10:00")
    expect(page.get_by_role("checkbox", name="Monday")).not_to_be_checked()

    page.get_by_role("checkbox", name="Monday").check()
    for index, (start, end) in enumerate(NEW_RANGES, start=1):
        page.get_by_label(f"Monday range {index} from").fill(f"{start:%H:%M}")
        page.get_by_label(f"Monday range {index} until").fill(f"{end:%H:%M}")
    copy = page.locator('button[data-copy-day="0"]')  # by its day: its name changes once it has copied
    expect(copy).to_have_text("Copy to all days")
    expect(page.get_by_role("group", name="Monday")).to_contain_text("Copy to all days")
    copy.click()
    expect(copy).to_have_text("Copied to all days")
    for day in WEEKDAY_FULL_NAMES[1:]:
        expect(page.get_by_role("checkbox", name=day)).to_be_checked()
        for index, (start, end) in enumerate(NEW_RANGES, start=1):
            expect(page.get_by_label(f"{day} range {index} from")).to_have_value(f"{start:%H:%M}")
            expect(page.get_by_label(f"{day} range {index} until")).to_have_value(f"{end:%H:%M}")
    page.get_by_role("checkbox", name="Saturday").uncheck()
    page.get_by_role("checkbox", name="Sunday").uncheck()
    assert_fits_the_width(page)
    page.get_by_role("button", name="Save hours").click()

    expect_home(page, live_server)
    ahead = meetings_ahead(ines)
    expect(messages(page)).to_have_text(
        [
            "Your hours are saved; the next plan uses them.",
            f"{counted_by_day(ahead)} now outside your hours: staff will re-plan them; until then they stand.",
        ]
    )
    assert sorted(ines.availability.values_list("weekday", "start_time", "end_time")) == [
        (weekday, start, end) for weekday in range(5) for start, end in NEW_RANGES
    ]
    # Nothing moves until staff re-plan: her Tuesday mornings stand, listed for her as outside her hours.
    outside = section(page, "Outside your hours")
    expect(outside).to_contain_text("Staff will re-plan them; until then they stand.")
    expect(outside.locator("li")).to_have_text(
        [
            f"{day_text(local(m.starts_at).date())}, {local(m.starts_at):%H:%M %Z}: {m.series.title}"
            for m in ahead
        ]
    )
    expect_hours_summary(page, [(day[:3], "13:00–15:00, 16:00–17:30") for day in WEEKDAY_FULL_NAMES[:5]])
    assert_fits_the_width(page)


def take_the_next_meeting_morning_off(page: Page, live_server, ines: Mentor) -> None:
    """A half-day trip over her next meeting's morning cancels it; removing the trip brings it back."""
    meeting = meetings_ahead(ines)[0]
    day = local(meeting.starts_at).date()
    scholar = meeting.series.scholars.get()
    away = section(page, "Time away")
    away.get_by_label("From:", exact=True).fill(day.isoformat())
    away.get_by_label("To (inclusive):", exact=True).fill(day.isoformat())
    away.get_by_label("Only from:", exact=True).fill("08:00")
    away.get_by_label("until:", exact=True).fill("12:00")
    away.get_by_label("Why (optional, seen by staff):", exact=True).fill("Conference")
    away.get_by_role("button", name="Add time away").click()

    expect_home(page, live_server)
    expect(messages(page)).to_have_text(
        [
            f"Time away saved: {day_text(day)}, 08:00–12:00.",
            f"1 meeting on {day_text(day)} cancelled; your scholars are told.",
            # The others were outside her hours before the trip too: the home page lists them, the message not.
        ]
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert Notification.objects.filter(
        meeting=meeting, kind=Notification.Kind.CANCELLATION, recipient_scholar=scholar
    ).exists()
    listed = section(page, "This week and next").locator("ol.meetings > li.status-cancelled")
    if meeting in meetings_in_the_two_weeks_shown(ines):
        expect(listed).to_have_count(1)
        _, times, title = as_listed(meeting)
        expect(listed.locator("time")).to_have_text(times)
        expect(listed.locator(".what")).to_have_text(title)
        expect(listed.locator(".badge")).to_have_text("cancelled")
    else:
        expect(listed).to_have_count(0)
    entries = away.locator("ul > li")
    expect(entries).to_have_count(1)
    expect(entries.locator(".what")).to_have_text(f"{day_text(day)}, 08:00–12:00")
    expect(entries.locator(".who")).to_have_text("Conference")
    assert list(ines.blackouts.values_list("start_date", "end_date", "start_time", "end_time", "reason")) == [
        (day, day, dt.time(8), dt.time(12), "Conference")
    ]
    assert_fits_the_width(page)

    entries.get_by_role("button", name="Remove").click()

    expect_home(page, live_server)
    expect(messages(page)).to_have_text(
        [
            f"Time away removed: {day_text(day)}, 08:00–12:00.",
            f"1 meeting on {day_text(day)} back on; your scholars are told.",
            # Back at its 09:00, which her new hours no longer cover.
            f"1 meeting on {day_text(day)} now outside your hours: staff will re-plan it; until then it stands.",
        ]
    )
    meeting.refresh_from_db()
    assert meeting.status in PLANNED
    assert not ines.blackouts.exists()
    expect(section(page, "Time away").locator("ul > li")).to_have_count(0)
    expect(section(page, "This week and next").locator("ol.meetings > li.status-cancelled")).to_have_count(0)
    assert_fits_the_width(page)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_mentor_rewrites_her_hours_and_takes_a_morning_away(open_page, live_server, ines):
    page = open_page()
    sign_in(page, live_server, ines.user)

    check_the_home(page, live_server, ines)
    set_weekday_afternoons(page, live_server, ines)
    take_the_next_meeting_morning_off(page, live_server, ines)

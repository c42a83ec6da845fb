"""A real headless Chromium for the admin's browser tests: Debian's package, never a downloaded build.

Under CI=true a missing or broken Chromium fails the run; elsewhere the browser tests skip, saying why.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Error, Page, sync_playwright

from cohort.dates import monday_of
from scheduling.models import PlanRun
from scheduling.services.planning import plan_apply, plan_cohort

# The admin tests' mentors (Alice, Bob, each with one row of everything a mentor owns) and their cohort.
from tests.admin.conftest import alice, bob, cohort, logged_in  # noqa: F401
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium stalls reaching Google's services on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's own waits; a page of the live server answers well inside this.
TIMEOUT_MS = 10_000
# Read as run.py and the integration tests read it.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI is set but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module, so each module runs on its own and the loop never outlives it.

    Playwright's sync API keeps an asyncio loop running in this (the main) thread while it is started, and
    Django then refuses every ORM call made here (SynchronousOnlyOperation), though nothing here is async.
    The override lasts only while the browser does, so the rest of the suite keeps Django's guard.
    """
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            except Error as error:
                _unavailable(f"{CHROMIUM} would not start: {error.message.splitlines()[0]}")
            yield browser
            browser.close()


# The widths the people-facing pages must work at: a laptop's and a phone's.
VIEWPORTS = {
    "laptop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


@pytest.fixture
def open_page(browser: Browser, live_server, viewport: dict) -> Iterator[Callable[[], Page]]:
    """Open pages, each in a browser context of its own (no cookies shared) at the test's ``viewport``, allowed
    to write and read the clipboard for the live server; all closed after the test, whatever its outcome."""
    contexts: list[BrowserContext] = []

    def open_one() -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


def assert_fits_the_width(page: Page) -> None:
    """The page does not scroll sideways: what a phone-sized viewport must hold to."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways: {page.evaluate('document.documentElement.scrollWidth')} px wide "
        f"in a {page.viewport_size['width']} px viewport"
    )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context: no cookies or storage carried over from another test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def mentor_free_one_hour(in_cohort, name: str, zone: str, weekday: int, start: dt.time):
    """A weekly 1-on-1 mentor with a single free hour, so the plan has exactly one place to put it."""
    mentor = MentorFactory(name=name, time_zone=zone, cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(
        mentor=mentor, weekday=weekday, start_time=start, end_time=start.replace(hour=start.hour + 1)
    )
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=in_cohort, name=f"{name}'s scholar"))
    return mentor


def _planned(unplanned):
    """Noor (Europe/London, Mondays 10:00) and Ines (America/New_York, Tuesdays 09:00), each with one free hour
    and one scholar, planned and applied by the real services."""
    mentor_free_one_hour(unplanned, "Noor", "Europe/London", weekday=0, start=dt.time(10))
    # 09:00 in New York is 14:00 in London in January.
    mentor_free_one_hour(unplanned, "Ines", "America/New_York", weekday=1, start=dt.time(9))
    run = plan_cohort(cohort=unplanned)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=unplanned.start_date)
    return unplanned


@pytest.fixture
def planned_cohort(settings):
    """The factory cohort (4 Jan to 26 Mar 2027, Europe/London), planned."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    return _planned(CohortFactory())


@pytest.fixture
def planned_cohort_ahead(settings):
    """The same people in the twelve weeks from next Monday: for pages that show only what lies ahead, so the
    test never goes stale."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    start = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    return _planned(CohortFactory(start_date=start, end_date=start + dt.timedelta(weeks=12, days=-3)))


def sign_in(page: Page, live_server, user) -> None:
    """Hand the browser a session made by Django's test client: the login page is the mentor test's subject."""
    session = logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

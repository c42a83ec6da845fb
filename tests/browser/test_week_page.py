"""The week at a glance in a real browser: a planned cohort's grid, its zone switcher, and a screenshot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from scheduling.models import PlanRun
from scheduling.services import plan_apply, plan_cohort
from tests.admin.conftest import logged_in
from tests.admin.test_week import WEEK, WEEKLY
from tests.factories import (
    AvailabilityFactory,
    CohortFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mentor_free_one_hour(cohort, name: str, zone: str, weekday: int, start: dt.time):
    """A weekly 1-on-1 mentor with a single free hour, so the plan has exactly one place to put it."""
    mentor = MentorFactory(name=name, time_zone=zone, cadence=WEEKLY.to_dict())
    AvailabilityFactory(
        mentor=mentor, weekday=weekday, start_time=start, end_time=start.replace(hour=start.hour + 1)
    )
    MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort, name=f"{name}'s scholar"))
    return mentor


@pytest.fixture
def planned_cohort(settings):
    """The factory cohort (4 Jan to 26 Mar 2027, Europe/London), planned and applied by the real services."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    cohort = CohortFactory()
    mentor_free_one_hour(cohort, "Noor", "Europe/London", weekday=0, start=dt.time(10))
    # 09:00 in New York is 14:00 in London in January.
    mentor_free_one_hour(cohort, "Ines", "America/New_York", weekday=1, start=dt.time(9))
    run = plan_cohort(cohort=cohort)
    assert run.status == PlanRun.Status.SOLVED, run.error
    plan_apply(plan_run=run, today=cohort.start_date)
    return cohort


def sign_in(page: Page, live_server, user) -> None:
    """Hand the browser a session made by Django's test client: the login page is the mentor test's subject."""
    session = logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def day_spans(page: Page, mentor: str) -> list[list[str]]:
    """The meeting times in each day's cell of the mentor's row, Monday first."""
    cells = page.locator(f'#week-grid tr[data-mentor="{mentor}"] td').all()
    return [cell.locator(".meeting strong").all_inner_texts() for cell in cells]


def test_the_week_page_shows_the_planned_meetings_and_switches_zone(
    page: Page, live_server, admin_user, planned_cohort, tmp_path
):
    sign_in(page, live_server, admin_user)

    page.goto(
        live_server.url
        + reverse("admin:cohort_cohort_week", args=[planned_cohort.pk])
        + f"?week={WEEK.isoformat()}"
    )

    expect(page.locator("#content-main h2").first).to_have_text("Meetings, in Europe/London")
    expect(page.locator("#week-grid tbody tr")).to_have_count(2)
    assert day_spans(page, "Noor") == [["10:00–11:00"], [], [], [], [], [], []]
    assert day_spans(page, "Ines") == [[], ["14:00–15:00"], [], [], [], [], []]
    expect(page.locator("#not-placed")).to_have_text("Every demand was placed.")

    page.select_option("#week-zone", "America/New_York")
    page.get_by_role("button", name="Show").click()

    expect(page.locator("#content-main h2").first).to_have_text("Meetings, in America/New_York")
    expect(page.locator("#time-zone")).to_have_text("Times in America/New_York.")
    assert day_spans(page, "Noor") == [["05:00–06:00"], [], [], [], [], [], []]
    assert day_spans(page, "Ines") == [[], ["09:00–10:00"], [], [], [], [], []]

    shot = page.screenshot(path=tmp_path / "week.png", full_page=True)
    assert shot.startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "week.png").stat().st_size == len(shot) > 0

"""The week at a glance in a real browser: a planned cohort's grid, its zone switcher, and a screenshot."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.admin.test_week import WEEK
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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

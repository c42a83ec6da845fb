"""A mentor in a real browser: logs in, keeps their availability, and cannot reach another mentor's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from mentors.services import mentor_logins_create
from tests.admin.conftest import MentorRows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long mentor passphrase"


def profile_url(live_server, rows: MentorRows) -> str:
    return live_server.url + reverse("admin:mentors_mentor_change", args=[rows.mentor.pk])


def log_in(page: Page, live_server, rows: MentorRows) -> None:
    """Give the mentor a login as staff do, choose its password, and sign in on the admin's login page."""
    mentor_logins_create(mentors=[rows.mentor])
    rows.mentor.refresh_from_db()
    rows.mentor.user.set_password(PASSWORD)
    rows.mentor.user.save()

    page.goto(profile_url(live_server, rows))
    expect(page).to_have_title("Log in | cohortops admin")
    page.get_by_label("Username:").fill(rows.mentor.user.username)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()


def add_window(page: Page, index: int, *, weekday: str, start: str, end: str) -> None:
    """Fill the inline's empty row ``index`` and save, staying on the page."""
    page.select_option(f"#id_availability-{index}-weekday", label=weekday)
    page.fill(f"#id_availability-{index}-start_time", start)
    page.fill(f"#id_availability-{index}-end_time", end)
    # The mentor's page has its save buttons at the top and the bottom: the bottom ones, below the rows just filled.
    page.get_by_role("button", name="Save and continue editing").last.click()


def test_a_mentor_adds_a_window_and_is_refused_another_mentors_page(
    page: Page, live_server, alice: MentorRows, bob: MentorRows
):
    log_in(page, live_server, alice)

    expect(page).to_have_url(profile_url(live_server, alice))
    expect(page.locator("#time-zone")).to_have_text("Times in America/New_York.")
    expect(page.locator("#availability-group")).to_contain_text("From (America/New_York)")
    expect(page.locator("#availability-group")).to_contain_text("Until (America/New_York)")

    add_window(page, 1, weekday="Wednesday", start="10:00", end="12:30")

    expect(page.locator(".messagelist .success")).to_have_text(
        "The mentor “Alice” was changed successfully. You may edit it again below."
    )
    expect(page.locator("#id_availability-1-weekday")).to_have_value("2")
    # The browser's own time inputs, on quarter hours: "10:00", never "10:00:00".
    expect(page.locator("#id_availability-1-start_time")).to_have_value("10:00")
    expect(page.locator("#id_availability-1-end_time")).to_have_value("12:30")
    assert list(alice.mentor.availability.values_list("weekday", "start_time", "end_time")) == [
        (0, dt.time(9), dt.time(17)),
        (2, dt.time(10), dt.time(12, 30)),
    ]

    response = page.goto(profile_url(live_server, bob))

    # The admin answers as for a row that does not exist: back to the index, with Django's message.
    assert response.request.redirected_from.response().status == 302
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    expect(page.locator(".messagelist .warning")).to_have_text(
        f"Mentor with ID “{bob.mentor.pk}” doesn’t exist. Perhaps it was deleted?"
    )
    assert "Bob" not in page.content()


def test_a_mentor_entering_an_overlapping_window_is_told_to_merge_them(
    page: Page, live_server, alice: MentorRows
):
    log_in(page, live_server, alice)

    add_window(page, 1, weekday="Monday", start="16:00", end="18:00")

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#availability-group .errorlist")).to_have_text(
        "This window overlaps your Monday 09:00–17:00 window; merge them into one window."
    )
    assert list(alice.mentor.availability.values_list("weekday", "start_time", "end_time")) == [
        (0, dt.time(9), dt.time(17))
    ]

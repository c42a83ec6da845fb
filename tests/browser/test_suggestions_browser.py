"""Staff decide a stream document's suggestions in a real browser: one click each, and Enter never decides one."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from mentors.models import Mentor, Suggestion
from tests.browser.conftest import sign_in
from tests.factories import MentorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ada() -> Mentor:
    ada = MentorFactory(name="Ada Okafor", title="Researcher", time_zone="Europe/London")
    Suggestion.objects.create(
        mentor=ada,
        setting=Suggestion.Setting.TIME_ZONE,
        value="Europe/Stockholm",
        phrase="based in Stockholm",
        source="Ada is based in Stockholm.",
    )
    return ada


def test_enter_in_a_field_saves_the_mentor_and_one_click_accepts_the_suggestion(
    page: Page, live_server, admin_user, ada: Mentor
):
    sign_in(page, live_server, admin_user)
    page.goto(live_server.url + reverse("admin:mentors_mentor_change", args=[ada.pk]))
    expect(page.locator("#suggestions-group")).to_contain_text("time zone Europe/Stockholm")

    page.fill("#id_title", "Senior researcher")
    page.press("#id_title", "Enter")

    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    ada.refresh_from_db()
    assert (ada.title, ada.time_zone) == ("Senior researcher", "Europe/London")  # saved, and nothing accepted
    assert Suggestion.objects.get().status == Suggestion.Status.OPEN

    page.goto(live_server.url + reverse("admin:mentors_mentor_change", args=[ada.pk]))
    page.locator("#suggestions-group").get_by_role("button", name="Accept").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        "Ada Okafor's time zone Europe/Stockholm accepted."
    )
    expect(page).to_have_url(live_server.url + reverse("admin:mentors_mentor_change", args=[ada.pk]))
    ada.refresh_from_db()
    assert ada.time_zone == "Europe/Stockholm"

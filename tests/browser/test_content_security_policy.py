"""The Content-Security-Policy in a real browser: the admin's pages run under it with nothing refused."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from mentors.models import Mentor
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_pages_load_with_nothing_refused_by_the_policy(page: Page, live_server, planned_cohort):
    # The browser reports each thing the policy refused on its console.
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    sign_in(page, live_server, UserFactory(is_staff=True, is_superuser=True))
    paths = [
        reverse("admin:index"),
        reverse("admin:mentors_mentor_change", args=[Mentor.objects.first().pk]),
        reverse("admin:cohort_cohort_week", args=[planned_cohort.pk]) + "?week=2027-01-11",
    ]

    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")

    assert refused == []
    # The week page's own <style> block applied.
    assert page.eval_on_selector("#week-grid", "grid => getComputedStyle(grid).borderCollapse") == "collapse"

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


# ReDoc always asks for its maker's logo from their CDN, with no option to turn it off; the policy refuses it, no
# request leaves the browser, and ReDoc hides the image when it fails.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize(
    ("docs", "rendered", "refused_images"),
    [
        # Swagger UI lists the operations; ReDoc draws its menu of them.
        ("/api/docs/", ".swagger-ui .opblock", []),
        ("/api/redoc/", "[role=menuitem]", [REDOC_LOGO]),
    ],
)
def test_the_api_docs_render_from_this_site_alone(page: Page, live_server, docs, rendered, refused_images):
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    elsewhere: list[str] = []

    def only_this_site(route) -> None:
        # As if offline: anything asked of another site is refused, and noted.
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    sign_in(page, live_server, UserFactory(is_staff=True, is_superuser=True))

    page.goto(f"{live_server.url}{docs}")
    page.wait_for_selector(rendered, timeout=30_000)

    assert elsewhere == []
    assert [text.split("'")[1] for text in refused] == refused_images
    assert all("img-src" in text for text in refused)
    assert page.locator(rendered).count() > 10

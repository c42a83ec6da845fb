"""Date ranges and time zone names people type through the API: bounded, canonical, refused field by field."""

import pytest
from django.utils import timezone

from scholars.models import Blackout, Scholar
from tests.api.conftest import client_for
from tests.factories import CohortFactory, StreamFactory, UserFactory

pytestmark = pytest.mark.django_db


def window() -> tuple[str, str]:
    """The first and last date a range may touch today (see ``cohort.validators``)."""
    today = timezone.localdate()
    return f"{today.year - 10}-01-01", f"{today.year + 10}-12-31"


def test_a_blackout_over_every_date_is_refused_field_by_field(world):
    first, last = window()

    response = client_for(world["a"]["mentor"].user).post(
        "/api/v1/blackouts/", {"start_date": "0001-01-01", "end_date": "9999-12-31", "reason": "Forever"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "start_date": [f"0001-01-01 is too far from today; use a date from {first} to {last}."],
        "end_date": [f"9999-12-31 is too far from today; use a date from {first} to {last}."],
    }
    assert Blackout.objects.count() == 0


def test_a_blackout_longer_than_two_years_is_refused_on_its_end_date(world):
    response = client_for(world["a"]["mentor"].user).post(
        "/api/v1/blackouts/", {"start_date": "2027-01-01", "end_date": "2029-12-31", "reason": "Sabbatical"}
    )

    assert response.status_code == 400
    assert response.json() == {"end_date": ["A date range may last at most 732 days; this one lasts 1096."]}


def test_a_blackout_of_two_years_is_accepted(world):
    response = client_for(world["a"]["mentor"].user).post(
        "/api/v1/blackouts/", {"start_date": "2027-01-01", "end_date": "2028-12-31", "reason": "Sabbatical"}
    )

    assert response.status_code == 201


def test_a_cohort_over_every_date_is_refused(world):
    first, last = window()

    response = client_for(world["staff"]).patch(
        f"/api/v1/cohorts/{world['cohort'].pk}/", {"start_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "start_date": [f"0001-01-01 is too far from today; use a date from {first} to {last}."]
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("GMT", "'GMT' is an abbreviation or offset, not a place; use an IANA time zone like Europe/London."),
        ("EST", "'EST' is an abbreviation or offset, not a place; use an IANA time zone like Europe/London."),
        (
            "EST5EDT",
            "'EST5EDT' is an abbreviation or offset, not a place; use an IANA time zone like Europe/London.",
        ),
        (
            "Etc/GMT+5",
            "'Etc/GMT+5' is an abbreviation or offset, not a place; use an IANA time zone like Europe/London.",
        ),
        ("US/Eastern", "'US/Eastern' is a legacy alias; use the canonical IANA time zone America/New_York."),
        ("Europe/Londres", "'Europe/Londres' is not an IANA time zone; use a name like Europe/London."),
    ],
)
def test_a_zone_that_is_not_a_canonical_place_is_refused_with_what_to_use(world, name, message):
    scholar = world["a"]["scholar"]

    response = client_for(world["staff"]).patch(
        f"/api/v1/scholars/{scholar.pk}/", {"time_zone": name}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"time_zone": [message]}
    scholar.refresh_from_db()
    assert scholar.time_zone == "Europe/London"


@pytest.mark.parametrize("name", ["Europe/London", "America/New_York", "UTC"])
def test_a_canonical_zone_is_accepted(world, name):
    scholar = world["a"]["scholar"]

    response = client_for(world["staff"]).patch(
        f"/api/v1/scholars/{scholar.pk}/", {"time_zone": name}, format="json"
    )

    assert response.status_code == 200
    scholar.refresh_from_db()
    assert scholar.time_zone == name


def test_a_scholars_own_preferences_refuse_a_legacy_zone(world):
    response = client_for(world["a"]["scholar"].user).patch(
        "/api/v1/me/preferences/", {"time_zone": "US/Pacific"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "time_zone": ["'US/Pacific' is a legacy alias; use the canonical IANA time zone America/Los_Angeles."]
    }


def test_a_mentors_zone_cannot_be_an_abbreviation(world):
    mentor = world["a"]["mentor"]

    response = client_for(world["staff"]).patch(
        f"/api/v1/mentors/{mentor.pk}/", {"time_zone": "GMT"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "time_zone": [
            "'GMT' is an abbreviation or offset, not a place; use an IANA time zone like Europe/London."
        ]
    }


def test_a_roster_row_with_a_legacy_zone_is_refused_on_its_line():
    CohortFactory(slug="winter-27")
    StreamFactory(slug="interp")
    before = Scholar.objects.count()

    response = client_for(UserFactory(is_staff=True)).post(
        "/api/v1/scholars/bulk/",
        "name,email,cohort,stream,time_zone\nAda,ada@example.org,winter-27,interp,US/Eastern\n",
        content_type="text/csv",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "line": 2,
            "field": "time_zone",
            "reason": "'US/Eastern' is a legacy alias; use the canonical IANA time zone America/New_York.",
        }
    ]
    assert Scholar.objects.count() == before

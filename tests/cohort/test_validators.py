"""The bounds every typed date range keeps, and the one rule for time zone names."""

import datetime as dt

import pytest

from cohort.time_zones import time_zone_problem
from cohort.validators import MAX_DATE_RANGE_DAYS, date_range_problems
from scholars import demo
from tests import factories

TODAY = dt.date(2027, 6, 15)


def test_a_range_inside_the_window_and_two_years_long_has_no_problem():
    start = dt.date(2027, 1, 1)

    assert date_range_problems(start, start + dt.timedelta(days=MAX_DATE_RANGE_DAYS - 1), today=TODAY) == {}


def test_a_range_one_day_too_long_is_refused_on_its_end():
    start = dt.date(2027, 1, 1)

    assert date_range_problems(start, start + dt.timedelta(days=MAX_DATE_RANGE_DAYS), today=TODAY) == {
        "end_date": "A date range may last at most 732 days; this one lasts 733."
    }


def test_the_window_runs_ten_years_either_side_of_today():
    assert date_range_problems(dt.date(2017, 1, 1), dt.date(2017, 1, 1), today=TODAY) == {}
    assert date_range_problems(dt.date(2037, 12, 31), dt.date(2037, 12, 31), today=TODAY) == {}
    assert date_range_problems(dt.date(2016, 12, 31), dt.date(2017, 1, 1), today=TODAY) == {
        "start_date": "2016-12-31 is too far from today; use a date from 2017-01-01 to 2037-12-31."
    }


def test_a_backwards_range_is_refused_on_its_end():
    assert date_range_problems(dt.date(2027, 2, 5), dt.date(2027, 2, 1), today=TODAY) == {
        "end_date": "The end date must not be before the start date."
    }


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("US/Eastern", "America/New_York"),
        ("US/Pacific", "America/Los_Angeles"),
        ("GB", "Europe/London"),
        ("Japan", "Asia/Tokyo"),
        ("Etc/UTC", "UTC"),
        # Old spellings inside a continent look canonical but are links too.
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
    ],
)
def test_a_legacy_alias_is_refused_with_its_canonical_name(name, suggested):
    assert time_zone_problem(name) == (
        f"{name!r} is a legacy alias; use the canonical IANA time zone {suggested}."
    )


@pytest.mark.parametrize(
    "name", ["GMT", "EST", "MST", "CET", "EST5EDT", "PST8PDT", "Etc/GMT+5", "Etc/GMT-14"]
)
def test_an_abbreviation_or_offset_is_refused_without_guessing_a_place(name):
    assert time_zone_problem(name) == (
        f"{name!r} is an abbreviation or offset, not a place; use an IANA time zone like Europe/London."
    )


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "", "europe/london"])
def test_a_name_outside_the_database_is_refused(name):
    assert time_zone_problem(name) == f"{name!r} is not an IANA time zone; use a name like Europe/London."


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/London", "America/New_York", "America/Argentina/Buenos_Aires", "Asia/Kolkata"]
)
def test_a_canonical_name_is_accepted(name):
    assert time_zone_problem(name) is None


def test_the_demo_and_the_test_factories_use_canonical_zones():
    made_by = (
        factories.CohortFactory,
        factories.MentorFactory,
        factories.ScholarFactory,
        factories.MeetingSeriesFactory,
    )
    zones = {*demo.MENTOR_ZONES, *demo.NEIGHBOUR_ZONE, *demo.NEIGHBOUR_ZONE.values()}
    zones |= {factory._meta.declarations["time_zone"] for factory in made_by}

    assert {zone: time_zone_problem(zone) for zone in zones} == dict.fromkeys(zones)

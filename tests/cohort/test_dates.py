import pytest

from cohort.dates import format_duration


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "0 minutes"),
        (1, "1 minute"),
        (15, "15 minutes"),
        (60, "1 hour"),
        (90, "1 hour 30 minutes"),
        (190, "3 hours 10 minutes"),
        (1439, "23 hours 59 minutes"),
        (1440, "1 day"),
        (2 * 1440 + 3 * 60 + 17, "2 days 3 hours"),
        (10080, "1 week"),
        (10080 + 2 * 1440 + 5 * 60, "1 week 2 days"),
    ],
)
def test_a_span_is_said_in_its_largest_unit_and_the_next(minutes, words):
    assert format_duration(minutes) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1440 + 29, "1 day"),
        (1440 + 30, "1 day 1 hour"),
        (6 * 1440 + 23 * 60 + 40, "1 week"),
    ],
)
def test_the_next_unit_is_rounded_to_the_nearest_and_may_carry(minutes, words):
    assert format_duration(minutes) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1441, "1 day 1 minute"),
        (1440 + 29, "1 day 29 minutes"),
        (10080 + 61, "1 week 1 hour 1 minute"),
        (2900, "2 days 20 minutes"),
        (90, "1 hour 30 minutes"),
    ],
)
def test_an_exact_span_names_every_unit_so_no_two_settings_read_alike(minutes, words):
    assert format_duration(minutes, exact=True) == words


def test_a_span_below_zero_is_no_time():
    assert format_duration(-5) == format_duration(-5, exact=True) == "0 minutes"

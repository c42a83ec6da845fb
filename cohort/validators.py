"""Validators shared by every app's models."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from cohort.time_zones import time_zone_problem


def validate_time_zone(value: str) -> None:
    """Canonical IANA names only (see ``cohort.time_zones``): "GMT" or "US/Eastern" make calendars show wrong times."""
    problem = time_zone_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_time_zone")


# Every date range a person types (a blackout, a break, a phase, a cohort) fits these bounds: room for any real
# absence or programme, while a typo such as 0001-01-01 to 9999-12-31 is refused instead of planned around.
MAX_DATE_RANGE_DAYS = 2 * 366
DATE_RANGE_YEARS_FROM_TODAY = 10


def date_range_problems(start: dt.date, end: dt.date, *, today: dt.date) -> dict[str, str]:
    """What is wrong with an inclusive date range, by field: a date far from today, a backwards or too long range."""
    earliest = dt.date(today.year - DATE_RANGE_YEARS_FROM_TODAY, 1, 1)
    latest = dt.date(today.year + DATE_RANGE_YEARS_FROM_TODAY, 12, 31)
    problems = {
        field: f"{day.isoformat()} is too far from today; use a date from {earliest.isoformat()} to "
        f"{latest.isoformat()}."
        for field, day in (("start_date", start), ("end_date", end))
        if not earliest <= day <= latest
    }
    if problems:
        return problems
    days = (end - start).days + 1
    if end < start:
        problems["end_date"] = "The end date must not be before the start date."
    elif days > MAX_DATE_RANGE_DAYS:
        problems["end_date"] = (
            f"A date range may last at most {MAX_DATE_RANGE_DAYS} days; this one lasts {days}."
        )
    return problems


def validate_date_range(start: dt.date, end: dt.date) -> None:
    problems = date_range_problems(start, end, today=timezone.localdate())
    if problems:
        raise ValidationError(problems)


MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 7 * 24 * 60


def reminder_offset_problems(value: object) -> list[str]:
    """What is wrong with a list of reminder offsets (minutes before a meeting), naming each bad offset."""
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return ["Reminder offsets must be a list of whole minutes."]
    problems = []
    if len(value) > MAX_REMINDERS:
        problems.append(f"At most {MAX_REMINDERS} reminders per meeting (this has {len(value)}).")
    for offset in value:
        if offset < 1:
            problems.append(f"{offset} is not a positive number of minutes before the meeting.")
        elif offset > MAX_REMINDER_MINUTES:
            problems.append(f"{offset} minutes is more than 7 days ({MAX_REMINDER_MINUTES} minutes) before.")
    repeated = sorted({offset for offset in value if value.count(offset) > 1})
    if repeated:
        problems.append(f"Each reminder once: {', '.join(map(str, repeated))} appears more than once.")
    return problems


def validate_reminder_offsets(value: object) -> None:
    """Minutes before a meeting at which a person wants a reminder: 1 minute to 7 days, at most 5, each once."""
    # Not code "invalid": a JSONField would replace the message with its own "Value must be valid JSON.".
    problems = reminder_offset_problems(value)
    if problems:
        raise ValidationError([ValidationError(p, code="bad_reminder_offset") for p in problems])


def validate_weekdays(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and 0 <= v <= 6 for v in value):
        raise ValidationError(
            "Weekdays must be a list of numbers 0 (Monday) to 6 (Sunday).", code="not_weekdays"
        )
    if len(set(value)) != len(value):
        raise ValidationError("Weekdays must not repeat.", code="duplicate")


def validate_whole_minute(value: dt.time) -> None:
    """A clock time of day the planner can keep: it counts in whole minutes, so seconds would be cut off there and
    kept elsewhere."""
    if value.second or value.microsecond:
        raise ValidationError(
            f"Give a time in whole minutes (like {value:%H:%M}), without seconds.", code="seconds"
        )


def validate_meeting_place(value: str) -> None:
    """Where people meet: a room as words, or a video link, which must be https (calendars and mail clients make it
    a button; an http one would send people's join links in the clear)."""
    if "://" in value and not value.startswith("https://"):
        raise ValidationError(
            "A video link must start with https://; a room is written as words.", code="place"
        )

"""Validators shared by every app's models."""

from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_iana_time_zone(name: str) -> bool:
    return name in _iana_zones()


def validate_time_zone(value: str) -> None:
    """Accept IANA names only: abbreviations like "GMT" or "PST" make calendar clients show wrong times."""
    if not is_iana_time_zone(value):
        raise ValidationError(
            "%(value)s is not an IANA time zone; use a name like Europe/London or America/Los_Angeles.",
            params={"value": value},
            code="invalid_time_zone",
        )


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

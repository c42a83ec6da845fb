"""Validators shared by every app's models."""

from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept IANA names only: abbreviations like "GMT" or "PST" make calendar clients show wrong times."""
    if value not in _iana_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone; use a name like Europe/London or America/Los_Angeles.",
            params={"value": value},
            code="invalid_time_zone",
        )


# Codes avoid "invalid": a JSONField would replace that message with its own "Value must be valid JSON.".
def validate_reminder_offsets(value: object) -> None:
    """Minutes before a meeting at which a person wants a reminder: 0 to 7 days, at most 5 of them."""
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationError("Reminder offsets must be a list of whole minutes.", code="not_minutes")
    if len(value) > 5:
        raise ValidationError("At most 5 reminders per meeting.", code="too_many")
    if any(not 0 < v <= 7 * 24 * 60 for v in value):
        raise ValidationError(
            "Each reminder must be between 1 minute and 7 days before.", code="out_of_range"
        )


def validate_weekdays(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and 0 <= v <= 6 for v in value):
        raise ValidationError(
            "Weekdays must be a list of numbers 0 (Monday) to 6 (Sunday).", code="not_weekdays"
        )
    if len(set(value)) != len(value):
        raise ValidationError("Weekdays must not repeat.", code="duplicate")

"""Calendar vocabulary shared by every app: the Monday a week starts on, the weekdays' names, a span in words.

Pure (no Django): the planner, recurrence and the services all count weeks from Monday, as ISO 8601 does.
"""

from __future__ import annotations

import datetime as dt

# Indexed by ``date.weekday()``: 0 is Monday.
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_FULL_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


# The units a span is said in, largest first, with their length in minutes.
DURATION_UNITS = (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60), ("minute", 1))


def format_duration(minutes: int) -> str:
    """'1 day', '3 hours 10 minutes', '2 days 5 hours': the largest unit that fits and the next one, rounded to
    the nearest of the next. One wording for a reminder offset (a setting) and for the time left to a meeting."""
    last = len(DURATION_UNITS) - 1
    largest = next((i for i, (_, size) in enumerate(DURATION_UNITS) if minutes >= size), last)
    (unit, size), (next_unit, step) = DURATION_UNITS[largest], DURATION_UNITS[min(largest + 1, last)]
    rounded = (minutes + step // 2) // step * step
    if rounded != minutes:
        # Rounding may carry into a larger unit: 6 days 23 hours 40 minutes is 1 week.
        return format_duration(rounded)
    count, rest = divmod(minutes, size)
    return " ".join([_amount(count, unit)] + ([_amount(rest // step, next_unit)] if rest else []))


def _amount(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"

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


def format_duration(minutes: int, *, exact: bool = False) -> str:
    """A span in words, one wording for a reminder setting and for the time left to a meeting.

    Exact names every unit (a setting: 1,441 minutes is "1 day 1 minute", never mistaken for "1 day"). Otherwise
    the largest unit that fits and the next, rounded to the nearest of the next ("2 days 3 hours"); rounding may
    carry into a larger unit (6 days 23 hours 40 minutes is "1 week").
    """
    minutes = max(minutes, 0)
    if not exact:
        largest = next(
            index for index, (_, size) in enumerate(DURATION_UNITS) if minutes >= size or size == 1
        )
        step = DURATION_UNITS[min(largest + 1, len(DURATION_UNITS) - 1)][1]
        minutes = (minutes + step // 2) // step * step
    words = []
    for unit, size in DURATION_UNITS:
        count, minutes = divmod(minutes, size)
        if count:
            words.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(words) or "0 minutes"

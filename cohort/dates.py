"""Calendar-week vocabulary shared by every app: the Monday a week starts on and the weekdays' names.

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

"""Cadence compliance: meetings held so far against what each mentorship's cadence asks for.

The arithmetic is a pure function over plain numbers; ``mentorship_compliance`` fetches what it needs in a fixed
number of queries whatever the cohort's size.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cohort.models import Cohort
from mentors.cadence import Cadence, MeetingKind
from scheduling.models import Meeting
from scholars.models import Mentorship, Scholar


@dataclass(frozen=True)
class Compliance:
    mentorship_id: int
    mentor: str
    scholar: str
    held: int
    expected: int
    weeks_elapsed: float

    @property
    def behind(self) -> bool:
        return self.held < self.expected

    def __str__(self) -> str:
        return (
            f"{self.mentor} ↔ {self.scholar}: {self.held} of {self.expected} expected meetings held "
            f"after {self.weeks_elapsed:g} weeks"
        )


def meeting_weeks_elapsed(
    *, start: dt.date, today: dt.date, end: dt.date, break_days: set[dt.date], workdays_only: bool = True
) -> float:
    """Weeks of the cohort that have passed, counting only workdays outside breaks (5 such days = 1 week)."""
    last = min(today, end)
    days = 0
    day = start
    while day <= last:
        if day not in break_days and (not workdays_only or day.weekday() < 5):
            days += 1
        day += dt.timedelta(days=1)
    return days / 5


def expected_meetings(*, cadence: Cadence, weeks_elapsed: float) -> int:
    """The 1-on-1 meetings a mentorship should have held by now: the cadence's minimum, whole weeks only."""
    per_week = sum(d.per_week_min for d in cadence.demands if d.kind == MeetingKind.ONE_ON_ONE)
    return math.floor(per_week * math.floor(weeks_elapsed) + 1e-9)


def mentorship_compliance(*, cohort: Cohort, as_of: dt.datetime) -> list[Compliance]:
    """Every active mentorship of the cohort with its held and expected 1-on-1 meetings (3 queries)."""
    today = as_of.astimezone(ZoneInfo(cohort.time_zone)).date()
    if today < cohort.start_date:
        return []
    break_days = {
        b.start_date + dt.timedelta(days=i)
        for b in cohort.breaks.all()
        for i in range((b.end_date - b.start_date).days + 1)
    }
    weeks = meeting_weeks_elapsed(
        start=cohort.start_date, today=today, end=cohort.end_date, break_days=break_days
    )
    mentorships = list(
        Mentorship.objects.filter(scholar__cohort=cohort)
        .exclude(scholar__status__in=Scholar.INACTIVE_STATUSES)
        .select_related("mentor", "scholar")
        .order_by("mentor__name", "scholar__name")
    )
    held = Counter(
        Meeting.objects.filter(
            series__cohort=cohort,
            series__kind=MeetingKind.ONE_ON_ONE,
            status=Meeting.Status.HELD,
            starts_at__lte=as_of,
        ).values_list("series__mentor_id", "series__scholars")
    )
    default = cohort.cadence_default
    result = []
    for mentorship in mentorships:
        cadence = mentorship.mentor.cadence_value
        cadence = cadence if cadence.is_specified else default
        result.append(
            Compliance(
                mentorship_id=mentorship.pk,
                mentor=mentorship.mentor.name,
                scholar=mentorship.scholar.name,
                held=held[(mentorship.mentor_id, mentorship.scholar_id)],
                expected=expected_meetings(cadence=cadence, weeks_elapsed=weeks),
                weeks_elapsed=weeks,
            )
        )
    return result


def mentorships_behind_cadence(*, cohort: Cohort, as_of: dt.datetime) -> list[Compliance]:
    return [c for c in mentorship_compliance(cohort=cohort, as_of=as_of) if c.behind]

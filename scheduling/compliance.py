"""Cadence compliance: meetings held so far against what each mentorship's cadence asks for.

The arithmetic is a pure function over plain numbers; ``mentorship_compliance`` fetches what it needs in a fixed
number of queries whatever the cohort's size.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from cohort.cadence import Cadence, MeetingKind
from cohort.models import Cohort, Phase
from scheduling.models import Meeting
from scheduling.recurrence import DateRange, DateRanges, dates_in
from scholars.models import Mentorship, Scholar, Team


@dataclass(frozen=True)
class Compliance:
    mentorship_id: int
    mentor: str
    scholar: str
    held: int
    expected: int
    weeks_elapsed: float
    # Past meetings nobody marked held or missed. Busy mentors rarely mark every meeting, so these count as
    # taking place: what makes a mentorship fall behind is meetings missed, cancelled or never planned.
    unmarked: int = 0

    @property
    def behind(self) -> bool:
        return self.held + self.unmarked < self.expected

    def __str__(self) -> str:
        unmarked = f" (and {self.unmarked} not marked)" if self.unmarked else ""
        return (
            f"{self.mentor} ↔ {self.scholar}: {self.held}{unmarked} of {self.expected} expected meetings held "
            f"after {self.weeks_elapsed:g} weeks"
        )


def meeting_weeks_elapsed(
    *, start: dt.date, today: dt.date, end: dt.date, counts: Callable[[dt.date], bool] = lambda day: True
) -> float:
    """Weeks that have passed of a span, counting only the workdays ``counts`` accepts (5 such days = 1 week)."""
    last = min(today, end)
    days = 0
    day = start
    while day <= last:
        if day.weekday() < 5 and counts(day):
            days += 1
        day += dt.timedelta(days=1)
    return days / 5


def _counted_day(
    day: dt.date,
    *,
    break_days: DateRanges,
    phases: list[Phase],
    scholar_phases: frozenset[str],
    kind: MeetingKind | None = None,
) -> bool:
    """Whether a day counts towards a cadence: what materialising skips is not asked for either (breaks,
    phases the scholar is not in, phases that hold no meeting of the kind)."""
    if day in break_days:
        return False
    phase = next((p for p in phases if p.contains(day)), None)
    return phase is None or (phase.kind in scholar_phases and (kind is None or phase.holds(kind)))


def expected_meetings(*, cadence: Cadence, weeks_by_kind: dict[MeetingKind, float]) -> int:
    """The meetings a mentorship should have held by now: per kind the scholar attends, the cadence's minimum
    a week times the whole weeks that kind could meet."""
    return sum(
        math.floor(demand.per_week_min * math.floor(weeks_by_kind[demand.kind]) + 1e-9)
        for demand in cadence.demands
        if demand.kind in weeks_by_kind
    )


def mentorship_compliance(*, cohort: Cohort, as_of: dt.datetime) -> list[Compliance]:
    """Every active mentorship of the cohort with its held and expected meetings (5 queries).

    Every kind the scholar attends counts (1-on-1s, their team's meetings, the mentor's group and stand-ups),
    over the part of the cohort the mentorship covers: from the later of the cohort's and the mentorship's
    start to the earliest of today, the mentorship's end and the scholar's leaving date.
    """
    zone = ZoneInfo(cohort.time_zone)
    today = as_of.astimezone(zone).date()
    if today < cohort.start_date:
        return []
    phases = list(cohort.phases.all())
    break_days = dates_in(DateRange(b.start_date, b.end_date) for b in cohort.breaks.all())
    mentorships = list(
        Mentorship.objects.filter(scholar__cohort=cohort)
        .exclude(scholar__status__in=Scholar.INACTIVE_STATUSES)
        .select_related("mentor", "scholar")
        .order_by("mentor__name", "scholar__name")
    )
    in_team = set(
        Team.members.through.objects.filter(team__cohort=cohort).values_list("team__mentor_id", "scholar_id")
    )
    held_on: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    unmarked_on: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    unmarked_statuses = {Meeting.Status.SCHEDULED, Meeting.Status.MOVED}
    for mentor_id, scholar_id, starts_at, status in Meeting.objects.filter(
        series__cohort=cohort,
        status__in=[Meeting.Status.HELD, *unmarked_statuses],
        ends_at__lte=as_of,
    ).values_list("series__mentor_id", "series__scholars", "starts_at", "status"):
        days = unmarked_on if status in unmarked_statuses else held_on
        days[(mentor_id, scholar_id)].append(starts_at.astimezone(zone).date())
    default = cohort.cadence_default
    result = []
    for mentorship in mentorships:
        cadence = mentorship.mentor.cadence_value
        cadence = cadence if cadence.is_specified else default
        pair = (mentorship.mentor_id, mentorship.scholar_id)
        first = max(cohort.start_date, mentorship.start_date or cohort.start_date)
        last = min(
            cohort.end_date,
            mentorship.end_date or cohort.end_date,
            mentorship.scholar.left_on or cohort.end_date,
        )
        counts = partial(
            _counted_day,
            break_days=break_days,
            phases=phases,
            scholar_phases=mentorship.scholar.phase_kinds(),
        )
        weeks = meeting_weeks_elapsed(start=first, today=today, end=last, counts=counts)
        kinds = set(MeetingKind) - ({MeetingKind.TEAM} if pair not in in_team else set())
        weeks_by_kind = {
            kind: meeting_weeks_elapsed(start=first, today=today, end=last, counts=partial(counts, kind=kind))
            for kind in kinds
        }
        result.append(
            Compliance(
                mentorship_id=mentorship.pk,
                mentor=mentorship.mentor.name,
                scholar=mentorship.scholar.name,
                held=sum(1 for day in held_on[pair] if first <= day <= last),
                unmarked=sum(1 for day in unmarked_on[pair] if first <= day <= last),
                expected=expected_meetings(cadence=cadence, weeks_by_kind=weeks_by_kind),
                weeks_elapsed=weeks,
            )
        )
    return result


def mentorships_behind_cadence(*, cohort: Cohort, as_of: dt.datetime) -> list[Compliance]:
    return [c for c in mentorship_compliance(cohort=cohort, as_of=as_of) if c.behind]

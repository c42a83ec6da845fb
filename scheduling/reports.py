"""Cohort reports: per week, the meetings the cadences demand against those planned, held, missed and cancelled,
and the ratings given, for the whole cohort, a stream, a mentor or a pair (a fixed number of queries whatever the
cohort's size). Read by the admin's report page and chart, its CSV, the API, and the week at a glance's chart.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from cohort.cadence import MeetingKind
from cohort.dates import monday_of
from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.models import Meeting, MeetingFeedback
from scheduling.planner import Demand
from scheduling.problem_builder import build_cohort_problem, mentor_key, scholar_key
from scheduling.week_plot import WeekCount
from scholars.models import Mentorship

ONE_WEEK = dt.timedelta(weeks=1)
NOT_YET_MARKED = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)
COUNTED = ("planned", "held", "not_marked", "missed", "cancelled")


class Scope(StrEnum):
    COHORT = "cohort"
    STREAM = "stream"
    MENTOR = "mentor"
    PAIR = "pair"


class UnknownScope(ValueError):
    """A report asked for with a scope, or an id within it, that the cohort does not have: says which, by field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReportWeek:
    week_start: dt.date  # its Monday, in the cohort's zone
    demanded: (
        float  # the cadences' minimum, scaled by the week's meeting days (breaks and phases ask nothing)
    )
    planned: int  # on the calendar and not cancelled: still to come, held, missed, or over and not marked
    held: int  # marked held
    not_marked: int  # over, and nobody marked them held or missed
    missed: int
    cancelled: int  # by a person (staff, the mentor); the cohort's calendar taking a date is not counted
    ratings: int
    average_rating: float | None  # 1 (not useful) to 4 (very useful)

    def as_plot(self) -> WeekCount:
        """The chart's bar: held, and above it what is neither held nor missed (to come, or not marked)."""
        return WeekCount(
            self.week_start,
            held=self.held,
            planned=self.planned - self.held - self.missed,
            demanded=self.demanded,
        )


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    scope: Scope
    key: int | None
    label: str  # "Demo cohort", "Stream: Interpretability", "Mentor: Ada", "Pair: Ada and Ben"
    weeks: tuple[ReportWeek, ...]

    totals: dict[str, float | int | None]  # the same columns over all weeks, from the unrounded figures

    def plot_weeks(self) -> tuple[WeekCount, ...]:
        return tuple(week.as_plot() for week in self.weeks)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        names = [f.name for f in fields(ReportWeek)]
        writer.writerow(names)
        for week in self.weeks:
            writer.writerow(["" if getattr(week, n) is None else getattr(week, n) for n in names])
        return out.getvalue()


@dataclass(frozen=True)
class _Selection:
    label: str
    demands: Callable[[Demand], bool]
    meetings: Q
    # Whose ratings of those meetings count: a pair's are the scholar's, and the mentor's of their 1-on-1s (as pair
    # health reads them), not other scholars' of a group meeting they shared.
    ratings: Q = field(default_factory=Q)


def _selection(cohort: Cohort, scope: Scope, key: int | None) -> _Selection:
    if scope == Scope.COHORT:
        return _Selection(cohort.name, lambda demand: True, Q())
    if key is None:
        raise UnknownScope("id", f"A {scope} report needs the {scope}'s id.")
    if scope == Scope.STREAM:
        stream = cohort.streams.filter(pk=key).first()
        if stream is None:
            raise UnknownScope("id", f"Stream {key} is not one of {cohort.name}'s streams.")
        organisers = {mentor_key(m) for m in Mentor.objects.filter(streams=stream)}
        return _Selection(
            f"Stream: {stream.title}",
            lambda demand: demand.organiser in organisers,
            Q(series__mentor__streams=stream),
        )
    if scope == Scope.MENTOR:
        mentor = (
            Mentor.objects.filter(Q(mentorships__scholar__cohort=cohort) | Q(meeting_series__cohort=cohort))
            .filter(pk=key)
            .first()
        )
        if mentor is None:
            raise UnknownScope("id", f"Mentor {key} has no scholars or meetings in {cohort.name}.")
        return _Selection(
            f"Mentor: {mentor.name}",
            lambda demand: demand.organiser == mentor_key(mentor),
            Q(series__mentor=mentor),
        )
    mentorship = (
        Mentorship.objects.filter(scholar__cohort=cohort, pk=key).select_related("mentor", "scholar").first()
    )
    if mentorship is None:
        raise UnknownScope("id", f"Mentorship {key} is not one of {cohort.name}'s.")
    mentor, scholar = mentorship.mentor, mentorship.scholar
    return _Selection(
        f"Pair: {mentor.name} and {scholar.name}",
        lambda demand: demand.organiser == mentor_key(mentor) and scholar_key(scholar) in demand.attendees,
        Q(series__mentor=mentor, series__scholars=scholar),
        Q(scholar=scholar) | Q(mentor=mentor, meeting__series__kind=MeetingKind.ONE_ON_ONE),
    )


def cohort_report(
    *, cohort: Cohort, as_of: dt.datetime, scope: Scope = Scope.COHORT, key: int | None = None
) -> CohortReport:
    """The report of the cohort, one of its streams (``key`` its id), mentors (their id) or pairs (the
    mentorship's id), week by week from the cohort's first week to its last. Raises UnknownScope."""
    selection = _selection(cohort, scope, key)
    zone = ZoneInfo(cohort.time_zone)
    problem = build_cohort_problem(
        cohort=cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS
    ).problem
    per_full_week = sum(demand.per_week_min for demand in problem.demands if selection.demands(demand))

    counts: dict[tuple[dt.date, str], int] = defaultdict(int)
    meetings = (
        Meeting.objects.filter(selection.meetings, series__cohort=cohort)
        .values_list("pk", "starts_at", "ends_at", "status", "cancelled_by_calendar")
        .distinct()
    )
    for _, starts_at, ends_at, status, by_calendar in meetings:
        week = monday_of(starts_at.astimezone(zone).date())
        if status == Meeting.Status.CANCELLED:
            counts[week, "cancelled"] += 0 if by_calendar else 1
            continue
        counts[week, "planned"] += 1
        if status in NOT_YET_MARKED:
            counts[week, "not_marked" if ends_at <= as_of else "to_come"] += 1
        else:
            counts[week, status] += 1
    ratings: dict[dt.date, list[int]] = defaultdict(list)
    rated = MeetingFeedback.objects.filter(
        selection.ratings, meeting__in=Meeting.objects.filter(selection.meetings, series__cohort=cohort)
    ).values_list("meeting__starts_at", "rating")
    for starts_at, rating in rated:
        ratings[monday_of(starts_at.astimezone(zone).date())].append(rating)

    weeks = []
    demanded_in_all = 0.0
    week = monday_of(cohort.start_date)
    while week <= cohort.end_date:
        meeting_days = sum(
            1 for offset in range(5) if problem.calendar.is_meeting_day(week + dt.timedelta(days=offset))
        )
        given = ratings[week]
        demanded_in_all += per_full_week * meeting_days / 5
        weeks.append(
            ReportWeek(
                week_start=week,
                demanded=round(per_full_week * meeting_days / 5, 2),
                planned=counts[week, "planned"],
                held=counts[week, Meeting.Status.HELD],
                not_marked=counts[week, "not_marked"],
                missed=counts[week, Meeting.Status.MISSED],
                cancelled=counts[week, "cancelled"],
                ratings=len(given),
                average_rating=round(sum(given) / len(given), 2) if given else None,
            )
        )
        week += ONE_WEEK
    every_rating = [rating for given in ratings.values() for rating in given]
    totals = {
        "demanded": round(demanded_in_all, 2),
        **{name: sum(getattr(w, name) for w in weeks) for name in COUNTED},
        "ratings": len(every_rating),
        "average_rating": round(sum(every_rating) / len(every_rating), 2) if every_rating else None,
    }
    return CohortReport(cohort, scope, key, selection.label, tuple(weeks), totals)

"""A cohort's week at a glance, for staff: each mentor's meetings day by day in a chosen zone, the mentorships
behind their cadence, what the latest plan could not place and why, and meetings held against demanded per week.

``cohort_week`` reads everything in a fixed number of queries, whatever the cohort's size; ``week_plot`` turns
the weekly counts into SVG geometry, so the page draws its chart with no script.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date

from cohort.admin_access import render_in_time_zone, viewer_time_zone
from cohort.dates import monday_of
from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.compliance import Compliance, mentorships_behind_cadence
from scheduling.models import Meeting, PlanRun
from scheduling.problem_builder import build_cohort_problem
from scholars.models import Mentorship

ONE_WEEK = dt.timedelta(weeks=1)
PLANNED = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)


@dataclass(frozen=True)
class WeekMeeting:
    pk: int
    title: str
    status: str
    status_label: str
    starts: dt.datetime  # in the page's zone
    ends: dt.datetime
    scholars: tuple[str, ...]
    behind: bool  # a 1-on-1 of a mentorship behind its cadence

    @property
    def span(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"


@dataclass(frozen=True)
class MentorWeek:
    mentor_id: int
    name: str
    time_zone: str
    days: tuple[tuple[WeekMeeting, ...], ...]  # Monday to Sunday
    behind: tuple[Compliance, ...]


@dataclass(frozen=True)
class NotPlaced:
    label: str
    reason: str
    wanted: str  # "2–3 a week, 1 placed", or "" when the demand could not even be asked for


@dataclass(frozen=True)
class WeekCount:
    week_start: dt.date
    held: int
    planned: int  # scheduled or moved, not yet marked
    demanded: float  # the cadences' minimum, scaled by the workdays of the week outside breaks


@dataclass(frozen=True)
class CohortWeek:
    cohort: Cohort
    zone: str
    week_start: dt.date
    days: tuple[dt.date, ...]
    mentors: tuple[MentorWeek, ...]
    behind: tuple[Compliance, ...]
    plan_run: PlanRun | None
    not_placed: tuple[NotPlaced, ...]
    weeks: tuple[WeekCount, ...]


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def _not_placed(run: PlanRun | None) -> tuple[NotPlaced, ...]:
    """The unplaced demands of a run's result document, as ``scheduling.services`` stores them."""
    if run is None:
        return ()
    rows = [
        NotPlaced(
            label=item["label"],
            reason=item["reason"],
            wanted=f"{item['wanted_min']}–{item['wanted_max']} a week, {item['placed']} placed",
        )
        for item in run.result.get("unplaced", [])
    ]
    rows += [
        NotPlaced(label=item["name"], reason=item["reason"], wanted="")
        for item in run.result.get("unschedulable", [])
    ]
    return tuple(rows)


def _weekly_counts(cohort: Cohort, meetings: list[tuple[dt.datetime, str]]) -> tuple[WeekCount, ...]:
    """Held and planned meetings per cohort week (in the cohort's zone) against the cadences' demand."""
    zone = ZoneInfo(cohort.time_zone)
    problem = build_cohort_problem(
        cohort=cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS
    ).problem
    per_full_week = sum(demand.per_week_min for demand in problem.demands)
    held: dict[dt.date, int] = defaultdict(int)
    planned: dict[dt.date, int] = defaultdict(int)
    for starts_at, status in meetings:
        week = monday_of(starts_at.astimezone(zone).date())
        if status == Meeting.Status.HELD:
            held[week] += 1
        elif status in PLANNED:
            planned[week] += 1
    counts = []
    week = monday_of(cohort.start_date)
    while week <= cohort.end_date:
        workdays = sum(
            1 for offset in range(5) if problem.calendar.is_meeting_day(week + dt.timedelta(days=offset))
        )
        counts.append(
            WeekCount(
                week_start=week,
                held=held[week],
                planned=planned[week],
                demanded=round(per_full_week * workdays / 5, 2),
            )
        )
        week += ONE_WEEK
    return tuple(counts)


def cohort_week(*, cohort: Cohort, week_start: dt.date, zone: str, as_of: dt.datetime) -> CohortWeek:
    """One week (Monday ``week_start`` in ``zone``) of the cohort, read in a fixed number of queries."""
    tz = ZoneInfo(zone)
    week_start = monday_of(week_start)
    starts, ends = _local_midnight(week_start, tz), _local_midnight(week_start + ONE_WEEK, tz)

    behind = tuple(mentorships_behind_cadence(cohort=cohort, as_of=as_of))
    # Compliance names people; meetings are matched to it by (mentor, scholar) ids.
    pairs = {
        pk: (mentor_id, scholar_id)
        for pk, mentor_id, scholar_id in Mentorship.objects.filter(scholar__cohort=cohort).values_list(
            "pk", "mentor_id", "scholar_id"
        )
    }
    behind_pairs = {pairs[compliance.mentorship_id] for compliance in behind}
    behind_by_mentor: dict[int, list[Compliance]] = defaultdict(list)
    for compliance in behind:
        behind_by_mentor[pairs[compliance.mentorship_id][0]].append(compliance)

    mentors = list(
        Mentor.objects.filter(Q(mentorships__scholar__cohort=cohort) | Q(meeting_series__cohort=cohort))
        .distinct()
        .order_by("name", "pk")
    )
    meetings = (
        Meeting.objects.filter(series__cohort=cohort, starts_at__gte=starts, starts_at__lt=ends)
        .select_related("series")
        .prefetch_related("series__scholars")
        .order_by("starts_at", "pk")
    )
    days: dict[int, list[list[WeekMeeting]]] = {mentor.pk: [[] for _ in range(7)] for mentor in mentors}
    for meeting in meetings:
        series = meeting.series
        scholars = list(series.scholars.all())
        local_start = meeting.starts_at.astimezone(tz)
        days[series.mentor_id][(local_start.date() - week_start).days].append(
            WeekMeeting(
                pk=meeting.pk,
                title=series.title,
                status=meeting.status,
                status_label=meeting.get_status_display(),
                starts=local_start,
                ends=meeting.ends_at.astimezone(tz),
                scholars=tuple(scholar.name for scholar in scholars),
                behind=series.kind == "one_on_one"
                and any((series.mentor_id, scholar.pk) in behind_pairs for scholar in scholars),
            )
        )

    run = (
        PlanRun.objects.filter(cohort=cohort, status__in=(PlanRun.Status.APPLIED, PlanRun.Status.SOLVED))
        .order_by("-created_at", "-pk")
        .first()
    )
    all_meetings = list(Meeting.objects.filter(series__cohort=cohort).values_list("starts_at", "status"))
    return CohortWeek(
        cohort=cohort,
        zone=zone,
        week_start=week_start,
        days=tuple(week_start + dt.timedelta(days=offset) for offset in range(7)),
        mentors=tuple(
            MentorWeek(
                mentor_id=mentor.pk,
                name=mentor.name,
                time_zone=mentor.time_zone,
                days=tuple(tuple(day) for day in days[mentor.pk]),
                behind=tuple(behind_by_mentor[mentor.pk]),
            )
            for mentor in mentors
        ),
        behind=behind,
        plan_run=run,
        not_placed=_not_placed(run),
        weeks=_weekly_counts(cohort, all_meetings),
    )


# --- The chart ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    held_y: float
    held_height: float
    planned_y: float
    planned_height: float
    label: str  # the week's Monday, "04 Jan"
    title: str  # the tooltip
    current: bool  # the week the page shows


@dataclass(frozen=True)
class WeekPlot:
    width: int
    height: int
    left: float
    right: float
    baseline: float
    tick_label_x: float
    week_label_y: float
    bars: tuple[Bar, ...]
    demanded_points: str  # an SVG polyline's points
    ticks: tuple[tuple[float, str], ...]  # (y, label) for the value axis


def _chart_ceiling(value: float) -> float:
    """The top of the chart's scale: 1 for a tiny cohort, else the next even count, so that the half-way tick
    is a whole number of meetings."""
    if value <= 1:
        return 1.0
    return float(math.ceil(value / 2) * 2)


def week_plot(weeks: tuple[WeekCount, ...], *, current: dt.date | None = None) -> WeekPlot:
    """Bars of meetings held (and, stacked above, still planned) per week; a line for the cadences' demand."""
    width, height, left, right, top, bottom = 720, 220, 40.0, 710.0, 10.0, 190.0
    highest = max([1.0] + [max(w.held + w.planned, w.demanded) for w in weeks])
    top_value = _chart_ceiling(highest)

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * value / top_value, 1)

    slot = (right - left) / max(1, len(weeks))
    bars, points = [], []
    for index, week in enumerate(weeks):
        centre = left + slot * (index + 0.5)
        held_y = y(week.held)
        planned_y = y(week.held + week.planned)
        bars.append(
            Bar(
                x=round(centre - slot * 0.3, 1),
                width=round(slot * 0.6, 1),
                held_y=held_y,
                held_height=round(bottom - held_y, 1),
                planned_y=planned_y,
                planned_height=round(held_y - planned_y, 1),
                label=f"{week.week_start:%d %b}",
                title=f"Week of {week.week_start:%d %b %Y}: {week.held} held, {week.planned} still planned, "
                f"{week.demanded:g} demanded",
                current=week.week_start == current,
            )
        )
        points.append(f"{round(centre, 1)},{y(week.demanded)}")
    ticks = tuple((y(top_value * share), f"{top_value * share:g}") for share in (0, 0.5, 1))
    return WeekPlot(
        width=width,
        height=height,
        left=left,
        right=right,
        baseline=bottom,
        tick_label_x=left - 6,
        week_label_y=bottom + 14,
        bars=tuple(bars),
        demanded_points=" ".join(points),
        ticks=ticks,
    )


# --- The page -------------------------------------------------------------------------------------------------


def _chosen_zone(request: HttpRequest, default: str) -> str:
    wanted = request.GET.get("tz") or default
    try:
        ZoneInfo(wanted)
    except (ZoneInfoNotFoundError, ValueError):
        messages.warning(
            request, f"“{wanted}” is not a time zone name such as Europe/London; showing {default}."
        )
        return default
    return wanted


def _chosen_week(request: HttpRequest, cohort: Cohort, zone: str) -> dt.date:
    """The asked-for week; else this week, held inside the cohort's dates."""
    asked = request.GET.get("week")
    if asked:
        try:
            day = parse_date(asked)
        except ValueError:
            day = None
        if day is not None:
            return monday_of(day)
        messages.warning(request, f"“{asked}” is not a date like 2027-01-04; showing this week.")
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    return monday_of(min(max(today, cohort.start_date), cohort.end_date))


def cohort_week_view(request: HttpRequest, *, model_admin: admin.ModelAdmin, object_id: str) -> HttpResponse:
    """``/admin/cohort/cohort/<id>/week/?week=YYYY-MM-DD&tz=Zone``, a page of the cohort admin."""
    cohort = model_admin.get_object(request, object_id)
    if cohort is None:
        raise Http404("No such cohort.")
    if not model_admin.has_view_permission(request, cohort):
        raise PermissionDenied
    zone = _chosen_zone(request, cohort.time_zone)
    glance = cohort_week(
        cohort=cohort, week_start=_chosen_week(request, cohort, zone), zone=zone, as_of=timezone.now()
    )
    zones = sorted(
        {cohort.time_zone, zone, "UTC", viewer_time_zone(request.user)}
        | {m.time_zone for m in glance.mentors}
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": cohort,
        "title": f"{cohort}: week of {glance.week_start:%d %b %Y}",
        "glance": glance,
        "plot": week_plot(glance.weeks, current=glance.week_start),
        "zones": zones,
        "previous_week": glance.week_start - ONE_WEEK,
        "next_week": glance.week_start + ONE_WEEK,
    }
    # Rendered in the chosen zone, so the page's own clock ("times in …") names it too.
    return render_in_time_zone(
        zone, lambda request: TemplateResponse(request, "admin/cohort/cohort/week.html", context), request
    )

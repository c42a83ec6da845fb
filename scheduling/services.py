"""Writes of the scheduling app: plan a cohort, apply a plan, materialise series, edit single meetings.

Every function that changes meetings calls ``sync_meeting_notifications`` inside the same transaction, so
reminders never disagree with the meetings they are about.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cohort.models import Cohort
from mentors.cadence import MeetingKind, rrule_for
from mentors.models import Blackout
from scheduling.models import Meeting, MeetingSeries, PlanRun
from scheduling.notifications import sync_meeting_notifications
from scheduling.planner import Placement, PlanResult, Unplaced, WeeklySlot, plan, validate_plan
from scheduling.problem_builder import CohortProblem, build_cohort_problem
from scheduling.recurrence import expand
from scholars.models import Scholar, Team

logger = logging.getLogger(__name__)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Meetings in these states are history: a re-plan never touches them.
SETTLED = (Meeting.Status.HELD, Meeting.Status.MISSED)


class PlanNotApplicable(Exception):
    """A plan run that cannot be applied (not solved, stale, or failing validation); the message says why."""


@dataclass(frozen=True)
class SlotKey:
    demand_key: str
    weekday: int
    start: str  # HH:MM in the series' zone
    week_parity: int | None

    def describe(self) -> str:
        parity = "" if self.week_parity is None else " (every other week)"
        return f"{DAYS[self.weekday]} {self.start}{parity}"


@dataclass
class PlanDiff:
    added: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "moved": self.moved,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }


# --- Planning ---------------------------------------------------------------------------------------------------


def plan_cohort(*, cohort: Cohort, requested_by=None) -> PlanRun:
    """Solve the cohort's plan now and store it as a preview (a PlanRun in state solved or failed)."""
    run = PlanRun.objects.create(cohort=cohort, requested_by=requested_by, status=PlanRun.Status.RUNNING)
    return plan_run_execute(plan_run_id=run.pk)


def plan_run_execute(*, plan_run_id: int) -> PlanRun:
    """Solve a pending plan run (the Celery task's body). Solver errors are recorded on the run, not raised."""
    run = PlanRun.objects.select_related("cohort").get(pk=plan_run_id)
    if run.status not in (PlanRun.Status.PENDING, PlanRun.Status.RUNNING):
        return run
    PlanRun.objects.filter(pk=run.pk).update(status=PlanRun.Status.RUNNING)
    try:
        built = build_cohort_problem(
            cohort=run.cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS
        )
        result = plan(built.problem)
    except Exception as error:
        logger.exception("planning cohort %s (plan run %s) failed", run.cohort.slug, run.pk)
        run.status, run.error, run.finished_at = (
            PlanRun.Status.FAILED,
            f"{type(error).__name__}: {error}",
            timezone.now(),
        )
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
        return run
    run.result = _result_document(built, result)
    run.diff = plan_diff(cohort=run.cohort, result=result).to_dict()
    run.status, run.finished_at = PlanRun.Status.SOLVED, timezone.now()
    run.save(update_fields=["result", "diff", "status", "finished_at", "updated_at"])
    return run


def _result_document(built: CohortProblem, result: PlanResult) -> dict:
    document = result.to_dict()
    labels = {d.key: d.label for d in built.problem.demands}
    for item in document["placements"]:
        item["label"] = labels[item["demand_key"]]
    for item in document["unplaced"]:
        item["label"] = labels[item["demand_key"]]
    document["unschedulable"] = [u.__dict__ for u in built.unschedulable]
    document["cadence_used"] = built.cadence_used
    document["demanded"] = sum(d.meetings_max for d in built.problem.demands)
    document["placed"] = result.meetings_placed
    return document


def _slot_keys(result: PlanResult) -> set[SlotKey]:
    return {
        SlotKey(p.demand_key, slot.weekday, slot.start.strftime("%H:%M"), slot.week_parity)
        for p in result.placements
        for slot in p.meetings
    }


def _published(cohort: Cohort) -> dict[SlotKey, MeetingSeries]:
    return {
        SlotKey(s.demand_key, s.weekday, s.start_time.strftime("%H:%M"), s.week_parity): s
        for s in MeetingSeries.objects.filter(cohort=cohort, status=MeetingSeries.Status.ACTIVE)
    }


def plan_diff(*, cohort: Cohort, result: PlanResult) -> PlanDiff:
    """What applying the result would change, per demand: series added, moved, removed and unchanged."""
    wanted = _slot_keys(result)
    published = set(_published(cohort))
    diff = PlanDiff()
    by_demand_new: dict[str, list[SlotKey]] = defaultdict(list)
    by_demand_old: dict[str, list[SlotKey]] = defaultdict(list)
    for key in wanted - published:
        by_demand_new[key.demand_key].append(key)
    for key in published - wanted:
        by_demand_old[key.demand_key].append(key)
    diff.unchanged = sorted(f"{k.demand_key}: {k.describe()}" for k in wanted & published)
    for demand_key in sorted(set(by_demand_new) | set(by_demand_old)):
        new = sorted(by_demand_new[demand_key], key=lambda k: (k.weekday, k.start))
        old = sorted(by_demand_old[demand_key], key=lambda k: (k.weekday, k.start))
        for before, after in zip(old, new, strict=False):
            diff.moved.append(f"{demand_key}: {before.describe()} → {after.describe()}")
        diff.added += [f"{demand_key}: {k.describe()}" for k in new[len(old) :]]
        diff.removed += [f"{demand_key}: {k.describe()}" for k in old[len(new) :]]
    return diff


@transaction.atomic
def plan_apply(*, plan_run: PlanRun, applied_by=None, today: dt.date | None = None) -> PlanDiff:
    """Publish a solved plan: unchanged series stay as they are; others end and new ones are materialised.

    Refuses a run that is not solved, one older than a plan applied since, and one whose placements break a hard
    constraint (checked again independently of the solver).
    """
    run = PlanRun.objects.select_for_update().select_related("cohort").get(pk=plan_run.pk)
    cohort = run.cohort
    if run.status != PlanRun.Status.SOLVED:
        raise PlanNotApplicable(
            f"Plan #{run.pk} is {run.get_status_display().lower()}, not a solved preview."
        )
    newer = PlanRun.objects.filter(
        cohort=cohort, status=PlanRun.Status.APPLIED, applied_at__gt=run.created_at
    )
    if newer.exists():
        raise PlanNotApplicable(f"Plan #{run.pk} is stale: a plan was applied after it was made. Plan again.")
    built = build_cohort_problem(cohort=cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS)
    result = _result_from_document(run.result)
    violations = validate_plan(built.problem, result)
    if violations:
        raise PlanNotApplicable(f"Plan #{run.pk} no longer fits the cohort: {violations[0]}")

    today = today or timezone.localdate()
    wanted = _slot_keys(result)
    published = _published(cohort)
    diff = plan_diff(cohort=cohort, result=result)
    changed: list[Meeting] = []
    for key, series in published.items():
        if key not in wanted:
            _end_series(series, today=today)
    demands = {d.key: d for d in built.problem.demands}
    created = []
    for key in sorted(wanted - set(published), key=lambda k: (k.demand_key, k.weekday, k.start)):
        created.append(_create_series(cohort, demands[key.demand_key], key, run, today=today))
    for series in created:
        changed += materialise_series(series, today=today)
    if changed:
        sync_meeting_notifications(meetings=changed)
    run.status, run.applied_at = PlanRun.Status.APPLIED, timezone.now()
    run.save(update_fields=["status", "applied_at", "updated_at"])
    PlanRun.objects.filter(cohort=cohort, status=PlanRun.Status.SOLVED).exclude(pk=run.pk).update(
        status=PlanRun.Status.DISCARDED
    )
    return diff


def _result_from_document(document: dict) -> PlanResult:
    placements = tuple(
        Placement(
            demand_key=item["demand_key"],
            meetings=tuple(
                WeeklySlot(
                    weekday=m["weekday"],
                    start=dt.time.fromisoformat(m["start"]),
                    duration_minutes=m["duration_minutes"],
                    week_parity=m["week_parity"],
                )
                for m in item["meetings"]
            ),
        )
        for item in document.get("placements", [])
    )
    return PlanResult(
        placements=placements,
        unplaced=tuple(
            Unplaced(**{k: item[k] for k in ("demand_key", "placed", "wanted_min", "wanted_max", "reason")})
            for item in document.get("unplaced", [])
        ),
        summary=(),
        solver_status=document.get("solver_status", ""),
        objective=document.get("objective", 0),
        wall_seconds=document.get("wall_seconds", 0.0),
    )


def _end_series(series: MeetingSeries, *, today: dt.date) -> None:
    """Drop the series' meetings from today on (history stays) and end it; with no history left, delete it."""
    start_of_today = dt.datetime.combine(today, dt.time(0), tzinfo=ZoneInfo(series.time_zone))
    series.meetings.filter(starts_at__gte=start_of_today).exclude(status__in=SETTLED).delete()
    last = series.meetings.order_by("-starts_at").first()
    if last is None:
        series.delete()
        return
    series.status = MeetingSeries.Status.ENDED
    series.ends_on = max(series.starts_on, last.starts_at.astimezone(ZoneInfo(series.time_zone)).date())
    series.version += 1
    series.save(update_fields=["status", "ends_on", "version", "updated_at"])


def _create_series(cohort: Cohort, demand, key: SlotKey, run: PlanRun, *, today: dt.date) -> MeetingSeries:
    from mentors.models import Mentor

    mentor = Mentor.objects.get(slug=demand.organiser.removeprefix("mentor:"))
    scholar_slugs = [a.removeprefix("scholar:") for a in demand.attendees if a.startswith("scholar:")]
    team = Team.objects.get(pk=int(demand.key.split(":")[1])) if demand.kind == MeetingKind.TEAM else None
    interval = demand.interval_weeks
    if interval > 1:
        # The planner counts parity from the cohort's first Monday; the rule counts weeks from starts_on.
        first_monday = cohort.start_date - dt.timedelta(days=cohort.start_date.weekday())
        starts_on = first_monday + dt.timedelta(weeks=key.week_parity or 0)
    else:
        starts_on = max(today, cohort.start_date)
    series = MeetingSeries.objects.create(
        cohort=cohort,
        mentor=mentor,
        team=team,
        kind=demand.kind.value,
        demand_key=demand.key,
        title=demand.label,
        uid=f"{cohort.slug}.{demand.key}.{DAYS[key.weekday].lower()}{key.start.replace(':', '')}.{run.pk}@cohortops",
        weekday=key.weekday,
        start_time=dt.time.fromisoformat(key.start),
        duration_minutes=demand.duration_minutes,
        time_zone=demand.time_zone,
        interval_weeks=interval,
        week_parity=key.week_parity,
        rrule=rrule_for([key.weekday], interval_weeks=interval),
        starts_on=starts_on,
        ends_on=cohort.end_date,
        plan_run=run,
    )
    series.scholars.set(Scholar.objects.filter(cohort=cohort, slug__in=scholar_slugs))
    return series


def _skipped_dates(series: MeetingSeries) -> set[dt.date]:
    """Breaks, and blackout days of anyone attending (taken as dates in the series' zone)."""
    cohort = series.cohort
    ranges = [(b.start_date, b.end_date) for b in cohort.breaks.all()]
    scholar_ids = list(series.scholars.values_list("pk", flat=True))
    ranges += Blackout.objects.filter(Q(mentor=series.mentor_id) | Q(scholar__in=scholar_ids)).values_list(
        "start_date", "end_date"
    )
    days = set()
    for start, end in ranges:
        days.update(start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return days


def materialise_series(series: MeetingSeries, *, today: dt.date) -> list[Meeting]:
    """Create the series' meetings from today (or its start) to its end, skipping breaks and blackouts.

    Scholars who leave stop getting meetings: a 1-on-1 ends on its scholar's leaving date.
    """
    last_day = series.ends_on
    leaving = [s.left_on for s in series.scholars.all() if s.left_on]
    if series.kind == MeetingKind.ONE_ON_ONE and leaving:
        last_day = min(last_day, min(leaving))
    first_day = max(today, series.starts_on, series.cohort.start_date)
    occurrences = expand(
        series.weekly_rule(), first_day=first_day, last_day=last_day, skip=_skipped_dates(series)
    )
    existing = set(series.meetings.values_list("original_start", flat=True))
    return Meeting.objects.bulk_create(
        Meeting(
            series=series, original_start=o.starts_at_utc, starts_at=o.starts_at_utc, ends_at=o.ends_at_utc
        )
        for o in occurrences
        if o.starts_at_utc not in existing
    )


# --- Single meetings --------------------------------------------------------------------------------------------


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("series").get(pk=meeting.pk)


def _bump(meeting: Meeting, fields: list[str]) -> None:
    meeting.version += 1
    meeting.save(update_fields=[*fields, "version", "updated_at"])
    MeetingSeries.objects.filter(pk=meeting.series_id).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    sync_meeting_notifications(meetings=[meeting])


def _attendee_conflict(meeting: Meeting, starts_at: dt.datetime, ends_at: dt.datetime) -> Meeting | None:
    series = meeting.series
    scholar_ids = list(series.scholars.values_list("pk", flat=True))
    return (
        Meeting.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(pk=meeting.pk)
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(Q(series__mentor=series.mentor_id) | Q(series__scholars__in=scholar_ids))
        .select_related("series")
        .first()
    )


@transaction.atomic
def meeting_move(
    *, meeting: Meeting, starts_at: dt.datetime, ends_at: dt.datetime | None = None, by=None
) -> Meeting:
    """Move one occurrence; refuses the past and any double-booking of an attendee."""
    meeting = _locked(meeting)
    ends_at = ends_at or starts_at + (meeting.ends_at - meeting.starts_at)
    now = timezone.now()
    if meeting.status in (*SETTLED, Meeting.Status.CANCELLED):
        raise ValidationError(
            {"status": f"A {meeting.get_status_display().lower()} meeting cannot be moved."}
        )
    if starts_at <= now:
        raise ValidationError({"starts_at": "A meeting can only be moved to a time in the future."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The meeting must end after it starts."})
    clash = _attendee_conflict(meeting, starts_at, ends_at)
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": f"That time overlaps “{clash.series.title}” at {clash.starts_at:%Y-%m-%d %H:%M} UTC."
            }
        )
    meeting.starts_at, meeting.ends_at, meeting.status = starts_at, ends_at, Meeting.Status.MOVED
    _bump(meeting, ["starts_at", "ends_at", "status"])
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by=None) -> Meeting:
    meeting = _locked(meeting)
    if meeting.status in SETTLED:
        raise ValidationError(
            {"status": f"A {meeting.get_status_display().lower()} meeting cannot be cancelled."}
        )
    if meeting.status == Meeting.Status.CANCELLED:
        return meeting
    meeting.status = Meeting.Status.CANCELLED
    _bump(meeting, ["status"])
    return meeting


@transaction.atomic
def series_cancel_rest(*, series: MeetingSeries, from_instant: dt.datetime, by=None) -> list[Meeting]:
    """Cancel every not-yet-settled meeting of the series from an instant on."""
    meetings = list(
        series.meetings.select_for_update()
        .filter(starts_at__gte=from_instant)
        .exclude(status__in=(*SETTLED, Meeting.Status.CANCELLED))
    )
    for meeting in meetings:
        meeting.status, meeting.version = Meeting.Status.CANCELLED, meeting.version + 1
    Meeting.objects.bulk_update(meetings, ["status", "version"])
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(updated_at=timezone.now())
    MeetingSeries.objects.filter(pk=series.pk).update(version=F("version") + 1, updated_at=timezone.now())
    sync_meeting_notifications(meetings=meetings)
    return meetings


@transaction.atomic
def meeting_mark(*, meeting: Meeting, status: str, by=None) -> Meeting:
    """Mark a meeting held or missed, once it has started."""
    if status not in (Meeting.Status.HELD, Meeting.Status.MISSED):
        raise ValidationError({"status": "A meeting can be marked held or missed."})
    meeting = _locked(meeting)
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError({"status": "A cancelled meeting cannot be marked held or missed."})
    if meeting.starts_at > timezone.now():
        raise ValidationError({"status": "A meeting can be marked held or missed only once it has started."})
    meeting.status = status
    _bump(meeting, ["status"])
    return meeting

"""Writes of the scheduling app: plan a cohort, apply a plan, materialise series, edit single meetings.

Every function that changes meetings calls ``sync_meeting_notifications`` inside the same transaction, so
reminders never disagree with the meetings they are about.
Meetings are never deleted once written: a re-plan or a leaver cancels them (status cancelled, version bumped),
so their notifications are superseded or become cancellation notices and the delivery log survives.
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

from cohort.cadence import MeetingKind, rrule_for
from cohort.models import Cohort, Phase
from mentors.models import Blackout, Mentor
from scheduling.models import Meeting, MeetingSeries, PlanRun
from scheduling.notifications import sync_meeting_notifications
from scheduling.planner import Demand, Placement, PlanResult, Unplaced, WeeklySlot, plan, validate_plan
from scheduling.planner.validate import inside_windows
from scheduling.problem_builder import CohortProblem, build_cohort_problem, mentor_person, scholar_person
from scheduling.recurrence import (
    DateRange,
    DateRanges,
    Segment,
    WeeklyRule,
    attendance_segments,
    dates_in,
    expand,
)
from scholars.models import Mentorship, Scholar, Team

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
    for item in [*document["unplaced"], *document["below_max"]]:
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


def _published(cohort: Cohort) -> dict[SlotKey, list[MeetingSeries]]:
    """Active series by slot; a slot has several when its attendees change over time (see ``_sync_slot``)."""
    published: dict[SlotKey, list[MeetingSeries]] = defaultdict(list)
    for s in MeetingSeries.objects.filter(cohort=cohort, status=MeetingSeries.Status.ACTIVE).order_by("pk"):
        published[SlotKey(s.demand_key, s.weekday, s.start_time.strftime("%H:%M"), s.week_parity)].append(s)
    return dict(published)


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
    """Publish a solved plan: slots no longer wanted end, new ones are materialised, and kept ones are brought in
    line with the cohort's calendar (blackouts, breaks, leavers) without moving.

    Refuses a run that is not solved, one older than a plan applied since, and one whose placements break a hard
    constraint (checked again independently of the solver).
    """
    run = PlanRun.objects.select_for_update().get(pk=plan_run.pk)
    # One writer of a cohort's meetings at a time: a concurrent refresh or apply would create the same rows.
    cohort = Cohort.objects.select_for_update().get(pk=run.cohort_id)
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
    dates = CohortDates.load(cohort)
    changed: list[Meeting] = []
    for key, rows in sorted(published.items(), key=lambda item: _key_order(item[0])):
        if key not in wanted:
            for series in rows:
                changed += _end_series(series, today=today)
    demands = {d.key: d for d in built.problem.demands}
    # Unchanged slots are synced too: a blackout, a break or a leaver since the last plan changes their meetings.
    for key in sorted(wanted, key=_key_order):
        rows = published.get(key, [])
        changed += _sync_slot(dates, key=key, demand=demands[key.demand_key], rows=rows, run=run, today=today)
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


# --- Materialising series -----------------------------------------------------------------------------------

# The phases a scholar takes part in, by status: everyone active trains, only some reach research, and only
# extended scholars go on into an extension. "Other" phases (a retreat, an induction week) are for everyone.
# Dates that no phase covers restrict nobody, so a cohort without phases meets throughout.
PHASES_BY_STATUS: dict[str, frozenset[str]] = {
    Scholar.Status.ACCEPTED: frozenset({Phase.Kind.TRAINING, Phase.Kind.OTHER}),
    Scholar.Status.TRAINING: frozenset({Phase.Kind.TRAINING, Phase.Kind.OTHER}),
    Scholar.Status.RESEARCH: frozenset({Phase.Kind.TRAINING, Phase.Kind.RESEARCH, Phase.Kind.OTHER}),
    Scholar.Status.EXTENDED: frozenset(
        {Phase.Kind.TRAINING, Phase.Kind.RESEARCH, Phase.Kind.EXTENSION, Phase.Kind.OTHER}
    ),
}


NO_DATES = DateRanges()


@dataclass
class CohortDates:
    """What decides which dates a series meets on and who attends, for one cohort, read in a fixed number of
    queries so re-materialising every series of a cohort stays cheap."""

    cohort: Cohort
    break_days: DateRanges
    phases: list[Phase]
    away: dict[tuple[str, int], DateRanges]  # ("mentor" | "scholar", pk) -> blackout days
    spans: dict[tuple[int, int], tuple[dt.date, dt.date]]  # (mentor pk, scholar pk) -> mentorship dates
    scholars: dict[str, Scholar]  # by slug
    mentors: dict[str, int]  # pk by slug

    @classmethod
    def load(cls, cohort: Cohort) -> CohortDates:
        away_ranges: dict[tuple[str, int], list[DateRange]] = defaultdict(list)
        blackouts = Blackout.objects.filter(
            Q(mentor__mentorships__scholar__cohort=cohort) | Q(scholar__cohort=cohort)
        ).distinct()
        for blackout in blackouts:
            who = ("mentor", blackout.mentor_id) if blackout.mentor_id else ("scholar", blackout.scholar_id)
            away_ranges[who].append(DateRange(blackout.start_date, blackout.end_date))
        spans = {
            (m.mentor_id, m.scholar_id): (m.start_date or cohort.start_date, m.end_date or cohort.end_date)
            for m in Mentorship.objects.filter(scholar__cohort=cohort)
        }
        return cls(
            cohort=cohort,
            break_days=dates_in(DateRange(b.start_date, b.end_date) for b in cohort.breaks.all()),
            phases=list(cohort.phases.all()),
            away={who: dates_in(ranges) for who, ranges in away_ranges.items()},
            spans=spans,
            scholars={s.slug: s for s in cohort.scholars.all()},
            mentors=dict(
                Mentor.objects.filter(mentorships__scholar__cohort=cohort)
                .values_list("slug", "pk")
                .distinct()
            ),
        )

    def away_on(self, person: tuple[str, int]) -> DateRanges:
        return self.away.get(person, NO_DATES)

    def phase_on(self, day: dt.date) -> Phase | None:
        return next((phase for phase in self.phases if phase.contains(day)), None)

    def meets_on(self, day: dt.date, *, kind: str, mentor_id: int, scholar_ids: list[int]) -> bool:
        """Whether a meeting of this kind takes place on the date at all.

        Breaks, the mentor's blackouts and phases that do not hold the kind cancel it. A scholar's blackout
        cancels only a 1-on-1: in a team or group meeting the others still meet, and the scholar who is away is
        simply not expected (they stay invited: a series has one list of attendees).
        """
        if day in self.break_days or day in self.away_on(("mentor", mentor_id)):
            return False
        phase = self.phase_on(day)
        if phase is not None and not phase.holds(kind):
            return False
        if kind == MeetingKind.ONE_ON_ONE:
            return not any(day in self.away_on(("scholar", pk)) for pk in scholar_ids)
        return True

    def attends(self, scholar: Scholar, day: dt.date, *, mentor_id: int) -> bool:
        """Whether the scholar is in the programme, in this mentorship and in a phase of theirs on the date."""
        if not scholar.is_active or (scholar.left_on and day > scholar.left_on):
            return False
        first, last = self.spans.get((mentor_id, scholar.pk), (self.cohort.start_date, self.cohort.end_date))
        if not first <= day <= last:
            return False
        phase = self.phase_on(day)
        return phase is None or phase.kind in PHASES_BY_STATUS.get(scholar.status, frozenset())


def _start_of(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(zone))


def _cancel(meetings: list[Meeting], *, by_calendar: bool = False) -> None:
    """Cancel rather than delete: reminders are superseded, close ones get a notice, the delivery log stays."""
    for meeting in meetings:
        meeting.status, meeting.version = Meeting.Status.CANCELLED, meeting.version + 1
        meeting.cancelled_by_calendar = by_calendar
    Meeting.objects.bulk_update(meetings, ["status", "version", "cancelled_by_calendar"])
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(updated_at=timezone.now())


def _end_series(series: MeetingSeries, *, today: dt.date) -> list[Meeting]:
    """Cancel the series' unsettled meetings from today on (history stays) and end it; returns the cancelled.

    Cancelled, not deleted: deleting would cascade to their notifications and the delivery log staff read. A
    series left with no meeting at all (every one went to a successor series) has nothing to keep and goes.
    """
    future = list(
        series.meetings.filter(starts_at__gte=_start_of(today, series.time_zone)).exclude(
            status__in=(*SETTLED, Meeting.Status.CANCELLED)
        )
    )
    _cancel(future)
    _close(series)
    return future


def _close(series: MeetingSeries) -> None:
    zone = ZoneInfo(series.time_zone)
    meetings = series.meetings.order_by("-original_start")
    if not meetings.exists():
        series.delete()
        return
    # Cancelled meetings past the last real one are left outside the rule, so feeds end where meetings did.
    last = meetings.exclude(status=Meeting.Status.CANCELLED).first()
    last_day = last.original_start.astimezone(zone).date() if last else series.starts_on
    series.status = MeetingSeries.Status.ENDED
    series.ends_on = max(series.starts_on, last_day)
    series.version += 1
    series.save(update_fields=["status", "ends_on", "version", "updated_at"])


def _rule_for(key: SlotKey, demand: Demand, cohort: Cohort) -> WeeklyRule:
    # The planner counts parity from the cohort's first Monday; the rule counts weeks from its anchor.
    first_monday = cohort.start_date - dt.timedelta(days=cohort.start_date.weekday())
    return WeeklyRule(
        weekdays=(key.weekday,),
        start=dt.time.fromisoformat(key.start),
        duration_minutes=demand.duration_minutes,
        time_zone=demand.time_zone,
        interval_weeks=demand.interval_weeks,
        anchor=first_monday + dt.timedelta(weeks=key.week_parity or 0),
    )


def _unique_uid(base: str) -> str:
    uid, n = f"{base}@cohortops", 1
    while MeetingSeries.objects.filter(uid=uid).exists():
        n += 1
        uid = f"{base}-{n}@cohortops"
    return uid


def _new_series(
    dates: CohortDates, demand: Demand, key: SlotKey, segment: Segment[int], ends_on: dt.date, run
) -> MeetingSeries:
    cohort = dates.cohort
    team = Team.objects.get(pk=int(demand.key.split(":")[1])) if demand.kind == MeetingKind.TEAM else None
    interval = demand.interval_weeks
    slot = f"{DAYS[key.weekday].lower()}{key.start.replace(':', '')}"
    series = MeetingSeries.objects.create(
        cohort=cohort,
        mentor_id=dates.mentors[demand.organiser.removeprefix("mentor:")],
        team=team,
        kind=demand.kind.value,
        demand_key=demand.key,
        title=demand.label,
        uid=_unique_uid(
            f"{cohort.slug}.{demand.key}.{slot}.{segment.first_day:%Y%m%d}.{run.pk if run else 0}"
        ),
        weekday=key.weekday,
        start_time=dt.time.fromisoformat(key.start),
        duration_minutes=demand.duration_minutes,
        time_zone=demand.time_zone,
        interval_weeks=interval,
        week_parity=key.week_parity,
        rrule=rrule_for([key.weekday], interval_weeks=interval),
        # The first meeting day is in the right weeks, so it anchors an every-other-week rule too.
        starts_on=segment.first_day,
        ends_on=ends_on,
        plan_run=run,
    )
    series.scholars.set(segment.attendees)
    return series


def _sync_slot(
    dates: CohortDates,
    *,
    key: SlotKey,
    demand: Demand,
    rows: list[MeetingSeries],
    run: PlanRun | None,
    today: dt.date,
) -> list[Meeting]:
    """Bring one planned weekly slot's meetings from today on in line with the cohort; returns changed meetings.

    1. The slot's dates: the rule's dates from today to the cohort's end, minus those it does not meet on.
    2. Who attends each date; runs of dates with the same attendees are segments, one series each (see
       ``_carrier``). The first segment continues the series holding the slot now, taking on its attendees if
       the roster changed (same UID, version bumped); a later segment, a change already dated, continues a series
       with exactly its attendees or gets a new one; series no segment wants end.
    3. Future meetings follow their dates: missing ones are created, ones on a date now in another segment move
       to that segment's series (same time, same version, so attendees who stay keep their reminders), and ones
       no longer wanted are cancelled. A meeting the calendar cancelled comes back, at its slot's own time, when
       its date is wanted again; one a person cancelled stays cancelled.
    """
    cohort = dates.cohort
    rule = rows[0].weekly_rule() if rows else _rule_for(key, demand, cohort)
    mentor_slug = demand.organiser.removeprefix("mentor:")
    scholars = [
        dates.scholars[a.removeprefix("scholar:")] for a in demand.attendees if a.startswith("scholar:")
    ]
    mentor_id = rows[0].mentor_id if rows else dates.mentors[mentor_slug]
    by_id = {s.pk: s for s in scholars}
    first_day = max(today, cohort.start_date)
    occurrences = {o.local_date: o for o in expand(rule, first_day=first_day, last_day=cohort.end_date)}
    meeting_days = [
        day
        for day in occurrences
        if dates.meets_on(day, kind=demand.kind, mentor_id=mentor_id, scholar_ids=list(by_id))
    ]
    segments = attendance_segments(
        meeting_days, lambda pk, day: dates.attends(by_id[pk], day, mentor_id=mentor_id), by_id
    )

    # 2. Segments to series.
    unused = sorted(rows, key=lambda s: (s.starts_on, s.pk))
    members = {s.pk: frozenset(s.scholars.values_list("pk", flat=True)) for s in rows}
    segment_series: list[MeetingSeries] = []
    touched: set[int] = set()
    regrouped: set[int] = set()  # series whose attendee list changed: all their meetings' reminders follow
    for index, segment in enumerate(segments):
        # A segment cut short (a scholar left, a mentorship ended) ends its series; the last runs to the end.
        ends_on = cohort.end_date if segment.last_day == meeting_days[-1] else segment.last_day
        series = _carrier(unused, members, segment, first=index == 0)
        if series is None:
            series = _new_series(dates, demand, key, segment, ends_on, run)
            members[series.pk] = segment.attendees
        else:
            unused.remove(series)
            if members[series.pk] != segment.attendees:
                series.scholars.set(segment.attendees)
                members[series.pk] = segment.attendees
                regrouped.add(series.pk)
                touched.add(series.pk)
            starts_on = min(series.starts_on, segment.first_day)
            if (series.starts_on, series.ends_on) != (starts_on, ends_on):
                series.starts_on, series.ends_on = starts_on, ends_on
                touched.add(series.pk)
        segment_series.append(series)

    # 3. Meetings to series.
    wanted: dict[dt.datetime, MeetingSeries] = {}
    span_of: list[tuple[dt.date, dt.date, MeetingSeries]] = []
    for segment, series in zip(segments, segment_series, strict=True):
        wanted.update((occurrences[day].starts_at_utc, series) for day in segment.days)
        span_of.append((segment.first_day, segment.last_day, series))
    zone = ZoneInfo(rule.time_zone)
    start_of_today = _start_of(first_day, rule.time_zone)
    existing = list(Meeting.objects.filter(series__in=[*rows, *segment_series]).order_by("original_start"))
    taken = {m.original_start for m in existing}
    to_cancel: list[Meeting] = []
    to_move: list[Meeting] = []
    to_restore: list[Meeting] = []
    for meeting in existing:
        if meeting.original_start < start_of_today or meeting.status in SETTLED:
            continue
        if meeting.status == Meeting.Status.CANCELLED:
            # The calendar gives back what it took (a blackout lifted); a person's cancellation stands.
            target = wanted.get(meeting.original_start) if meeting.cancelled_by_calendar else None
            if target is not None:
                touched |= {target.pk, meeting.series_id}
                meeting.series, meeting.status, meeting.cancelled_by_calendar = (
                    target,
                    Meeting.Status.SCHEDULED,
                    False,
                )
                meeting.starts_at = meeting.original_start
                meeting.ends_at = meeting.original_start + rule.duration
                meeting.version += 1
                to_restore.append(meeting)
            continue
        target = wanted.get(meeting.original_start)
        if target is None and meeting.status == Meeting.Status.MOVED:
            # Staff moved it themselves: keep it while its date still falls inside a segment.
            local = meeting.original_start.astimezone(zone).date()
            target = next((s for first, last, s in span_of if first <= local <= last), None)
        if target is None:
            to_cancel.append(meeting)
        elif target.pk != meeting.series_id:
            touched |= {target.pk, meeting.series_id}
            meeting.series = target
            to_move.append(meeting)
    _cancel(to_cancel, by_calendar=True)
    touched |= {m.series_id for m in to_cancel}
    Meeting.objects.bulk_update(to_move, ["series"])
    Meeting.objects.bulk_update(
        to_restore, ["series", "status", "cancelled_by_calendar", "starts_at", "ends_at", "version"]
    )
    Meeting.objects.filter(pk__in=[m.pk for m in [*to_move, *to_restore]]).update(updated_at=timezone.now())
    created = Meeting.objects.bulk_create(
        Meeting(series=series, original_start=start, starts_at=start, ends_at=start + rule.duration)
        for start, series in sorted(wanted.items(), key=lambda item: item[0])
        if start not in taken
    )
    touched |= {m.series_id for m in created} & {s.pk for s in rows}

    for series in segment_series:
        if series.pk in touched:
            series.version += 1
            series.save(update_fields=["starts_on", "ends_on", "version", "updated_at"])
    for series in unused:
        _close(series)
    live_regrouped = [
        m
        for m in existing
        if m.series_id in regrouped
        and m.original_start >= start_of_today
        and m.status not in (*SETTLED, Meeting.Status.CANCELLED)
    ]
    changed = {m.pk: m for m in [*created, *to_move, *to_restore, *to_cancel, *live_regrouped]}
    return list(changed.values())


def _carrier(
    unused: list[MeetingSeries], members: dict[int, frozenset[int]], segment: Segment[int], *, first: bool
) -> MeetingSeries | None:
    """The series (of ``unused``, oldest first) that carries a segment on, or None for a new one.

    The first segment is who meets from today: it continues the series holding the slot on its first day whatever
    that series' attendees, so a scholar joining or leaving a group or team now changes its attendee list, never
    its UID (a new UID makes every subscribed calendar delete and recreate each occurrence). A later segment is
    a change already dated (a leaving day, a phase the scholar is not in): a series has one attendee list, so it
    needs a series with exactly its attendees.
    """
    if first and unused:
        holding = [s for s in unused if s.starts_on <= segment.first_day]
        return holding[-1] if holding else unused[0]
    return next((s for s in unused if members[s.pk] == segment.attendees), None)


def cohort_meetings_refresh(*, cohort: Cohort, today: dt.date | None = None) -> list[Meeting]:
    """Re-materialise every published series of the cohort from today on, without re-planning any slot.

    For changes that move no slot: a blackout, a break, a phase, a scholar who left or changed status, a
    mentorship's dates. Slots whose demand is gone (a scholar withdrew) end.
    """
    today = today or timezone.localdate()
    built = build_cohort_problem(cohort=cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS)
    demands = {d.key: d for d in built.problem.demands}
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)  # see plan_apply
        dates = CohortDates.load(cohort)
        changed: list[Meeting] = []
        for key, rows in sorted(_published(cohort).items(), key=lambda item: _key_order(item[0])):
            demand = demands.get(key.demand_key)
            if demand is None:
                for series in rows:
                    changed += _end_series(series, today=today)
            else:
                changed += _sync_slot(dates, key=key, demand=demand, rows=rows, run=None, today=today)
        if changed:
            sync_meeting_notifications(meetings=changed)
    return changed


def person_cohorts(person: Mentor | Scholar):
    """The cohorts whose published meetings a person's blackouts and dates shape."""
    if isinstance(person, Mentor):
        return Cohort.objects.filter(meeting_series__mentor=person).distinct()
    return Cohort.objects.filter(pk=person.cohort_id)


def calendar_inputs_changed(*, cohorts) -> list[Meeting]:
    """After a blackout, break, phase, leaving date, status or mentorship date changed: bring the published
    meetings of these cohorts in line with it at once, moving no slot. Cohorts with nothing published wait for
    their first plan."""
    changed: list[Meeting] = []
    for cohort in cohorts:
        if cohort.meeting_series.filter(status=MeetingSeries.Status.ACTIVE).exists():
            changed += cohort_meetings_refresh(cohort=cohort)
    return changed


def _key_order(key: SlotKey) -> tuple:
    return (key.demand_key, key.weekday, key.start, key.week_parity or 0)


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


def _move_instant(value: dt.datetime, zone: ZoneInfo, field: str) -> dt.datetime:
    """The instant a move asks for; a naive value is wall-clock time in the series' zone.

    A wall-clock time the zone skips (clocks go forward) names no instant, and one it has twice (clocks go back)
    names two, which calendar clients resolve differently: both are refused rather than guessed.
    """
    try:
        if value.tzinfo is None:
            local = value.replace(tzinfo=zone)
            if local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != value:
                raise ValidationError(
                    {
                        field: f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip that hour "
                        "when daylight saving time starts. Choose another time."
                    }
                )
        else:
            local = value.astimezone(zone)
        if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
            raise ValidationError(
                {
                    field: f"{local:%Y-%m-%d %H:%M} happens twice in {zone.key}: the clocks go back that night, "
                    "so calendars could show either. Choose another time."
                }
            )
        return local.astimezone(dt.UTC)
    except OverflowError as error:
        raise ValidationError({field: "That date is out of range."}) from error


def _outside_cohort(meeting: Meeting, starts_at: dt.datetime) -> str | None:
    """Why the new start's date (in the series' zone) is not a day of the cohort, if it is not."""
    series = meeting.series
    cohort = series.cohort
    day = starts_at.astimezone(ZoneInfo(series.time_zone)).date()
    if not cohort.start_date <= day <= cohort.end_date:
        return f"{day} is outside the cohort ({cohort.start_date} to {cohort.end_date})."
    pause = cohort.breaks.filter(start_date__lte=day, end_date__gte=day).first()
    if pause is not None:
        return f"{day} is in the cohort's break “{pause.name}” ({pause.start_date} to {pause.end_date})."
    return None


def _outside_hours(meeting: Meeting, starts_at: dt.datetime, ends_at: dt.datetime) -> list[str]:
    """Who cannot meet then: outside the mentor's availability or a scholar's working days and hours, or away on
    a blackout, each in that person's own zone. Staff may still move the meeting there, with a reason."""
    mentor = meeting.series.mentor
    people = [(mentor, mentor_person(mentor), "availability")]
    for scholar in meeting.series.scholars.order_by("name"):
        if scholar.is_active:
            people.append((scholar, scholar_person(scholar), "working days and hours"))
    problems: list[str] = []
    for person, hours, what in people:
        local_start = starts_at.astimezone(ZoneInfo(person.time_zone))
        # The planner's own test of a placement, so a move is held to the hours a plan is.
        if not inside_windows(hours, starts_at, ends_at):
            problems.append(
                f"{local_start:%a %H:%M} in {person.time_zone} is outside {person.name}'s {what}."
            )
        away = person.blackouts.filter(start_date__lte=local_start.date(), end_date__gte=local_start.date())
        if blackout := away.first():
            why = f" ({blackout.reason})" if blackout.reason else ""
            problems.append(f"{person.name} is away on {local_start.date()}{why}.")
    return problems


@transaction.atomic
def meeting_move(
    *,
    meeting: Meeting,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    by=None,
    by_staff: bool = False,
    force: bool = False,
    reason: str = "",
) -> Meeting:
    """Move one occurrence to a future time inside the cohort, with no attendee double-booked.

    Naive times are wall-clock times in the series' zone, refused where the zone skips or repeats them. A time
    outside the mentor's availability or a scholar's working hours is refused unless staff force it, saying why;
    the reason is kept in the meeting's private notes.
    """
    meeting = _locked(meeting)
    zone = ZoneInfo(meeting.series.time_zone)
    # Forcing is asked for up front, so a mentor learns at once that it is not theirs to ask.
    if force and not by_staff:
        raise ValidationError(
            {"force": "Only staff can move a meeting outside someone's availability or working hours."}
        )
    reason = reason.strip()
    if force and not reason:
        raise ValidationError({"reason": "Say why the meeting is moved outside the usual hours."})
    if meeting.status in (*SETTLED, Meeting.Status.CANCELLED):
        raise ValidationError(
            {"status": f"A {meeting.get_status_display().lower()} meeting cannot be moved."}
        )
    starts_at = _move_instant(starts_at, zone, "starts_at")
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": "A meeting can only be moved to a time in the future."})
    not_a_cohort_day = _outside_cohort(meeting, starts_at)
    if not_a_cohort_day:
        raise ValidationError({"starts_at": not_a_cohort_day})
    if ends_at is None:
        ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    else:
        ends_at = _move_instant(ends_at, zone, "ends_at")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The meeting must end after it starts."})
    clash = _attendee_conflict(meeting, starts_at, ends_at)
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": f"That time overlaps “{clash.series.title}” at {clash.starts_at:%Y-%m-%d %H:%M} UTC."
            }
        )
    fields = ["starts_at", "ends_at", "status"]
    outside = _outside_hours(meeting, starts_at, ends_at)
    if outside and not force:
        way_out = "Force the move and say why" if by_staff else "Only staff can move it there anyway"
        raise ValidationError({"starts_at": [*outside, f"{way_out}."]})
    if outside:
        # There is no audit table: the override is kept with the meeting, where staff and its mentor read it.
        note = f"{timezone.now():%Y-%m-%d %H:%M} UTC, moved by {by} although: {' '.join(outside)} Reason: {reason}"
        meeting.private_notes = f"{meeting.private_notes}\n{note}".strip()
        fields.append("private_notes")
        logger.info("meeting %s moved outside usual hours by %s: %s", meeting.pk, by, reason)
    meeting.starts_at, meeting.ends_at, meeting.status = starts_at, ends_at, Meeting.Status.MOVED
    _bump(meeting, fields)
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

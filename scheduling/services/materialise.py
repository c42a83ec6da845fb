"""Materialising planned slots into series and meetings, and keeping them in line with the cohort's calendar.

A slot's series and meetings follow the cohort's dates (breaks, phases, blackouts, leavers) from today on;
history stays as it was.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cohort.cadence import MeetingKind
from cohort.dates import WEEKDAY_NAMES, monday_of
from cohort.generation import rows_changed
from cohort.models import Cohort
from scheduling.models import SETTLED_STATUSES, Meeting, MeetingSeries, PlanRun
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.planner import Demand
from scheduling.problem_builder import build_cohort_problem
from scheduling.recurrence import Segment, WeeklyRule, attendance_segments, expand, rrule_string
from scheduling.services.cohort_dates import CohortDates
from scholars.models import Scholar, Team


@dataclass(frozen=True)
class SlotKey:
    """A planned weekly slot of one demand: what identifies the series that hold it."""

    demand_key: str
    weekday: int
    start: str  # HH:MM in the series' zone
    week_parity: int | None

    def describe(self) -> str:
        parity = "" if self.week_parity is None else " (every other week)"
        return f"{WEEKDAY_NAMES[self.weekday]} {self.start}{parity}"

    def order(self) -> tuple:
        """Sort key, so slots are always synced in the same order."""
        return (self.demand_key, self.weekday, self.start, self.week_parity or 0)


def published_series(cohort: Cohort) -> dict[SlotKey, list[MeetingSeries]]:
    """Active series by slot; a slot has several when its attendees change over time (see ``sync_slot``)."""
    published: dict[SlotKey, list[MeetingSeries]] = defaultdict(list)
    for s in MeetingSeries.objects.filter(cohort=cohort, status=MeetingSeries.Status.ACTIVE).order_by("pk"):
        published[SlotKey(s.demand_key, s.weekday, s.start_time.strftime("%H:%M"), s.week_parity)].append(s)
    return dict(published)


def _start_of(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(zone))


def _cancel(meetings: list[Meeting], *, by_calendar: bool = False) -> None:
    """Cancel rather than delete: reminders are superseded, close ones get a notice, the delivery log stays."""
    for meeting in meetings:
        meeting.status, meeting.version = Meeting.Status.CANCELLED, meeting.version + 1
        meeting.cancelled_by_calendar = by_calendar
    Meeting.objects.bulk_update(meetings, ["status", "version", "cancelled_by_calendar"])
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(updated_at=timezone.now())
    rows_changed()  # bulk writes send no signal


def end_series(series: MeetingSeries, *, today: dt.date) -> list[Meeting]:
    """Cancel the series' unsettled meetings from today on (history stays) and end it; returns the cancelled.

    Cancelled, not deleted: deleting would cascade to their notifications and the delivery log staff read. A
    series left with no meeting at all (every one went to a successor series) has nothing to keep and goes.
    """
    future = list(
        series.meetings.filter(starts_at__gte=_start_of(today, series.time_zone)).exclude(
            status__in=(*SETTLED_STATUSES, Meeting.Status.CANCELLED)
        )
    )
    _cancel(future)
    _end_or_delete(series)
    return future


def _end_or_delete(series: MeetingSeries) -> None:
    """End the series after its last meeting; a series that never had a meeting has no history and goes."""
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
    first_monday = monday_of(cohort.start_date)
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


def meeting_place_kept(cohort: Cohort, demand_key: str, mentor_id: int) -> str:
    """Where the same meeting with the same mentor was set to happen before (a re-plan or a new stretch keeps it);
    empty: the mentor's."""
    return (
        MeetingSeries.objects.filter(cohort=cohort, demand_key=demand_key, mentor_id=mentor_id)
        .order_by("-pk")
        .values_list("meeting_place", flat=True)
        .first()
        or ""
    )


def _new_series(
    dates: CohortDates, demand: Demand, key: SlotKey, segment: Segment[int], ends_on: dt.date, run
) -> MeetingSeries:
    cohort = dates.cohort
    team = Team.objects.get(pk=int(demand.key.split(":")[1])) if demand.kind == MeetingKind.TEAM else None
    interval = demand.interval_weeks
    slot = f"{WEEKDAY_NAMES[key.weekday].lower()}{key.start.replace(':', '')}"
    mentor_id = dates.mentors[demand.organiser.removeprefix("mentor:")]
    series = MeetingSeries.objects.create(
        cohort=cohort,
        mentor_id=mentor_id,
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
        # The stored text is what the feeds write for the series, so the two never disagree.
        rrule=rrule_string(_rule_for(key, demand, cohort), until_utc=None),
        # The first meeting day is in the right weeks, so it anchors an every-other-week rule too.
        starts_on=segment.first_day,
        ends_on=ends_on,
        plan_run=run,
        meeting_place=meeting_place_kept(cohort, demand.key, mentor_id),
    )
    series.scholars.set(segment.attendees)
    return series


def sync_slot(
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
        for day, occurrence in occurrences.items()
        if dates.meets_on(
            day,
            kind=demand.kind,
            mentor_id=mentor_id,
            scholar_ids=list(by_id),
            span=(occurrence.starts_at_utc, occurrence.starts_at_utc + rule.duration),
        )
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
        if meeting.original_start < start_of_today or meeting.status in SETTLED_STATUSES:
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
    rows_changed()  # bulk writes send no signal

    for series in segment_series:
        if series.pk in touched:
            series.version += 1
            series.save(update_fields=["starts_on", "ends_on", "version", "updated_at"])
    if not segments and unused and _still_attended(occurrences, dates, scholars, mentor_id):
        # Every date left is blocked by the calendar (time away over the rest of the cohort, say), not left by
        # its people: the series holding the slot stays, its meetings cancelled by the calendar, so that they
        # come back when the dates are free again.
        unused.pop()
    for series in unused:
        _end_or_delete(series)
    live_regrouped = [
        m
        for m in existing
        if m.series_id in regrouped
        and m.original_start >= start_of_today
        and m.status not in (*SETTLED_STATUSES, Meeting.Status.CANCELLED)
    ]
    changed = {m.pk: m for m in [*created, *to_move, *to_restore, *to_cancel, *live_regrouped]}
    return list(changed.values())


def _still_attended(
    days: Iterable[dt.date], dates: CohortDates, scholars: Iterable[Scholar], mentor_id: int
) -> bool:
    """Whether anyone would still attend one of the slot's dates, were the calendar to allow it."""
    return any(dates.attends(scholar, day, mentor_id=mentor_id) for day in days for scholar in scholars)


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
        for key, rows in sorted(published_series(cohort).items(), key=lambda item: item[0].order()):
            demand = demands.get(key.demand_key)
            if demand is None:
                for series in rows:
                    changed += end_series(series, today=today)
            else:
                changed += sync_slot(dates, key=key, demand=demand, rows=rows, run=None, today=today)
        if changed:
            sync_meeting_notifications(meetings=changed)
    return changed


def cohorts_meetings_refresh(*, cohorts) -> list[Meeting]:
    """After a blackout, break, phase, leaving date, status or mentorship date changed: bring the published
    meetings of these cohorts in line with it at once, moving no slot. Cohorts with nothing published wait for
    their first plan; a cohort that is over, with no meeting left from today on, keeps its history as it is."""
    changed: list[Meeting] = []
    today = timezone.localdate()
    for cohort in cohorts:
        if not cohort.meeting_series.filter(status=MeetingSeries.Status.ACTIVE).exists():
            continue
        over = (
            cohort.end_date < today
            and not Meeting.objects.filter(
                series__cohort=cohort, starts_at__gte=_start_of(today, cohort.time_zone)
            ).exists()
        )
        if not over:
            changed += cohort_meetings_refresh(cohort=cohort, today=today)
    return changed

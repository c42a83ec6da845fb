"""The demo cohort's past: the weeks it ran before today, so pair health and the week's chart show something real.

The demo cohort begins ``scholars.demo.HISTORY_WEEKS`` weeks before the week it is set up in, and the plan publishes
meetings from today on. ``demo_history_write`` fills the weeks before: each slot of the published plan met every
week since the cohort began, as a series of its own that has ended, with its meetings held; except one pair, whose
1-on-1s of the last two weeks were missed, so pair health finds it behind its cadence (and tells staff and its
mentor, once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cohort.cadence import MeetingKind
from cohort.dates import monday_of
from cohort.generation import rows_changed
from cohort.models import Cohort
from scheduling.models import Meeting, MeetingSeries
from scheduling.recurrence import DateRange, dates_in, expand, rrule_string
from scheduling.services.health import HealthSync, cohort_health_sync

# The ended series that hold the demo's past are told apart by their UID.
HISTORY_UID_SUFFIX = ".history@cohortops.demo"


@dataclass(frozen=True)
class DemoHistory:
    held: int
    missed: int
    behind: str  # the pair left behind its cadence, as people read it
    health: HealthSync


@transaction.atomic
def demo_history_write(*, cohort: Cohort, today: dt.date) -> DemoHistory | None:
    """Write the cohort's weeks before ``today`` (once: None when it has them already, or has no past) and open
    the findings they show."""
    last = today - dt.timedelta(days=1)
    published = list(
        MeetingSeries.objects.filter(cohort=cohort, status=MeetingSeries.Status.ACTIVE)
        .select_related("mentor")
        .prefetch_related("scholars")
        .order_by("mentor__name", "kind", "pk")
    )
    behind = next((s for s in published if s.kind == MeetingKind.ONE_ON_ONE), None)
    has_history = MeetingSeries.objects.filter(cohort=cohort, uid__endswith=HISTORY_UID_SUFFIX).exists()
    if has_history or last < cohort.start_date or behind is None:
        return None
    breaks = dates_in(DateRange(b.start_date, b.end_date) for b in cohort.breaks.all())
    phases = list(cohort.phases.all())
    # The first 1-on-1's meetings (every slot of its demand) of the two weeks before this one were missed: two
    # complete weeks below the cadence.
    missed_from = monday_of(today) - dt.timedelta(weeks=2)

    meetings = []
    for series in published:
        rule = series.weekly_rule()

        def skipped(day: dt.date, kind: str = series.kind) -> bool:
            phase = next((p for p in phases if p.contains(day)), None)
            return day in breaks or (phase is not None and not phase.holds(kind))

        past = expand(rule, first_day=cohort.start_date, last_day=last, skip=skipped)
        if not past:
            continue
        history = MeetingSeries.objects.create(
            cohort=cohort,
            mentor=series.mentor,
            team=series.team,
            kind=series.kind,
            demand_key=series.demand_key,
            title=series.title,
            uid=f"{series.uid.partition('@')[0]}{HISTORY_UID_SUFFIX}",
            weekday=series.weekday,
            start_time=series.start_time,
            duration_minutes=series.duration_minutes,
            time_zone=series.time_zone,
            interval_weeks=series.interval_weeks,
            week_parity=series.week_parity,
            rrule=rrule_string(rule, until_utc=past[-1].starts_at_utc),
            starts_on=past[0].local_date,
            ends_on=past[-1].local_date,
            status=MeetingSeries.Status.ENDED,
            meeting_place=series.meeting_place,
        )
        history.scholars.set(series.scholars.all())
        meetings += [
            Meeting(
                series=history,
                original_start=occurrence.starts_at_utc,
                starts_at=occurrence.starts_at_utc,
                ends_at=occurrence.ends_at_utc,
                status=Meeting.Status.MISSED
                if series.demand_key == behind.demand_key and occurrence.local_date >= missed_from
                else Meeting.Status.HELD,
            )
            for occurrence in past
        ]
    Meeting.objects.bulk_create(meetings)
    rows_changed()  # bulk writes send no signal
    missed = sum(1 for m in meetings if m.status == Meeting.Status.MISSED)
    return DemoHistory(
        held=len(meetings) - missed,
        missed=missed,
        behind=behind.title,
        health=cohort_health_sync(cohort=cohort, as_of=timezone.now()),
    )

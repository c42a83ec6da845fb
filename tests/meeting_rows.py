"""Meeting series and meetings that more than one test module (and the feed benchmark) builds the same way.

Import inside a function where Django is set up late (the benchmarks): this module loads the models.
"""

import datetime as dt

from cohort.cadence import KIND_LABELS, MeetingKind
from scheduling.models import Meeting, MeetingSeries
from scheduling.recurrence import DateRange, dates_in, expand
from tests.factories import (
    AvailabilityFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    ScholarFactory,
)


def weekly_series_with_meetings(
    *,
    cohort,
    mentor,
    scholars,
    weekday=0,
    start=dt.time(10),
    zone="Europe/London",
    kind="one_on_one",
    team=None,
) -> MeetingSeries:
    """A weekly one-hour series over the whole cohort, with a meeting on each of its dates outside the breaks."""
    series = MeetingSeries.objects.create(
        cohort=cohort,
        mentor=mentor,
        team=team,
        kind=kind,
        demand_key=f"{kind}:{mentor.slug}:{weekday}",
        title=f"{mentor.name} {KIND_LABELS[MeetingKind(kind)]}",
        uid=f"series-{mentor.slug}-{weekday}@cohortops",
        weekday=weekday,
        start_time=start,
        duration_minutes=60,
        time_zone=zone,
        rrule="FREQ=WEEKLY",
        starts_on=cohort.start_date,
        ends_on=cohort.end_date,
    )
    series.scholars.set(scholars)
    breaks = dates_in(DateRange(b.start_date, b.end_date) for b in cohort.breaks.all())
    Meeting.objects.bulk_create(
        Meeting(
            series=series, original_start=o.starts_at_utc, starts_at=o.starts_at_utc, ends_at=o.ends_at_utc
        )
        for o in expand(
            series.weekly_rule(), first_day=series.starts_on, last_day=series.ends_on, skip=breaks
        )
    )
    return series


def miras_one_on_one_with_sam(*, cohort, time_zone, starts_at, mentor_user=None) -> Meeting:
    """Mentor Mira's 1-on-1 with scholar Sam at ``starts_at``: both in ``time_zone``, working Monday to Friday, 9 to 5."""
    mentor = MentorFactory(name="Mira", time_zone=time_zone, user=mentor_user)
    for weekday in range(5):
        AvailabilityFactory(mentor=mentor, weekday=weekday)
    scholar = ScholarFactory(name="Sam", cohort=cohort, time_zone=time_zone)
    series = MeetingSeriesFactory(cohort=cohort, mentor=mentor, scholars=[scholar], time_zone=time_zone)
    return MeetingFactory(series=series, starts_at=starts_at)


def move_meeting(meeting: Meeting, *, to: dt.datetime) -> None:
    """Move one meeting to start at ``to``, keeping its length, as its next version."""
    meeting.ends_at = to + (meeting.ends_at - meeting.starts_at)
    meeting.starts_at = to
    meeting.status = Meeting.Status.MOVED
    meeting.version += 1
    meeting.save()


def cancel_meeting(meeting: Meeting) -> None:
    """Cancel one meeting, as its next version."""
    meeting.status = Meeting.Status.CANCELLED
    meeting.version += 1
    meeting.save()

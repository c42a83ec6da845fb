"""Cadence compliance: meetings held so far against what each mentorship's cadence asks for; and the records pair
health's rules read (``scheduling.pair_health``).

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

from django.db.models import Q

from cohort.cadence import KIND_LABELS, Cadence, MeetingKind
from cohort.dates import monday_of
from cohort.models import Cohort, Phase
from mentors.models import Mentor
from scheduling.models import Meeting, MeetingFeedback, Notification
from scheduling.notifications.rows import check_in_closes_at
from scheduling.pair_health import (
    CancellationRecord,
    CheckInRecord,
    KindTally,
    PairRecord,
    Thresholds,
    WeekTally,
)
from scheduling.recurrence import DateRange, DateRanges, dates_in
from scholars.models import CheckIn, Mentorship, Scholar, Team


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


@dataclass(frozen=True)
class _Span:
    """One active mentorship of a cohort, over the part of the cohort it covers."""

    mentorship: Mentorship
    first: dt.date
    last: dt.date
    counts: Callable[..., bool]  # whether a day counts towards the cadence (``_counted_day``, bound)
    kinds: frozenset[MeetingKind]  # the kinds of meeting the scholar attends

    @property
    def pair(self) -> tuple[int, int]:
        return (self.mentorship.mentor_id, self.mentorship.scholar_id)

    def weeks(self, start: dt.date, today: dt.date, kind: MeetingKind | None = None) -> float:
        return meeting_weeks_elapsed(
            start=max(start, self.first), today=today, end=self.last, counts=partial(self.counts, kind=kind)
        )


@dataclass(frozen=True)
class _CohortMeetings:
    zone: ZoneInfo
    today: dt.date
    spans: list[_Span]
    # Per (mentor, scholar): the local dates and kinds of meetings over by ``as_of`` and held (or not marked).
    held: dict[tuple[int, int], list[tuple[dt.date, str]]]
    unmarked: dict[tuple[int, int], list[tuple[dt.date, str]]]


def _cohort_meetings(cohort: Cohort, as_of: dt.datetime) -> _CohortMeetings:
    """What both compliance and pair health read of a cohort (5 queries)."""
    zone = ZoneInfo(cohort.time_zone)
    today = as_of.astimezone(zone).date()
    phases = list(cohort.phases.all())
    break_days = dates_in(DateRange(b.start_date, b.end_date) for b in cohort.breaks.all())
    mentorships = list(
        Mentorship.objects.filter(scholar__cohort=cohort)
        .exclude(scholar__status__in=Scholar.INACTIVE_STATUSES)
        .select_related("mentor", "scholar")
        .order_by("mentor__name", "scholar__name", "pk")
    )
    in_team = set(
        Team.members.through.objects.filter(team__cohort=cohort).values_list("team__mentor_id", "scholar_id")
    )
    held: dict[tuple[int, int], list[tuple[dt.date, str]]] = defaultdict(list)
    unmarked: dict[tuple[int, int], list[tuple[dt.date, str]]] = defaultdict(list)
    unmarked_statuses = {Meeting.Status.SCHEDULED, Meeting.Status.MOVED}
    for mentor_id, scholar_id, starts_at, status, kind in Meeting.objects.filter(
        series__cohort=cohort,
        status__in=[Meeting.Status.HELD, *unmarked_statuses],
        ends_at__lte=as_of,
    ).values_list("series__mentor_id", "series__scholars", "starts_at", "status", "series__kind"):
        days = unmarked if status in unmarked_statuses else held
        days[(mentor_id, scholar_id)].append((starts_at.astimezone(zone).date(), kind))
    spans = []
    for mentorship in mentorships:
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
        pair = (mentorship.mentor_id, mentorship.scholar_id)
        kinds = frozenset(MeetingKind) - ({MeetingKind.TEAM} if pair not in in_team else set())
        spans.append(_Span(mentorship, first, last, counts, kinds))
    return _CohortMeetings(zone, today, spans, held, unmarked)


def _cadence_of(mentorship: Mentorship, cohort: Cohort) -> Cadence:
    cadence = mentorship.mentor.cadence_value
    return cadence if cadence.is_specified else cohort.cadence_default


def mentorship_compliance(*, cohort: Cohort, as_of: dt.datetime) -> list[Compliance]:
    """Every active mentorship of the cohort with its held and expected meetings (5 queries).

    Every kind the scholar attends counts (1-on-1s, their team's meetings, the mentor's group and stand-ups),
    over the part of the cohort the mentorship covers: from the later of the cohort's and the mentorship's
    start to the earliest of today, the mentorship's end and the scholar's leaving date.
    """
    if as_of.astimezone(ZoneInfo(cohort.time_zone)).date() < cohort.start_date:
        return []
    data = _cohort_meetings(cohort, as_of)
    result = []
    for span in data.spans:
        mentorship = span.mentorship
        within = partial(_within, first=span.first, last=span.last)
        result.append(
            Compliance(
                mentorship_id=mentorship.pk,
                mentor=mentorship.mentor.name,
                scholar=mentorship.scholar.name,
                held=sum(1 for day, _ in data.held[span.pair] if within(day)),
                unmarked=sum(1 for day, _ in data.unmarked[span.pair] if within(day)),
                expected=expected_meetings(
                    cadence=_cadence_of(mentorship, cohort),
                    weeks_by_kind={kind: span.weeks(span.first, data.today, kind) for kind in span.kinds},
                ),
                weeks_elapsed=meeting_weeks_elapsed(
                    start=span.first, today=data.today, end=span.last, counts=span.counts
                ),
            )
        )
    return result


def _within(day: dt.date, *, first: dt.date, last: dt.date) -> bool:
    return first <= day <= last


def mentorships_behind_cadence(*, cohort: Cohort, as_of: dt.datetime) -> list[Compliance]:
    return [c for c in mentorship_compliance(cohort=cohort, as_of=as_of) if c.behind]


# --- Pair health's records ------------------------------------------------------------------------------------

# The longest period a week of pair health looks back over: a monthly rhythm asks for a meeting within 4 weeks.
MAX_PERIOD_WEEKS = 4


def cadence_period_weeks(per_week_min: float) -> int:
    """The weeks a rhythm takes to ask for one whole meeting: 1 weekly or more, 2 every other week, 4 monthly."""
    return min(MAX_PERIOD_WEEKS, max(1, math.ceil(1 / per_week_min - 1e-9)))


def health_thresholds(cohort: Cohort) -> Thresholds:
    return Thresholds(
        first_meeting_days=cohort.health_first_meeting_days,
        behind_weeks=cohort.health_behind_weeks,
        missed_check_ins=cohort.health_missed_check_ins,
        cancelled_count=cohort.health_cancelled_count,
        cancelled_of_last=cohort.health_cancelled_of_last,
        low_ratings=cohort.health_low_ratings,
    )


def pair_records(*, cohort: Cohort, as_of: dt.datetime) -> list[PairRecord]:
    """Each running mentorship's first meeting, its meetings' ratings and, per complete week so far, the meetings
    held of each kind its cadence asks for, over the cadence's period ending that week, against what it asks (6
    queries).

    Held counts meetings marked held and those over that nobody marked, as compliance does; a week in a break or
    a phase without the kind asks for nothing.
    """
    data = _cohort_meetings(cohort, as_of)
    ratings = _pair_ratings(cohort)
    last_sunday = monday_of(data.today) - dt.timedelta(days=1)
    records = []
    for span in data.spans:
        if not span.first <= data.today <= span.last:
            continue
        mentorship = span.mentorship
        met = sorted(
            (day, kind)
            for day, kind in [*data.held[span.pair], *data.unmarked[span.pair]]
            if _within(day, first=span.first, last=span.last)
        )
        demands = [d for d in _cadence_of(mentorship, cohort).demands if d.kind in span.kinds]
        weeks = []
        week = monday_of(span.first)
        while week + dt.timedelta(days=6) <= last_sunday:
            tallies = []
            for demand in demands:
                since = week - dt.timedelta(weeks=cadence_period_weeks(demand.per_week_min) - 1)
                until = week + dt.timedelta(days=6)
                expected = math.floor(demand.per_week_min * span.weeks(since, until, demand.kind) + 1e-9)
                if expected:
                    held = sum(1 for day, kind in met if kind == demand.kind and since <= day <= until)
                    tallies.append(KindTally(KIND_LABELS[demand.kind], held, expected))
            weeks.append(WeekTally(week, tuple(tallies)))
            week += dt.timedelta(weeks=1)
        records.append(
            PairRecord(
                mentorship_id=mentorship.pk,
                mentor_id=mentorship.mentor_id,
                scholar_id=mentorship.scholar_id,
                mentor=mentorship.mentor.name,
                scholar=mentorship.scholar.name,
                started_on=span.first,
                first_met_on=met[0][0] if met else None,
                weeks=tuple(weeks),
                ratings=tuple(rating for _, rating in sorted(ratings[span.pair].values(), reverse=True)),
            )
        )
    return records


def _pair_ratings(cohort: Cohort) -> dict[tuple[int, int], dict[int, tuple[dt.datetime, int]]]:
    """Per (mentor, scholar): their meetings' ratings by feedback id, with the meeting's start. A scholar's rating
    of any meeting of the mentor's they attended counts for the pair; a mentor's, only of their 1-on-1s."""
    ratings: dict[tuple[int, int], dict[int, tuple[dt.datetime, int]]] = defaultdict(dict)
    for pk, starts_at, mentor_id, kind, by_scholar, attendee, rating in MeetingFeedback.objects.filter(
        meeting__series__cohort=cohort
    ).values_list(
        "pk",
        "meeting__starts_at",
        "meeting__series__mentor_id",
        "meeting__series__kind",
        "scholar_id",
        "meeting__series__scholars",
        "rating",
    ):
        if by_scholar is not None:
            ratings[(mentor_id, by_scholar)][pk] = (starts_at, rating)
        elif kind == MeetingKind.ONE_ON_ONE and attendee is not None:
            ratings[(mentor_id, attendee)][pk] = (starts_at, rating)
    return ratings


def _primary_mentors(cohort: Cohort) -> dict[int, int]:
    return dict(
        Mentorship.objects.filter(scholar__cohort=cohort, role=Mentorship.Role.PRIMARY).values_list(
            "scholar_id", "mentor_id"
        )
    )


def check_in_records(*, cohort: Cohort, as_of: dt.datetime) -> list[CheckInRecord]:
    """Each active scholar's prompted weeks that have closed by ``as_of``, and the weeks they answered (3 queries).

    A prompt is only sent while its week is open (``dispatch`` skips it after), so every week here gave the
    scholar time to answer.
    """
    prompted: dict[int, set[dt.date]] = defaultdict(set)
    names: dict[int, str] = {}
    for scholar_id, name, zone, payload in Notification.objects.filter(
        ~Q(recipient_scholar__status__in=Scholar.INACTIVE_STATUSES),
        kind=Notification.Kind.CHECKIN_PROMPT,
        status=Notification.Status.SENT,
        recipient_scholar__cohort=cohort,
    ).values_list(
        "recipient_scholar_id", "recipient_scholar__name", "recipient_scholar__time_zone", "payload"
    ):
        week = dt.date.fromisoformat(payload["week_start"])
        if check_in_closes_at(week, zone) <= as_of:
            prompted[scholar_id].add(week)
            names[scholar_id] = name
    answered: dict[int, set[dt.date]] = defaultdict(set)
    for scholar_id, week in CheckIn.objects.filter(scholar_id__in=list(prompted)).values_list(
        "scholar_id", "week_start"
    ):
        answered[scholar_id].add(week)
    primary = _primary_mentors(cohort)
    return [
        CheckInRecord(
            scholar_id=scholar_id,
            scholar=names[scholar_id],
            mentor_id=primary.get(scholar_id),
            prompted_weeks=tuple(sorted(weeks)),
            answered_weeks=frozenset(answered[scholar_id]),
        )
        for scholar_id, weeks in sorted(prompted.items())
    ]


def cancellation_records(*, cohort: Cohort, as_of: dt.datetime, of_last: int) -> list[CancellationRecord]:
    """Each mentor's and active scholar's latest ``of_last`` meetings of the cohort, newest first, with those they
    cancelled themselves marked (4 queries).

    Their latest meetings are those due to have started by ``as_of``, and any later ones they have already
    cancelled (a cancellation counts when it is made). Meetings the cohort's calendar cancelled (a break, time
    away) are no one's choice and count for nothing. Only a person with a login can cancel.
    """
    if not of_last:
        return []
    rows = (
        Meeting.objects.filter(series__cohort=cohort, cancelled_by_calendar=False)
        .filter(Q(original_start__lte=as_of) | Q(status=Meeting.Status.CANCELLED, cancelled_by__isnull=False))
        .values_list(
            "pk", "original_start", "status", "cancelled_by_id", "series__mentor_id", "series__scholars"
        )
    )
    by_mentor: dict[int, dict[int, tuple]] = defaultdict(dict)
    by_scholar: dict[int, dict[int, tuple]] = defaultdict(dict)
    for pk, original_start, status, cancelled_by, mentor_id, scholar_id in rows:
        meeting = (original_start, status == Meeting.Status.CANCELLED, cancelled_by)
        by_mentor[mentor_id][pk] = meeting
        if scholar_id is not None:
            by_scholar[scholar_id][pk] = meeting

    def latest(meetings: dict[int, tuple], user_id: int) -> tuple[bool, ...]:
        own = [
            (start, cancelled and by == user_id)
            for start, cancelled, by in meetings.values()
            if start <= as_of or by == user_id
        ]
        return tuple(mine for _, mine in sorted(own, reverse=True)[:of_last])

    records = [
        CancellationRecord(name=name, latest=latest(by_mentor[pk], user_id), mentor_id=pk)
        for pk, name, user_id in Mentor.objects.filter(pk__in=list(by_mentor), user__isnull=False)
        .order_by("pk")
        .values_list("pk", "name", "user_id")
    ]
    primary = _primary_mentors(cohort)
    records += [
        CancellationRecord(
            name=name, latest=latest(by_scholar[pk], user_id), mentor_id=primary.get(pk), scholar_id=pk
        )
        for pk, name, user_id in Scholar.objects.filter(pk__in=list(by_scholar), user__isnull=False)
        .exclude(status__in=Scholar.INACTIVE_STATUSES)
        .order_by("pk")
        .values_list("pk", "name", "user_id")
    ]
    return records

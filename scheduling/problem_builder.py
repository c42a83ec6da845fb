"""From database rows to the planner's pure PlanningProblem: cadence × mentorships, availability, calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.models import Cohort, MeetingLimits
from mentors.models import Mentor
from scheduling.models import MeetingSeries
from scheduling.planner import (
    BusyTime,
    CohortCalendar,
    DailyHours,
    DateRange,
    Demand,
    ExtraHours,
    Limits,
    Person,
    PlanningProblem,
    PreferenceWeights,
    PublishedSlot,
    Window,
)
from scholars.models import Blackout, BusyBlock, Mentorship, Scholar
from scholars.models import ExtraHours as ExtraHoursRow


@dataclass(frozen=True)
class Unschedulable:
    """A mentor whose meetings cannot even be asked for, and why."""

    organiser: str
    name: str
    reason: str


@dataclass(frozen=True)
class CohortProblem:
    problem: PlanningProblem
    unschedulable: tuple[Unschedulable, ...]
    cadence_used: dict[str, str]  # mentor slug -> description, saying when the cohort default applied


def mentor_key(mentor: Mentor) -> str:
    return f"mentor:{mentor.slug}"


def scholar_key(scholar: Scholar) -> str:
    return f"scholar:{scholar.slug}"


def _whole_days_away(blackouts: Iterable[Blackout]) -> tuple[DateRange, ...]:
    """The days a person is away all day: what the planner's notes count (part of a day is a busy time instead)."""
    return tuple(DateRange(start=b.start_date, end=b.end_date) for b in blackouts if not b.is_part_day)


def _hours_away(blackouts: Iterable[Blackout], time_zone: str) -> tuple[BusyTime, ...]:
    """Time away for part of a day (a half-day trip, a late start), as a busy time on each of its days in the
    person's zone: a meeting there would be cancelled on that date, so the planner avoids it like a busy time."""
    zone = ZoneInfo(time_zone)
    found = []
    for blackout in blackouts:
        if not blackout.is_part_day:
            continue
        day = blackout.start_date
        while day <= blackout.end_date:
            found.append(BusyTime(*blackout.hours_on(day, zone), away=True))
            day += dt.timedelta(days=1)
    return tuple(found)


def busy_times(
    cohort: Cohort, mentors: Iterable[Mentor], scholars: Iterable[Scholar]
) -> dict[str, list[BusyTime]]:
    """What people's own calendars say about the cohort's dates, by person key, in one query."""
    first = dt.datetime.combine(cohort.start_date - dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC)
    last = dt.datetime.combine(cohort.end_date + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC)
    mentor_keys = {mentor.pk: mentor_key(mentor) for mentor in mentors}
    scholar_keys = {scholar.pk: scholar_key(scholar) for scholar in scholars}
    blocks = BusyBlock.objects.filter(
        Q(source__mentor_id__in=mentor_keys) | Q(source__scholar_id__in=scholar_keys),
        starts_at__lt=last,
        ends_at__gt=first,
    ).values_list("source__mentor_id", "source__scholar_id", "starts_at", "ends_at")
    found: dict[str, list[BusyTime]] = defaultdict(list)
    for mentor_id, scholar_id, start, end in blocks:
        key = mentor_keys[mentor_id] if mentor_id else scholar_keys[scholar_id]
        found[key].append(BusyTime(start, end))
    return found


def limits_of(row: MeetingLimits) -> Limits:
    return Limits(
        buffer_minutes=row.meeting_buffer_minutes,
        meetings_per_day=row.max_meetings_per_day,
        meetings_per_week=row.max_meetings_per_week,
        minutes_per_day=row.max_meeting_minutes_per_day,
        minutes_per_week=row.max_meeting_minutes_per_week,
        earliest=row.earliest_meeting_start,
        latest=row.latest_meeting_end,
        days_off=frozenset(row.meeting_free_days),
    )


def preferences_of(cohort: Cohort) -> PreferenceWeights:
    return PreferenceWeights(
        preferred_day=cohort.weight_preferred_day,
        preferred_hours=cohort.weight_preferred_hours,
        fair_share=cohort.weight_fair_share,
        mid_window=cohort.weight_mid_window,
    )


def usual_hours_of(cohort: Cohort) -> DailyHours:
    return DailyHours(cohort.usual_hours_start, cohort.usual_hours_end)


def preferred_hours_of(row: MeetingLimits, usual: DailyHours | None) -> DailyHours | None:
    """The person's own preferred hours, or the cohort's usual hours when they give none."""
    if row.preferred_meeting_start is None or row.preferred_meeting_end is None:
        return usual
    return DailyHours(row.preferred_meeting_start, row.preferred_meeting_end)


def mentor_person(mentor: Mentor, *, usual_hours: DailyHours | None = None) -> Person:
    away = list(mentor.blackouts.all())
    return Person(
        key=mentor_key(mentor),
        name=mentor.name,
        time_zone=mentor.time_zone,
        windows=tuple(
            Window(weekday=a.weekday, start=a.start_time, end=a.end_time) for a in mentor.availability.all()
        ),
        extra_hours=_extra_hours(mentor),
        blackouts=_whole_days_away(away),
        busy=_hours_away(away, mentor.time_zone),
        limits=limits_of(mentor),
        preferred_hours=preferred_hours_of(mentor, usual_hours),
    )


def _extra_hours(person: Mentor | Scholar) -> tuple[ExtraHours, ...]:
    return tuple(ExtraHours(e.date, e.start_time, e.end_time) for e in person.extra_hours.all())


def scholar_person(scholar: Scholar, *, usual_hours: DailyHours | None = None) -> Person:
    away = list(scholar.blackouts.all())
    return Person(
        key=scholar_key(scholar),
        name=scholar.name,
        time_zone=scholar.time_zone,
        windows=tuple(
            Window(weekday=day, start=scholar.work_start, end=scholar.work_end) for day in scholar.work_days
        ),
        extra_hours=_extra_hours(scholar),
        blackouts=_whole_days_away(away),
        busy=_hours_away(away, scholar.time_zone),
        limits=limits_of(scholar),
        preferred_hours=preferred_hours_of(scholar, usual_hours),
    )


def build_cohort_problem(*, cohort: Cohort, time_limit_seconds: float) -> CohortProblem:
    """Gather a cohort's demands in a fixed number of queries.

    Each mentor's cadence applies (or the cohort's default when the mentor's is unspecified): a 1-on-1 demand per
    mentorship (co-mentors too), a group or stand-up demand per mentor with all their active scholars, a team
    demand per team. Withdrawn and alumni scholars ask for nothing.
    """
    cohort_dates = ExtraHoursRow.objects.filter(
        date__gte=cohort.start_date - dt.timedelta(days=1), date__lte=cohort.end_date + dt.timedelta(days=1)
    )
    mentorships = list(
        Mentorship.objects.filter(scholar__cohort=cohort)
        .exclude(scholar__status__in=Scholar.INACTIVE_STATUSES)
        .select_related("mentor", "scholar")
        .prefetch_related(
            "mentor__availability",
            # Only the cohort's dates: extra hours from other cohorts or long past shape nothing here.
            *(
                Prefetch(f"{person}__extra_hours", queryset=cohort_dates.all())
                for person in ("mentor", "scholar")
            ),
            "mentor__blackouts",
            "scholar__blackouts",
        )
        .order_by("mentor__slug", "scholar__slug")
    )
    teams = list(cohort.teams.prefetch_related("members").order_by("pk"))
    scholars_of: dict[int, list[Scholar]] = {}
    mentors: dict[int, Mentor] = {}
    people: dict[str, Person] = {}
    usual_hours = usual_hours_of(cohort)
    for mentorship in mentorships:
        mentors[mentorship.mentor_id] = mentorship.mentor
        scholars_of.setdefault(mentorship.mentor_id, []).append(mentorship.scholar)
        people.setdefault(
            mentor_key(mentorship.mentor), mentor_person(mentorship.mentor, usual_hours=usual_hours)
        )
        people.setdefault(
            scholar_key(mentorship.scholar), scholar_person(mentorship.scholar, usual_hours=usual_hours)
        )
    busy = busy_times(cohort, mentors.values(), (m.scholar for m in mentorships))
    people = {
        key: replace(person, busy=person.busy + tuple(busy.get(key, ()))) for key, person in people.items()
    }

    default = cohort.cadence_default
    demands: list[Demand] = []
    unschedulable: list[Unschedulable] = []
    cadence_used: dict[str, str] = {}
    for mentor in sorted(mentors.values(), key=lambda m: m.slug):
        cadence, origin = _cadence_for(mentor, default)
        cadence_used[mentor.slug] = f"{cadence.describe()}{origin}"
        if not cadence.is_specified:
            unschedulable.append(
                Unschedulable(
                    organiser=mentor_key(mentor),
                    name=mentor.name,
                    reason=f"{mentor.name}'s cadence is unspecified and the cohort has no default cadence: "
                    "set one in the admin.",
                )
            )
            continue
        for demand in cadence.demands:
            demands.extend(
                _demands_for(
                    mentor,
                    demand,
                    scholars=scholars_of[mentor.pk],
                    teams=[t for t in teams if t.mentor_id == mentor.pk],
                    default_minutes=cohort.default_meeting_minutes,
                )
            )

    # A slot whose attendees changed over time is several series (one per stretch): it is one published slot.
    published = tuple(
        dict.fromkeys(
            PublishedSlot(
                demand_key=s.demand_key, weekday=s.weekday, start=s.start_time, week_parity=s.week_parity
            )
            for s in MeetingSeries.objects.filter(cohort=cohort, status=MeetingSeries.Status.ACTIVE).order_by(
                "pk"
            )
        )
    )
    calendar = CohortCalendar(
        start=cohort.start_date,
        end=cohort.end_date,
        time_zone=cohort.time_zone,
        breaks=tuple(DateRange(start=b.start_date, end=b.end_date) for b in cohort.breaks.all()),
    )
    known = set(people)
    problem = PlanningProblem(
        people=tuple(people.values()),
        demands=tuple(d for d in demands if set(d.attendees) <= known),
        calendar=calendar,
        published=tuple(p for p in published if any(d.key == p.demand_key for d in demands)),
        time_limit_seconds=time_limit_seconds,
        preferences=preferences_of(cohort),
    )
    return CohortProblem(problem=problem, unschedulable=tuple(unschedulable), cadence_used=cadence_used)


def _cadence_for(mentor: Mentor, default: Cadence) -> tuple[Cadence, str]:
    own = mentor.cadence_value
    if own.is_specified:
        return own, ""
    return default, " (cohort default)" if default.is_specified else ""


def _demands_for(
    mentor: Mentor,
    demand: MeetingDemand,
    *,
    scholars: list[Scholar],
    teams: list,
    default_minutes: int,
) -> list[Demand]:
    minutes = demand.duration_minutes or default_minutes
    organiser = mentor_key(mentor)

    def make(key: str, attendees: list[str], label: str) -> Demand:
        return Demand(
            key=key,
            kind=demand.kind,
            organiser=organiser,
            attendees=(organiser, *attendees),
            per_week_min=demand.per_week_min,
            per_week_max=demand.per_week_max,
            duration_minutes=minutes,
            time_zone=mentor.time_zone,
            label=label,
            preferred_weekdays=frozenset(mentor.preferred_weekdays),
        )

    if demand.kind == MeetingKind.ONE_ON_ONE:
        return [
            make(f"one_on_one:{mentor.slug}:{s.slug}", [scholar_key(s)], f"{mentor.name} ↔ {s.name} (1-on-1)")
            for s in scholars
        ]
    if demand.kind == MeetingKind.TEAM:
        return [
            make(
                f"team:{team.pk}",
                [scholar_key(s) for s in team.members.all() if s in scholars],
                f"{team.name} with {mentor.name}",
            )
            for team in teams
            if any(s in scholars for s in team.members.all())
        ]
    label = "group meeting" if demand.kind == MeetingKind.GROUP else "stand-up"
    return [
        make(
            f"{demand.kind.value}:{mentor.slug}",
            [scholar_key(s) for s in scholars],
            f"{mentor.name}'s {label}",
        )
    ]

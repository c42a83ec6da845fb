"""A synthetic cohort as a PlanningProblem, from a seeded RNG: same seed, same cohort.

Shaped like a real one: mentors in streams, about four scholars each, most scholars in their mentor's zone and
the rest in another zone with hours stretched towards the mentor's; some scholars with a co-mentor from the same
stream who joins their 1-on-1s; teams of two or three; mixed cadences (weekly, 2-3x, every other week, daily
stand-up, group meetings). The calendar runs January to April so both spring clock changes fall inside it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cohort.cadence import MeetingKind
from scheduling.planner.problem import (
    BusyTime,
    CohortCalendar,
    DailyHours,
    DateRange,
    Demand,
    Person,
    PlanningProblem,
    Window,
)

ZONES = ("Europe/London", "America/Los_Angeles", "America/New_York")
ZONE_WEIGHTS = (0.45, 0.35, 0.20)
# Hours after London: used to stretch a remote scholar's day towards the mentor's.
ZONE_LAG = {"Europe/London": 0, "America/New_York": 5, "America/Los_Angeles": 8, "Asia/Kolkata": -5}

FIRST_NAMES = (
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Claude", "Donald", "Frances", "John", "Katherine", "Leslie",
    "Margaret", "Niklaus", "Radia", "Shafi", "Tim", "Vint", "Yoshua", "Zoe", "Irene",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Shannon", "Knuth", "Allen", "McCarthy", "Johnson",
    "Lamport", "Hamilton", "Wirth", "Perlman", "Goldwasser", "Berners-Lee", "Cerf", "Bengio", "Chen", "Sharkey",
)  # fmt: skip


@dataclass(frozen=True)
class CohortShape:
    mentors: int = 150
    scholars: int = 600
    streams: int = 12
    co_mentored_share: float = 0.15
    team_share: float = 0.3
    zones: tuple[str, ...] = ZONES
    zone_weights: tuple[float, ...] = ZONE_WEIGHTS
    remote_scholar_share: float = 0.3


def synthetic_problem(
    seed: int = 0, shape: CohortShape | None = None, *, time_limit_seconds: float = 60, workers: int = 2
) -> PlanningProblem:
    shape = shape or CohortShape()
    rng = random.Random(seed)
    mentors = [_mentor(rng, index, shape) for index in range(shape.mentors)]
    stream_of = {mentor.key: index % shape.streams for index, mentor in enumerate(mentors)}

    scholars: list[Person] = []
    scholars_of: dict[str, list[Person]] = {mentor.key: [] for mentor in mentors}
    for index in range(shape.scholars):
        # Every mentor gets at least one scholar, then the rest fall unevenly.
        mentor = mentors[index] if index < len(mentors) else rng.choice(mentors)
        scholar = _scholar(rng, index, mentor, shape)
        scholars.append(scholar)
        scholars_of[mentor.key].append(scholar)

    demands: list[Demand] = []
    for mentor in mentors:
        peers = [
            other
            for other in mentors
            if other is not mentor and stream_of[other.key] == stream_of[mentor.key]
        ]
        demands += _mentor_demands(rng, mentor, scholars_of[mentor.key], peers, shape)

    calendar = CohortCalendar(
        start=date(2025, 1, 6),
        end=date(2025, 4, 25),
        time_zone="Europe/London",
        breaks=(DateRange(date(2025, 2, 17), date(2025, 2, 21)),),
    )
    return PlanningProblem(
        people=tuple(mentors + scholars),
        demands=tuple(demands),
        calendar=calendar,
        time_limit_seconds=time_limit_seconds,
        workers=workers,
        seed=seed,
    )


def _name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {index}"


def _windows(days: list[int], start_hour: float, end_hour: float) -> tuple[Window, ...]:
    start = time(int(start_hour), int(start_hour % 1 * 60))
    end = time(0) if end_hour >= 24 else time(int(end_hour), int(end_hour % 1 * 60))
    return tuple(Window(day, start, end) for day in days)


def _mentor(rng: random.Random, index: int, shape: CohortShape) -> Person:
    zone = rng.choices(shape.zones, shape.zone_weights)[0]
    # Mentors are busy people: many give three or four days, some split their day around lunch.
    days = sorted(rng.sample(range(5), rng.choice((2, 3, 3, 4, 5))))
    start = rng.choice((8, 9, 9, 10, 10.5))
    end = start + rng.choice((4, 5, 6, 7))
    if end >= 15 and rng.random() < 0.3:
        windows = _windows(days, start, 12) + _windows(days, 13, end)
    else:
        windows = _windows(days, start, end)
    return Person(f"m{index:03d}", _name(rng, index), zone, windows)


def _scholar(rng: random.Random, index: int, mentor: Person, shape: CohortShape) -> Person:
    if rng.random() < shape.remote_scholar_share:
        zone = rng.choices(shape.zones, shape.zone_weights)[0]
    else:
        zone = mentor.time_zone
    start, end = rng.choice((8, 9, 9, 10)), rng.choice((17, 17, 18, 19))
    # Remote scholars shift their day towards their mentor's, as people in a cohort do.
    lag = ZONE_LAG[zone] - ZONE_LAG[mentor.time_zone]
    if lag > 0:
        start = max(6, start - min(lag, 3))
    elif lag < 0:
        end = min(22, end + min(-lag, 4))
    return Person(f"s{index:04d}", _name(rng, index), zone, _windows(list(range(5)), start, end))


ONE_ON_ONE_CADENCES = (
    # (per week min, max, minutes, weight)
    (1, 1, 60, 0.40),
    (2, 3, 30, 0.20),
    (0.5, 0.5, 60, 0.20),
    (1, 1, 30, 0.20),
)


def _mentor_demands(
    rng: random.Random, mentor: Person, scholars: list[Person], peers: list[Person], shape: CohortShape
) -> list[Demand]:
    low, high, minutes, _ = rng.choices(ONE_ON_ONE_CADENCES, [c[3] for c in ONE_ON_ONE_CADENCES])[0]
    demands = []
    for scholar in scholars:
        attendees = [mentor.key, scholar.key]
        if peers and rng.random() < shape.co_mentored_share:
            # Co-mentors mostly share a zone with the mentor: that is how such pairs usually form.
            nearby = [peer for peer in peers if peer.time_zone == mentor.time_zone] or peers
            attendees.append(rng.choice(nearby).key)
        demands.append(
            _demand(
                mentor,
                attendees,
                MeetingKind.ONE_ON_ONE,
                low,
                high,
                minutes,
                f"{mentor.name} ↔ {scholar.name}",
            )
        )
    if len(scholars) >= 4 and rng.random() < shape.team_share:
        half = len(scholars) // 2
        for number, team in enumerate((scholars[:half], scholars[half:]), start=1):
            keys = [mentor.key, *(s.key for s in team)]
            demands.append(_demand(mentor, keys, MeetingKind.TEAM, 1, 1, 60, f"{mentor.name} team {number}"))
    everyone = [mentor.key, *(s.key for s in scholars)]
    if len(scholars) >= 2 and rng.random() < 0.35:
        demands.append(_demand(mentor, everyone, MeetingKind.GROUP, 1, 1, 60, f"{mentor.name} group meeting"))
    if len(scholars) >= 2 and rng.random() < 0.1:
        demands.append(_demand(mentor, everyone, MeetingKind.STANDUP, 5, 5, 15, f"{mentor.name} stand-up"))
    return demands


def _demand(
    mentor: Person, attendees: list[str], kind: MeetingKind, low: float, high: float, minutes: int, title: str
) -> Demand:
    label = f"{title} (1-on-1)" if kind is MeetingKind.ONE_ON_ONE else title
    key = f"{mentor.key}:{kind.value}:{'+'.join(attendees[1:])}"
    return Demand(key, kind, mentor.key, tuple(attendees), low, high, minutes, mentor.time_zone, label)


# --- A stream document (the importer's benchmark) ------------------------------------------------------------

CADENCE_PHRASES = (
    "We meet weekly for a 1-on-1.",
    "Meeting 2-3x per week would be ideal.",
    "Every other week we hold a group meeting.",
    "Daily stand-up with the whole team, 15 minutes.",
    "Two 45-minute 1-on-1s per week.",
)
FILLER_WORDS = (
    "interpretability", "evaluations", "benchmarks", "circuits", "models", "experiments", "papers", "proofs",
    "agents", "training", "datasets", "robustness", "oversight", "scholars", "careful", "weekly", "results",
)  # fmt: skip
# The passage every section copies (a programme's boilerplate): one warning however many mentors share it.
BOILERPLATE = (
    "Scholars are expected to keep a research log, share it with the group each Friday, and read the reading "
    "list before the first week."
)


def synthetic_stream_document(
    seed: int, *, title: str, mentors: int, section_chars: int, first: int = 0
) -> str:
    """A stream document in the seed format: ``mentors`` sections of about ``section_chars`` characters each
    (a summary, a biography, a cadence bullet, the shared boilerplate and filler bullets), numbered from
    ``first`` so documents of one run name different mentors."""
    rng = random.Random(seed)
    parts = [f"{title}\n\nA synthetic stream for the importer's benchmark.\n\nMentors\n"]
    for index in range(first, first + mentors):
        given, family = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        bullets = [f"{given} works on {rng.choice(FILLER_WORDS)}.", rng.choice(CADENCE_PHRASES), BOILERPLATE]
        size = sum(len(bullet) for bullet in bullets)
        while size < section_chars:
            words = " ".join(rng.choice(FILLER_WORDS) for _ in range(rng.randint(8, 24)))
            bullets.append(f"{words.capitalize()}.")
            size += len(bullets[-1])
        body = "\n\n".join(f"  • {bullet}" for bullet in bullets)
        parts.append(
            f"\n{given} {family} {index}\nResearcher, Lab {index}\n\n{given} studies {rng.choice(FILLER_WORDS)}.\n\n"
            f"{body}\n"
        )
    return "".join(parts)


def with_one_off_busy_times(problem: PlanningProblem, per_week: int, seed: int = 0) -> PlanningProblem:
    """Each mentor's own calendar with ``per_week`` one-hour events a week that do not repeat: each falls on a
    random working hour of one of their days, every week of the cohort, on their own wall clock."""
    rng = random.Random(f"busy-{seed}")
    mondays = [problem.calendar.first_monday + timedelta(weeks=week) for week in range(18)]
    people = []
    for person in problem.people:
        if not person.key.startswith("m") or not per_week:
            people.append(person)
            continue
        zone = ZoneInfo(person.time_zone)
        busy = []
        for monday in mondays:
            for window in rng.choices(person.windows, k=per_week):
                hour = rng.randrange(window.start_minute, window.end_minute - 59, 30)
                start = datetime.combine(
                    monday + timedelta(days=window.weekday), time(hour // 60, hour % 60), zone
                )
                busy.append(BusyTime(start, start + timedelta(hours=1)))
        people.append(replace(person, busy=tuple(busy)))
    return replace(problem, people=tuple(people))


def with_preferred_hours(problem: PlanningProblem, hours: DailyHours) -> PlanningProblem:
    """Everyone prefers the same local hours, as they do when a cohort's usual hours stand for everyone's."""
    return replace(problem, people=tuple(replace(person, preferred_hours=hours) for person in problem.people))


def with_preferred_days(problem: PlanningProblem, per_mentor: int, seed: int = 0) -> PlanningProblem:
    """Each organiser prefers ``per_mentor`` of the days they work, drawn at random, for the meetings they hold (as
    mentors tick them, or accept them from their stream section)."""
    rng = random.Random(f"days-{seed}")
    people = problem.people_by_key
    preferred: dict[str, frozenset[int]] = {}
    for key in sorted({demand.organiser for demand in problem.demands}):
        days = sorted({window.weekday for window in people[key].windows})
        preferred[key] = frozenset(rng.sample(days, min(per_mentor, len(days))))
    demands = tuple(replace(d, preferred_weekdays=preferred[d.organiser]) for d in problem.demands)
    return replace(problem, demands=demands)


def with_hours_taken_away(problem: PlanningProblem, share: float, seed: int = 0) -> PlanningProblem:
    """A change to a running cohort: ``share`` of the mentors no longer meet on one of their days (a new teaching
    slot, say), drawn at random."""
    rng = random.Random(f"change-{seed}")
    mentors = [person.key for person in problem.people if person.key.startswith("m")]
    changed = set(rng.sample(mentors, round(len(mentors) * share)))
    people = []
    for person in problem.people:
        if person.key in changed and person.windows:
            day = rng.choice(sorted({window.weekday for window in person.windows}))
            person = replace(person, windows=tuple(w for w in person.windows if w.weekday != day))
        people.append(person)
    return replace(problem, people=tuple(people))

"""The planning problem and its result, as plain frozen dataclasses.

Conventions every part of the planner shares:
- A weekly slot is a weekday and a wall-clock start in its demand's zone; it recurs on every cohort date with
  that weekday (the local date in the demand's zone), except break dates.
- Weeks are counted from the Monday of the cohort's first week; an every-other-week slot with ``week_parity`` p
  meets in the weeks whose index modulo the interval is p.
- Availability windows are wall-clock hours in the person's own zone. A window ending at 00:00 ends at midnight.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from cohort.cadence import MeetingKind
from cohort.dates import WEEKDAY_NAMES, monday_of

MINUTES_PER_DAY = 24 * 60
# A weekly slot may fall on someone's busy time on at most one of its dates in this many.
BUSY_DATES_ONE_IN = 4
MAX_PREFERENCE_WEIGHT = 10


def busy_dates_tolerated(dates: int) -> int:
    """How many of a weekly slot's dates may fall on a time an attendee's own calendar shows them busy.

    One-off events are what a real calendar is full of: ruling a weekly slot out for each would leave busy people
    no slot at all. So a few are tolerated (each costs the plan, and is flagged as a clash once published), while
    a busy time that recurs weekly or fortnightly rules the slot out. Below four dates, none is tolerated.
    """
    return dates // BUSY_DATES_ONE_IN


def minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def time_of_minute(minute: int) -> time:
    return time(minute // 60, minute % 60)


class ClockSpan:
    """Hours in a day from ``start`` to ``end``, wall clock; as minutes of the day, an end of 00:00 is midnight (time
    has no 24:00)."""

    start: time
    end: time

    @property
    def start_minute(self) -> int:
        return minute_of_day(self.start)

    @property
    def end_minute(self) -> int:
        return minute_of_day(self.end) or MINUTES_PER_DAY


@dataclass(frozen=True)
class DateRange:
    """Inclusive on both ends, like a break or a blackout written on a calendar."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"date range ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Window(ClockSpan):
    """Weekly availability on one weekday (0 = Monday), wall clock in the person's own zone."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} is not 0 (Monday) .. 6 (Sunday)")
        if self.end_minute <= self.start_minute:
            raise ValueError(f"window {self.start}-{self.end} ends before it starts")


@dataclass(frozen=True, order=True)
class BusyTime:
    """[start, end), aware datetimes: a time the person's own calendar says they are busy, or (``away``) part of a
    day they marked as time away. A weekly slot may touch busy times on a few of its dates only
    (``busy_dates_tolerated``), and the planner avoids even those."""

    start: datetime
    end: datetime
    away: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"busy time {self.start}-{self.end} is not in a time zone")
        if self.end <= self.start:
            raise ValueError(f"busy time ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, order=True)
class ExtraHours(ClockSpan):
    """Hours on one date the person can meet beyond their weekly ones, wall clock in their own zone (a date
    override: "on 12 March I can also meet 18:00-20:00"). They join that day's weekly hours; limits still hold."""

    day: date
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end_minute <= self.start_minute:
            raise ValueError(
                f"extra hours {self.start:%H:%M}-{self.end:%H:%M} on {self.day} end before they start"
            )


@dataclass(frozen=True)
class Cap:
    """At most ``most`` meetings, or minutes of meetings, in one local day or week."""

    period: Literal["day", "week"]
    measure: Literal["meetings", "minutes"]
    most: int

    def weigh(self, duration_minutes: int) -> int:
        """What one meeting of that length counts against the cap."""
        return 1 if self.measure == "meetings" else duration_minutes

    def __str__(self) -> str:
        if self.measure == "meetings":
            amount = f"{self.most} meeting{'' if self.most == 1 else 's'}"
        else:
            hours, minutes = divmod(self.most, 60)
            amount = " ".join(
                part for part in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if part
            )
            amount += " of meetings"
        return f"{amount} a {self.period}"


@dataclass(frozen=True)
class Limits:
    """What a person allows of their meetings, on top of their hours; days and weeks are local (weeks from Monday).

    None means no limit. ``buffer_minutes`` is kept free before and after each meeting, between two of the person's
    meetings; around a busy time in their own calendar it widens the busy time (so, like it, it is avoided, and met
    on at most a few dates of a weekly slot). It does not apply at the edges of their hours.
    """

    buffer_minutes: int = 0
    meetings_per_day: int | None = None
    meetings_per_week: int | None = None
    minutes_per_day: int | None = None
    minutes_per_week: int | None = None
    earliest: time | None = None
    latest: time | None = None
    days_off: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.buffer_minutes <= 4 * 60:
            raise ValueError(f"buffer of {self.buffer_minutes} min is outside 0..240")
        caps = (self.meetings_per_day, self.meetings_per_week, self.minutes_per_day, self.minutes_per_week)
        if any(cap is not None and cap < 1 for cap in caps):
            raise ValueError("a limit on meetings or minutes must be at least 1")
        if not self.days_off <= set(range(7)):
            raise ValueError(f"days off {sorted(self.days_off)} are not weekdays 0 (Monday) .. 6 (Sunday)")
        if (
            self.earliest is not None
            and self.latest is not None
            and self.latest_minute <= self.earliest_minute
        ):
            raise ValueError(
                f"the latest end {self.latest:%H:%M} is not after the earliest start {self.earliest:%H:%M}"
            )

    @property
    def earliest_minute(self) -> int:
        return 0 if self.earliest is None else minute_of_day(self.earliest)

    @property
    def latest_minute(self) -> int:
        # As a window's end: 00:00 is midnight.
        return MINUTES_PER_DAY if self.latest is None else minute_of_day(self.latest) or MINUTES_PER_DAY

    def caps(self) -> tuple[Cap, ...]:
        """The limits on how much they meet, in a day or a week."""
        found: tuple[tuple[Literal["day", "week"], Literal["meetings", "minutes"], int | None], ...] = (
            ("day", "meetings", self.meetings_per_day),
            ("day", "minutes", self.minutes_per_day),
            ("week", "meetings", self.meetings_per_week),
            ("week", "minutes", self.minutes_per_week),
        )
        return tuple(Cap(period, measure, most) for period, measure, most in found if most is not None)

    def describe(self) -> str:
        """Every limit in words ("2 meetings a day; not before 10:00, 15 min buffer"), or "" when there is none."""
        buffer = f"{self.buffer_minutes} min buffer" if self.buffer_minutes else ""
        hours = ", ".join(part for part in (self.shaping_hours(), buffer) if part)
        return "; ".join(part for part in (", ".join(map(str, self.caps())), hours) if part)

    def shaping_hours(self) -> str:
        """The limits that close hours to meetings, in words: "not before 10:00, not on Fri"."""
        parts = []
        if self.earliest is not None:
            parts.append(f"not before {self.earliest:%H:%M}")
        if self.latest is not None:
            parts.append(f"not after {self.latest:%H:%M}")
        if self.days_off:
            parts.append("not on " + "/".join(WEEKDAY_NAMES[day] for day in sorted(self.days_off)))
        return ", ".join(parts)

    def trim(self, windows: tuple[Window, ...]) -> tuple[Window, ...]:
        """The windows left for meetings: none on days off, none before the earliest start or after the latest end."""
        kept = []
        for window in windows:
            start = max(window.start_minute, self.earliest_minute)
            end = min(window.end_minute, self.latest_minute)
            if window.weekday not in self.days_off and start < end:
                kept.append(
                    Window(window.weekday, time_of_minute(start), time_of_minute(end % MINUTES_PER_DAY))
                )
        return tuple(kept)


@dataclass(frozen=True)
class DailyHours(ClockSpan):
    """The same hours every day, wall clock in the person's own zone; an end of 00:00 is midnight."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end_minute <= self.start_minute:
            raise ValueError(f"hours {self.start:%H:%M}-{self.end:%H:%M} end before they start")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class PreferenceWeights:
    """What each soft preference is worth per meeting, for staff to see and set. Preferences rank below every other
    goal (meetings, minimums, kept published slots, fewer lost dates, fewer meeting days, fewer blocks): they only
    choose between plans equal in all of those.

    - ``preferred_day``: a meeting on a day its organiser prefers;
    - ``preferred_hours``: taken off for each attendee a meeting falls outside the preferred hours of;
    - ``fair_share``: taken off again for each such meeting after a person's first, times how many they already
      have, so the times outside people's hours are shared rather than always given to the same person (only while
      preferred hours weigh anything: at 0 both are off);
    - ``mid_window``: per grid step, up to two, away from the edges of the attendees' hours.
    """

    preferred_day: int = 3
    preferred_hours: int = 4
    fair_share: int = 2
    mid_window: int = 1

    def __post_init__(self) -> None:
        for name, weight in asdict(self).items():
            if not 0 <= weight <= MAX_PREFERENCE_WEIGHT:
                raise ValueError(f"weight {name} = {weight} is outside 0..{MAX_PREFERENCE_WEIGHT}")

    def describe(self) -> str:
        return (
            f"preferred day {self.preferred_day}, preferred hours {self.preferred_hours}, "
            f"fair share {self.fair_share}, away from the edges of people's hours {self.mid_window} a step"
        )


@dataclass(frozen=True)
class Person:
    """``windows`` are their weekly hours and ``extra_hours`` those they add on single dates; ``preferred_hours``:
    when they would rather meet, in their own zone (plans lean to them, within the hours they gave); None: no
    preference."""

    key: str
    name: str
    time_zone: str
    windows: tuple[Window, ...]
    blackouts: tuple[DateRange, ...] = ()
    busy: tuple[BusyTime, ...] = ()
    limits: Limits = Limits()
    preferred_hours: DailyHours | None = None
    extra_hours: tuple[ExtraHours, ...] = ()

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)

    @cached_property
    def meeting_windows(self) -> tuple[Window, ...]:
        """Their hours as their limits leave them for meetings."""
        return self.limits.trim(self.windows)


@dataclass(frozen=True)
class Demand:
    """One recurring meeting to place: who attends, how often, how long, in which zone it is written."""

    key: str
    kind: MeetingKind
    organiser: str
    attendees: tuple[str, ...]
    per_week_min: float
    per_week_max: float
    duration_minutes: int
    time_zone: str
    label: str
    # Weekdays (0 = Monday, in ``time_zone``) the organiser prefers: the planner leans to them, never at the cost
    # of a meeting, a kept slot, an extra meeting day or a block.
    preferred_weekdays: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.organiser not in self.attendees:
            raise ValueError(f"demand {self.key}: organiser {self.organiser} is not among its attendees")
        if len(set(self.attendees)) != len(self.attendees):
            raise ValueError(f"demand {self.key}: an attendee is listed twice")
        if self.per_week_min <= 0 or self.per_week_max < self.per_week_min:
            raise ValueError(f"demand {self.key}: per-week range {self.per_week_min}..{self.per_week_max}")
        if not 5 <= self.duration_minutes <= 8 * 60:
            raise ValueError(f"demand {self.key}: duration {self.duration_minutes} min is outside 5..480")
        if self.meetings_max > 7:
            raise ValueError(
                f"demand {self.key}: more than seven meetings a week cannot fall on distinct days"
            )
        ZoneInfo(self.time_zone)

    @property
    def interval_weeks(self) -> int:
        """1 for weekly or more often, 2 for every other week (0.5 a week): the same rule as the cadence's."""
        return round(1 / self.per_week_max) if self.per_week_max < 1 else 1

    @property
    def meetings_max(self) -> int:
        """Weekly slots wanted at most: 2-3x a week is up to 3 slots, every other week is 1 slot."""
        return math.ceil(self.per_week_max * self.interval_weeks - 1e-9)

    @property
    def meetings_min(self) -> int:
        return max(1, math.ceil(self.per_week_min * self.interval_weeks - 1e-9))


@dataclass(frozen=True)
class CohortCalendar:
    """The dates the plan must work on: start..end inclusive, minus breaks."""

    start: date
    end: date
    time_zone: str
    breaks: tuple[DateRange, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"cohort ends ({self.end}) before it starts ({self.start})")
        ZoneInfo(self.time_zone)

    @property
    def first_monday(self) -> date:
        return monday_of(self.start)

    def week_index(self, day: date) -> int:
        return (day - self.first_monday).days // 7

    def is_meeting_day(self, day: date) -> bool:
        return self.start <= day <= self.end and not any(day in pause for pause in self.breaks)

    def meeting_days(self) -> list[date]:
        span = (self.end - self.start).days + 1
        days = (self.start + timedelta(days=offset) for offset in range(span))
        return [day for day in days if self.is_meeting_day(day)]


@dataclass(frozen=True)
class PublishedSlot:
    demand_key: str
    weekday: int
    start: time
    week_parity: int | None = None


@dataclass(frozen=True)
class PlanningProblem:
    """Everything the planner needs.

    ``time_limit_seconds`` is CP-SAT deterministic time for the whole plan (about a wall second each on an idle
    machine, several on a loaded one), so the same problem gives the same plan. ``workers`` solve independent
    parts side by side. ``published`` slots are kept where they still fit, unless moving one places more.
    """

    people: tuple[Person, ...]
    demands: tuple[Demand, ...]
    calendar: CohortCalendar
    published: tuple[PublishedSlot, ...] = ()
    slot_minutes: int = 30
    time_limit_seconds: float = 20
    workers: int = 2
    seed: int = 0
    preferences: PreferenceWeights = PreferenceWeights()

    def __post_init__(self) -> None:
        if len(self.people_by_key) != len(self.people):
            raise ValueError("two people share a key")
        if len(self.demands_by_key) != len(self.demands):
            raise ValueError("two demands share a key")
        for demand in self.demands:
            unknown = [key for key in demand.attendees if key not in self.people_by_key]
            if unknown:
                raise ValueError(f"demand {demand.key}: unknown attendees {', '.join(unknown)}")
        if not 5 <= self.slot_minutes <= 120 or MINUTES_PER_DAY % self.slot_minutes:
            raise ValueError(f"slot length {self.slot_minutes} min must divide a day and be 5..120")

    @cached_property
    def people_by_key(self) -> dict[str, Person]:
        return {person.key: person for person in self.people}

    @cached_property
    def demands_by_key(self) -> dict[str, Demand]:
        return {demand.key: demand for demand in self.demands}

    def restricted_to(self, demand_keys: Collection[str]) -> PlanningProblem:
        """The same problem with only these demands, the people they bring together and their published slots:
        for an independent part (``solver.independent_parts``), whose plan is the same solved from it alone."""
        keys = set(demand_keys)
        demands = tuple(demand for demand in self.demands if demand.key in keys)
        present = {key for demand in demands for key in (demand.organiser, *demand.attendees)}
        return replace(
            self,
            people=tuple(person for person in self.people if person.key in present),
            demands=demands,
            published=tuple(slot for slot in self.published if slot.demand_key in keys),
        )


@dataclass(frozen=True)
class WeeklySlot:
    weekday: int
    start: time
    duration_minutes: int
    week_parity: int | None = None
    # Of the dates it falls on, those on an attendee's busy time (own calendar): each a clash once published.
    busy_dates: int = 0


@dataclass(frozen=True)
class Placement:
    demand_key: str
    meetings: tuple[WeeklySlot, ...]


@dataclass(frozen=True)
class Unplaced:
    """A demand that got fewer meetings than it wanted (its minimum, or in ``below_max`` its maximum), with a
    reason staff can act on."""

    demand_key: str
    placed: int
    wanted_min: int
    wanted_max: int
    reason: str


@dataclass(frozen=True)
class OrganiserSummary:
    organiser: str
    name: str
    demands: int
    wanted_min: int
    wanted_max: int
    placed: int


@dataclass(frozen=True)
class ObjectiveParts:
    """A plan's goals counted one by one, in the order the planner ranks them (each outranks everything after it,
    and the preferences at the end are weighed by ``PreferenceWeights``), so staff can see what a plan traded."""

    meetings: int  # weekly meetings placed
    short_of_minimum: int  # meetings demands still lack to reach their minimum
    published_kept: int  # published slots kept as they were
    lost_dates: int  # meeting dates on someone's busy time, or with someone away all day
    meeting_days: int  # days on which an organiser meets, summed over organisers
    blocks: int  # runs of back-to-back meetings in organisers' days
    on_preferred_days: int  # meetings on a day their organiser prefers
    off_hours: int  # meetings outside an attendee's preferred hours, once per such attendee
    off_hours_most: int  # the most of those any one person has
    off_hours_people: int  # people with at least one
    mid_window_steps: int  # grid steps away from the edges of the attendees' hours, up to two a meeting

    LABELS: ClassVar[dict[str, str]] = {
        "meetings": "weekly meetings placed",
        "short_of_minimum": "meetings short of the minimums",
        "published_kept": "published slots kept",
        "lost_dates": "dates lost to busy times or days away",
        "meeting_days": "organisers' meeting days",
        "blocks": "blocks of back-to-back meetings",
        "on_preferred_days": "meetings on a preferred day",
        "off_hours": "meetings outside someone's preferred hours",
        "off_hours_most": "most of those for one person",
        "off_hours_people": "people with any",
        "mid_window_steps": "steps away from the edges of people's hours",
    }

    def rows(self) -> list[tuple[str, int]]:
        """(what, count) in rank order, as people read them."""
        return [(self.LABELS[name], count) for name, count in asdict(self).items()]


@dataclass(frozen=True)
class PlanResult:
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    summary: tuple[OrganiserSummary, ...]
    solver_status: str
    objective: int
    wall_seconds: float
    notes: tuple[str, ...] = field(default=())
    # Demands at or above their minimum but short of their maximum ("2 of 2-3x"), with why no more fit.
    below_max: tuple[Unplaced, ...] = field(default=())
    # What the solver proved no plan can beat, on the objective's scale; None when nothing was proven (first-fit).
    objective_bound: int | None = None
    objective_parts: ObjectiveParts | None = None
    preferences: PreferenceWeights = PreferenceWeights()

    @property
    def gap(self) -> float | None:
        """How far below the proven bound the plan may be, as a share of the bound: 0 when proven optimal."""
        if self.objective_bound is None:
            return None
        return max(self.objective_bound - self.objective, 0) / max(abs(self.objective_bound), 1)

    @property
    def solver_summary(self) -> str:
        """The status as people read it: OPTIMAL, or how far from the proven bound the plan may be."""
        if self.solver_status == "OPTIMAL" or not self.gap:
            return self.solver_status
        percent = self.gap * 100
        shown = "0.01 %" if percent < 0.01 else f"{percent:.2f} %"
        return f"{self.solver_status}, within {shown} of the proven bound"

    @property
    def meetings_placed(self) -> int:
        return sum(len(placement.meetings) for placement in self.placements)

    def placement_for(self, demand_key: str) -> Placement | None:
        return next((p for p in self.placements if p.demand_key == demand_key), None)

    def to_dict(self) -> dict:
        """JSON-ready form, for storing a plan run."""
        return {
            "placements": [
                {
                    "demand_key": placement.demand_key,
                    "meetings": [
                        {
                            "weekday": slot.weekday,
                            "start": slot.start.strftime("%H:%M"),
                            "duration_minutes": slot.duration_minutes,
                            "week_parity": slot.week_parity,
                            "busy_dates": slot.busy_dates,
                        }
                        for slot in placement.meetings
                    ],
                }
                for placement in self.placements
            ],
            "unplaced": [asdict(item) for item in self.unplaced],
            "below_max": [asdict(item) for item in self.below_max],
            "summary": [asdict(item) for item in self.summary],
            "solver_status": self.solver_status,
            "solver_summary": self.solver_summary,
            "objective": self.objective,
            "objective_bound": self.objective_bound,
            "gap": self.gap,
            "wall_seconds": round(self.wall_seconds, 3),
            "notes": list(self.notes),
            "objective_parts": self.objective_parts and asdict(self.objective_parts),
            "preferences": asdict(self.preferences),
        }

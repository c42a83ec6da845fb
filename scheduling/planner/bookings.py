"""Each person's booked meetings while a plan is built or explained, and what their limits still allow.

First-fit books through it, and explanations ask it why a slot is closed, so both apply a person's buffer and
their daily and weekly caps the way the CP-SAT model does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from scheduling.planner.problem import MINUTES_PER_DAY, Cap
from scheduling.planner.slots import Candidate, CandidateFinder, Interval, local_week


class Bookings:
    def __init__(self, finder: CandidateFinder) -> None:
        self.finder = finder
        self.people = finder.problem.people_by_key
        # Meetings bucketed by UTC day, so a check only looks at nearby ones.
        self._booked: dict[str, dict[int, list[Interval]]] = defaultdict(lambda: defaultdict(list))
        self._load: dict[str, Counter[tuple[Cap, int]]] = defaultdict(Counter)

    @classmethod
    def of(cls, finder: CandidateFinder, chosen: dict[str, list[Candidate]], *, but: str = "") -> Bookings:
        """The meetings chosen for every demand; those of ``but`` count towards caps only (its other slots are
        what is asked about, so its own meetings are no clash with them, but they do fill the day and the week)."""
        bookings = cls(finder)
        demands = finder.problem.demands_by_key
        for demand_key, picked in chosen.items():
            for candidate in picked:
                bookings.book(demands[demand_key].attendees, candidate, caps_only=demand_key == but)
        return bookings

    def clashes(self, person: str, occurrences: Iterable[Interval]) -> bool:
        """Whether any occurrence overlaps one of the person's meetings, or comes within their buffer of it."""
        booked = self._booked.get(person)
        if booked is None:
            return False
        buffer = self.people[person].limits.buffer_minutes
        for start, end in occurrences:
            # Meetings and buffers are shorter than a day, so only the neighbouring days can hold a clash.
            for bucket in range(
                (start - buffer) // MINUTES_PER_DAY - 1, (end + buffer) // MINUTES_PER_DAY + 1
            ):
                if any(
                    start < other_end + buffer and other_start < end + buffer
                    for other_start, other_end in booked.get(bucket, ())
                ):
                    return True
        return False

    def cap_reached(self, person: str, candidate: Candidate) -> Cap | None:
        """The first of the person's caps the candidate's meetings would exceed, if any."""
        load = self._load.get(person, Counter())
        for cap, period, weight in self._weights(person, candidate):
            if load[(cap, period)] + weight > cap.most:
                return cap
        return None

    def fits(self, people: Iterable[str], candidate: Candidate) -> bool:
        return all(
            not self.clashes(key, candidate.occurrences) and self.cap_reached(key, candidate) is None
            for key in people
        )

    def book(self, people: Iterable[str], candidate: Candidate, *, caps_only: bool = False) -> None:
        for key in people:
            if not caps_only:
                for start, end in candidate.occurrences:
                    self._booked[key][start // MINUTES_PER_DAY].append((start, end))
            for cap, period, weight in self._weights(key, candidate):
                self._load[key][(cap, period)] += weight

    def _weights(self, person: str, candidate: Candidate) -> list[tuple[Cap, int, int]]:
        """What the candidate adds to each of the person's caps, per local day or week it falls in."""
        caps = self.people[person].limits.caps()
        if not caps:
            return []
        days = self.finder.local_days(person, candidate.occurrences)
        found: Counter[tuple[Cap, int]] = Counter()
        for cap in caps:
            for day in days:
                found[(cap, day if cap.period == "day" else local_week(day))] += cap.weigh(
                    candidate.duration_minutes
                )
        return [(cap, period, weight) for (cap, period), weight in found.items()]

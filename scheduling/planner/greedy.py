"""First-fit baseline: demands in order, each takes the first free slots that keep the hard constraints.

It keeps published slots first (so a re-plan moves nothing that still fits), then fills the rest. The CP-SAT
planner starts from this plan as a hint and falls back to it if it finds nothing better.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict

from scheduling.planner.outcome import assemble_result
from scheduling.planner.problem import MINUTES_PER_DAY, Demand, PlanningProblem, PlanResult
from scheduling.planner.slots import (
    Candidate,
    CandidateFinder,
    Interval,
    candidate_key,
    published_keys,
    spread_allows,
)


class Occupancy:
    """Each person's booked UTC intervals, bucketed by UTC day so a check only looks at nearby bookings."""

    def __init__(self) -> None:
        self._booked: dict[str, dict[int, list[Interval]]] = defaultdict(lambda: defaultdict(list))

    def is_free(self, people: tuple[str, ...], occurrences: tuple[Interval, ...]) -> bool:
        for key in people:
            booked = self._booked.get(key)
            if booked is None:
                continue
            for start, end in occurrences:
                # Meetings are shorter than a day, so only the neighbouring days can hold a clash.
                for bucket in range(start // MINUTES_PER_DAY - 1, end // MINUTES_PER_DAY + 1):
                    if any(
                        start < other_end and other_start < end
                        for other_start, other_end in booked.get(bucket, ())
                    ):
                        return False
        return True

    def book(self, people: tuple[str, ...], occurrences: tuple[Interval, ...]) -> None:
        for key in people:
            for start, end in occurrences:
                self._booked[key][start // MINUTES_PER_DAY].append((start, end))


def first_fit(problem: PlanningProblem, candidates: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
    """Chosen candidates per demand key: published slots that still fit, then first fits in demand order."""
    occupancy = Occupancy()
    chosen: dict[str, list[Candidate]] = {demand.key: [] for demand in problem.demands}
    kept = published_keys(problem)

    def try_take(demand: Demand, candidate: Candidate) -> None:
        picked = chosen[demand.key]
        if len(picked) >= demand.meetings_max:
            return
        if not spread_allows([c.weekday for c in picked] + [candidate.weekday], demand.meetings_max):
            return
        if occupancy.is_free(demand.attendees, candidate.occurrences):
            occupancy.book(demand.attendees, candidate.occurrences)
            picked.append(candidate)

    for demand in problem.demands:
        for candidate in candidates[demand.key]:
            if candidate_key(candidate) in kept:
                try_take(demand, candidate)
    for demand in problem.demands:
        for candidate in candidates[demand.key]:
            try_take(demand, candidate)
    return chosen


def plan_first_fit(problem: PlanningProblem) -> PlanResult:
    started = clock.perf_counter()
    finder = CandidateFinder(problem)
    candidates = {demand.key: finder.candidates(demand) for demand in problem.demands}
    chosen = first_fit(problem, candidates)
    placed = sum(len(picked) for picked in chosen.values())
    return assemble_result(finder, candidates, chosen, status="FIRST_FIT", objective=placed, started=started)

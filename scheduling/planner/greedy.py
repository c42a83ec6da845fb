"""First-fit baseline: demands in order, each takes the first free slots that keep the hard constraints.

It keeps published slots first (so a re-plan moves nothing that still fits), then fills the rest. The CP-SAT
planner starts from this plan as a hint and falls back to it if it finds nothing better.
"""

from __future__ import annotations

import time as clock

from scheduling.planner.bookings import Bookings
from scheduling.planner.outcome import assemble_result
from scheduling.planner.problem import Demand, PlanningProblem, PlanResult
from scheduling.planner.slots import Candidate, CandidateFinder, candidate_key, published_keys, spread_allows


def first_fit(finder: CandidateFinder, candidates: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
    """Chosen candidates per demand key: published slots that still fit, then first fits in demand order."""
    problem = finder.problem
    bookings = Bookings(finder)
    chosen: dict[str, list[Candidate]] = {demand.key: [] for demand in problem.demands}
    kept = published_keys(problem)

    def try_take(demand: Demand, candidate: Candidate) -> None:
        picked = chosen[demand.key]
        if len(picked) >= demand.meetings_max:
            return
        if not spread_allows([c.weekday for c in picked] + [candidate.weekday], demand.meetings_max):
            return
        if bookings.fits(demand.attendees, candidate):
            bookings.book(demand.attendees, candidate)
            picked.append(candidate)

    for demand in problem.demands:
        for candidate in candidates[demand.key]:
            if candidate_key(candidate) in kept:
                try_take(demand, candidate)
    weighs_hours = problem.preferences.preferred_hours > 0
    for demand in problem.demands:
        # Slots that lose the fewest dates to busy times and days away first, then (where they count) those inside
        # the most attendees' preferred hours; the sort is stable, so otherwise in order.
        for candidate in sorted(
            candidates[demand.key], key=lambda c: (c.lost_dates, weighs_hours * len(c.off_hours))
        ):
            try_take(demand, candidate)
    return chosen


def plan_first_fit(problem: PlanningProblem) -> PlanResult:
    started = clock.perf_counter()
    finder = CandidateFinder(problem)
    candidates = {demand.key: finder.candidates(demand) for demand in problem.demands}
    chosen = first_fit(finder, candidates)
    placed = sum(len(picked) for picked in chosen.values())
    return assemble_result(finder, candidates, chosen, status="FIRST_FIT", objective=placed, started=started)

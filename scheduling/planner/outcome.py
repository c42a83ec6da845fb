"""Turns the candidates a planner chose into a PlanResult: placements, explained shortfalls, per-organiser sums."""

from __future__ import annotations

import time as clock
from dataclasses import replace

from scheduling.planner.explain import explain_shortfall
from scheduling.planner.objective import objective_parts
from scheduling.planner.problem import OrganiserSummary, Placement, PlanResult, Unplaced
from scheduling.planner.slots import Candidate, CandidateFinder


def assemble_result(
    finder: CandidateFinder,
    candidates: dict[str, list[Candidate]],
    chosen: dict[str, list[Candidate]],
    *,
    status: str,
    objective: int,
    started: float,
    objective_bound: int | None = None,
    notes: tuple[str, ...] = (),
) -> PlanResult:
    problem = finder.problem
    placements, unplaced, below_max = [], [], []
    totals: dict[str, list[int]] = {}
    for demand in problem.demands:
        picked = sorted(chosen.get(demand.key, ()), key=lambda c: (c.weekday, c.start_minute))
        if picked:
            placements.append(Placement(demand.key, tuple(candidate.slot for candidate in picked)))
        if len(picked) < demand.meetings_min:
            reason = explain_shortfall(finder, demand, candidates[demand.key], chosen)
            unplaced.append(
                Unplaced(demand.key, len(picked), demand.meetings_min, demand.meetings_max, reason)
            )
        elif len(picked) < demand.meetings_max:
            # Why the next meeting did not fit: the same question with the maximum as the goal.
            at_most = replace(demand, per_week_min=demand.per_week_max)
            reason = explain_shortfall(finder, at_most, candidates[demand.key], chosen)
            below_max.append(
                Unplaced(demand.key, len(picked), demand.meetings_min, demand.meetings_max, reason)
            )
        counts = totals.setdefault(demand.organiser, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += demand.meetings_min
        counts[2] += demand.meetings_max
        counts[3] += len(picked)
    summary = tuple(
        OrganiserSummary(key, problem.people_by_key[key].name, *counts) for key, counts in totals.items()
    )
    return PlanResult(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        summary=summary,
        solver_status=status,
        objective=objective,
        objective_bound=objective_bound,
        wall_seconds=clock.perf_counter() - started,
        notes=notes,
        below_max=tuple(below_max),
        objective_parts=objective_parts(finder, chosen),
        preferences=problem.preferences,
    )

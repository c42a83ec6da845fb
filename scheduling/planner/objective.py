"""A plan's goals counted one by one, from the candidates it chose: what staff see of how a plan scored (and what
it traded), and what the benches compare. Counted directly, not read from the solver, so first-fit plans get them
too and a test can hold the CP-SAT model to them.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from scheduling.planner.problem import ObjectiveParts, PlanningProblem
from scheduling.planner.slots import Candidate, CandidateFinder, candidate_key, published_keys

MID_WINDOW_STEPS = 2  # a slot this many grid steps from every window edge counts as fully mid-window


def objective_parts(finder: CandidateFinder, chosen: dict[str, list[Candidate]]) -> ObjectiveParts:
    problem = finder.problem
    demands = problem.demands_by_key
    picked = [candidate for candidates in chosen.values() for candidate in candidates]
    kept = published_keys(problem)
    days, blocks = organiser_days_and_blocks(problem, picked)
    off_hours = Counter(person for candidate in picked for person in candidate.off_hours)
    return ObjectiveParts(
        meetings=len(picked),
        short_of_minimum=sum(
            max(demand.meetings_min - len(chosen.get(demand.key, ())), 0) for demand in problem.demands
        ),
        published_kept=sum(candidate_key(candidate) in kept for candidate in picked),
        lost_dates=sum(candidate.lost_dates for candidate in picked),
        meeting_days=days,
        blocks=blocks,
        on_preferred_days=sum(
            candidate.weekday in demands[candidate.demand_key].preferred_weekdays for candidate in picked
        ),
        off_hours=sum(off_hours.values()),
        off_hours_most=max(off_hours.values(), default=0),
        off_hours_people=len(off_hours),
        mid_window_steps=sum(
            min(candidate.edge_slack // problem.slot_minutes, MID_WINDOW_STEPS) for candidate in picked
        ),
    )


def organiser_days_and_blocks(problem: PlanningProblem, picked: list[Candidate]) -> tuple[int, int]:
    """Weekdays on which each organiser meets, and meetings no other of theirs ends just before (after their
    buffer, in a week both meet), summed over organisers: the rules the CP-SAT model scores."""
    by_organiser: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for candidate in picked:
        demand = problem.demands_by_key[candidate.demand_key]
        by_organiser[(demand.organiser, demand.time_zone)].append(candidate)
    days = blocks = 0
    for (organiser, _), meetings in by_organiser.items():
        days += len({candidate.weekday for candidate in meetings})
        buffer = problem.people_by_key[organiser].limits.buffer_minutes
        for candidate in meetings:
            blocks += not any(
                other.weekday == candidate.weekday
                and other.start_minute + other.duration_minutes + buffer == candidate.start_minute
                and (None in (other.phase, candidate.phase) or other.phase == candidate.phase)
                for other in meetings
            )
    return days, blocks

"""The CP-SAT planner: one boolean per candidate weekly slot, hard constraints as clauses, goals as weights.

1. Find each demand's candidate slots (slots.py): that is the availability constraint, checked on every date.
2. Plan first-fit (greedy.py): the hint, and the fallback should CP-SAT find nothing as good.
3. Split the demands into independent parts (people linked by shared demands). Parts share nobody, so solving
   each alone is exact; they solve side by side, each with time in proportion to its size. Time the parts
   proven optimal leave unused goes to the others in a second round that starts from their plans so far.
4. Per part, lexicographically (each weight exceeds everything below it): meetings placed, meetings counted
   towards each demand's minimum, published slots kept, fewer dates lost to someone's busy time (own calendar,
   part-day time away) or whole day away, fewer meeting days per organiser, fewer blocks
   (back-to-back meetings), then preferences weighed by the cohort's ``PreferenceWeights`` (the organiser's
   preferred weekdays, attendees' preferred hours with a growing cost for each person's further meetings outside
   them, distance from window edges). Blocks are what makes proofs slow, so a part is solved in two stages:
   first everything but blocks (usually proven in milliseconds), then blocks with the tiers above held at that
   optimum.

Reproducible: each solve uses a fixed seed and a deterministic time limit (CP-SAT's work counter, about a
second each on a typical idle machine); a part with several workers uses interleaved search, CP-SAT's
deterministic parallel mode. A wall-clock stop far above the limit only guards against a runaway.
"""

from __future__ import annotations

import math
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

from ortools.sat.python import cp_model

from scheduling.planner.greedy import first_fit
from scheduling.planner.objective import MID_WINDOW_STEPS
from scheduling.planner.outcome import assemble_result
from scheduling.planner.problem import Demand, PlanningProblem, PlanResult
from scheduling.planner.slots import (
    Candidate,
    CandidateFinder,
    SlotKey,
    candidate_key,
    local_week,
    published_keys,
)

MIN_SOLVE_SECONDS = 0.1  # enough for a small part to take its hint, and often to prove it optimal
WALL_SAFETY_FACTOR = 10.0  # a deterministic second runs longer on a loaded machine; this guards a runaway
# A short solve cut by the wall clock on a loaded machine would give another plan than the same solve elsewhere.
MIN_WALL_GUARD_SECONDS = 30.0
KEPT_HINT = "KEPT_HINT"

Choice = dict[str, list[Candidate]]
Terms = list[tuple[cp_model.IntVar, int]]


@dataclass
class PartOutcome:
    chosen: Choice
    status: str
    objective: int
    bound: int | None  # no plan of the part scores above it (upper and lower goals); None: nothing proven
    deterministic_seconds: float


def plan(problem: PlanningProblem) -> PlanResult:
    """Plan in this process: each round's parts solved side by side in threads."""
    planning = Planning(problem)
    with ThreadPoolExecutor(max_workers=max(1, problem.workers)) as pool:
        while jobs := planning.next_jobs():
            # map keeps the jobs' order, so nothing depends on which finishes first.
            planning.record(
                dict(zip([job.index for job in jobs], pool.map(planning.solve, jobs), strict=True))
            )
    return planning.result()


@dataclass(frozen=True)
class PartJob:
    """One round's work on one independent part: its demands, the plan it starts from (candidate keys per demand)
    and its share of the deterministic time. Solved in this process (``Planning.solve``) or, as plain values, in
    another (``solve_part_alone`` with ``problem.restricted_to(demand_keys)``)."""

    index: int
    demand_keys: tuple[str, ...]
    hint: dict[str, tuple[SlotKey, ...]]
    seconds: float
    workers: int


class Planning:
    """A plan in rounds, whoever solves the parts: the first round solves every part from the first-fit plan, each
    with time in proportion to its size; a second gives the time proven parts left unused to the others, starting
    from their plans so far. Rebuilt from the same problem and fed the same outcomes, it asks for the same jobs."""

    def __init__(self, problem: PlanningProblem) -> None:
        self.started = clock.perf_counter()
        self.problem = problem
        self.finder = CandidateFinder(problem)
        self.candidates = {demand.key: self.finder.candidates(demand) for demand in problem.demands}
        self.by_key = {candidate_key(c): c for found in self.candidates.values() for c in found}
        self.parts = independent_parts(problem, self.candidates)
        self.weights = [sum(len(self.candidates[demand.key]) for demand in part) for part in self.parts]
        self.workers_per_part = max(1, problem.workers // max(len(self.parts), 1))
        self.outcomes: dict[int, PartOutcome] = {}
        self.rounds = 0

    def next_jobs(self) -> list[PartJob]:
        """The next round's jobs; none once the plan is done."""
        limit = self.problem.time_limit_seconds
        if self.rounds == 0:
            return self._jobs(list(range(len(self.parts))), limit, first_fit(self.finder, self.candidates))
        used = sum(outcome.deterministic_seconds for outcome in self.outcomes.values())
        unproven = [index for index, outcome in self.outcomes.items() if outcome.status != "OPTIMAL"]
        if self.rounds > 1 or not unproven or limit - used < MIN_SOLVE_SECONDS:
            return []
        so_far = {key: picked for outcome in self.outcomes.values() for key, picked in outcome.chosen.items()}
        return self._jobs(unproven, limit - used, so_far)

    def _jobs(self, indices: list[int], seconds: float, hint: Choice) -> list[PartJob]:
        total = sum(self.weights[index] for index in indices)
        return [
            PartJob(
                index=index,
                demand_keys=tuple(demand.key for demand in self.parts[index]),
                hint={
                    demand.key: tuple(candidate_key(c) for c in hint[demand.key])
                    for demand in self.parts[index]
                },
                seconds=max(seconds * self.weights[index] / total, MIN_SOLVE_SECONDS),
                workers=self.workers_per_part,
            )
            for index in indices
        ]

    def solve(self, job: PartJob) -> PartOutcome:
        return _solve_job(self.finder, self.candidates, self.by_key, job)

    def record(self, outcomes: dict[int, PartOutcome]) -> None:
        """One round's outcomes, by part."""
        for index, outcome in outcomes.items():
            earlier = self.outcomes.get(index)
            if earlier is None:
                self.outcomes[index] = outcome
                continue
            # Both rounds' bounds hold; the lower one says more. A second round that kept its hint changed nothing.
            bound = _lower_bound_of(outcome.bound, earlier.bound)
            if outcome.status != KEPT_HINT:
                self.outcomes[index] = outcome
            self.outcomes[index].bound = bound
        self.rounds += 1

    def outcome_from_wire(self, data: dict) -> PartOutcome:
        """An outcome solved elsewhere (``outcome_to_wire``), in this plan's own candidates."""
        return PartOutcome(
            chosen={
                key: [self.by_key[(key, *slot)] for slot in slots] for key, slots in data["chosen"].items()
            },
            status=data["status"],
            objective=data["objective"],
            bound=data["bound"],
            deterministic_seconds=data["deterministic_seconds"],
        )

    def result(self) -> PlanResult:
        chosen: Choice = {}
        notes = []
        for index, outcome in sorted(self.outcomes.items()):
            chosen.update(outcome.chosen)
            if outcome.status == KEPT_HINT:
                notes.append(
                    f"kept the first-fit plan for the part with {self.parts[index][0].label}: "
                    "CP-SAT found no better"
                )
        objective = sum(outcome.objective for outcome in self.outcomes.values())
        bounds = [outcome.bound for outcome in self.outcomes.values()]
        bound = None if None in bounds else sum(bounds)
        proven = {outcome.status for outcome in self.outcomes.values()} <= {"OPTIMAL"} or bound == objective
        return assemble_result(
            self.finder,
            self.candidates,
            chosen,
            status="OPTIMAL" if proven else "FEASIBLE",
            objective=objective,
            objective_bound=bound,
            started=self.started,
            notes=tuple(notes),
        )


def solve_part_alone(problem: PlanningProblem, job: PartJob) -> dict:
    """Solve one job from its part's own problem (``restricted_to`` its demands), in another process: the
    outcome as plain values, for ``Planning.outcome_from_wire``."""
    finder = CandidateFinder(problem)
    candidates = {demand.key: finder.candidates(demand) for demand in problem.demands}
    by_key = {candidate_key(c): c for found in candidates.values() for c in found}
    outcome = _solve_job(finder, candidates, by_key, job)
    return {
        "index": job.index,
        "chosen": {
            key: [[c.weekday, c.start_minute, c.phase] for c in picked]
            for key, picked in outcome.chosen.items()
        },
        "status": outcome.status,
        "objective": outcome.objective,
        "bound": outcome.bound,
        "deterministic_seconds": outcome.deterministic_seconds,
    }


def _solve_job(
    finder: CandidateFinder,
    candidates: dict[str, list[Candidate]],
    by_key: dict[SlotKey, Candidate],
    job: PartJob,
) -> PartOutcome:
    demands = [finder.problem.demands_by_key[key] for key in job.demand_keys]
    hint = {key: [by_key[slot] for slot in slots] for key, slots in job.hint.items()}
    return solve_part(finder, demands, candidates, hint, job.seconds, job.workers)


def independent_parts(problem: PlanningProblem, candidates: dict[str, list[Candidate]]) -> list[list[Demand]]:
    """Demands grouped so no person is in two groups (connected components), smallest first.

    Demands with no candidate slot are left out: there is nothing to decide for them.
    """
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    placeable = [demand for demand in problem.demands if candidates[demand.key]]
    for demand in placeable:
        for other in demand.attendees[1:]:
            parent[root(other)] = root(demand.attendees[0])
    groups: dict[str, list[Demand]] = {}
    for demand in placeable:
        groups.setdefault(root(demand.organiser), []).append(demand)
    order = {demand.key: index for index, demand in enumerate(problem.demands)}
    return sorted(
        groups.values(),
        key=lambda part: (sum(len(candidates[d.key]) for d in part), order[part[0].key]),
    )


class PartModel:
    """The CP-SAT model of one independent part.

    Its goals come as weighted lists: ``upper`` (meetings, minimums, published slots, lost dates, meeting days),
    then ``blocks`` and ``preferences``, together ``lower``. Every auxiliary variable has a rule deriving its value
    from a choice of candidates, so any plan can be turned into a complete hint and scored without the solver.
    """

    def __init__(
        self, finder: CandidateFinder, demands: list[Demand], candidates: dict[str, list[Candidate]]
    ):
        self.finder = finder
        self.problem = finder.problem
        self.demands = {demand.key: demand for demand in demands}
        self.model = cp_model.CpModel()
        self.slots = [
            (
                candidate,
                self.model.new_bool_var(
                    f"{candidate.demand_key}@{candidate.weekday}.{candidate.start_minute}"
                ),
            )
            for demand in demands
            for candidate in candidates[demand.key]
        ]
        self.by_demand: dict[str, list[tuple[Candidate, cp_model.IntVar]]] = defaultdict(list)
        for candidate, var in self.slots:
            self.by_demand[candidate.demand_key].append((candidate, var))
        self.derived: list[tuple[cp_model.IntVar, Callable[[dict], int]]] = []

        for demand in demands:
            self._add_demand_rules(demand)
        self._add_no_double_booking()
        self._add_caps()
        self.upper, self.blocks, self.preferences = self._goals()
        self.lower = self.blocks + self.preferences

    def _add_demand_rules(self, demand: Demand) -> None:
        slots = self.by_demand[demand.key]
        self.model.add(sum(var for _, var in slots) <= demand.meetings_max)
        by_day = [[var for candidate, var in slots if candidate.weekday == day] for day in range(7)]
        spread = 2 <= demand.meetings_max <= 3
        for day in range(7):
            # Up to three a week, neighbouring days (Sun and Mon too) share one at-most-one.
            same_or_next = by_day[day] + (by_day[(day + 1) % 7] if spread else [])
            if len(same_or_next) > 1:
                self.model.add_at_most_one(same_or_next)

    def _add_no_double_booking(self) -> None:
        """For each person, at most one meeting at any instant: one at-most-one per maximal clique.

        A person's candidate occurrences form an interval graph, whose maximal cliques one sweep finds: the
        intervals open just before an end that follows a start. Candidates with identical occurrences (one
        mentor's demands at the same slot) are swept as one group. A person's buffer lengthens each of their
        meetings by that much: two meetings closer than the buffer then overlap.
        """
        by_person: dict[str, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
        for index, (candidate, _) in enumerate(self.slots):
            for person in self.demands[candidate.demand_key].attendees:
                by_person[person][candidate.occurrences].append(index)
        cliques: set[tuple[int, ...]] = set()
        for person, groups in by_person.items():
            members = list(groups.values())
            buffer = self.problem.people_by_key[person].limits.buffer_minutes
            events = sorted(
                (moment, is_start, group)
                for group, occurrences in enumerate(groups)
                for start, end in occurrences
                for moment, is_start in ((start, 1), (end + buffer, 0))
            )
            open_groups: dict[int, int] = {}
            last_was_start = False
            for _, is_start, group in events:
                if is_start:
                    open_groups[group] = open_groups.get(group, 0) + 1
                else:
                    if last_was_start:
                        clique = tuple(sorted(index for g in open_groups for index in members[g]))
                        if len(clique) > 1:
                            cliques.add(clique)
                    open_groups[group] -= 1
                    if not open_groups[group]:
                        del open_groups[group]
                last_was_start = bool(is_start)
        for clique in sorted(cliques):
            self.model.add_at_most_one([self.slots[index][1] for index in clique])

    def _add_caps(self) -> None:
        """Each person's daily and weekly caps, one constraint per local day or week; days holding the same
        candidates (every Monday of a weekly slot) share one."""
        by_person: dict[str, list[tuple[Candidate, cp_model.IntVar]]] = defaultdict(list)
        for candidate, var in self.slots:
            for person in self.demands[candidate.demand_key].attendees:
                by_person[person].append((candidate, var))
        added: set[tuple] = set()
        for person, slots in by_person.items():
            for cap in self.problem.people_by_key[person].limits.caps():
                load: dict[int, Counter[cp_model.IntVar]] = defaultdict(Counter)
                for candidate, var in slots:
                    for day in self.finder.local_days(person, candidate.occurrences):
                        period = day if cap.period == "day" else local_week(day)
                        load[period][var] += cap.weigh(candidate.duration_minutes)
                for weights in load.values():
                    # Variables compare as constraints, so the key that spots a repeated constraint uses indices.
                    key = (cap.most, tuple(sorted((var.index, weight) for var, weight in weights.items())))
                    if sum(weights.values()) > cap.most and key not in added:
                        added.add(key)
                        self.model.add(
                            cp_model.LinearExpr.weighted_sum(list(weights), list(weights.values()))
                            <= cap.most
                        )

    def _goals(self) -> tuple[Terms, Terms, Terms]:
        meetings_max = sum(demand.meetings_max for demand in self.demands.values())
        meetings_min = sum(demand.meetings_min for demand in self.demands.values())
        kept = published_keys(self.problem)
        published = [var for candidate, var in self.slots if candidate_key(candidate) in kept]
        days, blocks = self._organiser_days_and_blocks()
        on_busy = [(var, candidate.lost_dates) for candidate, var in self.slots if candidate.lost_dates]
        # A demand loses dates at most through its meetings_max slots that lose the most.
        busy_max = sum(
            sum(
                sorted((c.lost_dates for c, _ in self.by_demand[demand.key]), reverse=True)[
                    : demand.meetings_max
                ]
            )
            for demand in self.demands.values()
        )

        preferences, preferences_span = self._preference_terms(meetings_max)
        # Each weight exceeds the largest total of everything weighted below it.
        w_block = preferences_span + 1
        w_day = w_block * (meetings_max + 1)  # blocks number at most the meetings
        w_busy = w_day * (meetings_max + 1)  # so do meeting days
        w_published = w_busy * (busy_max + 1)
        w_minimum = w_published * (len(published) + 1)
        w_meeting = w_minimum * (meetings_min + 1)

        upper: Terms = [(var, w_meeting) for _, var in self.slots]
        upper += [(var, w_published) for var in published]
        upper += [(self._counted_towards_minimum(demand), w_minimum) for demand in self.demands.values()]
        upper += [(var, -w_busy * dates) for var, dates in on_busy]
        upper += [(var, -w_day) for var in days]
        return upper, [(var, -w_block) for var in blocks], preferences

    def _preference_terms(self, meetings_max: int) -> tuple[Terms, int]:
        """Preferred days and distance from window edges per slot; per person, their meetings outside their
        preferred hours, the k-th costing ``preferred_hours + (k - 1) * fair_share``. With the terms, how far
        apart the best and worst plans can score on them."""
        weights, step = self.problem.preferences, self.problem.slot_minutes
        span = (weights.preferred_day + weights.mid_window * MID_WINDOW_STEPS) * meetings_max
        terms: Terms = []
        off_hours: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for candidate, var in self.slots:
            preferred_day = candidate.weekday in self.demands[candidate.demand_key].preferred_weekdays
            points = weights.mid_window * min(candidate.edge_slack // step, MID_WINDOW_STEPS)
            points += weights.preferred_day * preferred_day
            if points:
                terms.append((var, points))
            for person in candidate.off_hours:
                off_hours[person].append(var)
        wanted: Counter[str] = Counter()
        for demand in self.demands.values():
            for person in demand.attendees:
                wanted[person] += demand.meetings_max
        # Fair share is about the meetings outside preferred hours: with those unweighed, it is off too.
        if not weights.preferred_hours:
            off_hours.clear()
        for person, slots in off_hours.items():
            # Their meetings outside those hours number at most what their demands want.
            most = min(len(slots), wanted[person])
            span += weights.preferred_hours * most + weights.fair_share * most * (most - 1) // 2
            terms += [(var, -weights.preferred_hours) for var in slots]
            if weights.fair_share:
                terms += self._further_off_hours(person, slots, most, weights.fair_share)
        return terms, span

    def _further_off_hours(
        self, person: str, slots: list[cp_model.IntVar], most: int, fair_share: int
    ) -> Terms:
        """A flag per count k >= 2 of the person's meetings outside their preferred hours, set once they have k;
        the k-th costs ``(k - 1) * fair_share``, so a plan shares such times out rather than heaping them on one."""
        flags = [self.model.new_bool_var(f"off-hours:{person}:{k}") for k in range(2, most + 1)]
        if not flags:
            return []
        self.model.add(sum(flags) >= sum(slots) - 1)
        for flag, next_flag in pairwise(flags):
            self.model.add_implication(next_flag, flag)
        for k, flag in enumerate(flags, start=2):
            self.derived.append((flag, lambda values, k=k: int(sum(values[var] for var in slots) >= k)))
        return [(flag, -(k - 1) * fair_share) for k, flag in enumerate(flags, start=2)]

    def _counted_towards_minimum(self, demand: Demand) -> cp_model.IntVar:
        slots = [var for _, var in self.by_demand[demand.key]]
        counted = self.model.new_int_var(0, demand.meetings_min, f"min:{demand.key}")
        self.model.add(counted <= sum(slots))
        self.derived.append(
            (counted, lambda values: min(sum(values[var] for var in slots), demand.meetings_min))
        )
        return counted

    def _organiser_days_and_blocks(self) -> tuple[list[cp_model.IntVar], list[cp_model.IntVar]]:
        """Per organiser, a flag per day with meetings, and per meeting a flag when none ends as it starts."""
        by_organiser: dict[tuple[str, str], list[tuple[Candidate, cp_model.IntVar]]] = defaultdict(list)
        for candidate, var in self.slots:
            demand = self.demands[candidate.demand_key]
            by_organiser[(demand.organiser, demand.time_zone)].append((candidate, var))
        days, blocks = [], []
        for (organiser, _), slots in by_organiser.items():
            by_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            ending: dict[tuple[int, int], list[tuple[Candidate, cp_model.IntVar]]] = defaultdict(list)
            # With a buffer, the next meeting of a block starts that long after one ends.
            buffer = self.problem.people_by_key[organiser].limits.buffer_minutes
            for candidate, var in slots:
                by_day[candidate.weekday].append(var)
                ending[
                    (candidate.weekday, candidate.start_minute + candidate.duration_minutes + buffer)
                ].append((candidate, var))
            for day, day_slots in sorted(by_day.items()):
                used = self.model.new_bool_var(f"day:{organiser}:{day}")
                for var in day_slots:
                    self.model.add_implication(var, used)
                self.derived.append(
                    (used, lambda values, day_slots=day_slots: max(values[v] for v in day_slots))
                )
                days.append(used)
            for candidate, var in slots:
                # Meetings of opposite week parity never sit back to back.
                before = [
                    other
                    for earlier, other in ending.get((candidate.weekday, candidate.start_minute), [])
                    if None in (earlier.phase, candidate.phase) or earlier.phase == candidate.phase
                ]
                starts_block = self.model.new_bool_var(f"block:{var.name}")
                self.model.add(starts_block >= var - sum(before))
                self.derived.append(
                    (
                        starts_block,
                        lambda values, var=var, before=before: max(
                            values[var] - sum(values[v] for v in before), 0
                        ),
                    )
                )
                blocks.append(starts_block)
        return days, blocks

    def values_for(self, choice: Choice) -> dict[cp_model.IntVar, int]:
        """A complete assignment for a choice of candidates: the slots chosen, and every derived variable."""
        chosen = {candidate_key(c) for picked in choice.values() for c in picked}
        values = {var: int(candidate_key(candidate) in chosen) for candidate, var in self.slots}
        for var, rule in self.derived:
            values[var] = rule(values)
        return values

    def hint(self, values: dict[cp_model.IntVar, int]) -> None:
        self.model.clear_hints()
        for var, value in values.items():
            self.model.add_hint(var, value)

    @staticmethod
    def score(values: dict[cp_model.IntVar, int], terms: Terms) -> int:
        return sum(weight * values[var] for var, weight in terms)

    def choice_from(self, solver: cp_model.CpSolver) -> Choice:
        chosen: Choice = {key: [] for key in self.demands}
        for candidate, var in self.slots:
            if solver.boolean_value(var):
                chosen[candidate.demand_key].append(candidate)
        return chosen


def solve_part(
    finder: CandidateFinder,
    demands: list[Demand],
    candidates: dict[str, list[Candidate]],
    hint: Choice,
    deterministic_seconds: float,
    workers: int,
) -> PartOutcome:
    """Stage one: every goal but blocks. Stage two, with what is left of the time: blocks, upper goals held.

    Preferences count in both stages, so stage two starts from a plan that suits people's hours and improves its
    blocks from there. (Keeping preferred hours out of stage one, or giving them a third stage with blocks held,
    was tried on the bench: both left more blocks and more meetings outside preferred hours in the same time.)

    Never returns a plan scoring below the hint: then the hint comes back, marked KEPT_HINT.
    """
    problem = finder.problem
    part = PartModel(finder, demands, candidates)
    everything = part.upper + part.lower
    start = {key: list(hint[key]) for key in part.demands}
    start_values = part.values_for(start)

    part.hint(start_values)
    part.model.maximize(_expression(part.upper + part.preferences))
    solver, status = _solve(part.model, problem, deterministic_seconds, workers)
    used = solver.deterministic_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Stopped before finding a plan, so nothing is proven (CP-SAT's bound is then a meaningless 0).
        return PartOutcome(start, KEPT_HINT, part.score(start_values, everything), None, used)
    # Blocks only ever lower the score, so stage one's bound holds for every goal.
    bound = _proven_bound(solver)
    best = part.choice_from(solver)
    best_values, proven = part.values_for(best), False
    if status == cp_model.OPTIMAL and deterministic_seconds - used >= MIN_SOLVE_SECONDS:
        best_upper = part.score(best_values, part.upper)
        part.model.add(_expression(part.upper) >= best_upper)
        # A second round's hint may have better blocks than stage one's plan: polish from the better one.
        if part.score(start_values, part.upper) == best_upper and (
            part.score(start_values, part.lower) > part.score(best_values, part.lower)
        ):
            best, best_values = start, start_values
        part.hint(best_values)
        part.model.maximize(_expression(part.lower))
        # At the default level the LP leaves out the block constraints and the bound stays trivial; with them
        # in, small parts prove in milliseconds what otherwise takes the whole budget (the demo cohort's).
        solver, status = _solve(
            part.model, problem, deterministic_seconds - used, workers, linearization_level=2
        )
        used += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            bound = min(bound, best_upper + _proven_bound(solver))
            polished = part.choice_from(solver)
            polished_values = part.values_for(polished)
            if part.score(polished_values, part.lower) >= part.score(best_values, part.lower):
                best, best_values = polished, polished_values
        proven = status == cp_model.OPTIMAL
    if part.score(best_values, everything) < part.score(start_values, everything):
        return PartOutcome(start, KEPT_HINT, part.score(start_values, everything), bound, used)
    objective = part.score(best_values, everything)
    return PartOutcome(best, "OPTIMAL" if proven else "FEASIBLE", objective, bound, used)


def _proven_bound(solver: cp_model.CpSolver) -> int:
    """CP-SAT's bound on a maximised integer objective, floored: a fractional LP bound means the integer below."""
    return math.floor(solver.best_objective_bound + 1e-6)


def _lower_bound_of(*bounds: int | None) -> int | None:
    proven = [bound for bound in bounds if bound is not None]
    return min(proven) if proven else None


def _expression(terms: Terms) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum([var for var, _ in terms], [weight for _, weight in terms])


def _solve(
    model: cp_model.CpModel,
    problem: PlanningProblem,
    deterministic_seconds: float,
    workers: int,
    *,
    linearization_level: int = 1,
) -> tuple[cp_model.CpSolver, int]:
    solver = cp_model.CpSolver()
    solver.parameters.linearization_level = linearization_level
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = problem.seed
    # Several workers are only reproducible when their search is interleaved in deterministic batches.
    solver.parameters.interleave_search = workers > 1
    solver.parameters.max_deterministic_time = max(deterministic_seconds, MIN_SOLVE_SECONDS)
    solver.parameters.max_time_in_seconds = max(
        deterministic_seconds * WALL_SAFETY_FACTOR, MIN_WALL_GUARD_SECONDS
    )
    return solver, solver.solve(model)

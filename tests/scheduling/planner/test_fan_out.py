"""A plan whose parts are solved elsewhere (``scheduling.tasks`` fans them out over Celery workers): each part's
own problem and job travel as JSON, and the plan assembled from their outcomes is the plan solved in one process."""

import dataclasses
import json
from datetime import UTC, date, datetime, time

from scheduling.planner import (
    BusyTime,
    DailyHours,
    DateRange,
    ExtraHours,
    Limits,
    PlanningProblem,
    PreferenceWeights,
    PublishedSlot,
    plan,
)
from scheduling.planner.solver import PartJob, Planning, solve_part_alone
from scheduling.planner.wire import from_wire, to_wire
from tests.bench.synthetic import CohortShape, synthetic_problem


def through_json(value):
    return json.loads(json.dumps(to_wire(value)))


def test_a_problem_with_every_kind_of_field_comes_back_from_the_wire_equal():
    base = synthetic_problem(3, CohortShape(mentors=4, scholars=8, streams=2), time_limit_seconds=1)
    mentor, scholar = base.people[0], base.people[-1]
    detailed = [
        dataclasses.replace(
            mentor,
            blackouts=(DateRange(date(2025, 3, 3), date(2025, 3, 7)),),
            busy=(
                BusyTime(
                    datetime(2025, 1, 8, 14, tzinfo=UTC), datetime(2025, 1, 8, 15, tzinfo=UTC), away=True
                ),
            ),
            limits=Limits(
                buffer_minutes=15, meetings_per_day=3, earliest=time(9, 30), days_off=frozenset({4, 2})
            ),
            preferred_hours=DailyHours(time(10), time(16)),
            extra_hours=(ExtraHours(date(2025, 3, 12), time(18), time(0)),),
        ),
        *base.people[1:-1],
        dataclasses.replace(scholar, limits=Limits(minutes_per_week=180)),
    ]
    demand = dataclasses.replace(base.demands[0], preferred_weekdays=frozenset({1, 3}))
    problem = dataclasses.replace(
        base,
        people=tuple(detailed),
        demands=(demand, *base.demands[1:]),
        published=(PublishedSlot(demand.key, 2, time(11), week_parity=1),),
        preferences=PreferenceWeights(preferred_day=5, fair_share=0),
    )

    assert from_wire(PlanningProblem, through_json(problem)) == problem


def test_parts_solved_alone_from_json_give_the_plan_solved_in_one_process():
    problem = synthetic_problem(1, CohortShape(mentors=20, scholars=80, streams=3), time_limit_seconds=1)
    here = plan(problem)

    planning = Planning(problem)
    while jobs := planning.next_jobs():
        outcomes = {}
        for job in jobs:
            part = from_wire(PlanningProblem, through_json(problem.restricted_to(job.demand_keys)))
            assert len(part.demands) < len(problem.demands)
            outcome = solve_part_alone(part, from_wire(PartJob, through_json(job)))
            outcomes[job.index] = planning.outcome_from_wire(json.loads(json.dumps(outcome)))
        planning.record(outcomes)
    elsewhere = planning.result()

    # Both rounds ran: proven parts left time that went to the others.
    assert planning.rounds == 2
    assert len(planning.parts) > 1
    assert elsewhere.placements == here.placements
    assert (elsewhere.objective, elsewhere.objective_bound, elsewhere.solver_status) == (
        here.objective,
        here.objective_bound,
        here.solver_status,
    )
    assert elsewhere.objective_parts == here.objective_parts
    assert elsewhere.meetings_placed > 0


def test_a_part_restricted_problem_holds_only_its_people_and_published_slots():
    problem = synthetic_problem(2, CohortShape(mentors=6, scholars=12, streams=2), time_limit_seconds=1)
    demand = problem.demands[0]
    problem = dataclasses.replace(
        problem,
        published=(
            PublishedSlot(demand.key, 0, time(10)),
            PublishedSlot(problem.demands[-1].key, 1, time(10)),
        ),
    )

    part = problem.restricted_to([demand.key])

    assert part.demands == (demand,)
    assert {person.key for person in part.people} == set(demand.attendees)
    assert part.published == (PublishedSlot(demand.key, 0, time(10)),)

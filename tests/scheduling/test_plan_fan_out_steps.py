"""The steps of a fanned-out plan run (``scheduling.services.planning``), taken one after another in this process
as a chord's tasks would take them on workers (tests/integration/test_plan_fan_out.py runs them on real ones)."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from scheduling.models import PlanRun
from scheduling.planner.wire import to_wire
from scheduling.services.planning import (
    plan_run_begin,
    plan_run_execute,
    plan_run_fan_out,
    plan_run_round_solved,
    plan_runs_recover,
)
from scheduling.tasks import plan_part_failed, solve_plan_part
from tests.factories import CohortFactory, mentors_sharing_no_scholar

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 2
    cohort = CohortFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 4, 30))
    mentors_sharing_no_scholar(cohort, mentors=5)
    return cohort


def solved_as_workers_would(plan_run_id: int) -> list:
    """Every round's parts solved one by one from their JSON and each round's outcomes handed on, as the chord's
    tasks do; each step's arguments, in order."""
    step = plan_run_fan_out(begun=plan_run_begin(plan_run_id=plan_run_id))
    steps = []
    while step is not None:
        outcomes = [
            json.loads(json.dumps(solve_plan_part(plan_run_id, to_wire(problem), to_wire(job))))
            for problem, job in step.jobs
        ]
        steps.append(
            {"plan_run_id": plan_run_id, "fan_out": step.fan_out, "number": step.number, "outcomes": outcomes}
        )
        step = plan_run_round_solved(**steps[-1])
    return steps


def test_a_plan_solved_in_parts_on_workers_is_the_plan_solved_here(cohort):
    here = plan_run_execute(plan_run_id=PlanRun.objects.create(cohort=cohort).pk)
    fanned = PlanRun.objects.create(cohort=cohort)

    steps = solved_as_workers_would(fanned.pk)

    fanned.refresh_from_db()
    assert fanned.status == here.status == PlanRun.Status.SOLVED
    assert fanned.result["placements"] == here.result["placements"]
    assert fanned.result["objective_bound"] == here.result["objective_bound"]
    assert fanned.diff == here.diff
    assert fanned.result["placed"] == 15
    # Five mentors sharing no scholar: five parts, each a task.
    assert len(steps[0]["outcomes"]) == 5
    # What the steps kept for each other is gone once the plan is stored.
    fan_out = steps[0]["fan_out"]
    assert cache.get_many([f"plan-run-fan-out:{fan_out}", f"plan-run-fan-out:{fan_out}:round:1"]) == {}


def test_the_last_step_taken_twice_stores_the_plan_once(cohort):
    run = PlanRun.objects.create(cohort=cohort)
    steps = solved_as_workers_would(run.pk)
    run.refresh_from_db()
    stored = (run.status, run.finished_at, run.result)

    # Redelivered after its worker died.
    assert plan_run_round_solved(**steps[-1]) is None

    run.refresh_from_db()
    assert stored[0] == PlanRun.Status.SOLVED
    assert (run.status, run.finished_at, run.result) == stored


def test_a_step_that_finds_the_problem_gone_from_the_cache_fails_the_run(cohort):
    run = PlanRun.objects.create(cohort=cohort)
    first = plan_run_fan_out(begun=plan_run_begin(plan_run_id=run.pk))
    outcomes = [solve_plan_part(run.pk, to_wire(problem), to_wire(job)) for problem, job in first.jobs]
    cache.clear()

    assert (
        plan_run_round_solved(plan_run_id=run.pk, fan_out=first.fan_out, number=1, outcomes=outcomes) is None
    )

    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert run.error == "the plan's problem left the shared cache before its parts were solved"


def test_a_part_failing_on_a_worker_fails_the_run_as_celery_reports_it(cohort):
    run = PlanRun.objects.create(cohort=cohort)
    plan_run_fan_out(begun=plan_run_begin(plan_run_id=run.pk))

    # Celery calls a chord's error callback with the failed request, its exception and traceback.
    plan_part_failed(None, KeyError(("demand", 6, 1380, None)), None, plan_run_id=run.pk)

    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert run.error == "a part of the plan failed on a worker: KeyError(('demand', 6, 1380, None))"


def test_a_part_taken_after_a_long_wait_keeps_the_recovery_sweep_away(cohort):
    run = PlanRun.objects.create(cohort=cohort)
    first = plan_run_fan_out(begun=plan_run_begin(plan_run_id=run.pk))
    # The parts waited in the queue for longer than a task may run.
    waited = timezone.now() - dt.timedelta(hours=1)
    PlanRun.objects.filter(pk=run.pk).update(updated_at=waited)
    problem, job = first.jobs[0]

    solve_plan_part(run.pk, to_wire(problem), to_wire(job))

    assert plan_runs_recover(now=timezone.now()).failed == 0
    run.refresh_from_db()
    assert run.status == PlanRun.Status.RUNNING
    assert run.updated_at > waited


def test_a_run_discarded_or_solved_meanwhile_is_left_as_it_is(cohort):
    discarded = PlanRun.objects.create(cohort=cohort)
    steps = solved_as_workers_would(discarded.pk)
    PlanRun.objects.filter(pk=discarded.pk).update(status=PlanRun.Status.DISCARDED, result={})
    solved = PlanRun.objects.create(cohort=cohort)
    solved_as_workers_would(solved.pk)

    # A late last step of the discarded run, and a late error of the solved one's.
    plan_run_round_solved(**{**steps[-1], "plan_run_id": discarded.pk})
    plan_part_failed(None, RuntimeError("late"), None, plan_run_id=solved.pk)

    discarded.refresh_from_db()
    solved.refresh_from_db()
    assert (discarded.status, discarded.result) == (PlanRun.Status.DISCARDED, {})
    assert (solved.status, solved.error) == (PlanRun.Status.SOLVED, "")


def test_a_part_of_a_run_already_over_is_not_solved(cohort):
    run = PlanRun.objects.create(cohort=cohort)
    first = plan_run_fan_out(begun=plan_run_begin(plan_run_id=run.pk))
    # Another part failed, and failed the run.
    plan_part_failed(None, RuntimeError("another part"), None, plan_run_id=run.pk)
    problem, job = first.jobs[0]

    assert solve_plan_part(run.pk, to_wire(problem), to_wire(job)) is None
    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED

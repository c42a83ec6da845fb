"""A plan whose independent parts are fanned out over real `celery worker` processes (a chord per round, results
in Redis), on PostgreSQL: it is the plan one process solves, and a part that fails fails the run with the reason."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from cohort.dates import monday_of
from scheduling.models import PlanRun
from scheduling.planner import plan
from scheduling.planner.solver import PartJob
from scheduling.problem_builder import build_cohort_problem
from scheduling.services.planning import FanOutRound, plan_run_begin, plan_run_fan_out
from scheduling.tasks import _fan_out, plan_cohort_task
from tests.factories import CohortFactory, mentors_sharing_no_scholar
from tests.integration.processes import celery_worker, wait_until
from tests.integration.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIME_LIMIT_SECONDS = 1


@pytest.fixture
def cohort(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = TIME_LIMIT_SECONDS
    # Nine weeks from next Monday: these tests keep the machine's clock (the workers do), so the cohort lies ahead.
    start = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    cohort = CohortFactory(start_date=start, end_date=start + dt.timedelta(weeks=9, days=-3))
    # Four mentors sharing no scholar: four parts.
    mentors_sharing_no_scholar(cohort, mentors=4)
    return cohort


def fanning_worker(settings, queue: str):
    return celery_worker(
        broker_url=settings.CELERY_BROKER_URL,
        queue=queue,
        smtp_port=free_port(),
        env={"PLANNER_FAN_OUT_MIN_DEMANDS": "1", "PLANNER_TIME_LIMIT_SECONDS": str(TIME_LIMIT_SECONDS)},
    )


def finished(run: PlanRun) -> PlanRun:
    wait_until(
        lambda: PlanRun.objects.get(pk=run.pk).status in (PlanRun.Status.SOLVED, PlanRun.Status.FAILED),
        timeout=120,
        what="the workers to finish the plan run",
    )
    run.refresh_from_db()
    return run


def test_parts_solved_on_workers_make_the_plan_one_process_makes(settings, cohort):
    expected = plan(
        build_cohort_problem(cohort=cohort, time_limit_seconds=TIME_LIMIT_SECONDS).problem
    ).to_dict()
    queue = f"test-plans-{uuid.uuid4().hex[:12]}"
    run = PlanRun.objects.create(cohort=cohort)

    with fanning_worker(settings, queue) as worker:
        plan_cohort_task.apply_async((run.pk,), queue=queue)
        run = finished(run)
        log = worker.output()

    assert run.status == PlanRun.Status.SOLVED, run.error
    # Each part was a task of its own, and the chord's last step stored the plan.
    assert log.count("scheduling.tasks.solve_plan_part[") >= 2 * 4  # received and succeeded, per part
    assert "scheduling.tasks.plan_round_solved[" in log
    # The stored plan names each demand for people too.
    assert [{k: v for k, v in row.items() if k != "label"} for row in run.result["placements"]] == expected[
        "placements"
    ]
    assert (run.result["objective"], run.result["objective_bound"], run.result["solver_status"]) == (
        expected["objective"],
        expected["objective_bound"],
        expected["solver_status"],
    )
    assert run.result["placed"] == 12


def test_a_part_that_fails_on_a_worker_fails_the_run_with_the_reason(settings, cohort):
    queue = f"test-plans-{uuid.uuid4().hex[:12]}"
    run = PlanRun.objects.create(cohort=cohort)
    begun = plan_run_begin(plan_run_id=run.pk)
    first = plan_run_fan_out(begun=begun)
    # One part asked to start from a slot its demand does not have: its worker raises.
    problem, job = first.jobs[0]
    key = job.demand_keys[0]
    broken = PartJob(
        job.index, job.demand_keys, {**job.hint, key: ((key, 6, 23 * 60, None),)}, job.seconds, 1
    )

    with fanning_worker(settings, queue):
        _fan_out(
            run.pk,
            FanOutRound(first.fan_out, first.number, [(problem, broken), *first.jobs[1:]]),
            queue=queue,
        )
        run = finished(run)

    assert run.status == PlanRun.Status.FAILED
    assert "a part of the plan failed on a worker" in run.error
    assert "KeyError" in run.error

"""Planner benchmark across processes: the same synthetic cohort solved in one process and with its parts on
Celery worker processes, through the broker and the result backend (Redis).

Run: python3 run.py bench planner_fan_out [--mentors 150 --scholars 600 --time-limit 20 --worker-processes 2]
The workers run ``scheduling.tasks.solve_plan_part``, the task a fanned-out plan run's chord is made of, on a
queue of their own; the benchmark plays the chord's last step (``Planning.record``, then the next round). It
prints each round's parts and seconds, both totals, and whether the two plans are the same, which they must be.
On one machine the workers share its cores with each other, so the figure is the fan-out's cost; across machines
the parts of a round are solved side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import time as clock_time
from pathlib import Path

from django.db import connection

from tests.bench.database import bench_database
from tests.bench.synthetic import CohortShape, synthetic_problem, with_preferred_days, with_preferred_hours

ROOT = Path(__file__).resolve().parents[2]


def start_workers(count: int, queue: str, broker_url: str) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    }
    workers = []
    for index in range(count):
        command = [
            sys.executable, "-m", "celery", "-A", "cohort.project", "worker", "--queues", queue,
            "--hostname", f"{queue}-{index}@%h", "--concurrency", "1", "--pool", "prefork", "--without-gossip",
            "--without-mingle", "--loglevel", "WARNING",
        ]  # fmt: skip
        workers.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    return workers


def wait_until_ready(app, queue: str, count: int) -> None:
    """Until every worker answers a ping: their start is not the fan-out's cost."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answered = app.control.ping(timeout=1.0) or []
        if sum(1 for reply in answered for name in reply if name.startswith(f"{queue}-")) >= count:
            return
    sys.exit(f"{count} worker processes did not start within 120 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentors", type=int, default=150)
    parser.add_argument("--scholars", type=int, default=600)
    parser.add_argument("--time-limit", type=float, default=20)
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with bench_database() as vendor:
        if vendor != "postgresql":
            sys.exit("the fan-out benchmark needs PostgreSQL (DATABASE_URL), which its workers share")
        database = connection.settings_dict
        os.environ["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
            f"/{database['NAME']}"
        )
        compare(args)


def compare(args: argparse.Namespace) -> None:
    from celery import group
    from django.conf import settings

    from scheduling.models import PlanRun
    from scheduling.planner import DailyHours, plan
    from scheduling.planner.solver import Planning
    from scheduling.planner.wire import to_wire
    from scheduling.tasks import solve_plan_part
    from tests.factories import CohortFactory

    if not settings.CELERY_BROKER_URL.startswith("redis://") or not settings.CELERY_RESULT_BACKEND:
        sys.exit(
            "the fan-out benchmark needs a Redis broker and result backend (CELERY_BROKER_URL=redis://…)"
        )

    shape = CohortShape(mentors=args.mentors, scholars=args.scholars)
    problem = synthetic_problem(args.seed, shape, time_limit_seconds=args.time_limit, workers=2)
    problem = with_preferred_hours(problem, DailyHours(clock_time(9), clock_time(18)))
    problem = with_preferred_days(problem, 2, args.seed)
    print(
        f"{args.mentors} mentors, {args.scholars} scholars, {len(problem.demands)} demands, time limit {args.time_limit}"
    )

    started = time.perf_counter()
    here = plan(problem)
    here_seconds = time.perf_counter() - started
    print(f"  one process, parts in 2 threads: {here_seconds:6.1f} s  {here.solver_summary}")

    queue = f"bench-plans-{uuid.uuid4().hex[:12]}"
    workers = start_workers(args.worker_processes, queue, settings.CELERY_BROKER_URL)
    try:
        wait_until_ready(solve_plan_part.app, queue, args.worker_processes)
        # The run the parts belong to, as a plan run's chord would have it (a part of a run that is over is skipped).
        run = PlanRun.objects.create(cohort=CohortFactory(), status=PlanRun.Status.RUNNING)
        started = time.perf_counter()
        planning = Planning(problem)
        while jobs := planning.next_jobs():
            round_started = time.perf_counter()
            signatures = [
                solve_plan_part.s(run.pk, to_wire(problem.restricted_to(job.demand_keys)), to_wire(job)).set(
                    queue=queue
                )
                for job in jobs
            ]
            outcomes = group(signatures).apply_async().get(timeout=args.time_limit * 30 + 120)
            planning.record(
                {o["index"]: planning.outcome_from_wire(json.loads(json.dumps(o))) for o in outcomes}
            )
            print(
                f"  round {planning.rounds}: {len(jobs)} parts on {args.worker_processes} worker processes, "
                f"{time.perf_counter() - round_started:.1f} s"
            )
        fanned = replace(planning.result(), wall_seconds=time.perf_counter() - started)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    print(f"  parts on workers:                {fanned.wall_seconds:6.1f} s  {fanned.solver_summary}")
    same = (fanned.placements, fanned.objective, fanned.objective_bound) == (
        here.placements,
        here.objective,
        here.objective_bound,
    )
    print(f"  the same plan: {'yes' if same else 'NO'} ({fanned.meetings_placed} weekly meetings placed)")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

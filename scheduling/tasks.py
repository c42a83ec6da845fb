"""Celery tasks: thin, idempotent wrappers that take ids and call services; and the one beat schedule.

No reminder ever waits in the broker as an ETA task, nor does a retry: beat ticks every minute and the tick sends
what the database says is due now (docs/architecture.md: the data flow, step 4). The periodic tasks go to their
own queue (settings.TICK_QUEUE), so a backlog of sends never holds up a tick.
"""

from __future__ import annotations

from celery import chord, shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cohort.models import Cohort
from scheduling import dispatch
from scheduling.models import PlanRun
from scheduling.notifications import oversight
from scheduling.planner import PlanningProblem
from scheduling.planner.solver import PartJob, solve_part_alone
from scheduling.planner.wire import from_wire, to_wire
from scheduling.services.planning import (
    FanOutRound,
    PlanRunBegun,
    plan_run_alive,
    plan_run_begin,
    plan_run_fan_out,
    plan_run_fan_out_failed,
    plan_run_round_solved,
    plan_run_solve_begun,
    plan_runs_recover,
)

# The one beat process's schedule: (name shown in the admin, task, interval in seconds). Interval schedules,
# not crontabs, so no DST change can make a tick misfire; beat runs in UTC (settings.CELERY_TIMEZONE).
PERIODIC_TASKS = (
    ("Dispatch due notifications", "scheduling.tasks.dispatch_due_notifications", 60),
    ("Write check-in digests and escalations", "scheduling.tasks.write_periodic_notifications", 15 * 60),
    ("Recover lost plan runs", "scheduling.tasks.recover_lost_plan_runs", 5 * 60),
    ("Recover lost stream-document imports", "mentors.tasks.recover_lost_import_jobs", 5 * 60),
    ("Read people's calendars for busy times", "scholars.tasks.read_due_calendar_sources", 5 * 60),
)


@shared_task(ignore_result=True)
def dispatch_due_notifications() -> None:
    dispatch.dispatch_due_notifications(as_of=timezone.now(), enqueue=enqueue_send)


@shared_task(bind=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_notifications(self, claim: str, notification_ids: list[int]) -> None:
    report = dispatch.send_claimed_notifications(dispatch.Claim(claim, tuple(notification_ids)))
    if report.requeue is not None:
        # The rows this batch had no time for, at once, as a new task on the queue this batch came from (its
        # routing key names it). Lost, they come back with their lease.
        queue = (self.request.delivery_info or {}).get("routing_key")
        claim = report.requeue
        send_notifications.apply_async((claim.token, list(claim.notification_ids)), queue=queue)


def enqueue_send(claim: dispatch.Claim) -> None:
    send_notifications.delay(claim.token, list(claim.notification_ids))


@shared_task(ignore_result=True)
def write_periodic_notifications() -> None:
    oversight.write_periodic_notifications(as_of=timezone.now())


@shared_task(bind=True, ignore_result=True)
def plan_cohort_task(self, plan_run_id: int) -> None:
    """Solve a plan run: here, or, for a large cohort where workers can hand results back (a result backend),
    with its independent parts fanned out over the workers, one chord per round of the planner."""
    begun = plan_run_begin(plan_run_id=plan_run_id)
    if not isinstance(begun, PlanRunBegun):
        return
    if not _fans_out(begun):
        plan_run_solve_begun(begun=begun)
        return
    try:
        _fan_out(plan_run_id, plan_run_fan_out(begun=begun), queue=_queue_of(self))
    except Exception as error:  # the cache or the broker failed: nothing would ever finish the run
        plan_run_fan_out_failed(plan_run_id=plan_run_id, error=error)


def _fans_out(begun: PlanRunBegun) -> bool:
    return bool(settings.CELERY_RESULT_BACKEND) and (
        len(begun.built.problem.demands) >= settings.PLANNER_FAN_OUT_MIN_DEMANDS
    )


def _fan_out(plan_run_id: int, round_: FanOutRound, *, queue: str | None) -> None:
    """One task per part, and once all are in, the step that records them and starts the next round or stores
    the plan; a part that fails fails the run. All on ``queue`` (None: the default one)."""
    collect = plan_round_solved.s(plan_run_id=plan_run_id, fan_out=round_.fan_out, number=round_.number)
    collect.set(queue=queue)
    collect.on_error(plan_part_failed.s(plan_run_id=plan_run_id))
    parts = [
        solve_plan_part.s(plan_run_id, to_wire(problem), to_wire(job)).set(queue=queue)
        for problem, job in round_.jobs
    ]
    chord(parts, collect).apply_async()


def _queue_of(task) -> str | None:
    """The queue a task came from (its routing key): a plan's parts go where its run went, to the workers that
    plan."""
    return (task.request.delivery_info or {}).get("routing_key")


# Its result is the chord's: the one task whose return value a worker keeps (in the result backend).
@shared_task(ignore_result=False)
def solve_plan_part(plan_run_id: int, problem: dict, job: dict) -> dict | None:
    """A part's outcome; None, unsolved, for a run already over (its last step reads no outcome then)."""
    if not plan_run_alive(plan_run_id=plan_run_id):  # and however long it waited, the run is seen to be alive
        return None
    return solve_part_alone(from_wire(PlanningProblem, problem), from_wire(PartJob, job))


@shared_task(bind=True, ignore_result=True)
def plan_round_solved(self, outcomes: list[dict], plan_run_id: int, fan_out: str, number: int) -> None:
    following = plan_run_round_solved(
        plan_run_id=plan_run_id, fan_out=fan_out, number=number, outcomes=outcomes
    )
    if following is not None:
        try:
            _fan_out(plan_run_id, following, queue=_queue_of(self))
        except Exception as error:  # raised, it would reach this step's error callback as a part's failure
            plan_run_fan_out_failed(plan_run_id=plan_run_id, error=error)


@shared_task(ignore_result=True)
def plan_part_failed(request, exc, traceback, plan_run_id: int) -> None:
    """Called as Celery calls a chord's error callback: with the failed request, its exception and traceback."""
    plan_run_fan_out_failed(plan_run_id=plan_run_id, error=f"a part of the plan failed on a worker: {exc!r}")


@shared_task(ignore_result=True)
def recover_lost_plan_runs() -> None:
    for plan_run_id in plan_runs_recover(now=timezone.now()).requeue:
        plan_cohort_task.delay(plan_run_id)


@transaction.atomic
def setup_periodic_tasks() -> list[str]:
    """Install (or update) the beat schedule in django-celery-beat's tables; returns the task names."""
    for name, task, seconds in PERIODIC_TASKS:
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                "crontab": None,
                "enabled": True,
                # A tick queued while every worker was down is worthless once the next one is due.
                "expire_seconds": seconds,
            },
        )
    return [task for _, task, _ in PERIODIC_TASKS]


def plan_on_worker(*, cohort: Cohort, requested_by) -> PlanRun:
    """The one way the admin and the API start planning: a pending run now, solved by a worker once the request's
    transaction commits (a solve takes seconds to minutes, longer than a web request should wait)."""
    run = PlanRun.objects.create(cohort=cohort, requested_by=requested_by)
    # Robust: a broker that is down must not turn the committed request into an error page; the run waits, pending,
    # and recover_lost_plan_runs enqueues it again once the broker is back.
    transaction.on_commit(lambda: plan_cohort_task.delay(run.pk), robust=True)
    return run

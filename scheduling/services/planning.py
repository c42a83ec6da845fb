"""Planning a cohort: solve a plan as a preview, show what applying it would change, and publish it."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cohort.dates import WEEKDAY_NAMES
from cohort.models import Cohort
from cohort.services import RowChange, audit_write, row_snapshot
from scheduling.models import Meeting, MeetingSeries, PlanRun
from scheduling.notifications.reminders import sync_meeting_notifications
from scheduling.planner import (
    Demand,
    Placement,
    PlanningProblem,
    PlanResult,
    Unplaced,
    WeeklySlot,
    plan,
    validate_plan,
)
from scheduling.planner.solver import PartJob, PartOutcome, Planning
from scheduling.planner.wire import from_wire, to_wire
from scheduling.problem_builder import CohortProblem, build_cohort_problem
from scheduling.services.cohort_dates import CohortDates
from scheduling.services.materialise import SlotKey, end_series, published_series, sync_slot

logger = logging.getLogger(__name__)

# How long a pending plan run may wait for a worker before its enqueue counts as lost (a worker busy with other
# plans takes it within seconds to minutes; the run is claimed, so a second enqueue never solves it twice).
PLAN_RUN_ENQUEUE_GRACE = dt.timedelta(minutes=5)


class PlanNotApplicable(Exception):
    """A plan run that cannot be applied (not solved, stale, or failing validation); the message says why."""


@dataclass
class PlanDiff:
    """What applying a plan changes, as lines staff read: one per series added, moved, removed or kept."""

    added: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "moved": self.moved,
            "removed": self.removed,
            "unchanged": self.unchanged,
        }

    def summary(self) -> str:
        return (
            f"{len(self.added)} series added, {len(self.moved)} moved, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged"
        )


def plan_cohort(*, cohort: Cohort, requested_by=None) -> PlanRun:
    """Solve the cohort's plan now and store it as a preview (a PlanRun in state solved or failed)."""
    run = PlanRun.objects.create(cohort=cohort, requested_by=requested_by, status=PlanRun.Status.RUNNING)
    return plan_run_execute(plan_run_id=run.pk)


def plan_run_execute(*, plan_run_id: int) -> PlanRun:
    """Solve a pending plan run in this process (the Celery task's body when its parts are not fanned out).
    Solver errors are recorded on the run, not raised."""
    begun = plan_run_begin(plan_run_id=plan_run_id)
    return plan_run_solve_begun(begun=begun) if isinstance(begun, PlanRunBegun) else begun


def plan_run_solve_begun(*, begun: PlanRunBegun) -> PlanRun:
    """Solve a claimed run's problem in this process and store the plan, or the error."""
    try:
        result = plan(begun.built.problem)
    except Exception as error:
        return _plan_run_failed(begun.run, error)
    return _plan_run_solved(begun.run, begun.built, result)


@dataclass(frozen=True)
class PlanRunBegun:
    run: PlanRun
    built: CohortProblem


def plan_run_begin(*, plan_run_id: int) -> PlanRunBegun | PlanRun:
    """Claim a plan run and build its cohort's problem; the run itself when there is nothing to solve (another
    worker claimed it, it is over, or building the problem failed, which is recorded on it)."""
    run = PlanRun.objects.select_related("cohort").get(pk=plan_run_id)
    if run.status == PlanRun.Status.PENDING:
        # Claimed, so a run enqueued twice (its first enqueue thought lost) is solved once. A RUNNING run is
        # solved again: that is a task redelivered after its worker died.
        claimed = PlanRun.objects.filter(pk=run.pk, status=PlanRun.Status.PENDING).update(
            status=PlanRun.Status.RUNNING, updated_at=timezone.now()
        )
        if not claimed:
            return run
    elif run.status != PlanRun.Status.RUNNING:
        return run
    else:
        plan_run_alive(plan_run_id=run.pk)
    try:
        built = build_cohort_problem(
            cohort=run.cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS
        )
    except Exception as error:
        return _plan_run_failed(run, error)
    return PlanRunBegun(run, built)


# A plan whose parts are solved on other workers (scheduling.tasks) keeps its problem, and each finished round's
# outcomes, in the shared cache: every step reads them from there, as any worker may take it.
FAN_OUT_CACHE_SECONDS = 2 * 3600


@dataclass(frozen=True)
class FanOutRound:
    """The next round of a fanned-out plan: each job, with the problem of its part alone. ``fan_out`` names this
    solve of the run (a run redelivered to a second worker is solved again, under another name)."""

    fan_out: str
    number: int
    jobs: list[tuple[PlanningProblem, PartJob]]


def plan_run_fan_out(*, begun: PlanRunBegun) -> FanOutRound:
    """Keep the plan's problem for the workers and give its first round."""
    fan_out = f"{begun.run.pk}:{uuid.uuid4().hex}"
    cache.set(
        _fan_out_key(fan_out),
        {"built": to_wire(begun.built), "started_at": time.time()},
        FAN_OUT_CACHE_SECONDS,
    )
    return _round(Planning(begun.built.problem), fan_out, 1)


def plan_run_round_solved(
    *, plan_run_id: int, fan_out: str, number: int, outcomes: list[dict]
) -> FanOutRound | None:
    """One round's outcomes are in: the next round, or None once the run is stored (solved, or failed with the
    reason) or was already over (a step run twice, the run discarded)."""
    run = PlanRun.objects.select_related("cohort").get(pk=plan_run_id)
    if run.status != PlanRun.Status.RUNNING:
        return None
    keys = [_fan_out_key(fan_out), *(_round_key(fan_out, n) for n in range(1, number))]
    kept = cache.get_many(keys)
    state = kept.get(_fan_out_key(fan_out))
    if state is None or len(kept) < number:
        _plan_run_failed(run, "the plan's problem left the shared cache before its parts were solved")
        return None
    try:
        built = from_wire(CohortProblem, state["built"])
        planning = Planning(built.problem)
        for earlier in range(1, number):
            planning.record(_outcomes(planning, kept[_round_key(fan_out, earlier)]))
        planning.record(_outcomes(planning, outcomes))
        following = _round(planning, fan_out, number + 1)
        if following.jobs:
            cache.set(_round_key(fan_out, number), outcomes, FAN_OUT_CACHE_SECONDS)
            plan_run_alive(plan_run_id=run.pk)
            return following
        result = replace(planning.result(), wall_seconds=time.time() - state["started_at"])
    except Exception as error:
        _plan_run_failed(run, error)
        return None
    _plan_run_solved(run, built, result)
    cache.delete_many(keys)
    return None


def plan_run_fan_out_failed(*, plan_run_id: int, error: BaseException | str) -> None:
    """A step of a fanned-out run failed (a part on its worker, or starting a round): the run fails with the
    reason, unless it is already over."""
    _plan_run_failed(PlanRun.objects.select_related("cohort").get(pk=plan_run_id), error)


def plan_run_alive(*, plan_run_id: int) -> bool:
    """A worker is at the run (it took it again, or a part of it): the recovery sweep, which fails running runs
    nobody has touched for longer than a task may run, leaves it alone. False: the run is over (failed, discarded
    or solved by another worker), and its parts need no solving."""
    return bool(
        PlanRun.objects.filter(pk=plan_run_id, status=PlanRun.Status.RUNNING).update(
            updated_at=timezone.now()
        )
    )


def _round(planning: Planning, fan_out: str, number: int) -> FanOutRound:
    problem = planning.problem
    jobs = [(problem.restricted_to(job.demand_keys), job) for job in planning.next_jobs()]
    return FanOutRound(fan_out, number, jobs)


def _outcomes(planning: Planning, outcomes: list[dict]) -> dict[int, PartOutcome]:
    by_part = {outcome["index"]: planning.outcome_from_wire(outcome) for outcome in outcomes}
    if len(by_part) != len(outcomes) or not set(by_part) <= set(range(len(planning.parts))):
        raise ValueError("the outcomes name parts this plan does not have")
    return by_part


def _fan_out_key(fan_out: str) -> str:
    return f"plan-run-fan-out:{fan_out}"


def _round_key(fan_out: str, number: int) -> str:
    return f"plan-run-fan-out:{fan_out}:round:{number}"


def _plan_run_failed(run: PlanRun, error: BaseException | str) -> PlanRun:
    reason = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
    # Logged only if stored: a late error of a run already over tells nothing new.
    if _plan_run_finished(run, status=PlanRun.Status.FAILED, error=reason):
        exc_info = error if isinstance(error, BaseException) else None
        logger.error(
            "planning cohort %s (plan run %s) failed: %s", run.cohort.slug, run.pk, reason, exc_info=exc_info
        )
    return run


def _plan_run_solved(run: PlanRun, built: CohortProblem, result: PlanResult) -> PlanRun:
    diff = plan_diff(published=published_series(run.cohort), result=result, demands=built.problem.demands)
    _plan_run_finished(
        run, status=PlanRun.Status.SOLVED, result=_result_document(built, result), diff=diff.to_dict()
    )
    return run


def _plan_run_finished(run: PlanRun, **outcome) -> bool:
    """Store how a running run ended, only while it is running, and read the run again; whether it was stored. Of
    two workers at the same run (one took it again, or a step of its fan-out), the first to finish decides, and
    a discarded run stays discarded."""
    now = timezone.now()
    stored = PlanRun.objects.filter(pk=run.pk, status=PlanRun.Status.RUNNING).update(
        finished_at=now, updated_at=now, **outcome
    )
    run.refresh_from_db(fields=["status", "error", "result", "diff", "finished_at", "updated_at"])
    return bool(stored)


@dataclass(frozen=True)
class LostPlanRuns:
    requeue: list[int]  # pending runs whose enqueue seems lost: enqueue them again
    failed: int  # running runs whose worker stopped long ago: marked failed


def plan_runs_recover(*, now: dt.datetime) -> LostPlanRuns:
    """Find the plan runs a lost enqueue (the broker was down as the request committed) or a dead worker left
    waiting for ever: the first are queued again, the second are marked failed so staff see to plan again."""
    requeue = list(
        PlanRun.objects.filter(status=PlanRun.Status.PENDING, created_at__lt=now - PLAN_RUN_ENQUEUE_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    failed = PlanRun.objects.filter(
        status=PlanRun.Status.RUNNING,
        updated_at__lt=now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - PLAN_RUN_ENQUEUE_GRACE,
    ).update(
        status=PlanRun.Status.FAILED,
        error="The worker stopped before the plan was solved; plan the cohort again.",
        finished_at=now,
        updated_at=now,
    )
    return LostPlanRuns(requeue=requeue, failed=failed)


def _result_document(built: CohortProblem, result: PlanResult) -> dict:
    document = result.to_dict()
    labels = {d.key: d.label for d in built.problem.demands}
    for item in document["placements"]:
        item["label"] = labels[item["demand_key"]]
    for item in [*document["unplaced"], *document["below_max"]]:
        item["label"] = labels[item["demand_key"]]
    document["unschedulable"] = [u.__dict__ for u in built.unschedulable]
    document["cadence_used"] = built.cadence_used
    document["on_busy"] = [
        {
            "label": labels[placement.demand_key],
            "when": f"{WEEKDAY_NAMES[slot.weekday]} {slot.start:%H:%M}",
            "dates": slot.busy_dates,
        }
        for placement in result.placements
        for slot in placement.meetings
        if slot.busy_dates
    ]
    document["objective_rows"] = [
        {"goal": goal, "count": count} for goal, count in result.objective_parts.rows()
    ]
    document["preference_weights"] = result.preferences.describe()
    document["demanded"] = sum(d.meetings_max for d in built.problem.demands)
    document["placed"] = result.meetings_placed
    return document


def _slot_keys(result: PlanResult) -> set[SlotKey]:
    return {
        SlotKey(p.demand_key, slot.weekday, slot.start.strftime("%H:%M"), slot.week_parity)
        for p in result.placements
        for slot in p.meetings
    }


def plan_diff(
    *, published: dict[SlotKey, list[MeetingSeries]], result: PlanResult, demands: Iterable[Demand]
) -> PlanDiff:
    """What applying the result would change, per demand: series added, moved, removed and unchanged, each line
    in people's names and the series' own zone ("Ada ↔ Sam (1-on-1): Wed 09:00 → Tue 10:00, Europe/London")."""
    names = {key.demand_key: (rows[0].title, rows[0].time_zone) for key, rows in published.items()}
    names.update((demand.key, (demand.label, demand.time_zone)) for demand in demands)

    def line(demand_key: str, change: str) -> str:
        label, zone = names.get(demand_key, (demand_key, ""))
        return f"{label}: {change}, {zone}" if zone else f"{label}: {change}"

    wanted = _slot_keys(result)
    diff = PlanDiff()
    by_demand_new: dict[str, list[SlotKey]] = defaultdict(list)
    by_demand_old: dict[str, list[SlotKey]] = defaultdict(list)
    for key in wanted - published.keys():
        by_demand_new[key.demand_key].append(key)
    for key in published.keys() - wanted:
        by_demand_old[key.demand_key].append(key)
    diff.unchanged = sorted(line(k.demand_key, k.describe()) for k in wanted & published.keys())
    for demand_key in sorted(set(by_demand_new) | set(by_demand_old)):
        new = sorted(by_demand_new[demand_key], key=lambda k: (k.weekday, k.start))
        old = sorted(by_demand_old[demand_key], key=lambda k: (k.weekday, k.start))
        for before, after in zip(old, new, strict=False):
            diff.moved.append(line(demand_key, f"{before.describe()} → {after.describe()}"))
        diff.added += [line(demand_key, k.describe()) for k in new[len(old) :]]
        diff.removed += [line(demand_key, k.describe()) for k in old[len(new) :]]
    return diff


@transaction.atomic
def plan_apply(
    *, plan_run: PlanRun, applied_by: AbstractBaseUser | None = None, today: dt.date | None = None
) -> PlanDiff:
    """Publish a solved plan: slots no longer wanted end, new ones are materialised, and kept ones are brought in
    line with the cohort's calendar (blackouts, breaks, leavers) without moving. The audit trail records who
    applied it (None: the system) and what it changed.

    Refuses a run that is not solved, one older than a plan applied since, and one whose placements break a hard
    constraint (checked again independently of the solver).
    """
    run = PlanRun.objects.select_for_update().get(pk=plan_run.pk)
    before = row_snapshot(run)
    # One writer of a cohort's meetings at a time: a concurrent refresh or apply would create the same rows.
    cohort = Cohort.objects.select_for_update().get(pk=run.cohort_id)
    if run.status != PlanRun.Status.SOLVED:
        raise PlanNotApplicable(
            f"Plan #{run.pk} is {run.get_status_display().lower()}, not a solved preview."
        )
    newer = PlanRun.objects.filter(
        cohort=cohort, status=PlanRun.Status.APPLIED, applied_at__gt=run.created_at
    )
    if newer.exists():
        raise PlanNotApplicable(f"Plan #{run.pk} is stale: a plan was applied after it was made. Plan again.")
    built = build_cohort_problem(cohort=cohort, time_limit_seconds=settings.PLANNER_TIME_LIMIT_SECONDS)
    result = _result_from_document(run.result)
    violations = validate_plan(built.problem, result)
    if violations:
        raise PlanNotApplicable(f"Plan #{run.pk} no longer fits the cohort: {violations[0]}")

    today = today or timezone.localdate()
    wanted = _slot_keys(result)
    published = published_series(cohort)
    diff = plan_diff(published=published, result=result, demands=built.problem.demands)
    dates = CohortDates.load(cohort)
    changed: list[Meeting] = []
    for key, rows in sorted(published.items(), key=lambda item: item[0].order()):
        if key not in wanted:
            for series in rows:
                changed += end_series(series, today=today)
    demands = {d.key: d for d in built.problem.demands}
    # Unchanged slots are synced too: a blackout, a break or a leaver since the last plan changes their meetings.
    for key in sorted(wanted, key=SlotKey.order):
        rows = published.get(key, [])
        changed += sync_slot(dates, key=key, demand=demands[key.demand_key], rows=rows, run=run, today=today)
    if changed:
        sync_meeting_notifications(meetings=changed)
    run.status, run.applied_at = PlanRun.Status.APPLIED, timezone.now()
    run.save(update_fields=["status", "applied_at", "updated_at"])
    PlanRun.objects.filter(cohort=cohort, status=PlanRun.Status.SOLVED).exclude(pk=run.pk).update(
        status=PlanRun.Status.DISCARDED
    )
    audit_write(
        changes=[RowChange.of(run, before=before, cohort_ids=[cohort.pk])],
        by=applied_by,
        reason=f"{diff.summary()}.",
    )
    return diff


def _result_from_document(document: dict) -> PlanResult:
    placements = tuple(
        Placement(
            demand_key=item["demand_key"],
            meetings=tuple(
                WeeklySlot(
                    weekday=m["weekday"],
                    start=dt.time.fromisoformat(m["start"]),
                    duration_minutes=m["duration_minutes"],
                    week_parity=m["week_parity"],
                )
                for m in item["meetings"]
            ),
        )
        for item in document.get("placements", [])
    )
    return PlanResult(
        placements=placements,
        unplaced=tuple(
            Unplaced(**{k: item[k] for k in ("demand_key", "placed", "wanted_min", "wanted_max", "reason")})
            for item in document.get("unplaced", [])
        ),
        summary=(),
        solver_status=document.get("solver_status", ""),
        objective=document.get("objective", 0),
        wall_seconds=document.get("wall_seconds", 0.0),
    )

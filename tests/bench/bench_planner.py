"""Planner benchmark on a synthetic cohort: CP-SAT and first-fit side by side.

Run: python -m tests.bench.bench_planner [--mentors 150 --scholars 600 --time-limit 40 --workers 2 --seed 0]
     [--busy-per-week 0] [--preferred-hours 9-18] [--preferred-days 2] [--replan-change 0.1]
Prints, per planner, the solve time, meetings wanted and placed, demands short of their minimum, how the
organisers' weeks look (meeting days, blocks of back-to-back meetings) and the hard-constraint violations the
independent validator finds, which must be 0. Everyone prefers the same local hours (a cohort's usual hours) and
each mentor some of their days, so a second table gives the objective's parts with every preference weighed at zero
(before) and at the defaults (after). Last, a change to the running cohort (some mentors lose a day) is planned
again from scratch and from the published plan: how many published slots each keeps is the least-change goal.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from scheduling.planner import (
    DailyHours,
    PlanningProblem,
    PlanResult,
    PreferenceWeights,
    PublishedSlot,
    plan,
    plan_first_fit,
    validate_plan,
)
from tests.bench.synthetic import (
    CohortShape,
    synthetic_problem,
    with_hours_taken_away,
    with_one_off_busy_times,
    with_preferred_days,
    with_preferred_hours,
)

NO_PREFERENCES = PreferenceWeights(preferred_day=0, preferred_hours=0, fair_share=0, mid_window=0)

REASONS = (
    ("own calendar", "busy in their own calendar"),
    ("no availability entered", "someone entered no availability"),
    ("share no available hour", "no shared hour at all"),
    ("overlap by at most", "shared hours shorter than the meeting"),
    ("are available together", "a clock change breaks the overlap"),
    ("free day between", "overlap only on neighbouring days"),
    ("different days", "too few shared days"),
    ("fully booked", "one attendee fully booked"),
    ("fill every shared slot", "attendees booked between them"),
    ("solver stopped", "time limit"),
)


def describe(problem: PlanningProblem) -> str:
    kinds = Counter(demand.kind.value for demand in problem.demands)
    zones = Counter(person.time_zone for person in problem.people)
    return (
        f"{len(problem.people)} people ({', '.join(f'{z} {n}' for z, n in zones.most_common())})\n"
        f"{len(problem.demands)} demands ({', '.join(f'{k} {n}' for k, n in kinds.most_common())}), "
        f"{problem.calendar.start} to {problem.calendar.end}, time limit {problem.time_limit_seconds:g} s, "
        f"{problem.workers} workers"
    )


def organiser_days_and_blocks(problem: PlanningProblem, result: PlanResult) -> tuple[int, int]:
    """Days on which organisers meet, and runs of back-to-back meetings on those days, summed."""
    by_day: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for placement in result.placements:
        organiser = problem.demands_by_key[placement.demand_key].organiser
        for slot in placement.meetings:
            start = slot.start.hour * 60 + slot.start.minute
            by_day[(organiser, slot.weekday)].append((start, start + slot.duration_minutes))
    blocks = 0
    for meetings in by_day.values():
        ends = set()
        for start, end in sorted(set(meetings)):
            blocks += start not in ends
            ends.add(end)
    return len(by_day), blocks


def busy_dates(problem: PlanningProblem, result: PlanResult) -> int:
    """Meeting dates of the plan on which an attendee's own calendar shows them busy (each a clash, once
    published), counted with plain datetimes."""
    count = 0
    for placement in result.placements:
        demand = problem.demands_by_key[placement.demand_key]
        busy = [b for key in demand.attendees for b in problem.people_by_key[key].busy]
        zone = ZoneInfo(demand.time_zone)
        for slot in placement.meetings:
            for day in problem.calendar.meeting_days():
                in_phase = slot.week_parity is None or (
                    problem.calendar.week_index(day) % demand.interval_weeks == slot.week_parity
                )
                if day.weekday() != slot.weekday or not in_phase:
                    continue
                start = datetime.combine(day, slot.start, zone)
                end = start + timedelta(minutes=slot.duration_minutes)
                count += any(b.start < end and start < b.end for b in busy)
    return count


def report_row(problem: PlanningProblem, result: PlanResult, seconds: float) -> list[str]:
    days, blocks = organiser_days_and_blocks(problem, result)
    empty = sum(1 for item in result.unplaced if item.placed == 0)
    return [
        f"{seconds:.1f}",
        str(result.meetings_placed),
        f"{len(result.unplaced)} ({empty} with none)",
        str(days),
        str(blocks),
        str(busy_dates(problem, result)),
        str(len(validate_plan(problem, result))),
        result.solver_summary,
    ]


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def reason_counts(result: PlanResult) -> Counter:
    return Counter(
        next((label for pattern, label in REASONS if pattern in item.reason), "other")
        for item in result.unplaced
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentors", type=int, default=150)
    parser.add_argument("--scholars", type=int, default=600)
    parser.add_argument("--time-limit", type=float, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--busy-per-week", type=int, default=0, help="one-off busy hours a week in each mentor's own calendar"
    )
    parser.add_argument(
        "--preferred-hours", default="9-18", help="everyone's preferred local hours, from-to in whole hours"
    )
    parser.add_argument(
        "--preferred-days", type=int, default=2, help="days each mentor prefers, of those they work"
    )
    parser.add_argument(
        "--replan-change", type=float, default=0.1, help="share of mentors losing a day before the re-plan"
    )
    args = parser.parse_args(argv)

    shape = CohortShape(mentors=args.mentors, scholars=args.scholars)
    problem = synthetic_problem(args.seed, shape, time_limit_seconds=args.time_limit, workers=args.workers)
    problem = with_one_off_busy_times(problem, args.busy_per_week, args.seed)
    start, end = (int(hour) % 24 for hour in args.preferred_hours.split("-"))
    problem = with_preferred_hours(problem, DailyHours(clock_time(start), clock_time(end)))
    problem = with_preferred_days(problem, args.preferred_days, args.seed)
    wanted = f"{sum(d.meetings_min for d in problem.demands)}-{sum(d.meetings_max for d in problem.demands)}"
    print(describe(problem))
    print(f"weekly meetings wanted: {wanted}")
    rows = [
        [
            "planner",
            "seconds",
            "placed",
            "demands short",
            "organiser days",
            "blocks",
            "busy dates",
            "violations",
            "status",
        ]
    ]
    results = {}
    for name, solve, weights in (
        ("first-fit", plan_first_fit, problem.preferences),
        ("cp-sat, preferences off", plan, NO_PREFERENCES),
        ("cp-sat", plan, problem.preferences),
    ):
        started = time.perf_counter()
        results[name] = solve(replace(problem, preferences=weights))
        rows.append([name, *report_row(problem, results[name], time.perf_counter() - started)])
    print_table(rows)
    print(
        f"the objective's parts, in rank order (preferred hours {args.preferred_hours} for everyone, "
        f"{args.preferred_days} preferred days per mentor):"
    )
    names = list(results)
    parts = [["goal", *names]]
    for index, (label, _) in enumerate(results[names[0]].objective_parts.rows()):
        parts.append([label, *(str(results[name].objective_parts.rows()[index][1]) for name in names)])
    print_table(parts)
    for note in results["cp-sat"].notes:
        print("note:", note)
    print("why demands fell short (cp-sat):")
    for reason, count in reason_counts(results["cp-sat"]).most_common():
        print(f"  {count:4d}  {reason}")
    for item in results["cp-sat"].unplaced[:3]:
        print(f"  e.g. {problem.demands_by_key[item.demand_key].label}: {item.reason}")
    if args.replan_change:
        replan_report(problem, results["cp-sat"], args.replan_change, args.seed)


def slots_of(result: PlanResult) -> set[PublishedSlot]:
    return {
        PublishedSlot(placement.demand_key, slot.weekday, slot.start, slot.week_parity)
        for placement in result.placements
        for slot in placement.meetings
    }


def replan_report(problem: PlanningProblem, published: PlanResult, share: float, seed: int) -> None:
    """The least-change goal, measured: a change to the running cohort planned afresh and from what is published."""
    changed = with_hours_taken_away(problem, share, seed)
    slots = slots_of(published)
    rows = [["re-plan", "seconds", "placed", "published slots kept", "violations", "status"]]
    for name, given in (("from scratch", ()), ("from the published plan", tuple(sorted(slots, key=repr)))):
        started = time.perf_counter()
        result = plan(replace(changed, published=given))
        seconds = time.perf_counter() - started
        kept = len(slots & slots_of(result))
        violations = len(validate_plan(changed, result))
        row = [
            name,
            f"{seconds:.1f}",
            str(result.meetings_placed),
            f"{kept} of {len(slots)}",
            str(violations),
        ]
        rows.append([*row, result.solver_summary])
    print(f"after {share:.0%} of the mentors lose one of their days:")
    print_table(rows)


if __name__ == "__main__":
    main()

"""Planner benchmark at ten times the size: 1,000 mentors and 5,000 scholars, CP-SAT and first-fit side by side.

Run: python -m tests.bench.bench_planner_large (or python3 run.py bench planner_large). Issue 14's mark: done in
at most five minutes on 2 cores, with the gap to the proven bound reported and 0 hard-constraint violations.
Not among the benchmarks ``run.py bench`` runs by default: it takes minutes.
"""

from tests.bench.bench_planner import main

if __name__ == "__main__":
    main(["--mentors", "1000", "--scholars", "5000", "--time-limit", "60"])

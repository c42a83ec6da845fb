"""The first five minutes: `python3 run.py demo` from `git clone` to the first page, and a signal stop.

Run: python -m tests.bench.bench_demo [--cold-cache]
Prints the seconds from `git clone` to the first 200, split into the install (.venv from the lock file), the
set-up (migrate, import, build, plan) and the start of the web app; then the seconds a SIGTERM takes to stop
everything, and what it left running (must be nothing). A second start of the same clone shows the warm case.
--cold-cache gives the installer an empty wheel cache, so every wheel is downloaded from the package index.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import tempfile
import time
from pathlib import Path

from tests.demo_runs import DemoRun, fresh_clone

TIMEOUT = 900


def start_and_stop(checkout: Path, label: str, cloned_in: float = 0.0) -> None:
    demo = DemoRun(checkout)
    installed = demo.wait_for_output("==> Migrating the database", timeout=TIMEOUT)
    set_up = demo.wait_for_output("==> Starting the web app", timeout=TIMEOUT)
    first_page = demo.wait_for_first_page(timeout=TIMEOUT)
    stop = demo.stop(signal.SIGTERM)
    plan = re.search(r"weekly meetings placed \((.+?), ([\d.]+) s\)", demo.output())
    print(
        f"{label:<12} {cloned_in + first_page:>7.1f} {cloned_in:>6.1f} {installed:>8.1f} "
        f"{set_up - installed:>7.1f} {first_page - set_up:>6.1f} {stop.seconds:>6.1f}  "
        f"{len(stop.left_running):>4}  {plan.group(1) if plan else '?'} in {plan.group(2) if plan else '?'} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cold-cache", action="store_true", help="start with an empty installer cache")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if options.cold_cache:
            os.environ["UV_CACHE_DIR"] = str(Path(scratch) / "uv-cache")
        print(
            f"{'start':<12} {'total':>7} {'clone':>6} {'install':>8} {'set-up':>7} {'serve':>6} {'stop':>6}  "
            f"{'left':>4}  plan"
        )
        began = time.monotonic()
        checkout = fresh_clone(Path(scratch) / "cohortops")
        start_and_stop(checkout, "fresh clone", cloned_in=time.monotonic() - began)
        start_and_stop(checkout, "again")


if __name__ == "__main__":
    main()

"""`python3 run.py demo` from a fresh clone: it serves its first page, and a stop signal stops everything it started.

The first test starts from nothing (a new .venv, installed from the lock file); the others start that clone
again. Each stop signal is sent while the demo is set up; SIGTERM and SIGINT (Ctrl-C) also once it serves, and
SIGHUP there by closing its terminal. Times are printed (`pytest -s` shows them), not asserted: `run.py bench demo`
measures them.
"""

from __future__ import annotations

import re
import signal

import pytest

from tests.demo_runs import DemoRun, fresh_clone

FIRST_PAGE_TIMEOUT = 600  # a cold install downloads every wheel when the installer's cache is empty


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return fresh_clone(tmp_path_factory.mktemp("demo") / "cohortops")


def started(checkout, *, terminal: bool = False) -> tuple[DemoRun, float]:
    """The demo, once all its processes run (the workers with their pools, beat with its schedule), and the seconds
    to its first page."""
    demo = DemoRun(checkout, terminal=terminal)
    first_page = demo.wait_for_first_page(timeout=FIRST_PAGE_TIMEOUT)
    demo.wait_for_output(" ready.", timeout=FIRST_PAGE_TIMEOUT)
    demo.wait_for_output("beat: Starting...", timeout=FIRST_PAGE_TIMEOUT)
    return demo, first_page


# SIGHUP while serving is the terminal's closing, below: each full start costs half a minute or more.
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_the_demo_serves_its_first_page_and_a_stop_signal_stops_all_it_started(checkout, stop_signal):
    demo, first_page = started(checkout)

    stop = demo.stop(stop_signal)

    print(f"\n{stop_signal.name}: first page after {first_page:.1f} s, stopped in {stop.seconds:.1f} s")
    assert stop.left_running == [], demo.output()[-3000:]
    assert stop.exit_code == 0, demo.output()[-3000:]
    output = demo.output()
    everything = "calendar host, web app, worker, tick worker, beat"
    assert f"{stop_signal.name}: stopping the demo's {everything}." in output
    assert f"Stopped: {everything}; nothing the demo started is running." in output
    # A mentor's own calendar, served by the demo's calendar host, read before the plan that works around it.
    assert re.search(r": \d+ busy times ahead, read from 127\.0\.0\.1/…/mentor-busy\.ics", output)
    assert "(OPTIMAL, " in output


def test_closing_the_demos_terminal_stops_all_it_started_though_nothing_can_be_said_there(checkout):
    demo, _ = started(checkout, terminal=True)

    stop = demo.stop(None)

    assert stop.left_running == [], demo.output()[-3000:]
    assert stop.exit_code == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_while_the_demo_is_set_up_leaves_nothing_running(checkout, stop_signal):
    demo = DemoRun(checkout)
    demo.wait_for_output("==> Importing the stream documents", timeout=FIRST_PAGE_TIMEOUT)

    stop = demo.stop(stop_signal)

    assert stop.left_running == []
    assert (
        f"{stop_signal.name}: stopped while setting up the demo; nothing it started is running."
        in demo.output()
    )
    assert stop.exit_code == 1

#!/usr/bin/env python3
"""cohortops' two commands, runnable on a fresh machine with nothing but Python 3.11.

    python3 run.py demo    # install, migrate, import the seeds, build and plan a demo cohort, start web + worker + beat
    python3 run.py test    # install, lint, then the whole test suite (twice under CI: SQLite, then PostgreSQL + Redis)
    python3 run.py test --changed   # the inner loop: only the tests that the code you changed reaches
    python3 run.py bench   # the benchmarks (demo, planner, notifications, API, feeds, import); not in the tests

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
LOCK = ROOT / "requirements.lock"
INSTALL_STAMP = VENV / ".cohortops-installed"

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The machine's services, used by the PostgreSQL pass of the tests and by the benchmarks.
CI_DATABASE_URL = os.environ.get("CI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
CI_REDIS_URL = os.environ.get("CI_REDIS_URL", "redis://127.0.0.1:6379/0")
# The benchmarks' cache: another database of the same Redis, which they may clear.
CI_CACHE_URL = os.environ.get("CI_CACHE_URL", "redis://127.0.0.1:6379/1")
DEMO_PORT = int(os.environ.get("PORT", "8000"))
UV_REQUIREMENT = "uv==0.13.8"  # the installer, pinned like everything it installs
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and completed.returncode != 0:
        sys.exit(f"command failed ({completed.returncode}): {' '.join(str(a) for a in args)}")
    return completed.returncode


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run(PYTHON, "manage.py", *args, env=env)


def install() -> None:
    """Create .venv and install the pinned dependencies; skipped when nothing changed since the last install.

    uv installs the same pins as pip in a fraction of the time, and its wheel cache makes a second clone's install
    take seconds. It compiles the bytecode as pip does, or every process would compile its imports at each start
    where PYTHONDONTWRITEBYTECODE is set. pip is the fallback where uv cannot be installed or cannot install (uv
    reads no pip configuration, so a machine that reaches its packages through a pip-configured index needs pip).
    """
    if sys.version_info[:2] != (3, 11):
        print(f"warning: cohortops is built for Python 3.11; this is {sys.version.split()[0]}.", flush=True)
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if INSTALL_STAMP.exists() and INSTALL_STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        run(sys.executable, "-m", "venv", VENV)
    say("Installing dependencies (pinned in requirements.lock)")
    if not install_with_uv():
        print("uv could not install here: installing with pip, which takes a few minutes.", flush=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "-r", LOCK)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    INSTALL_STAMP.write_text(wanted)


def install_with_uv() -> bool:
    uv = VENV / "bin" / "uv"
    if not uv.exists() and run(PYTHON, "-m", "pip", "install", "--quiet", UV_REQUIREMENT, check=False):
        return False
    # Never a Python of uv's own: the venv's interpreter is the one installed into.
    uv_env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    uv_install = (uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", PYTHON)
    return (
        run(*uv_install, "-r", LOCK, env=uv_env, check=False) == 0
        and run(*uv_install, "--no-deps", "-e", ".", env=uv_env, check=False) == 0
    )


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def machine_services_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": CI_DATABASE_URL,
        "CELERY_BROKER_URL": CI_REDIS_URL,
        "COHORTOPS_INTEGRATION": "1",
    }


def command_test(pytest_args: list[str], *, changed_only: bool) -> None:
    install()
    # The first pass runs on the embedded defaults, whatever this shell has configured.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    if changed_only:
        say("The tests your change touches (pytest-testmon, on SQLite; the first run runs them all)")
        # In one process: testmon's selections run slower split over pytest-xdist's.
        run(PYTHON, "-m", "pytest", "--testmon", "--ignore", "tests/integration", *pytest_args, env=env)
        return
    say("Lint: ruff check and ruff format --check")
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")
    say("Architecture: the import-linter contracts in pyproject.toml (floors never run back up)")
    run(VENV / "bin" / "lint-imports")
    say("Migrations match the models")
    manage("makemigrations", "--check", "--dry-run", env=env)
    say("Deployment checks pass with production settings")
    deploy_env = {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": "deploy-check-only-" + hashlib.sha256(b"check").hexdigest(),
        "ALLOWED_HOSTS": "cohortops.example",
    }
    manage("check", "--deploy", "--fail-level", "WARNING", env=deploy_env)

    services_up = reachable(CI_DATABASE_URL, 5432) and reachable(CI_REDIS_URL, 6379)
    if CI and not services_up:
        sys.exit(
            "CI=true but PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not reachable: failing."
        )

    # One pytest process per core (pytest-xdist); the integration tests keep to one of them (their conftest).
    parallel = ["--numprocesses", "auto", "--dist", "loadgroup"]
    say("Tests on the embedded defaults (SQLite, filesystem broker)")
    # The integration tests need PostgreSQL and Redis: they run in the second pass, not here.
    sqlite_only = ["--ignore", "tests/integration"] if services_up else []
    run(PYTHON, "-m", "pytest", *parallel, *sqlite_only, *pytest_args, env=env)
    if services_up:
        say("Tests on PostgreSQL and Redis, with the integration tests (real Celery workers, SMTP)")
        run(PYTHON, "-m", "pytest", *parallel, *pytest_args, env=machine_services_env())
    else:
        say("PostgreSQL or Redis not reachable here: the PostgreSQL + Redis pass did not run (CI runs it).")


def command_bench(names: list[str]) -> None:
    install()
    services_up = reachable(CI_DATABASE_URL, 5432)
    env = {**machine_services_env(), "CACHE_URL": CI_CACHE_URL} if services_up else dict(os.environ)
    benches = names or ["demo", "planner", "notifications", "api", "feeds", "import"]
    for name in benches:
        module = f"tests.bench.bench_{name}"
        if not (ROOT / "tests" / "bench" / f"bench_{name}.py").exists():
            sys.exit(f"no benchmark named {name!r}")
        say(f"Benchmark: {name}")
        run(PYTHON, "-m", module, env=env)


class DemoStopped(Exception):
    """A stop signal reached run.py while it set the demo up."""


class StopSignals:
    """SIGTERM, SIGINT and SIGHUP, except any this process was told to ignore (`nohup` ignores SIGHUP).

    While the demo is set up, a signal interrupts the step at hand (subprocess.run kills that step's process).
    Once processes run, a signal is only recorded and the main loop acts on it, so none lands halfway through
    starting or stopping a process.
    """

    def __init__(self) -> None:
        self.received: str | None = None
        self.handled = [s for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN]

    def interrupt(self) -> None:
        self._handle_with(self._raise)

    def record(self) -> None:
        self._handle_with(self._record)

    def ignore(self) -> None:
        self._handle_with(signal.SIG_IGN)

    def _handle_with(self, handler: object) -> None:
        for handled in self.handled:
            signal.signal(handled, handler)

    @staticmethod
    def _raise(signum: int, _frame: object) -> None:
        raise DemoStopped(signal.Signals(signum).name)

    def _record(self, signum: int, _frame: object) -> None:
        self.received = self.received or signal.Signals(signum).name


def tell(message: str) -> None:
    """Print, unless the terminal is gone (SIGHUP): stopping the demo must not depend on being able to say so."""
    with contextlib.suppress(OSError):
        print(message, flush=True)


def start_process(*args: str) -> subprocess.Popen:
    """A child in its own process group, so stopping it reaches whatever it forked (Celery's pool, say)."""
    return subprocess.Popen([str(PYTHON), *args], cwd=ROOT, start_new_session=True)


def stop_processes(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each (a warm shutdown), up to 15 s to finish, then SIGKILL to anything left in its group."""
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 15
    for name, process in processes.items():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            tell(f"The {name} did not stop within 15 s: killed.")
        # The group outlives its leader while anything it forked runs: kill that too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        # Then wait, briefly, until init has reaped the orphans, so "nothing is running" is true when said.
        with contextlib.suppress(ProcessLookupError):
            for _ in range(100):
                os.killpg(process.pid, 0)
                time.sleep(0.05)


def command_demo() -> None:
    stops = StopSignals()
    stops.interrupt()
    # Each step's output shows as it happens, in a log file as on a terminal.
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # Every link the demo's mails and feeds carry points at the port it serves on (PORT), unless told otherwise.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{DEMO_PORT}")
    processes: dict[str, subprocess.Popen] = {}
    try:
        install()
        if not os.environ.get("SECRET_KEY"):
            print(
                "note: SECRET_KEY is not set, so the demo uses the development key: fine on this machine only."
            )
        processes["calendar host"] = start_calendar_host()
        manage("set_up_demo")
    except DemoStopped as stopped:
        # Nothing runs on: the interrupted step's process was killed (subprocess.run does that).
        stop_processes(processes)
        sys.exit(f"\n{stopped}: stopped while setting up the demo; nothing it started is running.")
    except BaseException:
        stop_processes(processes)
        raise
    stops.record()
    serve_demo(stops, processes)


def start_calendar_host() -> subprocess.Popen:
    """Serve seeds/calendars/ on this machine: a mentor's own calendar, which the demo reads like any other (and
    the worker reads again every CALENDAR_REFRESH_MINUTES) so the plan works around their busy times."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = ("-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", "seeds/calendars")
    process = subprocess.Popen(
        [str(PYTHON), *serve],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Only this origin, only for the demo's processes: the outbound policy refuses this machine otherwise.
    os.environ["COHORTOPS_LOCAL_CALENDAR_ORIGINS"] = f"127.0.0.1:{port}"
    os.environ["COHORTOPS_DEMO_CALENDAR_URL"] = f"http://127.0.0.1:{port}/mentor-busy.ics"
    deadline = time.monotonic() + 30
    while process.poll() is None and not reachable(f"http://127.0.0.1:{port}", port):
        if time.monotonic() > deadline:
            process.kill()
            sys.exit("The demo's calendar host did not start within 30 s.")
        time.sleep(0.1)
    if process.poll() is not None:
        sys.exit(f"The demo's calendar host exited at once (code {process.returncode}).")
    return process


def serve_demo(stops: StopSignals, processes: dict[str, subprocess.Popen]) -> None:
    say(
        "Starting the web app, two Celery workers (sends, ticks) and beat (Ctrl-C, SIGTERM or SIGHUP stops them)"
    )
    base = f"http://127.0.0.1:{DEMO_PORT}"
    reason = "run.py failed"
    try:
        web = processes["web app"] = start_process(
            "manage.py", "runserver", f"127.0.0.1:{DEMO_PORT}", "--noreload"
        )
        # The pages first: on two cores, three processes starting at once each take three times as long.
        while web.poll() is None and not stops.received and not reachable(base, DEMO_PORT):
            time.sleep(0.2)
        if web.poll() is None and not stops.received:
            celery_worker = ("-m", "celery", "-A", "cohort.project", "worker", "--loglevel", "INFO")
            processes["worker"] = start_process(*celery_worker, "--concurrency", "2")
            # Beat's ticks on a worker of their own, so a backlog of sends never holds one up.
            processes["tick worker"] = start_process(
                *celery_worker, "--concurrency", "1", "--queues", "ticks", "--hostname", "ticks@%h"
            )
            processes["beat"] = start_process(
                "-m", "celery", "-A", "cohort.project", "beat", "--loglevel", "INFO"
            )
            tell(
                f"""
cohortops demo is running:
  sign in              {base}/sign-in/          (scholars and mentors: a link by mail, see above)
  admin                {base}/admin/            (login printed above)
  week at a glance     {base}/admin/cohort/cohort/   → the demo cohort → "Week at a glance"
  API docs             {base}/api/docs/   (ReDoc: {base}/api/redoc/)
  API                  {base}/api/v1/
  reminder mails       {Path(os.environ.get("COHORTOPS_VAR_DIR", ROOT / "var")) / "mail"}/
"""
            )
        while not stops.received and all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        exited = [name for name, process in processes.items() if process.poll() is not None]
        reason = stops.received or f"the {' and '.join(exited)} exited"
    finally:
        stops.ignore()  # a second signal must not cut the stopping short
        tell(f"\n{reason}: stopping the demo's {', '.join(processes)}.")
        stop_processes(processes)
        tell(f"Stopped: {', '.join(processes)}; nothing the demo started is running.")
    if not stops.received:
        sys.exit(f"the demo's {reason.removeprefix('the ')}; see its output above")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="install, set up and start the demo")
    test = sub.add_parser("test", help="lint and run the whole test suite")
    test.add_argument(
        "--changed",
        action="store_true",
        help="only the tests that the code changed since the last --changed run reaches (pytest-testmon)",
    )
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest")
    bench = sub.add_parser("bench", help="run the benchmarks")
    bench.add_argument(
        "names", nargs="*", help="demo, planner, notifications, api, feeds, import (default: all)"
    )
    args = parser.parse_args()
    if args.command == "demo":
        command_demo()
    elif args.command == "test":
        command_test(args.pytest_args, changed_only=args.changed)
    else:
        command_bench(args.names)


if __name__ == "__main__":
    main()

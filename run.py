#!/usr/bin/env python3
"""cohortops' two commands, runnable on a fresh machine with nothing but Python 3.11.

    python3 run.py demo    # install, migrate, import the seeds, build and plan a demo cohort, start web + worker + beat
    python3 run.py test    # install, lint, then the whole test suite (twice under CI: SQLite, then PostgreSQL + Redis)
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

    uv installs the same pins as pip, from the same package index, in a fraction of the time (its wheel cache
    makes a second clone's install take seconds); pip is the fallback where uv cannot be installed.
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
    uv = VENV / "bin" / "uv"
    if uv.exists() or run(PYTHON, "-m", "pip", "install", "--quiet", UV_REQUIREMENT, check=False) == 0:
        # Never a Python of uv's own: the venv's interpreter is the one installed into.
        uv_env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        run(uv, "pip", "install", "--quiet", "--python", PYTHON, "-r", LOCK, env=uv_env)
        run(uv, "pip", "install", "--quiet", "--python", PYTHON, "--no-deps", "-e", ".", env=uv_env)
    else:
        print("uv could not be installed here: installing with pip, which takes a few minutes.", flush=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "-r", LOCK)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    INSTALL_STAMP.write_text(wanted)


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


def command_test(pytest_args: list[str]) -> None:
    install()
    # The first pass runs on the embedded defaults, whatever this shell has configured.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
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

    say("Tests on the embedded defaults (SQLite, filesystem broker)")
    # The integration tests need PostgreSQL and Redis: they run in the second pass, not here.
    sqlite_only = ["--ignore", "tests/integration"] if services_up else []
    run(PYTHON, "-m", "pytest", *sqlite_only, *pytest_args, env=env)
    if services_up:
        say("Tests on PostgreSQL and Redis, with the integration tests (real Celery workers, SMTP)")
        run(PYTHON, "-m", "pytest", *pytest_args, env=machine_services_env())
    else:
        say("PostgreSQL or Redis not reachable here: the PostgreSQL + Redis pass did not run (CI runs it).")


def command_bench(names: list[str]) -> None:
    install()
    env = machine_services_env() if reachable(CI_DATABASE_URL, 5432) else dict(os.environ)
    benches = names or ["demo", "planner", "notifications", "api", "feeds", "import"]
    for name in benches:
        module = f"tests.bench.bench_{name}"
        if not (ROOT / "tests" / "bench" / f"bench_{name}.py").exists():
            sys.exit(f"no benchmark named {name!r}")
        say(f"Benchmark: {name}")
        run(PYTHON, "-m", module, env=env)


class DemoStopped(Exception):
    """A stop signal reached run.py: whatever it started must stop too."""


def stop_on_signal(signum: int, _frame: object) -> None:
    raise DemoStopped(signal.Signals(signum).name)


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
            print(f"{name} did not stop within 15 s: killed.", flush=True)
        with contextlib.suppress(ProcessLookupError):  # raised when everything in the group has exited
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def command_demo() -> None:
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, stop_on_signal)
    try:
        install()
        # Every link the demo's mails and feeds carry points at the port it serves on (PORT), unless told otherwise.
        os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{DEMO_PORT}")
        if not os.environ.get("SECRET_KEY"):
            print(
                "note: SECRET_KEY is not set, so the demo uses the development key: fine on this machine only."
            )
        manage("set_up_demo")
    except DemoStopped as stopped:
        # A step's own process was killed on the way out (subprocess.run does that); nothing else was started.
        sys.exit(f"\n{stopped}: stopped while setting up the demo.")
    serve_demo()


def serve_demo() -> None:
    say("Starting the web app, a Celery worker and Celery beat (Ctrl-C, SIGTERM or SIGHUP stops all three)")
    processes: dict[str, subprocess.Popen] = {}
    try:
        processes["web app"] = start_process("manage.py", "runserver", f"127.0.0.1:{DEMO_PORT}", "--noreload")
        # The pages first: on two cores, three processes starting at once each take three times as long.
        while (
            not reachable(f"http://127.0.0.1:{DEMO_PORT}", DEMO_PORT) and processes["web app"].poll() is None
        ):
            time.sleep(0.2)
        processes["worker"] = start_process(
            "-m", "celery", "-A", "cohort.project", "worker", "--loglevel", "INFO", "--concurrency", "2"
        )
        processes["beat"] = start_process(
            "-m", "celery", "-A", "cohort.project", "beat", "--loglevel", "INFO"
        )
        base = f"http://127.0.0.1:{DEMO_PORT}"
        print(
            f"""
cohortops demo is starting:
  sign in              {base}/sign-in/          (scholars and mentors: a link by mail, see above)
  admin                {base}/admin/            (login printed above)
  week at a glance     {base}/admin/cohort/cohort/   → the demo cohort → "Week at a glance"
  API docs             {base}/api/docs/   (ReDoc: {base}/api/redoc/)
  API                  {base}/api/v1/
  reminder mails       {Path(os.environ.get("COHORTOPS_VAR_DIR", ROOT / "var")) / "mail"}/
""",
            flush=True,
        )
        while True:
            exited = [name for name, process in processes.items() if process.poll() is not None]
            if exited:
                reason = f"the {' and '.join(exited)} exited"
                break
            time.sleep(0.5)
    except DemoStopped as stopped:
        reason = str(stopped)
    print(f"\n{reason}: stopping the demo's {', '.join(processes)}.", flush=True)
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)  # a second signal must not cut the stopping short
    stop_processes(processes)
    print(f"Stopped: {', '.join(processes)}; nothing the demo started is running.", flush=True)
    failed = [
        name
        for name, process in processes.items()
        if process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL)
    ]
    if failed:
        sys.exit(f"the demo's {', '.join(failed)} exited with an error; see its output above")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="install, set up and start the demo")
    test = sub.add_parser("test", help="lint and run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest")
    bench = sub.add_parser("bench", help="run the benchmarks")
    bench.add_argument(
        "names", nargs="*", help="demo, planner, notifications, api, feeds, import (default: all)"
    )
    args = parser.parse_args()
    if args.command == "demo":
        command_demo()
    elif args.command == "test":
        command_test(args.pytest_args)
    else:
        command_bench(args.names)


if __name__ == "__main__":
    main()

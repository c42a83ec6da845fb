#!/usr/bin/env python3
"""cohortops' two commands, runnable on a fresh machine with nothing but Python 3.11.

    python3 run.py demo    # install, migrate, import the seeds, build and plan a demo cohort, start web + worker + beat
    python3 run.py test    # install, lint, then the whole test suite (twice under CI: SQLite, then PostgreSQL + Redis)
    python3 run.py bench   # the benchmarks (planner, notifications, API, feeds, import); not part of the tests

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
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
    """Create .venv and install the pinned dependencies; skipped when nothing changed since the last install."""
    if sys.version_info[:2] != (3, 11):
        print(f"warning: cohortops is built for Python 3.11; this is {sys.version.split()[0]}.", flush=True)
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if INSTALL_STAMP.exists() and INSTALL_STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        run(sys.executable, "-m", "venv", VENV)
    say("Installing dependencies (pinned in requirements.lock)")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
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
    benches = names or ["planner", "notifications", "api", "feeds", "import"]
    for name in benches:
        module = f"tests.bench.bench_{name}"
        if not (ROOT / "tests" / "bench" / f"bench_{name}.py").exists():
            sys.exit(f"no benchmark named {name!r}")
        say(f"Benchmark: {name}")
        run(PYTHON, "-m", module, env=env)


def command_demo() -> None:
    install()
    # Every link the demo's mails and feeds carry points at the port it serves on (PORT), unless told otherwise.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{DEMO_PORT}")
    if not os.environ.get("SECRET_KEY"):
        print("note: SECRET_KEY is not set, so the demo uses the development key: fine on this machine only.")
    say("Migrating the database (var/cohortops.sqlite3 unless DATABASE_URL says otherwise)")
    manage("migrate", "--no-input")
    say("Importing the stream documents in seeds/")
    manage("import_seeds")
    say("Building the demo cohort, its sample scholars and the admin login")
    manage("demo_cohort")
    say("Planning the demo cohort's meetings")
    manage("plan", "demo", "--apply")
    manage("install_beat_schedule")
    manage("collectstatic", "--no-input", "--verbosity", "0")

    processes: list[subprocess.Popen] = []

    def start(*args: str) -> None:
        processes.append(subprocess.Popen([str(PYTHON), *args], cwd=ROOT))

    say("Starting the web app, a Celery worker and Celery beat (Ctrl-C stops all three)")
    start("manage.py", "runserver", f"127.0.0.1:{DEMO_PORT}", "--noreload")
    start("-m", "celery", "-A", "cohort.project", "worker", "--loglevel", "INFO", "--concurrency", "2")
    start("-m", "celery", "-A", "cohort.project", "beat", "--loglevel", "INFO")
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
  send due reminders   .venv/bin/python manage.py send_due_notifications --as-of "<ISO instant>"
""",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
    if failed:
        sys.exit("a demo process exited with an error; see its output above")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="install, set up and start the demo")
    test = sub.add_parser("test", help="lint and run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest")
    bench = sub.add_parser("bench", help="run the benchmarks")
    bench.add_argument("names", nargs="*", help="planner, notifications, api, feeds, import (default: all)")
    args = parser.parse_args()
    if args.command == "demo":
        command_demo()
    elif args.command == "test":
        command_test(args.pytest_args)
    else:
        command_bench(args.names)


if __name__ == "__main__":
    main()

"""API throughput under concurrent load on gunicorn: the meetings list and /me/, next to a constant-JSON floor.

Run: ``python3 run.py bench api`` (PostgreSQL when the machine has it, else SQLite). A seeded cohort is written to
a throwaway database; gunicorn serves it on a loopback port; client threads in this process hold keep-alive
connections and issue requests for a fixed time. Each endpoint is measured twice: unchanged (its answer kept in the
cache, ``cohort.cached_answers``) and built anew on every request, as after a write. Figures: requests per second,
p50/p99 latency, and each case's share of the floor's rate in the same run.

The machine's speed swings by half within a minute (its cores are shared), so a floor measured once, before the
cases, says little of the speed each case ran at. Each case runs in rounds, each round right after a round of the
floor, and its share is the median of the rounds' shares.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import connection, connections
from django.utils import timezone

from cohort.dates import monday_of
from tests.bench.database import bench_database, gather_statistics

CLIENTS = 8
ROUNDS = 4
SECONDS_PER_ROUND = 2.0
GUNICORN_WORKERS = 4
ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")  # every series' zone


def build_cohort() -> str:
    """Twenty mentors, eighty scholars, weekly 1-on-1s over twelve weeks; returns a scholar's API token."""
    # Django's app registry refuses model imports until bench_database() has called django.setup().
    from rest_framework.authtoken.models import Token

    from scheduling.models import Meeting, MeetingSeries
    from tests.factories import CohortFactory, MentorFactory, MentorshipFactory, ScholarFactory, UserFactory

    # Twelve weeks from next Monday: `/me/` lists meetings ahead, whatever day the bench runs.
    first_day = monday_of(timezone.localdate()) + dt.timedelta(weeks=1)
    cohort = CohortFactory(start_date=first_day, end_date=first_day + dt.timedelta(weeks=12, days=-3))
    scholar_user = None
    for m in range(20):
        mentor = MentorFactory()
        for s in range(4):
            user = UserFactory()
            scholar = ScholarFactory(cohort=cohort, user=user)
            scholar_user = scholar_user or user
            MentorshipFactory(mentor=mentor, scholar=scholar)
            series = MeetingSeries.objects.create(
                cohort=cohort, mentor=mentor, kind="one_on_one", demand_key=f"d{m}-{s}", title=f"1-on-1 {m}-{s}",
                uid=f"bench-{m}-{s}@cohortops", weekday=s, start_time=dt.time(10 + m % 6), duration_minutes=60,
                time_zone="Europe/London", rrule="FREQ=WEEKLY", starts_on=cohort.start_date, ends_on=cohort.end_date,
            )  # fmt: skip
            series.scholars.add(scholar)
            first = dt.datetime.combine(first_day + dt.timedelta(days=s), dt.time(10 + m % 6), LONDON)
            Meeting.objects.bulk_create(
                Meeting(
                    series=series,
                    original_start=first + dt.timedelta(weeks=w),
                    starts_at=first + dt.timedelta(weeks=w),
                    ends_at=first + dt.timedelta(weeks=w, hours=1),
                )
                for w in range(12)
            )
    staff = UserFactory(is_staff=True)
    return Token.objects.create(user=staff).key, Token.objects.create(user=scholar_user).key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn exited before serving")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start within 60 s")


def load(port: int, path: str, token: str | None, *, rebuilt: bool) -> tuple[float, list[float], int]:
    """``rebuilt``: each request asks for a URL of its own (a query parameter no view reads), so no answer kept
    in the cache serves it: what a call costs when a write has just ended every kept answer."""
    headers = {"Authorization": f"Token {token}"} if token else {}
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors = [0] * CLIENTS
    stop = time.perf_counter() + SECONDS_PER_ROUND

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent = 0
        while time.perf_counter() < stop:
            sent += 1
            url = f"{path}?rebuilt={index}-{sent}" if rebuilt else path
            started = time.perf_counter()
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies[index].append(time.perf_counter() - started)
            if response.status != 200:
                errors[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [x for per in latencies for x in per]
    return len(flat) / elapsed, flat, sum(errors)


Endpoint = tuple[str, str | None]  # a path, and the API token to call it with (None: anonymous)
FLOOR: Endpoint = ("/bench/constant/", None)


def report(label: str, port: int, endpoint: Endpoint, *, rebuilt: bool = False) -> None:
    """Print the figures of one endpoint under load, in rounds each after a round of the floor: the rate (median of
    the rounds), p50/p99 latency over every round, and the median share of the floor's rate beside it."""
    load(port, *endpoint, rebuilt=rebuilt)  # warm every worker
    rates, shares, latencies, errors = [], [], [], 0
    for _ in range(ROUNDS):
        floor_rate, _, _ = load(port, *FLOOR, rebuilt=False)
        rate, round_latencies, round_errors = load(port, *endpoint, rebuilt=rebuilt)
        rates.append(rate)
        shares.append(rate / floor_rate)
        latencies.extend(round_latencies)
        errors += round_errors
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    share = f"   {statistics.median(shares):6.1%} of the floor ({min(shares):.1%} to {max(shares):.1%})"
    print(
        f"  {label:<36} {statistics.median(rates):8.0f} req/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   "
        f"non-200: {errors}{share if endpoint != FLOOR else ''}"
    )


def main() -> None:
    with bench_database() as vendor:
        staff_token, scholar_token = build_cohort()
        gather_statistics()
        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cohort.project.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" * 6,
        }
        env["ALLOWED_HOSTS"] = "127.0.0.1"
        env["SECURE_SSL_REDIRECT"] = "0"
        env["THROTTLE_USER"] = "1000000/minute"
        if vendor == "postgresql":
            env["DATABASE_URL"] = (
                f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
                f"/{database['NAME']}"
            )
        else:
            sys.exit(
                "the API benchmark needs PostgreSQL (DATABASE_URL): SQLite's test database lives in memory"
            )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "tests.bench.bench_wsgi:application", "--workers", str(GUNICORN_WORKERS),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_until_serving(port, server)
            print(
                f"API benchmark ({vendor}, gunicorn {GUNICORN_WORKERS} workers, {CLIENTS} concurrent clients):"
            )
            report("floor: constant JSON view", port, FLOOR)
            for rebuilt in (False, True):
                print("  every answer built anew (as after a write):" if rebuilt else "  unchanged answers:")
                for label, path, token in (
                    ("meetings list (staff, page of 50)", "/api/v1/meetings/", staff_token),
                    ("meetings list (one scholar)", "/api/v1/meetings/", scholar_token),
                    ("/api/v1/me/ (scholar)", "/api/v1/me/", scholar_token),
                ):
                    report(f"  {label}", port, (path, token), rebuilt=rebuilt)
        finally:
            server.terminate()
            server.wait(timeout=30)
            connections.close_all()


if __name__ == "__main__":
    main()

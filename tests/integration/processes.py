"""Real processes for the integration tests: Celery workers and a private redis-server, and polling helpers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from cohort.project.celery import app
from scheduling.dispatch import Claim
from scheduling.tasks import send_notifications

ROOT = Path(__file__).resolve().parents[2]
# The lease of a claim, in workers and in the test's own ticks: short, so recovery is quick. A running batch renews
# it before each delivery.
SENDING_TIMEOUT_SECONDS = 3


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def wait_until(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.2, what: str
) -> object:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def worker_database_url() -> str:
    """The pytest test database (not the configured one), so a worker process sees what the test committed."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def database_sessions() -> tuple[int, int]:
    """This database's sessions ever established (PostgreSQL counts each as it ends) and its connections open now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT sessions, numbackends FROM pg_stat_database WHERE datname = current_database()"
        )
        return cursor.fetchone()


def sessions_once_closed() -> int:
    """The sessions count once every connection but ours has closed, so each of theirs is counted."""
    wait_until(lambda: database_sessions()[1] == 1, timeout=30, what="the other connections to close")
    return database_sessions()[0]


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill_hard(self) -> None:
        """SIGKILL the worker and its pool children at once, as a lost machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_hard()


@contextmanager
def celery_worker(
    *,
    broker_url: str,
    queue: str,
    smtp_port: int,
    concurrency: int = 2,
    send_queue: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Worker]:
    """A real ``celery -A cohort.project worker`` process on ``queue``, sending mail to 127.0.0.1:``smtp_port``.

    ``queue`` is also its tick queue; the send tasks it enqueues (a tick's) go to ``send_queue`` (default:
    ``queue``). ``env`` adds to or overrides the settings it is started with."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "5",
        "NOTIFICATION_SENDING_TIMEOUT_SECONDS": str(SENDING_TIMEOUT_SECONDS),
        "NOTIFICATION_RETRY_BASE_SECONDS": "1",
        "CELERY_TICK_QUEUE": queue,
        "CELERY_TASK_DEFAULT_QUEUE": send_queue or queue,
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    log = Path(tempfile.mkstemp(prefix=f"worker-{queue}-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cohort.project",
                "worker",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill_hard reaches the pool children too
        )
    worker = Worker(process, log)
    try:
        wait_until(
            lambda: "ready." in worker.output() or process.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert process.poll() is None, worker.output()
        yield worker
    finally:
        worker.stop()
        log.unlink(missing_ok=True)


def enqueue_to(queue: str, *, broker_url: str | None = None) -> Callable[[Claim], None]:
    """The tick's enqueue, publishing to ``queue`` (and to ``broker_url`` if given) with no publish retries."""

    def enqueue(claim: Claim) -> None:
        if broker_url is None:
            send_notifications.apply_async((claim.token, list(claim.notification_ids)), queue=queue)
            return
        with app.connection_for_write(broker_url) as broker:
            send_notifications.apply_async(
                (claim.token, list(claim.notification_ids)), queue=queue, connection=broker, retry=False
            )

    return enqueue


class PrivateRedis:
    """A redis-server of the test's own, which it may stop and start; the machine's shared Redis is never touched."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(
            lambda: reachable("127.0.0.1", self.port), timeout=20, what=f"redis-server on port {self.port}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@contextmanager
def private_redis(port: int) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(port)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()

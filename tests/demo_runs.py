"""`run.py demo` as a new user runs it: from a fresh clone to the first page, then stopped with a signal.

Shared by the integration test, which fails when the demo leaves anything running, and by the demo benchmark,
which prints the times. Linux: what is left running is found through /proc.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

ROOT = Path(__file__).resolve().parents[1]
# Settings the test or bench process may carry that the demo must not inherit: it runs on its own defaults.
NOT_INHERITED = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")


def fresh_clone(into: Path, *, source: Path = ROOT) -> Path:
    """A clone of the committed tree, with the working tree's uncommitted changes on top (none under CI)."""
    subprocess.run(["git", "clone", "--quiet", str(source), str(into)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(source), "ls-files", "--modified", "--others", "--exclude-standard", "-z"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        if (source / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, into / name)
        else:
            (into / name).unlink(missing_ok=True)  # deleted in the working tree
    return into


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def running_in(directory: Path) -> list[str]:
    """Every other process whose working directory is inside ``directory``, as "pid command line"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue  # exited meanwhile, or not ours to read
        if cwd == directory or directory in cwd.parents:
            found.append(f"{entry.name} {command}")
    return found


@dataclass(frozen=True)
class Stop:
    exit_code: int
    seconds: float
    left_running: list[str]


class DemoRun:
    """One `python3 run.py demo` in ``checkout``, its output in ``log``."""

    def __init__(self, checkout: Path, *, port: int | None = None) -> None:
        self.checkout = checkout.resolve()
        self.port = port or free_port()
        self.log = self.checkout / "demo-run.log"
        environment = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
        environment = {key: value for key, value in environment.items() if not key.startswith("COHORTOPS_")}
        python = shutil.which("python3") or "python3"
        self.started = time.monotonic()
        with self.log.open("wb") as output:
            # Its own session, so a signal meant for it reaches nothing else and nothing else reaches it.
            self.process = subprocess.Popen(
                [python, "run.py", "demo"],
                cwd=self.checkout,
                env={**environment, "PORT": str(self.port)},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, *, timeout: float) -> float:
        """Seconds from the start until ``text`` appears in the output."""
        return self._wait(lambda: text in self.output(), timeout=timeout, what=repr(text))

    def wait_for_first_page(self, *, timeout: float) -> float:
        """Seconds from the start until the sign-in page answers 200."""
        return self._wait(self._page_answers, timeout=timeout, what="the first page")

    def _page_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/sign-in/", timeout=2) as response:
                return response.status == 200
        except (URLError, OSError):
            return False

    def _wait(self, condition, *, timeout: float, what: str) -> float:
        deadline = self.started + timeout
        while not condition():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"run.py demo exited ({self.process.returncode}) before {what}:\n{self.output()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout} s:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        return time.monotonic() - self.started

    def stop(self, stop_signal: signal.Signals, *, timeout: float = 60) -> Stop:
        """Send ``stop_signal`` to run.py alone; once it exits, list what still runs in the checkout, and kill it."""
        sent = time.monotonic()
        self.process.send_signal(stop_signal)
        try:
            exit_code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            exit_code = self.process.wait()
        seconds = time.monotonic() - sent
        left_running = running_in(self.checkout)
        for line in left_running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        return Stop(exit_code, seconds, left_running)

"""`run.py demo` as a new user runs it: from a fresh clone to the first page, then stopped with a signal.

Shared by the integration test, which fails when the demo leaves anything running, and by the demo benchmark,
which prints the times. Linux: what is left running is found through /proc.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import subprocess
import termios
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

from tests.integration.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
# Settings the test or bench process may carry that the demo must not inherit: it runs on its own defaults.
NOT_INHERITED = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
# Set to a fresh value for each run: every process the run starts inherits it, and nothing else has it.
RUN_MARKER = "COHORTOPS_DEMO_RUN"


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


def running_with(marker: str) -> list[str]:
    """Every other process whose environment holds ``marker`` (inherited by all a demo starts), as "pid command"."""
    found = []
    needle = f"{RUN_MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue  # exited meanwhile, or not ours to read
        found.append(f"{entry.name} {command}")
    return found


@dataclass(frozen=True)
class Stop:
    exit_code: int
    seconds: float
    left_running: list[str]


class DemoRun:
    """One `python3 run.py demo` in ``checkout``, its output in ``log``.

    With ``terminal``, run.py's output goes to a pseudo-terminal that is its controlling terminal, copied to the log
    as it comes; ``hang_up`` closes it, as closing a terminal window does, which sends run.py SIGHUP.
    """

    def __init__(self, checkout: Path, *, terminal: bool = False) -> None:
        self.checkout = checkout.resolve()
        self.port = free_port()
        self.log = self.checkout / "demo-run.log"
        self.marker = uuid.uuid4().hex
        environment = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
        environment = {key: value for key, value in environment.items() if not key.startswith("COHORTOPS_")}
        environment.update({"PORT": str(self.port), RUN_MARKER: self.marker})
        command = [shutil.which("python3") or "python3", "run.py", "demo"]
        self.started = time.monotonic()
        self._terminal: int | None = None
        if terminal:
            self._terminal, child_side = pty.openpty()
            # Its own session (a signal meant for it reaches nothing else), with the terminal as its controlling one.
            self.process = subprocess.Popen(
                command,
                cwd=self.checkout,
                env=environment,
                stdin=child_side,
                stdout=child_side,
                stderr=child_side,
                start_new_session=True,
                preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
            )
            os.close(child_side)
            self._copying = threading.Event()
            self._copying.set()
            self._copier = threading.Thread(target=self._copy_terminal_to_log, daemon=True)
            self._copier.start()
        else:
            with self.log.open("wb") as output:
                self.process = subprocess.Popen(
                    command,
                    cwd=self.checkout,
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def _copy_terminal_to_log(self) -> None:
        with self.log.open("wb") as output:
            while self._copying.is_set():
                if select.select([self._terminal], [], [], 0.1)[0]:
                    try:
                        chunk = os.read(self._terminal, 65536)
                    except OSError:
                        return  # the other side has gone
                    output.write(chunk)
                    output.flush()

    def hang_up(self) -> None:
        """Close the terminal, as closing its window does."""
        self._copying.clear()
        self._copier.join()
        os.close(self._terminal)

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

    def stop(self, stop_signal: signal.Signals | None, *, timeout: float = 60) -> Stop:
        """Send ``stop_signal`` to run.py alone (None: hang up its terminal); once it exits, list what the run left
        running, and kill that."""
        sent = time.monotonic()
        if stop_signal is None:
            self.hang_up()
        else:
            self.process.send_signal(stop_signal)
        try:
            exit_code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            exit_code = self.process.wait()
        seconds = time.monotonic() - sent
        left_running = running_with(self.marker)
        for line in left_running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        return Stop(exit_code, seconds, left_running)

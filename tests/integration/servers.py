"""Real local peers for the tests: an SMTP server (aiosmtpd), a Slack-style webhook server, and a calendar host.

Each listens on 127.0.0.1 on a free port, records what it receives, and answers as told.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import json
import logging
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingSMTPHandler:
    """Accepts every message (or refuses recipients with ``rcpt_reply``) and keeps it, in the order received.

    ``data_reply_delay``: seconds between keeping a message and saying so, as a slow server would; a sender that
    dies meanwhile has delivered a message it never heard was taken.

    Messages are kept as received and parsed when looked at: parsing each as it arrived would make the server,
    not the sender, what the notifications benchmark measures.
    """

    def __init__(self, rcpt_reply: str | None = None, data_reply_delay: float = 0) -> None:
        self.rcpt_reply = rcpt_reply
        self.data_reply_delay = data_reply_delay
        self.sessions = 0
        self._received: list[bytes] = []
        self._parsed: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._received.append(envelope.content)
        if self.data_reply_delay:
            await asyncio.sleep(self.data_reply_delay)
        return "250 Message accepted for delivery"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._received)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """Every message received so far, parsed."""
        with self._lock:
            for content in self._received[len(self._parsed) :]:
                self._parsed.append(email.message_from_bytes(content, policy=email.policy.default))
            return list(self._parsed)

    def contents(self) -> list[bytes]:
        """Every message received so far, as it came."""
        with self._lock:
            return list(self._received)

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived (from the headers alone)."""
        headers = BytesHeaderParser(policy=email.policy.compat32)
        return Counter(str(headers.parsebytes(content)["Message-ID"]) for content in self.contents())


@contextmanager
def smtp_server(*, port: int | None = None, rcpt_reply: str | None = None, data_reply_delay: float = 0):
    # aiosmtpd logs every SMTP command at INFO: thousands of lines in a benchmark, noise in a test.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = RecordingSMTPHandler(rcpt_reply=rcpt_reply, data_reply_delay=data_reply_delay)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    """``server`` answering from a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class RecordingWebhook:
    def __init__(self, status: int) -> None:
        self.status = status
        self.bodies: list[dict] = []


@contextmanager
def webhook_server(*, status: int = 200):
    """A Slack incoming-webhook stand-in: records each JSON body and answers ``status``."""
    recording = RecordingWebhook(status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            recording.bodies.append(json.loads(self.rfile.read(length)))
            body = b"ok" if recording.status == 200 else b"invalid_token"
            self.send_response(recording.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secretpath", recording


@dataclass
class CalendarRoute:
    """What the calendar server answers on one path: a body (with an ETag, honoured), or a status, a redirect,
    and a pause before each chunk of the body (a slow server)."""

    body: bytes = b""
    status: int = 200
    etag: str = ""
    location: str = ""
    content_type: str = "text/calendar; charset=utf-8"
    pause_per_chunk: float = 0.0
    chunk: int = 1024
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    dripped_headers: int = 0  # header lines sent one by one, pause_per_chunk apart, before the real ones


class RecordingCalendarServer:
    def __init__(self, port: int, *, scheme: str = "http") -> None:
        self.routes: dict[str, CalendarRoute] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers)
        self.completed: list[str] = []  # paths whose whole body was sent (the client did not give up first)
        self.base = f"{scheme}://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@contextmanager
def calendar_server(*, tls: ssl.SSLContext | None = None) -> Iterator[RecordingCalendarServer]:
    """A stand-in for Google's, Outlook's or iCloud's calendar host: serves ``routes``, answers 304 to an
    If-None-Match naming the route's ETag, and records each request's path and headers; over https with ``tls``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recording.requests.append((self.path, dict(self.headers.items())))
            route = recording.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.dripped_headers:
                self.flush_headers()
                try:
                    for number in range(route.dripped_headers):
                        time.sleep(route.pause_per_chunk)
                        self.wfile.write(f"X-Drip-{number}: x\r\n".encode())
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up, as it should
            if route.location:
                self.send_header("Location", route.location)
            if route.etag:
                self.send_header("ETag", route.etag)
            self.send_header("Content-Type", route.content_type)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                for start in range(0, len(route.body), route.chunk):
                    time.sleep(route.pause_per_chunk)
                    self.wfile.write(route.body[start : start + route.chunk])
                    self.wfile.flush()
                recording.completed.append(self.path)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client gave up on a slow or oversized body, as it should

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    recording = RecordingCalendarServer(server.server_address[1], scheme="https" if tls else "http")
    with serving(server):
        yield recording

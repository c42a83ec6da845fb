"""An integration's webhook receiver, as a real HTTP server on 127.0.0.1: it checks every message's signature with
the Standard Webhooks reference library (not our code), drops repeats by ``webhook-id`` as the standard asks of
receivers, records what arrived in order, and answers as the test tells it."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

from tests.integration.servers import serving


@dataclass(frozen=True)
class Received:
    message_id: str
    body: dict
    signed_with: tuple[int, ...]  # which of the receiver's secrets the signature matched, by position


@dataclass
class Receiver:
    url: str
    secrets: list[str]
    # Each request's answer: called with the number of requests so far (1 for the first); the status to send.
    answer: Callable[[int], int] = lambda count: 200
    delay_seconds: float = 0
    requests: int = 0
    deliveries: list[Received] = field(default_factory=list)  # every accepted request, repeats too
    refused: list[str] = field(default_factory=list)  # why each badly signed request was refused
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def unique(self) -> list[Received]:
        """Each message once, in the order it first arrived."""
        seen: set[str] = set()
        first = []
        for received in list(self.deliveries):
            if received.message_id not in seen:
                seen.add(received.message_id)
                first.append(received)
        return first

    def types(self) -> list[str]:
        return [received.body["type"] for received in self.unique]


@contextmanager
def webhook_receiver(secrets: list[str], *, path: str = "/hooks/cohortops") -> Iterator[Receiver]:
    receiver = Receiver(url="", secrets=secrets)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.requests += 1
                count = receiver.requests
            time.sleep(receiver.delay_seconds)
            status = receiver.answer(count)
            if status < 300:
                signed_with = []
                for position, secret in enumerate(receiver.secrets):
                    try:
                        Webhook(secret).verify(body, dict(self.headers))
                    except WebhookVerificationError:
                        continue
                    signed_with.append(position)
                if not signed_with:
                    receiver.refused.append(self.headers.get("webhook-id", "(no id)"))
                    status = 401
                else:
                    with receiver.lock:
                        receiver.deliveries.append(
                            Received(self.headers["webhook-id"], json.loads(body), tuple(signed_with))
                        )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:
            # A sender killed mid-request leaves a broken pipe behind: what the tests are about, not an error.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    with serving(Server(("127.0.0.1", 0), Handler)) as server:
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        yield receiver

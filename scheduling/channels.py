"""Transports: email through Django's mail backends, Slack incoming webhooks and integrations' signed webhook
endpoints, behind one ``deliver()``.

A transport either returns (delivered), raises ``TransientDeliveryError`` (worth retrying: the server is down,
timed out or said 4xx) or raises ``PermanentDeliveryError`` (retrying cannot help: the address or webhook was
refused, or the outbound policy of ``cohort.outbound`` refuses the webhook URL). Nothing here touches the database; ``scheduling.dispatch`` records every attempt.
"""

from __future__ import annotations

import json
import secrets
import select
import smtplib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import quoprimime
from email.charset import Charset
from email.message import Message as EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from http.client import HTTPException
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from cohort import outbound
from scheduling import webhook_signatures

# One POST to a Slack webhook or an endpoint: connect, TLS and the answer each within this.
WEBHOOK_TIMEOUT_SECONDS = 10
# UTF-8 sent as 8-bit text, not base64, as Django does for its text parts: a mail file stays readable.
UTF8_READABLE = Charset("utf-8")
UTF8_READABLE.body_encoding = None
# RFC 2047: an encoded word is at most 75 characters, its "=?utf-8?q?" and "?=" included.
ENCODED_WORD_MAX = 75


class DeliveryError(Exception):
    permanent = False


class TransientDeliveryError(DeliveryError):
    """Worth another try later."""


class ServerUnreachable(TransientDeliveryError):
    """The server itself could not be reached: every message through it would fail the same way just now."""

    def put_off(self) -> ServerUnreachable:
        """The error of a message not tried because of this one."""
        return ServerUnreachable(f"{NOT_TRIED}{self}")


NOT_TRIED = "Not tried: "


class PermanentDeliveryError(DeliveryError):
    """Another try would fail the same way."""

    permanent = True


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one address: an email address or a Slack webhook URL.

    ``message_id`` is derived from the notification's dedupe key, so every attempt at the same notification
    carries the same Message-ID and a receiver can drop a copy that a crash made us send twice.
    """

    channel: Literal["email", "slack", "webhook"]
    address: str
    subject: str
    text: str
    html: str = ""
    message_id: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    # A webhook's: the secrets each attempt is signed with (``webhook_signatures``), the current one first.
    signing_secrets: tuple[str, ...] = field(default_factory=tuple, repr=False)


def deliver(message: OutgoingMessage) -> None:
    """Send ``message`` through its channel; raise ``TransientDeliveryError`` or ``PermanentDeliveryError``."""
    if message.channel == "email":
        _deliver_email(message)
    elif message.channel == "slack":
        _deliver_slack(message)
    elif message.channel == "webhook":
        _deliver_webhook(message)
    else:
        raise PermanentDeliveryError(f"unknown channel {message.channel!r}")


def loggable_address(message: OutgoingMessage) -> str:
    """What the delivery log may show: an email address as is, a webhook URL without its secret path."""
    return message.address if message.channel == "email" else loggable_webhook(message.address)


def loggable_webhook(url: str) -> str:
    """A webhook URL without its secret path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{parts.path[-4:]}"


class _Mail(EmailMultiAlternatives):
    """A mail whose MIME form costs less to build: the subject goes in already encoded (``encoded_subject``), and
    the boundaries are drawn here, 128 random bits each, which no part's text holds by chance. Left to the email
    package, each boundary is checked against the whole message with a regular expression compiled for it: about a
    millisecond a mail."""

    def message(self) -> EmailMessage:
        subject = self.subject
        self.subject = encoded_subject(subject)
        try:
            mime = super().message()
        finally:
            self.subject = subject  # what the mail says, for whoever reads it back (the locmem outbox)
        for part in mime.walk():
            if part.is_multipart():
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        return mime


def encoded_subject(subject: str) -> str:
    """A subject as it goes on the wire: as it is when ASCII, else RFC 2047 Q-encoded words of whole characters
    (at most 75 characters each, separated by spaces a reader drops). Built in one pass: the email package's Header
    measures the whole encoding again for every character it adds, over a millisecond for a subject."""
    if subject.isascii():
        return subject
    room = ENCODED_WORD_MAX - len("=?utf-8?q??=")
    words: list[str] = []
    chunk, length = "", 0
    for character in subject:
        size = quoprimime.header_length(character.encode())
        if chunk and length + size > room:
            words.append(quoprimime.header_encode(chunk.encode(), "utf-8"))
            chunk, length = "", 0
        chunk += character
        length += size
    words.append(quoprimime.header_encode(chunk.encode(), "utf-8"))
    return " ".join(words)


def _deliver_email(message: OutgoingMessage) -> None:
    mail = _Mail(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        headers={"Message-ID": message.message_id} if message.message_id else {},
    )
    if message.html:
        mail.attach_alternative(message.html, "text/html")
    for attachment in message.attachments:
        mail.attach(_mime_part(attachment))
    try:
        _send(mail)
    except smtplib.SMTPRecipientsRefused as error:
        codes = {code for code, _ in error.recipients.values()}
        if all(code >= 500 for code in codes):
            raise PermanentDeliveryError(f"recipient refused: {error.recipients}") from error
        raise TransientDeliveryError(f"recipient deferred: {error.recipients}") from error
    except smtplib.SMTPResponseException as error:
        # 5xx replies are final; 4xx ones (mailbox busy, greylisting, server shutting down) are worth a retry.
        detail = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        if error.smtp_code >= 500:
            raise PermanentDeliveryError(detail) from error
        raise TransientDeliveryError(detail) from error
    except (smtplib.SMTPException, OSError) as error:
        # Connection refused or dropped, a timeout, a full disk under the file backend: all may pass.
        raise TransientDeliveryError(f"{type(error).__name__}: {error}") from error


# This process's open SMTP connections, by server. Reusing one saves a TCP and EHLO round trip per mail, and
# shortens the window between the server taking a message and our marking it sent.
_open_smtp: dict[tuple[str, int, str], SMTPBackend] = {}


def _send(mail: EmailMultiAlternatives) -> None:
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SMTPBackend):
        backend.send_messages([mail])  # file, locmem, console: nothing worth keeping open
        return
    key = (backend.host, backend.port, backend.username)
    kept = _open_smtp.get(key)
    if kept is not None and not _still_open(kept):
        kept.close()
        kept = None
    if kept is None:
        try:
            backend.open()
        except (smtplib.SMTPException, OSError) as error:
            where = f"{backend.host}:{backend.port}"
            raise ServerUnreachable(
                f"mail server {where} unreachable: {type(error).__name__}: {error}"
            ) from error
        kept = _open_smtp[key] = backend
    try:
        kept.send_messages([mail])
    except smtplib.SMTPRecipientsRefused:
        raise  # smtplib reset the session; the connection is still good
    except (smtplib.SMTPException, OSError):
        kept.close()
        _open_smtp.pop(key, None)
        raise


def _still_open(backend: SMTPBackend) -> bool:
    """Whether a kept connection can carry the next mail, without a round trip: servers close idle ones, and a
    dead one must not eat the next mail. An idle SMTP connection has nothing to read; one the server closed (or
    said 421 on) has, so a socket ready to read is one to replace."""
    connection = backend.connection
    if connection is None or connection.sock is None:
        return False
    try:
        readable, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _mime_part(attachment: Attachment) -> MIMEBase:
    """A MIME part keeping the type's parameters: calendar clients need ``text/calendar; method=REQUEST``."""
    mimetype, *params = (part.strip() for part in attachment.mimetype.split(";"))
    maintype, subtype = mimetype.split("/", 1)
    if maintype == "text":
        part: MIMEBase = MIMEText(attachment.content.decode(), subtype, UTF8_READABLE)
    else:
        part = MIMEApplication(attachment.content, subtype)
    for param in params:
        name, value = param.split("=", 1)
        part.set_param(name, value)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def _deliver_slack(message: OutgoingMessage) -> None:
    """POST to the webhook, connecting only to the addresses the outbound policy checked just now."""
    text = f"*{message.subject}*\n{message.text}"
    status, body = _post(
        ("Slack", "Slack webhook URL"),
        outbound.check_webhook_url_by_settings,
        message.address,
        body=json.dumps({"text": text}).encode(),
        headers={},
    )
    if status < 300:
        return
    detail = f"Slack HTTP {status}: {body}"
    # 429 (rate limited) and 5xx pass; other 4xx (invalid_token, channel_is_archived, no_service) do not, nor
    # does a redirect: following one could lead anywhere, so none is followed.
    if status == 429 or status >= 500:
        raise TransientDeliveryError(detail)
    raise PermanentDeliveryError(detail)


def _deliver_webhook(message: OutgoingMessage) -> None:
    """POST the event to an integration's endpoint, signed as of now. Any answer but a 2xx is worth another try:
    the receiver may be down, deploying or misconfigured for a while, and its endpoint is switched off after
    repeated failures rather than its messages dropped one by one. A redirect is not followed."""
    body = message.text.encode()
    headers = webhook_signatures.signed_headers(
        message.signing_secrets, message_id=message.message_id, timestamp=int(time.time()), body=body
    )
    status, answer = _post(
        ("Endpoint", "Endpoint URL"), outbound.check_endpoint_url_by_settings, message.address, body, headers
    )
    if not 200 <= status < 300:
        raise TransientDeliveryError(f"Endpoint HTTP {status}: {answer}")


def _post(
    names: tuple[str, str],
    check: Callable[[str], outbound.OutboundTarget],
    url: str,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[int, str]:
    """POST JSON ``body`` to ``url`` if the outbound policy (``check``) admits it, connecting only to the
    addresses it checked just now; the status and the start of the answer. ``names``: the peer's and its URL's,
    as the errors say them."""
    peer, url_name = names
    try:
        target = check(url)
    except outbound.RefusedURL as refused:
        raise PermanentDeliveryError(f"{url_name} refused: {refused}") from refused
    except outbound.UnresolvableHost as error:
        raise TransientDeliveryError(f"{peer} unreachable: {error}") from error
    connection = outbound.pinned_connection(target, timeout=WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request(
            "POST", target.path, body=body, headers={"Content-Type": "application/json", **headers}
        )
        response = connection.getresponse()
        return response.status, response.read(200).decode(errors="replace")
    except (OSError, HTTPException) as error:
        # Refused connections, timeouts, TLS failures and dropped connections may all pass.
        raise TransientDeliveryError(f"{peer} unreachable: {type(error).__name__}: {error}") from error
    finally:
        connection.close()

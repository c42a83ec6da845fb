"""Where the server may send requests a user chose the address of (Slack webhooks, integrations' webhook endpoints,
calendars to read busy times from): the policy against SSRF, and the HTTP connections that keep to it.

A URL is accepted only when
1. its scheme is https (a calendar's webcal:// is https), it carries no user name or password, and, where the
   kind of URL has an allowlist, its host is on it (settings.OUTBOUND_WEBHOOK_HOSTS, default ``hooks.slack.com``;
   settings.OUTBOUND_ENDPOINT_HOSTS and settings.OUTBOUND_CALENDAR_HOSTS, default empty: any host; exact names,
   no subdomains);
2. every address the host resolves to is public: not private, loopback, link-local, multicast, reserved,
   unspecified or shared (carrier-grade NAT), IPv4 and IPv6 alike, looking through IPv4-mapped, 6to4, Teredo
   and NAT64 IPv6 addresses at the IPv4 address inside.
The check runs when the URL is saved and again right before each request, whose connection then goes to the
addresses checked, never to a second DNS answer (a rebinding DNS server could give a private one).

Tests only: settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS admits loopback addresses, and plain http to them, so a
test can talk to a real server on 127.0.0.1. The demo only: settings.OUTBOUND_LOCAL_CALENDAR_ORIGINS admits its
calendar host on this machine (``check --deploy`` refuses it outside DEBUG).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Not in the stdlib's lists in Python 3.11: the well-known NAT64 prefix carries an IPv4 address in its last
# 32 bits, and 100.64.0.0/10 is private to a carrier.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")


class RefusedURL(ValueError):
    """The URL breaks the policy; the message says why, for the person who entered it."""


class UnresolvableHost(OSError):
    """The host has no address now; DNS may answer later."""


@dataclass(frozen=True)
class OutboundTarget:
    """A URL that passed the policy, and the addresses its connection may use."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def resolve_with_dns(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvableHost(f"{host} could not be resolved: {error}") from error
    return list(dict.fromkeys(sockaddr[0] for *_, sockaddr in answers))


def why_forbidden(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why a connection to ``address`` is refused, or None when it is a public address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = why_forbidden(embedded, allow_loopback=allow_loopback)
        return f"{reason} inside an IPv6 address" if reason else None
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    for reason, test in (
        ("an unspecified address", address.is_unspecified),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a reserved address", address.is_reserved),
        ("a site-local address", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("a private address", address.is_private),
        ("a shared (carrier-grade NAT) address", address in SHARED_ADDRESS_SPACE),
        ("not a public address", not address.is_global),
    ):
        if test:
            return reason
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_webhook_url(
    url: str, *, allowed_hosts: Collection[str], allow_loopback: bool, resolve: Resolver = resolve_with_dns
) -> OutboundTarget:
    """The target of a webhook ``url`` if the policy admits it; raises ``RefusedURL`` (or ``UnresolvableHost``)."""
    return _check_url(
        url, kind="webhook", allowed_hosts=allowed_hosts, allow_loopback=allow_loopback, resolve=resolve
    )


def check_calendar_url(
    url: str,
    *,
    allowed_hosts: Collection[str] = (),
    allow_loopback: bool,
    local_origins: Collection[str] = (),
    resolve: Resolver = resolve_with_dns,
) -> OutboundTarget:
    """The target of a calendar's address (https or webcal) if the policy admits it; an empty ``allowed_hosts``
    admits any public host, since people's calendars live with many providers. ``local_origins`` ("127.0.0.1:8001")
    admit plain http to exactly those loopback ports: the demo's calendar host."""
    url = https_for_webcal(url)
    try:
        parts = urlsplit(url)
        origin = f"{parts.hostname}:{parts.port}"
    except ValueError:
        origin = ""
    return _check_url(
        url,
        kind="calendar",
        allowed_hosts=allowed_hosts or None,
        allow_loopback=allow_loopback or origin in local_origins,
        resolve=resolve,
    )


def https_for_webcal(url: str) -> str:
    """webcal:// is how calendar apps are told to subscribe; the address behind it is https."""
    scheme, separator, rest = url.strip().partition("://")
    return f"https://{rest}" if separator and scheme.lower() == "webcal" else url


def _check_url(
    url: str,
    *,
    kind: str,
    allowed_hosts: Collection[str] | None,
    allow_loopback: bool,
    resolve: Resolver,
) -> OutboundTarget:
    noun = f"{kind.capitalize()} URLs"
    # What http.client can send as is: anything else would fail (or be quoted back) at the request.
    if not url.isascii() or not url.isprintable() or " " in url:
        raise RefusedURL(f"{noun} must be plain ASCII without spaces: percent-encode any other character.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedURL(f"Not a valid URL: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_loopback and scheme == "http"):
        raise RefusedURL(f"{noun} must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL(f"{noun} must not carry a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise RefusedURL("Not a valid URL: it names no host.")
    if allowed_hosts is not None:
        allowed = {name.lower().rstrip(".") for name in allowed_hosts}
        if host not in allowed:
            raise RefusedURL(f"{host} is not an allowed {kind} host; allowed: {', '.join(sorted(allowed))}.")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise UnresolvableHost(f"{host} has no address.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone index
        reason = why_forbidden(address, allow_loopback=allow_loopback)
        if reason is not None:
            # Not the address itself: it would tell whoever typed the name what the private network holds.
            raise RefusedURL(f"{host} resolves to {reason}.")
        if scheme == "http" and not address.is_loopback:
            raise RefusedURL(f"{noun} must start with https://.")
    # Only after the addresses: a private address is the reason to give first.
    if port != 443 and not allow_loopback:
        raise RefusedURL(f"{noun} must use the standard https port (443).")
    path = parts.path or "/"
    return OutboundTarget(
        scheme=scheme,
        host=host,
        port=port,
        path=f"{path}?{parts.query}" if parts.query else path,
        addresses=tuple(addresses),
    )


def check_webhook_url_by_settings(url: str, *, resolve: Resolver = resolve_with_dns) -> OutboundTarget:
    """``check_webhook_url`` under this deployment's settings, read at each call."""
    return check_webhook_url(
        url,
        allowed_hosts=settings.OUTBOUND_WEBHOOK_HOSTS,
        allow_loopback=settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS,
        resolve=resolve,
    )


def _refuse_as_field_error(check: Callable[[str], OutboundTarget], value: str, *, code: str) -> None:
    """A field error in the admin and the API for a URL the policy refuses.

    A host that does not resolve right now is let through: DNS may be down for a moment, and every request
    checks again before it connects.
    """
    try:
        check(value)
    except UnresolvableHost:
        return
    except RefusedURL as refused:
        raise ValidationError(str(refused), code=code) from refused


def validate_webhook_url(value: str) -> None:
    """Model-field validator of a Slack webhook's URL."""
    _refuse_as_field_error(check_webhook_url_by_settings, value, code="refused_webhook_url")


def check_endpoint_url_by_settings(url: str, *, resolve: Resolver = resolve_with_dns) -> OutboundTarget:
    """The target of an integration's webhook endpoint under this deployment's settings: https on the standard
    port, any public host unless settings.OUTBOUND_ENDPOINT_HOSTS names the allowed ones."""
    return _check_url(
        url,
        kind="endpoint",
        allowed_hosts=settings.OUTBOUND_ENDPOINT_HOSTS or None,
        allow_loopback=settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS,
        resolve=resolve,
    )


def validate_endpoint_url(value: str) -> None:
    """Model-field validator of an integration's webhook endpoint."""
    _refuse_as_field_error(check_endpoint_url_by_settings, value, code="refused_endpoint_url")


def check_calendar_url_by_settings(url: str, *, resolve: Resolver = resolve_with_dns) -> OutboundTarget:
    """``check_calendar_url`` under this deployment's settings, read at each call."""
    return check_calendar_url(
        url,
        allowed_hosts=settings.OUTBOUND_CALENDAR_HOSTS,
        allow_loopback=settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS,
        local_origins=settings.OUTBOUND_LOCAL_CALENDAR_ORIGINS,
        resolve=resolve,
    )


def validate_calendar_url(value: str) -> None:
    """Form validator for a calendar's address."""
    _refuse_as_field_error(check_calendar_url_by_settings, value, code="refused_calendar_url")


def pinned_connection(
    target: OutboundTarget,
    *,
    timeout: float,
    deadline: float | None = None,
    opened: list[socket.socket] | None = None,
) -> HTTPConnection:
    """An HTTP(S) connection to ``target`` that connects only to the addresses the policy checked.

    The TLS handshake still checks the certificate against the host name; only the TCP connect is pinned. With a
    ``deadline`` (``time.monotonic()``) no connect attempt outlasts it; ``opened`` collects duplicates of the
    sockets, so a watchdog can cut them off (the caller closes them).
    """
    connection_class = HTTPSConnection if target.scheme == "https" else HTTPConnection
    connection = connection_class(target.host, target.port, timeout=timeout)
    connection._create_connection = partial(_connect_to_checked, target.addresses, deadline, opened)
    return connection


def _connect_to_checked(
    addresses: tuple[str, ...],
    deadline: float | None,
    opened: list[socket.socket] | None,
    address: tuple[str, int],
    timeout: float,
    source_address: object = None,
) -> socket.socket:
    """Stands in for ``socket.create_connection`` in http.client: tries each checked address in turn instead
    of resolving the host again, which a rebinding DNS server could answer with a private address."""
    _, port = address
    last_error: OSError = OSError("no address to connect to")
    for checked in addresses:
        remaining = timeout if deadline is None else min(timeout, deadline - time.monotonic())
        if remaining <= 0:
            raise TimeoutError("no time left to connect")
        try:
            sock = socket.create_connection((checked, port), remaining, source_address)
        except OSError as error:
            last_error = error
            continue
        if opened is not None:
            # A duplicate, so a watchdog can shut the connection down after TLS has taken the socket over.
            opened.append(sock.dup())
        return sock
    raise last_error


class FetchFailed(OSError):
    """A GET that could not complete: no connection, a timeout, a broken reply, or a body over the limit."""


class ResponseTooLarge(FetchFailed):
    """The body is over the limit."""


@dataclass(frozen=True)
class FetchedResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def fetch(
    target: OutboundTarget, *, headers: Mapping[str, str], max_bytes: int, timeout_seconds: float
) -> FetchedResponse:
    """GET ``target`` within ``timeout_seconds`` in all, and refuse a body over ``max_bytes`` before reading past
    the limit. Redirects are returned, not followed: the caller checks the next address against the policy first.

    A socket timeout bounds each wait, not the whole: a server could drip its headers, its handshake or its body a
    byte at a time. So a watchdog cuts the connection off at the deadline, whatever it was waiting for.
    """
    deadline = time.monotonic() + timeout_seconds
    opened: list[socket.socket] = []
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        for sock in opened:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout_seconds, cut_off)
    watchdog.daemon = True
    connection = pinned_connection(target, timeout=timeout_seconds, deadline=deadline, opened=opened)
    response = None
    watchdog.start()
    try:
        connection.request("GET", target.path, headers={"Accept-Encoding": "identity", **headers})
        response = connection.getresponse()
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise ResponseTooLarge(f"The server sends {int(length):,} bytes; at most {max_bytes:,} are read.")
        body = bytearray()
        while chunk := response.read1(65536):
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLarge(
                    f"The server sends more than {max_bytes:,} bytes; at most that many are read."
                )
        if expired.is_set():
            raise TimeoutError  # cut off: what arrived is not the whole calendar
    except FetchFailed:
        raise
    except (OSError, HTTPException) as error:
        if isinstance(error, TimeoutError) or expired.is_set():
            if response is None:
                raise FetchFailed(f"The server did not answer within {timeout_seconds:g} s.") from error
            raise FetchFailed(
                f"The server took more than {timeout_seconds:g} s to send the calendar."
            ) from error
        # The kind of failure, never its text: http.client quotes the address (a secret) in some of them.
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise FetchFailed(f"The server could not be reached: {reason}.") from error
    finally:
        watchdog.cancel()
        watchdog.join()  # it may be cutting off right now: let it finish before the duplicates close
        connection.close()
        for sock in opened:
            sock.close()
    return FetchedResponse(
        status=response.status,
        headers={name.lower(): value for name, value in response.getheaders()},
        body=bytes(body),
    )

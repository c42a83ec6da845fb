"""Where the server may send requests a user chose the address of (Slack webhooks): the policy against SSRF.

A webhook URL is accepted only when
1. its scheme is https, it carries no user name or password, and its host is on the allowlist
   (settings.OUTBOUND_WEBHOOK_HOSTS, default ``hooks.slack.com``; exact names, no subdomains);
2. every address the host resolves to is public: not private, loopback, link-local, multicast, reserved,
   unspecified or shared (carrier-grade NAT), IPv4 and IPv6 alike, looking through IPv4-mapped, 6to4, Teredo
   and NAT64 IPv6 addresses at the IPv4 address inside.
The check runs when the URL is saved and again right before each send, whose connection then goes to the
addresses checked, never to a second DNS answer (a rebinding DNS server could give a private one).

Tests only: settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS admits loopback addresses, and plain http to them, so a
test can post to a real server on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
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
    """The target of ``url`` if the policy admits it; raises ``RefusedURL`` (or ``UnresolvableHost``)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedURL(f"Not a valid URL: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_loopback and scheme == "http"):
        raise RefusedURL("Webhook URLs must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("Webhook URLs must not carry a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    allowed = {name.lower().rstrip(".") for name in allowed_hosts}
    if host not in allowed:
        raise RefusedURL(
            f"{host or 'The URL'} is not an allowed webhook host; allowed: {', '.join(sorted(allowed))}."
        )
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise UnresolvableHost(f"{host} has no address.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone index
        reason = why_forbidden(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise RefusedURL(f"{host} resolves to {text}, {reason}.")
        if scheme == "http" and not address.is_loopback:
            raise RefusedURL("Webhook URLs must start with https://.")
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


def validate_webhook_url(value: str) -> None:
    """Model-field validator: a field error in the admin and the API for a URL the policy refuses.

    A host that does not resolve right now is let through: DNS may be down for a moment, and every send
    checks again before it connects.
    """
    try:
        check_webhook_url_by_settings(value)
    except UnresolvableHost:
        return
    except RefusedURL as refused:
        raise ValidationError(str(refused), code="refused_webhook_url") from refused

"""Signing webhook messages the Standard Webhooks way, so receivers can check them with any of its libraries.

A secret is ``whsec_`` and the base64 of 32 random bytes. A message carries three headers: ``webhook-id`` (the same
on every attempt at one message, so a receiver can drop a repeat), ``webhook-timestamp`` (seconds since the epoch,
when the attempt was made, so a receiver can refuse a replay) and ``webhook-signature``: ``v1,`` and the base64 of
HMAC-SHA256 over ``{id}.{timestamp}.{body}`` under the secret's bytes, one such signature per secret, separated by
spaces. While a rotated secret's overlap lasts, messages are signed with both, so a receiver holding either accepts
them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,`` signature of ``body`` under ``secret``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(
    secrets_in_use: Sequence[str], *, message_id: str, timestamp: int, body: bytes
) -> Mapping[str, str]:
    """The three Standard Webhooks headers of one attempt, signed under each secret in use (the current first)."""
    if not secrets_in_use:
        raise ValueError("a message needs at least one secret to be signed with")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, message_id=message_id, timestamp=timestamp, body=body)
            for secret in secrets_in_use
        ),
    }

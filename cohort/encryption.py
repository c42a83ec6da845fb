"""Secrets a person gives us that the server must use again (a calendar's secret address), kept encrypted.

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from ``SECRET_KEY``: a copy of the database alone does
not reveal them. Rotating ``SECRET_KEY`` the way Django documents it (the old key moved to
``SECRET_KEY_FALLBACKS``) keeps them readable; ``reencrypted`` writes one again under the current key.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

# Its own salt, so the key protects nothing else that SECRET_KEY signs.
KEY_SALT = "cohortops.encryption.secret-field"


class UnreadableSecret(ValueError):
    """Encrypted under a key this deployment no longer has."""


def _fernets() -> list[Fernet]:
    """The current key's first, then the fallbacks'."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        Fernet(base64.urlsafe_b64encode(salted_hmac(KEY_SALT, "", secret=key, algorithm="sha256").digest()))
        for key in keys
    ]


def _fernet() -> MultiFernet:
    return MultiFernet(_fernets())


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret("Encrypted under a key this deployment no longer has.") from error


def reencrypted(token: str) -> str:
    """The same secret under the current key: ``token`` itself when it already is, a new one after a rotation."""
    try:
        _fernets()[0].decrypt(token.encode())
        return token
    except InvalidToken:
        pass
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret("Encrypted under a key this deployment no longer has.") from error

"""Secrets a person gives us that the server must use again (a calendar's secret address), kept encrypted.

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from ``SECRET_KEY``: a copy of the database alone does
not reveal them. Rotating ``SECRET_KEY`` the way Django documents it (the old key moved to
``SECRET_KEY_FALLBACKS``) keeps them readable; they are written again under the new key when next saved.
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


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(salted_hmac(KEY_SALT, "", secret=key, algorithm="sha256").digest())
            )
            for key in keys
        ]
    )


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret("Encrypted under a key this deployment no longer has.") from error

"""API authentication: DRF's token authentication, fetching with the token what every API view asks next, and
keeping both in the cache while nothing they hold has been written."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from cohort.generation import ReadAhead, current_entry_or_generation, entry_keys

# Any write that could change a login moves the generation on and ends its entry sooner.
LOGIN_CACHE_SECONDS = 3600
# In every login's key: raise it when CachedLogin changes, so no process reads an entry the previous code wrote.
LOGIN_CACHE_VERSION = 1


@dataclass(frozen=True)
class CachedLogin:
    """A token's login, with its mentor and scholar rows, as the cache keeps it: without the login's password hash,
    the rows' Slack webhook addresses and the token's key (which the request brings), so the cache holds no
    credential."""

    generation: str  # the read generation the token and its rows were read under
    user: AbstractBaseUser
    token_created: dt.datetime


def token_digest(key: str) -> str:
    """What the cache's keys name a token by: the key alone would authenticate whoever reads the cache."""
    return hashlib.sha256(key.encode()).hexdigest()


def login_cache_key(key: str) -> str:
    return f"api-login:{LOGIN_CACHE_VERSION}:{token_digest(key)}"


def sent_token(request: HttpRequest) -> str | None:
    """The token the request's Authorization header sends, or None if it sends none, or sends one DRF would refuse
    to read."""
    sent = authentication.get_authorization_header(request).split()
    if len(sent) != 2 or sent[0].lower() != TokenAuthentication.keyword.lower().encode():
        return None
    try:
        return sent[1].decode()
    except UnicodeError:
        return None


def login_entry_keys(request: HttpRequest) -> list[str]:
    """The cache entries authenticating the token the request sends will read (none if it sends none)."""
    key = sent_token(request)
    return [] if key is None else entry_keys(login_cache_key(key))


class TokenAuthentication(authentication.TokenAuthentication):
    """The token's login and the login's mentor and scholar rows in one query: every API view asks whether the
    caller is staff, a mentor or a scholar (``cohort.selectors``), which took two queries more on every request.

    They are kept in the cache under the read generation (``cohort.generation``): while nothing they hold has been
    written (a token deleted, a login deactivated or moved between groups, a person's row changed), a call is
    authenticated with no query, and no cache round trip of its own: the failed-guess middleware reads the entry
    with the client's count (``login_entry_keys``). The generation they answer under is left on the request
    as ``read_generation``, for answers kept under it (``cohort.cached_answers``)."""

    read_ahead: ReadAhead | None = None

    def authenticate(self, request):
        # Read with the client's failed-guess count (cohort.throttles), where the middleware ran.
        self.read_ahead = getattr(request, "read_ahead", None)
        authenticated = super().authenticate(request)
        if authenticated is not None:
            request.read_generation = self.read_generation
        return authenticated

    def authenticate_credentials(self, key: str):
        cache_key = login_cache_key(key)
        # The generation is read before the rows, so a write after them ends the entry made from them.
        login, generation = current_entry_or_generation(cache_key, self.read_ahead)
        if login is None:
            # From the login's side: read from the token's, the login would hold the token (and the cache its key).
            # And a scholar's stream and cohort, which /me/ names among the feeds they may subscribe to; without the
            # credentials the rows hold (read, if ever, from the database).
            logins = get_user_model().objects.select_related("mentor", "scholar__stream", "scholar__cohort")
            logins = logins.defer("password", "mentor__slack_webhook_url", "scholar__slack_webhook_url")
            try:
                user = logins.annotate(token_created=F("auth_token__created")).get(auth_token__key=key)
            except ObjectDoesNotExist:
                raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
            if not user.is_active:
                raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
            login = CachedLogin(generation=generation, user=user, token_created=user.token_created)
            cache.set(cache_key, login, LOGIN_CACHE_SECONDS)
        self.read_generation = login.generation  # DRF makes an authenticator per request
        # The token as its row reads, as DRF gives it (request.auth).
        token = self.get_model().from_db(
            None, ["key", "user_id", "created"], [key, login.user.pk, login.token_created]
        )
        token.user = login.user
        return (login.user, token)

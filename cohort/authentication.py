"""API authentication: DRF's token authentication, fetching with the token what every API view asks next, and
keeping both in the cache while nothing they hold has been written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from cohort.generation import current_entry, current_generation

# Any write that could change a login moves the generation on and ends its entry sooner.
LOGIN_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class CachedLogin:
    generation: str  # the read generation the token and its rows were read under
    token: Token  # with its login, and the login's mentor and scholar rows


def login_cache_key(key: str) -> str:
    # Hashed: a key is listed in places (a cache's monitoring, its dumps) its values are not.
    return f"api-login:{hashlib.sha256(key.encode()).hexdigest()}"


class TokenAuthentication(authentication.TokenAuthentication):
    """The token, its login and the login's mentor and scholar rows in one query: every API view asks whether the
    caller is staff, a mentor or a scholar (``cohort.selectors``), which took two queries more on every request.

    They are kept in the cache under the read generation (``cohort.generation``): while nothing they hold has been
    written (a token deleted, a login deactivated or moved between groups, a person's row changed), a call is
    authenticated with one cache round trip and no query. The generation they answer under is left on the request
    as ``read_generation``, for answers kept under it (``cohort.cached_answers``)."""

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            request.read_generation = self.read_generation
        return authenticated

    def authenticate_credentials(self, key: str):
        cache_key = login_cache_key(key)
        login = current_entry(cache_key)
        if login is None:
            generation = current_generation()  # before the rows, so a write after them ends the entry
            model = self.get_model()
            try:
                token = model.objects.select_related("user__mentor", "user__scholar").get(key=key)
            except model.DoesNotExist:
                raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
            login = CachedLogin(generation=generation, token=token)
            cache.set(cache_key, login, LOGIN_CACHE_SECONDS)
        self.read_generation = login.generation  # DRF makes an authenticator per request
        return (login.token.user, login.token)

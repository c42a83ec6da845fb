"""API authentication: DRF's token authentication, fetching with the token what every API view asks next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """The token, its login and the login's mentor and scholar rows in one query: every API view asks whether the
    caller is staff, a mentor or a scholar (``cohort.selectors``), which took two queries more on every request."""

    def authenticate_credentials(self, key: str):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__mentor", "user__scholar").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)

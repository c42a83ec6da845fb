"""The admin's sign-in form, refusing a username or an address that has used up its failed attempts."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from cohort.throttles import LOGIN_FAILURES, client_address


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked_out": (
            "Too many failed sign-ins for this username or from this address. Try again in %(minutes)s minutes."
        ),
    }

    def clean(self) -> dict[str, Any]:
        # Per username: a guesser moving between addresses; per address: one trying many usernames.
        username = (self.cleaned_data.get("username") or "").casefold()
        keys = [f"username:{username}", f"address:{client_address(self.request)}"]
        retry_after = max((LOGIN_FAILURES.retry_after(key) or 0) for key in keys)
        if retry_after:
            raise ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": math.ceil(retry_after / 60)},
            )
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                for key in keys:
                    LOGIN_FAILURES.record_failure(key)
            raise

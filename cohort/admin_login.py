"""The admin's sign-in form, refusing an address that has used up its failed attempts."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from cohort.throttles import LOGIN_FAILURES, client_address


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked_out": ("Too many failed sign-ins from this address. Try again in %(minutes)s minutes."),
    }

    def clean(self) -> dict[str, Any]:
        # Per address, not per username: a username count would let anyone lock a known admin out.
        address = f"address:{client_address(self.request)}"
        retry_after = LOGIN_FAILURES.retry_after(address)
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
                LOGIN_FAILURES.record(address)
            raise

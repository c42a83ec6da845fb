"""One error shape for every API answer that is not a success.

Every 4xx is a JSON object: ``{"detail": "..."}`` for an error about the request as a whole, or field name →
list of messages for invalid input (``non_field_errors`` for input that is wrong as a whole). DRF answers some
validation errors as a bare list, and a deletion that the database refuses would be a 500; both are turned
into that shape here, so clients parse one thing.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response({"detail": still_used_by(exc)}, status=status.HTTP_409_CONFLICT)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response


def still_used_by(error: ProtectedError | RestrictedError) -> str:
    """Say what keeps an object from being deleted: "still used by 3 scholars and 1 mentorship"."""
    counts = Counter(obj._meta for obj in error.protected_objects if hasattr(obj, "_meta"))
    holders = [
        f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}"
        for opts, count in sorted(counts.items(), key=lambda item: str(item[0].verbose_name_plural))
    ]
    listed = ", ".join(holders[:-1]) + f" and {holders[-1]}" if len(holders) > 1 else "".join(holders)
    return f"Cannot delete: still used by {listed or 'other records'}. Remove or reassign those first."

"""Every API list is a bounded page, and a page size or offset that makes no sense is a 400, not a guess."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

# Above this a page is a bulk export: ask for several pages instead.
MAX_PAGE_SIZE = 200
# Database row counts fit in 63 bits; a larger offset can only be past the end.
MAX_OFFSET = 2**63 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pages, with a maximum page size and strict parameters.

    DRF quietly falls back to the default for ``?limit=abc`` and passes ``?limit=99999999999999999999`` to the
    database, where it overflows; here both are a field-level 400 naming the allowed range.
    """

    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request) -> int:
        return self._whole_number(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return self._whole_number(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    @staticmethod
    def _whole_number(request, name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name, "")
        if not raw:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValidationError({name: [f"{raw!r} is not a whole number."]}) from None
        if not low <= value <= high:
            raise ValidationError({name: [f"Must be between {low} and {high}; got {value}."]})
        return value

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds[parameter["name"]])
        return parameters

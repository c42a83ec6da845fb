"""OpenAPI adjustments: the error answers every operation can give, and wall-clock times as they really are."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

ERROR_RESPONSES = {
    "400": "Invalid input: field names map to lists of messages.",
    "401": "No or invalid credentials.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or not one of yours.",
    "429": "Too many requests; retry later.",
}
# What cohort.api_errors makes of every error: an object, never a bare list.
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "`detail` for an error about the request as a whole; for invalid input, field name (or "
        "`non_field_errors`) → list of messages."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
DELETE_CONFLICT = "Still used by other records (named in `detail`); remove or reassign those first."


def document_empty_query_values(result: dict, generator, request, public) -> dict:
    """An optional query parameter sent empty (``?role=``, as HTML forms send an unused filter) means the
    same as leaving it out; OpenAPI says so with ``allowEmptyValue``."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Add the shared error answers to every operation that does not describe its own."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            errors = {**ERROR_RESPONSES, **({"409": DELETE_CONFLICT} if method == "delete" else {})}
            for code, description in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


class WallClockTimeExtension(OpenApiSerializerFieldExtension):
    """A TimeField is a wall-clock time in a zone named elsewhere ("09:30:00"), not an RFC 3339 ``time``,
    which needs a UTC offset; documenting it as ``format: time`` made every answer break its own schema."""

    target_class = "rest_framework.fields.TimeField"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        return {
            "type": "string",
            "format": "partial-time",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
            "example": "09:30:00",
        }

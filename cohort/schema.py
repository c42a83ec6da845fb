"""OpenAPI post-processing: document the error answers every operation can give."""

from __future__ import annotations

ERROR_RESPONSES = {
    "400": "Invalid input: field names map to lists of messages.",
    "401": "No or invalid credentials.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or not one of yours.",
    "429": "Too many requests; retry later.",
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for general errors, or field name → list of messages for invalid input.",
    "additionalProperties": True,
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Add the shared error answers to every operation that does not describe its own."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result

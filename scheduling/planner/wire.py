"""The planner's values as JSON and back: how a plan's parts travel between processes (Celery's messages, the
shared cache), which carry JSON, not Python objects.

Any frozen dataclass of the planner's kinds of field (dataclasses, tuples, frozensets, dicts with string keys,
dates, times, aware datetimes, enums, literals, optionals, numbers and strings) goes through ``to_wire`` and comes
back equal from ``from_wire``.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

Wire = None | bool | int | float | str | list["Wire"] | dict[str, "Wire"]
Value = TypeVar("Value")


def to_wire(value: Any) -> Wire:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_wire(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_wire(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(to_wire(item) for item in value)
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{type(value).__name__} has no wire form")


def from_wire(kind: type[Value], data: Wire) -> Value:
    """``data`` (from ``to_wire``) read back as a ``kind``."""
    return _read(kind, data)


def _read(kind: Any, data: Wire) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        (present,) = [arg for arg in get_args(kind) if arg is not type(None)]
        return _read(present, data)
    if origin is Literal or kind is Any:
        return data
    if origin is tuple:
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_read(args[0], item) for item in data)
        return tuple(_read(arg, item) for arg, item in zip(args, data, strict=True))
    if origin is frozenset:
        return frozenset(_read(get_args(kind)[0], item) for item in data)
    if origin is dict:
        _, item_kind = get_args(kind)
        return {key: _read(item_kind, item) for key, item in data.items()}
    if dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        return kind(
            **{
                field.name: _read(hints[field.name], data[field.name])
                for field in dataclasses.fields(kind)
                if field.init and field.name in data
            }
        )
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if kind is time:
        return time.fromisoformat(data)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(data)
    if kind is float:
        return float(data)
    if kind in (int, str, bool):
        return data
    raise TypeError(f"cannot read {kind!r} from the wire")

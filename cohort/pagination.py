"""Every API list is a bounded page, and a page size, offset or cursor that makes no sense is a 400, not a guess.

Most lists page by limit and offset, with a count. Lists that grow without end and are read in time order (meetings,
notifications) page by their sort key instead (``KeysetPagination``): every page is one index range scan however
deep it is, no page needs a count of the whole list, and a row written while a client pages is neither skipped nor
shown twice. Such a list asked for as it is (no filter, search or ordering) may read its page with a statement
compiled once per kind of page (``PreparedListMixin``): building and compiling the page's query cost more CPU than
the database took to run it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import Field, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from cohort.filters import may_narrow
from cohort.prepared import PreparedRead, Slot

# Above this a page is a bulk export: ask for several pages instead.
MAX_PAGE_SIZE = 200
# Database row counts fit in 63 bits; a larger offset can only be past the end.
MAX_OFFSET = 2**63 - 1


def whole_number(request, name: str, default: int, low: int, high: int) -> int:
    """A query parameter as a whole number within bounds; DRF quietly falls back to the default for ``?limit=abc``
    and passes ``?limit=99999999999999999999`` to the database, where it overflows."""
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


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pages, with a maximum page size and strict parameters."""

    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request) -> int:
        return whole_number(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return whole_number(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds[parameter["name"]])
        return parameters


# A row's sort key value and primary key, whether the page runs back from it, and whether it includes it.
Cursor = tuple[object, int, bool, bool]


@dataclass(frozen=True)
class PreparedList:
    """A list's rows for a statement compiled once (``cohort.prepared``): ``rows()`` builds them, ordered as the
    list is, with a ``Slot`` wherever one call's rows differ from another's (whose they are); ``key`` names what
    ``rows()`` builds, from a small set (a list and a kind of reader: each is kept for the process's life),
    ``values`` fill its slots for this call, and ``row`` makes what the list's serializer reads of each row's
    ``fields``."""

    key: Hashable
    rows: Callable[[], QuerySet]
    fields: tuple[str, ...]
    values: Mapping[str, Any]
    row: Callable[[tuple], Any]


# Built once per list's key (a list and a kind of reader: a handful), and compiled once per key and shape of page
# (the limit, and whether a cursor leads, which way, inclusive or not). The most recent shapes are kept: a client
# stepping through every ?limit= makes the rest be compiled again, not the process grow.
_prepared_rows: dict[Hashable, QuerySet] = {}
_prepared_pages: dict[tuple, PreparedRead] = {}
_prepared_pages_lock = threading.Lock()
PREPARED_PAGES_KEPT = 256


def _remember_page(shape: tuple, statement: PreparedRead) -> None:
    with _prepared_pages_lock:
        _prepared_pages[shape] = statement
        while len(_prepared_pages) > PREPARED_PAGES_KEPT:
            del _prepared_pages[next(iter(_prepared_pages))]


class KeysetPagination(BasePagination):
    """Pages ordered by one field (the view's ordering, ``?ordering=`` included) with the primary key breaking
    ties: ``?cursor=`` names the row a page starts after (or, going back, before). The cursor is opaque."""

    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        return self._paginate(request, queryset, lambda cursor: list(self._past(queryset, cursor)))

    def paginate_prepared(self, listed: PreparedList, request) -> list:
        """The page of ``listed`` the request asks for, as ``paginate_queryset`` gives it of ``listed.rows()``."""
        if listed.key not in _prepared_rows:
            _prepared_rows[listed.key] = listed.rows()
        rows = _prepared_rows[listed.key]

        def read(cursor: Cursor | None) -> list:
            shape = (listed.key, self.limit, None if cursor is None else cursor[2:])
            statement = _prepared_pages.get(shape)
            if statement is None:
                slots = (Slot("cursor_value", self.model_field), Slot("cursor_pk", rows.model._meta.pk))
                past = None if cursor is None else (*slots, *cursor[2:])
                statement = PreparedRead(self._past(rows, past), *listed.fields)
                _remember_page(shape, statement)
            values = dict(listed.values)
            if cursor is not None:
                values.update(cursor_value=cursor[0], cursor_pk=cursor[1])
            return [listed.row(row) for row in statement.run(**values)]

        return self._paginate(request, rows, read)

    def _paginate(self, request, queryset: QuerySet, read: Callable[[Cursor | None], list]) -> list:
        """The page ``read`` gives of ``queryset``'s rows, with the links to the pages beside it."""
        self.request = request
        if "offset" in request.query_params:
            raise ValidationError(
                {"offset": ["This list pages by cursor: follow a page's next or previous link."]}
            )
        self.limit = whole_number(request, self.limit_query_param, api_settings.PAGE_SIZE, 1, MAX_PAGE_SIZE)
        self.field, self.model_field, self.descending = self._sort_key(queryset)
        cursor = self._cursor()
        rows, more = self._page(read, cursor)
        backwards = cursor is not None and cursor[2]
        if backwards and not more:
            # Back at the start (rows before it may have gone since): the first page, whole.
            cursor, backwards = None, False
            rows, more = self._page(read, None)
        # Going forward there is a page before whenever a cursor led here; going back, one after.
        self.next = self._link(rows[-1], backwards=False) if rows and (more or backwards) else None
        self.previous = self._link(rows[0], backwards=True) if rows and (backwards or cursor) else None
        if cursor is not None and not rows:
            # Past the end (the rows after the page before have gone): back to the page ending at the cursor's row.
            self.previous = self._link_to(cursor[0], cursor[1], backwards=True, inclusive=True)
        return rows

    def _page(self, read: Callable[[Cursor | None], list], cursor: Cursor | None) -> tuple[list, bool]:
        """The page's rows in the list's order, and whether there are more beyond them."""
        backwards = cursor is not None and cursor[2]
        rows = read(cursor)
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        if backwards:
            rows.reverse()
        return rows, more

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.next, "previous": self.previous, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the `next` or `previous` link of the page before.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": "Number of results to return per page.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": api_settings.PAGE_SIZE,
                },
            },
        ]

    @staticmethod
    def _sort_key(queryset: QuerySet) -> tuple[str, Field, bool]:
        """The field the list is ordered by first (its name and the model's field), and whether descending: a
        column that is never empty and holds a value of its own (a cursor names a row by it; a relation sorts by
        another table's order)."""
        first = str(queryset.query.order_by[0]) if queryset.query.order_by else "pk"
        name = first.removeprefix("-")
        field = queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
        if field.null or field.is_relation:
            raise ValidationError({"ordering": [f"This list cannot be paged in order of {name}."]})
        return name, field, first.startswith("-")

    def _past(self, queryset: QuerySet, cursor: Cursor | None) -> QuerySet:
        """The rows past ``cursor`` (all of them without one) in the direction it reads, one more than a page."""
        backwards = cursor is not None and cursor[2]
        if cursor is not None:
            queryset = queryset.filter(self._beyond(*cursor))
        direction = "-" if self.descending != backwards else ""
        return queryset.order_by(f"{direction}{self.field}", f"{direction}pk")[: self.limit + 1]

    def _beyond(self, value, pk: int, backwards: bool, inclusive: bool) -> Q:
        """The rows past the cursor's (in the direction asked), and with ``inclusive`` the cursor's row too."""
        after = self.descending == backwards  # the rows wanted sort after the cursor's in ascending order
        beyond, at_or_beyond = ("gt", "gte") if after else ("lt", "lte")
        # Written so the index on the field bounds the scan: at or beyond the value, then past the cursor's row.
        return Q(**{f"{self.field}__{at_or_beyond}": value}) & (
            Q(**{f"{self.field}__{beyond}": value})
            | Q(**{f"pk__{at_or_beyond if inclusive else beyond}": pk})
        )

    def _cursor(self) -> Cursor | None:
        raw = self.request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            value, pk, backwards, inclusive = json.loads(base64.urlsafe_b64decode(raw.encode()))
            value = self.model_field.to_python(value)
            if value is None:
                raise ValueError("a cursor names a value")
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:
                    raise ValueError("a cursor names an instant")
                value = value.astimezone(dt.UTC)  # an instant a datetime can hold in UTC, or OverflowError
            pk = int(pk)
            if not -MAX_OFFSET <= pk <= MAX_OFFSET:  # no row has it; SQLite cannot even be asked
                raise ValueError("a cursor names a row's primary key")
            return value, pk, bool(backwards), bool(inclusive)
        except (ValueError, TypeError, OverflowError, binascii.Error, ModelValidationError):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "Not a cursor this list gave out: follow a page's next or previous link."
                    ]
                }
            ) from None

    def _link(self, row, *, backwards: bool) -> str:
        return self._link_to(getattr(row, self.field), row.pk, backwards=backwards, inclusive=False)

    def _link_to(self, value, pk: int, *, backwards: bool, inclusive: bool) -> str:
        key = [value.isoformat() if hasattr(value, "isoformat") else value, pk, backwards, inclusive]
        cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)


class PreparedListMixin:
    """A list view set paged by ``KeysetPagination`` whose list, when its filter backends leave it as it is
    (``cohort.filters.may_narrow``), reads the rows of ``prepared_list()`` with statements compiled once; they must
    be the rows the view's queryset gives."""

    def prepared_list(self) -> PreparedList:
        raise NotImplementedError

    def list(self, request, *args, **kwargs) -> Response:
        if may_narrow(request, self):
            return super().list(request, *args, **kwargs)
        page = self.paginator.paginate_prepared(self.prepared_list(), request)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

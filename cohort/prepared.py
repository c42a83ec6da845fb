"""Statements the ORM compiles once and a hot path runs many times, each time with its own values.

Building and compiling a queryset costs more CPU than PostgreSQL takes to run a short statement: about 0.8 ms
against 0.1 ms for the delivery check of ``scheduling.dispatch`` (an UPDATE, once per mail), and 0.55 ms against
0.08 ms for the feed links ``/me/`` reads (a SELECT, once per call). A prepared statement is written with the ORM as
usual, with a ``Slot`` where a value changes from one run to the next; ``run`` fills the slots in and executes the
compiled SQL. On PostgreSQL the server prepares it too (``prepared_cursor``, ``cohort.project.postgresql``): it parses
and plans the statement once per connection, not on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connections, router, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Aggregate, Expression, Field, Model, QuerySet, Value
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import UpdateQuery


class Slot(Expression):
    """A value given when the statement runs: compiles to a placeholder whose parameter is the slot itself."""

    def __init__(self, name: str, output_field: Field) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [self]


class _Prepared:
    """Compiled SQL with its parameters, some of them slots; ``sql`` is empty for a filter that matches nothing."""

    def __init__(self, compiler: Any, using: str) -> None:
        self.using = using
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that matches nothing, such as pk__in=[]
            sql, params = "", []
        self.sql = sql
        self.params = tuple(params)
        self.slots = {param.name for param in self.params if isinstance(param, Slot)}

    @contextmanager
    def _executed(self, params: list[Any]) -> Iterator[CursorWrapper]:
        """A cursor that has run the statement with ``params``: one the server prepares statements of, where the
        backend has it (``prepared_cursor``, cohort.project.postgresql), else Django's."""
        connection = connections[self.using]
        prepared_cursor = getattr(connection, "prepared_cursor", None)
        with connection.cursor() if prepared_cursor is None else prepared_cursor() as cursor:
            try:
                cursor.execute(self.sql, params)
            except NotSupportedError as error:
                # Refused as prepared before a migration changed what it reads: run again, prepared anew.
                if prepared_cursor is None or not connection.dropped_stale_statements(error):
                    raise
                cursor.execute(self.sql, params)
            yield cursor

    def _bound(self, values: dict[str, Any]) -> list[Any]:
        """The parameters with each slot's value adapted to the database as its field adapts a value (values for
        slots the statement does not hold are left out)."""
        if missing := self.slots - values.keys():
            raise TypeError(f"no value for the slots {sorted(missing)}")
        connection = connections[self.using]
        return [
            param.output_field.get_db_prep_value(values[param.name], connection)
            if isinstance(param, Slot)
            else param
            for param in self.params
        ]


class PreparedUpdate(_Prepared):
    """``rows.update(**changes)``, compiled now, run later by ``run(**values)`` with a value for each slot in it."""

    def __init__(self, rows: QuerySet, **changes: Any) -> None:
        # What QuerySet.update() compiles, short of executing it (its ordering and annotation handling do not
        # apply to a plain filter), on the model's database for writes.
        if rows.query.is_sliced:
            raise TypeError("Cannot prepare an update of a sliced queryset.")
        query = rows.query.chain(UpdateQuery)
        query.add_update_values(changes)
        if query.related_updates:
            raise TypeError("Cannot prepare an update of a parent model's fields (one statement per table).")
        using = router.db_for_write(rows.model)
        super().__init__(query.get_compiler(using), using)

    def run(self, **values: Any) -> int:
        """Execute with ``values``; returns the rows updated."""
        params = self._bound(values)
        if not self.sql:
            return 0
        with transaction.mark_for_rollback_on_error(using=self.using), self._executed(params) as cursor:
            return cursor.rowcount


class PreparedRead(_Prepared):
    """``rows.values_list(*fields)``, compiled now, run later by ``run(**values)`` with a value for each slot.

    Without ``fields`` it reads what ``rows`` reads: the model's columns and those of the related rows
    ``select_related`` names, which ``instances`` builds model instances of (``prefetch_related`` is not read).
    """

    def __init__(self, rows: QuerySet, *fields: str) -> None:
        self.model = rows.model
        self.whole_rows = not fields
        if self.whole_rows and rows._iterable_class is not ModelIterable:
            raise TypeError("A statement of values() or values_list() rows must name the fields to read.")
        compiler = (rows.values_list(*fields) if fields else rows).query.get_compiler(rows.db)
        super().__init__(compiler, compiler.using)
        # What the compiler does with the rows it reads: drop the columns only an ordering asked for, and convert
        # each column's value (SQLite's instants are text).
        self.width = compiler.col_count if self.sql and compiler.has_extra_select else None
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]] if self.sql else []
        self.converters = list(compiler.get_converters(columns).items())
        self._builder = _InstanceBuilder(compiler) if self.whole_rows and self.sql else None

    def run(self, **values: Any) -> list[tuple]:
        """The rows, as tuples of ``fields``' values (without fields: of every column read, related rows' too)."""
        params = self._bound(values)
        if not self.sql:
            return []
        with self._executed(params) as cursor:
            rows = cursor.fetchall()
        connection = connections[self.using]
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        if not self.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            row = list(row)
            for position, (converters, expression) in self.converters:
                for converter in converters:
                    row[position] = converter(row[position], expression, connection)
            converted.append(tuple(row))
        return converted

    def instances(self, **values: Any) -> list[Model]:
        """The rows as model instances, with their related rows, as a queryset of the model would give them."""
        if not self.whole_rows:
            raise TypeError(
                "Instances are built from a statement of all the model's columns: give no fields."
            )
        if self._builder is None:  # a filter that matches nothing
            return []
        return [self._builder.build(row) for row in self.run(**values)]


def aggregated(rows: QuerySet, **aggregates: Aggregate) -> QuerySet:
    """``rows.aggregate(**aggregates)`` as a query a statement can be prepared of (``aggregate`` runs at once): its
    one row, the values in the order given. Grouped by a constant, which Django leaves out of GROUP BY, so the rows
    are aggregated whole and there is a row even when there are none. For plain filtered rows only: rows that are
    sliced, distinct, combined, grouped or annotated with aggregates are refused, as ``aggregate`` reads them
    through a subquery, which this does not."""
    query = rows.query
    # Rows annotated with aggregates are grouped (group_by is True) too.
    if query.is_sliced or query.distinct or query.combinator or query.group_by is not None:
        raise TypeError(
            "Cannot prepare an aggregate of sliced, distinct, combined, grouped or aggregated rows."
        )
    return (
        rows.order_by()
        .annotate(_whole=Value(1))
        .values("_whole")
        .annotate(**aggregates)
        .values_list(*aggregates)
    )


class _InstanceBuilder:
    """What Django's ModelIterable does with each row of a model query, set up once for the compiled statement."""

    def __init__(self, compiler: Any) -> None:
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        self.using = compiler.using
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.own_columns = slice(first, last)
        self.init_list = [column[0].target.attname for column in compiler.select[self.own_columns]]
        self.related = get_related_populators(klass_info, compiler.select, self.using)
        self.annotations = compiler.annotation_col_map

    def build(self, row: tuple) -> Model:
        instance = self.model.from_db(self.using, self.init_list, row[self.own_columns])
        for related in self.related:
            related.populate(row, instance)
        for name, position in self.annotations.items():
            setattr(instance, name, row[position])
        return instance

"""Django's PostgreSQL backend, with a health check that costs no round trip while the connection is sound, and
cursors for statements the server prepares.

With ``CONN_HEALTH_CHECKS`` Django asks ``SELECT 1`` before the first query of every request that reuses a
connection: one more round trip to the database on every API call and feed revalidation, for a connection that is
almost always fine. A connection's end is something the server says: a restart, an administrator's
``pg_terminate_backend`` or an idle timeout sends an error and closes the socket, and either makes the idle
socket readable. So the socket is looked at first, without waiting; only if the server has said something since the
connection's last use is ``SELECT 1`` asked, as Django would, which reads whatever it was. A connection that is not
idle, or that raised an error during the last request, is asked as Django asks it.

A connection lost with nothing said (a network path cut silently) is not caught: ``SELECT 1`` would have waited for
the same TCP timeout and then opened a new connection, where now the request's own query waits and fails. The error
marks the connection, which Django checks (here, with ``SELECT 1``) and closes when the request ends, so the next
request starts on a new one. With Django's ``pool`` option the pool hands connections out and Django asks no
health check at all; the settings do not use it.

Django sends each statement with its values written into the SQL (client-side binding), so PostgreSQL parses and
plans it anew every time: for a short statement, most of what the server spends on it. The statements compiled once
and run on every API call (``cohort.prepared``) ask for ``prepared_cursor`` instead, which sends the values apart
from the SQL: psycopg then has the server prepare a statement once it has run ``prepare_threshold`` times on the
connection (5 by default; ``None`` in the database's OPTIONS never prepares, as a pooler in transaction mode that
does not track prepared statements needs), and the server plans it once per connection. psycopg counts Django's
other statements too (never preparing them): a hundred different ones between two runs of a compiled statement
start its count again, and a rollback, ALTER or DROP on the connection forgets what it prepared.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorWrapper
from psycopg import ClientCursor, errors
from psycopg.pq import TransactionStatus


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params) -> str | None:
        if isinstance(cursor, base.ServerBindingCursor):
            # Django reads what the cursor sent, which for these is the SQL without its values (and once prepared,
            # nothing): the statement with its values written in, as Django shows it with server-side binding. On
            # the cursor's own connection, which may have closed (Django's mogrify would ask for a new one).
            try:
                return ClientCursor(cursor.connection).mogrify(sql, params)
            except psycopg.Error:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def prepared_cursor(self) -> CursorWrapper:
        """A cursor that binds its values on the server, so that psycopg prepares what it runs often."""
        self.ensure_connection()
        opened = self.connection
        made_by = opened.cursor_factory
        opened.cursor_factory = base.ServerBindingCursor
        try:
            # As Django's own cursor (checked, wrapped, logged), of the other class. Should the health check replace
            # the connection, the new one makes Django's cursor: the statement runs, unprepared.
            return self.cursor()
        finally:
            opened.cursor_factory = made_by

    def dropped_stale_statements(self, error: Exception) -> bool:
        """Whether ``error`` is the server refusing a statement prepared before a migration changed the columns it
        reads ("cached plan must not change result type"), refused again on every run until prepared anew, and
        everything this connection prepared has been dropped (psycopg forgets it too). Not in a transaction, which
        the error has ended: its rollback drops them."""
        cause = error.__cause__
        stale = (
            isinstance(cause, errors.FeatureNotSupported)
            and cause.diag.source_function == "RevalidateCachedQuery"
        )
        if not stale or self.connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        with self.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        return True

    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        idle = self.connection.info.transaction_status == TransactionStatus.IDLE
        if not idle or self.errors_occurred or server_has_spoken(self.connection.fileno()):
            return super().is_usable()
        return True


def server_has_spoken(socket_fd: int) -> bool:
    """Whether the server has sent anything (an error, a notice, the end of the connection) not yet read."""
    poller = select.poll()  # one system call, and no descriptor of its own (as epoll would open)
    poller.register(socket_fd, select.POLLIN)
    return bool(poller.poll(0))

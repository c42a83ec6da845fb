"""Django's PostgreSQL backend, with a health check that costs no round trip while the connection is sound.

With ``CONN_HEALTH_CHECKS`` Django asks ``SELECT 1`` before the first query of every request that reuses a
connection: one more round trip to the database on every API call and feed revalidation, for a connection that is
almost always fine. A connection's end is something the server says: a restart, an administrator's
``pg_terminate_backend`` or an idle timeout sends an error and closes the socket, and either makes the idle
socket readable. So the socket is looked at first, without waiting; only if the server has said something since the
connection's last use is ``SELECT 1`` asked, as Django would, which reads whatever it was.

A connection lost with nothing said (a network path cut silently) is not caught: ``SELECT 1`` would have waited for
the same TCP timeout and then opened a new connection, where now the request's own query waits and fails. Django
closes a connection that raised an error when the request ends, so the next request starts on a new one.
"""

from __future__ import annotations

import selectors

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        # Between requests a connection is idle; in any other state, Django's check decides.
        if self.connection.info.transaction_status != TransactionStatus.IDLE or server_has_spoken(
            self.connection.fileno()
        ):
            return super().is_usable()
        return True


def server_has_spoken(socket_fd: int) -> bool:
    """Whether the server has sent anything (an error, a notice, the end of the connection) not yet read."""
    with selectors.DefaultSelector() as selector:
        selector.register(socket_fd, selectors.EVENT_READ)
        return bool(selector.select(timeout=0))

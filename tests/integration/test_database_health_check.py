"""The PostgreSQL backend's health check (``cohort.project.postgresql``) asks the server nothing while a reused
connection is sound, and asks as Django does once the server has said something: a connection the server ended is
replaced before the request's first query, one that was only notified stays."""

import selectors
from collections.abc import Iterator

import psycopg
import pytest
from django.db import OperationalError, connections

from cohort.project.postgresql.base import DatabaseWrapper


@pytest.fixture
def open_connection() -> Iterator:
    """A connection of its own, outside the test's transaction, as a web process holds one between requests."""
    opened = []

    def open_one() -> DatabaseWrapper:
        wrapper = connections.create_connection("default")
        assert isinstance(wrapper, DatabaseWrapper)
        wrapper.ensure_connection()
        opened.append(wrapper)
        return wrapper

    yield open_one
    for wrapper in opened:
        wrapper.close()


def _run(wrapper: DatabaseWrapper, sql: str, params: tuple = ()) -> tuple | None:
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def _last_statement_of(observer: DatabaseWrapper, pid: int) -> str:
    # Statistics are read once per transaction unless cleared: the observer must see them as they are now.
    _run(observer, "SELECT pg_stat_clear_snapshot()")
    return _run(observer, "SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))[0]


def _next_request(wrapper: DatabaseWrapper) -> None:
    # What Django does when a request starts: the check is owed again (health_check_done is reset).
    wrapper.close_if_unusable_or_obsolete()


def test_a_sound_idle_connection_is_usable_without_a_round_trip(db, open_connection):
    web, observer = open_connection(), open_connection()
    pid = _run(web, "SELECT pg_backend_pid() AS last_words")[0]
    assert web.health_check_enabled

    _next_request(web)
    web.close_if_health_check_failed()

    assert web.health_check_done
    assert web.is_usable()
    assert _last_statement_of(observer, pid) == "SELECT pg_backend_pid() AS last_words"


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(db, open_connection):
    web, observer = open_connection(), open_connection()
    pid = _run(web, "SELECT pg_backend_pid()")[0]
    # Waits (up to 10 s) until that backend has gone, as after a server restart or an idle timeout.
    assert _run(observer, "SELECT pg_terminate_backend(%s, 10000)", (pid,))[0]
    assert not web.is_usable()

    _next_request(web)
    new_pid = _run(web, "SELECT pg_backend_pid()")[0]

    assert new_pid != pid


def test_a_connection_the_server_only_notified_is_asked_and_kept(db, open_connection):
    web, observer = open_connection(), open_connection()
    pid = _run(web, "SELECT pg_backend_pid()")[0]
    _run(web, "LISTEN cohortops_health_check")
    _run(observer, "SELECT pg_notify('cohortops_health_check', 'hello')")
    # The notification waits unread on the idle connection's socket, as a server's notice would.
    with selectors.DefaultSelector() as selector:
        selector.register(web.connection.fileno(), selectors.EVENT_READ)
        assert selector.select(timeout=10)

    assert web.is_usable()
    assert _last_statement_of(observer, pid) == "SELECT 1"
    assert _run(web, "SELECT pg_backend_pid()")[0] == pid


@pytest.mark.parametrize("state", ["in a transaction", "after an error"])
def test_a_connection_not_idle_or_after_an_error_is_asked_as_django_asks(db, open_connection, state):
    web, observer = open_connection(), open_connection()
    pid = _run(web, "SELECT pg_backend_pid()")[0]
    if state == "in a transaction":
        web.set_autocommit(False)
        _run(web, "SELECT 'in a transaction'")
    else:
        web.errors_occurred = True

    assert web.is_usable()
    assert _last_statement_of(observer, pid) == "SELECT 1"
    if state == "in a transaction":
        web.rollback()
        web.set_autocommit(True)


def test_a_prepared_cursor_raises_the_databases_error_when_the_connection_cannot_be_replaced(
    db, open_connection, monkeypatch
):
    web, observer = open_connection(), open_connection()
    pid = _run(web, "SELECT pg_backend_pid()")[0]
    assert _run(observer, "SELECT pg_terminate_backend(%s, 10000)", (pid,))[0]
    _next_request(web)

    def refused(*args, **kwargs):
        raise psycopg.OperationalError("the database system is starting up")

    monkeypatch.setattr(web, "get_new_connection", refused)

    with pytest.raises(OperationalError, match="starting up"):
        web.prepared_cursor()

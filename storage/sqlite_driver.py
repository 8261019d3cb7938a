"""SQLAlchemy's aiosqlite adapter with one trip to SQLite's thread per statement.

aiosqlite runs every call on its connection's own thread and hands the result back to the event
loop (a queue, a wake-up of the loop's self-pipe, a future): about 50 µs of CPU a trip on the
2-core machine. SQLAlchemy's adapter makes four trips for each statement (``cursor()``,
``execute()``, ``fetchall()``, ``close()``); a message runs a dozen statements, so the trips
alone cost more CPU than the SQL. Here a statement is one function run on that thread: it
executes, fetches every row and closes its cursor, then returns rows, description, row count
and last row id at once. A rollback with no transaction open (the pool's reset of a connection
it gets back after a commit) makes no trip at all, and the ``BEGIN`` that opens a transaction
(:meth:`_OneTripConnection.begin_with_next`) runs in the trip of the transaction's first
statement.

Only the buffered cursor, where the ``BEGIN`` runs and the commit or rollback of a transaction
with nothing to end change. Server-side cursors (streamed exports, opened after the ``BEGIN``),
transactions, the connection's life and errors are SQLAlchemy's and aiosqlite's own: the
adapter subclasses theirs and uses :meth:`aiosqlite.Connection._execute`, as SQLAlchemy's
adapter itself does for ``isolation_level``.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

__all__ = ["one_trip_dbapi"]

#: What one statement returns from SQLite's thread: description, rows, last row id, row count.
_Outcome = tuple[Any, list[Any], int | None, int]


def _run(
    conn: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """Execute one statement on SQLite's thread and collect everything SQLAlchemy reads.

    ``begin``: the statement that opens the transaction first (``BEGIN IMMEDIATE``), if the
    transaction starts with this statement.
    """
    if begin is not None:
        conn.execute(begin)
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        if description:
            return description, cursor.fetchall(), -1, -1
        return None, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose ``execute`` is a single trip to SQLite's thread."""

    __slots__ = ()

    def _one_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: Any = self._connection  # aiosqlite.Connection (``_execute`` is untyped)
        adapted = cast(_OneTripConnection, self._adapt_connection)
        begin, adapted.pending_begin = adapted.pending_begin, None
        try:
            description, rows, lastrowid, rowcount = self.await_(
                connection._execute(_run, connection._conn, begin, operation, parameters, many)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = description
        self._rows = deque(rows)
        self.lastrowid = lastrowid
        self.rowcount = rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Run one statement and buffer its rows."""
        self._one_trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        """Run one statement for each set of parameters."""
        self._one_trip(operation, seq_of_parameters, many=True)
        self.description = None


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("pending_begin",)

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        #: The ``BEGIN`` the next statement's trip runs first (:meth:`begin_with_next`).
        self.pending_begin: str | None = None

    def begin_with_next(self, statement: str) -> None:
        """Open a transaction with ``statement`` in the same trip as the next statement.

        A transaction that runs no statement never opens one: its commit or rollback has
        nothing to do.
        """
        self.pending_begin = statement

    def _flush_begin(self) -> None:
        begin, self.pending_begin = self.pending_begin, None
        if begin is not None:
            self.await_(self._connection.execute(begin))

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:  # aiosqlite's own cursor: the transaction is opened first
            self._flush_begin()
            return super().cursor(server_side=True)
        return _OneTripCursor(self)

    def execute(self, *args: Any, **kw: Any) -> Any:
        """A statement run on the connection itself (not SQLAlchemy's way): opened first."""
        self._flush_begin()
        return super().execute(*args, **kw)

    def commit(self) -> None:
        """Commit; nothing to do (no trip) when the transaction ran no statement."""
        if self.pending_begin is not None:
            self.pending_begin = None
            return
        super().commit()

    def rollback(self) -> None:
        """Roll back, without a trip to SQLite's thread when no transaction is open.

        The pool "resets" every connection it gets back with a rollback, after a commit too:
        one more trip for every transaction (every message) that SQLite would answer with
        nothing to do. Whether a transaction is open is SQLite's own flag, read without a trip
        (the connection is idle: its calls are awaited one after the other).
        """
        self.pending_begin = None
        connection: Any = self._connection  # aiosqlite.Connection
        raw = connection._connection  # the sqlite3 connection; None once closed
        if raw is not None and not raw.in_transaction:
            return
        super().rollback()


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> Any:
    """The DB-API module to pass as ``module=`` to an ``sqlite+aiosqlite`` engine."""
    return _OneTripDBAPI(aiosqlite, sqlite3)

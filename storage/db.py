"""Engine and session factory construction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

from storage import standings

__all__ = [
    "TrackedSession",
    "has_pending",
    "make_engine",
    "make_session_factory",
    "refresh_statistics",
    "writes",
]


class TrackedSession(Session):
    """A session that keeps the status read model (:mod:`storage.standings`) up to date.

    After each flush, the standings of what the flush changed are recomputed on the same
    connection, so they commit (or roll back) with the change.
    """


event.listen(TrackedSession, "after_flush", standings.after_flush)
event.listen(TrackedSession, "do_orm_execute", standings.on_execute)

_WRITES = "tdkt.writes"


def _count_flush(session: Session, _context: Any) -> None:
    session.info[_WRITES] = session.info.get(_WRITES, 0) + 1


def _count_write(state: ORMExecuteState) -> None:
    # Anything but a select may write (a textual statement too).
    if not state.is_select:
        state.session.info[_WRITES] = state.session.info.get(_WRITES, 0) + 1


event.listen(TrackedSession, "after_flush", _count_flush)
event.listen(TrackedSession, "do_orm_execute", _count_write)


def writes(session: AsyncSession) -> int:
    """How many times ``session`` may have written (flushes, statements other than selects).

    Compare two readings to learn whether anything was sent to the database in between; with
    :func:`has_pending` too, whether the transaction still holds only what it held at the first.
    """
    return int(session.sync_session.info.get(_WRITES, 0))


def has_pending(session: AsyncSession) -> bool:
    """Whether ``session`` holds changes not yet flushed (new, changed or deleted objects)."""
    return bool(session.new or session.dirty or session.deleted)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Take the write lock when the transaction starts, not at its first write: a transaction
    # that read a conversation step can then never be overtaken by another process's write.
    _begin(conn, "BEGIN IMMEDIATE")


def _begin(conn: Connection, statement: str) -> None:
    """Open the transaction: with its first statement on our driver (one trip less)."""
    dbapi_conn = conn.connection.dbapi_connection
    begin_with_next = getattr(dbapi_conn, "begin_with_next", None)
    if begin_with_next is not None:
        begin_with_next(statement)
    else:
        conn.exec_driver_sql(statement)


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _sqlite_begin_deferred(conn: Connection) -> None:
    # A reader takes no write lock: in WAL mode it reads a snapshot while others write.
    _begin(conn, "BEGIN")


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> AsyncEngine:
    """Create an async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg).

    SQLite gets foreign keys, WAL, a busy timeout and ``BEGIN IMMEDIATE`` transactions, so that
    two processes (a console and a bot) can share one file and their transactions serialise the
    way PostgreSQL's row locks make them, and a statement costs one trip to aiosqlite's thread
    (:mod:`storage.sqlite_driver`). PostgreSQL sessions run without JIT compilation.

    Args:
        url: The database.
        read_only: An engine for long reads (building an export): on SQLite its transactions
            are deferred and its connections refuse writes, so it never holds the write lock
            that every message needs.
        **kwargs: Passed to :func:`~sqlalchemy.ext.asyncio.create_async_engine`.
    """
    driver = make_url(url).drivername
    if driver == "sqlite+aiosqlite":
        from storage.sqlite_driver import one_trip_dbapi  # aiosqlite only where it is used

        kwargs.setdefault("module", one_trip_dbapi())
    elif driver == "postgresql+asyncpg":
        # No JIT: every statement here is short, and a plan whose estimate crosses
        # jit_above_cost (an OR of per-unit lookups over a few thousand units) spent ten times
        # its run time compiling. The caller's server settings are kept (and may turn it on).
        connect_args = dict(kwargs.get("connect_args") or {})
        connect_args["server_settings"] = {"jit": "off", **connect_args.get("server_settings", {})}
        kwargs["connect_args"] = connect_args
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sync_engine: Engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_connect)
        if read_only:
            event.listen(sync_engine, "connect", _sqlite_read_only)
            event.listen(sync_engine, "begin", _sqlite_begin_deferred)
        else:
            event.listen(sync_engine, "begin", _sqlite_begin)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit, and the standings up to date."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TrackedSession)


async def refresh_statistics(session: AsyncSession, *, full: bool = False) -> None:
    """Let the query planner see the tables as they are now (in ``session``'s transaction).

    SQLite keeps no statistics until ``ANALYZE`` runs, and without them it may pick a worse
    index on big tables. ``full`` (after a rebuild or a bulk load) analyses every table;
    otherwise SQLite's ``PRAGMA optimize`` analyses only the tables whose statistics are
    missing or stale, reading a sample of each (``analysis_limit``): cheap enough to run every
    few hours. PostgreSQL's autovacuum keeps
    its own statistics; ``full`` analyses ours at once (named: the schema in the search path,
    not every table of the database).
    """
    if session.bind.dialect.name == "sqlite":
        # The daily pass samples (the write lock is held meanwhile); a full one reads it all.
        await session.execute(text(f"PRAGMA analysis_limit = {0 if full else 1000}"))
        await session.execute(text("ANALYZE" if full else "PRAGMA optimize"))
    elif full:
        from storage.models import Base

        names = ", ".join(f'"{name}"' for name in sorted(Base.metadata.tables))
        await session.execute(text(f"ANALYZE {names}"))

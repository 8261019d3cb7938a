"""The SQLite engine's adapter: one trip to aiosqlite's thread per statement, same results."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine


def insert_t() -> Any:
    return text("INSERT INTO t (name) VALUES (:name)")


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every call an engine hands to aiosqlite's thread."""
    calls: list[object] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield calls


async def test_a_statement_is_one_trip(sqlite: AsyncEngine, trips: list[object]) -> None:
    async with sqlite.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the connection is checked out and warmed
        trips.clear()
        rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert rows == []
        assert len(trips) == 1
        trips.clear()
        await conn.execute(insert_t(), {"name": "a"})
        assert len(trips) == 1


async def test_a_committed_transaction_costs_no_trip_more(
    sqlite: AsyncEngine, trips: list[object]
) -> None:
    async with sqlite.begin() as conn:
        await conn.execute(insert_t(), {"name": "a"})
    trips.clear()
    async with sqlite.begin() as conn:
        await conn.execute(insert_t(), {"name": "b"})
    # BEGIN IMMEDIATE with the insert, then COMMIT; the pool's reset finds nothing to undo.
    assert len(trips) == 2


async def test_a_rollback_still_undoes_an_open_transaction(
    sqlite: AsyncEngine, trips: list[object]
) -> None:
    async with sqlite.connect() as conn:
        await conn.begin()
        await conn.execute(insert_t(), {"name": "gone"})
        trips.clear()
        await conn.rollback()
        assert len(trips) == 1  # an open transaction's rollback goes to SQLite
    async with sqlite.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_rows_counts_and_ids_as_before(sqlite: AsyncEngine) -> None:
    async with sqlite.begin() as conn:
        first = await conn.execute(insert_t(), {"name": "a"})
        assert first.lastrowid == 1
        many = await conn.execute(insert_t(), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a"), (2, "b!"), (3, "c!")]
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id"))
        assert returned.scalar_one() == 4


async def test_errors_are_the_drivers(sqlite: AsyncEngine) -> None:
    async with sqlite.connect() as conn:
        await conn.execute(insert_t(), {"name": "a"})
        with pytest.raises(IntegrityError):
            await conn.execute(insert_t(), {"name": "a"})
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_streaming_still_streams(sqlite: AsyncEngine) -> None:
    async with sqlite.begin() as conn:
        await conn.execute(insert_t(), [{"name": str(n)} for n in range(250)])
    async with sqlite.connect() as conn:
        result = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        names = [row[0] async for row in result]
    assert names == [str(n) for n in range(250)]


def _can_write(path: Path) -> bool:
    """Whether another connection gets SQLite's write lock at once."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


async def test_the_first_statement_takes_the_write_lock(
    sqlite: AsyncEngine, trips: list[object], tmp_path: Path
) -> None:
    path = tmp_path / "driver.db"
    async with sqlite.begin() as conn:
        await conn.execute(text("SELECT 1"))  # a read: the lock is taken all the same
        assert not _can_write(path)
    assert _can_write(path)
    trips.clear()
    async with sqlite.begin():
        assert _can_write(path)  # no statement yet: no transaction in SQLite
    assert trips == []  # begun and committed without a statement: nothing to do


async def test_a_streamed_read_opens_its_transaction_first(
    sqlite: AsyncEngine, tmp_path: Path
) -> None:
    async with sqlite.begin() as conn:
        await conn.execute(insert_t(), [{"name": "a"}, {"name": "b"}])
    async with sqlite.begin() as conn:
        result = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        assert not _can_write(tmp_path / "driver.db")
        assert [row[0] async for row in result] == ["a", "b"]

"""Throw-away benchmark databases: a SQLite file, or a schema on a PostgreSQL server.

Shared by the scripts in ``bench/`` (run as ``python bench/<script>.py``, so this module is
imported as a sibling).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from storage import migrate
from storage.db import make_engine

__all__ = ["DEFAULT_PG_URL", "postgres_engine", "postgres_reachable", "sqlite_engine"]

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def sqlite_engine(*, migrated: bool = True) -> AsyncIterator[AsyncEngine]:
    """An engine on a SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tdkt-bench-") as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            if migrated:
                await migrate.upgrade(engine)
            yield engine
        finally:
            await engine.dispose()


@contextlib.asynccontextmanager
async def postgres_engine(url: str, *, migrated: bool = True) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh schema of the PostgreSQL server at ``url``, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            if migrated:
                await migrate.upgrade(engine)
            yield engine
        finally:
            await engine.dispose()
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


async def postgres_reachable(url: str) -> bool:
    """Whether a PostgreSQL server answers at ``url`` within a few seconds."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with asyncio.timeout(3), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "skip PostgreSQL"
        print(f"PostgreSQL not reachable at {url}: {exc!r}")
        return False
    finally:
        await engine.dispose()
    return True

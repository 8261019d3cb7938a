"""Alembic revisions build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.models import Base
from storage.schema_head import at_head
from tests.conftest import TestDatabase


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _check_at_head(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
        tables = await conn.run_sync(_tables)
    assert diff == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_upgrade_head_matches_models(test_db: TestDatabase) -> None:
    await migrate.upgrade_to_head(test_db.url, **test_db.engine_kwargs)
    engine = test_db.make_engine()
    try:
        await _check_at_head(engine)
    finally:
        await engine.dispose()


async def test_downgrade_base_then_upgrade_again(test_db: TestDatabase) -> None:
    engine = test_db.make_engine()
    try:
        await migrate.upgrade(engine)
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}
        await migrate.upgrade(engine)
        await _check_at_head(engine)
    finally:
        await engine.dispose()


async def test_engine_fixture_is_at_head(engine: AsyncEngine) -> None:
    """The tests' schema (a copy of a template, see ``tests/pg_templates.py``) is the head's."""
    await _check_at_head(engine)
    assert await at_head(engine)

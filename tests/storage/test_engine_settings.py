"""Session settings every PostgreSQL connection gets from ``storage.db.make_engine``."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import TestDatabase

SF = async_sessionmaker[AsyncSession]


@pytest.mark.postgres_only  # SQLite has no JIT
async def test_postgresql_runs_without_jit_and_keeps_the_callers_settings(
    session_factory: SF, test_db: TestDatabase
) -> None:
    assert test_db.dialect == "postgresql"
    async with session_factory() as s:
        assert await s.scalar(text("SHOW jit")) == "off"
        assert test_db.schema is not None
        assert test_db.schema in str(await s.scalar(text("SHOW search_path")))

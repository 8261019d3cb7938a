"""refresh_statistics: the query planner's statistics exist after a rebuild, on both databases."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import refresh_statistics
from storage.models import Unit


async def _analysed_units(session: AsyncSession) -> bool:
    if session.bind.dialect.name == "sqlite":
        found = await session.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        )
        if found.first() is None:
            return False
        rows = await session.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'units'"))
        return rows.first() is not None
    rows = await session.execute(
        text(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname = 'units' AND schemaname = current_schema()"
        )
    )
    return bool(rows.scalar())


async def test_full_refresh_analyses_our_tables(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        session.add_all(
            Unit(code=f"U{i:03d}", name=f"Đơn vị {i}", kind="xa_phuong") for i in range(30)
        )
    async with session_factory.begin() as session:
        await refresh_statistics(session)  # the daily pass: cheap, never fails
        await refresh_statistics(session, full=True)
    async with session_factory() as session:
        assert await _analysed_units(session)

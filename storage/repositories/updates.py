"""Updates the core has processed, so that a redelivered one is skipped."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_for
from storage.models import ProcessedUpdate

__all__ = ["ProcessedUpdateRepository"]


@functools.cache
def _claim(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING`` for ``dialect``.

    Run on every message, so built once per dialect (a plain table insert, no ORM bulk-insert
    machinery).
    """
    table = cast(Table, ProcessedUpdate.__table__)
    insert = insert_for("postgresql" if dialect == "postgresql" else "sqlite")
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        .returning(table.c.update_id)
    )


class ProcessedUpdateRepository:
    """Remembers processed update ids per channel; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def seen(self, channel: str, update_id: str) -> bool:
        """Whether the update was already processed (its effects committed)."""
        return await self._s.get(ProcessedUpdate, (channel, update_id)) is not None

    async def claim(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Mark the update processed in one statement; False if it already was.

        ``INSERT … ON CONFLICT DO NOTHING``: no read before the write, and a concurrent
        transaction holding the same id makes this one wait for its outcome (PostgreSQL) or
        cannot run at the same time (SQLite's ``BEGIN IMMEDIATE``).
        """
        values = {"channel": channel, "update_id": update_id, "processed_at": now}
        stmt = _claim(self._s.get_bind().dialect.name)
        return (await self._s.execute(stmt, values)).first() is not None

    async def add(self, channel: str, update_id: str, now: dt.datetime) -> None:
        """Mark the update processed; a concurrent duplicate fails on the primary key."""
        self._s.add(ProcessedUpdate(channel=channel, update_id=update_id, processed_at=now))
        await self._s.flush()

    async def prune(self, before: dt.datetime) -> int:
        """Forget updates processed before ``before`` (channels never redeliver them)."""
        result = await self._s.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

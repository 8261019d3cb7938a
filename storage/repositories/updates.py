"""Updates the core has processed, so that a redelivered one is skipped."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate

__all__ = ["ProcessedUpdateRepository"]


_TABLE = cast(Table, ProcessedUpdate.__table__)
#: ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on SQLite (False) and PostgreSQL (True): run
#: on every message, so built once (a plain table insert, no ORM bulk-insert machinery).
_CLAIM = {
    postgres: insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["channel", "update_id"])
    .returning(_TABLE.c.update_id)
    for postgres, insert in ((False, sqlite.insert), (True, postgresql.insert))
}


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
        stmt = _CLAIM[self._s.get_bind().dialect.name == "postgresql"]
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

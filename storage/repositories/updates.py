"""Updates the core has processed, so that a redelivered one is skipped."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, TextualSelect, bindparam, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate

__all__ = ["ProcessedUpdateRepository"]


def _claim_statement() -> TextualSelect:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING``, the same SQL on SQLite and PostgreSQL.

    Run on every message. SQLAlchemy never caches the compiled form of its dialects'
    ``insert(…).on_conflict_do_nothing()`` (their ``Insert`` sets ``inherit_cache = False``), so
    that construct was compiled again for every message; a textual statement with the columns'
    own types is compiled once and then found in the engine's statement cache.
    """
    table = cast(Table, ProcessedUpdate.__table__)
    columns = (table.c.channel, table.c.update_id, table.c.processed_at)
    names = ", ".join(c.name for c in columns)
    values = ", ".join(f":{c.name}" for c in columns)
    return (
        text(
            f"INSERT INTO {table.name} ({names}) VALUES ({values}) "
            "ON CONFLICT (channel, update_id) DO NOTHING RETURNING update_id"
        )
        .bindparams(*(bindparam(c.name, type_=c.type) for c in columns))
        .columns(table.c.update_id)
    )


#: Built once: a message only binds its values.
_CLAIM = _claim_statement()


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
        return (await self._s.execute(_CLAIM, values)).first() is not None

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

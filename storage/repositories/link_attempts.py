"""Failed invite codes per chat, so that codes cannot be guessed by trying many."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LinkAttempt

__all__ = ["LinkAttemptRepository"]


class LinkAttemptRepository:
    """Counts failed link attempts per chat within a window; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def blocked_until(
        self, channel: str, chat_id: str, now: dt.datetime
    ) -> dt.datetime | None:
        """Until when the chat may not try a code, or None if it may now."""
        row = await self._s.get(LinkAttempt, (channel, chat_id))
        if row is None or row.blocked_until is None or row.blocked_until <= now:
            return None
        return row.blocked_until

    async def fail(
        self,
        channel: str,
        chat_id: str,
        now: dt.datetime,
        *,
        window: dt.timedelta,
        limit: int,
        block: dt.timedelta,
    ) -> dt.datetime | None:
        """Count one failed attempt; the end of the block when this one reached ``limit``."""
        row = await self._s.get(LinkAttempt, (channel, chat_id), with_for_update=True)
        if row is None:
            row = LinkAttempt(channel=channel, chat_id=chat_id, failures=0, window_started_at=now)
            self._s.add(row)
        if now - row.window_started_at > window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.blocked_until = now + block
            row.failures, row.window_started_at = 0, now
        await self._s.flush()
        return row.blocked_until if row.failures == 0 else None

    async def clear(self, channel: str, chat_id: str) -> None:
        """Forget the chat's failures (it linked)."""
        row = await self._s.get(LinkAttempt, (channel, chat_id))
        if row is not None:
            await self._s.delete(row)

"""Conversation state, keyed by channel + chat id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation

__all__ = ["ConversationRepository"]


class ConversationRepository:
    """Loads and stores where each chat stands; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def load_for_update(self, channel: str, chat_id: str) -> Conversation | None:
        """Return the chat's row, locked until the transaction ends (PostgreSQL)."""
        rows = await self._s.scalars(
            select(Conversation)
            .where(Conversation.channel == channel, Conversation.chat_id == chat_id)
            .with_for_update()
        )
        return rows.first()

    async def save(
        self,
        channel: str,
        chat_id: str,
        state: str,
        data: dict[str, Any],
        now: dt.datetime,
        existing: Conversation | None,
    ) -> None:
        """Write the chat's state (insert or update)."""
        if existing is None:
            self._s.add(
                Conversation(
                    channel=channel, chat_id=chat_id, state=state, data=data, updated_at=now
                )
            )
        else:
            existing.state = state
            existing.data = dict(data)
            existing.updated_at = now
        await self._s.flush()

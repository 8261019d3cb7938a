"""Conversation state, keyed by channel + chat id.

Read and written on every message, so with statements built once (plain columns, no ORM
objects): the per-message path then costs only the SQL's own round trips.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation

__all__ = ["ConversationRepository", "StoredConversation"]

_TABLE = cast(Table, Conversation.__table__)
#: Immutable statements, built once; a message only binds its values.
_LOAD = (
    select(_TABLE.c.state, _TABLE.c.data)
    .where(_TABLE.c.channel == bindparam("key_channel"))
    .where(_TABLE.c.chat_id == bindparam("key_chat_id"))
    .with_for_update()
)
_UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.channel == bindparam("key_channel"))
    .where(_TABLE.c.chat_id == bindparam("key_chat_id"))
)
_INSERT = insert(_TABLE)


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A chat's stored step and data, as read at the start of a message."""

    state: str
    data: dict[str, Any]


class ConversationRepository:
    """Loads and stores where each chat stands; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def load_for_update(self, channel: str, chat_id: str) -> StoredConversation | None:
        """Return the chat's state, its row locked until the transaction ends (PostgreSQL)."""
        params = {"key_channel": channel, "key_chat_id": chat_id}
        row = (await self._s.execute(_LOAD, params)).first()
        return None if row is None else StoredConversation(row[0], dict(row[1] or {}))

    async def save(
        self,
        channel: str,
        chat_id: str,
        state: str,
        data: dict[str, Any],
        now: dt.datetime,
        existing: StoredConversation | None,
    ) -> None:
        """Write the chat's state (insert or update)."""
        values = {"state": state, "data": dict(data), "updated_at": now}
        if existing is None:
            await self._s.execute(_INSERT, {"channel": channel, "chat_id": chat_id, **values})
        else:
            await self._s.execute(
                _UPDATE, {"key_channel": channel, "key_chat_id": chat_id, **values}
            )

"""Conversation state, keyed by channel + chat id.

Read and written on every message, so with statements built once (plain columns, no ORM
objects): the per-message path then costs only the SQL's own round trips.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, literal_column, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatAccount, Conversation, Person, Unit

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
#: The chat's step (its row locked, as :data:`_LOAD`) and the sender's account, person and
#: unit, in one statement: one row always (a one-row anchor, every side outer-joined), so a
#: message's reads cost one round trip whether or not the chat has a step or the sender a link.
#: PostgreSQL locks the rows of a locking sub-select; SQLite's write lock is the transaction's.
_CONV = _LOAD.subquery("conv")
_ANCHOR = select(literal_column("1").label("one")).subquery("anchor")
_WITH_SENDER = (
    select(_CONV.c.state, _CONV.c.data, ChatAccount, Person, Unit)
    .select_from(_ANCHOR)
    .outerjoin(_CONV, true())
    .outerjoin(
        ChatAccount,
        and_(
            ChatAccount.channel == bindparam("sender_channel"),
            ChatAccount.external_id == bindparam("sender_id"),
        ),
    )
    .outerjoin(Person, Person.id == ChatAccount.person_id)
    .outerjoin(Unit, Unit.id == Person.unit_id)
)


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A chat's stored step and data, as read at the start of a message."""

    state: str
    data: dict[str, Any]


class ConversationRepository:
    """Loads and stores where each chat stands; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def load_with_sender(
        self, channel: str, chat_id: str, external_id: str
    ) -> tuple[StoredConversation | None, ChatAccount | None, Person | None, Unit | None]:
        """The chat's state and the sender, in one query.

        The chat's row is locked until the transaction ends (PostgreSQL; SQLite's write lock
        is the transaction's). The sender is the account of ``external_id`` on ``channel``
        with its person and unit: all three None when the sender is not linked.
        """
        params = {
            "key_channel": channel,
            "key_chat_id": chat_id,
            "sender_channel": channel,
            "sender_id": external_id,
        }
        row = (await self._s.execute(_WITH_SENDER, params)).one()
        state, data, account, person, unit = row
        stored = None if state is None else StoredConversation(state, dict(data or {}))
        if account is None or person is None:
            return stored, None, None, None
        return stored, account, person, unit

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

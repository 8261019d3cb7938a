"""People, their chat accounts and invites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatAccount, Invite, Person, Role, Unit

__all__ = ["PeopleRepository"]


class PeopleRepository:
    """Reads and writes people, accounts and invites; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def account(self, channel: str, external_id: str) -> ChatAccount | None:
        """Return the account of ``external_id`` on ``channel``, if linked."""
        rows = await self._s.scalars(
            select(ChatAccount).where(
                ChatAccount.channel == channel, ChatAccount.external_id == external_id
            )
        )
        return rows.first()

    async def get(self, person_id: int) -> Person | None:
        """Return the person with id ``person_id``."""
        return await self._s.get(Person, person_id)

    async def person_with_unit(self, person_id: int) -> tuple[Person, Unit | None]:
        """Return a person and their unit (or None)."""
        person = await self._s.get_one(Person, person_id)
        unit = await self._s.get(Unit, person.unit_id) if person.unit_id is not None else None
        return person, unit

    async def add_person(self, person: Person) -> Person:
        """Insert a person."""
        self._s.add(person)
        await self._s.flush()
        return person

    async def add_account(self, account: ChatAccount) -> ChatAccount:
        """Insert a chat account."""
        self._s.add(account)
        await self._s.flush()
        return account

    async def invite_for_update(self, code: str) -> Invite | None:
        """Return the invite with ``code``, locked against a concurrent use where supported."""
        rows = await self._s.scalars(select(Invite).where(Invite.code == code).with_for_update())
        return rows.first()

    async def add_invite(self, invite: Invite) -> Invite:
        """Insert an invite."""
        self._s.add(invite)
        await self._s.flush()
        return invite

    async def claim_invite(self, invite_id: int, account_id: int, now: dt.datetime) -> bool:
        """Mark an unused invite used; False when someone else used it first."""
        result = await self._s.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None))
            .values(used_at=now, used_by_account_id=account_id)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def mark_unreachable(self, channel: str, chat_id: str, now: dt.datetime) -> int:
        """Record that the bot can no longer write to ``chat_id`` (blocked, deleted account).

        Returns:
            How many accounts were marked (0 when the chat is not a linked private chat).
        """
        result = await self._s.execute(
            update(ChatAccount)
            .where(
                ChatAccount.channel == channel,
                ChatAccount.chat_id == chat_id,
                ChatAccount.unreachable_at.is_(None),
            )
            .values(unreachable_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def linked_accounts(
        self,
        roles: Sequence[Role],
        *,
        unit_ids: Sequence[int] | None = None,
        reachable_only: bool = False,
    ) -> list[tuple[ChatAccount, Person, Unit | None]]:
        """Return the chat accounts of people with ``roles``, with the person and their unit.

        Args:
            roles: Whose accounts.
            unit_ids: Only people of these units, if given.
            reachable_only: Only accounts the bot can write to (chat known, not unreachable).

        Returns:
            (account, person, unit or None) in account order.
        """
        stmt = (
            select(ChatAccount, Person, Unit)
            .join(Person, Person.id == ChatAccount.person_id)
            .outerjoin(Unit, Unit.id == Person.unit_id)
            .where(Person.role.in_(list(roles)))
            .order_by(ChatAccount.id)
        )
        if unit_ids is not None:
            stmt = stmt.where(Person.unit_id.in_(list(unit_ids)))
        if reachable_only:
            stmt = stmt.where(
                ChatAccount.chat_id.is_not(None), ChatAccount.unreachable_at.is_(None)
            )
        return list((await self._s.execute(stmt)).tuples())

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
        """Mark an unused invite used; False when someone used or revoked it first."""
        result = await self._s.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
            .values(used_at=now, used_by_account_id=account_id)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def revoke_invites(
        self, role: Role, now: dt.datetime, *, unit_ids: Sequence[int] | None = None
    ) -> int:
        """Revoke the unused, unexpired invites of ``role`` (of these units, if given).

        A code already used is left alone: the person it linked stays linked.

        Returns:
            How many invites were revoked.
        """
        stmt = (
            update(Invite)
            .where(
                Invite.role == role,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
            .values(revoked_at=now)
        )
        if unit_ids is not None:
            stmt = stmt.where(Invite.unit_id.in_(list(unit_ids)))
        result = await self._s.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def people(
        self, *, unit_id: int | None = None, roles: Sequence[Role] | None = None
    ) -> list[Person]:
        """The people not removed, of a unit and with roles if given, by id."""
        stmt = select(Person).where(Person.removed_at.is_(None)).order_by(Person.id)
        if unit_id is not None:
            stmt = stmt.where(Person.unit_id == unit_id)
        if roles is not None:
            stmt = stmt.where(Person.role.in_(list(roles)))
        return list(await self._s.scalars(stmt))

    async def person_for_update(self, person_id: int) -> Person | None:
        """The person with ``person_id``, locked against a concurrent change where supported."""
        rows = await self._s.scalars(
            select(Person)
            .where(Person.id == person_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return rows.first()

    async def lock_secretariat(self) -> list[Person]:
        """The secretariat people not removed, locked (so two removals see each other)."""
        rows = await self._s.scalars(
            select(Person)
            .where(Person.role == Role.SECRETARIAT, Person.removed_at.is_(None))
            .order_by(Person.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def accounts_of(self, person_ids: Sequence[int]) -> list[ChatAccount]:
        """The chat accounts of these people, by id."""
        if not person_ids:
            return []
        rows = await self._s.scalars(
            select(ChatAccount)
            .where(ChatAccount.person_id.in_(list(person_ids)))
            .order_by(ChatAccount.id)
        )
        return list(rows)

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
            .where(Person.role.in_(list(roles)), Person.removed_at.is_(None))
            .order_by(ChatAccount.id)
        )
        if unit_ids is not None:
            stmt = stmt.where(Person.unit_id.in_(list(unit_ids)))
        if reachable_only:
            stmt = stmt.where(
                ChatAccount.chat_id.is_not(None), ChatAccount.unreachable_at.is_(None)
            )
        return list((await self._s.execute(stmt)).tuples())

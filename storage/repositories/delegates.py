"""Delegates to the upper conference: each unit's list per campaign; never commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Delegate

__all__ = ["ACTIVE", "DelegateRepository"]

#: ``Delegate.status`` of a delegate on a list (``"withdrawn"`` once taken off it); the same
#: value as :data:`handlers.domain.delegate_rules.ACTIVE`.
ACTIVE = "active"


class DelegateRepository:
    """Reads and writes delegates; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, delegate_id: int) -> Delegate | None:
        """Return the delegate with id ``delegate_id`` (on a list or withdrawn)."""
        return await self._s.get(Delegate, delegate_id)

    async def active_for_unit(self, campaign_id: int, unit_id: int) -> list[Delegate]:
        """The unit's delegates on the campaign's list, in the order they were added."""
        rows = await self._s.scalars(
            select(Delegate)
            .where(
                Delegate.campaign_id == campaign_id,
                Delegate.unit_id == unit_id,
                Delegate.status == ACTIVE,
            )
            .order_by(Delegate.id)
        )
        return list(rows)

    async def active_by_unit(self, campaign_id: int) -> dict[int, list[Delegate]]:
        """Every unit's delegates on the campaign's list: unit id → delegates (by id)."""
        rows = await self._s.scalars(
            select(Delegate)
            .where(Delegate.campaign_id == campaign_id, Delegate.status == ACTIVE)
            .order_by(Delegate.id)
        )
        by_unit: dict[int, list[Delegate]] = {}
        for row in rows:
            by_unit.setdefault(row.unit_id, []).append(row)
        return by_unit

    async def count_active(self, campaign_id: int) -> int:
        """How many delegates the campaign's lists hold, every unit together."""
        total = await self._s.scalar(
            select(func.count())
            .select_from(Delegate)
            .where(Delegate.campaign_id == campaign_id, Delegate.status == ACTIVE)
        )
        return int(total or 0)

    async def lock_campaign(self, campaign_id: int) -> None:
        """Serialise changes to one campaign's lists, so two adds cannot both take the last seat.

        Locks the campaign's row (``SELECT … FOR UPDATE``) until the transaction ends; a no-op on
        SQLite, whose writers are serialised anyway.
        """
        await self._s.execute(
            select(Campaign.id).where(Campaign.id == campaign_id).with_for_update()
        )

    async def add(self, delegate: Delegate) -> Delegate:
        """Insert ``delegate`` and flush, so it has its id."""
        self._s.add(delegate)
        await self._s.flush()
        return delegate

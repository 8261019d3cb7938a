"""Nominations (đề cử / đề nghị khen thưởng)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Nomination, NominationStatus

__all__ = ["NominationRepository"]

_COUNTED = (NominationStatus.SUBMITTED, NominationStatus.ACCEPTED)
#: Counted nominations per (requirement, unit), run by every status view: built once.
_COUNTED_BY_UNIT = (
    select(
        Nomination.requirement_id,
        Nomination.unit_id,
        func.count(),
        func.min(Nomination.created_at),
    )
    .where(
        Nomination.requirement_id.in_(bindparam("req_ids", expanding=True)),
        Nomination.status.in_(_COUNTED),
    )
    .group_by(Nomination.requirement_id, Nomination.unit_id)
)
_COUNTED_OF_UNITS = _COUNTED_BY_UNIT.where(
    Nomination.unit_id.in_(bindparam("unit_ids", expanding=True))
)


class NominationRepository:
    """Reads and writes nominations; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, nomination_id: int) -> Nomination | None:
        """Return one nomination."""
        return await self._s.get(Nomination, nomination_id)

    async def add(self, nomination: Nomination) -> Nomination:
        """Insert a nomination."""
        self._s.add(nomination)
        await self._s.flush()
        return nomination

    async def for_unit(self, unit_id: int, campaign_ids: Sequence[int]) -> list[Nomination]:
        """Return the unit's nominations that are not withdrawn, oldest first."""
        rows = await self._s.scalars(
            select(Nomination)
            .where(
                Nomination.unit_id == unit_id,
                Nomination.campaign_id.in_(campaign_ids),
                Nomination.status != NominationStatus.WITHDRAWN,
            )
            .order_by(Nomination.id)
        )
        return list(rows)

    async def counted_by_unit(
        self, requirement_ids: Sequence[int], unit_ids: Sequence[int] | None = None
    ) -> dict[tuple[int, int], tuple[int, dt.datetime]]:
        """Return {(requirement_id, unit_id): (count, first sent)} of nominations that count.

        Args:
            requirement_ids: The requirements looked at.
            unit_ids: Only these units' nominations (read from an index), or every unit's.
        """
        if not requirement_ids or (unit_ids is not None and not unit_ids):
            return {}
        params: dict[str, Any] = {"req_ids": list(requirement_ids)}
        if unit_ids is None:
            rows = await self._s.execute(_COUNTED_BY_UNIT, params)
        else:
            params["unit_ids"] = list(unit_ids)
            rows = await self._s.execute(_COUNTED_OF_UNITS, params)
        return {(r, u): (n, first) for r, u, n, first in rows.tuples() if r is not None}

    async def awaiting_review(
        self, campaign_ids: Sequence[int], unit_id: int | None = None
    ) -> list[tuple[int, dt.datetime]]:
        """Return (id, sent at) of nominations not yet reviewed, oldest first.

        Args:
            campaign_ids: The campaigns looked at (the active ones).
            unit_id: Only this unit's nominations, if given.
        """
        if not campaign_ids:
            return []
        stmt = select(Nomination.id, Nomination.created_at).where(
            Nomination.campaign_id.in_(campaign_ids),
            Nomination.status == NominationStatus.SUBMITTED,
        )
        if unit_id is not None:
            stmt = stmt.where(Nomination.unit_id == unit_id)
        rows = await self._s.execute(stmt.order_by(Nomination.created_at, Nomination.id))
        return list(rows.tuples())

    async def get_for_update(self, nomination_id: int) -> Nomination | None:
        """Return one nomination locked until the transaction ends (PostgreSQL), freshly read."""
        rows = await self._s.scalars(
            select(Nomination)
            .where(Nomination.id == nomination_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return rows.first()

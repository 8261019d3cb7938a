"""The append-only audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog

__all__ = ["AuditRepository"]


class AuditRepository:
    """Appends audit rows and finds the latest of an entity; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def record(
        self,
        *,
        at: dt.datetime,
        person_id: int | None,
        action: str,
        entity: str,
        entity_id: int | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one row (flushed with the transaction)."""
        self._s.add(
            AuditLog(
                at=at,
                person_id=person_id,
                action=action,
                entity=entity,
                entity_id=entity_id,
                detail=detail or {},
            )
        )

    async def latest(self, entity: str, entity_id: int, actions: Sequence[str]) -> AuditLog | None:
        """Return the newest row recording one of ``actions`` on an entity, if any."""
        rows = await self._s.scalars(
            select(AuditLog)
            .where(
                AuditLog.entity == entity,
                AuditLog.entity_id == entity_id,
                AuditLog.action.in_(list(actions)),
            )
            .order_by(AuditLog.id.desc())
            .limit(1)
        )
        return rows.first()

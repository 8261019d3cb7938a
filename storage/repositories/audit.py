"""The append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog

__all__ = ["AuditRepository"]


class AuditRepository:
    """Appends audit rows; never commits."""

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

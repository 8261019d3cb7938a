"""Plan drafts: plans read from a document in the chat, kept until the campaign is created."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlanDraft

__all__ = ["OPEN", "PlanDraftRepository"]

#: The status of a draft still being reviewed.
OPEN = "open"


class PlanDraftRepository:
    """Reads and writes :class:`PlanDraft` rows; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, draft: PlanDraft) -> PlanDraft:
        """Insert ``draft`` and give it its id."""
        self._s.add(draft)
        await self._s.flush()
        return draft

    async def open_drafts(self) -> list[PlanDraft]:
        """The drafts still being reviewed, oldest first."""
        rows = await self._s.scalars(
            select(PlanDraft).where(PlanDraft.status == OPEN).order_by(PlanDraft.id)
        )
        return list(rows)

    async def get_open(self, draft_id: int, *, for_update: bool = False) -> PlanDraft | None:
        """The open draft ``draft_id`` (locked on PostgreSQL with ``for_update``), or None."""
        stmt = select(PlanDraft).where(PlanDraft.id == draft_id, PlanDraft.status == OPEN)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self._s.scalars(stmt)).first()

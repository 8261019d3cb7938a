"""Deadline changes (gia hạn) and the items a change to a requirement would touch."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DeadlineChange,
    Nomination,
    NominationStatus,
    Person,
    Role,
    StoredFile,
    Submission,
    SubmissionStatus,
)

__all__ = ["DeadlineRepository"]

#: Submissions that still count (withdrawn versions do not).
_LIVE = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED, SubmissionStatus.RETURNED)


class DeadlineRepository:
    """Reads and writes :class:`DeadlineChange` rows; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def add(self, change: DeadlineChange) -> None:
        """Record one deadline change (flushed with the transaction)."""
        self._s.add(change)

    async def history(self, requirement_id: int) -> list[DeadlineChange]:
        """The requirement's deadline changes, oldest first."""
        rows = await self._s.scalars(
            select(DeadlineChange)
            .where(DeadlineChange.requirement_id == requirement_id)
            .order_by(DeadlineChange.at, DeadlineChange.id)
        )
        return list(rows)

    async def first_secretariat(self) -> Person | None:
        """The first secretariat person: who signs a notice made from the command line."""
        stmt = select(Person).where(Person.role == Role.SECRETARIAT).order_by(Person.id).limit(1)
        return (await self._s.scalars(stmt)).first()

    async def current_items(self, requirement_id: int) -> dict[int, set[str]]:
        """Per unit id, the parts of its current, not withdrawn submissions of the requirement."""
        rows = await self._s.execute(
            select(Submission.unit_id, Submission.part).where(
                Submission.requirement_id == requirement_id,
                Submission.is_current,
                Submission.status.in_(_LIVE),
            )
        )
        found: dict[int, set[str]] = {}
        for unit_id, part in rows.tuples():
            found.setdefault(unit_id, set()).add(part)
        return found

    async def nomination_units(self, requirement_id: int) -> dict[int, int]:
        """Per unit id, how many of its nominations (not withdrawn) the requirement holds."""
        rows = await self._s.execute(
            select(Nomination.unit_id, func.count())
            .where(
                Nomination.requirement_id == requirement_id,
                Nomination.status != NominationStatus.WITHDRAWN,
            )
            .group_by(Nomination.unit_id)
        )
        return {unit_id: int(n) for unit_id, n in rows.tuples()}

    async def file_names(self, requirement_id: int) -> list[tuple[int, str]]:
        """(unit id, file name) of the current submissions' files of the requirement."""
        rows = await self._s.execute(
            select(Submission.unit_id, StoredFile.name)
            .join(StoredFile, StoredFile.id == Submission.file_id)
            .where(
                Submission.requirement_id == requirement_id,
                Submission.is_current,
                Submission.status.in_(_LIVE),
            )
        )
        return [(u, n) for u, n in rows.tuples()]

    async def unit_ids_with(self, requirement_ids: Sequence[int]) -> set[int]:
        """Units that sent anything (not withdrawn) for any of the requirements."""
        if not requirement_ids:
            return set()
        subs = select(Submission.unit_id).where(
            Submission.requirement_id.in_(list(requirement_ids)),
            Submission.is_current,
            Submission.status.in_(_LIVE),
        )
        noms = select(Nomination.unit_id).where(
            Nomination.requirement_id.in_(list(requirement_ids)),
            Nomination.status != NominationStatus.WITHDRAWN,
        )
        return set(await self._s.scalars(subs)) | set(await self._s.scalars(noms))

"""Submissions: versioned per unit × requirement × dossier part."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Requirement, Submission, SubmissionStatus, Unit

__all__ = ["SubmissionRepository"]

#: The statements the status views run on every message, built once (immutable).
_UNIT_CURRENT = (
    select(Submission)
    .where(Submission.unit_id == bindparam("unit_id"), Submission.is_current)
    .order_by(Submission.requirement_id, Submission.part)
)
_UNIT_CURRENT_OF = _UNIT_CURRENT.where(
    Submission.requirement_id.in_(bindparam("req_ids", expanding=True))
)
_CURRENT = select(Submission).where(
    Submission.requirement_id.in_(bindparam("req_ids", expanding=True)), Submission.is_current
)
_CURRENT_OF_UNITS = _CURRENT.where(Submission.unit_id.in_(bindparam("unit_ids", expanding=True)))


class SubmissionRepository:
    """Reads and writes submissions; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, submission_id: int) -> Submission | None:
        """Return one submission version."""
        return await self._s.get(Submission, submission_id)

    async def current_for_unit(
        self, unit_id: int, requirement_ids: Sequence[int] | None = None
    ) -> list[Submission]:
        """Return the unit's current versions (every status), oldest requirement first."""
        if requirement_ids is None:
            params: dict[str, Any] = {"unit_id": unit_id}
            return list(await self._s.scalars(_UNIT_CURRENT, params))
        params = {"unit_id": unit_id, "req_ids": list(requirement_ids)}
        return list(await self._s.scalars(_UNIT_CURRENT_OF, params))

    async def current_for_requirements(
        self, requirement_ids: Sequence[int], unit_ids: Sequence[int] | None = None
    ) -> list[Submission]:
        """Return the current versions for the given requirements (of ``unit_ids``, or all)."""
        if not requirement_ids or (unit_ids is not None and not unit_ids):
            return []
        params: dict[str, Any] = {"req_ids": list(requirement_ids)}
        if unit_ids is None:
            return list(await self._s.scalars(_CURRENT, params))
        params["unit_ids"] = list(unit_ids)
        return list(await self._s.scalars(_CURRENT_OF_UNITS, params))

    async def add_version(self, submission: Submission) -> Submission:
        """Insert ``submission`` as the newest version of its unit × requirement × part."""
        last = await self._s.scalar(
            select(func.max(Submission.version)).where(
                Submission.unit_id == submission.unit_id,
                Submission.requirement_id == submission.requirement_id,
                Submission.part == submission.part,
            )
        )
        await self._s.execute(
            update(Submission)
            .where(
                Submission.unit_id == submission.unit_id,
                Submission.requirement_id == submission.requirement_id,
                Submission.part == submission.part,
                Submission.is_current,
            )
            .values(is_current=False)
        )
        submission.version = (last or 0) + 1
        submission.is_current = True
        self._s.add(submission)
        await self._s.flush()
        return submission

    async def history(self, unit_id: int, requirement_id: int, part: str) -> list[Submission]:
        """Return every version, newest first."""
        rows = await self._s.scalars(
            select(Submission)
            .where(
                Submission.unit_id == unit_id,
                Submission.requirement_id == requirement_id,
                Submission.part == part,
            )
            .order_by(Submission.version.desc())
        )
        return list(rows)

    async def awaiting_review(
        self, requirement_ids: Sequence[int], unit_id: int | None = None
    ) -> list[tuple[int, dt.datetime]]:
        """Return (id, submitted at) of current versions not yet reviewed, oldest first.

        Args:
            requirement_ids: The requirements looked at (those of the active campaigns).
            unit_id: Only this unit's versions, if given.
        """
        if not requirement_ids:
            return []
        stmt = select(Submission.id, Submission.submitted_at).where(
            Submission.requirement_id.in_(requirement_ids),
            Submission.is_current,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
        if unit_id is not None:
            stmt = stmt.where(Submission.unit_id == unit_id)
        rows = await self._s.execute(stmt.order_by(Submission.submitted_at, Submission.id))
        return list(rows.tuples())

    async def get_for_update(self, submission_id: int) -> Submission | None:
        """Return one version locked until the transaction ends (PostgreSQL), freshly read."""
        rows = await self._s.scalars(
            select(Submission)
            .where(Submission.id == submission_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return rows.first()

    async def returned_between(
        self, campaign_id: int, since: dt.datetime, until: dt.datetime, *, limit: int
    ) -> tuple[list[tuple[str | None, str, str]], int]:
        """Current versions of the campaign returned in ``[since, until)``, oldest return first.

        Returns:
            The first ``limit`` of them, each (the reason, its unit's name, its requirement's
            title) in plain columns, and how many there are in all.
        """
        rows = await self._s.execute(
            select(Submission.return_reason, Unit.name, Requirement.title, func.count().over())
            .join(Unit, Unit.id == Submission.unit_id)
            # "+ 0": the versions are found by their review time, the newest few, never by
            # walking every version of the campaign's requirements (which SQLite's planner
            # picks without statistics).
            .join(Requirement, Requirement.id == Submission.requirement_id + 0)
            .where(
                Requirement.campaign_id == campaign_id,
                Submission.status == SubmissionStatus.RETURNED,
                Submission.is_current,
                Submission.reviewed_at >= since,
                Submission.reviewed_at < until,
            )
            .order_by(Submission.reviewed_at, Submission.id)
            .limit(limit)
        )
        found = rows.tuples().all()
        return [(reason, unit, title) for reason, unit, title, _ in found], (
            found[0][3] if found else 0
        )

"""Export jobs: a file asked for in a chat, claimed by one worker, built, sent, settled.

A job is claimed by a conditional update from ``pending`` to ``building`` (a second worker, in
this process or another, finds nothing to update). A claim left by a process that died while
building goes back to ``pending`` after a lease, or at once when its claimant is known to be
dead: building a file again is harmless, so a crash costs a second attempt, not the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ExportJob

__all__ = ["BUILDING", "DONE", "FAILED", "PENDING", "ExportJobRepository"]

PENDING = "pending"
BUILDING = "building"
DONE = "done"
FAILED = "failed"


class ExportJobRepository:
    """Export jobs in one session (never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, job: ExportJob) -> ExportJob:
        """Queue ``job``; it is picked up once the transaction commits."""
        self._s.add(job)
        await self._s.flush()
        return job

    async def get(self, job_id: int) -> ExportJob | None:
        """One job by id."""
        return await self._s.get(ExportJob, job_id)

    async def pending_ids(self) -> list[int]:
        """The jobs waiting for a worker, oldest first."""
        stmt = select(ExportJob.id).where(ExportJob.status == PENDING).order_by(ExportJob.id)
        return list(await self._s.scalars(stmt))

    async def claim(self, job_id: int, claimant: str, now: dt.datetime) -> bool:
        """Take a pending job for ``claimant``; False if someone else took it first."""
        result = await self._s.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == PENDING)
            .values(
                status=BUILDING,
                claimed_by=claimant,
                claimed_at=now,
                attempts=ExportJob.attempts + 1,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def finish(self, job_id: int, now: dt.datetime) -> None:
        """The file was sent."""
        await self._s.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(status=DONE, finished_at=now, error=None)
        )

    async def fail(
        self, job_id: int, now: dt.datetime, error: str, *, max_attempts: int
    ) -> ExportJob | None:
        """An attempt failed: back to pending, or ``failed`` once ``max_attempts`` were made.

        Returns:
            The job when it has failed for good (the person is to be told), else None.
        """
        job = await self._s.get(ExportJob, job_id, populate_existing=True)
        if job is None:
            return None
        job.error = error[:255]
        if job.attempts >= max_attempts:
            job.status = FAILED
            job.finished_at = now
            await self._s.flush()
            return job
        job.status = PENDING
        job.claimed_by = None
        await self._s.flush()
        return None

    async def claimants(self) -> list[str]:
        """Who holds a job being built."""
        stmt = select(ExportJob.claimed_by).where(ExportJob.status == BUILDING).distinct()
        return [c for c in await self._s.scalars(stmt) if c]

    async def release_stale(self, before: dt.datetime, dead: Sequence[str] = ()) -> int:
        """Put back to pending the jobs claimed before ``before`` or by a ``dead`` claimant."""
        stale = ExportJob.claimed_at < before
        if dead:
            stale = or_(stale, ExportJob.claimed_by.in_(list(dead)))
        result = await self._s.execute(
            update(ExportJob)
            .where(ExportJob.status == BUILDING, stale)
            .values(status=PENDING, claimed_by=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

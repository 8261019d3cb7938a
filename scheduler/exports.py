"""The export worker: builds the files asked for in chats, off the event loop, and sends them.

A message that asks for a file writes an ``export_jobs`` row and wakes this worker after its
commit. The worker claims one job at a time (a conditional update, so two processes never build
the same job), builds the file in a worker thread that runs its own event loop over its own
read-only engine (:func:`storage.db.make_engine` with ``read_only=True``: on SQLite it never
holds the write lock every message needs), sends it through the channel's :data:`Send` and marks
the job done. The event loop meanwhile answers everybody else.

A failed attempt is retried up to :data:`MAX_ATTEMPTS` times in all, then the person is told in
Vietnamese. A job claimed by a process that died is taken again on the next run (at start-up,
or after :data:`DEFAULT_LEASE`): sending a file twice is better than never.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers.kernel.messages import ChatKey, Delivery, Reply, Send
from handlers.kernel.ports import FileStore
from handlers.kernel.texts import Texts
from handlers.services.exports import build_job, failed_reply
from storage.db import make_session_factory
from storage.models import ExportJob
from storage.repositories.exports import ExportJobRepository

__all__ = ["DEFAULT_LEASE", "MAX_ATTEMPTS", "ExportReport", "ExportWorker"]

_LOGGER = logging.getLogger(__name__)

#: Attempts at building one file before the person is told it failed.
MAX_ATTEMPTS = 3
#: A job being built for longer than this belongs to a dead process (a big file takes a minute).
DEFAULT_LEASE = dt.timedelta(minutes=30)


class ExportReport:
    """What one run did: the ids of the jobs sent and of those that failed for good."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.failed: list[int] = []
        self.retried: list[int] = []


class ExportWorker:
    """Claims pending export jobs, builds each file in a thread, sends it, settles the job.

    Args:
        session_factory: The database (short transactions: claim, settle).
        reader: Opens a new read-only engine on the same database; called in the worker
            thread, once per job (an async engine belongs to the event loop that uses it).
        texts: The user-facing texts.
        files: Where stored files are read from (the ZIP of accepted files).
        clock: The product's clock.
        senders: One :data:`Send` per channel name.
        claimant: Who claims (host:pid:token).
        lease: How long a claim may stay unsettled before the job is taken again.
        max_attempts: Attempts per job before the person is told it failed.
        is_dead: Whether a claimant is known to be gone (its jobs are taken again at once).
        in_thread: Build in a worker thread (False: on the event loop, for a test that must
            not start threads; the file is still built from the reader's session).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        reader: Callable[[], AsyncEngine],
        texts: Texts,
        files: FileStore,
        clock: Callable[[], dt.datetime],
        senders: Mapping[str, Send],
        claimant: str,
        *,
        lease: dt.timedelta = DEFAULT_LEASE,
        max_attempts: int = MAX_ATTEMPTS,
        is_dead: Callable[[str], bool] = lambda _: False,
        in_thread: bool = True,
    ) -> None:
        self._sf = session_factory
        self._reader = reader
        self._texts = texts
        self._files = files
        self._clock = clock
        self._senders = senders
        self._claimant = claimant
        self._lease = lease
        self._max_attempts = max(max_attempts, 1)
        self._is_dead = is_dead
        self._in_thread = in_thread
        self._lock = asyncio.Lock()

    async def run(self) -> ExportReport:
        """Build and send every pending job (jobs left by a dead process included)."""
        async with self._lock:
            report = ExportReport()
            now = self._clock()
            async with self._sf.begin() as session:
                repo = ExportJobRepository(session)
                dead = [c for c in await repo.claimants() if self._is_dead(c)]
                released = await repo.release_stale(now - self._lease, dead)
            if released:
                _LOGGER.warning("%d export jobs were interrupted: building them again", released)
            passed: set[int] = set()  # taken by another worker, or for a channel not run here
            while True:  # until no job is left: a retry, or a job queued meanwhile, comes next
                async with self._sf() as session:
                    pending = await ExportJobRepository(session).pending_ids()
                pending = [job_id for job_id in pending if job_id not in passed]
                if not pending:
                    return report
                for job_id in pending:
                    if not await self._one(job_id, report):
                        passed.add(job_id)

    async def _one(self, job_id: int, report: ExportReport) -> bool:
        """Claim, build, send and settle one job; False if it was not this worker's to do."""
        async with self._sf.begin() as session:
            repo = ExportJobRepository(session)
            if not await repo.claim(job_id, self._claimant, self._clock()):
                return False  # another worker took it
            job = await repo.get(job_id)
        assert job is not None
        send = self._senders.get(job.channel)
        if send is None:
            await self._release(job_id)  # a channel this process does not run; another will
            return False
        key = ChatKey(job.channel, job.chat_id)
        if job.attempts > self._max_attempts:  # crashed every time it was built
            await self._failed(job_id, send, key, "gave up after repeated crashes", report)
            return True
        try:
            reply = await self._build(job_id)
        except Exception as err:
            _LOGGER.exception("export job %d failed (attempt %d)", job_id, job.attempts)
            await self._failed(job_id, send, key, f"{type(err).__name__}: {err}", report)
            return True
        outcome = await _safe_send(send, key, reply)
        async with self._sf.begin() as session:
            await ExportJobRepository(session).finish(job_id, self._clock())
        if outcome is Delivery.SENT:
            report.sent.append(job_id)
        else:
            _LOGGER.warning("export job %d built but not delivered: %s", job_id, outcome.value)
        return True

    async def _build(self, job_id: int) -> Reply:
        if self._in_thread:
            return await asyncio.to_thread(asyncio.run, self._build_with_reader(job_id))
        return await self._build_with_reader(job_id)

    async def _build_with_reader(self, job_id: int) -> Reply:
        """Build the file from a session of a new read-only engine (in the worker thread)."""
        engine = self._reader()
        try:
            async with make_session_factory(engine)() as session:
                return await build_job(session, self._texts, job_id, files=self._files)
        finally:
            await engine.dispose()

    async def _release(self, job_id: int) -> None:
        async with self._sf.begin() as session:
            job = await session.get(ExportJob, job_id)
            if job is not None:
                job.status, job.claimed_by = "pending", None
                job.attempts -= 1

    async def _failed(
        self, job_id: int, send: Send, key: ChatKey, error: str, report: ExportReport
    ) -> None:
        async with self._sf.begin() as session:
            gone = await ExportJobRepository(session).fail(
                job_id, self._clock(), error, max_attempts=self._max_attempts
            )
        if gone is None:
            report.retried.append(job_id)
            return
        report.failed.append(job_id)
        await _safe_send(send, key, failed_reply(self._texts, gone))


async def _safe_send(send: Send, key: ChatKey, reply: Reply) -> Delivery:
    """A channel's send, with any unexpected failure counted as failed (and logged)."""
    try:
        return await send(key, reply)
    except Exception:
        _LOGGER.exception("sending an export to %s failed", key)
        return Delivery.FAILED

"""APScheduler 3 inside ``tdkt run``: a derived index of when to look at the database.

The database is the source of truth. The scheduler holds one date job per moment at which some
reminder or digest becomes due (``notify:<UTC minute>``, deterministic ids), an interval job that
re-derives those jobs (``reconcile``), one that delivers broadcast copies (``broadcasts``) and
one that builds and sends the files asked for in chats (``exports``), and one that keeps the
query planner's statistics fresh (``statistics``: SQLite has none unless asked).
A job does not carry *what* to send: it asks the database what is due at that moment, so a
submission or a changed deadline is honoured without touching the jobs.

Start-up follows Flexget's scheduler: start paused, reconcile with the database, send what was
missed within the grace period, resume.

Clocks: jobs fire on the real clock, while the product may run on a pinned one (``--now``); the
service converts with the offset between the two (the pinned clock runs at real speed).

Outages: every job runs behind one guard. When the database (or anything else) fails, the
failure is logged once with what was running, and a ``recover`` job retries with a bounded
back-off (:data:`RETRY_BACKOFF`, then every minute). Recovery writes the outcomes kept in memory,
re-derives the jobs, sends the slots that fell due meanwhile (still within the grace period, still
exactly once) and resumes interrupted broadcasts — no restart needed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.reminder_policy import WorkingCalendar
from handlers.services.recurrence import generate_all
from handlers.services.reminders import upcoming_instants
from scheduler.exports import ExportWorker
from scheduler.notifier import BroadcastWorker, Notifier
from storage.db import refresh_statistics

__all__ = ["NOTIFY_PREFIX", "RETRY_BACKOFF", "SchedulerService"]

_LOGGER = logging.getLogger(__name__)

NOTIFY_PREFIX = "notify:"
_RECOVER = "recover"
#: Seconds before each retry after a failure; the last one repeats until it works.
RETRY_BACKOFF: tuple[float, ...] = (5.0, 15.0, 30.0, 60.0)


class SchedulerService:
    """Keeps the jobs in step with the database and runs the senders.

    Args:
        session_factory: The database.
        notifier: Sends due reminders and digests.
        broadcasts: Delivers broadcast copies.
        clock: The product's clock (may be pinned; runs at real speed).
        horizon: How far ahead date jobs are kept (further ones appear on a later reconcile).
        reconcile_every: How often jobs are re-derived from the database.
        broadcast_every: How often unfinished broadcasts are looked for (a new one also wakes
            the worker at once through :meth:`wake`).
        grace: How late a job may still run (a missed slot older than this is not sent).
        calendar: Working days.
        retry_backoff: Seconds before each retry after a failure (the last repeats).
        exports: Builds and sends the files asked for in chats (woken by ``"export"``; also
            run at start-up, for jobs a crash left, and every ``broadcast_every``).
        statistics_every: How often the query planner's statistics are refreshed
            (:func:`storage.db.refresh_statistics`; the first time one period after start-up).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        broadcasts: BroadcastWorker,
        clock: Callable[[], dt.datetime],
        *,
        horizon: dt.timedelta = dt.timedelta(days=3),
        reconcile_every: dt.timedelta = dt.timedelta(minutes=1),
        broadcast_every: dt.timedelta = dt.timedelta(seconds=15),
        grace: dt.timedelta = dt.timedelta(hours=12),
        calendar: WorkingCalendar | None = None,
        retry_backoff: Sequence[float] = RETRY_BACKOFF,
        exports: ExportWorker | None = None,
        statistics_every: dt.timedelta = dt.timedelta(hours=6),
    ) -> None:
        self._statistics_every = statistics_every
        self._exports = exports
        self._sf = session_factory
        self._notifier = notifier
        self._broadcasts = broadcasts
        self._clock = clock
        self._horizon = horizon
        self._reconcile_every = reconcile_every
        self._broadcast_every = broadcast_every
        self._grace = grace
        self._calendar = calendar or WorkingCalendar()
        self._scheduler: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._backoff = tuple(retry_backoff) or RETRY_BACKOFF
        #: Failed attempts since the last success (0: all is well).
        self.failures = 0

    @property
    def scheduler(self) -> AsyncIOScheduler:
        """The running APScheduler (for inspection)."""
        assert self._scheduler is not None, "not started"
        return self._scheduler

    def _real(self, moment: dt.datetime) -> dt.datetime:
        """The real instant at which the product clock will show ``moment``."""
        return moment - (self._clock() - dt.datetime.now(dt.UTC))

    async def start(self) -> None:
        """Start paused, reconcile, catch up on missed notices, resume."""
        scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                # APScheduler wants a positive grace: a grace of 0 (never send a missed slot
                # late) is one second.
                "misfire_grace_time": max(1, int(self._grace.total_seconds())),
            },
        )
        self._scheduler = scheduler
        scheduler.start(paused=True)
        scheduler.add_job(
            self._guarded("reconcile", self.reconcile),
            IntervalTrigger(seconds=self._reconcile_every.total_seconds(), timezone=dt.UTC),
            id="reconcile",
            replace_existing=True,
        )
        scheduler.add_job(
            self._guarded("broadcasts", self._broadcasts.run),
            IntervalTrigger(seconds=self._broadcast_every.total_seconds(), timezone=dt.UTC),
            id="broadcasts",
            replace_existing=True,
        )
        scheduler.add_job(
            self._guarded("statistics", self.refresh_statistics),
            IntervalTrigger(seconds=self._statistics_every.total_seconds(), timezone=dt.UTC),
            id="statistics",
            replace_existing=True,
        )
        if self._exports is not None:
            scheduler.add_job(
                self._guarded("exports", self._exports.run),
                IntervalTrigger(seconds=self._broadcast_every.total_seconds(), timezone=dt.UTC),
                id="exports",
                replace_existing=True,
            )
        # Reconcile, send what was missed while down (within the grace period), resume
        # broadcasts interrupted by a crash; if the database is away, the recovery job does it.
        await self._guarded("start", self._catch_up)()
        scheduler.resume()
        _LOGGER.info("scheduler running with %d jobs", len(scheduler.get_jobs()))

    async def _catch_up(self) -> None:
        """Write kept outcomes, re-derive the jobs, send what is due, resume broadcasts."""
        await self._notifier.outcomes.flush()
        await self._broadcasts.outcomes.flush()
        await self.reconcile()
        await self._notifier.run_due()
        await self._broadcasts.run()
        if self._exports is not None:
            self._spawn("exports", self._exports.run)  # a big file must not delay the start

    def _guarded(
        self, what: str, work: Callable[[], Awaitable[object]]
    ) -> Callable[[], Coroutine[Any, Any, None]]:
        """``work`` as a job: a failure is logged once and retried by the recovery job."""

        async def job() -> None:
            try:
                await work()
            except Exception:
                self._failed(what)

        return job

    def _failed(self, what: str) -> None:
        self.failures += 1
        if self.failures == 1:
            _LOGGER.exception("scheduler: %s failed; retrying with back-off", what)
        else:
            _LOGGER.warning("scheduler: %s failed again (%d failures)", what, self.failures)
        self._schedule_recovery()

    def _schedule_recovery(self) -> None:
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running or scheduler.get_job(_RECOVER):
            return
        pause = self._backoff[min(self.failures - 1, len(self._backoff) - 1)]
        scheduler.add_job(
            self._recover,
            DateTrigger(run_date=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=pause)),
            id=_RECOVER,
            misfire_grace_time=None,
        )

    async def _recover(self) -> None:
        """Retry everything that may have been missed; on success all is well again."""
        try:
            await self._catch_up()
        except Exception:
            self.failures += 1
            _LOGGER.warning("scheduler: still failing (%d failures); retrying", self.failures)
            self._schedule_recovery()
            return
        _LOGGER.info("scheduler: recovered after %d failures; caught up", self.failures)
        self.failures = 0

    async def reconcile(self) -> int:
        """Make the ``notify:`` jobs exactly the moments the database implies; their count."""
        scheduler = self.scheduler
        now = self._clock()
        await generate_all(self._sf, now)  # yearly rules: each year's occurrence, once
        async with self._sf() as session:
            instants = await upcoming_instants(session, now, self._horizon, self._calendar)
        wanted = {f"{NOTIFY_PREFIX}{moment:%Y-%m-%dT%H:%MZ}": moment for moment in instants}
        current = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(NOTIFY_PREFIX)}
        for job_id in current.keys() - wanted.keys():
            scheduler.remove_job(job_id)
        for job_id, moment in wanted.items():
            if job_id not in current:
                scheduler.add_job(
                    self._guarded(job_id, self._notifier.run_due),
                    DateTrigger(run_date=self._real(moment), timezone=dt.UTC),
                    id=job_id,
                )
        return len(wanted)

    async def refresh_statistics(self) -> None:
        """Let the query planner see the tables as they have grown (cheap when nothing did)."""
        async with self._sf.begin() as session:
            await refresh_statistics(session)

    def notify_jobs(self) -> list[Job]:
        """The date jobs, soonest first."""
        jobs = [j for j in self.scheduler.get_jobs() if j.id.startswith(NOTIFY_PREFIX)]
        return sorted(jobs, key=lambda j: j.id)

    def wake(self, topic: str) -> None:
        """Run the worker for ``topic`` now (called after a message committed new work)."""
        if topic == "broadcast":
            self._spawn("broadcast", self._broadcasts.run)
        elif topic == "export" and self._exports is not None:
            self._spawn("exports", self._exports.run)

    def _spawn(self, what: str, work: Callable[[], Awaitable[object]]) -> None:
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(
            self._guarded(what, work)()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop firing jobs; let running deliveries finish their current message."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

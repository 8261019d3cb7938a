"""APScheduler 3 inside ``tdkt run``: a derived index of when to look at the database.

The database is the source of truth. The scheduler holds one date job per moment at which some
reminder or digest becomes due (``notify:<UTC minute>``, deterministic ids), an interval job that
re-derives those jobs (``reconcile``) and one that delivers broadcast copies (``broadcasts``).
A job does not carry *what* to send: it asks the database what is due at that moment, so a
submission or a changed deadline is honoured without touching the jobs.

Start-up follows Flexget's scheduler: start paused, reconcile with the database, send what was
missed within the grace period, resume.

Clocks: jobs fire on the real clock, while the product may run on a pinned one (``--now``); the
service converts with the offset between the two (the pinned clock runs at real speed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.reminder_policy import WorkingCalendar
from handlers.services.reminders import upcoming_instants
from scheduler.notifier import BroadcastWorker, Notifier

__all__ = ["NOTIFY_PREFIX", "SchedulerService"]

_LOGGER = logging.getLogger(__name__)

NOTIFY_PREFIX = "notify:"


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
    ) -> None:
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
                "misfire_grace_time": int(self._grace.total_seconds()),
            },
        )
        self._scheduler = scheduler
        scheduler.start(paused=True)
        await self.reconcile()
        scheduler.add_job(
            self.reconcile,
            IntervalTrigger(seconds=self._reconcile_every.total_seconds(), timezone=dt.UTC),
            id="reconcile",
            replace_existing=True,
        )
        scheduler.add_job(
            self._broadcasts.run,
            IntervalTrigger(seconds=self._broadcast_every.total_seconds(), timezone=dt.UTC),
            id="broadcasts",
            replace_existing=True,
        )
        await self._notifier.run_due()  # slots missed while down, within the grace period
        await self._broadcasts.run()  # broadcasts interrupted by a crash resume here
        scheduler.resume()
        _LOGGER.info("scheduler running with %d jobs", len(scheduler.get_jobs()))

    async def reconcile(self) -> int:
        """Make the ``notify:`` jobs exactly the moments the database implies; their count."""
        scheduler = self.scheduler
        now = self._clock()
        async with self._sf() as session:
            instants = await upcoming_instants(session, now, self._horizon, self._calendar)
        wanted = {f"{NOTIFY_PREFIX}{moment:%Y-%m-%dT%H:%MZ}": moment for moment in instants}
        current = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(NOTIFY_PREFIX)}
        for job_id in current.keys() - wanted.keys():
            scheduler.remove_job(job_id)
        for job_id, moment in wanted.items():
            if job_id not in current:
                scheduler.add_job(
                    self._notifier.run_due,
                    DateTrigger(run_date=self._real(moment), timezone=dt.UTC),
                    id=job_id,
                )
        return len(wanted)

    def notify_jobs(self) -> list[Job]:
        """The date jobs, soonest first."""
        jobs = [j for j in self.scheduler.get_jobs() if j.id.startswith(NOTIFY_PREFIX)]
        return sorted(jobs, key=lambda j: j.id)

    def wake(self, topic: str) -> None:
        """Run the worker for ``topic`` now (called after a message committed new work)."""
        if topic != "broadcast":
            return
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(self._broadcasts.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop firing jobs; let running deliveries finish their current message."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

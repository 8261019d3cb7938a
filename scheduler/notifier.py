"""Send what is due: reminders and digests (claimed exactly once) and broadcast copies.

Each outgoing notice is claimed in a transaction of its own *before* it is sent, and its outcome
recorded after; the claim is what another process or a restart sees. A process killed between
claim and outcome leaves a claim that becomes ``unknown`` after the lease — reported, never sent
again (Telegram has no idempotency key, so "maybe delivered" must not become "delivered twice").

A run plans what is due (:func:`handlers.services.reminders.plan_due`: slots, not units), then
sends the digest (its figures read only if a secretary has not had it), the milestone reminders
and the reminders a page of the units' ids at a time, each page read right before it is sent:
a unit that sends while the reminders go out is not reminded, and nothing holds every reminder
of a large campaign in memory.

An outcome that cannot be written because the database went away after the send is kept in
memory (:class:`Outcomes`) and written first thing when the database answers again, so a copy
that was delivered is recorded as delivered rather than waiting out the lease as "unknown".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.reminder_policy import WorkingCalendar
from handlers.kernel.messages import ChatKey, Delivery, OutgoingFile, Reply, Send
from handlers.kernel.ports import FileStore
from handlers.kernel.texts import Texts
from handlers.services.notices import NOTICE, copy_reply, progress_reply, report_reply
from handlers.services.reminders import (
    DEFAULT_GRACE,
    DigestDue,
    PlannedNotice,
    digest_notices,
    plan_due,
    reminder_page,
)
from storage.models import Broadcast, NoticeStatus, SentNotice, StoredFile
from storage.repositories.notices import (
    BROADCAST_KIND,
    BroadcastRepository,
    NoticeRepository,
)

__all__ = ["BroadcastWorker", "Notifier", "Outcomes", "RunReport"]

_LOGGER = logging.getLogger(__name__)

_OUTCOME = {
    Delivery.SENT: NoticeStatus.SENT,
    Delivery.BLOCKED: NoticeStatus.BLOCKED,
    Delivery.FAILED: NoticeStatus.FAILED,
}
#: A broadcast to at most this many people gets no "sending…" note, only the report.
QUIET_BROADCAST = 10
#: A claim older than this whose outcome was never written belongs to a dead sender.
DEFAULT_LEASE = dt.timedelta(minutes=15)
#: Notices claimed together, in one transaction, then sent one by one in claim-time order. A
#: process killed mid-batch leaves its batch claimed; once it is known dead, the claims after
#: the one in flight are dropped and sent by the next run (only that one becomes unknown).
DEFAULT_CLAIM_BATCH = 50


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One outcome still to be written: a notice key (``str``) or a broadcast copy (``int``)."""

    target: str | int
    status: NoticeStatus
    at: dt.datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class _Release:
    """Claims taken in a batch whose notices were never sent (the run stopped first)."""

    keys: tuple[str, ...]
    claimant: str


class Outcomes:
    """Outcomes of sends, written to the database; kept while it cannot be reached.

    Args:
        session_factory: The database.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sf = session_factory
        self._unwritten: list[_Outcome | _Release] = []

    @property
    def unwritten(self) -> int:
        """How many outcomes wait for the database."""
        return len(self._unwritten)

    async def record(self, outcome: _Outcome) -> None:
        """Write ``outcome`` (after any older ones); keep it and re-raise if that fails."""
        self._unwritten.append(outcome)
        await self.flush()

    async def release(self, keys: Sequence[str], claimant: str) -> None:
        """Drop ``claimant``'s claims of ``keys``, never sent; kept and re-raised if that fails.

        Written before anything else once the database answers again, so the notices go out
        on the next run instead of waiting out the lease as "unknown".
        """
        if keys:
            self._unwritten.append(_Release(tuple(keys), claimant))
            await self.flush()

    async def flush(self) -> None:
        """Write every kept outcome, oldest first, in one transaction."""
        if not self._unwritten:
            return
        pending = list(self._unwritten)
        async with self._sf.begin() as session:
            notices = NoticeRepository(session)
            copies = BroadcastRepository(session)
            for item in pending:
                if isinstance(item, _Release):
                    await notices.release(item.keys, item.claimant)
                elif isinstance(item.target, str):
                    await notices.finish(item.target, item.status, item.at)
                else:
                    await copies.settle(item.target, item.status, item.at, item.detail)
        del self._unwritten[: len(pending)]
        if len(pending) > 1:
            _LOGGER.info(
                "wrote %d delivery outcomes kept while the database was away", len(pending)
            )


@dataclass
class RunReport:
    """What one run did."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by someone else (another process, an earlier run)
    keys: list[str] = field(default_factory=list)

    def count(self, outcome: Delivery) -> None:
        """Count one send's outcome."""
        if outcome is Delivery.SENT:
            self.sent += 1
        elif outcome is Delivery.BLOCKED:
            self.blocked += 1
        else:
            self.failed += 1


class Notifier:
    """Sends the reminders and digests due now, each at most once.

    Args:
        session_factory: The database.
        texts: The user-facing texts.
        clock: The (injectable) clock.
        senders: One :data:`Send` per channel name.
        claimant: Who claims (host:pid:token), recorded with each claim.
        grace: How long after its time a missed slot is still sent.
        lease: How old an unfinished claim must be to be declared unknown.
        calendar: Working days (weekends, Vietnamese public holidays).
        is_dead: Whether a claimant is known to be gone (its claims are unknown at once).
        claim_batch: How many notices are claimed in one transaction before they are sent.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        texts: Texts,
        clock: Callable[[], dt.datetime],
        senders: Mapping[str, Send],
        claimant: str,
        *,
        grace: dt.timedelta = DEFAULT_GRACE,
        lease: dt.timedelta = DEFAULT_LEASE,
        calendar: WorkingCalendar | None = None,
        is_dead: Callable[[str], bool] = lambda _: False,
        claim_batch: int = DEFAULT_CLAIM_BATCH,
    ) -> None:
        self._sf = session_factory
        self._texts = texts
        self._clock = clock
        self._senders = senders
        self._claimant = claimant
        self._grace = grace
        self._lease = lease
        self._calendar = calendar or WorkingCalendar()
        self._is_dead = is_dead
        self._claim_batch = max(claim_batch, 1)
        self._lock = asyncio.Lock()
        self.outcomes = Outcomes(session_factory)

    async def run_due(self) -> RunReport:
        """Claim and send every due notice nobody has claimed yet."""
        async with self._lock:  # one run at a time in this process; claims guard the rest
            await self.outcomes.flush()  # before any claim can be declared unknown
            report = RunReport()
            now = self._clock()
            async with self._sf.begin() as session:
                notices = NoticeRepository(session)
                dead = [c for c in await notices.claimants() if self._is_dead(c)]
                released = await notices.release_untried(dead)
                expired = await notices.expire_claims(now - self._lease, now, dead)
            if released:
                _LOGGER.info("%d claims of dead processes never tried: due again", released)
            if expired:
                _LOGGER.warning("%d notice claims expired unfinished: marked unknown", expired)
            async with self._sf() as session:
                plans = await plan_due(
                    session, self._texts, now, grace=self._grace, calendar=self._calendar
                )
            for due in plans:
                if due.digest is not None:
                    await self._deliver_digest(due.digest, now, report)
                await self._deliver(due.milestones, report)
                for group, units in due.pages():  # each page read right before it is sent
                    async with self._sf() as session:
                        page = await reminder_page(session, self._texts, group, units)
                    await self._deliver(page, report)
            if report.keys:
                _LOGGER.info(
                    "notices: %d sent, %d blocked, %d failed, %d skipped",
                    report.sent,
                    report.blocked,
                    report.failed,
                    report.skipped,
                )
            return report

    async def _deliver_digest(self, due: DigestDue, now: dt.datetime, report: RunReport) -> None:
        """Send the digest to the secretaries who have not had it; read its figures only then."""
        async with self._sf() as session:
            taken = await NoticeRepository(session).claimed_keys(due.keys())
            if all(
                key in taken or person.channel not in self._senders
                for key, person in zip(due.keys(), due.secretaries, strict=True)
            ):
                return
            notices = await digest_notices(session, self._texts, due, now)
        await self._deliver(notices, report)

    async def _deliver(self, planned: Sequence[PlannedNotice], report: RunReport) -> None:
        """Claim, in batches, the notices of ``planned`` nobody has claimed yet, and send them.

        Only those on a channel this process runs: another process runs the others.
        """
        if not planned:
            return
        async with self._sf() as session:
            taken = await NoticeRepository(session).claimed_keys(p.key for p in planned)
        todo = [n for n in planned if n.key not in taken and n.recipient.channel in self._senders]
        for start in range(0, len(todo), self._claim_batch):
            batch = todo[start : start + self._claim_batch]
            claimed = await self._claim(batch)
            mine = [n for n in batch if n.key in claimed]
            report.skipped += len(batch) - len(mine)
            await self._send(mine, report)

    async def _send(self, claimed: Sequence[PlannedNotice], report: RunReport) -> None:
        """Send the notices this process claimed, recording each outcome.

        When the run stops midway (cancelled, the database gone), the claims of the notices
        not tried yet are dropped, so a later run sends them; the one being sent stays claimed.
        """
        for done, notice in enumerate(claimed):
            try:
                outcome = await _safe_send(
                    self._senders[notice.recipient.channel],
                    ChatKey(notice.recipient.channel, notice.recipient.chat_id),
                    notice.reply,
                )
                await self.outcomes.record(_Outcome(notice.key, _OUTCOME[outcome], self._clock()))
            except BaseException:
                untried = [n.key for n in claimed[done + 1 :]]
                try:
                    await self.outcomes.release(untried, self._claimant)
                except Exception:  # kept by the outcomes: written when the database answers
                    _LOGGER.warning("%d unsent claims kept to be dropped later", len(untried))
                raise
            report.count(outcome)
            report.keys.append(notice.key)

    async def _claim(self, notices: Sequence[PlannedNotice]) -> set[str]:
        """Claim ``notices`` in one transaction; the keys this process now holds."""
        if not notices:
            return set()
        now = self._clock()
        step = dt.timedelta(microseconds=1)  # claim times in send order: see release_untried
        async with self._sf.begin() as session:
            return await NoticeRepository(session).claim_many(
                [
                    SentNotice(
                        key=notice.key,
                        kind=notice.kind,
                        campaign_id=notice.campaign_id,
                        requirement_id=notice.requirement_id,
                        unit_id=notice.unit_id,
                        slot=notice.slot,
                        account_id=notice.recipient.account_id,
                        status=NoticeStatus.CLAIMED,
                        claimed_at=now + n * step,
                        claimed_by=self._claimant,
                    )
                    for n, notice in enumerate(notices)
                ]
            )


async def _safe_send(send: Send, key: ChatKey, reply: Reply) -> Delivery:
    """A channel's send, with any unexpected failure counted as failed (and logged)."""
    try:
        return await send(key, reply)
    except Exception:
        _LOGGER.exception("sending to %s failed", key)
        return Delivery.FAILED


class BroadcastWorker:
    """Delivers broadcast copies: claims pending rows, sends, records; then reports once.

    Several workers (threads of one process, or processes sharing PostgreSQL) can run at once:
    a copy is claimed by a conditional update, and only the worker that flips the broadcast to
    "done" sends the report.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        texts: Texts,
        files: FileStore,
        clock: Callable[[], dt.datetime],
        senders: Mapping[str, Send],
        claimant: str,
        *,
        lease: dt.timedelta = DEFAULT_LEASE,
        concurrency: int = 1,
        is_dead: Callable[[str], bool] = lambda _: False,
    ) -> None:
        self._sf = session_factory
        self._texts = texts
        self._files = files
        self._clock = clock
        self._senders = senders
        self._claimant = claimant
        self._lease = lease
        self._concurrency = concurrency
        self._is_dead = is_dead
        self._lock = asyncio.Lock()
        self.outcomes = Outcomes(session_factory)

    async def run(self) -> RunReport:
        """Deliver every pending copy of every unfinished broadcast."""
        async with self._lock:
            await self.outcomes.flush()  # before any claim can be declared unknown
            report = RunReport()
            now = self._clock()
            async with self._sf.begin() as session:
                repo = BroadcastRepository(session)
                dead = [c for c in await repo.claimants() if self._is_dead(c)]
                expired = await repo.expire_claims(now - self._lease, now, dead)
                broadcasts = await repo.sending()
            if expired:
                _LOGGER.warning("%d broadcast copies were interrupted: marked unknown", expired)
            for broadcast in broadcasts:
                await self._deliver(broadcast, report)
            return report

    async def _deliver(self, broadcast: Broadcast, report: RunReport) -> None:
        file = await self._attachment(broadcast)
        copy = copy_reply(self._texts, broadcast, file)
        reports = broadcast.kind != NOTICE  # the bot's own notices need no progress or report
        if reports:
            await self._announce(broadcast)

        async def worker() -> None:
            while True:
                async with self._sf.begin() as session:
                    claimed = await BroadcastRepository(session).claim_next(
                        broadcast.id, self._claimant, self._clock()
                    )
                if not claimed:
                    return
                row = claimed[0]
                send = self._senders.get(row.channel)
                if send is None:
                    outcome, detail = Delivery.FAILED, f"no {row.channel} channel running"
                else:
                    outcome = await _safe_send(send, ChatKey(row.channel, row.chat_id), copy)
                    detail = None
                await self.outcomes.record(
                    _Outcome(row.id, _OUTCOME[outcome], self._clock(), detail)
                )
                report.count(outcome)
                report.keys.append(f"bcast:{broadcast.id}:{row.id}")

        workers = [asyncio.create_task(worker()) for _ in range(self._concurrency)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:  # one worker died: stop the others too, like a crash would
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        async with self._sf.begin() as session:
            repo = BroadcastRepository(session)
            counts = await repo.counts(broadcast.id)
            unsettled = counts.get(NoticeStatus.PENDING, 0) + counts.get(NoticeStatus.CLAIMED, 0)
            finished = unsettled == 0 and await repo.finish(broadcast.id, self._clock())
        if finished and reports:
            await self._to_origin(
                broadcast, f"report:{broadcast.id}", report_reply(self._texts, broadcast, counts)
            )

    async def _announce(self, broadcast: Broadcast) -> None:
        """Tell the sender, once, that delivery of a large broadcast has started."""
        async with self._sf() as session:
            counts = await BroadcastRepository(session).counts(broadcast.id)
        total = sum(counts.values())
        if total <= QUIET_BROADCAST:
            return  # done in a moment: the report alone says it
        await self._to_origin(
            broadcast, f"progress:{broadcast.id}", progress_reply(self._texts, broadcast, total)
        )

    async def _to_origin(self, broadcast: Broadcast, what: str, reply: Reply) -> None:
        """Send a progress message or the report to the chat the broadcast came from, once."""
        send = self._senders.get(broadcast.origin_channel)
        if send is None:
            return
        key = f"bcast-{what}"
        async with self._sf.begin() as session:
            claimed = await NoticeRepository(session).claim(
                SentNotice(
                    key=key,
                    kind=BROADCAST_KIND,
                    slot=what.split(":", 1)[0],
                    status=NoticeStatus.CLAIMED,
                    claimed_at=self._clock(),
                    claimed_by=self._claimant,
                )
            )
        if not claimed:
            return
        outcome = await _safe_send(
            send, ChatKey(broadcast.origin_channel, broadcast.origin_chat_id), reply
        )
        await self.outcomes.record(_Outcome(key, _OUTCOME[outcome], self._clock()))

    async def _attachment(self, broadcast: Broadcast) -> OutgoingFile | None:
        if broadcast.file_id is None:
            return None
        async with self._sf() as session:
            stored = await session.get_one(StoredFile, broadcast.file_id)
        data = await self._files.read(stored.path)
        return OutgoingFile(stored.name, stored.mime_type, data)

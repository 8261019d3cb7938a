"""Claims of scheduled notices (reminders, digests) and broadcast copies: exactly-once sending.

A notice is *claimed* before it is sent, in a transaction of its own: an insert that a unique
key refuses for any second claimant (``sent_notices``), or a conditional update from
``pending`` to ``claimed`` (``broadcast_deliveries``). Only the claimant sends; it then records
what became of the message. A claim left behind by a process that died mid-send becomes
``unknown`` after a lease — or at once when the claimant is known to be dead (a process of
this host that no longer exists): it is reported, never sent again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.dialects import UPSERT_DIALECTS, insert_for
from storage.models import Broadcast, BroadcastDelivery, NoticeStatus, SentNotice

__all__ = ["BROADCAST_KIND", "CHUNK", "BroadcastRepository", "NoticeRepository"]

#: The kind of the sent-notice rows of a broadcast's progress messages and report.
BROADCAST_KIND = "broadcast"
#: Rows per statement: claims inserted (13 parameters each) or keys in an ``IN`` list, well
#: under the databases' limits on a statement's parameters.
CHUNK = 500

_T = TypeVar("_T")


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """``items`` in slices of :data:`CHUNK`."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class _Claims:
    """Where a table of claimed messages keeps a claim: when, by whom, when it was settled.

    Both tables hold a ``status`` (``claimed`` until settled) and a ``detail``.
    """

    model: type[SentNotice] | type[BroadcastDelivery]
    claimed_at: InstrumentedAttribute[dt.datetime]
    claimed_by: InstrumentedAttribute[Any]
    settled_at: InstrumentedAttribute[Any]

    async def expire(
        self, session: AsyncSession, before: dt.datetime, now: dt.datetime, dead: Sequence[str]
    ) -> int:
        """Claims older than ``before``, or of ``dead`` claimants, never settled: unknown."""
        stale = self.claimed_at < before
        if dead:
            stale = or_(stale, self.claimed_by.in_(list(dead)))
        result = await session.execute(
            update(self.model)
            .where(self.model.status == NoticeStatus.CLAIMED, stale)
            .values(
                {
                    self.model.status: NoticeStatus.UNKNOWN,
                    self.settled_at: now,
                    self.model.detail: "interrupted",
                }
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def claimants(self, session: AsyncSession) -> list[str]:
        """Who holds claims not settled yet."""
        rows = await session.scalars(
            select(self.claimed_by).where(self.model.status == NoticeStatus.CLAIMED).distinct()
        )
        return [row for row in rows if row]


_NOTICE_CLAIMS = _Claims(
    SentNotice, SentNotice.claimed_at, SentNotice.claimed_by, SentNotice.finished_at
)
#: A copy's claim time is its ``updated_at`` and its claimant is kept in ``detail``.
_COPY_CLAIMS = _Claims(
    BroadcastDelivery,
    BroadcastDelivery.updated_at,
    BroadcastDelivery.detail,
    BroadcastDelivery.updated_at,
)


class NoticeRepository:
    """Claims and outcomes of reminders and digests; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, notice: SentNotice) -> bool:
        """Insert the claim; False if someone (any process, any time) claimed the key before."""
        return notice.key in await self.claim_many([notice])

    async def claim_many(self, notices: Sequence[SentNotice]) -> set[str]:
        """Insert the claims, :data:`CHUNK` per statement; the keys claimed now.

        A key someone (any process, any time) claimed before is left out of the result, as is
        a key repeated in ``notices`` after its first row. The rows go in key order, so two
        processes claiming overlapping batches at once take the keys' locks in the same order.
        """
        rows: dict[str, dict[str, Any]] = {}
        columns = SentNotice.__table__.columns
        for notice in notices:
            rows.setdefault(notice.key, {c.key: getattr(notice, c.key) for c in columns})
        ordered = [rows[key] for key in sorted(rows)]
        dialect = self._s.get_bind().dialect.name
        if dialect not in UPSERT_DIALECTS:  # pragma: no cover - not supported databases
            raise ValueError(f"no claims on the {dialect} dialect")
        claimed: set[str] = set()
        for chunk in _chunks(ordered):
            stmt = (
                insert_for(dialect)(SentNotice)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning(SentNotice.key)
            )
            claimed.update(await self._s.scalars(stmt))
        return claimed

    async def release(self, keys: Sequence[str], claimant: str) -> int:
        """Drop ``claimant``'s unsettled claims of ``keys`` (never sent): they may go again."""
        released = 0
        for chunk in _chunks(keys):
            result = await self._s.execute(
                delete(SentNotice).where(
                    SentNotice.key.in_(list(chunk)),
                    SentNotice.status == NoticeStatus.CLAIMED,
                    SentNotice.claimed_by == claimant,
                )
            )
            released += int(getattr(result, "rowcount", 0) or 0)
        return released

    async def finish(
        self, key: str, status: NoticeStatus, now: dt.datetime, detail: str | None = None
    ) -> None:
        """Record what became of a claimed notice."""
        await self._s.execute(
            update(SentNotice)
            .where(SentNotice.key == key)
            .values(status=status, finished_at=now, detail=detail)
        )

    async def claimed_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were already claimed (whatever their outcome)."""
        wanted = list(keys)
        found: set[str] = set()
        for chunk in _chunks(wanted):
            rows = await self._s.scalars(select(SentNotice.key).where(SentNotice.key.in_(chunk)))
            found.update(rows)
        return found

    async def expire_claims(
        self, before: dt.datetime, now: dt.datetime, dead: Sequence[str] = ()
    ) -> int:
        """Unfinished claims older than ``before``, or of ``dead`` claimants: mark unknown."""
        return await _NOTICE_CLAIMS.expire(self._s, before, now, dead)

    async def release_untried(self, dead: Sequence[str]) -> int:
        """Drop the scheduled claims of ``dead`` claimants that were never tried; how many.

        A claimant claims a batch of scheduled notices with increasing claim times, then sends
        them one at a time in that order, each outcome written before the next send. So of a
        claimant's unsettled claims only the first (by claim time, then key) can have been in
        flight when it died: it is left to become unknown; the others were never sent, and
        are dropped so that the next run sends them. Broadcast messages (claimed one by one,
        beside the batches) are left alone.
        """
        released = 0
        for claimant in dead:
            keys = list(
                await self._s.scalars(
                    select(SentNotice.key)
                    .where(
                        SentNotice.claimed_by == claimant,
                        SentNotice.status == NoticeStatus.CLAIMED,
                        SentNotice.kind != BROADCAST_KIND,
                    )
                    .order_by(SentNotice.claimed_at, SentNotice.key)
                )
            )
            released += await self.release(keys[1:], claimant)
        return released

    async def claimants(self) -> list[str]:
        """Who holds unfinished claims."""
        return await _NOTICE_CLAIMS.claimants(self._s)


def _audience_key(audience: Mapping[str, Any]) -> str:
    return json.dumps(audience, sort_keys=True)


class BroadcastRepository:
    """Broadcasts and their per-recipient copies; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, broadcast: Broadcast, copies: Sequence[Mapping[str, Any]]) -> Broadcast:
        """Insert a broadcast with one copy per recipient.

        Args:
            broadcast: The broadcast (added to the session and flushed: its id is set).
            copies: Each copy's :class:`BroadcastDelivery` columns but ``broadcast_id``, as
                plain values: written in one statement, however many (no object per copy).
        """
        self._s.add(broadcast)
        await self._s.flush()
        if copies:  # Core: one executemany (the ORM splits rows by which values are NULL)
            await self._s.execute(
                insert(cast(Table, BroadcastDelivery.__table__)),
                [{**c, "broadcast_id": broadcast.id} for c in copies],
            )
        return broadcast

    async def add_many(
        self, broadcasts: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]]
    ) -> None:
        """Insert broadcasts, each with its copies, in two statements (one notice per unit).

        Args:
            broadcasts: Each broadcast's columns, as plain values, with its copies (as for
                :meth:`add`). Their ``audience`` must differ (a notice names its unit): the
                copies find their broadcast's id by it, as the ids come back from a batched
                insert in no promised order (SQLite would otherwise insert row by row).
        """
        if not broadcasts:
            return
        table = cast(Table, Broadcast.__table__)  # Core: no ORM bookkeeping per row
        returned = await self._s.execute(
            insert(table).returning(table.c.id, table.c.audience),
            [dict(b) for b, _ in broadcasts],
        )
        ids = {_audience_key(audience): bid for bid, audience in returned.tuples()}
        if len(ids) != len(broadcasts):
            raise ValueError("broadcasts inserted together must have distinct audiences")
        rows = [
            {**c, "broadcast_id": ids[_audience_key(b["audience"])]}
            for b, theirs in broadcasts
            for c in theirs
        ]
        if rows:
            await self._s.execute(insert(cast(Table, BroadcastDelivery.__table__)), rows)

    async def sending(self) -> list[Broadcast]:
        """Broadcasts whose copies are not all settled yet, oldest first."""
        rows = await self._s.scalars(
            select(Broadcast).where(Broadcast.status == "sending").order_by(Broadcast.id)
        )
        return list(rows)

    async def claim_next(
        self, broadcast_id: int, claimant: str, now: dt.datetime, limit: int = 1
    ) -> list[BroadcastDelivery]:
        """Claim up to ``limit`` pending copies (rows other processes hold are skipped)."""
        rows = list(
            await self._s.scalars(
                select(BroadcastDelivery)
                .where(
                    BroadcastDelivery.broadcast_id == broadcast_id,
                    BroadcastDelivery.status == NoticeStatus.PENDING,
                )
                .order_by(BroadcastDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        claimed = []
        for row in rows:
            result = await self._s.execute(
                update(BroadcastDelivery)
                .where(
                    BroadcastDelivery.id == row.id,
                    BroadcastDelivery.status == NoticeStatus.PENDING,
                )
                .values(status=NoticeStatus.CLAIMED, updated_at=now, detail=claimant)
            )
            if int(getattr(result, "rowcount", 0) or 0) == 1:
                claimed.append(row)
        return claimed

    async def settle(
        self, delivery_id: int, status: NoticeStatus, now: dt.datetime, detail: str | None = None
    ) -> None:
        """Record what became of one copy."""
        await self._s.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.id == delivery_id)
            .values(status=status, updated_at=now, detail=detail)
        )

    async def expire_claims(
        self, before: dt.datetime, now: dt.datetime, dead: Sequence[str] = ()
    ) -> int:
        """Copies claimed before ``before``, or by ``dead`` claimants, never settled: unknown."""
        return await _COPY_CLAIMS.expire(self._s, before, now, dead)

    async def claimants(self) -> list[str]:
        """Who holds claimed, unsettled copies (the claimant is kept in ``detail``)."""
        return await _COPY_CLAIMS.claimants(self._s)

    async def counts(self, broadcast_id: int) -> dict[NoticeStatus, int]:
        """How many copies are in each state."""
        rows = await self._s.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(BroadcastDelivery.status)
        )
        return {NoticeStatus(status): int(n) for status, n in rows.all()}

    async def finish(self, broadcast_id: int, now: dt.datetime) -> bool:
        """Mark the broadcast done; True for exactly one caller (who then sends the report)."""
        result = await self._s.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
            .values(status="done", finished_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

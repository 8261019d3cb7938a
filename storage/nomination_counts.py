"""Keep :class:`storage.models.NominationCount` equal to what the nominations say.

The grain is (campaign, unit, award form, subject, gender, status): the nomination figures
(:mod:`handlers.queries.stats.nominations`) filter units by block, kind or id and group by
form, subject, gender and block, so the unit is kept and its block and kind are joined when
read. A unit moving to another block (or kind) therefore changes no counter.

Every session of :func:`storage.db.make_session_factory` recomputes, after each flush and
after each bulk ``insert``/``update``/``delete`` of nominations made through the session, the
counters of every (campaign, unit) whose nominations were touched, from those nominations, in
the same transaction. A unit's nominations in one campaign are few, so the cost of a write
does not grow with the campaign. Writes that bypass the session are followed by
:func:`rebuild` (``tdkt stats rebuild``). ``tests/storage/test_nomination_counts.py`` checks
the rows against a full recomputation on random histories.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from sqlalchemy import Select, delete, func, insert, inspect, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import Nomination, NominationCount, NominationStatus

__all__ = [
    "after_flush",
    "keys_after",
    "keys_before",
    "rebuild",
    "rebuild_sync",
    "recompute",
    "refresh",
]

#: Keys per statement (bound parameters stay well under every driver's limit).
_CHUNK = 400
#: A (campaign id, unit id) pair.
_Key = tuple[int, int]


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield chunk


def recompute(*where: Any) -> Select[Any]:
    """The counters as the nominations (selected by ``where``) say: the rows' columns, in order.

    Withdrawn nominations have no counter; a gender not recorded is ``""``.
    """
    gender = func.coalesce(Nomination.gender, "")
    return (
        select(
            Nomination.campaign_id,
            Nomination.unit_id,
            Nomination.award_code,
            Nomination.subject,
            gender,
            Nomination.status,
            func.count(),
        )
        .where(Nomination.status != NominationStatus.WITHDRAWN, *where)
        .group_by(
            Nomination.campaign_id,
            Nomination.unit_id,
            Nomination.award_code,
            Nomination.subject,
            gender,
            Nomination.status,
        )
    )


_COLUMNS = ("campaign_id", "unit_id", "award_code", "subject", "gender", "status", "n")


def _write(conn: Connection, where: list[Any], old_where: list[Any]) -> int:
    rows = [dict(zip(_COLUMNS, r, strict=True)) for r in conn.execute(recompute(*where))]
    conn.execute(delete(NominationCount).where(*old_where))
    for chunk in _chunks(rows):
        conn.execute(insert(NominationCount), chunk)
    return len(rows)


def refresh(conn: Connection, keys: Collection[_Key]) -> int:
    """Recompute the counters of the (campaign id, unit id) ``keys``; return how many rows."""
    written = 0
    for chunk in _chunks(sorted(keys)):
        written += _write(
            conn,
            [tuple_(Nomination.campaign_id, Nomination.unit_id).in_(chunk)],
            [tuple_(NominationCount.campaign_id, NominationCount.unit_id).in_(chunk)],
        )
    return written


def rebuild_sync(conn: Connection, campaign_id: int | None = None) -> int:
    """Recompute every counter (of one campaign, or of all); return the row count."""
    if campaign_id is None:
        return _write(conn, [], [])
    return _write(
        conn,
        [Nomination.campaign_id == campaign_id],
        [NominationCount.campaign_id == campaign_id],
    )


async def rebuild(session: AsyncSession, campaign_id: int | None = None) -> int:
    """:func:`rebuild_sync` in ``session``'s transaction (the caller commits)."""
    await session.flush()
    return await session.run_sync(lambda s: rebuild_sync(s.connection(), campaign_id))


def keys_before(conn: Connection, where: Any) -> tuple[set[_Key], list[int]]:
    """The keys and ids of the nominations a bulk update or delete (``where``) will touch."""
    query = select(Nomination.id, Nomination.campaign_id, Nomination.unit_id)
    if where is not None:
        query = query.where(where)
    keys: set[_Key] = set()
    ids: list[int] = []
    for nid, cid, uid in conn.execute(query).tuples():
        ids.append(nid)
        keys.add((cid, uid))
    return keys, ids


def keys_after(conn: Connection, ids: list[int], params: Any, values: Any) -> set[_Key]:
    """The keys of the nominations ``ids`` now, and of the rows an insert's parameters give."""
    keys: set[_Key] = set()
    for chunk in _chunks(ids):
        found = select(Nomination.campaign_id, Nomination.unit_id).where(Nomination.id.in_(chunk))
        keys.update(conn.execute(found).tuples())
    rows: list[Any] = list(params) if isinstance(params, list) else [params or {}]
    fixed = {getattr(k, "key", k): v for k, v in (values or {}).items()}
    for row in rows:
        if isinstance(row, dict):
            merged = {**fixed, **row}
            cid, uid = merged.get("campaign_id"), merged.get("unit_id")
            if isinstance(cid, int) and isinstance(uid, int):
                keys.add((cid, uid))
    return keys


def _values(obj: Any, attr: str) -> list[Any]:
    """The values ``attr`` had before the flush (and has now)."""
    history = inspect(obj).attrs[attr].history
    return [*history.deleted, *history.unchanged, *history.added]


def after_flush(session: Session, _context: Any) -> None:
    """Recompute the counters of what the flush changed (a session event, see the module)."""
    keys: set[_Key] = set()
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Nomination):
            cids = _values(obj, "campaign_id")
            uids = _values(obj, "unit_id")
            keys.update((c, u) for c in cids for u in uids if c is not None and u is not None)
    if keys:
        refresh(session.connection(), keys)

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
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, inspect, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.dialects import insert_for
from storage.models import (
    Nomination,
    NominationBlockCount,
    NominationCount,
    NominationStatus,
    NominationUnitTotal,
    Unit,
)

__all__ = [
    "after_flush",
    "keys_after",
    "keys_before",
    "move_units",
    "rebuild",
    "rebuild_roll_ups",
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


def _write(
    conn: Connection, where: list[Any], old_where: list[Any], keys: list[_Key] | None = None
) -> int:
    """Recompute the counters ``where`` selects; with ``keys``, roll the change up by delta."""
    rows = [dict(zip(_COLUMNS, r, strict=True)) for r in conn.execute(recompute(*where))]
    old: list[tuple[Any, ...]] = []
    if keys is not None:
        old = [tuple(r) for r in conn.execute(select(*_COUNT).where(*old_where)).tuples()]
    conn.execute(delete(NominationCount).where(*old_where))
    for chunk in _chunks(rows):
        conn.execute(insert(NominationCount), chunk)
    if keys is not None:
        _roll_up(conn, old, [tuple(r[c] for c in _COLUMNS) for r in rows], keys)
    return len(rows)


#: The columns of a counter, in the order of :data:`_COLUMNS`.
_COUNT = tuple(getattr(NominationCount, c) for c in _COLUMNS)
_BLOCK_KEY = ("campaign_id", "block", "kind", "award_code", "subject", "gender", "status")
_COUNTED = (NominationStatus.SUBMITTED, NominationStatus.ACCEPTED)


def _unit_keys(conn: Connection, uids: Collection[int]) -> dict[int, tuple[str, str]]:
    """{unit id: (block or "", kind)}."""
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(sorted(uids)):
        rows = conn.execute(select(Unit.id, Unit.block, Unit.kind).where(Unit.id.in_(chunk)))
        found.update((uid, (block or "", kind)) for uid, block, kind in rows.tuples())
    return found


def _block_delta(
    rows: Iterable[Sequence[Any]],
    units: Mapping[int, tuple[str, str]],
    sign: int,
    into: dict[tuple[Any, ...], int],
) -> None:
    for cid, uid, code, subject, gender, status, n in rows:
        unit = units.get(uid)
        if unit is not None:
            key = (cid, *unit, code, subject, gender, status)
            into[key] = into.get(key, 0) + sign * int(n)


def _add_blocks(conn: Connection, delta: Mapping[tuple[Any, ...], int]) -> None:
    """Add each ``delta`` to its block counter; drop the counters left at 0."""
    wanted = [dict(zip(_BLOCK_KEY, k, strict=True)) | {"n": n} for k, n in delta.items() if n]
    if not wanted:
        return
    table = NominationBlockCount.__table__
    stmt = insert_for("postgresql" if conn.dialect.name == "postgresql" else "sqlite")(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_BLOCK_KEY), set_={"n": table.c.n + stmt.excluded.n}
    )
    for chunk in _chunks(wanted):
        conn.execute(stmt, chunk)
    campaigns = sorted({row["campaign_id"] for row in wanted})
    conn.execute(
        delete(NominationBlockCount).where(
            NominationBlockCount.campaign_id.in_(campaigns), NominationBlockCount.n == 0
        )
    )


def _roll_up(
    conn: Connection,
    old: Sequence[Sequence[Any]],
    new: Sequence[Sequence[Any]],
    keys: list[_Key],
) -> None:
    """Move the block counters from ``old`` to ``new`` rows; rewrite the keys' unit totals."""
    if sorted(old, key=repr) == sorted(new, key=repr):
        return
    units = _unit_keys(conn, {uid for _, uid in keys})
    delta: dict[tuple[Any, ...], int] = {}
    _block_delta(old, units, -1, delta)
    _block_delta(new, units, 1, delta)
    _add_blocks(conn, delta)
    totals: dict[_Key, int] = {}
    for cid, uid, *_, status, n in new:
        if status in _COUNTED:
            totals[(cid, uid)] = totals.get((cid, uid), 0) + int(n)
    conn.execute(
        delete(NominationUnitTotal).where(
            tuple_(NominationUnitTotal.campaign_id, NominationUnitTotal.unit_id).in_(keys)
        )
    )
    if totals:
        conn.execute(
            insert(NominationUnitTotal),
            [{"campaign_id": c, "unit_id": u, "n": n} for (c, u), n in sorted(totals.items())],
        )


def rebuild_roll_ups(conn: Connection, campaign_id: int | None) -> None:
    """Recompute the block counters and unit totals (of one campaign, or of all)."""
    block_where: list[Any] = []
    total_where: list[Any] = []
    count_where: list[Any] = []
    if campaign_id is not None:
        block_where.append(NominationBlockCount.campaign_id == campaign_id)
        total_where.append(NominationUnitTotal.campaign_id == campaign_id)
        count_where.append(NominationCount.campaign_id == campaign_id)
    conn.execute(delete(NominationBlockCount).where(*block_where))
    conn.execute(delete(NominationUnitTotal).where(*total_where))
    block = func.coalesce(Unit.block, "")
    grouped = (
        NominationCount.campaign_id,
        block,
        Unit.kind,
        NominationCount.award_code,
        NominationCount.subject,
        NominationCount.gender,
        NominationCount.status,
    )
    conn.execute(
        insert(NominationBlockCount).from_select(
            [*_BLOCK_KEY, "n"],
            select(*grouped, func.sum(NominationCount.n))
            .join(Unit, Unit.id == NominationCount.unit_id)
            .where(*count_where)
            .group_by(*grouped),
        )
    )
    conn.execute(
        insert(NominationUnitTotal).from_select(
            ["campaign_id", "unit_id", "n"],
            select(
                NominationCount.campaign_id, NominationCount.unit_id, func.sum(NominationCount.n)
            )
            .where(NominationCount.status.in_(_COUNTED), *count_where)
            .group_by(NominationCount.campaign_id, NominationCount.unit_id),
        )
    )


def move_units(conn: Connection, old: Mapping[int, tuple[str, str, bool]]) -> None:
    """Move the block counters of the units ``old`` (their former block, kind, retired).

    Called before a flush's nominations are recomputed: the units' counters are still the ones
    rolled up under their old block and kind.
    """
    if not old:
        return
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(sorted(old)):
        found = conn.execute(select(*_COUNT).where(NominationCount.unit_id.in_(chunk)))
        rows.extend(tuple(r) for r in found.tuples())
    delta: dict[tuple[Any, ...], int] = {}
    _block_delta(rows, {uid: (block, kind) for uid, (block, kind, _) in old.items()}, -1, delta)
    _block_delta(rows, _unit_keys(conn, old), 1, delta)
    _add_blocks(conn, delta)


def refresh(conn: Connection, keys: Collection[_Key]) -> int:
    """Recompute the counters of the (campaign id, unit id) ``keys``; return how many rows.

    The block counters (:class:`NominationBlockCount`) follow by delta and the keys' unit
    totals (:class:`NominationUnitTotal`) are rewritten.
    """
    written = 0
    for chunk in _chunks(sorted(keys)):
        written += _write(
            conn,
            [tuple_(Nomination.campaign_id, Nomination.unit_id).in_(chunk)],
            [tuple_(NominationCount.campaign_id, NominationCount.unit_id).in_(chunk)],
            chunk,
        )
    return written


def rebuild_sync(
    conn: Connection, campaign_id: int | None = None, *, roll_ups: bool = False
) -> int:
    """Recompute every counter (of one campaign, or of all); return the row count.

    With ``roll_ups``, the block counters and unit totals too, from the counters (the
    migration that made the counters' table predates theirs, so not by default).
    """
    if campaign_id is None:
        written = _write(conn, [], [])
    else:
        written = _write(
            conn,
            [Nomination.campaign_id == campaign_id],
            [NominationCount.campaign_id == campaign_id],
        )
    if roll_ups:
        rebuild_roll_ups(conn, campaign_id)
    return written


async def rebuild(session: AsyncSession, campaign_id: int | None = None) -> int:
    """:func:`rebuild_sync` with the roll-ups, in ``session``'s transaction (caller commits)."""
    await session.flush()
    return await session.run_sync(
        lambda s: rebuild_sync(s.connection(), campaign_id, roll_ups=True)
    )


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

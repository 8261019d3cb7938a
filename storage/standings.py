"""Keep :class:`storage.models.Standing` equal to what the submissions and nominations say.

Every session made by :func:`storage.db.make_session_factory` calls :func:`after_flush` after
each flush: the (requirement, unit) pairs whose submissions or nominations were added, changed
or deleted in the flush (and every pair of a requirement whose kind or parts changed) are
recomputed from their rows, in the same transaction. Bulk ``insert``/``update``/``delete``
statements on those tables executed through the session are caught by :func:`on_execute`. A
pair's rows are few, so the cost of a write does not grow with the campaign. Writes that
bypass the session (bulk inserts on a bare connection, as the benchmark seeds) are followed by
:func:`rebuild` (``tdkt stats rebuild``).

A row's columns (see the model) follow the counting rules of :mod:`handlers.queries.stats`;
``tests/storage/test_standings.py`` checks them against that package's aggregate over the
source rows on random histories.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, inspect, select, tuple_
from sqlalchemy.engine import Connection, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from storage import nomination_counts, standing_counts
from storage.models import (
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    Standing,
    Submission,
    SubmissionStatus,
)

__all__ = ["after_flush", "on_execute", "rebuild", "rebuild_sync", "refresh"]

_COUNTED = (NominationStatus.SUBMITTED, NominationStatus.ACCEPTED)
_LIVE = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)
#: Pairs per statement (bound parameters stay well under every driver's limit).
_CHUNK = 400
_Pair = tuple[int, int]


@dataclass
class _Totals:
    """The columns of one pair's row, accumulated from its rows."""

    n_returned: int = 0
    parts: set[str] = field(default_factory=set)
    n_open: int = 0
    last_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    n_noms: int = 0
    first_at: dt.datetime | None = None

    def row(self, pair: _Pair) -> dict[str, Any]:
        return {
            "requirement_id": pair[0],
            "unit_id": pair[1],
            "n_returned": self.n_returned,
            "parts_done": len(self.parts),
            "n_open": self.n_open,
            "last_at": self.last_at,
            "returned_at": self.returned_at,
            "n_noms": self.n_noms,
            "first_at": self.first_at,
        }


def _later(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or b > a else a


def _needed(kind: RequirementKind, parts: list[str] | None) -> set[str]:
    """The parts a requirement counts: every part of a dossier, else the single part ``""``."""
    return set(parts) if kind is RequirementKind.DOSSIER and parts else {""}


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield chunk


def refresh(
    conn: Connection,
    pairs: Collection[_Pair] = (),
    requirement_ids: Collection[int] = (),
    *,
    counters: bool = True,
) -> int:
    """Recompute the rows of ``pairs`` and of every pair of ``requirement_ids``.

    Args:
        conn: The connection of the transaction that changed them.
        pairs: (requirement id, unit id) pairs.
        requirement_ids: Requirements recomputed whole (a changed kind or parts; a rebuild).
        counters: Keep :mod:`storage.standing_counts` too (False: a migration older than
            its table).

    Returns:
        How many rows the pairs now have.
    """
    whole = set(requirement_ids)
    some = {p for p in pairs if p[0] not in whole}
    written = 0
    for chunk in _chunks(sorted(some)):
        before = standing_counts.snapshot(conn, chunk) if counters else []
        written += _refresh(
            conn,
            [tuple_(Submission.requirement_id, Submission.unit_id).in_(chunk)],
            [tuple_(Nomination.requirement_id, Nomination.unit_id).in_(chunk)],
            [tuple_(Standing.requirement_id, Standing.unit_id).in_(chunk)],
            {p[0] for p in chunk},
            chunk,
        )
        if counters:
            standing_counts.change(conn, before, standing_counts.snapshot(conn, chunk))
    for rid in sorted(whole):
        written += _refresh(
            conn,
            [Submission.requirement_id == rid],
            [Nomination.requirement_id == rid],
            [Standing.requirement_id == rid],
            {rid},
            None,
        )
    if counters:
        standing_counts.recompute(conn, whole)
    return written


def _refresh(
    conn: Connection,
    sub_where: list[Any],
    nom_where: list[Any],
    old_where: list[Any],
    rids: set[int],
    pairs: list[_Pair] | None,
) -> int:
    """Recompute the rows the conditions select (``pairs``: only these may have rows)."""
    found = conn.execute(
        select(Requirement.id, Requirement.kind, Requirement.parts).where(
            Requirement.id.in_(sorted(rids))
        )
    ).tuples()
    reqs: dict[int, set[str]] = {}
    lists: set[int] = set()
    for rid, kind, parts in found:
        if kind is RequirementKind.EVENT:
            continue  # a milestone: nothing is owed for it, so it has no rows
        reqs[rid] = _needed(kind, parts)
        if kind is RequirementKind.NOMINATION_LIST:
            lists.add(rid)
    totals: dict[_Pair, _Totals] = {}
    for rid, uid, part, status, at in conn.execute(
        select(
            Submission.requirement_id,
            Submission.unit_id,
            Submission.part,
            Submission.status,
            Submission.submitted_at,
        ).where(Submission.is_current, *sub_where)
    ).tuples():
        if rid not in reqs:
            continue
        t = totals.setdefault((rid, uid), _Totals())
        if status is SubmissionStatus.RETURNED:
            t.n_returned += 1
            t.returned_at = _later(t.returned_at, at)
        elif status in _LIVE and part in reqs[rid]:
            t.parts.add(part)
            t.n_open += status is not SubmissionStatus.ACCEPTED
            t.last_at = _later(t.last_at, at)
    if lists:
        for nrid, uid, n, first in conn.execute(
            select(
                Nomination.requirement_id,
                Nomination.unit_id,
                func.count(),
                func.min(Nomination.created_at),
            )
            .where(
                Nomination.status.in_(_COUNTED),
                Nomination.requirement_id.in_(sorted(lists)),
                *nom_where,
            )
            .group_by(Nomination.requirement_id, Nomination.unit_id)
        ).tuples():
            if nrid is None:
                continue
            t = totals.setdefault((nrid, uid), _Totals())
            t.n_noms, t.first_at = n, first
    if pairs is not None:
        wanted = set(pairs)
        totals = {p: t for p, t in totals.items() if p in wanted}
    conn.execute(delete(Standing).where(*old_where))
    rows = [t.row(p) for p, t in sorted(totals.items())]
    for chunk in _chunks(rows):
        conn.execute(insert(Standing), chunk)
    return len(rows)


def rebuild_sync(
    conn: Connection, campaign_id: int | None = None, *, counters: bool = False
) -> int:
    """Recompute every row (of one campaign's requirements, or of all); return the row count.

    With ``counters``, :mod:`storage.standing_counts` too (the migration that made the
    standings table predates the counters' table, so not by default).
    """
    query = select(Requirement.id)
    if campaign_id is not None:
        query = query.where(Requirement.campaign_id == campaign_id)
    rids = list(conn.execute(query).scalars())
    if campaign_id is None:  # rows of requirements that no longer exist cannot remain (FK)
        conn.execute(delete(Standing).where(Standing.requirement_id.not_in(rids)))
    return refresh(conn, requirement_ids=rids, counters=counters)


async def rebuild(session: AsyncSession, campaign_id: int | None = None) -> int:
    """:func:`rebuild_sync` with the counters, in ``session``'s transaction (caller commits)."""
    await session.flush()
    return await session.run_sync(
        lambda s: rebuild_sync(s.connection(), campaign_id, counters=True)
    )


def _old(obj: Any, attr: str) -> list[Any]:
    """The values ``attr`` had before the flush (and has now), for a changed object."""
    history = inspect(obj).attrs[attr].history
    return [*history.deleted, *history.unchanged, *history.added]


def _touched(session: Session) -> tuple[set[_Pair], set[int]]:
    """The pairs and the whole requirements a flush changed."""
    pairs: set[_Pair] = set()
    whole: set[int] = set()
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Submission | Nomination):
            rids = _old(obj, "requirement_id")
            uids = _old(obj, "unit_id")
            pairs.update((r, u) for r in rids for u in uids if r is not None and u is not None)
        elif isinstance(obj, Requirement) and obj not in session.new:
            state = inspect(obj)
            if state.attrs.kind.history.has_changes() or state.attrs.parts.history.has_changes():
                whole.add(obj.id)
    return pairs, whole


def on_execute(state: ORMExecuteState) -> Result[Any] | None:
    """Recompute the rows a bulk insert, update or delete of submissions or nominations touches.

    A session event (``do_orm_execute``): the statement's rows are found before it runs (by its
    own condition), or after an insert (by its parameters), and their pairs recomputed.
    """
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    if entity is not Submission and entity is not Nomination:
        return None
    conn = state.session.connection()
    pairs: set[_Pair] = set()
    keys: set[tuple[int, int]] = set()
    ids: list[int] = []
    if not state.is_insert:
        where = state.statement.whereclause  # type: ignore[attr-defined]
        found = select(entity.requirement_id, entity.unit_id)
        if where is not None:
            found = found.where(where)
        pairs.update((r, u) for r, u in conn.execute(found.distinct()).tuples() if r is not None)
        if entity is Nomination:
            keys, ids = nomination_counts.keys_before(conn, where)
    result = state.invoke_statement()
    params = state.parameters
    if entity is Nomination:
        statement_values = getattr(state.statement, "_values", None) or {}
        keys |= nomination_counts.keys_after(conn, ids, params, statement_values)
        if keys:
            nomination_counts.refresh(conn, keys)
    rows: list[Any] = list(params) if isinstance(params, list) else [params or {}]
    statement_values = getattr(state.statement, "_values", None) or {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        values = {**{getattr(k, "key", k): v for k, v in statement_values.items()}, **row}
        rid, uid = values.get("requirement_id"), values.get("unit_id")
        if isinstance(rid, int) and isinstance(uid, int):
            pairs.add((rid, uid))
    if pairs:
        refresh(conn, pairs)
    return result


def after_flush(session: Session, context: Any) -> None:
    """Recompute the rows of what the flush changed (a session event, see the module).

    The nomination counters (:mod:`storage.nomination_counts`) and the standings' counters
    (:mod:`storage.standing_counts`) are kept too.
    """
    moved = standing_counts.moved_units(session)
    if moved:  # before the pairs and nominations: still counted under the old block and kind
        standing_counts.move_units(session.connection(), moved)
        nomination_counts.move_units(session.connection(), moved)
    nomination_counts.after_flush(session, context)
    pairs, whole = _touched(session)
    if pairs or whole:
        refresh(session.connection(), pairs, whole)
    deadlines = standing_counts.requirement_changes(session) - whole
    if deadlines:
        standing_counts.recompute(session.connection(), deadlines)

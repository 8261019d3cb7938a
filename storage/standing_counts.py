"""Keep :class:`storage.models.StandingCount` equal to what the standings say.

The secretariat's figures count, per requirement, the units in each mark (and the late ones)
within a block or kind of units. :class:`storage.models.Standing` has a row per (requirement,
unit) that has sent anything (≈123 000 rows at 10 000 units); this module keeps the same
counted per (requirement, unit block, unit kind, unit retired, mark, late), a few hundred rows
per requirement, so the figures read those instead.

The mark and lateness of a row follow the rules of :mod:`handlers.queries.stats.rules`
(``mark_columns``, ``cutoffs``) and the deadlines of :mod:`handlers.domain.deadlines`
(``effective_due``), restated here because the storage layer imports nothing of the core;
``tests/storage/test_standing_counts.py`` checks the counters against those rules over the
source rows on random histories, on both databases.

They are kept in the transaction of every write, by delta (``storage.standings`` calls in):

* a (requirement, unit) pair recomputed (:func:`snapshot` before, :func:`change` after):
  the old row's contribution is taken off and the new one's added;
* a unit changing block, kind or retirement (:func:`move_units`, before the pairs): its rows
  move from the old key to the new one;
* a requirement's deadlines (``due_date``, ``due_time``, ``unit_due``), kind or parts, or its
  campaign's timezone changing, and a rebuild (:func:`recompute`): its counters are recomputed
  from its standings.

Lateness is a fact of a sent item's time and its deadline, not of the clock, so nothing changes
when a due date passes; what owes and is overdue is read as total minus sent.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, inspect, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.dialects import insert_for
from storage.models import (
    Campaign,
    Requirement,
    RequirementKind,
    Standing,
    StandingCount,
    Unit,
)

__all__ = [
    "change",
    "move_units",
    "moved_units",
    "recompute",
    "requirement_changes",
    "snapshot",
    "upsert_add",
]

# The marks as small integers (as in handlers.queries.stats.rules).
MISSING, PARTIAL, RETURNED, SUBMITTED, ACCEPTED = range(5)
#: Items per statement (bound parameters stay well under every driver's limit).
_CHUNK = 400
#: (requirement id, block, kind, retired, mark, late).
_Key = tuple[int, str, str, bool, int, bool]
#: A unit's (block or "", kind, retired).
_UnitKey = tuple[str, str, bool]
_ROW = (
    Standing.requirement_id,
    Standing.unit_id,
    Standing.n_returned,
    Standing.parts_done,
    Standing.n_open,
    Standing.last_at,
    Standing.returned_at,
    Standing.n_noms,
    Standing.first_at,
)


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield chunk


@dataclass(frozen=True, slots=True)
class _Req:
    """What a requirement's marks and lateness are decided from."""

    needed: int
    tz: ZoneInfo
    due: dt.date | None
    unit_due: Mapping[int, dt.date]
    #: The deadline's hour (``due_time``) while nobody's deadline was extended past the plan's
    #: (``handlers.domain.deadlines.due_hour``); a unit's own gia hạn drops it for that unit.
    hour: dt.time | None = None

    def cutoff(self, unit_id: int) -> dt.datetime | None:
        """The first late instant for the unit (None: no deadline, never late)."""
        own = self.unit_due.get(unit_id)
        due = own or self.due
        if due is None:
            return None
        if self.hour is not None and own is None:
            return dt.datetime.combine(due, self.hour, tzinfo=self.tz).astimezone(dt.UTC)
        start = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tzinfo=self.tz)
        return start.astimezone(dt.UTC)


def _unit_dues(raw: Mapping[str, Any] | None, due: dt.date | None) -> dict[int, dt.date]:
    """``handlers.domain.deadlines.unit_dues``: the units' own deadlines later than everyone's."""
    found: dict[int, dt.date] = {}
    for key, value in (raw or {}).items():
        try:
            day = dt.date.fromisoformat(str(value))
            unit_id = int(key)
        except ValueError:
            continue
        if due is None or day > due:
            found[unit_id] = day
    return found


def _requirements(conn: Connection, rids: Collection[int]) -> dict[int, _Req]:
    found: dict[int, _Req] = {}
    for chunk in _chunks(sorted(rids)):
        rows = conn.execute(
            select(
                Requirement.id,
                Requirement.kind,
                Requirement.parts,
                Requirement.due_date,
                Requirement.unit_due,
                Campaign.timezone,
                Requirement.due_time,
                Requirement.original_due,
            )
            .join(Campaign, Campaign.id == Requirement.campaign_id)
            .where(Requirement.id.in_(chunk))
        ).tuples()
        for rid, kind, parts, due, unit_due, tz, hour, original in rows:
            needed = len(set(parts)) if kind is RequirementKind.DOSSIER and parts else 1
            if original is not None and original != due:
                hour = None  # everyone's deadline was extended: the whole day
            found[rid] = _Req(needed, ZoneInfo(tz), due, _unit_dues(unit_due, due), hour)
    return found


def _units(conn: Connection, uids: Collection[int]) -> dict[int, _UnitKey]:
    found: dict[int, _UnitKey] = {}
    for chunk in _chunks(sorted(uids)):
        rows = conn.execute(
            select(Unit.id, Unit.block, Unit.kind, Unit.deactivated_at).where(Unit.id.in_(chunk))
        ).tuples()
        found.update(
            (uid, (block or "", kind, gone is not None)) for uid, block, kind, gone in rows
        )
    return found


def _mark(row: Sequence[Any], req: _Req) -> tuple[int, bool]:
    """The mark and lateness of a standings row (``rules.mark_columns`` and ``rules.late``)."""
    _, uid, n_returned, parts_done, n_open, last_at, _, n_noms, first_at = row
    if n_returned:
        return RETURNED, False
    if n_noms:
        mark, at = SUBMITTED, first_at
    elif not parts_done:
        return MISSING, False
    elif parts_done < req.needed:
        return PARTIAL, False
    else:
        mark, at = (ACCEPTED if n_open == 0 else SUBMITTED), last_at
    cutoff = req.cutoff(uid)
    return mark, bool(cutoff is not None and at is not None and at >= cutoff)


def _tally(
    rows: Iterable[Sequence[Any]],
    reqs: Mapping[int, _Req],
    units: Mapping[int, _UnitKey],
    sign: int,
    into: dict[_Key, int],
    unit_keys: Mapping[int, _UnitKey] | None = None,
) -> None:
    """Add ``sign`` per row to its key in ``into`` (``unit_keys`` overrides ``units``)."""
    for row in rows:
        req = reqs.get(row[0])
        unit = (unit_keys or {}).get(row[1]) or units.get(row[1])
        if req is None or unit is None:
            continue
        mark, late = _mark(row, req)
        key = (row[0], *unit, mark, late)
        into[key] = into.get(key, 0) + sign


def snapshot(conn: Connection, pairs: Sequence[tuple[int, int]]) -> list[tuple[Any, ...]]:
    """The standings rows of ``pairs`` (at most one statement's worth), as they are now."""
    if not pairs:
        return []
    found = conn.execute(
        select(*_ROW).where(tuple_(Standing.requirement_id, Standing.unit_id).in_(list(pairs)))
    )
    return [tuple(row) for row in found.tuples()]


def change(conn: Connection, old: Sequence[Sequence[Any]], new: Sequence[Sequence[Any]]) -> None:
    """Take ``old`` rows' contributions off the counters and add ``new`` rows' ones."""
    if sorted(map(tuple, old)) == sorted(map(tuple, new)):
        return
    rows = [*old, *new]
    reqs = _requirements(conn, {row[0] for row in rows})
    units = _units(conn, {row[1] for row in rows})
    delta: dict[_Key, int] = {}
    _tally(old, reqs, units, -1, delta)
    _tally(new, reqs, units, 1, delta)
    upsert_add(conn, delta)


def upsert_add(conn: Connection, delta: Mapping[_Key, int]) -> None:
    """Add each ``delta`` to its counter (created at 0); drop the counters left at 0."""
    wanted = [(k, n) for k, n in sorted(delta.items()) if n]
    if not wanted:
        return
    table = StandingCount.__table__
    columns = ("requirement_id", "block", "kind", "retired", "mark", "late")
    dialect = conn.dialect.name
    rows = [dict(zip(columns, key, strict=True)) | {"n": n} for key, n in wanted]
    stmt = insert_for("postgresql" if dialect == "postgresql" else "sqlite")(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(columns), set_={"n": table.c.n + stmt.excluded.n}
    )
    for chunk in _chunks(rows):
        conn.execute(stmt, chunk)
    rids = sorted({k[0] for k, _ in wanted})
    conn.execute(
        delete(StandingCount).where(StandingCount.requirement_id.in_(rids), StandingCount.n == 0)
    )


def recompute(conn: Connection, rids: Collection[int]) -> int:
    """Recompute every counter of ``rids`` from their standings; return how many rows."""
    written = 0
    for rid in sorted(set(rids)):
        conn.execute(delete(StandingCount).where(StandingCount.requirement_id == rid))
        rows = conn.execute(
            select(*_ROW, Unit.block, Unit.kind, Unit.deactivated_at)
            .join(Unit, Unit.id == Standing.unit_id)
            .where(Standing.requirement_id == rid)
        ).tuples()
        reqs = _requirements(conn, [rid])
        totals: dict[_Key, int] = {}
        units: dict[int, _UnitKey] = {}
        standing_rows = []
        for *row, block, kind, gone in rows:
            units[row[1]] = (block or "", kind, gone is not None)
            standing_rows.append(row)
        _tally(standing_rows, reqs, units, 1, totals)
        written += len(totals)
        upsert_add(conn, totals)
    return written


def _old_value(obj: Any, attr: str) -> Any:
    """The value ``attr`` had before the flush."""
    history = inspect(obj).attrs[attr].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else getattr(obj, attr)


def moved_units(session: Session) -> dict[int, _UnitKey]:
    """The units whose block, kind or retirement a flush changed: {id: old key}."""
    old: dict[int, _UnitKey] = {}
    for obj in session.dirty:
        if not isinstance(obj, Unit) or obj in session.new:
            continue
        attrs = inspect(obj).attrs
        if not any(attrs[a].history.has_changes() for a in ("block", "kind", "deactivated_at")):
            continue
        before = (
            _old_value(obj, "block") or "",
            _old_value(obj, "kind"),
            _old_value(obj, "deactivated_at") is not None,
        )
        if before != (obj.block or "", obj.kind, obj.deactivated_at is not None):
            old[obj.id] = before
    return old


def move_units(conn: Connection, old: Mapping[int, _UnitKey]) -> None:
    """Move the counters of the units ``old`` from their former (block, kind, retired) key.

    Called before a flush's pairs are recomputed: the units' standings rows are still the
    ones counted under their old block, kind and retirement.
    """
    if not old:
        return
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(sorted(old)):
        found = conn.execute(select(*_ROW).where(Standing.unit_id.in_(chunk)))
        rows.extend(tuple(row) for row in found.tuples())
    if not rows:
        return
    reqs = _requirements(conn, {row[0] for row in rows})
    units = _units(conn, old)
    delta: dict[_Key, int] = {}
    _tally(rows, reqs, units, -1, delta, unit_keys=old)
    _tally(rows, reqs, units, 1, delta)
    upsert_add(conn, delta)


def requirement_changes(session: Session) -> set[int]:
    """The requirements whose counters a flush's deadline or timezone changes invalidate."""
    rids: set[int] = set()
    campaigns: set[int] = set()
    for obj in session.dirty:
        if obj in session.new:
            continue
        if isinstance(obj, Requirement):
            attrs = inspect(obj).attrs
            if any(
                getattr(attrs, name).history.has_changes()
                for name in ("due_date", "unit_due", "due_time", "original_due")
            ):
                rids.add(obj.id)
        elif isinstance(obj, Campaign) and inspect(obj).attrs.timezone.history.has_changes():
            campaigns.add(obj.id)
    if campaigns:
        found = session.connection().execute(
            select(Requirement.id).where(Requirement.campaign_id.in_(sorted(campaigns)))
        )
        rids.update(found.scalars())
    return rids

"""The units that owe a requirement, read from the units' index and the standings' keys.

A unit owes a requirement it applies to when it has no standings row for it, or its row says
returned, or neither a counted nomination nor every needed part. Per requirement one plain
select walks the units in id order, looks each one's row up by primary key and stops at the
limit: no mark expression is built, nothing is sorted but the units' own index. The marks of
the rows found are decided here, as :func:`handlers.queries.stats.rules.mark_columns` decides
them (an owing unit is never late).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select, true, union_all

from handlers.domain.deadlines import unit_dues
from handlers.queries.stats import rules
from handlers.queries.stats.results import UnitFilter, UnitStanding
from storage.models import Requirement, Standing, Unit

__all__ = ["owes_any", "owing_select", "owing_standing", "unit_columns"]

#: The unit's and its row's columns every owing select yields, after ``rid``.
_STANDING = (
    Standing.n_returned,
    Standing.parts_done,
    Standing.n_noms,
    Standing.last_at,
    Standing.returned_at,
)


def unit_columns() -> tuple[Any, ...]:
    """The unit columns of an owing row (``uid``, ``code``, ``name``, ``block``, ``kind``)."""
    return (Unit.id.label("uid"), Unit.code, Unit.name, Unit.block, Unit.kind)


def _needed(req: Requirement) -> int:
    return len(set(req.parts)) if rules.needs_parts(req) else 1


def owing_select(
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    *,
    limit: int | None = None,
    active_only: bool = False,
    overdue_at: dt.datetime | None = None,
    extra: Sequence[Any] = (),
    joins: Sequence[tuple[Any, Any]] = (),
    conditions: Sequence[ColumnElement[bool]] = (),
) -> Select[Any] | None:
    """One select of the units that owe each of ``reqs`` (None: no requirement can have any).

    Args:
        reqs: The requirements.
        tz: The campaign's timezone (for ``overdue_at``).
        where: Which units.
        limit: At most this many units per requirement, the first by id.
        active_only: No retired unit at all (reminders); otherwise a retired unit only where
            it has a row (it owes nothing: as the checklists list it).
        overdue_at: Only the units whose own deadline (after any gia hạn) was over then.
        extra: More columns (of ``joins``).
        joins: (table, on clause) joined to each unit's row (e.g. its people's accounts).
        conditions: More conditions on the joined tables.

    Returns:
        Rows of ``rid``, the :func:`unit_columns`, the standings' columns (NULL when the unit
        has no row) and ``extra``, in no particular order.
    """
    parts: list[Select[Any]] = []
    for req in reqs:
        excluded: list[int] = []
        if overdue_at is not None:
            everyone = rules.cutoff(req, tz)
            if everyone is None or everyone > overdue_at:
                continue  # nobody's deadline is over ("chưa có hạn", or later than then)
            excluded = [
                u for u in unit_dues(req) if (rules.cutoff(req, tz, u) or everyone) > overdue_at
            ]
        row = Standing.unit_id
        owing = or_(
            row.is_(None),
            Standing.n_returned > 0,
            and_(Standing.n_noms == 0, Standing.parts_done < _needed(req)),
        )
        chosen: list[ColumnElement[bool]] = [owing, *rules.unit_rule(req), *where.clauses()]
        if active_only:
            chosen.append(Unit.deactivated_at.is_(None))
        else:
            chosen.append(or_(Unit.deactivated_at.is_(None), row.is_not(None)))
        if excluded:
            chosen.append(Unit.id.not_in(excluded))
        query = (
            select(literal(req.id).label("rid"), *unit_columns(), *_STANDING, *extra)
            .select_from(Unit)
            .outerjoin(
                Standing, and_(Standing.requirement_id == req.id, Standing.unit_id == Unit.id)
            )
        )
        for table, on in joins:
            query = query.join(table, on)
        query = query.where(*chosen, *conditions)
        if limit is not None:
            query = query.order_by(Unit.id).limit(limit)
        # A limited select is wrapped: SQLite takes no LIMIT inside a UNION ALL term.
        parts.append(select(query.subquery(f"owing_{req.id}")) if limit is not None else query)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else select(union_all(*parts).subquery("owing"))


def owes_any(
    reqs: Sequence[Requirement], tz: ZoneInfo, overdue_at: dt.datetime | None = None
) -> ColumnElement[bool] | None:
    """Whether :class:`Unit` owes one of ``reqs``: a condition evaluated per unit row.

    For a query that walks some units once (e.g. those nobody can be reached at) instead of
    every requirement's units: per requirement, the unit rule and a lookup of its standings
    row by primary key, stopping at the first requirement owed. With ``overdue_at``, only where
    the unit's own deadline (after any gia hạn) was over then. None: none of ``reqs`` can be
    owed (no deadline over).
    """
    terms: list[ColumnElement[bool]] = []
    for req in reqs:
        chosen: list[ColumnElement[bool]] = [*rules.unit_rule(req)]
        if overdue_at is not None:
            everyone = rules.cutoff(req, tz)
            if everyone is None or everyone > overdue_at:
                continue
            excluded = [
                u for u in unit_dues(req) if (rules.cutoff(req, tz, u) or everyone) > overdue_at
            ]
            if excluded:
                chosen.append(Unit.id.not_in(excluded))
        # Sent: the exact negation of owing_select's "owing" on an existing row. A scalar
        # subquery (at most one row, by primary key) is looked up per unit; PostgreSQL would
        # turn an EXISTS into a hash of every standings row of the requirement.
        sent = (
            select(Standing.unit_id)
            .where(
                Standing.requirement_id == req.id,
                Standing.unit_id == Unit.id,
                Standing.n_returned <= 0,
                or_(Standing.n_noms != 0, Standing.parts_done >= _needed(req)),
            )
            .scalar_subquery()
        )
        terms.append(and_(true(), *chosen, sent.is_(None)))
    return or_(*terms) if terms else None


def owing_standing(row: Any, reasons: dict[tuple[int, int], str | None]) -> UnitStanding:
    """The :class:`UnitStanding` of an owing row (missing, partial or returned)."""
    if row.n_returned:
        mark, at = rules.RETURNED, row.returned_at
    elif row.parts_done:
        mark, at = rules.PARTIAL, row.last_at
    else:
        mark, at = rules.MISSING, None
    return UnitStanding(
        rules.unit_ref(row),
        rules.MARKS[mark],
        at,
        False,
        parts_done=int(row.parts_done) if mark == rules.PARTIAL else 0,
        reason=reasons.get((row.rid, row.uid)),
    )

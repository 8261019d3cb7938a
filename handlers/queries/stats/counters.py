"""The requirement figures read from the counters (:class:`storage.models.StandingCount`).

The counters hold, per (requirement, unit block, unit kind, unit retired, mark, late), how many
units stand so; the units a requirement applies to are counted per kind among the active units.
So the figures of a campaign read a few hundred counter rows and one grouped count of the
units, whatever the number of units. A requirement restricted to a list of unit codes or to
blocks is counted from its units' rows (:func:`listed_figures`); a filter on one unit and a
moment in the past are not counted here (the caller reads the standings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import unit_dues
from handlers.queries.stats import rules
from handlers.queries.stats.results import UnitFilter
from storage.models import Requirement, Standing, StandingCount, Unit, UTCDateTime

__all__ = ["Figures", "countable", "listed_figures", "requirement_figures"]

#: (total, submitted, accepted, returned, partial, late) of one requirement.
Figures = tuple[int, int, int, int, int, int]


def countable(req: Requirement, where: UnitFilter) -> bool:
    """Whether ``req``'s figures within ``where`` can be read from the counters."""
    return not req.unit_codes and not req.unit_blocks and where.unit_id is None


async def listed_figures(
    session: AsyncSession, reqs: Sequence[Requirement], tz: ZoneInfo, where: UnitFilter
) -> dict[int, Figures]:
    """{requirement id: its figures within ``where``} for requirements of listed units.

    One query: per requirement, its listed units (by code) outer-joined to their standings
    rows and counted in the database, each row marked as :func:`rules.mark_columns` marks it
    (a retired unit counts where it has a row). Only the figures come back, not a row per unit.
    """
    if not reqs:
        return {}
    parts = [_listed_select(req, tz, where) for req in reqs]
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = await session.execute(query)
    found: dict[int, Figures] = {}
    for rid, *figures in rows.tuples():
        total, sent, accepted, returned, partial, late = (int(n or 0) for n in figures)
        found[rid] = (total, sent, accepted, returned, partial, late)
    return found


def _listed_select(req: Requirement, tz: ZoneInfo, where: UnitFilter) -> Select[Any]:
    """The :data:`Figures` of ``req`` (after its id) from its units' rows, in one grouped row."""
    s = Standing
    has_row = s.unit_id.is_not(None)
    returned = and_(has_row, s.n_returned != 0)
    nominated = s.n_noms != 0
    needed = len(set(req.parts)) if rules.needs_parts(req) else 1
    sent = and_(has_row, s.n_returned == 0, or_(nominated, s.parts_done >= needed))
    at = case((nominated, s.first_at), else_=s.last_at)
    # Everyone's late-from instant, and the units' own after a gia hạn for them (NULL: "chưa
    # có hạn", never late): worked out once here, compared per row in the database.
    everyone = literal(rules.cutoff(req, tz), UTCDateTime())
    own = [
        (Unit.id == unit_id, literal(rules.cutoff(req, tz, unit_id), UTCDateTime()))
        for unit_id in unit_dues(req)
    ]
    cut = case(*own, else_=everyone) if own else everyone

    def count(cond: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((cond, 1), else_=0))

    return (
        select(
            literal(req.id).label("rid"),
            count(or_(has_row, Unit.deactivated_at.is_(None))),
            count(sent),
            count(and_(sent, s.n_noms == 0, s.n_open == 0)),
            count(returned),
            count(and_(has_row, s.n_returned == 0, not_(sent), s.parts_done != 0)),
            count(and_(sent, at >= cut)),
        )
        .select_from(Unit)
        .outerjoin(s, and_(s.requirement_id == req.id, s.unit_id == Unit.id))
        .where(*rules.unit_rule(req), *where.clauses())
    )


async def requirement_figures(
    session: AsyncSession, reqs: Sequence[Requirement], where: UnitFilter
) -> dict[int, Figures]:
    """{requirement id: its figures within ``where``} for ``reqs`` (all :func:`countable`).

    Two grouped queries: the active units per kind (within ``where``), and the counters of
    ``reqs`` summed over the blocks (or in the block of ``where``).
    """
    if not reqs:
        return {}
    units = await session.execute(
        select(Unit.kind, func.count())
        .where(Unit.deactivated_at.is_(None), *where.clauses())
        .group_by(Unit.kind)
    )
    active = {kind: int(n) for kind, n in units.tuples()}
    c = StandingCount
    conditions: list[ColumnElement[bool]] = [c.requirement_id.in_([r.id for r in reqs])]
    if where.block is not None:
        conditions.append(c.block == where.block)
    if where.kind is not None:
        conditions.append(c.kind == where.kind)
    rows = await session.execute(
        select(c.requirement_id, c.kind, c.retired, c.mark, c.late, func.sum(c.n))
        .where(*conditions)
        .group_by(c.requirement_id, c.kind, c.retired, c.mark, c.late)
    )
    kinds = {r.id: set(r.unit_kinds or ()) for r in reqs}
    counts = {r.id: [0] * 6 for r in reqs}
    for rid, kind, retired, mark, late, n in rows.tuples():
        if kinds[rid] and kind not in kinds[rid]:
            continue  # the requirement does not apply to this kind of unit
        figures, n = counts[rid], int(n)
        figures[0] += n if retired else 0  # a retired unit counts where it has sent something
        if mark >= rules.SUBMITTED:
            figures[1] += n
            figures[5] += n if late else 0
        figures[2] += n if mark == rules.ACCEPTED else 0
        figures[3] += n if mark == rules.RETURNED else 0
        figures[4] += n if mark == rules.PARTIAL else 0
    for req in reqs:
        wanted = kinds[req.id]
        counts[req.id][0] += sum(n for k, n in active.items() if not wanted or k in wanted)
    return {rid: (f[0], f[1], f[2], f[3], f[4], f[5]) for rid, f in counts.items()}

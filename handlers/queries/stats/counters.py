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
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import unit_dues
from handlers.queries.stats import rules
from handlers.queries.stats.results import UnitFilter
from storage.models import Requirement, Standing, StandingCount, Unit

__all__ = ["Figures", "countable", "listed_figures", "requirement_figures"]

_ROW = (
    Standing.unit_id,
    Standing.n_returned,
    Standing.parts_done,
    Standing.n_open,
    Standing.last_at,
    Standing.n_noms,
    Standing.first_at,
)

#: (total, submitted, accepted, returned, partial, late) of one requirement.
Figures = tuple[int, int, int, int, int, int]


def countable(req: Requirement, where: UnitFilter) -> bool:
    """Whether ``req``'s figures within ``where`` can be read from the counters."""
    return not req.unit_codes and not req.unit_blocks and where.unit_id is None


async def listed_figures(
    session: AsyncSession, reqs: Sequence[Requirement], tz: ZoneInfo, where: UnitFilter
) -> dict[int, Figures]:
    """{requirement id: its figures within ``where``} for requirements of listed units.

    One select per requirement of its listed units (by code) and their standings rows, each
    marked here as :func:`rules.mark_columns` marks it; a retired unit counts where it has a row.
    """
    found: dict[int, Figures] = {}
    for req in reqs:
        rows = await session.execute(
            select(Unit.id, Unit.deactivated_at, *_ROW)
            .select_from(Unit)
            .outerjoin(
                Standing, and_(Standing.requirement_id == req.id, Standing.unit_id == Unit.id)
            )
            .where(*rules.unit_rule(req), *where.clauses())
        )
        figures = [0] * 6
        needed = len(set(req.parts)) if rules.needs_parts(req) else 1
        # Everyone's late-from instant, and the units' own after a gia hạn for them: worked
        # out once, not per unit (each reads the requirement's dates again).
        everyone = rules.cutoff(req, tz)
        own = {unit_id: rules.cutoff(req, tz, unit_id) for unit_id in unit_dues(req)}
        for uid, gone, has_row, n_returned, parts, n_open, last_at, n_noms, first_at in rows:
            if has_row is None:
                figures[0] += gone is None
                continue
            figures[0] += 1
            if n_returned:
                figures[3] += 1
            elif n_noms or parts >= needed:
                at = first_at if n_noms else last_at
                figures[1] += 1
                figures[2] += not n_noms and n_open == 0
                cut = own.get(uid, everyone)  # None: "chưa có hạn", never late
                figures[5] += cut is not None and at >= cut
            elif parts:
                figures[4] += 1
        found[req.id] = (figures[0], figures[1], figures[2], figures[3], figures[4], figures[5])
    return found


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

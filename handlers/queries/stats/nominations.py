"""Nomination figures: what stands, by award form, subject, gender, block and unit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.vocab import SUBJECT_LABELS
from handlers.queries.stats import rules
from handlers.queries.stats.results import AwardCount, Count, NominationStats, UnitFilter
from storage.models import (
    AwardForm,
    Campaign,
    Nomination,
    NominationBlockCount,
    NominationCount,
    NominationStatus,
    NominationUnitTotal,
    SubjectKind,
    Unit,
)
from storage.text import vn_sort_key

__all__ = ["GENDERS", "nomination_stats"]

#: Gender codes of nominations (as the nomination wizard stores them) and their labels.
#: Gender codes in the order the breakdown shows them (the words are in status.j2).
GENDERS = ("nam", "nu")


async def nomination_stats(
    session: AsyncSession,
    campaign: Campaign,
    where: UnitFilter | None = None,
    *,
    unit_limit: int | None = 5,
    as_of: dt.datetime | None = None,
) -> NominationStats:
    """The nominations of ``campaign`` that stand, by form, subject, gender, block and unit.

    Args:
        session: The open session.
        campaign: The campaign.
        where: Which units' nominations (by block, kind or one unit).
        unit_limit: At most this many units in ``by_unit`` (most nominations first); None for
            all of them.
        as_of: Count the nominations as they stood at this moment: created by then, and one
            accepted, returned or withdrawn after it as still waiting (sent).

    Returns:
        The figures; see :class:`NominationStats` for what counts.
    """
    where = where or UnitFilter()
    if as_of is None:
        cube_rows, per_unit = _from_counters(campaign, where)
    else:
        cube_rows, per_unit = _from_nominations(campaign, where, as_of)
    totals = {"total": 0, "accepted": 0, "returned": 0}
    awards: dict[tuple[str, str], int] = {}
    subjects: dict[str, int] = {}
    genders: dict[str, int] = {}
    cube = await session.execute(cube_rows)
    for code, subject, gender, recorded, count, *changed in cube.tuples():
        n = int(count)
        status = NominationStatus.SUBMITTED if any(changed) else recorded
        if status is NominationStatus.RETURNED:
            totals["returned"] += n
            continue
        totals["total"] += n
        totals["accepted"] += n if status is NominationStatus.ACCEPTED else 0
        awards[(code, subject.value)] = awards.get((code, subject.value), 0) + n
        subjects[subject.value] = subjects.get(subject.value, 0) + n
        if subject is SubjectKind.INDIVIDUAL:
            genders[gender or ""] = genders.get(gender or "", 0) + n
    by_award = await _award_counts(session, campaign, awards)
    by_subject = [
        Count(s.value, SUBJECT_LABELS[s.value], subjects[s.value])
        for s in SubjectKind
        if subjects.get(s.value)
    ]
    by_gender = [
        Count(code, code, genders[code])  # an empty code: not recorded
        for code in (*GENDERS, *sorted(set(genders) - set(GENDERS)))
        if genders.get(code)
    ]

    # 2. By block, how many units nominated and the units with the most.
    if as_of is None and where.unit_id is None:
        by_block, n_units, by_unit = await _units_from_totals(session, campaign, where, unit_limit)
    else:
        by_block, n_units, by_unit = await _units_from_rows(session, per_unit, where, unit_limit)
    return NominationStats(
        campaign,
        totals["total"],
        totals["accepted"],
        totals["returned"],
        n_units,
        tuple(by_award),
        tuple(by_subject),
        tuple(by_gender),
        tuple(by_block),
        tuple(by_unit),
    )


async def _units_from_rows(
    session: AsyncSession, per_unit: Subquery, where: UnitFilter, unit_limit: int | None
) -> tuple[list[Count], int, list[Count]]:
    """By block, how many units and the units with the most, from per-unit counts."""
    # One pass over the per-unit counts (a row per unit that nominated), rolled up here.
    units = await session.execute(
        select(per_unit.c.uid, Unit.block, per_unit.c.n)
        .join(Unit, Unit.id == per_unit.c.uid)
        .where(*where.clauses())
    )
    block_sums: dict[str, int] = {}
    counted: list[tuple[int, int]] = []
    for uid, block, count in units.tuples():
        block_sums[block or ""] = block_sums.get(block or "", 0) + int(count)  # "": no block
        counted.append((-int(count), uid))
    counted.sort()
    shown = counted if unit_limit is None else counted[:unit_limit]
    names: dict[int, str] = {}
    for chunk in (shown[i : i + 500] for i in range(0, len(shown), 500)):
        rows = await session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_([uid for _, uid in chunk]))
        )
        names.update((uid, name) for uid, name in rows.tuples())
    by_unit = [Count(str(uid), names[uid], -neg) for neg, uid in shown]
    return _blocks(block_sums), len(counted), by_unit


async def _units_from_totals(
    session: AsyncSession, campaign: Campaign, where: UnitFilter, unit_limit: int | None
) -> tuple[list[Count], int, list[Count]]:
    """By block, how many units and the units with the most, from the roll-ups.

    The block counters give the blocks; the unit totals (one row per unit that nominated) are
    counted, and only the first ``unit_limit`` of them by count read.
    """
    b = NominationBlockCount
    conditions = [b.campaign_id == campaign.id, b.status.in_(rules.COUNTED)]
    if where.block is not None:
        conditions.append(b.block == where.block)
    if where.kind is not None:
        conditions.append(b.kind == where.kind)
    blocks = await session.execute(
        select(b.block, func.sum(b.n)).where(*conditions).group_by(b.block)
    )
    block_sums = {block: int(n) for block, n in blocks.tuples() if n}
    t = NominationUnitTotal
    mine = [t.campaign_id == campaign.id, *where.clauses()]
    counted = select(func.count()).select_from(t)
    if where.active:  # the units' filter needs them; else the totals' own key is counted
        counted = counted.join(Unit, Unit.id == t.unit_id)
    n_units = await session.scalar(counted.where(*mine))
    top = (
        select(t.unit_id, Unit.name, t.n)
        .join(Unit, Unit.id == t.unit_id)
        .where(*mine)
        .order_by(t.n.desc(), t.unit_id)
    )
    if unit_limit is not None:
        top = top.limit(unit_limit)
    rows = await session.execute(top)
    by_unit = [Count(str(uid), name, int(n)) for uid, name, n in rows.tuples()]
    return _blocks(block_sums), int(n_units or 0), by_unit


def _blocks(block_sums: dict[str, int]) -> list[Count]:
    """The blocks' counts, most first (no block last among equals)."""
    return sorted(
        (Count(b, b, n) for b, n in block_sums.items()),
        key=lambda c: (-c.count, not c.key, vn_sort_key(c.label)),
    )


def _from_counters(campaign: Campaign, where: UnitFilter) -> tuple[Select[Any], Subquery]:
    """The grouped counts and the per-unit counts, from the counters (the figures now)."""
    c: Any = NominationCount
    base: list[ColumnElement[bool]] = [c.campaign_id == campaign.id]
    if where.unit_id is not None:
        base.append(c.unit_id.in_(select(Unit.id).where(*where.clauses())))
    else:  # the roll-up per block and kind of units: a few hundred rows
        c = NominationBlockCount
        base = [c.campaign_id == campaign.id]
        if where.block is not None:
            base.append(c.block == where.block)
        if where.kind is not None:
            base.append(c.kind == where.kind)
    cube = (
        select(c.award_code, c.subject, c.gender, c.status, func.sum(c.n))
        .where(*base)
        .group_by(c.award_code, c.subject, c.gender, c.status)
    )
    per_unit = (
        select(NominationCount.unit_id.label("uid"), func.sum(NominationCount.n).label("n"))
        .where(
            NominationCount.campaign_id == campaign.id,
            NominationCount.status.in_(rules.COUNTED),
        )
        .group_by(NominationCount.unit_id)
        .subquery("per_unit")
    )
    return cube, per_unit


def _from_nominations(
    campaign: Campaign, where: UnitFilter, as_of: dt.datetime
) -> tuple[Select[Any], Subquery]:
    """The grouped counts and the per-unit counts as they stood at ``as_of``, from the rows.

    A nomination accepted, returned or withdrawn after ``as_of`` was still waiting then: the
    grouped rows carry a last column saying so.
    """
    later = (Nomination.updated_at > as_of).label("later")
    base: list[ColumnElement[bool]] = [
        Nomination.campaign_id == campaign.id,
        Nomination.created_at <= as_of,
        or_(Nomination.status != NominationStatus.WITHDRAWN, Nomination.updated_at > as_of),
    ]
    if where.active:  # a semi-join on the units: the nominations are still read from an index
        base.append(Nomination.unit_id.in_(select(Unit.id).where(*where.clauses())))
    cube = (
        select(
            Nomination.award_code,
            Nomination.subject,
            Nomination.gender,
            Nomination.status,
            func.count(),
            later,
        )
        .where(*base)
        .group_by(
            Nomination.award_code, Nomination.subject, Nomination.gender, Nomination.status, later
        )
    )
    per_unit = (
        select(Nomination.unit_id.label("uid"), func.count().label("n"))
        .where(Nomination.campaign_id == campaign.id, rules.nomination_counted(as_of))
        .group_by(Nomination.unit_id)
        .subquery("per_unit")
    )
    return cube, per_unit


async def _award_counts(
    session: AsyncSession, campaign: Campaign, counts: dict[tuple[str, str], int]
) -> list[AwardCount]:
    """Name the (award code, subject) counts from the campaign's catalogue, most first.

    A code the catalogue no longer has is named as its nominations name it, and ranked after
    the catalogue's forms.
    """
    forms = await session.execute(
        select(AwardForm.code, AwardForm.name, AwardForm.position, AwardForm.id).where(
            AwardForm.campaign_id == campaign.id
        )
    )
    in_order = sorted(forms.tuples(), key=lambda form: (form[2], form[3]))
    catalogue = {code: (name, pos) for code, name, pos, _ in in_order}
    ranks = {code: rank for rank, (code, *_) in enumerate(in_order)}
    unknown = sorted({code for code, _ in counts if code not in catalogue})
    if unknown:
        rows = await session.execute(
            select(Nomination.award_code, func.min(Nomination.award_name))
            .where(Nomination.campaign_id == campaign.id, Nomination.award_code.in_(unknown))
            .group_by(Nomination.award_code)
        )
        catalogue.update({code: (name, len(catalogue)) for code, name in rows.tuples()})
    found = [
        AwardCount(
            code, catalogue.get(code, (code, 0))[0], subject, n, ranks.get(code, len(ranks))
        )
        for (code, subject), n in counts.items()
    ]
    found.sort(key=lambda a: (-a.count, catalogue.get(a.code, ("", 0))[1], a.code, a.subject))
    return found

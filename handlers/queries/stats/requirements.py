"""Per-requirement figures: how many units sent each requirement, and which units stand where."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import unit_dues
from handlers.queries.stats import rules
from handlers.queries.stats.results import MissingList, RequirementStats, UnitFilter, UnitStanding
from storage.models import (
    Campaign,
    ChatAccount,
    Person,
    Requirement,
    Role,
    Standing,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository

__all__ = [
    "OwingAccount",
    "missing_units",
    "owing_accounts",
    "requirement_stats",
    "unit_standings",
]


async def requirement_stats(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter | None = None,
    *,
    requirements: Sequence[Requirement] | None = None,
    as_of: dt.datetime | None = None,
) -> list[RequirementStats]:
    """Per requirement of ``campaign``, in checklist order: how the units stand.

    Two aggregate queries whatever the number of units: the units each requirement applies to
    (one pass over the units), and the marks of the (requirement, unit) pairs that have sent
    anything, counted per requirement.

    Args:
        session: The open session.
        campaign: The campaign.
        now: Aware current time (sets "today" in the campaign's timezone).
        where: Which units to count (default: all).
        requirements: The campaign's requirements when the caller has them already.
        as_of: Count what had been sent and reviewed by this moment (a report "tính đến"),
            instead of everything there is now.

    Returns:
        One :class:`RequirementStats` per requirement (zeros where no unit applies).
    """
    where = where or UnitFilter()
    tz, today = rules.today(campaign, now)
    reqs = requirements
    if reqs is None:
        reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    if not reqs:
        return []
    # The units each requirement applies to: one pass over the active units, then the retired
    # ones that had sent something for it (a retired unit counts only there, as in the digest).
    applicable = [and_(true(), *rules.unit_rule(r)) for r in reqs]
    active = (
        await session.execute(
            select(*(func.sum(case((rule, 1), else_=0)) for rule in applicable))
            .select_from(Unit)
            .where(Unit.deactivated_at.is_(None), *where.clauses())
        )
    ).one()
    rows = await session.execute(
        select(Standing.requirement_id, func.count())
        .join(Unit, Unit.id == Standing.unit_id)
        .where(
            Unit.deactivated_at.is_not(None),
            Standing.requirement_id.in_([r.id for r in reqs]),
            rules.applies(reqs, Standing.requirement_id),
            *where.clauses(),
        )
        .group_by(Standing.requirement_id)
    )
    retired = {rid: int(n) for rid, n in rows.tuples()}
    totals = [int(n or 0) + int(retired.get(r.id, 0)) for r, n in zip(reqs, active, strict=True)]
    # How the units that have sent anything stand: only their (requirement, unit) pairs.
    marks = rules.active_marks(reqs, tz, where, as_of=as_of).subquery("marks")
    m = marks.c

    def count(cond: ColumnElement[bool]) -> Any:
        return func.sum(case((cond, 1), else_=0))

    counted = await session.execute(
        select(
            m.rid,
            count(m.mark >= rules.SUBMITTED),
            count(m.mark == rules.ACCEPTED),
            count(m.mark == rules.RETURNED),
            count(m.mark == rules.PARTIAL),
            count(rules.late(marks)),
        ).group_by(m.rid)
    )
    by_id = {row[0]: tuple(int(v or 0) for v in row[1:]) for row in counted.tuples()}
    return [
        RequirementStats(campaign, r, today, int(total or 0), *by_id.get(r.id, (0, 0, 0, 0, 0)))
        for r, total in zip(reqs, totals, strict=True)
    ]


async def _return_reasons(
    session: AsyncSession, reqs: Sequence[Requirement], pairs: Sequence[tuple[int, int]] | None
) -> dict[tuple[int, int], str | None]:
    """{(requirement, unit): reason of its newest returned current version}.

    Args:
        session: The open session.
        reqs: The requirements looked at.
        pairs: Only these (requirement, unit) pairs (a short list), or None for all of them.
    """
    where = [
        Submission.requirement_id.in_([r.id for r in reqs]),
        Submission.is_current,
        Submission.status == SubmissionStatus.RETURNED,
    ]
    if pairs is not None:
        where.append(
            or_(
                *(
                    and_(Submission.requirement_id == rid, Submission.unit_id == uid)
                    for rid, uid in pairs
                )
            )
        )
    newest = (
        select(
            Submission.requirement_id.label("rid"),
            Submission.unit_id.label("uid"),
            Submission.return_reason.label("reason"),
            func.row_number()
            .over(
                partition_by=(Submission.requirement_id, Submission.unit_id),
                order_by=(Submission.submitted_at.desc(), Submission.id.desc()),
            )
            .label("rank"),
        )
        .where(*where)
        .subquery()
    )
    rows = await session.execute(
        select(newest.c.rid, newest.c.uid, newest.c.reason).where(newest.c.rank == 1)
    )
    return {(r, u): reason for r, u, reason in rows.tuples()}


def _first_standings(
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    unit_columns: Sequence[Any],
    owing_only: bool,
    limit: int,
    current_only: bool,
    overdue_at: dt.datetime | None,
) -> Any:
    """The first ``limit`` units (by id) of each requirement, from the indexes.

    One limited select per requirement (the units read in id order, each looked up in the
    standings by primary key, stopping at the limit), put together with UNION ALL: no sort of
    every (requirement, unit) pair.
    """
    parts = []
    for req in reqs:
        act = Standing.__table__  # joined directly: each unit's row read by primary key
        rid = literal(req.id)
        pairs = (
            select(
                rid.label("rid"),
                Unit.id.label("uid"),
                *rules.mark_columns([req], tz, act, rid, Unit.id),
                case((Standing.unit_id.is_(None), 0), else_=1).label("has_rows"),
                *unit_columns,
            )
            .select_from(Unit)
            .outerjoin(
                Standing, and_(Standing.requirement_id == req.id, Standing.unit_id == Unit.id)
            )
            .where(*rules.unit_rule(req), *where.clauses())
            .subquery(f"pairs_{req.id}")
        )
        first = select(pairs)
        if owing_only:
            first = first.where(pairs.c.mark < rules.SUBMITTED)
        if current_only:
            first = first.where(or_(pairs.c.deactivated_at.is_(None), pairs.c.has_rows == 1))
        if overdue_at is not None:
            first = first.where(pairs.c.cutoff <= overdue_at)
        limited = first.order_by(pairs.c.uid).limit(limit).subquery(f"first_{req.id}")
        parts.append(select(limited))
    return parts[0] if len(parts) == 1 else union_all(*parts)


async def _standings(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    *,
    owing_only: bool,
    limit: int | None,
    current_only: bool = False,
    as_of: dt.datetime | None = None,
    overdue_at: dt.datetime | None = None,
) -> dict[int, list[UnitStanding]]:
    """{requirement id: standings of its units}, at most ``limit`` per requirement.

    With ``current_only``, a deactivated unit is listed only where it has sent something (as
    :func:`handlers.queries.progress.campaign_progress` lists it); with ``overdue_at``, only
    the units whose own deadline (after any gia hạn) was over then; with ``as_of``, how they
    stood at that moment (recomputed from the sources, never limited).
    """
    if not reqs:
        return {}
    unit_columns = (Unit.code, Unit.name, Unit.block, Unit.kind, Unit.deactivated_at)
    query: Any
    if limit is not None and as_of is None:
        query = _first_standings(
            reqs, tz, where, unit_columns, owing_only, limit, current_only, overdue_at
        )
    else:
        marks = rules.marks(reqs, tz, where, *unit_columns, as_of=as_of).subquery("marks")
        m = marks.c
        query = select(marks)
        if owing_only:
            query = query.where(m.mark < rules.SUBMITTED)
        if current_only:
            query = query.where(or_(m.deactivated_at.is_(None), m.has_rows == 1))
        if overdue_at is not None:
            query = query.where(m.cutoff <= overdue_at)
    rows = (await session.execute(query)).all()
    returned = [(row.rid, row.uid) for row in rows if row.mark == rules.RETURNED]
    reasons = (
        await _return_reasons(session, reqs, returned if limit is not None else None)
        if returned
        else {}
    )
    found: dict[int, list[UnitStanding]] = {}
    for row in rows:
        late = row.mark >= rules.SUBMITTED and row.at >= row.cutoff
        found.setdefault(row.rid, []).append(
            UnitStanding(
                rules.unit_ref(row),
                rules.MARKS[row.mark],
                row.at if row.mark != rules.MISSING else None,
                late,
                parts_done=(
                    int(row.parts_done) if row.mark in rules.PARTS_SHOWN and not row.n_noms else 0
                ),
                reason=reasons.get((row.rid, row.uid)),
                count=int(row.n_noms) if row.mark == rules.SUBMITTED else 0,
            )
        )
    for standings in found.values():
        standings.sort(key=lambda u: u.unit.sort_key())
    return found


async def unit_standings(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter | None = None,
    *,
    requirements: Sequence[Requirement] | None = None,
    as_of: dt.datetime | None = None,
) -> dict[int, list[UnitStanding]]:
    """Every applicable unit's standing on every requirement, in one query.

    Args:
        session: The open session.
        campaign: The campaign.
        now: Aware current time.
        where: Which units to consider (default: all).
        requirements: The campaign's requirements when the caller has them already.
        as_of: How they stood at this moment (see :func:`requirement_stats`).

    Returns:
        {requirement id: standings in :meth:`UnitRef.sort_key` order}; a requirement no unit
        (within ``where``) has to submit is absent.
    """
    tz, _ = rules.today(campaign, now)
    reqs = requirements
    if reqs is None:
        reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    return await _standings(
        session, reqs, tz, where or UnitFilter(), owing_only=False, limit=None, as_of=as_of
    )


async def missing_units(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter | None = None,
    *,
    overdue_only: bool = False,
    limit: int | None = None,
    stats: Sequence[RequirementStats] | None = None,
) -> list[MissingList]:
    """Per requirement, the units that still owe it (missing, partial or returned).

    Args:
        session: The open session.
        campaign: The campaign.
        now: Aware current time.
        where: Which units to consider.
        overdue_only: Only requirements whose due date has passed (and only if some unit owes
            them).
        limit: At most this many units per requirement: the first ones in the units' own
            order (as imported), which sorting by name in the database's collation would make
            slow and still not Vietnamese. None lists them all.
        stats: The campaign's :func:`requirement_stats` for ``where`` when already computed.

    Returns:
        One :class:`MissingList` per requirement (checklist order); with ``overdue_only``
        only the overdue ones.
    """
    where = where or UnitFilter()
    tz, _ = rules.today(campaign, now)
    if stats is None:
        stats = await requirement_stats(session, campaign, now, where)
    wanted = [s for s in stats if s.overdue] if overdue_only else list(stats)
    lists = await _standings(
        session,
        [s.requirement for s in wanted if s.missing],
        tz,
        where,
        owing_only=True,
        limit=limit,
        current_only=True,
        overdue_at=now if overdue_only else None,
    )
    # A unit's own later deadline (gia hạn) keeps it out of the overdue list, so for the
    # requirements extended for listed units "… và N đơn vị khác" counts the full list.
    totals: dict[int, int] = {}
    extended = [s.requirement for s in wanted if s.missing and unit_dues(s.requirement)]
    if overdue_only and extended:
        full = lists
        if limit is not None:
            full = await _standings(
                session,
                extended,
                tz,
                where,
                owing_only=True,
                limit=None,
                current_only=True,
                overdue_at=now,
            )
        totals = {r.id: len(full.get(r.id, ())) for r in extended}
    return [
        MissingList(s, tuple(lists.get(s.requirement.id, ())), totals.get(s.requirement.id))
        for s in wanted
    ]


@dataclass(frozen=True, slots=True)
class OwingAccount:
    """A unit that owes a requirement, and one reachable account of its people."""

    requirement_id: int
    standing: UnitStanding
    account_id: int
    channel: str
    chat_id: str
    person_name: str


async def owing_accounts(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    roles: Sequence[Role],
) -> list[OwingAccount]:
    """The active units that owe one of ``reqs``, each with its reachable accounts, in one query.

    What reminders are sent for: the (requirement, unit) pairs whose mark is missing, partial
    or returned, joined with the reachable chat accounts of the unit's people with ``roles``
    (a unit nobody can be reached at yields nothing). The reasons of the returned ones follow
    in a second query when there are any.

    Args:
        session: The open session.
        reqs: The requirements due for a reminder now (none: nothing is read).
        tz: The campaign's timezone.
        roles: Whose accounts.

    Returns:
        One item per (requirement, unit, account), by requirement, unit and account.
    """
    if not reqs:
        return []
    marks = rules.marks(
        reqs, tz, UnitFilter(), Unit.code, Unit.name, Unit.block, Unit.kind, Unit.deactivated_at
    ).subquery("marks")
    m = marks.c
    rows = (
        await session.execute(
            select(
                marks,
                ChatAccount.id.label("account_id"),
                ChatAccount.channel,
                ChatAccount.chat_id,
                Person.full_name,
            )
            .join(Person, Person.unit_id == m.uid)
            .join(ChatAccount, ChatAccount.person_id == Person.id)
            .where(
                m.mark < rules.SUBMITTED,
                m.deactivated_at.is_(None),
                Person.role.in_(list(roles)),
                Person.removed_at.is_(None),
                ChatAccount.chat_id.is_not(None),
                ChatAccount.unreachable_at.is_(None),
            )
            .order_by(m.rid, m.uid, ChatAccount.id)
        )
    ).all()
    returned = sorted({(row.rid, row.uid) for row in rows if row.mark == rules.RETURNED})
    reasons = {}
    if returned:  # a few pairs by name; many: every returned version of these requirements
        reasons = await _return_reasons(session, reqs, returned if len(returned) <= 50 else None)
    found = []
    for row in rows:
        standing = UnitStanding(
            rules.unit_ref(row),
            rules.MARKS[row.mark],
            row.at if row.mark != rules.MISSING else None,
            False,
            parts_done=int(row.parts_done) if row.mark == rules.PARTIAL else 0,
            reason=reasons.get((row.rid, row.uid)),
        )
        found.append(
            OwingAccount(
                row.rid, standing, row.account_id, row.channel, row.chat_id, row.full_name
            )
        )
    return found


async def digest_figures(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    newly_late: Sequence[Requirement],
) -> tuple[dict[int, tuple[int, int]], dict[int, list[UnitStanding]]]:
    """What the secretariat's daily digest counts, as the units' checklists count it.

    A deactivated unit counts only where it has sent something.

    Args:
        session: The open session.
        reqs: The campaign's requirements.
        tz: The campaign's timezone.
        newly_late: The requirements whose owing units the digest names.

    Returns:
        {requirement id: (units that sent it, units counted)}, and {requirement id: the units
        that owe it} for ``newly_late``.
    """
    if not reqs:
        return {}, {}
    marks = rules.marks(reqs, tz, UnitFilter(), Unit.deactivated_at).subquery("marks")
    m = marks.c
    rows = await session.execute(
        select(m.rid, func.sum(case((m.mark >= rules.SUBMITTED, 1), else_=0)), func.count())
        .where(or_(m.deactivated_at.is_(None), m.has_rows == 1))
        .group_by(m.rid)
    )
    counts = {rid: (int(done or 0), int(total)) for rid, done, total in rows.tuples()}
    owing = await _standings(
        session, newly_late, tz, UnitFilter(), owing_only=True, limit=None, current_only=True
    )
    return counts, owing


async def unreachable_owing(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    roles: Sequence[Role],
    *,
    overdue_at: dt.datetime | None = None,
) -> list[Unit]:
    """Active units that owe one of ``reqs`` and have no reachable account of ``roles``.

    With ``overdue_at``, only where the unit's own deadline (after any gia hạn) was over then.

    Returns:
        The units, in no particular order.
    """
    if not reqs:
        return []
    marks = rules.marks(reqs, tz, UnitFilter()).subquery("marks")
    owing = select(marks.c.uid).where(marks.c.mark < rules.SUBMITTED)
    if overdue_at is not None:
        owing = owing.where(marks.c.cutoff <= overdue_at)
    reachable = (
        select(Person.id)
        .join(ChatAccount, ChatAccount.person_id == Person.id)
        .where(
            Person.unit_id == Unit.id,
            Person.role.in_(list(roles)),
            Person.removed_at.is_(None),
            ChatAccount.chat_id.is_not(None),
            ChatAccount.unreachable_at.is_(None),
        )
        .exists()
    )
    found = await session.scalars(
        select(Unit).where(Unit.id.in_(owing), Unit.deactivated_at.is_(None), ~reachable)
    )
    return list(found)

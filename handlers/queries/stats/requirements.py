"""Per-requirement figures: how many units sent each requirement, and which units stand where."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import unit_dues
from handlers.queries.stats import counters, owing, rules
from handlers.queries.stats.results import (
    MissingList,
    RequirementStats,
    UnitFilter,
    UnitRef,
    UnitStanding,
    Unreachable,
)
from storage.models import (
    Campaign,
    ChatAccount,
    Person,
    Requirement,
    Role,
    Submission,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.text import vn_sort_key

__all__ = [
    "OwingAccount",
    "OwingPages",
    "OwingRows",
    "missing_units",
    "owing_account_rows",
    "owing_accounts",
    "requirement_stats",
    "unit_refs",
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

    Read from the counters (:mod:`handlers.queries.stats.counters`: a few hundred rows and
    the active units per kind) where they can say; otherwise two aggregate queries: the units
    each requirement applies to, and the marks of the (requirement, unit) pairs that have sent
    anything, counted per requirement.

    Args:
        session: The open session.
        campaign: The campaign.
        now: Aware current time (sets "today" in the campaign's timezone).
        where: Which units to count (default: all).
        requirements: The campaign's requirements when the caller has them already.
        as_of: Count what had been sent and reviewed by this moment (a report "tính đến"),
            instead of everything there is now; a unit retired after it was active then.

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
    # From the counters where they can say (the figures now, not of one unit, the requirements
    # not restricted to a list of units); the others from the standings.
    counted: dict[int, counters.Figures] = {}
    if as_of is None and where.unit_id is None:
        counted = await counters.requirement_figures(
            session, [r for r in reqs if counters.countable(r, where)], where
        )
        listed = [r for r in reqs if not counters.countable(r, where)]
        counted.update(await counters.listed_figures(session, listed, tz, where))
    rest = [r for r in reqs if r.id not in counted]
    if rest:
        counted.update(await _standing_figures(session, rest, tz, where, as_of))
    return [RequirementStats(campaign, r, today, *counted[r.id]) for r in reqs]


async def _standing_figures(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    as_of: dt.datetime | None,
) -> dict[int, counters.Figures]:
    """:func:`requirement_stats`' figures of ``reqs`` from the standings (or the sources)."""
    # The units each requirement applies to: one pass over the active units, then the retired
    # ones that had sent something for it (a retired unit counts only there, as in the digest;
    # at ``as_of``, where it had sent something by then, as :func:`unit_standings` lists it).
    # At ``as_of`` a unit is retired only if it was by then: one retired later owed then.
    applicable = [and_(true(), *rules.unit_rule(r)) for r in reqs]
    active = (
        await session.execute(
            select(*(func.sum(case((rule, 1), else_=0)) for rule in applicable))
            .select_from(Unit)
            .where(rules.active_at(Unit.deactivated_at, as_of), *where.clauses())
        )
    ).one()
    sent = rules.activity(reqs, as_of)
    rows = await session.execute(
        select(sent.c.rid, func.count())
        .select_from(sent)
        .join(Unit, Unit.id == sent.c.uid)
        .where(
            rules.retired_at(Unit.deactivated_at, as_of),
            rules.applies(reqs, sent.c.rid),
            *where.clauses(),
        )
        .group_by(sent.c.rid)
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
    found: dict[int, counters.Figures] = {}
    for r, total in zip(reqs, totals, strict=True):
        sub, acc, ret, part, late = by_id.get(r.id, (0, 0, 0, 0, 0))
        found[r.id] = (int(total or 0), sub, acc, ret, part, late)
    return found


#: Up to this many (requirement, unit) pairs are looked up one by one in the index (an OR of
#: equalities; SQLite caps an expression's depth at 1000), more by the requirements' versions.
_PAIRS_BY_KEY = 50
#: A page of reminders with more returned pairs reads the returned versions of its units.
_REASONS_BY_PAIR = 50


async def _return_reasons(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    pairs: Sequence[tuple[int, int]] | None,
    *,
    units: tuple[int, int] | None = None,
    as_of: dt.datetime | None = None,
) -> dict[tuple[int, int], str | None]:
    """{(requirement, unit): reason of its newest returned current version}.

    Args:
        session: The open session.
        reqs: The requirements looked at.
        pairs: Only these (requirement, unit) pairs (a short list), or None for all of them.
        units: Only the units whose id is in ``(after, upto]`` (a page of reminders): with
            many pairs, the versions read are the page's, not the whole campaign's.
        as_of: The versions current and returned at this moment (None: now).
    """
    where: list[ColumnElement[bool]] = [rules.returned_current(as_of)]
    if pairs is None or len(pairs) > _PAIRS_BY_KEY:
        where.append(Submission.requirement_id.in_([r.id for r in reqs]))
        if units is not None:
            where += [Submission.unit_id > units[0], Submission.unit_id <= units[1]]
    if pairs is not None and len(pairs) > _PAIRS_BY_KEY:
        where.append(tuple_(Submission.requirement_id, Submission.unit_id).in_(list(pairs)))
    elif pairs is not None:
        # Each pair looked up in the (requirement, unit) index: a row-value IN list, or the
        # requirements' IN list beside it, makes SQLite walk every version of the requirements.
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


async def _standings(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    *,
    owing_only: bool,
    limit: int | None,
    as_of: dt.datetime | None = None,
    overdue_at: dt.datetime | None = None,
) -> dict[int, list[UnitStanding]]:
    """{requirement id: standings of its units}, at most ``limit`` per requirement.

    A deactivated unit owes nothing: it is listed only where it has sent something (as
    :func:`handlers.queries.progress.campaign_progress` lists it); with ``overdue_at``, only
    the units whose own deadline (after any gia hạn) was over then; with ``as_of``, how they
    stood at that moment (recomputed from the sources, never limited; a unit retired by then
    only where it had sent something by then, one retired later as the active ones).
    """
    if not reqs:
        return {}
    query: Any
    if owing_only and as_of is None:  # from the units' index and the standings' keys
        lean = owing.owing_select(reqs, tz, where, limit=limit, overdue_at=overdue_at)
        if lean is None:
            return {}
        found_rows = (await session.execute(lean)).all()
        pairs = [(row.rid, row.uid) for row in found_rows if row.n_returned]
        reasons = (
            await _return_reasons(session, reqs, pairs if len(pairs) <= 50 else None)
            if pairs
            else {}
        )
        lists: dict[int, list[UnitStanding]] = {}
        for row in found_rows:
            lists.setdefault(row.rid, []).append(owing.owing_standing(row, reasons))
        for standings in lists.values():
            standings.sort(key=lambda u: u.unit.sort_key())
        return lists
    # Every pair: plain columns (the units' fields are read once per unit, not per pair; the
    # late-from instant is compared in SQL), sorted by each unit's key computed once.
    marks = rules.marks(reqs, tz, where, Unit.deactivated_at, as_of=as_of).subquery("marks")
    m = marks.c
    query = select(
        m.rid,
        m.uid,
        m.mark,
        m.at,
        case((rules.late(marks), 1), else_=0).label("late"),
        m.parts_done,
        m.n_noms,
    )
    query = query.where(or_(rules.active_at(m.deactivated_at, as_of), m.has_rows == 1))
    if owing_only:
        query = query.where(m.mark < rules.SUBMITTED)
    if overdue_at is not None:
        query = query.where(m.cutoff <= overdue_at)
    rows = (await session.execute(query)).tuples().all()
    units = await unit_refs(session, where)
    returned = [(rid, uid) for rid, uid, mark, *_ in rows if mark == rules.RETURNED]
    reasons = (
        await _return_reasons(session, reqs, returned if limit is not None else None, as_of=as_of)
        if returned
        else {}
    )
    marks_of, missing = rules.MARKS, rules.MISSING
    found: dict[int, list[UnitStanding]] = {}
    for rid, uid, mark, at, late, parts_done, n_noms in rows:
        found.setdefault(rid, []).append(
            UnitStanding(
                units[uid],
                marks_of[mark],
                at if mark != missing else None,
                late == 1,
                parts_done=(int(parts_done) if mark in rules.PARTS_SHOWN and not n_noms else 0),
                reason=reasons.get((rid, uid)),
                count=int(n_noms) if mark == rules.SUBMITTED else 0,
            )
        )
    order = {uid: key for key, uid in enumerate(sorted(units, key=lambda u: units[u].sort_key()))}
    for standings in found.values():
        standings.sort(key=lambda u: order[u.unit.id])
    return found


async def unit_refs(session: AsyncSession, where: UnitFilter) -> dict[int, UnitRef]:
    """The units within ``where`` (retired ones too), by id."""
    rows = await session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.block, Unit.kind).where(*where.clauses())
    )
    return {uid: UnitRef(uid, code, name, block, kind) for uid, code, name, block, kind in rows}


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

    A retired unit owes nothing: it is listed only where it has sent something, as the
    units' checklists (:func:`handlers.queries.progress.campaign_progress`) list it.

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


@dataclass(frozen=True, slots=True)
class OwingRows:
    """What :func:`owing_account_rows` read: one row per (requirement, unit, account).

    Each row has ``rid``, the :func:`handlers.queries.stats.owing.unit_columns`, the unit's
    standings columns (NULL when it has sent nothing), ``account_id``, ``channel``, ``chat_id``
    and ``full_name``; :meth:`standing` makes a row's :class:`UnitStanding` when asked.
    """

    rows: Sequence[Any]
    reasons: dict[tuple[int, int], str | None]

    def standing(self, row: Any) -> UnitStanding:
        """The standing (missing, partial or returned, with its reason) of ``row``'s unit."""
        return owing.owing_standing(row, self.reasons)


def _owing_accounts_select(
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    roles: Sequence[Role],
    window: Sequence[ColumnElement[bool]] = (),
) -> Select[Any] | None:
    """The select of :func:`owing_account_rows` (None: no requirement can be owed)."""
    return owing.owing_select(
        reqs,
        tz,
        UnitFilter(),
        active_only=True,
        extra=(
            ChatAccount.id.label("account_id"),
            ChatAccount.channel,
            ChatAccount.chat_id,
            Person.full_name,
        ),
        joins=(
            (Person, Person.unit_id == Unit.id),
            (ChatAccount, ChatAccount.person_id == Person.id),
        ),
        conditions=(
            Person.role.in_(list(roles)),
            Person.removed_at.is_(None),
            ChatAccount.chat_id.is_not(None),
            ChatAccount.unreachable_at.is_(None),
            *window,
        ),
    )


async def _owing_rows(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    query: Select[Any] | None,
    units: tuple[int, int] | None = None,
) -> OwingRows:
    if query is None:
        return OwingRows((), {})
    params = None if units is None else {"units_after": units[0], "units_upto": units[1]}
    rows = (await session.execute(query, params)).all()
    returned = sorted({(row.rid, row.uid) for row in rows if row.n_returned})
    reasons = {}
    if returned:  # a few pairs by name; many: the returned versions of the page's units
        few = returned if len(returned) <= _REASONS_BY_PAIR else None
        reasons = await _return_reasons(session, reqs, few, units=units)
    return OwingRows(rows, reasons)


async def owing_account_rows(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    roles: Sequence[Role],
) -> OwingRows:
    """The active units that owe one of ``reqs``, each with its reachable accounts, in one query.

    What reminders are sent for: the (requirement, unit) pairs whose mark is missing, partial
    or returned, joined with the reachable chat accounts of the unit's people with ``roles``
    (a unit nobody can be reached at yields nothing). The database filters the pairs; nothing
    is built per row here. The reasons of the returned ones follow in a second query when
    there are any.

    Args:
        session: The open session.
        reqs: The requirements due for a reminder now (none: nothing is read).
        tz: The campaign's timezone.
        roles: Whose accounts.

    Returns:
        The rows, in no particular order, and the reasons.
    """
    return await _owing_rows(session, reqs, _owing_accounts_select(reqs, tz, roles))


class OwingPages:
    """:func:`owing_account_rows` a page of the units' ids at a time, its select built once.

    Args:
        reqs: The requirements due for a reminder now.
        tz: The campaign's timezone.
        roles: Whose accounts.
    """

    def __init__(self, reqs: Sequence[Requirement], tz: ZoneInfo, roles: Sequence[Role]) -> None:
        self._reqs = tuple(reqs)
        window = (Unit.id > bindparam("units_after"), Unit.id <= bindparam("units_upto"))
        self._query = _owing_accounts_select(reqs, tz, roles, window)

    async def read(self, session: AsyncSession, units: tuple[int, int]) -> OwingRows:
        """The rows of the units whose id is in ``units``: ``(after, upto]``."""
        return await _owing_rows(session, self._reqs, self._query, units)


async def owing_accounts(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    roles: Sequence[Role],
) -> list[OwingAccount]:
    """:func:`owing_account_rows` as :class:`OwingAccount` s, one standing per unit.

    Returns:
        One item per (requirement, unit, account), by requirement, unit and account.
    """
    found = await owing_account_rows(session, reqs, tz, roles)
    rows = sorted(found.rows, key=lambda r: (r.rid, r.uid, r.account_id))
    standings: dict[tuple[int, int], UnitStanding] = {}
    result = []
    for row in rows:
        standing = standings.get((row.rid, row.uid))
        if standing is None:
            standing = standings[(row.rid, row.uid)] = found.standing(row)
        result.append(
            OwingAccount(
                row.rid, standing, row.account_id, row.channel, row.chat_id, row.full_name
            )
        )
    return result


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
    where = UnitFilter()
    figures = await counters.requirement_figures(
        session, [r for r in reqs if counters.countable(r, where)], where
    )
    listed = [r for r in reqs if not counters.countable(r, where)]
    figures.update(await counters.listed_figures(session, listed, tz, where))
    counts = {rid: (f[1], f[0]) for rid, f in figures.items()}
    owing_units = await _standings(session, newly_late, tz, where, owing_only=True, limit=None)
    return counts, owing_units


async def unreachable_owing(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    roles: Sequence[Role],
    *,
    overdue_at: dt.datetime | None = None,
) -> Unreachable:
    """Active units that owe one of ``reqs`` and have no reachable account of ``roles``.

    With ``overdue_at``, only where the unit's own deadline (after any gia hạn) was over then.

    Returns:
        The units, split by whether someone of theirs linked an account, each by name.
    """
    if not reqs:
        return Unreachable()
    person = and_(
        Person.unit_id == Unit.id, Person.role.in_(list(roles)), Person.removed_at.is_(None)
    )
    reachable = (
        select(Person.id)
        .join(ChatAccount, ChatAccount.person_id == Person.id)
        .where(person, ChatAccount.chat_id.is_not(None), ChatAccount.unreachable_at.is_(None))
        .exists()
    )
    linked = (
        select(Person.id).join(ChatAccount, ChatAccount.person_id == Person.id).where(person)
    ).exists()
    owes = owing.owes_any(reqs, tz, overdue_at)
    if owes is None:
        return Unreachable()
    # The units nobody can be reached at are few: found first, then each of them walked once,
    # each requirement's rule and standings row by primary key until one is owed.
    unreachable = list(
        await session.scalars(
            select(Unit.id).where(Unit.deactivated_at.is_(None), ~reachable).order_by(Unit.id)
        )
    )
    if not unreachable:
        return Unreachable()
    among = (
        Unit.id.in_(unreachable)
        if len(unreachable) <= 2000
        else Unit.id.in_(select(Unit.id).where(Unit.deactivated_at.is_(None), ~reachable))
    )
    rows = await session.execute(
        select(*owing.unit_columns(), linked.label("linked")).where(among, owes)
    )
    found: tuple[list[UnitRef], list[UnitRef]] = ([], [])
    for row in rows:
        found[bool(row.linked)].append(rules.unit_ref(row))
    never, blocked = (sorted(units, key=_by_name) for units in found)
    return Unreachable(tuple(never), tuple(blocked))


def _by_name(unit: UnitRef) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], int]:
    return vn_sort_key(unit.name), unit.id

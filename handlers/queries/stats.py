"""The secretariat's figures, computed by the database: aggregate SQL, no per-unit loops.

Every figure follows the counting rules of :func:`handlers.domain.progress.mark_for`,
expressed in SQL over the current submissions and the counted nominations:

* a unit is **returned** on a requirement when any of its current versions was returned;
* otherwise, for a ``nomination_list`` requirement, it has **submitted** when at least one of its
  nominations for the requirement is submitted or accepted (returned and withdrawn ones do not
  count); the time that counts is the first such nomination;
* otherwise what counts are its current submitted or accepted versions of the parts the
  requirement needs (every part of a dossier, else the single part ``""``): none is
  **missing**, some is **partial**, all is **accepted** when each of them was accepted and
  **submitted** otherwise; the time that counts is the newest of them;
* it is **late** when it has sent (submitted or accepted) and the time that counts falls on a
  later calendar day than the due date in the campaign's timezone. The due date becomes an
  instant here (the start of the next day in that timezone), so the comparison is exact on every
  database without timezone functions.

The requirements of a campaign are few (tens); their rules (which units they apply to, which
parts they need, their deadline instant) are turned into SQL expressions once per query, so
one statement covers every requirement and every unit.
"""

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
    case,
    cast,
    distinct,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.progress import Mark
from handlers.domain.vocab import SUBJECT_LABELS, UNIT_KINDS
from storage.models import (
    AwardForm,
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
    UTCDateTime,
)
from storage.repositories.campaigns import CampaignRepository
from storage.text import vn_sort_key

__all__ = [
    "GENDER_LABELS",
    "AwardCount",
    "CampaignStatus",
    "Count",
    "FilterOption",
    "MissingList",
    "NominationStats",
    "RecentItem",
    "RequirementStats",
    "UnitFilter",
    "UnitRef",
    "UnitStanding",
    "block_options",
    "campaign_status",
    "kind_options",
    "missing_units",
    "nomination_stats",
    "recent_activity",
    "requirement_stats",
    "unit_standings",
]

#: Nomination statuses that count (as in :class:`NominationRepository.counted_by_unit`).
_COUNTED = (NominationStatus.SUBMITTED, NominationStatus.ACCEPTED)
_LIVE = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)

# Marks as small integers in SQL (ordered: the last two mean "sent").
_MISSING, _PARTIAL, _RETURNED, _SUBMITTED, _ACCEPTED = range(5)
#: Marks whose ``parts_done`` a ``UnitMark`` reports (the nomination route reports 0).
_PARTS_SHOWN = (_PARTIAL, _SUBMITTED, _ACCEPTED)
_MARKS = {
    _MISSING: Mark.MISSING,
    _PARTIAL: Mark.PARTIAL,
    _RETURNED: Mark.RETURNED,
    _SUBMITTED: Mark.SUBMITTED,
    _ACCEPTED: Mark.ACCEPTED,
}

#: Gender codes of nominations (as the nomination wizard stores them) and their labels.
GENDER_LABELS = {"nam": "Nam", "nu": "Nữ"}
_NO_GENDER = "Chưa rõ"
_NO_BLOCK = "Chưa xếp khối/cụm"


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitFilter:
    """Which units the figures cover: all, or those of a block, of a kind, or one unit."""

    block: str | None = None
    kind: str | None = None
    unit_id: int | None = None

    @property
    def active(self) -> bool:
        """Whether any restriction is set."""
        return self.block is not None or self.kind is not None or self.unit_id is not None

    def clauses(self) -> list[ColumnElement[bool]]:
        """SQL conditions on :class:`Unit` for this filter."""
        found: list[ColumnElement[bool]] = []
        if self.block is not None:
            found.append(Unit.block == self.block)
        if self.kind is not None:
            found.append(Unit.kind == self.kind)
        if self.unit_id is not None:
            found.append(Unit.id == self.unit_id)
        return found


@dataclass(frozen=True, slots=True)
class UnitRef:
    """The few fields of a unit a list shows (no ORM object per row)."""

    id: int
    code: str
    name: str
    block: str | None
    kind: str

    def sort_key(self) -> tuple[Any, ...]:
        """Order of :meth:`UnitRepository.list_all`: block (none last), then name, Vietnamese."""
        return (self.block is None, vn_sort_key(self.block or ""), vn_sort_key(self.name), self.id)


@dataclass(frozen=True, slots=True)
class RequirementStats:
    """How the units a requirement applies to (within a filter) stand on it.

    ``submitted`` counts the units that have sent it (submitted or accepted); ``missing`` the
    others, including the partial and the returned ones.
    """

    campaign: Campaign
    requirement: Requirement
    today: dt.date
    total: int = 0
    submitted: int = 0
    accepted: int = 0
    returned: int = 0
    partial: int = 0
    late: int = 0

    @property
    def missing(self) -> int:
        """Units that still owe it (nothing sent, incomplete or returned)."""
        return self.total - self.submitted

    @property
    def on_time(self) -> int:
        """Units that sent it by the due date."""
        return self.submitted - self.late

    @property
    def on_time_pct(self) -> float | None:
        """Share of the applicable units that sent it on time, in percent (None: no unit)."""
        return 100.0 * self.on_time / self.total if self.total else None

    @property
    def days_left(self) -> int:
        """Days until the due date (negative when overdue)."""
        return (self.requirement.due_date - self.today).days

    @property
    def overdue(self) -> bool:
        """Whether the due date has passed with units still owing it."""
        return self.days_left < 0 and self.missing > 0


@dataclass(frozen=True, slots=True)
class UnitStanding:
    """One unit's standing on one requirement, read from SQL (the fields of a ``UnitMark``)."""

    unit: UnitRef
    mark: Mark
    at: dt.datetime | None = None
    late: bool = False
    parts_done: int = 0
    reason: str | None = None
    count: int = 0

    @property
    def done(self) -> bool:
        """Whether the requirement counts as sent (submitted or accepted)."""
        return self.mark in (Mark.SUBMITTED, Mark.ACCEPTED)


@dataclass(frozen=True, slots=True)
class MissingList:
    """The units that still owe a requirement, in :meth:`UnitRef.sort_key` order.

    ``units`` may be cut to a limit; ``more`` says how many were left out.
    """

    stats: RequirementStats
    units: tuple[UnitStanding, ...]

    @property
    def more(self) -> int:
        """Units that owe it but are not in ``units``."""
        return self.stats.missing - len(self.units)


@dataclass(frozen=True, slots=True)
class RecentItem:
    """Something a unit sent lately: a submission version, or its nominations.

    A unit's nominations for one requirement (or for none) make one item, at the newest one;
    ``nominations`` is then their number (withdrawn ones left out) and ``status`` is
    ``"submitted"``.
    """

    at: dt.datetime
    unit: UnitRef
    requirement: Requirement | None
    status: str
    late: bool = False
    part: str = ""
    nominations: int = 0


@dataclass(frozen=True, slots=True)
class Count:
    """One line of a breakdown."""

    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class AwardCount:
    """Nominations for one proposed form of recognition."""

    code: str
    name: str
    subject: str
    count: int


@dataclass(frozen=True, slots=True)
class NominationStats:
    """A campaign's nominations that stand (submitted or accepted), broken down.

    Withdrawn nominations are left out entirely. Returned ones do not count either (the unit has
    to correct them; they do not fulfil a nomination list): they are only counted in
    ``returned``.
    """

    campaign: Campaign
    total: int = 0
    accepted: int = 0
    returned: int = 0
    units: int = 0
    by_award: tuple[AwardCount, ...] = ()
    by_subject: tuple[Count, ...] = ()
    by_gender: tuple[Count, ...] = ()
    by_block: tuple[Count, ...] = ()
    by_unit: tuple[Count, ...] = ()


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    """Everything the secretariat's overview shows for one campaign."""

    campaign: Campaign
    today: dt.date
    requirements: tuple[RequirementStats, ...]
    overdue: tuple[MissingList, ...] = ()
    recent: tuple[RecentItem, ...] = ()
    nominations: NominationStats | None = None

    def number(self, requirement_id: int) -> int:
        """The requirement's number in the overview (1-based; 0 if unknown)."""
        ids = [s.requirement.id for s in self.requirements]
        return ids.index(requirement_id) + 1 if requirement_id in ids else 0

    def overdue_for(self, requirement_id: int) -> MissingList | None:
        """The overdue list of one requirement, if it has one."""
        return next((o for o in self.overdue if o.stats.requirement.id == requirement_id), None)


@dataclass(frozen=True, slots=True)
class FilterOption:
    """A value units can be filtered by, with how many units have it."""

    value: str
    label: str
    units: int


# ---------------------------------------------------------------------------------------------
# The rules of the requirements as SQL
# ---------------------------------------------------------------------------------------------


def _needs_parts(req: Requirement) -> bool:
    return req.kind is RequirementKind.DOSSIER and bool(req.parts)


def _cutoff(req: Requirement, tz: ZoneInfo) -> dt.datetime:
    """The first instant that is late: the start of the day after the due date, in ``tz``."""
    next_day = req.due_date + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def _unit_rule(req: Requirement) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Unit` for ``req`` to apply (none: every unit)."""
    rule: list[ColumnElement[bool]] = []
    if req.unit_codes:
        rule.append(Unit.code.in_(list(req.unit_codes)))
    if req.unit_kinds:
        rule.append(Unit.kind.in_(list(req.unit_kinds)))
    return rule


def _applies(reqs: Sequence[Requirement], rid: Any) -> ColumnElement[bool]:
    """Whether :class:`Unit` must submit requirement ``rid`` (``progress.applies`` in SQL)."""
    free = [r.id for r in reqs if not _unit_rule(r)]
    conds: list[ColumnElement[bool]] = [rid.in_(free)] if free else []
    conds.extend(and_(rid == r.id, *_unit_rule(r)) for r in reqs if _unit_rule(r))
    return or_(*conds) if conds else false()


def _needed_part(reqs: Sequence[Requirement]) -> ColumnElement[bool]:
    """Whether a :class:`Submission` is of a part its requirement needs."""
    plain = [r.id for r in reqs if not _needs_parts(r)]
    conds: list[ColumnElement[bool]] = (
        [and_(Submission.requirement_id.in_(plain), Submission.part == "")] if plain else []
    )
    conds.extend(
        and_(Submission.requirement_id == r.id, Submission.part.in_(sorted(set(r.parts))))
        for r in reqs
        if _needs_parts(r)
    )
    return or_(*conds) if conds else false()


def _needed_count(reqs: Sequence[Requirement], rid: Any) -> ColumnElement[int]:
    """How many distinct parts requirement ``rid`` needs."""
    counts = {r.id: len(set(r.parts)) for r in reqs if _needs_parts(r)}
    if not counts:
        return literal(1)
    return case(counts, value=rid, else_=1)


def _cutoffs(reqs: Sequence[Requirement], tz: ZoneInfo, rid: Any) -> ColumnElement[dt.datetime]:
    """The late-from instant of requirement ``rid``."""
    whens = {r.id: literal(_cutoff(r, tz), UTCDateTime()) for r in reqs}
    return case(whens, value=rid)


def _submission_totals(reqs: Sequence[Requirement]) -> Select[Any]:
    """Per (requirement, unit): the :func:`_activity` columns from the current submissions."""
    live = and_(Submission.status.in_(_LIVE), _needed_part(reqs))
    returned = Submission.status == SubmissionStatus.RETURNED
    return (
        select(
            Submission.requirement_id.label("rid"),
            Submission.unit_id.label("uid"),
            func.sum(case((returned, 1), else_=0)).label("n_returned"),
            func.count(distinct(case((live, Submission.part)))).label("parts_done"),
            func.sum(
                case((and_(live, Submission.status != SubmissionStatus.ACCEPTED), 1), else_=0)
            ).label("n_open"),
            func.max(case((live, Submission.submitted_at))).label("last_at"),
            func.max(case((returned, Submission.submitted_at))).label("returned_at"),
            literal(0).label("n_noms"),
            cast(null(), UTCDateTime()).label("first_at"),
        )
        .where(Submission.requirement_id.in_([r.id for r in reqs]), Submission.is_current)
        .group_by(Submission.requirement_id, Submission.unit_id)
    )


def _nomination_totals(reqs: Sequence[Requirement]) -> Select[Any]:
    """Per (requirement, unit): the :func:`_activity` columns from the counted nominations."""
    no_time = cast(null(), UTCDateTime())
    return (
        select(
            Nomination.requirement_id,
            Nomination.unit_id,
            literal(0),
            literal(0),
            literal(0),
            no_time,
            no_time,
            func.count(),
            func.min(Nomination.created_at),
        )
        .where(
            Nomination.requirement_id.in_([r.id for r in reqs]),
            Nomination.status.in_(_COUNTED),
        )
        .group_by(Nomination.requirement_id, Nomination.unit_id)
    )


def _activity(reqs: Sequence[Requirement]) -> Any:
    """Per (requirement, unit) that has sent anything: what counts for its mark.

    Columns: ``rid``, ``uid``; from the current submissions ``n_returned`` (returned versions),
    ``parts_done`` (distinct needed parts submitted or accepted), ``n_open`` (of those, versions
    not accepted), ``last_at`` (the newest of those), ``returned_at`` (the newest returned);
    from the nominations that count (for nomination lists only) ``n_noms`` and ``first_at``.

    Only the nomination lists (usually one or two requirements) combine both sources, so only
    their rows are aggregated twice.
    """
    lists = [r for r in reqs if r.kind is RequirementKind.NOMINATION_LIST]
    others = [r for r in reqs if r.kind is not RequirementKind.NOMINATION_LIST]
    if not lists:
        return _submission_totals(others).subquery("activity")
    both = union_all(_submission_totals(lists), _nomination_totals(lists)).subquery("both")
    b = both.c
    combined = select(
        b.rid,
        b.uid,
        func.sum(b.n_returned).label("n_returned"),
        func.sum(b.parts_done).label("parts_done"),
        func.sum(b.n_open).label("n_open"),
        func.max(b.last_at).label("last_at"),
        func.max(b.returned_at).label("returned_at"),
        func.sum(b.n_noms).label("n_noms"),
        func.min(b.first_at).label("first_at"),
    ).group_by(b.rid, b.uid)
    if not others:
        return combined.subquery("activity")
    return union_all(_submission_totals(others), combined).subquery("activity")


def _mark_columns(
    reqs: Sequence[Requirement], tz: ZoneInfo, act: Any, rid: Any
) -> tuple[Any, ...]:
    """The labelled mark columns of an :func:`_activity` row.

    Mark, time, late-from instant, parts done and nominations; the activity columns are NULL
    when outer-joined to a unit that has sent nothing.
    """
    returned = func.coalesce(act.c.n_returned, 0) > 0
    nominated = func.coalesce(act.c.n_noms, 0) > 0
    parts = func.coalesce(act.c.parts_done, 0)
    mark = case(
        (returned, _RETURNED),
        (nominated, _SUBMITTED),
        (parts == 0, _MISSING),
        (parts < _needed_count(reqs, rid), _PARTIAL),
        (act.c.n_open == 0, _ACCEPTED),
        else_=_SUBMITTED,
    )
    at = case((returned, act.c.returned_at), (nominated, act.c.first_at), else_=act.c.last_at)
    return (
        mark.label("mark"),
        at.label("at"),
        _cutoffs(reqs, tz, rid).label("cutoff"),
        parts.label("parts_done"),
        func.coalesce(act.c.n_noms, 0).label("n_noms"),
    )


def _marks(
    reqs: Sequence[Requirement], tz: ZoneInfo, where: UnitFilter, *unit_columns: Any
) -> Select[Any]:
    """One row per (requirement, applicable unit), including the units that sent nothing."""
    act = _activity(reqs)
    return (
        select(
            Requirement.id.label("rid"),
            Unit.id.label("uid"),
            *_mark_columns(reqs, tz, act, Requirement.id),
            *unit_columns,
        )
        .select_from(Unit)
        .join(
            Requirement,
            and_(Requirement.id.in_([r.id for r in reqs]), _applies(reqs, Requirement.id)),
        )
        .outerjoin(act, and_(act.c.rid == Requirement.id, act.c.uid == Unit.id))
        .where(*where.clauses())
    )


def _active_marks(reqs: Sequence[Requirement], tz: ZoneInfo, where: UnitFilter) -> Select[Any]:
    """Like :func:`_marks`, but only for the units that have sent something.

    Cheaper when only counts of the units that have sent are needed.
    """
    act = _activity(reqs)
    return (
        select(act.c.rid, *_mark_columns(reqs, tz, act, act.c.rid))
        .select_from(act)
        .join(Unit, Unit.id == act.c.uid)
        .where(_applies(reqs, act.c.rid), *where.clauses())
    )


def _late(marks: Any) -> ColumnElement[bool]:
    return and_(marks.c.mark >= _SUBMITTED, marks.c.at >= marks.c.cutoff)


def _today(campaign: Campaign, now: dt.datetime) -> tuple[ZoneInfo, dt.date]:
    tz = ZoneInfo(campaign.timezone)
    return tz, now.astimezone(tz).date()


def _unit_ref(row: Any) -> UnitRef:
    return UnitRef(row.uid, row.code, row.name, row.block, row.kind)


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------


async def requirement_stats(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter | None = None,
    *,
    requirements: Sequence[Requirement] | None = None,
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

    Returns:
        One :class:`RequirementStats` per requirement (zeros where no unit applies).
    """
    where = where or UnitFilter()
    tz, today = _today(campaign, now)
    reqs = requirements
    if reqs is None:
        reqs = await CampaignRepository(session).requirements_for(campaign.id)
    if not reqs:
        return []
    # The units each requirement applies to: one pass over the units.
    rules = [and_(true(), *_unit_rule(r)) for r in reqs]
    totals = (
        await session.execute(
            select(*(func.sum(case((rule, 1), else_=0)) for rule in rules))
            .select_from(Unit)
            .where(*where.clauses())
        )
    ).one()
    # How the units that have sent anything stand: only their (requirement, unit) pairs.
    marks = _active_marks(reqs, tz, where).subquery("marks")
    m = marks.c

    def count(cond: ColumnElement[bool]) -> Any:
        return func.sum(case((cond, 1), else_=0))

    rows = await session.execute(
        select(
            m.rid,
            count(m.mark >= _SUBMITTED),
            count(m.mark == _ACCEPTED),
            count(m.mark == _RETURNED),
            count(m.mark == _PARTIAL),
            count(_late(marks)),
        ).group_by(m.rid)
    )
    by_id = {row[0]: tuple(int(v or 0) for v in row[1:]) for row in rows.tuples()}
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


async def _standings(
    session: AsyncSession,
    reqs: Sequence[Requirement],
    tz: ZoneInfo,
    where: UnitFilter,
    *,
    owing_only: bool,
    limit: int | None,
) -> dict[int, list[UnitStanding]]:
    """{requirement id: standings of its units}, at most ``limit`` per requirement."""
    if not reqs:
        return {}
    marks = _marks(reqs, tz, where, Unit.code, Unit.name, Unit.block, Unit.kind).subquery("marks")
    m = marks.c
    rank = func.row_number().over(partition_by=m.rid, order_by=m.uid).label("rank")
    ranked = select(marks, rank)
    if owing_only:
        ranked = ranked.where(m.mark < _SUBMITTED)
    inner = ranked.subquery("ranked")
    query = select(inner)
    if limit is not None:
        query = query.where(inner.c.rank <= limit)
    rows = (await session.execute(query)).all()
    returned = [(row.rid, row.uid) for row in rows if row.mark == _RETURNED]
    reasons = (
        await _return_reasons(session, reqs, returned if limit is not None else None)
        if returned
        else {}
    )
    found: dict[int, list[UnitStanding]] = {}
    for row in rows:
        late = row.mark >= _SUBMITTED and row.at >= row.cutoff
        found.setdefault(row.rid, []).append(
            UnitStanding(
                _unit_ref(row),
                _MARKS[row.mark],
                row.at if row.mark != _MISSING else None,
                late,
                parts_done=(
                    int(row.parts_done) if row.mark in _PARTS_SHOWN and not row.n_noms else 0
                ),
                reason=reasons.get((row.rid, row.uid)),
                count=int(row.n_noms) if row.mark == _SUBMITTED else 0,
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
) -> dict[int, list[UnitStanding]]:
    """Every applicable unit's standing on every requirement, in one query.

    Returns:
        {requirement id: standings in :meth:`UnitRef.sort_key` order}; a requirement no unit
        (within ``where``) has to submit is absent.
    """
    tz, _ = _today(campaign, now)
    reqs = await CampaignRepository(session).requirements_for(campaign.id)
    return await _standings(session, reqs, tz, where or UnitFilter(), owing_only=False, limit=None)


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
    tz, _ = _today(campaign, now)
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
    )
    return [MissingList(s, tuple(lists.get(s.requirement.id, ()))) for s in wanted]


async def recent_activity(
    session: AsyncSession,
    campaign: Campaign,
    where: UnitFilter | None = None,
    *,
    limit: int = 5,
    requirements: Sequence[Requirement] | None = None,
) -> list[RecentItem]:
    """The newest things units sent for ``campaign``, newest first.

    Current submission versions and nominations count; withdrawn ones are left out.
    """
    where = where or UnitFilter()
    tz = ZoneInfo(campaign.timezone)
    reqs = requirements
    if reqs is None:
        reqs = await CampaignRepository(session).requirements_for(campaign.id)
    by_id = {r.id: r for r in reqs}
    unit_cols = (Unit.id.label("uid"), Unit.code, Unit.name, Unit.block, Unit.kind)
    items: list[RecentItem] = []
    if by_id:
        subs = await session.execute(
            select(
                Submission.submitted_at,
                Submission.requirement_id,
                Submission.status,
                Submission.part,
                *unit_cols,
            )
            .join(Unit, Unit.id == Submission.unit_id)
            .where(
                Submission.requirement_id.in_(list(by_id)),
                Submission.is_current,
                Submission.status != SubmissionStatus.WITHDRAWN,
                *where.clauses(),
            )
            .order_by(Submission.submitted_at.desc(), Submission.id.desc())
            .limit(limit)
        )
        for row in subs:
            req = by_id[row.requirement_id]
            items.append(
                RecentItem(
                    row.submitted_at,
                    _unit_ref(row),
                    req,
                    row.status.value,
                    row.submitted_at >= _cutoff(req, tz),
                    part=row.part,
                )
            )
    items.extend(await _recent_nominations(session, campaign, by_id, where, limit, tz))
    items.sort(key=lambda it: it.at, reverse=True)
    return items[:limit]


#: How many of the newest nominations :func:`_recent_nominations` looks at to find the newest
#: batches (units send nominations in batches of a few to a few dozen).
_RECENT_WINDOW = 200


async def _recent_nominations(
    session: AsyncSession,
    campaign: Campaign,
    by_id: dict[int, Requirement],
    where: UnitFilter,
    limit: int,
    tz: ZoneInfo,
) -> list[RecentItem]:
    """The newest batches of nominations: one item per unit and requirement, at its newest.

    The newest batches are the first distinct (unit, requirement) pairs among the newest
    nominations, so only a window of them is read (by index); then the pairs' counts.
    """
    newest = (
        select(
            Nomination.unit_id.label("uid"),
            Nomination.requirement_id.label("rid"),
            Nomination.created_at.label("at"),
        )
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.status != NominationStatus.WITHDRAWN,
            *where.clauses(),
        )
        .order_by(Nomination.created_at.desc(), Nomination.id.desc())
        .limit(_RECENT_WINDOW)
        .subquery("newest")
    )
    last_at = func.max(newest.c.at).label("at")
    pairs = list(
        await session.execute(
            select(newest.c.uid, newest.c.rid, last_at)
            .group_by(newest.c.uid, newest.c.rid)
            .order_by(last_at.desc(), newest.c.uid)
            .limit(limit)
        )
    )
    if not pairs:
        return []
    same_pair = [
        and_(
            Nomination.unit_id == uid,
            Nomination.requirement_id.is_(None)
            if rid is None
            else Nomination.requirement_id == rid,
        )
        for uid, rid, _ in pairs
    ]
    counts = await session.execute(
        select(
            Nomination.unit_id,
            Nomination.requirement_id,
            func.count(),
            Unit.code,
            Unit.name,
            Unit.block,
            Unit.kind,
        )
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.status != NominationStatus.WITHDRAWN,
            or_(*same_pair),
        )
        .group_by(
            Nomination.unit_id,
            Nomination.requirement_id,
            Unit.code,
            Unit.name,
            Unit.block,
            Unit.kind,
        )
    )
    found = {
        (uid, rid): (n, UnitRef(uid, code, name, block, kind))
        for uid, rid, n, code, name, block, kind in counts.tuples()
    }
    items = []
    for uid, rid, at in pairs:
        n, unit = found[(uid, rid)]
        req = by_id.get(rid) if rid is not None else None
        items.append(
            RecentItem(
                at,
                unit,
                req,
                "submitted",
                req is not None and at >= _cutoff(req, tz),
                nominations=int(n),
            )
        )
    return items


async def nomination_stats(
    session: AsyncSession,
    campaign: Campaign,
    where: UnitFilter | None = None,
    *,
    unit_limit: int | None = 5,
) -> NominationStats:
    """The nominations of ``campaign`` that stand, by form, subject, gender, block and unit.

    Args:
        session: The open session.
        campaign: The campaign.
        where: Which units' nominations (by block, kind or one unit).
        unit_limit: At most this many units in ``by_unit`` (most nominations first); None for
            all of them.

    Returns:
        The figures; see :class:`NominationStats` for what counts.
    """
    where = where or UnitFilter()
    base = [Nomination.campaign_id == campaign.id, Nomination.status != NominationStatus.WITHDRAWN]
    if where.active:  # a semi-join on the units: the nominations are still read from an index
        base.append(Nomination.unit_id.in_(select(Unit.id).where(*where.clauses())))

    def scoped(query: Select[Any]) -> Select[Any]:
        return query.where(*base)

    # 1. Totals and the breakdowns by form, subject and gender: one grouped query (a few
    #    dozen groups, read from an index), rolled up below.
    cube = await session.execute(
        scoped(
            select(
                Nomination.award_code,
                Nomination.subject,
                Nomination.gender,
                Nomination.status,
                func.count(),
            ).select_from(Nomination)
        ).group_by(Nomination.award_code, Nomination.subject, Nomination.gender, Nomination.status)
    )
    totals = {"total": 0, "accepted": 0, "returned": 0}
    awards: dict[tuple[str, str], int] = {}
    subjects: dict[str, int] = {}
    genders: dict[str, int] = {}
    for code, subject, gender, status, n in cube.tuples():
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
        Count(code, GENDER_LABELS.get(code, _NO_GENDER), genders[code])
        for code in (*GENDER_LABELS, *sorted(set(genders) - set(GENDER_LABELS)))
        if genders.get(code)
    ]

    # 2. Per unit (from an index), then by block and the units with the most.
    per_unit = (
        select(Nomination.unit_id.label("uid"), func.count().label("n"))
        .where(Nomination.campaign_id == campaign.id, Nomination.status.in_(_COUNTED))
        .group_by(Nomination.unit_id)
        .subquery("per_unit")
    )
    blocks = await session.execute(
        select(Unit.block, func.sum(per_unit.c.n), func.count())
        .select_from(per_unit)
        .join(Unit, Unit.id == per_unit.c.uid)
        .where(*where.clauses())
        .group_by(Unit.block)
    )
    block_rows = list(blocks.tuples())
    by_block = sorted(
        (Count(b or "", b or _NO_BLOCK, int(n)) for b, n, _ in block_rows),
        key=lambda c: (-c.count, not c.key, vn_sort_key(c.label)),
    )
    top = (
        select(per_unit.c.uid, Unit.name, per_unit.c.n)
        .join(Unit, Unit.id == per_unit.c.uid)
        .where(*where.clauses())
        .order_by(per_unit.c.n.desc(), Unit.id)
    )
    if unit_limit is not None:
        top = top.limit(unit_limit)
    by_unit = [Count(str(uid), name, n) for uid, name, n in await session.execute(top)]
    return NominationStats(
        campaign,
        totals["total"],
        totals["accepted"],
        totals["returned"],
        sum(int(units) for _, _, units in block_rows),
        tuple(by_award),
        tuple(by_subject),
        tuple(by_gender),
        tuple(by_block),
        tuple(by_unit),
    )


async def _award_counts(
    session: AsyncSession, campaign: Campaign, counts: dict[tuple[str, str], int]
) -> list[AwardCount]:
    """Name the (award code, subject) counts from the campaign's catalogue, most first.

    A code the catalogue no longer has is named as its nominations name it.
    """
    catalogue = {
        code: (name, pos)
        for code, name, pos in await session.execute(
            select(AwardForm.code, AwardForm.name, AwardForm.position).where(
                AwardForm.campaign_id == campaign.id
            )
        )
    }
    unknown = sorted({code for code, _ in counts if code not in catalogue})
    if unknown:
        rows = await session.execute(
            select(Nomination.award_code, func.min(Nomination.award_name))
            .where(Nomination.campaign_id == campaign.id, Nomination.award_code.in_(unknown))
            .group_by(Nomination.award_code)
        )
        catalogue.update({code: (name, len(catalogue)) for code, name in rows.tuples()})
    found = [
        AwardCount(code, catalogue.get(code, (code, 0))[0], subject, n)
        for (code, subject), n in counts.items()
    ]
    found.sort(key=lambda a: (-a.count, catalogue.get(a.code, ("", 0))[1], a.code, a.subject))
    return found


async def campaign_status(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter | None = None,
    *,
    recent_limit: int = 5,
    overdue_limit: int = 3,
) -> CampaignStatus:
    """The secretariat's overview of one campaign, from aggregate queries.

    Requirement figures, the overdue units (at most ``overdue_limit`` per requirement), the
    ``recent_limit`` newest items sent and the nomination figures.
    """
    where = where or UnitFilter()
    _, today = _today(campaign, now)
    reqs = await CampaignRepository(session).requirements_for(campaign.id)
    stats = await requirement_stats(session, campaign, now, where, requirements=reqs)
    overdue = await missing_units(
        session, campaign, now, where, overdue_only=True, limit=overdue_limit, stats=stats
    )
    recent = await recent_activity(session, campaign, where, limit=recent_limit, requirements=reqs)
    noms = await nomination_stats(session, campaign, where, unit_limit=3)
    return CampaignStatus(campaign, today, tuple(stats), tuple(overdue), tuple(recent), noms)


async def block_options(session: AsyncSession) -> list[FilterOption]:
    """Blocks (khối/cụm) that units belong to, in Vietnamese order, with their unit counts."""
    rows = await session.execute(
        select(Unit.block, func.count()).where(Unit.block.is_not(None)).group_by(Unit.block)
    )
    found = [FilterOption(b, b, n) for b, n in rows.tuples() if b]
    return sorted(found, key=lambda o: vn_sort_key(o.value))


async def kind_options(session: AsyncSession) -> list[FilterOption]:
    """Unit kinds present, in vocabulary order, with their unit counts."""
    rows = await session.execute(select(Unit.kind, func.count()).group_by(Unit.kind))
    rank = {kind: i for i, kind in enumerate(UNIT_KINDS)}
    found = [FilterOption(k, UNIT_KINDS.get(k, k), n) for k, n in rows.tuples()]
    return sorted(found, key=lambda o: (rank.get(o.value, len(rank)), o.value))

"""What an export holds: the queries behind every table and report, scoped to a campaign/unit.

Each function takes a :class:`Scope` (a campaign, optionally one unit, and the moment "tính đến")
and runs a handful of queries; nothing here knows about spreadsheets or Word documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.progress import Mark
from handlers.queries.export_moment import settled_at
from handlers.queries.export_scope import ExportFormat, ExportKind, Scope
from handlers.queries.stats import (
    AwardCount,
    NominationStats,
    RequirementStats,
    UnitFilter,
    UnitRef,
    UnitStanding,
    nomination_stats,
    requirement_stats,
    unit_refs,
    unit_standings,
)
from storage.models import (
    Campaign,
    Delegate,
    DelegateCategory,
    Nomination,
    NominationStatus,
    Requirement,
    StoredFile,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "ACTIVE_DELEGATE",
    "STREAM_ROWS",
    "STREAM_UNITS",
    "UPCOMING_DAYS",
    "DelegateGroup",
    "ExportFormat",
    "ExportKind",
    "FileEntry",
    "NominationData",
    "NominationRow",
    "Progress",
    "Report",
    "RequirementFigures",
    "Scope",
    "accepted_files",
    "campaign_for",
    "delegate_groups",
    "find_unit",
    "nomination_rows",
    "progress",
    "report",
    "reported_campaigns",
    "stream_nomination_rows",
]

#: ``Delegate.status`` of a delegate who counts (the other value is "withdrawn").
ACTIVE_DELEGATE = "active"


#: How far ahead a deadline counts as "sắp đến hạn" in a report.
UPCOMING_DAYS = 30


# -- finding the campaign and the unit -----------------------------------------------------------
async def reported_campaigns(session: AsyncSession) -> list[Campaign]:
    """The active and closed campaigns (what exports cover), oldest first."""
    return await CampaignRepository(session).get_reported()


async def campaign_for(session: AsyncSession, code: str | None) -> Campaign | None:
    """The campaign with ``code``, or without a code the newest active or closed one.

    Raises:
        UserError: No campaign has ``code`` (``campaign_not_found``).
    """
    repo = CampaignRepository(session)
    if code:
        found = await repo.get_by_code(code)
        if found is None:
            raise UserError("campaign_not_found", code=code)
        return found
    reported = await repo.get_reported()
    return reported[-1] if reported else None


async def find_unit(session: AsyncSession, ref: str) -> Unit:
    """The unit a code or a name refers to.

    Raises:
        UserError: No unit (or more than one) matches ``ref`` (``unit_not_found``).
    """
    repo = UnitRepository(session)
    unit = await repo.get_by_code(ref) or await repo.find(ref)
    if unit is None:
        raise UserError("unit_not_found", ref=ref)
    return unit


async def _units(session: AsyncSession, scope: Scope) -> list[Unit]:
    """The units in scope, in the usual order (block, then name)."""
    if scope.unit is not None:
        return [scope.unit]
    return await UnitRepository(session).list_all()


# -- progress ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RequirementFigures:
    """One requirement: its figures and how each unit it applies to (in scope) stands on it.

    Both come from the status figures' SQL (:mod:`handlers.queries.stats`), the one place
    the counting rules are written; ``standings`` are in the units' usual order.
    """

    stats: RequirementStats
    standings: tuple[UnitStanding, ...]
    #: Units that sent it by the due date.
    on_time: tuple[UnitStanding, ...] = field(init=False, repr=False, compare=False)
    #: Units that sent it after the due date.
    late: tuple[UnitStanding, ...] = field(init=False, repr=False, compare=False)
    #: Units that still owe it (nothing sent, incomplete or returned); nobody owes a
    #: requirement "chưa có hạn" (no due date yet).
    owing: tuple[UnitStanding, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split once: a report reads each list several times, of up to 10 000 units each.
        on_time: list[UnitStanding] = []
        late: list[UnitStanding] = []
        owing: list[UnitStanding] = []
        undated = self.stats.requirement.due_date is None
        for s in self.standings:
            if not s.done:
                if not undated:
                    owing.append(s)
            elif s.late:
                late.append(s)
            else:
                on_time.append(s)
        object.__setattr__(self, "on_time", tuple(on_time))
        object.__setattr__(self, "late", tuple(late))
        object.__setattr__(self, "owing", tuple(owing))

    @property
    def requirement(self) -> Requirement:
        """The requirement."""
        return self.stats.requirement

    @property
    def days_left(self) -> int | None:
        """Days until the due date (negative when overdue; None: "chưa có hạn")."""
        return self.stats.days_left

    @property
    def total(self) -> int:
        """Units the requirement applies to."""
        return self.stats.total

    @property
    def done(self) -> int:
        """Units that have sent it."""
        return self.stats.submitted

    @property
    def is_due(self) -> bool:
        """Whether its due date has passed (the due day itself is not over yet)."""
        return self.days_left is not None and self.days_left < 0

    @property
    def percent(self) -> int:
        """The share of units that have sent it, rounded (100 when it applies to none)."""
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def returned(self) -> tuple[UnitStanding, ...]:
        """Units whose submission was returned."""
        return tuple(s for s in self.owing if s.mark is Mark.RETURNED)

    def standing_of(self, unit_id: int) -> UnitStanding | None:
        """How one unit stands on it; None when it does not apply to the unit."""
        return next((s for s in self.standings if s.unit.id == unit_id), None)


@dataclass(frozen=True, slots=True)
class Progress:
    """The units in scope (in order) and every requirement with their standings."""

    units: tuple[Unit | UnitRef, ...]
    items: tuple[RequirementFigures, ...]


def _where(scope: Scope) -> UnitFilter:
    return UnitFilter(unit_id=scope.unit.id) if scope.unit is not None else UnitFilter()


async def _figures(
    session: AsyncSession, scope: Scope
) -> tuple[tuple[RequirementFigures, ...], dt.datetime | None]:
    """Every requirement of the campaign with the standings of the units in scope.

    Also the ``as_of`` the figures were read with: None when the read models already show the
    campaign as it stood at ``scope.now`` (:func:`settled_at`), else ``scope.now``.
    """
    campaign, now, where = scope.campaign, scope.now, _where(scope)
    reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    # "Tính đến" a moment: what was sent and reviewed after it is not counted.
    settled = await settled_at(session, campaign.id, [r.id for r in reqs], now)
    as_of = None if settled else now
    stats = await requirement_stats(session, campaign, now, where, requirements=reqs, as_of=as_of)
    standings = await unit_standings(session, campaign, now, where, requirements=reqs, as_of=as_of)
    figures = tuple(
        RequirementFigures(s, tuple(standings.get(s.requirement.id, ()))) for s in stats
    )
    return figures, as_of


async def progress(session: AsyncSession, scope: Scope) -> Progress:
    """Every requirement of the campaign with the standings of the units in scope."""
    figures, _ = await _figures(session, scope)
    if scope.unit is not None:
        return Progress((scope.unit,), figures)
    refs = await unit_refs(session, UnitFilter())  # the fields shown, not 10 000 ORM objects
    ordered: list[UnitRef] = sorted(refs.values(), key=UnitRef.sort_key)
    return Progress(tuple(ordered), figures)


# -- nominations ---------------------------------------------------------------------------------
#: Units per query of a streamed list (their order is sent as a CASE: a bounded statement).
STREAM_UNITS = 500
#: Rows fetched at a time by a streamed list.
STREAM_ROWS = 2000


@dataclass(frozen=True, slots=True)
class NominationData:
    """What a list shows of a nomination: a plain row, not an ORM object."""

    id: int
    subject: SubjectKind
    full_name: str
    gender: str | None
    birth_year: int | None
    position: str | None
    award_name: str
    summary: str
    status: NominationStatus
    return_reason: str | None
    created_at: dt.datetime


_DATA_COLUMNS = (
    Nomination.id,
    Nomination.subject,
    Nomination.full_name,
    Nomination.gender,
    Nomination.birth_year,
    Nomination.position,
    Nomination.award_name,
    Nomination.summary,
    Nomination.status,
    Nomination.return_reason,
    Nomination.created_at,
)


@dataclass(frozen=True, slots=True)
class NominationRow:
    """One nomination with its unit."""

    nomination: Nomination | NominationData
    unit: Unit

    @property
    def returned(self) -> bool:
        """Whether the secretariat sent it back for completion."""
        return self.nomination.status is NominationStatus.RETURNED


async def nomination_rows(
    session: AsyncSession, scope: Scope, *, accepted_only: bool = False
) -> list[NominationRow]:
    """The campaign's nominations in scope that are not withdrawn (or only the accepted ones).

    Returned nominations are kept (flagged by :attr:`NominationRow.returned`): they are still in
    play until the unit completes or withdraws them. Ordered by unit (block, then name), then in
    the order they were sent. Only those created by ``scope.now`` (and accepted by then, for
    ``accepted_only``) are listed.
    """
    units = await _units(session, scope)
    order = {u.id: index for index, u in enumerate(units)}
    stmt = select(Nomination).where(*_in_play(scope, accepted_only=accepted_only))
    if scope.unit is not None:
        stmt = stmt.where(Nomination.unit_id == scope.unit.id)
    by_id = {u.id: u for u in units}
    rows = [
        NominationRow(n, by_id[n.unit_id])
        for n in await session.scalars(stmt)
        if n.unit_id in by_id
    ]
    rows.sort(key=lambda r: (order[r.unit.id], r.nomination.created_at, r.nomination.id))
    return rows


def _in_play(
    scope: Scope, *, accepted_only: bool, created: bool = True
) -> list[ColumnElement[bool]]:
    """The nominations of :func:`nomination_rows` (any unit); all created, without ``created``."""
    found = [
        Nomination.campaign_id == scope.campaign.id,
        # Withdrawn after the moment: still in play then.
        or_(Nomination.status != NominationStatus.WITHDRAWN, Nomination.updated_at > scope.now),
    ]
    if created:
        found.append(Nomination.created_at <= scope.now)
    if accepted_only:
        found += [
            Nomination.status == NominationStatus.ACCEPTED,
            Nomination.updated_at <= scope.now,
        ]
    return found


async def stream_nomination_rows(
    session: AsyncSession, scope: Scope, subject: SubjectKind, *, accepted_only: bool = False
) -> AsyncIterator[list[NominationRow]]:
    """The rows of :func:`nomination_rows` of one ``subject``, in order, a batch at a time.

    For a list too long to hold: plain rows (:class:`NominationData`), fetched
    :data:`STREAM_ROWS` at a time by a server-side cursor, :data:`STREAM_UNITS` units per
    query, each query ordered in SQL by the units' usual order (a CASE on the unit).
    """
    units = await _units(session, scope)
    # Not "created by the moment" in SQL: SQLite would then read the campaign's nominations
    # by their creation time for every group of units (all 500 000 of them, 40 times over)
    # instead of by unit; the few created after the moment are left out here.
    where = _in_play(scope, accepted_only=accepted_only, created=False)
    now = scope.now
    for start in range(0, len(units), STREAM_UNITS):
        chunk = units[start : start + STREAM_UNITS]
        by_id = {u.id: u for u in chunk}
        order = case({u.id: index for index, u in enumerate(chunk)}, value=Nomination.unit_id)
        stmt = (
            select(Nomination.unit_id, *_DATA_COLUMNS)
            .where(*where, Nomination.subject == subject, Nomination.unit_id.in_(list(by_id)))
            .order_by(order, Nomination.created_at, Nomination.id)
            .execution_options(yield_per=STREAM_ROWS)
        )
        result = await session.stream(stmt)
        async for part in result.partitions():
            rows = [
                NominationRow(NominationData(*row[1:]), by_id[row[0]])
                for row in part
                if row.created_at <= now
            ]
            if rows:
                yield rows


# -- delegates -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DelegateGroup:
    """A unit and its active delegates."""

    unit: Unit
    delegates: tuple[Delegate, ...]

    @property
    def exemplary(self) -> int:
        """How many are exemplary people (điển hình)."""
        return sum(1 for d in self.delegates if d.category is DelegateCategory.EXEMPLARY)

    @property
    def guests(self) -> int:
        """How many are guests (khách mời)."""
        return sum(1 for d in self.delegates if d.category is DelegateCategory.GUEST)

    @property
    def presidium(self) -> int:
        """How many sit in the presidium (đoàn chủ tịch)."""
        return sum(1 for d in self.delegates if d.in_presidium)


async def delegate_groups(session: AsyncSession, scope: Scope) -> list[DelegateGroup]:
    """Active delegates of the campaign, grouped by unit (units without delegates left out)."""
    stmt = select(Delegate).where(
        Delegate.campaign_id == scope.campaign.id, Delegate.status == ACTIVE_DELEGATE
    )
    if scope.unit is not None:
        stmt = stmt.where(Delegate.unit_id == scope.unit.id)
    by_unit: dict[int, list[Delegate]] = {}
    for delegate in await session.scalars(stmt.order_by(Delegate.id)):
        by_unit.setdefault(delegate.unit_id, []).append(delegate)
    return [
        DelegateGroup(unit, tuple(by_unit[unit.id]))
        for unit in await _units(session, scope)
        if unit.id in by_unit
    ]


# -- the summary report --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Report:
    """The figures of "Báo cáo tổng hợp tình hình thực hiện kế hoạch"."""

    scope: Scope
    requirements: tuple[RequirementFigures, ...]
    #: The nominations in scope that stand (see :class:`NominationStats`).
    nomination_figures: NominationStats
    #: Nominations per award form, in the catalogue's order.
    forms: tuple[AwardCount, ...]
    #: Units (in scope) that have sent at least one requirement late, in unit order.
    late_units: tuple[UnitRef, ...]
    #: Units that still owe at least one requirement already past its due date.
    overdue_units: tuple[UnitRef, ...]

    @property
    def individuals(self) -> int:
        """Nominations of individuals that count (sent or accepted)."""
        return self._by_subject(SubjectKind.INDIVIDUAL)

    @property
    def collectives(self) -> int:
        """Nominations of collectives that count (sent or accepted)."""
        return self._by_subject(SubjectKind.COLLECTIVE)

    @property
    def nominations(self) -> int:
        """Nominations that count (sent or accepted)."""
        return self.nomination_figures.total

    @property
    def nominating_units(self) -> int:
        """Units with at least one nomination that counts."""
        return self.nomination_figures.units

    @property
    def returned_nominations(self) -> int:
        """Nominations returned for completion (not counted)."""
        return self.nomination_figures.returned

    def _by_subject(self, subject: SubjectKind) -> int:
        found = (c.count for c in self.nomination_figures.by_subject if c.key == subject.value)
        return next(found, 0)

    @property
    def due(self) -> tuple[RequirementFigures, ...]:
        """Requirements whose due date has passed."""
        return tuple(r for r in self.requirements if r.is_due)

    @property
    def upcoming(self) -> tuple[RequirementFigures, ...]:
        """Requirements due within :data:`UPCOMING_DAYS` that some unit still owes."""
        return tuple(
            r
            for r in self.requirements
            if r.days_left is not None
            and not r.is_due
            and r.owing
            and r.days_left <= UPCOMING_DAYS
        )

    @property
    def later(self) -> tuple[RequirementFigures, ...]:
        """Requirements due after :data:`UPCOMING_DAYS` (summed up in one line, not urged)."""
        return tuple(
            r for r in self.requirements if r.days_left is not None and r.days_left > UPCOMING_DAYS
        )

    @property
    def undated(self) -> tuple[RequirementFigures, ...]:
        """Requirements "chưa có hạn" (no due date yet: listed, not owed)."""
        return tuple(r for r in self.requirements if r.days_left is None)

    @property
    def due_done(self) -> int:
        """Sent (unit, requirement) pairs among the requirements already due."""
        return sum(r.done for r in self.due)

    @property
    def due_total(self) -> int:
        """(unit, requirement) pairs among the requirements already due."""
        return sum(r.total for r in self.due)

    @property
    def due_percent(self) -> int | None:
        """The completion rate of what is due, rounded; None when nothing is due yet."""
        return round(100 * self.due_done / self.due_total) if self.due_total else None

    @property
    def complete(self) -> tuple[RequirementFigures, ...]:
        """Due requirements every unit has sent."""
        return tuple(r for r in self.due if r.total and not r.owing)

    @property
    def weakest(self) -> RequirementFigures | None:
        """The due requirement with the lowest share sent (the first of equals)."""
        candidates = [r for r in self.due if r.total and r.owing]
        return min(candidates, key=lambda r: r.done / r.total) if candidates else None


def _in_order(standings: Iterable[UnitStanding]) -> tuple[UnitRef, ...]:
    """The distinct units of ``standings``, in the units' usual order."""
    units = {s.unit.id: s.unit for s in standings}
    return tuple(sorted(units.values(), key=UnitRef.sort_key))


async def report(session: AsyncSession, scope: Scope) -> Report:
    """Compute the summary report's figures."""
    figures, as_of = await _figures(session, scope)
    noms = await nomination_stats(
        session, scope.campaign, _where(scope), unit_limit=0, as_of=as_of
    )
    return Report(
        scope=scope,
        requirements=figures,
        nomination_figures=noms,
        forms=tuple(sorted(noms.by_award, key=lambda a: (a.rank, a.code, a.subject))),
        late_units=_in_order(s for f in figures for s in f.late),
        overdue_units=_in_order(s for f in figures if f.is_due for s in f.owing),
    )


# -- files ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FileEntry:
    """One accepted file: whose, for what, and the stored file."""

    unit: Unit
    #: The requirement's title, or the nominee's name for a nomination's file.
    topic: str
    #: The dossier part, if any.
    part: str
    file: StoredFile
    sent_at: dt.datetime
    is_nomination: bool = False


async def accepted_files(session: AsyncSession, scope: Scope) -> list[FileEntry]:
    """The files of the accepted current submissions and accepted nominations, in unit order."""
    units = await _units(session, scope)
    by_id = {u.id: u for u in units}
    order = {u.id: index for index, u in enumerate(units)}
    subs = await session.execute(
        select(Submission, StoredFile, Requirement)
        .join(StoredFile, StoredFile.id == Submission.file_id)
        .join(Requirement, Requirement.id == Submission.requirement_id)
        .where(
            Requirement.campaign_id == scope.campaign.id,
            Submission.is_current.is_(True),
            Submission.status == SubmissionStatus.ACCEPTED,
        )
    )
    entries = [
        FileEntry(by_id[sub.unit_id], req.title, sub.part, stored, sub.submitted_at)
        for sub, stored, req in subs.tuples()
        if sub.unit_id in by_id
    ]
    noms = await session.execute(
        select(Nomination, StoredFile)
        .join(StoredFile, StoredFile.id == Nomination.file_id)
        .where(
            Nomination.campaign_id == scope.campaign.id,
            Nomination.status == NominationStatus.ACCEPTED,
        )
    )
    entries += [
        FileEntry(by_id[n.unit_id], n.full_name, "", stored, n.created_at, is_nomination=True)
        for n, stored in noms.tuples()
        if n.unit_id in by_id
    ]
    entries.sort(key=lambda e: (order[e.unit.id], e.is_nomination, e.topic, e.part, e.sent_at))
    return entries

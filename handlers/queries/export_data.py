"""What an export holds: the queries behind every table and report, scoped to a campaign/unit.

Each function takes a :class:`Scope` (a campaign, optionally one unit, and the moment "tính đến")
and runs a handful of queries; nothing here knows about spreadsheets or Word documents.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.progress import Mark, RequirementProgress, UnitMark
from handlers.kernel.errors import UserError
from handlers.queries.progress import campaign_progress
from storage.models import (
    AwardForm,
    Campaign,
    Delegate,
    DelegateCategory,
    Nomination,
    NominationStatus,
    SubjectKind,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "ACTIVE_DELEGATE",
    "DelegateGroup",
    "ExportFormat",
    "ExportKind",
    "FormCount",
    "NominationRow",
    "Progress",
    "Report",
    "RequirementFigures",
    "Scope",
    "active_campaigns",
    "campaign_for",
    "delegate_groups",
    "find_unit",
    "nomination_rows",
    "progress",
    "report",
]

#: ``Delegate.status`` of a delegate who counts (the other value is "withdrawn").
ACTIVE_DELEGATE = "active"


class ExportKind(enum.StrEnum):
    """What to export."""

    PROGRESS = "progress"
    NOMINATIONS = "nominations"
    DELEGATES = "delegates"
    REPORT = "report"


class ExportFormat(enum.StrEnum):
    """The file format of an export."""

    XLSX = "xlsx"
    DOCX = "docx"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which campaign, which units (one, or all when ``unit`` is None) and up to when."""

    campaign: Campaign
    unit: Unit | None
    now: dt.datetime

    @property
    def tz(self) -> ZoneInfo:
        """The campaign's timezone."""
        return ZoneInfo(self.campaign.timezone)

    @property
    def local_now(self) -> dt.datetime:
        """``now`` in the campaign's timezone."""
        return self.now.astimezone(self.tz)

    @property
    def today(self) -> dt.date:
        """The calendar date of ``now`` in the campaign's timezone."""
        return self.local_now.date()


# -- finding the campaign and the unit -----------------------------------------------------------
async def active_campaigns(session: AsyncSession) -> list[Campaign]:
    """The active campaigns, oldest first."""
    return await CampaignRepository(session).get_active()


async def campaign_for(session: AsyncSession, code: str | None) -> Campaign | None:
    """The campaign with ``code``, or without a code the newest active one (None if none).

    Raises:
        UserError: No campaign has ``code`` (``campaign_not_found``).
    """
    repo = CampaignRepository(session)
    if code:
        found = await repo.get_by_code(code)
        if found is None:
            raise UserError("campaign_not_found", code=code)
        return found
    active = await repo.get_active()
    return active[-1] if active else None


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
class Progress:
    """The units in scope (in order) and every requirement with their marks."""

    units: tuple[Unit, ...]
    items: tuple[RequirementProgress, ...]


async def progress(session: AsyncSession, scope: Scope) -> Progress:
    """Every requirement of the campaign with the marks of the units in scope."""
    units = await _units(session, scope)
    items = await campaign_progress(session, scope.campaign, scope.now, units)
    return Progress(tuple(units), tuple(items))


# -- nominations ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NominationRow:
    """One nomination with its unit."""

    nomination: Nomination
    unit: Unit

    @property
    def returned(self) -> bool:
        """Whether the secretariat sent it back for completion."""
        return self.nomination.status is NominationStatus.RETURNED


async def nomination_rows(session: AsyncSession, scope: Scope) -> list[NominationRow]:
    """The campaign's nominations in scope that are not withdrawn.

    Returned nominations are kept (flagged by :attr:`NominationRow.returned`): they are still in
    play until the unit completes or withdraws them. Ordered by unit (block, then name), then in
    the order they were sent.
    """
    units = await _units(session, scope)
    order = {u.id: index for index, u in enumerate(units)}
    stmt = select(Nomination).where(
        Nomination.campaign_id == scope.campaign.id,
        Nomination.status != NominationStatus.WITHDRAWN,
    )
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
class RequirementFigures:
    """One requirement in the report: who sent it, on time or late, and who still owes it."""

    progress: RequirementProgress
    on_time: tuple[UnitMark, ...]
    late: tuple[UnitMark, ...]
    owing: tuple[UnitMark, ...]

    @property
    def total(self) -> int:
        """Units the requirement applies to."""
        return len(self.progress.marks)

    @property
    def done(self) -> int:
        """Units that have sent it."""
        return len(self.on_time) + len(self.late)

    @property
    def is_due(self) -> bool:
        """Whether its due date has passed (the due day itself is not over yet)."""
        return self.progress.days_left < 0

    @property
    def percent(self) -> int:
        """The share of units that have sent it, rounded (100 when it applies to none)."""
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def returned(self) -> tuple[UnitMark, ...]:
        """Units whose submission was returned."""
        return tuple(m for m in self.owing if m.mark is Mark.RETURNED)


@dataclass(frozen=True, slots=True)
class FormCount:
    """How many nominations propose one award form."""

    name: str
    subject: SubjectKind
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of "Báo cáo tổng hợp tình hình thực hiện kế hoạch"."""

    scope: Scope
    requirements: tuple[RequirementFigures, ...]
    forms: tuple[FormCount, ...]
    individuals: int
    collectives: int
    nominating_units: int
    returned_nominations: int
    #: Units (in scope) that have sent at least one requirement late, in unit order.
    late_units: tuple[Unit, ...]
    #: Units that still owe at least one requirement already past its due date.
    overdue_units: tuple[Unit, ...]

    @property
    def due(self) -> tuple[RequirementFigures, ...]:
        """Requirements whose due date has passed."""
        return tuple(r for r in self.requirements if r.is_due)

    @property
    def upcoming(self) -> tuple[RequirementFigures, ...]:
        """Requirements not yet due that some unit still owes."""
        return tuple(r for r in self.requirements if not r.is_due and r.owing)

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

    @property
    def nominations(self) -> int:
        """Nominations that count (sent or accepted)."""
        return self.individuals + self.collectives


def _figures(p: RequirementProgress) -> RequirementFigures:
    return RequirementFigures(
        progress=p,
        on_time=tuple(m for m in p.done if not m.late),
        late=tuple(m for m in p.done if m.late),
        owing=tuple(p.missing),
    )


def _in_order(units: Sequence[Unit], ids: set[int]) -> tuple[Unit, ...]:
    return tuple(u for u in units if u.id in ids)


async def report(session: AsyncSession, scope: Scope) -> Report:
    """Compute the summary report's figures."""
    units = await _units(session, scope)
    figures = tuple(_figures(p) for p in (await progress(session, scope)).items)
    rows = await nomination_rows(session, scope)
    counted = [r for r in rows if not r.returned]
    forms = await session.scalars(
        select(AwardForm)
        .where(AwardForm.campaign_id == scope.campaign.id)
        .order_by(AwardForm.position, AwardForm.id)
    )
    catalogue = [(f.code, f.subject, f.name) for f in forms]
    tally = Counter((r.nomination.award_code, r.nomination.subject) for r in counted)
    names = {
        (r.nomination.award_code, r.nomination.subject): r.nomination.award_name for r in counted
    }
    ordered = [
        (code, subject, name) for code, subject, name in catalogue if tally[(code, subject)]
    ]
    known = {(code, subject) for code, subject, _ in ordered}
    ordered += [(c, s, names[(c, s)]) for c, s in tally if (c, s) not in known]
    return Report(
        scope=scope,
        requirements=figures,
        forms=tuple(
            FormCount(name, subject, tally[(code, subject)]) for code, subject, name in ordered
        ),
        individuals=sum(1 for r in counted if r.nomination.subject is SubjectKind.INDIVIDUAL),
        collectives=sum(1 for r in counted if r.nomination.subject is SubjectKind.COLLECTIVE),
        nominating_units=len({r.unit.id for r in counted}),
        returned_nominations=len(rows) - len(counted),
        late_units=_in_order(units, {m.unit.id for f in figures for m in f.late}),
        overdue_units=_in_order(units, {m.unit.id for f in figures if f.is_due for m in f.owing}),
    )

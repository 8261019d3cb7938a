"""Who has sent what: the status of every applicable unit for every requirement.

Everything is computed from a handful of queries per campaign (units, requirements, current
submissions, nomination counts); nothing loops over the database per unit.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import UserError
from handlers.texts import fmt_date
from storage.models import (
    Campaign,
    Requirement,
    RequirementKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.nominations import NominationRepository
from storage.repositories.submissions import SubmissionRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "Mark",
    "RequirementProgress",
    "UnitMark",
    "applies",
    "campaign_progress",
    "local_today",
    "progress_json",
    "status_report",
    "unit_standing",
]


class Mark(enum.StrEnum):
    """Where one unit stands on one requirement."""

    MISSING = "missing"
    PARTIAL = "partial"
    RETURNED = "returned"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class UnitMark:
    """One unit's standing on one requirement."""

    unit: Unit
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
class RequirementProgress:
    """A requirement with the standing of every unit it applies to."""

    campaign: Campaign
    requirement: Requirement
    today: dt.date
    marks: tuple[UnitMark, ...]

    @property
    def days_left(self) -> int:
        """Days until the due date (negative when overdue)."""
        return (self.requirement.due_date - self.today).days

    @property
    def done(self) -> list[UnitMark]:
        """Units that have sent it."""
        return [m for m in self.marks if m.done]

    @property
    def missing(self) -> list[UnitMark]:
        """Units that still owe it (nothing sent, incomplete or returned)."""
        return [m for m in self.marks if not m.done]


def local_today(now: dt.datetime, tz_name: str) -> dt.date:
    """Return the calendar date of ``now`` in ``tz_name``."""
    return now.astimezone(ZoneInfo(tz_name)).date()


def applies(requirement: Requirement, unit: Unit) -> bool:
    """Whether ``unit`` must submit ``requirement``."""
    if requirement.unit_codes and unit.code not in requirement.unit_codes:
        return False
    return not requirement.unit_kinds or unit.kind in requirement.unit_kinds


def _is_late(at: dt.datetime | None, due: dt.date, tz: ZoneInfo) -> bool:
    return at is not None and at.astimezone(tz).date() > due


def _mark_for(
    req: Requirement,
    unit: Unit,
    subs: Sequence[Submission],
    nominations: tuple[int, dt.datetime] | None,
    tz: ZoneInfo,
) -> UnitMark:
    returned = [s for s in subs if s.status is SubmissionStatus.RETURNED]
    live = [s for s in subs if s.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)]
    if returned:
        last = max(returned, key=lambda s: s.submitted_at)
        return UnitMark(unit, Mark.RETURNED, last.submitted_at, reason=last.return_reason)
    if req.kind is RequirementKind.NOMINATION_LIST and nominations is not None:
        count, first = nominations
        return UnitMark(
            unit, Mark.SUBMITTED, first, _is_late(first, req.due_date, tz), count=count
        )
    needed = set(req.parts) if req.kind is RequirementKind.DOSSIER and req.parts else {""}
    have = {s.part for s in live} & needed
    if not have:
        return UnitMark(unit, Mark.MISSING)
    at = max(s.submitted_at for s in live if s.part in have)
    if have != needed:
        return UnitMark(unit, Mark.PARTIAL, at, parts_done=len(have))
    accepted = all(s.status is SubmissionStatus.ACCEPTED for s in live if s.part in have)
    return UnitMark(
        unit,
        Mark.ACCEPTED if accepted else Mark.SUBMITTED,
        at,
        _is_late(at, req.due_date, tz),
        parts_done=len(have),
    )


async def campaign_progress(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    units: Sequence[Unit] | None = None,
) -> list[RequirementProgress]:
    """Return every requirement of ``campaign`` with the marks of ``units`` (default: all)."""
    tz = ZoneInfo(campaign.timezone)
    today = now.astimezone(tz).date()
    requirements = await CampaignRepository(session).requirements_for(campaign.id)
    if units is None:
        units = await UnitRepository(session).list_all()
    req_ids = [r.id for r in requirements]
    by_key: dict[tuple[int, int], list[Submission]] = {}
    for sub in await SubmissionRepository(session).current_for_requirements(req_ids):
        by_key.setdefault((sub.requirement_id, sub.unit_id), []).append(sub)
    noms = await NominationRepository(session).counted_by_unit(req_ids)
    result = []
    for req in requirements:
        marks = tuple(
            _mark_for(req, u, by_key.get((req.id, u.id), ()), noms.get((req.id, u.id)), tz)
            for u in units
            if applies(req, u)
        )
        result.append(RequirementProgress(campaign, req, today, marks))
    return result


async def status_report(
    session: AsyncSession, campaign_code: str | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """The status of one campaign (by code) or of every active one, as JSON-ready data.

    Raises:
        UserError: No campaign has ``campaign_code``.
    """
    repo = CampaignRepository(session)
    if campaign_code:
        found = await repo.get_by_code(campaign_code)
        if found is None:
            raise UserError("campaign_not_found", code=campaign_code)
        campaigns = [found]
    else:
        campaigns = await repo.get_active()
    return [progress_json(c, await campaign_progress(session, c, now)) for c in campaigns]


async def unit_standing(
    session: AsyncSession, requirement_id: int, unit: Unit, now: dt.datetime
) -> RequirementProgress | None:
    """One unit's standing on one requirement of an active campaign; None if it does not apply."""
    req = await session.get(Requirement, requirement_id)
    if req is None or not applies(req, unit):
        return None
    campaign = await CampaignRepository(session).get(req.campaign_id)
    if campaign is None or not campaign.is_active:
        return None
    tz = ZoneInfo(campaign.timezone)
    subs = await SubmissionRepository(session).current_for_unit(unit.id, [req.id])
    noms = await NominationRepository(session).counted_by_unit([req.id])
    mark = _mark_for(req, unit, subs, noms.get((req.id, unit.id)), tz)
    return RequirementProgress(campaign, req, now.astimezone(tz).date(), (mark,))


def progress_json(campaign: Campaign, progress: Sequence[RequirementProgress]) -> dict[str, Any]:
    """The secretariat's status as JSON-ready data (``tdkt status --json``)."""

    def unit(m: UnitMark) -> dict[str, Any]:
        item: dict[str, Any] = {"code": m.unit.code, "name": m.unit.name, "status": m.mark.value}
        if m.at is not None:
            item["submitted_at"] = m.at.astimezone(ZoneInfo(campaign.timezone)).isoformat()
            item["late"] = m.late
        if m.reason:
            item["return_reason"] = m.reason
        return item

    return {
        "campaign": {"code": campaign.code, "title": campaign.title},
        "today": progress[0].today.isoformat() if progress else None,
        "requirements": [
            {
                "code": p.requirement.code,
                "title": p.requirement.title,
                "kind": p.requirement.kind.value,
                "due_date": p.requirement.due_date.isoformat(),
                "due": fmt_date(p.requirement.due_date),
                "days_left": p.days_left,
                "total": len(p.marks),
                "submitted_count": len(p.done),
                "submitted": [unit(m) for m in p.done],
                "missing": [unit(m) for m in p.missing],
            }
            for p in progress
        ],
    }

"""Who has sent what: the status of every applicable unit for every requirement.

Everything is computed from a handful of queries per campaign (units, requirements, current
submissions, nomination counts); nothing loops over the database per unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import unit_dues
from handlers.domain.errors import UserError
from handlers.domain.milestones import Milestone
from handlers.domain.progress import (
    RequirementProgress,
    UnitMark,
    applies,
    mark_for,
)
from handlers.kernel.texts import fmt_date
from handlers.queries.milestones import campaign_milestones
from storage.models import (
    Campaign,
    Requirement,
    RequirementKind,
    Submission,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository, owed_of
from storage.repositories.nominations import NominationRepository
from storage.repositories.submissions import SubmissionRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "campaign_progress",
    "progress_json",
    "status_report",
    "unit_standing",
]

#: Up to this many units are read by their ids; more read every unit's rows of the campaign.
_FEW_UNITS = 200


def _sent(
    req: Requirement,
    unit_id: int,
    subs: Mapping[tuple[int, int], Sequence[Submission]],
    noms: Mapping[tuple[int, int], object],
) -> bool:
    """Whether the unit sent anything for the requirement (a retired unit keeps only that).

    A current version counts, and a nomination only for a nomination list: attached to any
    other kind of requirement it is not what the requirement asks for (:func:`mark_for`
    ignores it there, and so does the read model ``standings``).
    """
    if subs.get((req.id, unit_id)):
        return True
    return req.kind is RequirementKind.NOMINATION_LIST and (req.id, unit_id) in noms


async def campaign_progress(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    units: Sequence[Unit] | None = None,
    requirements: Sequence[Requirement] | None = None,
) -> list[RequirementProgress]:
    """Return every requirement of ``campaign`` with the marks of ``units`` (default: all).

    With ``units`` given, only their rows are read (a unit's checklist reads that unit's
    submissions and nominations from an index, whatever the number of other units). A
    deactivated unit owes nothing: it is listed only where it sent something.
    ``requirements``: the campaign's requirements (``CampaignRepository.requirements_for``,
    milestones included) when the caller has read them in this transaction already.
    """
    tz = ZoneInfo(campaign.timezone)
    today = now.astimezone(tz).date()
    if requirements is None:
        requirements = await CampaignRepository(session).requirements_for(campaign.id)
    requirements = owed_of(requirements)
    unit_ids: list[int] | None = None
    if units is None:
        units = await UnitRepository(session).list_all()
    elif len(units) <= _FEW_UNITS:
        unit_ids = [u.id for u in units]
    req_ids = [r.id for r in requirements]
    by_key: dict[tuple[int, int], list[Submission]] = {}
    for sub in await SubmissionRepository(session).current_for_requirements(req_ids, unit_ids):
        by_key.setdefault((sub.requirement_id, sub.unit_id), []).append(sub)
    noms = await NominationRepository(session).counted_by_unit(req_ids, unit_ids)
    result = []
    for req in requirements:
        marks = tuple(
            mark_for(req, u, by_key.get((req.id, u.id), ()), noms.get((req.id, u.id)), tz)
            for u in units
            if applies(req, u) and (u.is_active or _sent(req, u.id, by_key, noms))
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
        campaigns = await repo.get_reported()
    return [
        progress_json(
            c, await campaign_progress(session, c, now), await campaign_milestones(session, c)
        )
        for c in campaigns
    ]


async def unit_standing(
    session: AsyncSession, requirement_id: int, unit: Unit, now: dt.datetime
) -> RequirementProgress | None:
    """One unit's standing on one requirement of an active campaign; None if it does not apply.

    A milestone (an event) and a yearly rule's own row (only its occurrences are owed) are never
    sent for: None.
    """
    req = await session.get(Requirement, requirement_id)
    if req is None or req.kind is RequirementKind.EVENT or req.recurrence:
        return None
    if not applies(req, unit):
        return None
    campaign = await CampaignRepository(session).get(req.campaign_id)
    if campaign is None or not campaign.is_active:
        return None
    tz = ZoneInfo(campaign.timezone)
    subs = await SubmissionRepository(session).current_for_unit(unit.id, [req.id])
    noms = await NominationRepository(session).counted_by_unit([req.id], [unit.id])
    mark = mark_for(req, unit, subs, noms.get((req.id, unit.id)), tz)
    return RequirementProgress(campaign, req, now.astimezone(tz).date(), (mark,))


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def progress_json(
    campaign: Campaign,
    progress: Sequence[RequirementProgress],
    milestones: Sequence[Milestone] = (),
) -> dict[str, Any]:
    """The secretariat's status as JSON-ready data (``tdkt status --json``).

    The events are milestones: under ``milestones`` (with the campaign's own dates), never
    under ``requirements``.
    """

    def unit(m: UnitMark, req: Requirement) -> dict[str, Any]:
        item: dict[str, Any] = {"code": m.unit.code, "name": m.unit.name, "status": m.mark.value}
        own = unit_dues(req).get(m.unit.id)
        if own is not None:  # a gia hạn of its own
            item["due_date"] = own.isoformat()
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
                "due_date": _iso(p.requirement.due_date),
                "due_start": _iso(p.requirement.due_start),
                "due": fmt_date(p.requirement.due_date) if p.requirement.due_date else None,
                "due_time": _hhmm(p.requirement.due_time),
                "days_left": p.days_left,
                "total": len(p.marks),
                "submitted_count": len(p.done),
                "submitted": [unit(m, p.requirement) for m in p.done],
                "missing": [unit(m, p.requirement) for m in p.missing],
                "extended_from": (
                    p.requirement.original_due.isoformat()
                    if p.requirement.original_due is not None
                    else None
                ),
            }
            for p in progress
        ],
        "milestones": [
            {
                "title": m.title,
                "due_date": m.due.isoformat(),
                "due_time": _hhmm(m.time),
                "period": m.period,
                "unit_kinds": list(m.unit_kinds),
                "unit_codes": list(m.unit_codes),
                "own": m.own,
            }
            for m in milestones
        ],
    }


def _hhmm(time: dt.time | None) -> str | None:
    return None if time is None else f"{time:%H:%M}"

"""Deadlines of a campaign's requirements: gia hạn (extending one) and đặt hạn (setting one).

Used by ``/kehoach`` → a campaign → a requirement (``handlers.flows.requirements``), by
``tdkt campaign extend`` and, for what every requirement change checks first
(:func:`check_writable`, :func:`find_requirement`), by :mod:`handlers.services.requirements`.
Nothing here commits; every change is audit-logged. The rules are in the docstring of
:mod:`handlers.services.requirements`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import check_extension, effective_due, unit_dues, with_unit_due
from handlers.domain.errors import UserError
from handlers.domain.progress import applies, local_today
from handlers.domain.vn_dates import DateError, parse_date, time_of_day
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import NAME_STAND_IN, Texts, around_stand_in
from handlers.queries.audiences import Where, applies_to, of_units, units_where
from handlers.queries.stats.results import UnitRef
from handlers.services.notices import Told, notify_units
from storage.models import (
    Campaign,
    CampaignState,
    DeadlineChange,
    Person,
    Requirement,
    Unit,
)
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.deadlines import DeadlineRepository
from storage.repositories.units import UnitRepository
from storage.text import normalize_code

__all__ = [
    "CLI_ORIGIN",
    "Extended",
    "check_writable",
    "extend_deadline",
    "find_requirement",
    "parse_due",
    "parse_hour",
]

logger = logging.getLogger(__name__)

#: A campaign whose requirements may change.
_WRITABLE = frozenset({CampaignState.DRAFT, CampaignState.ACTIVE})
_REASON = (3, 500)
#: Where a notice made from the command line says it comes from (no progress, no report).
CLI_ORIGIN = ChatKey("cli", "cli")


def check_writable(campaign: Campaign) -> None:
    """Refuse changes to a closed or archived campaign's requirements."""
    if campaign.state not in _WRITABLE:
        raise UserError("campaign_read_only", code=campaign.code, state=campaign.state.value)


async def find_requirement(
    session: AsyncSession, campaign_code: str, req_code: str
) -> tuple[Campaign, Requirement]:
    """The campaign with ``campaign_code`` and its requirement ``req_code``."""
    repo = CampaignRepository(session)
    campaign = await repo.get_by_code(campaign_code)
    if campaign is None:
        raise UserError("campaign_not_found", code=campaign_code)
    req = await repo.requirement_by_code(campaign.id, req_code)
    if req is None:
        raise UserError("req_not_found", code=req_code, campaign=campaign.code)
    return campaign, req


def parse_due(text: str) -> dt.date:
    """A new deadline typed dd/mm/yyyy; refuses with ``bad_date``."""
    try:
        return parse_date(text.strip())
    except (DateError, ValueError):
        raise UserError("bad_date", text=text.strip()) from None


def parse_hour(text: str) -> dt.time:
    """A deadline's hour typed "16:30" or "16h30"; refuses with ``bad_hour``."""
    found = time_of_day(text)
    if found is None:
        raise UserError("bad_hour", text=text.strip())
    return found


# -- gia hạn -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Extended:
    """What :func:`extend_deadline` did."""

    requirement: Requirement
    new_due: dt.date
    #: The deadline each unit concerned had before (everyone's for an extension of everyone);
    #: None when a requirement "chưa có hạn" got its first deadline (Đặt hạn).
    old_due: dt.date | None
    #: Units listed (empty: everyone's deadline).
    units: tuple[Unit, ...]
    #: Active units the requirement applies to that were told, and those nobody of which is
    #: linked (told nothing; the secretariat should phone them).
    told: tuple[UnitRef, ...] = ()
    unreached: tuple[UnitRef, ...] = ()

    @property
    def everyone(self) -> bool:
        """Whether everyone's deadline was extended."""
        return not self.units


async def _listed_units(
    session: AsyncSession, req: Requirement, codes: Sequence[str]
) -> tuple[Unit, ...]:
    wanted = [normalize_code(c) for c in codes if c.strip()]
    found = await UnitRepository(session).by_codes(wanted)
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise UserError("units_unknown", codes=unknown)
    units = tuple(dict.fromkeys(found[c] for c in wanted))
    retired = [u.name for u in units if not u.is_active]
    if retired:
        raise UserError("extend_unit_retired", names=retired)
    outside = [u.name for u in units if not applies(req, u)]
    if outside:
        raise UserError("extend_unit_not_concerned", names=outside, title=req.title)
    return units


async def extend_deadline(
    session: AsyncSession,
    texts: Texts,
    req: Requirement,
    *,
    new_due: dt.date,
    unit_codes: Sequence[str] = (),
    reason: str,
    by: Person | None,
    origin: ChatKey = CLI_ORIGIN,
    now: dt.datetime,
) -> Extended:
    """Extend ``req``'s deadline to ``new_due`` for everyone, or for the units ``unit_codes``.

    Args:
        session: The transaction (never committed here).
        texts: Renders the notices to the units.
        req: The requirement.
        new_due: The new deadline (a local calendar day, inclusive).
        unit_codes: The units whose deadline moves; empty: everyone's.
        reason: Why (told to the units, kept in the history and the audit log).
        by: The secretary; None from the command line (the first secretariat signs the notice).
        origin: The chat the change was made from.
        now: The current time.

    Raises:
        UserError: the campaign is read-only, the reason is missing, a unit is unknown, retired
            or not concerned, or the new deadline is in the past or not later than the current
            one (nothing is written).
    """
    campaign = await CampaignRepository(session).get(req.campaign_id)
    assert campaign is not None
    check_writable(campaign)
    reason = " ".join(reason.split())
    if not _REASON[0] <= len(reason) <= _REASON[1]:
        raise UserError("extend_reason", min=_REASON[0], max=_REASON[1])
    today = local_today(now, campaign.timezone)
    if req.due_date is None:
        return await _set_first_due(
            session, texts, campaign, req, new_due, unit_codes, reason, by, origin, now, today
        )
    current = req.due_date
    units = await _listed_units(session, req, unit_codes) if unit_codes else ()
    olds = {u.id: effective_due(req, u.id) or current for u in units}
    for unit in units:
        check_extension(olds[unit.id], new_due, today)
    if not units:
        check_extension(current, new_due, today)
    person_id = by.id if by is not None else None
    repo = DeadlineRepository(session)
    old_due = min(olds.values()) if units else current
    changes: list[tuple[int | None, dt.date]] = list(olds.items())
    for unit_id, old in changes or [(None, old_due)]:
        repo.add(
            DeadlineChange(
                requirement_id=req.id,
                unit_id=unit_id,
                old_due=old,
                new_due=new_due,
                reason=reason,
                person_id=person_id,
                at=now,
            )
        )
    if units:
        req.unit_due = with_unit_due(req, [u.id for u in units], new_due)
    else:
        if req.original_due is None:
            req.original_due = req.due_date
        req.due_date = new_due
        req.unit_due = {str(k): v.isoformat() for k, v in unit_dues(req).items()}
    await session.flush()
    concerned = of_units(u.id for u in units) if units else applies_to([req])
    done = await _tell(
        session, texts, campaign, req, concerned, reason=reason, by=by, origin=origin, now=now
    )
    told, unreached = done.told, done.unreached
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action="requirement.extend",
        entity="requirement",
        entity_id=req.id,
        detail={
            "campaign": campaign.code,
            "code": req.code,
            "units": [u.code for u in units] or "all",
            "from": {u.code: olds[u.id].isoformat() for u in units} or current.isoformat(),
            "to": new_due.isoformat(),
            "reason": reason,
            "told": len(told),
            "unreached": [u.code for u in unreached],
        },
    )
    logger.info("Requirement %s/%s extended to %s", campaign.code, req.code, new_due)
    return Extended(req, new_due, old_due, units, told, unreached)


async def _set_first_due(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    req: Requirement,
    new_due: dt.date,
    unit_codes: Sequence[str],
    reason: str,
    by: Person | None,
    origin: ChatKey,
    now: dt.datetime,
    today: dt.date,
) -> Extended:
    """Đặt hạn: the first deadline of a requirement "chưa có hạn", for everyone, told once."""
    if req.recurrence:
        raise UserError("set_due_yearly", title=req.title)
    if any(c.strip() for c in unit_codes):
        raise UserError("set_due_units", title=req.title)
    if new_due < today:
        raise UserError("extend_past", new=new_due, today=today)
    person_id = by.id if by is not None else None
    DeadlineRepository(session).add(
        DeadlineChange(
            requirement_id=req.id,
            unit_id=None,
            old_due=None,
            new_due=new_due,
            reason=reason,
            person_id=person_id,
            at=now,
        )
    )
    req.due_date = new_due
    req.unit_due = {}
    await session.flush()
    done = await _tell(
        session,
        texts,
        campaign,
        req,
        applies_to([req]),
        reason=reason,
        by=by,
        origin=origin,
        now=now,
        first=True,
    )
    told, unreached = done.told, done.unreached
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action="requirement.set_due",
        entity="requirement",
        entity_id=req.id,
        detail={
            "campaign": campaign.code,
            "code": req.code,
            "to": new_due.isoformat(),
            "reason": reason,
            "told": len(told),
            "unreached": [u.code for u in unreached],
        },
    )
    logger.info("Requirement %s/%s given its deadline %s", campaign.code, req.code, new_due)
    return Extended(req, new_due, None, (), told, unreached)


async def _tell(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    req: Requirement,
    units: Where,
    *,
    reason: str,
    by: Person | None,
    origin: ChatKey,
    now: dt.datetime,
    first: bool = False,
) -> Told:
    """Queue one notice per unit concerned (``units``); who was told, who cannot be.

    The notice is rendered once per deadline with a stand-in for the unit's name (a gia hạn
    for everyone in a province tells thousands of units); a name the text would not carry
    as it is gets its own rendering.
    """
    signer = by or await DeadlineRepository(session).first_secretariat()
    if signer is None:  # nobody to sign: nothing is sent, every unit is "not told"
        return Told((), tuple(await units_where(session, units)))

    def render(unit: UnitRef, due: dt.date | None) -> str:
        return texts(
            "noidung.extend_notice",
            tz=campaign.timezone,
            campaign=campaign,
            req=req,
            unit=unit,
            due=due,
            reason=reason,
            first=first,
        )

    around: dict[dt.date | None, tuple[str, str] | None] = {}
    dues = unit_dues(req)  # effective_due, its units' deadlines read once

    def text_for(unit: UnitRef) -> str:
        due = dues.get(unit.id, req.due_date)
        if due not in around:
            around[due] = around_stand_in(render(UnitRef(0, "", NAME_STAND_IN, None, ""), due))
        parts = around[due]
        name = unit.name
        if parts is None or not name.isprintable() or name != name.strip():
            return render(unit, due)
        return f"{parts[0]}{escape(name)}{parts[1]}"

    return await notify_units(session, units, text_for, by=signer, origin=origin, now=now)

"""A campaign's requirements over their life: gia hạn (extending a deadline) and editing them.

Used by ``/kehoach`` → a campaign → a requirement (``handlers.flows.requirements``) and by the
``tdkt campaign extend|req`` commands. Nothing here commits; every change is audit-logged.

Rules (what the issue left open is decided here):

* Only a draft or active campaign's requirements change; a closed or archived campaign is
  read-only (``campaign_read_only``).
* **Gia hạn** moves a deadline later, for everyone or for listed units, with a reason
  (:func:`handlers.domain.deadlines.check_extension`: not before today, not on or before the
  current deadline of each unit concerned). Everyone's deadline is ``Requirement.due_date`` (the
  plan's own is kept in ``original_due``); a listed unit's is in ``Requirement.unit_due``. Each
  change is a :class:`storage.models.DeadlineChange` row with the deadline it replaced, and one
  ``requirement.extend`` audit row. The active units concerned (every unit the requirement
  applies to, or the listed ones) are told once, through the notice machinery
  (:func:`handlers.services.notices.notify_unit`).
* **Đặt hạn**: a requirement "chưa có hạn" (``due_date`` None) gets its first deadline through
  the same :func:`extend_deadline`, for everyone only (``set_due_units``), not before today;
  the history row has no old deadline and ``original_due`` stays None (it is not a gia hạn).
  The units concerned are told once, as for a gia hạn.
* **Editing** (:func:`plan_edit`, then :func:`apply_edit`): the title always changes (what units
  sent is unaffected); who must send it, a dossier's parts and the accepted file types change
  at once when no submitted item is affected, and otherwise only when confirmed, with the number
  of units affected shown first: a unit taken out keeps what it sent (stored, in its history)
  but it no longer counts; a new part makes complete dossiers partial again; a type no longer
  accepted leaves the files already sent in place (they were checked when sent).
* **Adding** a requirement is always allowed; **removing** one is refused once any unit sent
  anything for it (``req_has_items``): nothing a unit sent is ever dropped.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import check_extension, effective_due, unit_dues, with_unit_due
from handlers.domain.errors import UserError
from handlers.domain.files import DOCUMENT_EXTENSIONS
from handlers.domain.progress import applies, local_today, targets
from handlers.domain.vn_dates import DateError, parse_date
from handlers.domain.vocab import unit_kind_from_text
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.services.notices import Queued, notify_unit
from storage.models import (
    Campaign,
    CampaignState,
    DeadlineChange,
    Person,
    Requirement,
    RequirementKind,
    Unit,
)
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.deadlines import DeadlineRepository
from storage.repositories.units import UnitRepository
from storage.text import fold_text, normalize_code

__all__ = [
    "Edit",
    "Extended",
    "ReqField",
    "add_requirement",
    "apply_edit",
    "check_writable",
    "clean_code",
    "clean_title",
    "extend_deadline",
    "find_requirement",
    "parse_due",
    "plan_edit",
    "remove_requirement",
    "reweigh",
]

logger = logging.getLogger(__name__)

#: A campaign whose requirements may change.
_WRITABLE = frozenset({CampaignState.DRAFT, CampaignState.ACTIVE})
_REASON = (3, 500)
_TITLE = (2, 255)
_PART_MAX = 120
_ALL_WORDS = frozenset({"tat ca", "moi don vi", "all", "*"})
_DEFAULT_WORDS = frozenset({"mac dinh", "tat ca", "default", "*"})
#: Where a notice made from the command line says it comes from (no progress, no report).
CLI_ORIGIN = ChatKey("cli", "cli")


class ReqField(enum.StrEnum):
    """What of a requirement the secretariat edits."""

    TITLE = "title"
    WHO = "who"
    PARTS = "parts"
    ACCEPT = "accept"


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
    told: tuple[Unit, ...] = ()
    unreached: tuple[Unit, ...] = ()
    notices: tuple[Queued, ...] = field(default=())

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
    concerned = units or tuple(
        u for u in await UnitRepository(session).list_all() if u.is_active and applies(req, u)
    )
    result = await _tell(
        session, texts, campaign, req, concerned, reason=reason, by=by, origin=origin, now=now
    )
    told, unreached, notices = result
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
    return Extended(req, new_due, old_due, units, told, unreached, notices)


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
    concerned = tuple(
        u
        for u in await UnitRepository(session).list_all()
        if u.is_active and applies(req, u)
    )
    told, unreached, notices = await _tell(
        session,
        texts,
        campaign,
        req,
        concerned,
        reason=reason,
        by=by,
        origin=origin,
        now=now,
        first=True,
    )
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
    return Extended(req, new_due, None, (), told, unreached, notices)


async def _tell(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    req: Requirement,
    units: Sequence[Unit],
    *,
    reason: str,
    by: Person | None,
    origin: ChatKey,
    now: dt.datetime,
    first: bool = False,
) -> tuple[tuple[Unit, ...], tuple[Unit, ...], tuple[Queued, ...]]:
    """Queue one notice per unit concerned; (told, unreached, notices)."""
    signer = by or await DeadlineRepository(session).first_secretariat()
    told: list[Unit] = []
    unreached: list[Unit] = []
    notices: list[Queued] = []
    for unit in units:
        text = texts(
            "noidung.extend_notice",
            tz=campaign.timezone,
            campaign=campaign,
            req=req,
            unit=unit,
            due=effective_due(req, unit.id),
            reason=reason,
            first=first,
        )
        queued = (
            await notify_unit(session, unit, text, by=signer, origin=origin, now=now)
            if signer is not None
            else None
        )
        if queued is None or not queued.pending:
            unreached.append(unit)
        else:
            told.append(unit)
            notices.append(queued)
    return tuple(told), tuple(unreached), tuple(notices)


# -- editing -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Edit:
    """A change to one field of a requirement, read and weighed but not yet made."""

    field: ReqField
    #: The new values, by column (JSON-ready: kept in the conversation until confirmed).
    values: dict[str, Any]
    #: Units whose submitted items the change affects (0: it changes nothing they sent).
    affected: int

    def as_data(self) -> dict[str, Any]:
        """The edit as conversation data."""
        return {"field": self.field.value, "values": self.values, "affected": self.affected}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Edit:
        """The edit kept by :meth:`as_data`."""
        return cls(ReqField(data["field"]), dict(data["values"]), int(data["affected"]))


def _split(text: str, seps: str) -> list[str]:
    for sep in seps[1:]:
        text = text.replace(sep, seps[0])
    return [t.strip() for t in text.split(seps[0]) if t.strip()]


async def _who(session: AsyncSession, text: str) -> dict[str, Any]:
    if fold_text(text) in _ALL_WORDS:
        return {"unit_codes": [], "unit_kinds": [], "unit_blocks": []}
    tokens = _split(text, ",;\n")
    if not tokens:
        raise UserError("req_who_empty")
    units = await UnitRepository(session).by_codes(tokens)
    codes: list[str] = []
    kinds: list[str] = []
    for token in tokens:
        unit = units.get(normalize_code(token))
        kind = unit_kind_from_text(token) if unit is None else None
        if unit is not None:
            if not unit.is_active:
                raise UserError("extend_unit_retired", names=[unit.name])
            codes.append(unit.code)
        elif kind is not None:
            kinds.append(kind)
        else:
            raise UserError("req_who_unknown", token=token)
    if codes and kinds:
        raise UserError("req_who_mixed")
    codes, kinds = list(dict.fromkeys(codes)), list(dict.fromkeys(kinds))
    return {"unit_codes": codes, "unit_kinds": kinds, "unit_blocks": []}


def _parts(req: Requirement, text: str) -> dict[str, Any]:
    if req.kind is not RequirementKind.DOSSIER:
        raise UserError("req_parts_dossier_only")
    parts = list(dict.fromkeys(_split(text, ";\n")))
    if not parts or any(len(p) > _PART_MAX for p in parts):
        raise UserError("req_parts_bad", max=_PART_MAX)
    return {"parts": parts}


def _accept(text: str) -> dict[str, Any]:
    if fold_text(text) in _DEFAULT_WORDS:
        return {"accept": []}
    exts = [t.lower().lstrip(".") for t in _split(text, ", ;\n")]
    bad = [e for e in exts if f".{e}" not in DOCUMENT_EXTENSIONS]
    if bad or not exts:
        known = ", ".join(sorted(e.lstrip(".") for e in DOCUMENT_EXTENSIONS))
        raise UserError("req_accept_bad", bad=bad, known=known)
    return {"accept": list(dict.fromkeys(exts))}


def clean_title(text: str) -> str:
    """A requirement's title as typed, spaces tidied; refuses with ``req_title_bad``."""
    title = " ".join(text.split())
    if not _TITLE[0] <= len(title) <= _TITLE[1] or not any(c.isalpha() for c in title):
        raise UserError("req_title_bad", min=_TITLE[0], max=_TITLE[1])
    return title


def clean_code(code: str) -> str:
    """A new requirement's code in capitals; refuses with ``req_code_bad``."""
    norm = normalize_code(code)
    if not norm or len(norm) > 64 or not norm.replace("-", "").replace("_", "").isalnum():
        raise UserError("req_code_bad", code=code)
    return norm


def _title(text: str) -> dict[str, Any]:
    return {"title": clean_title(text)}


async def _affected(
    session: AsyncSession, req: Requirement, what: ReqField, values: dict[str, Any]
) -> int:
    """How many units' submitted items the change touches (module docstring)."""
    repo = DeadlineRepository(session)
    if what is ReqField.WHO:
        sent = set(await repo.current_items(req.id)) | set(await repo.nomination_units(req.id))
        units = await UnitRepository(session).list_all()
        return sum(
            1
            for u in units
            if u.id in sent and not targets(u, values["unit_codes"], values["unit_kinds"])
        )
    if what is ReqField.PARTS:
        old, new = set(req.parts), set(values["parts"])
        return sum(
            1
            for parts in (await repo.current_items(req.id)).values()
            if parts & (old - new) or (new - old and parts)
        )
    if what is ReqField.ACCEPT:
        allowed = {f".{e}" for e in values["accept"]} or set(DOCUMENT_EXTENSIONS)
        files = await repo.file_names(req.id)
        return len({u for u, name in files if PurePath(name).suffix.lower() not in allowed})
    return 0


async def plan_edit(
    session: AsyncSession, campaign: Campaign, req: Requirement, what: ReqField, text: str
) -> Edit:
    """Read the new value of ``what`` typed as ``text`` and count the units it would affect.

    Raises:
        UserError: the campaign is read-only or the value is not valid (nothing changes).
    """
    check_writable(campaign)
    if what is ReqField.TITLE:
        values = _title(text)
    elif what is ReqField.WHO:
        values = await _who(session, text)
    elif what is ReqField.PARTS:
        values = _parts(req, text)
    else:
        values = _accept(text)
    return Edit(what, values, await _affected(session, req, what, values))


async def reweigh(session: AsyncSession, req: Requirement, edit: Edit) -> Edit:
    """``edit`` with the number of units it affects now (items may have come in since)."""
    return Edit(edit.field, edit.values, await _affected(session, req, edit.field, edit.values))


async def apply_edit(
    session: AsyncSession,
    campaign: Campaign,
    req: Requirement,
    edit: Edit,
    *,
    allowed: int,
    person_id: int | None,
    now: dt.datetime,
) -> Edit:
    """Make ``edit`` (weighed again now: items may have come in since), audit-logged.

    Args:
        session: The transaction (never committed here).
        campaign: The requirement's campaign.
        req: The requirement.
        edit: What :func:`plan_edit` read.
        allowed: How many affected units the secretary agreed to (what the confirmation
            showed; 0 from the command line without ``--yes``).
        person_id: Who edits.
        now: The current time.

    Raises:
        UserError: ``req_edit_needs_confirm`` when it now affects more units than ``allowed``;
            those of :func:`plan_edit`.
    """
    check_writable(campaign)
    fresh = await reweigh(session, req, edit)
    if fresh.affected > allowed:
        raise UserError("req_edit_needs_confirm", count=fresh.affected, field=edit.field.value)
    before = {k: getattr(req, k) for k in fresh.values}
    for key, value in fresh.values.items():
        setattr(req, key, value)
    await session.flush()
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action="requirement.edit",
        entity="requirement",
        entity_id=req.id,
        detail={
            "campaign": campaign.code,
            "code": req.code,
            "field": fresh.field.value,
            "from": before,
            "to": fresh.values,
            "affected_units": fresh.affected,
        },
    )
    return fresh


async def add_requirement(
    session: AsyncSession,
    campaign: Campaign,
    *,
    code: str,
    title: str,
    kind: RequirementKind,
    due: dt.date,
    who: str = "",
    parts: str = "",
    accept: str = "",
    person_id: int | None,
    now: dt.datetime,
) -> Requirement:
    """Add a requirement at the end of the campaign's list, audit-logged.

    Raises:
        UserError: read-only campaign, a code already used, a deadline before today, a bad
            title, units, parts or types.
    """
    check_writable(campaign)
    repo = CampaignRepository(session)
    norm = clean_code(code)
    if await repo.requirement_by_code(campaign.id, norm) is not None:
        raise UserError("req_code_taken", code=norm, campaign=campaign.code)
    if due < local_today(now, campaign.timezone):
        raise UserError("extend_past", new=due, today=local_today(now, campaign.timezone))
    values: dict[str, Any] = {"unit_codes": [], "unit_kinds": [], "unit_blocks": []}
    if who.strip():
        values = await _who(session, who)
    values |= _title(title)
    probe = Requirement(kind=kind, parts=[])
    values |= _parts(probe, parts) if parts.strip() else {"parts": []}
    values |= _accept(accept) if accept.strip() else {"accept": []}
    if kind is RequirementKind.DOSSIER and not values["parts"]:
        raise UserError("req_parts_bad", max=_PART_MAX)
    position = len(await repo.requirements_for(campaign.id))
    req, _ = await repo.upsert_requirement(
        campaign.id,
        code=norm,
        kind=kind,
        description=None,
        due_date=due,
        period_label=None,
        position=position,
        policy={},
        **values,
    )
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action="requirement.add",
        entity="requirement",
        entity_id=req.id,
        detail={"campaign": campaign.code, "code": norm, "due": due.isoformat(), **values},
    )
    return req


async def remove_requirement(
    session: AsyncSession,
    campaign: Campaign,
    req: Requirement,
    *,
    person_id: int | None,
    now: dt.datetime,
) -> None:
    """Remove a requirement nothing was sent for, audit-logged.

    Raises:
        UserError: ``campaign_read_only``; ``req_has_items`` once a unit sent anything for it.
    """
    check_writable(campaign)
    repo = CampaignRepository(session)
    used = await repo.requirement_usage(req.id)
    if used:
        raise UserError("req_has_items", title=req.title, count=used)
    detail = {"campaign": campaign.code, "code": req.code, "title": req.title}
    req_id = req.id
    await repo.delete_requirement(req)
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action="requirement.remove",
        entity="requirement",
        entity_id=req_id,
        detail=detail,
    )

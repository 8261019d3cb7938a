"""A campaign's requirements over their life: gia hạn (extending a deadline) and editing them.

Used by ``/kehoach`` → a campaign → a requirement (``handlers.flows.requirements``) and by the
``tdkt campaign extend|req`` commands. Nothing here commits; every change is audit-logged.
The deadlines themselves (gia hạn, đặt hạn) are in :mod:`handlers.services.deadline_changes`,
re-exported here.

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
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.files import DOCUMENT_EXTENSIONS
from handlers.domain.progress import local_today, targets
from handlers.domain.vocab import UnitKinds, unit_kind_from_text
from handlers.services.deadline_changes import (
    Extended,
    check_writable,
    extend_deadline,
    find_requirement,
    parse_due,
    parse_hour,
)
from storage.models import (
    Campaign,
    Requirement,
    RequirementKind,
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
    "parse_hour",
    "plan_edit",
    "remove_requirement",
    "reweigh",
]


_TITLE = (2, 255)
_PART_MAX = 120
_ALL_WORDS = frozenset({"tat ca", "moi don vi", "all", "*"})
_DEFAULT_WORDS = frozenset({"mac dinh", "tat ca", "default", "*"})


class ReqField(enum.StrEnum):
    """What of a requirement the secretariat edits."""

    TITLE = "title"
    WHO = "who"
    PARTS = "parts"
    ACCEPT = "accept"


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


async def _who(session: AsyncSession, text: str, vocabulary: UnitKinds | None) -> dict[str, Any]:
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
        kind = unit_kind_from_text(token, vocabulary) if unit is None else None
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
    session: AsyncSession,
    campaign: Campaign,
    req: Requirement,
    what: ReqField,
    text: str,
    kinds: UnitKinds | None = None,
) -> Edit:
    """Read the new value of ``what`` typed as ``text`` and count the units it would affect.

    ``kinds``: the deployment's unit kinds, which "who" may name (default: the built-in ones).

    Raises:
        UserError: the campaign is read-only or the value is not valid (nothing changes).
    """
    check_writable(campaign)
    if what is ReqField.TITLE:
        values = _title(text)
    elif what is ReqField.WHO:
        values = await _who(session, text, kinds)
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
    due_time: dt.time | None = None,
    who: str = "",
    parts: str = "",
    accept: str = "",
    person_id: int | None,
    now: dt.datetime,
    kinds: UnitKinds | None = None,
) -> Requirement:
    """Add a requirement at the end of the campaign's list, audit-logged.

    ``due_time``: the hour on the due day from which what is sent is late (none: the day's end).
    ``kinds``: the deployment's unit kinds, which ``who`` may name (default: the built-in ones).

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
        values = await _who(session, who, kinds)
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
        due_time=due_time,
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
        detail={
            "campaign": campaign.code,
            "code": norm,
            "due": due.isoformat(),
            **({"time": due_time.strftime("%H:%M")} if due_time else {}),
            **values,
        },
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

"""Campaigns: loading a campaign file (``tdkt campaign load``, the demo) and their life.

A campaign is a draft, active, closed or archived (:class:`storage.models.CampaignState`); the
secretariat closes, archives or deletes one with :func:`change_campaign` (CLI and ``/kehoach``).
A campaign units sent anything for can only be closed, never deleted.

Loading is idempotent by campaign code: loading the same file twice changes nothing, and a
changed file updates the rows in place.

Requirements are matched by code. A deadline extended for everyone (gia hạn,
:mod:`handlers.services.requirements`) stays extended while the file still gives the plan's own
deadline; a file with another deadline replaces it. A file that gives the gia hạn itself
(``extended_due``, ``unit_due``: what ``tdkt campaign export`` writes) sets it. A requirement
that disappeared from the file is deleted when no submission or nomination refers to it;
otherwise it is kept untouched and listed in :attr:`LoadResult.requirements_kept` so the office
can decide (nothing a unit sent is ever lost by reloading a file). Award forms are replaced by
the file's list (matched by code; nominations keep their award code and name as text, so they
are unaffected).

Unit codes the file names (requirements' ``unit_codes``, ``settings.delegates.quota.units``)
must exist once units are registered: an unknown one is an error with its line. While no unit is
registered (a campaign loaded before its units), they are listed in the warnings instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import functools
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.vocab import UnitKinds
from handlers.io.campaign_file import (
    CampaignFile,
    CampaignSource,
    RequirementSpec,
    parse_campaign,
)
from handlers.kernel.texts import Texts
from storage.models import Campaign, CampaignState, Requirement, RequirementKind
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import AwardFormsChange, CampaignRepository
from storage.repositories.units import Change, UnitRepository
from storage.text import normalize_code

__all__ = [
    "CampaignAction",
    "CampaignSummary",
    "LoadResult",
    "change_campaign",
    "find_campaign",
    "list_campaigns",
    "load_campaign",
    "summarize",
]

logger = logging.getLogger(__name__)

_TEXTS = "campaign_file"


@dataclass(slots=True)
class LoadResult:
    """What :func:`load_campaign` did; requirement lists hold requirement codes."""

    campaign_id: int
    campaign_code: str
    campaign_change: Change
    requirements_created: list[str] = field(default_factory=list)
    requirements_updated: list[str] = field(default_factory=list)
    requirements_unchanged: list[str] = field(default_factory=list)
    #: Missing from the file and never used: deleted.
    requirements_removed: list[str] = field(default_factory=list)
    #: Missing from the file but with submissions or nominations: kept as they were.
    requirements_kept: list[str] = field(default_factory=list)
    award_forms: AwardFormsChange = field(default_factory=AwardFormsChange)
    #: Vietnamese notes that do not stop the load (``campaign_file.j2``): deadlines before the
    #: plan's date, requirements kept, unit codes not checked.
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the load changed anything in the database."""
        forms = self.award_forms
        return bool(
            self.campaign_change != "unchanged"
            or self.requirements_created
            or self.requirements_updated
            or self.requirements_removed
            or forms.created
            or forms.updated
            or forms.removed
        )


@functools.cache
def _built_in_texts() -> Texts:
    return Texts()


async def _read(
    session: AsyncSession, data: CampaignSource, kinds: UnitKinds | None = None
) -> tuple[CampaignFile, bool]:
    """Validate the file against the registered units; True when there were some."""
    known = [normalize_code(u.code) for u in await UnitRepository(session).list_all()]
    units = known or None
    if isinstance(data, str | os.PathLike):
        spec = await asyncio.to_thread(parse_campaign, data, units=units, kinds=kinds)
        return spec, bool(known)
    return parse_campaign(data, units=units, kinds=kinds), bool(known)


def _extensions(requirement: Requirement, req: RequirementSpec, unit_ids: dict[str, int]) -> bool:
    """Set the gia hạn the file gives (``extended_due``, ``unit_due``); True when it changed.

    Without those keys the requirement's gia hạn is left as it is, unless the file's ``due`` is
    not the plan's deadline it extended (the file replaced it). ``unit_due`` of units not
    registered is dropped (the load warns that unit codes were not checked).
    """
    changed = False
    original = requirement.original_due
    if req.extended_due is not None:
        original = req.due.date
    elif original is not None and original != req.due.date:
        original = None  # the file gave another deadline: it replaced the gia hạn
    if requirement.original_due != original:
        requirement.original_due = original
        changed = True
    if req.unit_due:
        dues = {
            str(unit_ids[code]): day.isoformat()
            for code, day in req.unit_due.items()
            if code in unit_ids
        }
        if requirement.unit_due != dues:
            requirement.unit_due = dues
            changed = True
    return changed


async def _requirements(
    repo: CampaignRepository,
    campaign_id: int,
    spec: CampaignFile,
    result: LoadResult,
    t: Texts,
    unit_ids: dict[str, int],
) -> None:
    """Upsert the file's requirements; delete or keep the ones it no longer lists."""
    existing = {normalize_code(r.code): r for r in await repo.requirements_for(campaign_id)}
    changes = {
        "created": result.requirements_created,
        "updated": result.requirements_updated,
        "unchanged": result.requirements_unchanged,
    }
    for position, req in enumerate(spec.requirements):
        current = existing.get(normalize_code(req.code))
        due = req.current_due
        if (
            due is not None
            and req.extended_due is None
            and current is not None
            and current.original_due == due
        ):
            due = current.due_date  # a gia hạn outlives reloading the plan's own deadline
        requirement, req_change = await repo.upsert_requirement(
            campaign_id,
            code=req.code,
            title=req.title,
            kind=RequirementKind(req.kind),
            description=req.description,
            due_date=due,
            due_time=req.time,
            due_start=req.due.start,
            recurrence=req.due.recurrence,
            period_label=req.label,
            unit_kinds=req.unit_kinds,
            unit_codes=req.unit_codes,
            unit_blocks=req.unit_blocks,
            parts=req.parts,
            position=position,
            policy=req.policy,
            accept=req.accept,
        )
        if _extensions(requirement, req, unit_ids) and req_change == "unchanged":
            req_change = "updated"
        changes[req_change].append(req.code)
        if spec.doc_date is not None and req.due.date and req.due.date < spec.doc_date:
            result.warnings.append(
                t(
                    f"{_TEXTS}.due_before_doc_date",
                    code=req.code,
                    due=req.due.date,
                    doc_date=spec.doc_date,
                )
            )
    in_file = {req.code for req in spec.requirements}
    for code, requirement in existing.items():
        if code in in_file:
            continue
        if await repo.requirement_usage(requirement.id) == 0:
            await repo.delete_requirement(requirement)
            result.requirements_removed.append(code)
        else:
            result.requirements_kept.append(code)
            result.warnings.append(t(f"{_TEXTS}.requirement_kept", code=code))


def _audit(
    session: AsyncSession, result: LoadResult, person_id: int | None, at: dt.datetime
) -> None:
    AuditRepository(session).record(
        at=at,
        person_id=person_id,
        action="campaign.load",
        entity="campaign",
        entity_id=result.campaign_id,
        detail={
            "code": result.campaign_code,
            "campaign": result.campaign_change,
            "requirements_created": result.requirements_created,
            "requirements_updated": result.requirements_updated,
            "requirements_removed": result.requirements_removed,
            "requirements_kept": result.requirements_kept,
            "award_forms_created": result.award_forms.created,
            "award_forms_updated": result.award_forms.updated,
            "award_forms_removed": result.award_forms.removed,
        },
    )


async def load_campaign(
    session: AsyncSession,
    data: CampaignSource,
    *,
    texts: Texts | None = None,
    person_id: int | None = None,
    now: dt.datetime | None = None,
    kinds: UnitKinds | None = None,
) -> LoadResult:
    """Create or update a campaign, its award forms and requirements from a campaign file.

    Never commits: the caller owns the transaction. Idempotent by campaign code. When anything
    changed, one ``campaign.load`` audit row records the change.

    Args:
        session: The open session.
        data: The parsed mapping, a path to a YAML file, or the YAML content as bytes.
        texts: Renders the warnings; default: the built-in templates.
        person_id: Who loads the file (for the audit log).
        now: Aware time of the load (for the audit log); defaults to the current UTC time.
        kinds: The deployment's unit kinds (default: the built-in vocabulary).

    Returns:
        What was created, updated, deleted or kept.

    Raises:
        CampaignFileError: The file breaks the format or names unknown units (nothing is
            written).
        ValueError: ``now`` is naive.
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    t = texts or _built_in_texts()
    spec, units_checked = await _read(session, data, kinds)
    repo = CampaignRepository(session)
    campaign, change = await repo.upsert_campaign(
        code=spec.code,
        title=spec.title,
        doc_number=spec.doc_number,
        doc_date=spec.doc_date,
        issuer=spec.issuer,
        timezone=spec.timezone,
        is_active=spec.active,
        settings=spec.settings,
    )
    result = LoadResult(
        campaign_id=campaign.id, campaign_code=campaign.code, campaign_change=change
    )
    result.award_forms = await repo.replace_award_forms(campaign.id, spec.award_form_data())
    unit_ids = {normalize_code(u.code): u.id for u in await UnitRepository(session).list_all()}
    await _requirements(repo, campaign.id, spec, result, t, unit_ids)
    if not units_checked and spec.unit_codes():
        result.warnings.append(t(f"{_TEXTS}.units_not_checked", codes=spec.unit_codes()))
    if result.changed:
        _audit(session, result, person_id, now or dt.datetime.now(dt.UTC))
        await session.flush()
    logger.info(
        "Loaded campaign %s (%s): %d requirements created, %d updated, %d removed, %d kept",
        campaign.code,
        change,
        len(result.requirements_created),
        len(result.requirements_updated),
        len(result.requirements_removed),
        len(result.requirements_kept),
    )
    return result


# -- a campaign over its life -----------------------------------------------------------------

#: The states each change may start from (draft → active → closed → archived, forward only).
_CLOSABLE = frozenset({CampaignState.DRAFT, CampaignState.ACTIVE})
_ARCHIVABLE = frozenset({CampaignState.DRAFT, CampaignState.ACTIVE, CampaignState.CLOSED})


class CampaignAction(enum.StrEnum):
    """What the secretariat may do to a campaign."""

    CLOSE = "close"
    ARCHIVE = "archive"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """One line of the campaigns list (``tdkt campaign list``, ``/kehoach``)."""

    id: int
    code: str
    title: str
    state: CampaignState
    requirements: int
    #: Submissions, nominations and delegates the units sent: when not 0, it cannot be deleted.
    submitted: int

    def actions(self) -> list[CampaignAction]:
        """The changes allowed from the campaign's state."""
        allowed = []
        if self.state in _CLOSABLE:
            allowed.append(CampaignAction.CLOSE)
        if self.state in _ARCHIVABLE:
            allowed.append(CampaignAction.ARCHIVE)
        if self.submitted == 0:
            allowed.append(CampaignAction.DELETE)
        return allowed

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready values."""
        return {
            "id": self.id,
            "code": self.code,
            "title": self.title,
            "state": self.state.value,
            "requirements": self.requirements,
            "submitted": self.submitted,
        }


async def _submitted(repo: CampaignRepository, campaign_id: int) -> int:
    return await repo.campaign_usage(campaign_id) + await repo.delegate_count(campaign_id)


async def summarize(session: AsyncSession, campaign: Campaign) -> CampaignSummary:
    """The campaign's state, its number of requirements and of items sent."""
    repo = CampaignRepository(session)
    return CampaignSummary(
        id=campaign.id,
        code=campaign.code,
        title=campaign.title,
        state=campaign.state,
        requirements=len(await repo.requirements_for(campaign.id)),
        submitted=await _submitted(repo, campaign.id),
    )


async def list_campaigns(session: AsyncSession) -> list[CampaignSummary]:
    """Every campaign, oldest first, with its state."""
    campaigns = await CampaignRepository(session).in_states()
    return [await summarize(session, c) for c in campaigns]


async def find_campaign(session: AsyncSession, code: str) -> Campaign:
    """The campaign with ``code``; refuses with ``campaign_not_found``."""
    campaign = await CampaignRepository(session).get_by_code(code)
    if campaign is None:
        raise UserError("campaign_not_found", code=code)
    return campaign


async def change_campaign(
    session: AsyncSession,
    campaign: Campaign,
    action: CampaignAction,
    *,
    person_id: int | None,
    now: dt.datetime,
) -> CampaignState | None:
    """Close, archive or delete a campaign, audit-logged; never commits.

    Returns:
        The campaign's new state, or None when it was deleted.

    Raises:
        UserError: ``campaign_state_forbids`` when the state does not allow the change (closing
            a closed campaign, anything on an archived one); ``campaign_has_submissions`` when
            deleting a campaign units already sent something for (it can only be closed).
    """
    repo = CampaignRepository(session)
    before = campaign.state
    detail: dict[str, Any] = {"code": campaign.code, "from": before.value}
    if action is CampaignAction.DELETE:
        submitted = await _submitted(repo, campaign.id)
        if submitted:
            raise UserError("campaign_has_submissions", code=campaign.code, count=submitted)
        campaign_id = campaign.id
        await repo.delete_campaign(campaign)
        _record(session, f"campaign.{action.value}", campaign_id, person_id, now, detail)
        logger.info("Deleted campaign %s", detail["code"])
        return None
    allowed = _CLOSABLE if action is CampaignAction.CLOSE else _ARCHIVABLE
    if before not in allowed:
        raise UserError(
            "campaign_state_forbids", code=campaign.code, state=before.value, action=action.value
        )
    after = CampaignState.CLOSED if action is CampaignAction.CLOSE else CampaignState.ARCHIVED
    campaign.state = after
    await session.flush()
    detail["to"] = after.value
    _record(session, f"campaign.{action.value}", campaign.id, person_id, now, detail)
    logger.info("Campaign %s: %s -> %s", campaign.code, before.value, after.value)
    return after


def _record(
    session: AsyncSession,
    action: str,
    campaign_id: int,
    person_id: int | None,
    now: dt.datetime,
    detail: dict[str, Any],
) -> None:
    AuditRepository(session).record(
        at=now,
        person_id=person_id,
        action=action,
        entity="campaign",
        entity_id=campaign_id,
        detail=detail,
    )

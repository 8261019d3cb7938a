"""Campaigns (kế hoạch), their requirements and the award forms they accept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AwardForm,
    Campaign,
    CampaignState,
    Delegate,
    Nomination,
    Requirement,
    RequirementKind,
    SubjectKind,
    Submission,
)
from storage.repositories.units import Change
from storage.text import normalize_code

__all__ = [
    "AwardFormData",
    "AwardFormsChange",
    "CampaignRepository",
    "milestones_among",
    "owed_of",
]

#: What every status view and wizard reads first, built once (immutable statements).
_CAMPAIGNS = select(Campaign).order_by(Campaign.id)
_CAMPAIGNS_IN = _CAMPAIGNS.where(Campaign.state.in_(bindparam("states", expanding=True)))
_REQUIREMENTS = (
    select(Requirement)
    .where(Requirement.campaign_id == bindparam("campaign_id"))
    .order_by(Requirement.position, Requirement.due_date.asc().nulls_last(), Requirement.id)
)


@dataclass(frozen=True, slots=True)
class AwardFormData:
    """One award form as a campaign file lists it."""

    code: str
    name: str
    subject: SubjectKind


@dataclass(slots=True)
class AwardFormsChange:
    """What :meth:`CampaignRepository.replace_award_forms` did, by award code."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _apply(row: object, values: Mapping[str, Any]) -> bool:
    """Set the attributes of ``row`` that differ from ``values``; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def owed_of(requirements: Sequence[Requirement]) -> list[Requirement]:
    """Of a campaign's requirements (:meth:`CampaignRepository.requirements_for`), the owed ones.

    Every kind but the milestones (events), in the same order.
    """
    return [r for r in requirements if r.kind is not RequirementKind.EVENT]


def milestones_among(requirements: Sequence[Requirement]) -> list[Requirement]:
    """Of a campaign's requirements, the milestones (kind ``event``), by due date."""
    found = [r for r in requirements if r.kind is RequirementKind.EVENT]
    return sorted(found, key=lambda r: (r.due_date, r.position, r.id))


class CampaignRepository:
    """Reads and writes campaigns, requirements and award forms; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, campaign_id: int) -> Campaign | None:
        """Return the campaign with id ``campaign_id``."""
        return await self._s.get(Campaign, campaign_id)

    async def get_by_code(self, code: str) -> Campaign | None:
        """Return the campaign whose code is ``code`` (case-insensitive)."""
        stmt = select(Campaign).where(func.upper(Campaign.code) == normalize_code(code))
        return (await self._s.scalars(stmt)).first()

    async def get_active(self) -> list[Campaign]:
        """Return the active campaigns (taking submissions), oldest first."""
        return await self.in_states(CampaignState.ACTIVE)

    async def get_reported(self) -> list[Campaign]:
        """Return the active and closed campaigns (status, exports), oldest first."""
        return await self.in_states(CampaignState.ACTIVE, CampaignState.CLOSED)

    async def in_states(self, *states: CampaignState) -> list[Campaign]:
        """Return the campaigns in any of ``states`` (every campaign when none), oldest first."""
        if not states:
            return list(await self._s.scalars(_CAMPAIGNS))
        return list(await self._s.scalars(_CAMPAIGNS_IN, {"states": list(states)}))

    async def delete_campaign(self, campaign: Campaign) -> None:
        """Delete a campaign with its requirements (use only when :meth:`campaign_usage` is 0)."""
        for requirement in await self.requirements_for(campaign.id):
            await self._s.delete(requirement)
        for form in await self.award_forms_for(campaign.id):
            await self._s.delete(form)
        await self._s.flush()
        await self._s.delete(campaign)
        await self._s.flush()

    async def requirements_for(self, campaign_id: int) -> list[Requirement]:
        """Return the campaign's requirements ordered by position, then due date."""
        return list(await self._s.scalars(_REQUIREMENTS, {"campaign_id": campaign_id}))

    async def owed_requirements_for(self, campaign_id: int) -> list[Requirement]:
        """The requirements units send something for: every kind but the milestones (events).

        An event (``RequirementKind.EVENT``) is a milestone: shown and reminded to its
        organisers, never owed, late or "chưa nộp". Same order as :meth:`requirements_for`.
        """
        return owed_of(await self.requirements_for(campaign_id))

    async def milestones_for(self, campaign_id: int) -> list[Requirement]:
        """The campaign's milestones (requirements of kind ``event``), by due date."""
        return milestones_among(await self.requirements_for(campaign_id))

    async def requirement(self, requirement_id: int) -> Requirement | None:
        """Return the requirement with id ``requirement_id``."""
        return await self._s.get(Requirement, requirement_id)

    async def requirement_by_code(self, campaign_id: int, code: str) -> Requirement | None:
        """Return the campaign's requirement with ``code`` (case-insensitive)."""
        stmt = select(Requirement).where(
            Requirement.campaign_id == campaign_id,
            func.upper(Requirement.code) == normalize_code(code),
        )
        return (await self._s.scalars(stmt)).first()

    async def award_forms_for(self, campaign_id: int) -> list[AwardForm]:
        """Return the award forms the campaign accepts, in the file's order."""
        rows = await self._s.scalars(
            select(AwardForm)
            .where(AwardForm.campaign_id == campaign_id)
            .order_by(AwardForm.position, AwardForm.id)
        )
        return list(rows)

    async def upsert_campaign(
        self,
        *,
        code: str,
        title: str,
        doc_number: str | None,
        doc_date: dt.date | None,
        issuer: str | None,
        timezone: str,
        is_active: bool,
        settings: dict[str, Any],
    ) -> tuple[Campaign, Change]:
        """Insert the campaign with ``code`` or update it in place.

        ``is_active`` moves a draft or active campaign between those two states; a closed or
        archived campaign keeps its state (reloading its file does not reopen it).

        Returns:
            The campaign and what happened to it.
        """
        values: dict[str, Any] = {
            "title": title,
            "doc_number": doc_number,
            "doc_date": doc_date,
            "issuer": issuer,
            "timezone": timezone,
            "settings": settings,
        }
        campaign = await self.get_by_code(code)
        if campaign is None or campaign.state in {CampaignState.DRAFT, CampaignState.ACTIVE}:
            values["state"] = CampaignState.ACTIVE if is_active else CampaignState.DRAFT
        if campaign is None:
            campaign = Campaign(code=normalize_code(code), **values)
            self._s.add(campaign)
            await self._s.flush()
            return campaign, "created"
        changed = _apply(campaign, values)
        if changed:
            await self._s.flush()
        return campaign, "updated" if changed else "unchanged"

    async def upsert_requirement(
        self,
        campaign_id: int,
        *,
        code: str,
        title: str,
        kind: RequirementKind,
        description: str | None,
        due_date: dt.date | None,
        period_label: str | None,
        unit_kinds: list[str],
        unit_codes: list[str],
        parts: list[str],
        position: int,
        policy: dict[str, Any],
        accept: list[str] | None = None,
        due_time: dt.time | None = None,
        due_start: dt.date | None = None,
        recurrence: dict[str, Any] | None = None,
        unit_blocks: list[str] | None = None,
    ) -> tuple[Requirement, Change]:
        """Insert the campaign's requirement with ``code`` or update it in place.

        Returns:
            The requirement and what happened to it.
        """
        values: dict[str, Any] = {
            "title": title,
            "kind": kind,
            "description": description,
            "due_date": due_date,
            "due_time": due_time,
            "due_start": due_start,
            "recurrence": recurrence,
            "period_label": period_label,
            "unit_kinds": list(unit_kinds),
            "unit_codes": list(unit_codes),
            "parts": list(parts),
            "position": position,
            "policy": policy,
            "accept": list(accept or []),
            "unit_blocks": list(unit_blocks or []),
        }
        requirement = await self.requirement_by_code(campaign_id, code)
        if requirement is None:
            requirement = Requirement(campaign_id=campaign_id, code=normalize_code(code), **values)
            self._s.add(requirement)
            await self._s.flush()
            return requirement, "created"
        changed = _apply(requirement, values)
        if changed:
            await self._s.flush()
        return requirement, "updated" if changed else "unchanged"

    async def replace_award_forms(
        self, campaign_id: int, forms: Sequence[AwardFormData]
    ) -> AwardFormsChange:
        """Make the campaign's award forms exactly ``forms`` (matched by code, order kept).

        Forms whose code stays keep their row id; nominations keep their award code and name as
        text, so removing a form never touches a nomination.
        """
        result = AwardFormsChange()
        existing = {normalize_code(f.code): f for f in await self.award_forms_for(campaign_id)}
        wanted: set[str] = set()
        for position, data in enumerate(forms):
            code = normalize_code(data.code)
            wanted.add(code)
            values = {"name": data.name, "subject": data.subject, "position": position}
            row = existing.get(code)
            if row is None:
                self._s.add(AwardForm(campaign_id=campaign_id, code=code, **values))
                result.created.append(code)
            elif _apply(row, values):
                result.updated.append(code)
        for code, row in existing.items():
            if code not in wanted:
                await self._s.delete(row)
                result.removed.append(code)
        await self._s.flush()
        return result

    async def requirement_usage(self, requirement_id: int) -> int:
        """Return how many submissions and nominations refer to the requirement."""
        return await self._usage(
            Submission.requirement_id == requirement_id,
            Nomination.requirement_id == requirement_id,
        )

    async def campaign_usage(self, campaign_id: int) -> int:
        """Return how many submissions and nominations belong to the campaign."""
        of_campaign = select(Requirement.id).where(Requirement.campaign_id == campaign_id)
        return await self._usage(
            Submission.requirement_id.in_(of_campaign),
            Nomination.campaign_id == campaign_id,
        )

    async def delegate_count(self, campaign_id: int) -> int:
        """Return how many delegates (of any status) units entered for the campaign."""
        counted = await self._s.scalar(
            select(func.count()).select_from(Delegate).where(Delegate.campaign_id == campaign_id)
        )
        return int(counted or 0)

    async def _usage(
        self, submissions: ColumnElement[bool], nominations: ColumnElement[bool]
    ) -> int:
        """Count the submissions and the nominations matching each condition."""
        counted = await self._s.scalar(
            select(func.count()).select_from(Submission).where(submissions)
        )
        nominated = await self._s.scalar(
            select(func.count()).select_from(Nomination).where(nominations)
        )
        return int(counted or 0) + int(nominated or 0)

    async def delete_requirement(self, requirement: Requirement) -> None:
        """Delete a requirement (use only when :meth:`requirement_usage` is 0)."""
        await self._s.delete(requirement)
        await self._s.flush()

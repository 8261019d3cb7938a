"""The milestones of a campaign (its events and its own dates), as the lists show them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.milestones import Milestone, milestones_of, upcoming
from storage.models import Campaign, Requirement, Unit
from storage.repositories.campaigns import CampaignRepository, milestones_among

__all__ = ["campaign_milestones", "unit_milestones", "upcoming_milestones"]


async def campaign_milestones(
    session: AsyncSession, campaign: Campaign, requirements: Sequence[Requirement] | None = None
) -> list[Milestone]:
    """Every milestone of ``campaign``, by day.

    ``requirements``: the campaign's requirements (``CampaignRepository.requirements_for``)
    when the caller has read them in this transaction already.
    """
    if requirements is None:
        reqs = await CampaignRepository(session).milestones_for(campaign.id)
    else:
        reqs = milestones_among(requirements)
    return milestones_of(reqs, campaign.settings)


async def upcoming_milestones(
    session: AsyncSession, campaign: Campaign, today: dt.date
) -> list[Milestone]:
    """The milestones of ``campaign`` on ``today`` or later, by day."""
    return upcoming(await campaign_milestones(session, campaign), today)


async def unit_milestones(
    session: AsyncSession,
    campaign: Campaign,
    unit: Unit,
    requirements: Sequence[Requirement] | None = None,
) -> list[Milestone]:
    """The milestones ``unit`` organises (its events) or attends (the issuer's own dates).

    ``requirements``: as for :func:`campaign_milestones`.
    """
    found = await campaign_milestones(session, campaign, requirements)
    return [m for m in found if m.concerns(unit)]

"""The milestones of a campaign (its events and its own dates), as the lists show them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.milestones import Milestone, milestones_of, upcoming
from storage.models import Campaign, Unit
from storage.repositories.campaigns import CampaignRepository

__all__ = ["campaign_milestones", "unit_milestones", "upcoming_milestones"]


async def campaign_milestones(session: AsyncSession, campaign: Campaign) -> list[Milestone]:
    """Every milestone of ``campaign``, by day."""
    reqs = await CampaignRepository(session).milestones_for(campaign.id)
    return milestones_of(reqs, campaign.settings)


async def upcoming_milestones(
    session: AsyncSession, campaign: Campaign, today: dt.date
) -> list[Milestone]:
    """The milestones of ``campaign`` on ``today`` or later, by day."""
    return upcoming(await campaign_milestones(session, campaign), today)


async def unit_milestones(
    session: AsyncSession, campaign: Campaign, unit: Unit
) -> list[Milestone]:
    """The milestones ``unit`` organises (its events) or attends (the issuer's own dates)."""
    return [m for m in await campaign_milestones(session, campaign) if m.concerns(unit)]

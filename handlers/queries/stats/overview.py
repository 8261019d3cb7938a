"""The secretariat's overview of a campaign, and the values units can be filtered by."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.milestones import is_milestone, milestones_of, upcoming
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.queries.stats import rules
from handlers.queries.stats.nominations import nomination_stats
from handlers.queries.stats.recent import recent_activity
from handlers.queries.stats.requirements import missing_units, requirement_stats
from handlers.queries.stats.results import CampaignStatus, FilterOption, UnitFilter
from storage.models import Campaign, Unit
from storage.repositories.campaigns import CampaignRepository
from storage.text import vn_sort_key

__all__ = ["block_options", "campaign_status", "kind_options"]


async def campaign_status(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    where: UnitFilter | None = None,
    *,
    recent_limit: int = 5,
    overdue_limit: int = 3,
) -> CampaignStatus:
    """The secretariat's overview of one campaign, from aggregate queries.

    Requirement figures, the overdue units (at most ``overdue_limit`` per requirement), the
    ``recent_limit`` newest items sent, the nomination figures and the milestones to come
    (never counted as owed).
    """
    where = where or UnitFilter()
    _, today = rules.today(campaign, now)
    every = await CampaignRepository(session).requirements_for(campaign.id)
    reqs = [r for r in every if not is_milestone(r)]
    stats = await requirement_stats(session, campaign, now, where, requirements=reqs)
    overdue = await missing_units(
        session, campaign, now, where, overdue_only=True, limit=overdue_limit, stats=stats
    )
    recent = await recent_activity(session, campaign, where, limit=recent_limit, requirements=reqs)
    noms = await nomination_stats(session, campaign, where, unit_limit=3)
    milestones = tuple(upcoming(milestones_of(every, campaign.settings), today))
    return CampaignStatus(
        campaign, today, tuple(stats), tuple(overdue), tuple(recent), noms, milestones
    )


async def block_options(session: AsyncSession) -> list[FilterOption]:
    """Blocks (khối/cụm) that units belong to, in Vietnamese order, with their unit counts."""
    rows = await session.execute(
        select(Unit.block, func.count()).where(Unit.block.is_not(None)).group_by(Unit.block)
    )
    found = [FilterOption(b, b, n) for b, n in rows.tuples() if b]
    return sorted(found, key=lambda o: vn_sort_key(o.value))


async def kind_options(
    session: AsyncSession, kinds: UnitKinds = DEFAULT_UNIT_KINDS
) -> list[FilterOption]:
    """Unit kinds present, in the deployment's vocabulary order and labels, with unit counts."""
    rows = await session.execute(select(Unit.kind, func.count()).group_by(Unit.kind))
    rank = {kind: i for i, kind in enumerate(kinds)}
    found = [FilterOption(k, kinds.label(k), n) for k, n in rows.tuples()]
    return sorted(found, key=lambda o: (rank.get(o.value, len(rank)), o.value))

"""The newest things units sent: current submission versions and batches of nominations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.queries.stats import rules
from handlers.queries.stats.results import RecentItem, UnitFilter, UnitRef
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository

__all__ = ["recent_activity"]


def _late(at: dt.datetime, cutoff: dt.datetime | None) -> bool:
    """Whether ``at`` is at or after the late-from instant (never without a due date)."""
    return cutoff is not None and at >= cutoff


async def recent_activity(
    session: AsyncSession,
    campaign: Campaign,
    where: UnitFilter | None = None,
    *,
    limit: int = 5,
    requirements: Sequence[Requirement] | None = None,
) -> list[RecentItem]:
    """The newest things units sent for ``campaign``, newest first.

    Current submission versions and nominations count; withdrawn ones are left out.
    """
    where = where or UnitFilter()
    tz = ZoneInfo(campaign.timezone)
    reqs = requirements
    if reqs is None:
        reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    by_id = {r.id: r for r in reqs}
    unit_cols = (Unit.id.label("uid"), Unit.code, Unit.name, Unit.block, Unit.kind)
    items: list[RecentItem] = []
    if by_id:
        subs = await session.execute(
            select(
                Submission.submitted_at,
                Submission.requirement_id,
                Submission.status,
                Submission.part,
                *unit_cols,
            )
            .join(Unit, Unit.id == Submission.unit_id)
            .where(
                Submission.requirement_id.in_(list(by_id)),
                Submission.is_current,
                Submission.status != SubmissionStatus.WITHDRAWN,
                *where.clauses(),
            )
            .order_by(Submission.submitted_at.desc(), Submission.id.desc())
            .limit(limit)
        )
        for row in subs:
            req = by_id[row.requirement_id]
            items.append(
                RecentItem(
                    row.submitted_at,
                    rules.unit_ref(row),
                    req,
                    row.status.value,
                    _late(row.submitted_at, rules.cutoff(req, tz, row.uid)),
                    part=row.part,
                )
            )
    items.extend(await _recent_nominations(session, campaign, by_id, where, limit, tz))
    items.sort(key=lambda it: it.at, reverse=True)
    return items[:limit]


#: How many of the newest nominations :func:`_recent_nominations` looks at to find the newest
#: batches (units send nominations in batches of a few to a few dozen).
_RECENT_WINDOW = 200


async def _recent_nominations(
    session: AsyncSession,
    campaign: Campaign,
    by_id: dict[int, Requirement],
    where: UnitFilter,
    limit: int,
    tz: ZoneInfo,
) -> list[RecentItem]:
    """The newest batches of nominations: one item per unit and requirement, at its newest.

    The newest batches are the first distinct (unit, requirement) pairs among the newest
    nominations, so only a window of them is read (by index); then the pairs' counts.
    """
    newest = (
        select(
            Nomination.unit_id.label("uid"),
            Nomination.requirement_id.label("rid"),
            Nomination.created_at.label("at"),
        )
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.status != NominationStatus.WITHDRAWN,
            *where.clauses(),
        )
        .order_by(Nomination.created_at.desc(), Nomination.id.desc())
        .limit(_RECENT_WINDOW)
        .subquery("newest")
    )
    last_at = func.max(newest.c.at).label("at")
    pairs = list(
        await session.execute(
            select(newest.c.uid, newest.c.rid, last_at)
            .group_by(newest.c.uid, newest.c.rid)
            .order_by(last_at.desc(), newest.c.uid)
            .limit(limit)
        )
    )
    if not pairs:
        return []
    same_pair = [
        and_(
            Nomination.unit_id == uid,
            Nomination.requirement_id.is_(None)
            if rid is None
            else Nomination.requirement_id == rid,
        )
        for uid, rid, _ in pairs
    ]
    counts = await session.execute(
        select(
            Nomination.unit_id,
            Nomination.requirement_id,
            func.count(),
            Unit.code,
            Unit.name,
            Unit.block,
            Unit.kind,
        )
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.status != NominationStatus.WITHDRAWN,
            or_(*same_pair),
        )
        .group_by(
            Nomination.unit_id,
            Nomination.requirement_id,
            Unit.code,
            Unit.name,
            Unit.block,
            Unit.kind,
        )
    )
    found = {
        (uid, rid): (n, UnitRef(uid, code, name, block, kind))
        for uid, rid, n, code, name, block, kind in counts.tuples()
    }
    items = []
    for uid, rid, at in pairs:
        n, unit = found[(uid, rid)]
        req = by_id.get(rid) if rid is not None else None
        items.append(
            RecentItem(
                at,
                unit,
                req,
                "submitted",
                req is not None and _late(at, rules.cutoff(req, tz, uid)),
                nominations=int(n),
            )
        )
    return items

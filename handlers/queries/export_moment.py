"""Whether the status read models already show a campaign as it stood at a moment.

An export shows the campaign "tính đến" the moment it was asked for; the export worker builds it
a little later. Recomputing the figures at a past moment scans every submission and nomination
of the campaign; the read models (``standings``, ``nomination_counts``) hold them as they stand
now. When nothing was sent, reviewed, created or changed after the moment (and no unit retired),
the two are the same, and the figures are read from the read models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Nomination, Submission, SubmissionStatus, Unit

__all__ = ["settled_at"]

_REVIEWED = (SubmissionStatus.ACCEPTED, SubmissionStatus.RETURNED)


async def settled_at(
    session: AsyncSession, campaign_id: int, requirement_ids: Sequence[int], moment: dt.datetime
) -> bool:
    """Whether the campaign's submissions and nominations are as they stood at ``moment``.

    True when no submission of ``requirement_ids`` was sent or reviewed after ``moment`` (and
    none is marked reviewed without a review time), no nomination of the campaign was created
    or changed after it, and no unit was retired after it: then the figures "as of" ``moment``
    are the current ones (see ``handlers.queries.stats.rules``: ``_submission_view``,
    ``nomination_counted`` and ``active_at``).
    """
    # A unit retired after the moment owed then, and owes nothing now (index on the retirement).
    retired = await session.scalar(select(Unit.id).where(Unit.deactivated_at > moment).limit(1))
    if retired is not None:
        return False
    if requirement_ids:
        later = await session.scalar(
            select(Submission.id)
            .where(
                Submission.requirement_id.in_(list(requirement_ids)),
                or_(
                    Submission.submitted_at > moment,
                    Submission.reviewed_at > moment,
                    and_(Submission.status.in_(_REVIEWED), Submission.reviewed_at.is_(None)),
                ),
            )
            .limit(1)
        )
        if later is not None:
            return False
    created = await session.scalar(
        select(Nomination.id)
        .where(Nomination.campaign_id == campaign_id, Nomination.created_at > moment)
        .limit(1)
    )
    if created is not None:
        return False
    # No index holds the change time: one pass over the table. "+ 0" keeps SQLite from
    # reaching every row of the campaign through its index instead (10× slower at 500 000).
    changed = await session.scalar(
        select(Nomination.id)
        .where((Nomination.campaign_id + 0) == campaign_id, Nomination.updated_at > moment)
        .limit(1)
    )
    return changed is None

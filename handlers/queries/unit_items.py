"""What a unit has sent, to browse with its files: submissions and nominations, at any time.

Read by ``/hoso`` (:mod:`handlers.flows.browse`): the current version of each submission (of
every part) and every nomination in play, over the campaigns in progress or closed, whatever
their review status (not only those waiting in ``/duyet``). Withdrawn items are left out.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    Submission,
    SubmissionStatus,
)

__all__ = ["ItemKind", "UnitItem", "find_item", "unit_items"]


class ItemKind(enum.StrEnum):
    """A submission (a version of a requirement or a dossier part) or a nomination."""

    SUBMISSION = "sub"
    NOMINATION = "nom"


@dataclass(frozen=True, slots=True)
class UnitItem:
    """One thing a unit sent, as the list shows it.

    Attributes:
        kind: A submission or a nomination.
        id: Its id.
        title: The requirement's title, or the nominee's name.
        part: The dossier part ("" if none).
        status: Its review status (the enum's value).
        at: When it was sent.
        has_file: Whether a file came with it.
        campaign: The campaign's title.
        award: A nomination's proposed award ("" for a submission).
    """

    kind: ItemKind
    id: int
    title: str
    part: str
    status: str
    at: dt.datetime
    has_file: bool
    campaign: str
    award: str = ""


async def unit_items(
    session: AsyncSession, unit_id: int, campaigns: list[Campaign]
) -> list[UnitItem]:
    """The unit's current submissions, then its nominations, in the campaigns given.

    Submissions come in checklist order (campaign, requirement, part); nominations in the order
    they were sent.
    """
    if not campaigns:
        return []
    ids = [c.id for c in campaigns]
    titles = {c.id: c.title for c in campaigns}
    subs = await session.execute(
        select(Submission, Requirement)
        .join(Requirement, Requirement.id == Submission.requirement_id)
        .where(
            Requirement.campaign_id.in_(ids),
            Submission.unit_id == unit_id,
            Submission.is_current.is_(True),
            Submission.status != SubmissionStatus.WITHDRAWN,
        )
        .order_by(
            Requirement.campaign_id,
            Requirement.position,
            Requirement.id,
            Submission.part,
            Submission.id,
        )
    )
    items = [
        UnitItem(
            ItemKind.SUBMISSION,
            sub.id,
            req.title,
            sub.part,
            sub.status.value,
            sub.submitted_at,
            sub.file_id is not None,
            titles[req.campaign_id],
        )
        for sub, req in subs.tuples()
    ]
    noms = await session.scalars(
        select(Nomination)
        .where(
            Nomination.campaign_id.in_(ids),
            Nomination.unit_id == unit_id,
            Nomination.status != NominationStatus.WITHDRAWN,
        )
        .order_by(Nomination.created_at, Nomination.id)
    )
    items += [
        UnitItem(
            ItemKind.NOMINATION,
            n.id,
            n.full_name,
            "",
            n.status.value,
            n.created_at,
            n.file_id is not None,
            titles[n.campaign_id],
            n.award_name,
        )
        for n in noms
    ]
    return items


async def find_item(
    session: AsyncSession, kind: ItemKind, item_id: int, unit_id: int
) -> tuple[Submission | Nomination, Requirement | None] | None:
    """The item and its requirement, if it exists, belongs to ``unit_id`` and is not withdrawn."""
    item: Submission | Nomination | None
    if kind is ItemKind.SUBMISSION:
        item = await session.get(Submission, item_id)
        if item is None or item.status is SubmissionStatus.WITHDRAWN:
            return None
    else:
        item = await session.get(Nomination, item_id)
        if item is None or item.status is NominationStatus.WITHDRAWN:
            return None
    if item.unit_id != unit_id:
        return None
    req = await session.get(Requirement, item.requirement_id) if item.requirement_id else None
    return item, req

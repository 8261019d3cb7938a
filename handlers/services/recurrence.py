"""Yearly rules: each year's occurrence of a requirement "hằng năm 15/03" is its own requirement.

A requirement with a yearly ``recurrence`` (:mod:`handlers.domain.due_forms`) is the rule: it
has no due date, nobody owes it and it is never reminded. Its occurrence for a year is a
requirement of the same campaign coded ``<CODE>-<YEAR>`` with the rule's title, kind, units,
parts, accepted types and reminder policy, due the rule's day of that year, labelled
``năm <YEAR>``, listed just before its rule: each year's submissions stay apart.

:func:`generate_occurrences` makes the first occurrence (the rule's next day from today) and,
once the latest occurrence's due date has passed, the next year's. It is idempotent (an
occurrence is never made twice: its code is looked up first) and is called by the scheduler's
reconcile pass (:func:`generate_all`), by ``tdkt campaign load`` and by the plan intake.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.due_forms import (
    occurrence_code,
    occurrence_label,
    recurrence_of,
    yearly_date,
)
from handlers.domain.progress import local_today
from storage.models import Campaign, Requirement
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.text import normalize_code

__all__ = ["generate_all", "generate_occurrences"]

logger = logging.getLogger(__name__)
_CODE_MAX = 64  # Requirement.code


def _next_year(rule: Requirement, reqs: list[Requirement], today: dt.date) -> int | None:
    """The year whose occurrence ``rule`` needs now, None when the latest is still pending."""
    yearly = recurrence_of(rule.recurrence)
    assert yearly is not None
    pattern = re.compile(rf"^{re.escape(normalize_code(rule.code))}-(\d{{4}})$")
    made = {int(m[1]): r for r in reqs if (m := pattern.match(normalize_code(r.code))) is not None}
    if not made:
        this_year = yearly_date(*yearly, today.year)
        return today.year if this_year >= today else today.year + 1
    latest = max(made)
    due = made[latest].due_date
    if due is None or due >= today:
        return None
    return latest + 1


async def generate_occurrences(
    session: AsyncSession, campaign: Campaign, now: dt.datetime
) -> list[Requirement]:
    """Make the occurrences the campaign's yearly rules need at ``now``; the ones made.

    For a rule without any occurrence: the one of its next day from today (this year's when
    it has not passed yet). For a rule whose latest occurrence's due date has passed: the next
    year's. Nothing when the latest is still pending, so calling it again changes nothing.
    """
    repo = CampaignRepository(session)
    reqs = await repo.requirements_for(campaign.id)
    today = local_today(now, campaign.timezone)
    made: list[Requirement] = []
    for rule in reqs:
        yearly = recurrence_of(rule.recurrence)
        if yearly is None:
            continue
        year = _next_year(rule, reqs, today)
        if year is None:
            continue
        code = occurrence_code(rule.code, year)
        if len(code) > _CODE_MAX:
            logger.warning("Yearly rule %s/%s: code too long", campaign.code, rule.code)
            continue
        if await repo.requirement_by_code(campaign.id, code) is not None:
            continue  # a code taken by another requirement: never overwritten
        occurrence, _ = await repo.upsert_requirement(
            campaign.id,
            code=code,
            title=rule.title,
            kind=rule.kind,
            description=rule.description,
            due_date=yearly_date(*yearly, year),
            period_label=occurrence_label(year),
            unit_kinds=list(rule.unit_kinds),
            unit_codes=list(rule.unit_codes),
            parts=list(rule.parts),
            position=rule.position,
            policy=dict(rule.policy),
            accept=list(rule.accept),
        )
        AuditRepository(session).record(
            at=now,
            person_id=None,
            action="requirement.occurrence",
            entity="requirement",
            entity_id=occurrence.id,
            detail={"campaign": campaign.code, "rule": rule.code, "code": code, "year": year},
        )
        logger.info("Yearly rule %s/%s: occurrence %s made", campaign.code, rule.code, code)
        made.append(occurrence)
    if made:  # numbered in checklist order again: each occurrence just before its rule
        for position, req in enumerate(await repo.requirements_for(campaign.id)):
            req.position = position
        await session.flush()
    return made


async def generate_all(factory: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    """:func:`generate_occurrences` for every active campaign, in one transaction; how many.

    The scheduler's reconcile pass calls it (one line there).
    """
    async with factory.begin() as session:
        total = 0
        for campaign in await CampaignRepository(session).get_active():
            total += len(await generate_occurrences(session, campaign, now))
        return total

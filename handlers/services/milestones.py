"""Milestone reminders: which organisers of an event are reminded at a moment.

Called from the same planning pass as the send reminders (:func:`handlers.services.reminders.
plan_notices`, :func:`~handlers.services.reminders.upcoming_instants`) and claimed the same way:
each :class:`PlannedNotice` carries a key unique per (milestone, unit, slot, recipient) —
``ms:<requirement>:<unit>:<slot>@<day>:<account>`` — that ``sent_notices`` refuses a second time,
whichever process, restart or duplicate run tries. The day is in the key, so a milestone moved
to another day is reminded afresh.

Rules (:mod:`handlers.domain.milestones`): an event is reminded to the reachable linked heads
(and members, with ``include_members``) of every active unit it applies to — its organisers —
whatever they sent; at the policy's days before and on the day (the campaign's ``reminders``
with the event's own ``policy`` over it), never after. The campaign's own dates
(``settings.milestones``) are listed, not reminded.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.milestones import milestone_policy, organised_by
from handlers.domain.progress import local_today
from handlers.domain.reminder_policy import (
    PolicyError,
    ReminderPolicy,
    Slot,
    WorkingCalendar,
    due_slot,
    effective_policy,
    quiet_shift,
    reminder_slots,
)
from handlers.kernel.messages import Reply
from handlers.kernel.texts import Texts
from handlers.services.notice_plan import PlannedNotice, Recipient, once
from storage.models import Campaign, Requirement, Role, Unit
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository

__all__ = ["MILESTONE", "milestone_instants", "plan_milestones"]

#: The kind of a milestone reminder in ``sent_notices``.
MILESTONE = "milestone"

_LOGGER = logging.getLogger(__name__)


def _policy(campaign: Campaign, req: Requirement) -> ReminderPolicy:
    """The event's reminder policy (days before and the day itself only)."""
    try:
        policy = effective_policy(campaign.settings, req.policy)
    except PolicyError as err:
        _LOGGER.warning("milestone %s: invalid reminder policy (%s); using defaults", req.id, err)
        policy = ReminderPolicy()
    return milestone_policy(policy)


def _due_slot(
    campaign: Campaign,
    req: Requirement,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> Slot | None:
    """The event's slot due at ``now`` (the newest missed one after downtime), if any."""
    if req.due_date is None:
        return None  # "chưa có hạn": never reminded until a day is set
    policy = _policy(campaign, req)
    return due_slot(req.due_date, policy, ZoneInfo(campaign.timezone), calendar, now, grace)


async def plan_milestones(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> list[PlannedNotice]:
    """Every milestone reminder of ``campaign`` due at ``now`` (claimed or not).

    Units and accounts are read only when some event has a slot due.
    """
    events = await CampaignRepository(session).milestones_for(campaign.id)
    due = [
        (req, slot) for req in events if (slot := _due_slot(campaign, req, now, grace, calendar))
    ]
    if not due:
        return []
    units = [u for u in await UnitRepository(session).list_all() if u.is_active]
    today = local_today(now, campaign.timezone)
    found: list[PlannedNotice] = []
    for req, slot in due:
        assert req.due_date is not None  # _due_slot finds no slot without a day
        organisers = [u for u in units if organised_by(req, u)]
        if not organisers:
            continue
        roles: tuple[Role, ...] = (Role.UNIT_HEAD,)
        if _policy(campaign, req).include_members:
            roles = (Role.UNIT_HEAD, Role.UNIT_MEMBER)
        accounts = await _accounts(session, roles, organisers)
        key = f"{slot.key}@{req.due_date:%Y%m%d}"
        for unit in organisers:  # the units' own order (UnitRepository.list_all)
            render = once(
                functools.partial(_reply, texts, campaign, req, unit, (req.due_date - today).days)
            )
            found.extend(
                PlannedNotice(
                    key=f"ms:{req.id}:{unit.id}:{key}:{recipient.account_id}",
                    kind=MILESTONE,
                    campaign_id=campaign.id,
                    requirement_id=req.id,
                    unit_id=unit.id,
                    unit_name=unit.name,
                    requirement_title=req.title,
                    slot=key,
                    slot_at=slot.at,
                    recipient=recipient,
                    render=render,
                )
                for recipient in accounts.get(unit.id, [])
            )
    return found


async def _accounts(
    session: AsyncSession, roles: Sequence[Role], units: Sequence[Unit]
) -> dict[int, list[Recipient]]:
    """The reachable linked accounts of people with ``roles`` in ``units``, by unit id."""
    rows = await PeopleRepository(session).linked_accounts(
        roles, unit_ids=[u.id for u in units], reachable_only=True
    )
    found: dict[int, list[Recipient]] = {}
    for account, person, _ in rows:
        if account.chat_id is None or person.unit_id is None:
            continue
        found.setdefault(person.unit_id, []).append(
            Recipient(account.id, account.channel, account.chat_id, person.full_name)
        )
    return found


def _reply(
    texts: Texts, campaign: Campaign, req: Requirement, unit: Unit, days_left: int
) -> Reply:
    return Reply(
        texts(
            "reminders.milestone",
            tz=campaign.timezone,
            req=req,
            unit=unit,
            days_left=days_left,
            campaign=campaign,
        )
    )


async def milestone_instants(
    session: AsyncSession,
    campaign: Campaign,
    start: dt.datetime,
    end: dt.datetime,
    calendar: WorkingCalendar,
) -> set[dt.datetime]:
    """The moments in ``[start, end]`` when a milestone reminder of ``campaign`` becomes due."""
    tz = ZoneInfo(campaign.timezone)
    found: set[dt.datetime] = set()
    for req in await CampaignRepository(session).milestones_for(campaign.id):
        if req.due_date is None:
            continue
        policy = _policy(campaign, req)
        for slot in reminder_slots(req.due_date, policy, tz, calendar):
            moment = quiet_shift(slot.at, policy.quiet_hours, tz)
            if start <= moment <= end:
                found.add(moment)
    return found

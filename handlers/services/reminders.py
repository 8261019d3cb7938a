"""Which reminders and digests are due at a moment, and to whom — derived from the database.

Nothing here sends or schedules: :func:`plan_notices` reads requirements, units, submissions
and accounts and returns :class:`PlannedNotice` s, each with the claim key that makes it
exactly-once (``scheduler/`` claims, sends and records). Because the plan is recomputed at
every run, a submission, a returned item or a changed deadline changes what is sent next,
without any job to update.

Rules:

* A requirement's reminder slots come from its policy (:mod:`handlers.domain.reminder_policy`).
  A slot is *due* from its time (pushed out of quiet hours) until ``grace`` after it; after
  downtime the newest due slot of a requirement is sent once, older missed ones never.
* Slots follow each unit's effective deadline (:mod:`handlers.domain.deadlines`): after a gia
  hạn the slots of the new deadline are new keys (``b3@20191120``), so its reminders go out
  even where the old deadline's same slot already went.
* A reminder goes to every reachable linked head (and member, if the policy says so) of each
  unit the requirement applies to whose mark is missing, partial or returned — and names what is
  missing and the deadline.
* The secretariat's digest goes out on digest days (working days by default) at the digest time:
  per requirement submitted/total, units that became late since the previous digest day,
  submissions returned since then.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import effective_due, extended_to, unit_dues
from handlers.domain.progress import RequirementProgress, UnitMark, local_today
from handlers.domain.reminder_policy import (
    DigestPolicy,
    PolicyError,
    ReminderPolicy,
    WorkingCalendar,
    digest_days,
    effective_policy,
    parse_digest,
    quiet_shift,
    reminder_slots,
)
from handlers.kernel.messages import Reply
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress
from storage.models import Campaign, Requirement, Role, Unit
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.submissions import SubmissionRepository
from storage.text import vn_sort_key

__all__ = [
    "DEFAULT_GRACE",
    "PlannedNotice",
    "Recipient",
    "plan_notices",
    "preview_notices",
    "unreachable_blocked_ids",
    "unreachable_late_units",
    "unreachable_summary",
    "upcoming_instants",
]

DEFAULT_GRACE = dt.timedelta(hours=12)

_LOGGER = logging.getLogger(__name__)


def _policy(campaign: Campaign, req: Requirement) -> ReminderPolicy:
    """The requirement's policy; the default one if what is stored no longer parses."""
    try:
        return effective_policy(campaign.settings, req.policy)
    except PolicyError as err:
        _LOGGER.warning(
            "requirement %s: invalid reminder policy (%s); using defaults", req.id, err
        )
        return ReminderPolicy()


def _digest_policy(campaign: Campaign) -> DigestPolicy:
    try:
        return parse_digest(campaign.settings)
    except PolicyError as err:
        _LOGGER.warning(
            "campaign %s: invalid digest settings (%s); using defaults", campaign.id, err
        )
        return DigestPolicy()


@dataclass(frozen=True, slots=True)
class Recipient:
    """A linked chat account a notice goes to."""

    account_id: int
    channel: str
    chat_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PlannedNotice:
    """One message due now to one recipient, with its exactly-once key."""

    key: str
    kind: str  # "reminder" | "digest"
    campaign_id: int
    requirement_id: int | None
    unit_id: int | None
    unit_name: str | None
    requirement_title: str | None
    slot: str
    slot_at: dt.datetime
    recipient: Recipient
    reply: Reply


async def _recipients(
    session: AsyncSession, roles: Sequence[Role], unit_ids: Sequence[int] | None
) -> dict[int | None, list[Recipient]]:
    """Reachable linked accounts of people with ``roles`` (in ``unit_ids``), by unit id."""
    rows = await PeopleRepository(session).linked_accounts(
        roles, unit_ids=unit_ids, reachable_only=True
    )
    found: dict[int | None, list[Recipient]] = {}
    for account, person, _ in rows:
        assert account.chat_id is not None
        found.setdefault(person.unit_id, []).append(
            Recipient(account.id, account.channel, account.chat_id, person.full_name)
        )
    return found


async def _campaigns(session: AsyncSession, campaign_code: str | None) -> list[Campaign]:
    """The active campaigns, or the one named if it is active (a closed one sends nothing)."""
    repo = CampaignRepository(session)
    if not campaign_code:
        return await repo.get_active()
    one = await repo.get_by_code(campaign_code)
    return [one] if one is not None and one.is_active else []


async def plan_notices(
    session: AsyncSession,
    texts: Texts,
    now: dt.datetime,
    *,
    grace: dt.timedelta = DEFAULT_GRACE,
    campaign_code: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> list[PlannedNotice]:
    """Every reminder and digest due at ``now`` (claimed or not: the caller filters)."""
    calendar = calendar or WorkingCalendar()
    campaigns = await _campaigns(session, campaign_code)
    planned: list[PlannedNotice] = []
    for campaign in campaigns:
        progress = await campaign_progress(session, campaign, now)
        planned.extend(await _reminders(session, texts, campaign, progress, now, grace, calendar))
        planned.extend(await _digest(session, texts, campaign, progress, now, grace, calendar))
    return planned


async def preview_notices(
    session: AsyncSession,
    texts: Texts,
    now: dt.datetime,
    *,
    grace: dt.timedelta = DEFAULT_GRACE,
    campaign_code: str | None = None,
) -> list[tuple[PlannedNotice, bool]]:
    """What is due at ``now``, each with whether it has already been claimed (sent)."""
    planned = await plan_notices(session, texts, now, grace=grace, campaign_code=campaign_code)
    taken = await NoticeRepository(session).claimed_keys(p.key for p in planned)
    return [(p, p.key in taken) for p in planned]


async def _reminders(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    progress: Sequence[RequirementProgress],
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> list[PlannedNotice]:
    tz = ZoneInfo(campaign.timezone)
    today = local_today(now, campaign.timezone)
    planned: list[PlannedNotice] = []
    for item in progress:
        req = item.requirement
        policy = _policy(campaign, req)
        roles = (Role.UNIT_HEAD, Role.UNIT_MEMBER) if policy.include_members else (Role.UNIT_HEAD,)
        by_due: dict[dt.date, list[UnitMark]] = {}
        for m in item.missing:
            if m.unit.is_active:  # a retired unit is not reminded
                by_due.setdefault(effective_due(req, m.unit.id), []).append(m)
        for due_day, owing in by_due.items():
            due = [
                slot
                for slot in reminder_slots(due_day, policy, tz, calendar)
                if quiet_shift(slot.at, policy.quiet_hours, tz) <= now < slot.at + grace
            ]
            if not due:
                continue
            slot = due[-1]  # after downtime only the newest missed slot goes out
            people = await _recipients(session, roles, [m.unit.id for m in owing])
            for mark in owing:
                # A gia hạn starts the reminders of the new deadline afresh.
                key = (
                    slot.key
                    if extended_to(req, mark.unit.id) is None
                    else f"{slot.key}@{due_day:%Y%m%d}"
                )
                reply = Reply(
                    texts(
                        "reminders.reminder",
                        tz=campaign.timezone,
                        req=req,
                        unit=mark.unit,
                        mark=mark,
                        days_left=(due_day - today).days,
                        campaign=campaign,
                        due=due_day,
                    )
                )
                for person in people.get(mark.unit.id, []):
                    planned.append(
                        PlannedNotice(
                            key=f"rem:{req.id}:{mark.unit.id}:{key}:{person.account_id}",
                            kind="reminder",
                            campaign_id=campaign.id,
                            requirement_id=req.id,
                            unit_id=mark.unit.id,
                            unit_name=mark.unit.name,
                            requirement_title=req.title,
                            slot=key,
                            slot_at=slot.at,
                            recipient=person,
                            reply=reply,
                        )
                    )
    return planned


async def _digest(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    progress: Sequence[RequirementProgress],
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> list[PlannedNotice]:
    digest = _digest_policy(campaign)
    tz = ZoneInfo(campaign.timezone)
    today = local_today(now, campaign.timezone)
    if not digest.enabled or today not in digest_days(today, today, digest, calendar):
        return []
    at = dt.datetime.combine(today, digest.at, tzinfo=tz).astimezone(dt.UTC)
    if not at <= now < at + grace:
        return []
    earlier = digest_days(
        today - dt.timedelta(days=14), today - dt.timedelta(days=1), digest, calendar
    )
    since_day = earlier[-1] if earlier else today - dt.timedelta(days=1)
    since = dt.datetime.combine(since_day, digest.at, tzinfo=tz).astimezone(dt.UTC)
    newly_late: list[tuple[Requirement, UnitMark]] = [
        (item.requirement, mark)
        for item in progress
        for mark in item.missing
        if since_day <= effective_due(item.requirement, mark.unit.id) < today
    ]
    returned = await SubmissionRepository(session).returned_between(campaign.id, since, now)
    unreachable = await unreachable_late_units(session, progress, today)
    blocked = await unreachable_blocked_ids(session, unreachable)
    reply = Reply(
        texts(
            "reminders.digest",
            tz=campaign.timezone,
            campaign=campaign,
            items=progress,
            newly_late=newly_late,
            returned=returned,
            today=today,
            unreachable=unreachable,
            blocked=blocked,
        )
    )
    secretaries = (await _recipients(session, (Role.SECRETARIAT,), None)).get(None, [])
    return [
        PlannedNotice(
            key=f"digest:{campaign.id}:{today.isoformat()}:{person.account_id}",
            kind="digest",
            campaign_id=campaign.id,
            requirement_id=None,
            unit_id=None,
            unit_name=None,
            requirement_title=None,
            slot=f"digest-{today.isoformat()}",
            slot_at=at,
            recipient=person,
            reply=reply,
        )
        for person in secretaries
    ]


async def unreachable_late_units(
    session: AsyncSession, progress: Sequence[RequirementProgress], today: dt.date
) -> list[Unit]:
    """Active units late on some requirement whom no reminder can reach, by name.

    A unit cannot be reached when none of its heads or members has linked a chat account the
    bot can write to (never linked, or marked unreachable).
    """
    late: dict[int, Unit] = {
        mark.unit.id: mark.unit
        for item in progress
        for mark in item.missing
        if mark.unit.is_active and effective_due(item.requirement, mark.unit.id) < today
    }
    if not late:
        return []
    reachable = await _recipients(session, (Role.UNIT_HEAD, Role.UNIT_MEMBER), list(late))
    return sorted(
        (u for uid, u in late.items() if not reachable.get(uid)), key=lambda u: vn_sort_key(u.name)
    )


async def unreachable_blocked_ids(session: AsyncSession, units: Sequence[Unit]) -> set[int]:
    """Of ``units`` (which no reminder can reach), those whose people did link an account.

    Their accounts are marked unreachable (the bot was blocked or the account deleted); the
    others never linked one.
    """
    if not units:
        return set()
    rows = await PeopleRepository(session).linked_accounts(
        (Role.UNIT_HEAD, Role.UNIT_MEMBER), unit_ids=[u.id for u in units]
    )
    return {person.unit_id for _, person, _ in rows if person.unit_id is not None}


async def unreachable_summary(
    session: AsyncSession, now: dt.datetime, *, campaign_code: str | None = None
) -> list[tuple[Campaign, list[Unit]]]:
    """Per active campaign (or the one named), the late units no reminder can reach."""
    campaigns = await _campaigns(session, campaign_code)
    result = []
    for campaign in campaigns:
        progress = await campaign_progress(session, campaign, now)
        today = local_today(now, campaign.timezone)
        result.append((campaign, await unreachable_late_units(session, progress, today)))
    return result


async def upcoming_instants(
    session: AsyncSession,
    now: dt.datetime,
    horizon: dt.timedelta,
    calendar: WorkingCalendar | None = None,
) -> list[dt.datetime]:
    """The moments in ``[now, now + horizon]`` when some reminder or digest becomes due.

    The scheduler keeps one job per moment; each job asks :func:`plan_notices` what is due.
    """
    calendar = calendar or WorkingCalendar()
    end = now + horizon
    instants: set[dt.datetime] = set()
    campaigns = await CampaignRepository(session).get_active()
    for campaign in campaigns:
        tz = ZoneInfo(campaign.timezone)
        for req in await CampaignRepository(session).requirements_for(campaign.id):
            policy = _policy(campaign, req)
            for due_day in {req.due_date, *unit_dues(req).values()}:
                for slot in reminder_slots(due_day, policy, tz, calendar):
                    moment = quiet_shift(slot.at, policy.quiet_hours, tz)
                    if now <= moment <= end:
                        instants.add(moment)
        digest = _digest_policy(campaign)
        if digest.enabled:
            first = local_today(now, campaign.timezone)
            last = local_today(end, campaign.timezone)
            for day in digest_days(first, last, digest, calendar):
                moment = dt.datetime.combine(day, digest.at, tzinfo=tz).astimezone(dt.UTC)
                if now <= moment <= end:
                    instants.add(moment)
    return sorted(instants)

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
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.deadlines import effective_due, extended_to, unit_dues
from handlers.domain.progress import local_today
from handlers.domain.reminder_policy import (
    DigestPolicy,
    PolicyError,
    ReminderPolicy,
    Slot,
    WorkingCalendar,
    digest_days,
    due_slot,
    effective_policy,
    parse_digest,
    quiet_shift,
    reminder_slots,
)
from handlers.kernel.messages import Reply
from handlers.kernel.texts import Texts
from handlers.queries.milestones import upcoming_milestones
from handlers.queries.stats import (
    OwingRows,
    UnitRef,
    digest_figures,
    owing_account_rows,
    unreachable_owing,
)
from handlers.queries.stats.rules import unit_ref
from handlers.services.milestones import milestone_instants, plan_milestones
from handlers.services.notice_plan import PlannedNotice, Recipient, once
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
#: The digest lists at most this many milestones to come (the nearest).
DIGEST_MILESTONES = 3

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
    """Every reminder and digest due at ``now`` (claimed or not: the caller filters).

    Which slots are due is decided from the requirements alone; the owing units and their
    accounts are then read in one query per (campaign, recipients' roles) for the requirements
    with a due slot only. When nothing is due, no unit, submission or account is read.
    """
    calendar = calendar or WorkingCalendar()
    campaigns = await _campaigns(session, campaign_code)
    planned: list[PlannedNotice] = []
    for campaign in campaigns:
        planned.extend(await _reminders(session, texts, campaign, now, grace, calendar))
        planned.extend(await _digest(session, texts, campaign, now, grace, calendar))
        planned.extend(await plan_milestones(session, texts, campaign, now, grace, calendar))
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


def _deadlines(req: Requirement) -> set[dt.date]:
    """Everyone's deadline and the units' own later ones (gia hạn for listed units).

    None for a requirement "chưa có hạn": it is never reminded until a day is set.
    """
    if req.due_date is None:
        return set()
    return {req.due_date, *unit_dues(req).values()}


def _due_slots(
    campaign: Campaign,
    req: Requirement,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> tuple[dict[dt.date, Slot], ReminderPolicy]:
    """The requirement's slots due at ``now``, one per deadline that has one.

    The deadlines are everyone's and each unit's own after a gia hạn; the slot is the newest
    missed one after downtime.
    """
    tz = ZoneInfo(campaign.timezone)
    policy = _policy(campaign, req)
    found: dict[dt.date, Slot] = {}
    for due_day in _deadlines(req):
        if slot := due_slot(due_day, policy, tz, calendar, now, grace):
            found[due_day] = slot
    return found, policy


@dataclass(frozen=True, slots=True)
class _DueReq:
    """What a requirement's reminders due now need per owing unit, worked out once."""

    rid: int
    title: str
    rank: int
    req: Requirement
    #: The units' own later deadlines (gia hạn), by unit id.
    dues: dict[int, dt.date]
    #: (deadline, slot, slot key) of everyone's deadline, when it has a slot due now.
    general: tuple[dt.date, Slot, str] | None
    #: (slot, slot key) by a listed unit's own deadline that has a slot due now.
    listed: dict[dt.date, tuple[Slot, str]]

    def slot_for(self, unit_id: int) -> tuple[dt.date, Slot, str] | None:
        """The unit's deadline, its slot due now and the slot's key (None: none due)."""
        own = self.dues.get(unit_id)
        if own is None:
            return self.general
        found = self.listed.get(own)
        return None if found is None else (own, *found)


def _due_req(req: Requirement, rank: int, slots: dict[dt.date, Slot]) -> _DueReq:
    """:class:`_DueReq` of ``req`` whose slots due now are ``slots`` (by deadline).

    A gia hạn starts the reminders of the new deadline afresh: the key of a unit's own
    deadline, or of everyone's once it was extended, names the deadline.
    """
    dues = unit_dues(req)
    general = None
    if req.due_date is not None and (slot := slots.get(req.due_date)) is not None:
        key = slot.key if extended_to(req) is None else f"{slot.key}@{req.due_date:%Y%m%d}"
        general = (req.due_date, slot, key)
    listed = {
        day: (slots[day], f"{slots[day].key}@{day:%Y%m%d}")
        for day in set(dues.values())
        if day in slots
    }
    return _DueReq(req.id, req.title, rank, req, dues, general, listed)


async def _reminders(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> list[PlannedNotice]:
    """The reminders due at ``now``: one owing query per recipients' roles, rows as they come.

    Per row only the notice is made (its key, recipient and a text rendered when asked); the
    units' Vietnamese sort keys are computed once per unit, then every notice is ordered by
    integers: the checklist's order, the units' own, the account.
    """
    tz = ZoneInfo(campaign.timezone)
    today = local_today(now, campaign.timezone)
    campaign_id = campaign.id
    by_roles: dict[tuple[Role, ...], list[_DueReq]] = {}
    requirements = await CampaignRepository(session).owed_requirements_for(campaign_id)
    for rank, req in enumerate(requirements):
        due, policy = _due_slots(campaign, req, now, grace, calendar)
        if not due:
            continue
        wanted: tuple[Role, ...] = (Role.UNIT_HEAD,)
        if policy.include_members:
            wanted = (Role.UNIT_HEAD, Role.UNIT_MEMBER)
        by_roles.setdefault(wanted, []).append(_due_req(req, rank, due))
    units: dict[int, UnitRef] = {}
    found: list[tuple[int, int, int, PlannedNotice]] = []
    for roles, due_reqs in by_roles.items():
        by_id = {d.rid: d for d in due_reqs}
        owing = await owing_account_rows(session, [d.req for d in due_reqs], tz, roles)
        replies: dict[tuple[int, int], Callable[[], Reply]] = {}
        for row in owing.rows:
            due_req, uid = by_id[row.rid], row.uid
            slotted = due_req.slot_for(uid)
            if slotted is None:
                continue  # this unit's own deadline (a gia hạn) has no slot due now
            due_day, slot, key = slotted
            render = replies.get((due_req.rid, uid))
            if render is None:
                render = replies[(due_req.rid, uid)] = once(
                    functools.partial(
                        _reminder_reply, texts, campaign, due_req.req, owing, row, today, due_day
                    )
                )
            unit = units.get(uid)
            if unit is None:
                unit = units[uid] = unit_ref(row)
            account_id = row.account_id
            notice = PlannedNotice(
                key=f"rem:{due_req.rid}:{uid}:{key}:{account_id}",
                kind="reminder",
                campaign_id=campaign_id,
                requirement_id=due_req.rid,
                unit_id=uid,
                unit_name=unit.name,
                requirement_title=due_req.title,
                slot=key,
                slot_at=slot.at,
                recipient=Recipient(account_id, row.channel, row.chat_id, row.full_name),
                render=render,
            )
            found.append((due_req.rank, uid, account_id, notice))
    # Checklist order, then the units' own order, then the account.
    order = {u.id: n for n, u in enumerate(sorted(units.values(), key=UnitRef.sort_key))}
    found.sort(key=lambda item: (item[0], order[item[1]], item[2]))
    return [item[3] for item in found]


def _reminder_reply(
    texts: Texts,
    campaign: Campaign,
    req: Requirement,
    owing: OwingRows,
    row: Any,
    today: dt.date,
    due_day: dt.date,
) -> Reply:
    standing = owing.standing(row)
    return Reply(
        texts(
            "reminders.reminder",
            tz=campaign.timezone,
            req=req,
            unit=standing.unit,
            mark=standing,
            days_left=(due_day - today).days,
            campaign=campaign,
            due=due_day,
        )
    )


async def _digest(
    session: AsyncSession,
    texts: Texts,
    campaign: Campaign,
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
    secretaries = (await _recipients(session, (Role.SECRETARIAT,), None)).get(None, [])
    if not secretaries:
        return []  # nobody to send it to: nothing is computed
    earlier = digest_days(
        today - dt.timedelta(days=14), today - dt.timedelta(days=1), digest, calendar
    )
    since_day = earlier[-1] if earlier else today - dt.timedelta(days=1)
    since = dt.datetime.combine(since_day, digest.at, tzinfo=tz).astimezone(dt.UTC)
    reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    late_reqs = [r for r in reqs if any(since_day <= d < today for d in _deadlines(r))]
    counts, owing = await digest_figures(session, reqs, tz, late_reqs)
    items = [(r, *counts.get(r.id, (0, 0))) for r in reqs]
    newly_late = [
        (r, standing)
        for r in late_reqs
        for standing in owing.get(r.id, [])
        if since_day <= (effective_due(r, standing.unit.id) or today) < today  # its own one
    ]
    returned = await SubmissionRepository(session).returned_between(campaign.id, since, now)
    unreachable = await unreachable_late_units(session, campaign, reqs, today)
    blocked = await unreachable_blocked_ids(session, unreachable)
    reply = Reply(
        texts(
            "reminders.digest",
            tz=campaign.timezone,
            campaign=campaign,
            items=items,
            newly_late=newly_late,
            returned=returned,
            today=today,
            unreachable=unreachable,
            blocked=blocked,
            milestones=(await upcoming_milestones(session, campaign, today))[:DIGEST_MILESTONES],
        )
    )
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
            render=lambda: reply,
        )
        for person in secretaries
    ]


async def unreachable_late_units(
    session: AsyncSession, campaign: Campaign, reqs: Sequence[Requirement], today: dt.date
) -> list[Unit]:
    """Active units late on some requirement whom no reminder can reach, by name.

    A unit cannot be reached when none of its heads or members has linked a chat account the
    bot can write to (never linked, or marked unreachable). One query.
    """
    tz = ZoneInfo(campaign.timezone)
    # A unit's own later deadline: below; a requirement "chưa có hạn" is never overdue.
    overdue = [r for r in reqs if r.due_date is not None and r.due_date < today]
    start = dt.datetime.combine(today, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    found = await unreachable_owing(
        session, overdue, tz, (Role.UNIT_HEAD, Role.UNIT_MEMBER), overdue_at=start
    )
    return sorted(found, key=lambda u: vn_sort_key(u.name))


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
        reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
        today = local_today(now, campaign.timezone)
        result.append((campaign, await unreachable_late_units(session, campaign, reqs, today)))
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
        for req in await CampaignRepository(session).owed_requirements_for(campaign.id):
            policy = _policy(campaign, req)
            for due_day in _deadlines(req):
                for slot in reminder_slots(due_day, policy, tz, calendar):
                    moment = quiet_shift(slot.at, policy.quiet_hours, tz)
                    if now <= moment <= end:
                        instants.add(moment)
        instants |= await milestone_instants(session, campaign, now, end, calendar)
        digest = _digest_policy(campaign)
        if digest.enabled:
            first = local_today(now, campaign.timezone)
            last = local_today(end, campaign.timezone)
            for day in digest_days(first, last, digest, calendar):
                moment = dt.datetime.combine(day, digest.at, tzinfo=tz).astimezone(dt.UTC)
                if now <= moment <= end:
                    instants.add(moment)
    return sorted(instants)

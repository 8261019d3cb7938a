"""Which reminders and digests are due at a moment, and to whom — derived from the database.

Nothing here sends or schedules. The planning pass, :func:`plan_due`, reads the requirements
alone and says what is due: per campaign, the reminder slots due (by recipients' roles), the
digest's recipients and the milestone reminders. The owing units and their accounts are read a
page of the units' ids at a time (:func:`reminder_page`), and the digest's figures when it is
sent (:func:`digest_notices`); each yields :class:`PlannedNotice` s with the claim key that
makes them exactly-once (``scheduler/`` reads a page right before sending it, claims, sends and
records). :func:`plan_notices` reads every page at once (a preview). Because the plan is
recomputed at every run, a submission, a returned item or a changed deadline changes what is
sent next, without any job to update.

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
from collections.abc import Callable, Iterator, Sequence
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
    OwingPages,
    OwingRows,
    Unreachable,
    digest_figures,
    unreachable_owing,
)
from handlers.queries.stats.rules import unit_ref
from handlers.services.milestones import milestone_instants, plan_milestones
from handlers.services.notice_plan import PlannedNotice, Recipient, once
from storage.models import Campaign, Requirement, Role
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.submissions import SubmissionRepository
from storage.repositories.units import UnitRepository

__all__ = [
    "DEFAULT_GRACE",
    "UNIT_PAGE",
    "CampaignDue",
    "DigestDue",
    "DueReminders",
    "PlannedNotice",
    "Recipient",
    "digest_notices",
    "plan_due",
    "plan_notices",
    "preview_notices",
    "reminder_page",
    "unreachable_late_units",
    "unreachable_summary",
    "upcoming_instants",
]

DEFAULT_GRACE = dt.timedelta(hours=12)
#: The units' ids a page of reminders covers: one owing query, read right before it is sent.
UNIT_PAGE = 1000
#: The digest lists at most this many milestones to come (the nearest).
DIGEST_MILESTONES = 3
#: The digest names at most this many newly late units per requirement, and this many returned
#: items: a secretary reads it on a phone; the rest is counted ("và N đơn vị khác": /chuanop).
DIGEST_NAMES = 10

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


async def plan_due(
    session: AsyncSession,
    texts: Texts,
    now: dt.datetime,
    *,
    grace: dt.timedelta = DEFAULT_GRACE,
    campaign_code: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> list[CampaignDue]:
    """The planning pass: what each active campaign has due at ``now``.

    The milestone reminders are planned whole. Of the send reminders only the slots are worked
    out, from the requirements alone; their owing units and accounts are read a page of the
    units' ids at a time (:meth:`CampaignDue.pages`, :func:`reminder_page`), each page right
    before it is sent, so the pass does not grow with the units and a unit that sends while
    the reminders go out is not reminded. Of the digest only who gets it: its figures are read
    when it is sent (:func:`digest_notices`), not again once it was. When nothing is due, no
    unit, submission or account is read.
    """
    calendar = calendar or WorkingCalendar()
    found: list[CampaignDue] = []
    last_unit: int | None = None
    for campaign in await _campaigns(session, campaign_code):
        groups = await _due_reminders(session, campaign, now, grace, calendar)
        if groups and last_unit is None:
            last_unit = await UnitRepository(session).last_id()
        digest = await _digest_due(session, campaign, now, grace, calendar)
        milestones = await plan_milestones(session, texts, campaign, now, grace, calendar)
        if groups or digest or milestones:
            found.append(
                CampaignDue(campaign, tuple(groups), digest, tuple(milestones), last_unit or 0)
            )
    return found


async def reminder_page(
    session: AsyncSession, texts: Texts, due: DueReminders, units: tuple[int, int]
) -> list[PlannedNotice]:
    """The reminders of ``due`` to the units whose id is in ``units`` (``(after, upto]``).

    In the checklist's order, then the units' own order, then the account's.
    """
    return [item[-1] for item in sorted(await _page(session, texts, due, units), key=_order)]


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

    :func:`plan_due` and every page of its reminders: per campaign the reminders (in the
    checklist's order, then the units' own order, then the account's), then the digest and
    the milestone reminders. For a preview and the tests; the scheduler sends page by page.
    """
    planned: list[PlannedNotice] = []
    for due in await plan_due(
        session, texts, now, grace=grace, campaign_code=campaign_code, calendar=calendar
    ):
        found: list[_Item] = []
        for group, units in due.pages():
            found.extend(await _page(session, texts, group, units))
        found.sort(key=_order)
        planned.extend(item[-1] for item in found)
        if due.digest is not None:
            planned.extend(await digest_notices(session, texts, due.digest, now))
        planned.extend(due.milestones)
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


@dataclass(frozen=True, slots=True)
class DueReminders:
    """A campaign's reminders due now to one set of recipients' roles; no unit read yet."""

    campaign: Campaign
    #: The campaign's day at the moment (for "còn N ngày").
    today: dt.date
    roles: tuple[Role, ...]
    reqs: tuple[_DueReq, ...]
    #: Their owing units' select, built once, read page by page.
    owing: OwingPages


@dataclass(frozen=True, slots=True)
class CampaignDue:
    """What a campaign has due at a moment (:func:`plan_due`)."""

    campaign: Campaign
    #: The send reminders, by recipients' roles: read page by page (:meth:`pages`).
    reminders: tuple[DueReminders, ...]
    #: The secretariat's digest, if due: its figures are read when it is sent.
    digest: DigestDue | None
    #: The milestone reminders, planned whole.
    milestones: tuple[PlannedNotice, ...]
    #: The highest unit id when the pass ran: where the pages end.
    last_unit: int

    def pages(self) -> Iterator[tuple[DueReminders, tuple[int, int]]]:
        """Each roles' reminders with each page of the units' ids, ``(after, upto]``."""
        for due in self.reminders:
            for after in range(0, self.last_unit, UNIT_PAGE):
                yield due, (after, after + UNIT_PAGE)


#: (checklist rank, the unit's sort key, unit id, account id, the notice) of a page's reminder.
_Item = tuple[int, tuple[Any, ...], int, int, PlannedNotice]


def _order(item: _Item) -> tuple[int, tuple[Any, ...], int, int]:
    return item[:4]


async def _due_reminders(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> list[DueReminders]:
    """The campaign's requirements with a reminder slot due at ``now``, by recipients' roles."""
    by_roles: dict[tuple[Role, ...], list[_DueReq]] = {}
    requirements = await CampaignRepository(session).owed_requirements_for(campaign.id)
    for rank, req in enumerate(requirements):
        due, policy = _due_slots(campaign, req, now, grace, calendar)
        if not due:
            continue
        wanted: tuple[Role, ...] = (Role.UNIT_HEAD,)
        if policy.include_members:
            wanted = (Role.UNIT_HEAD, Role.UNIT_MEMBER)
        by_roles.setdefault(wanted, []).append(_due_req(req, rank, due))
    today = local_today(now, campaign.timezone)
    tz = ZoneInfo(campaign.timezone)
    return [
        DueReminders(
            campaign, today, roles, tuple(reqs), OwingPages([d.req for d in reqs], tz, roles)
        )
        for roles, reqs in by_roles.items()
    ]


async def _page(
    session: AsyncSession, texts: Texts, due: DueReminders, units: tuple[int, int]
) -> list[_Item]:
    """The reminders of ``due`` to the units with an id in ``units``, with their sort keys.

    One owing query; per row only the notice is made (its key, recipient and a text rendered
    when asked). Each item is (checklist rank, the unit's sort key, unit id, account id,
    notice): sorted, they are in the checklist's order, then the units' own order.
    """
    campaign = due.campaign
    campaign_id = campaign.id
    by_id = {d.rid: d for d in due.reqs}
    owing = await due.owing.read(session, units)
    keys: dict[int, tuple[Any, ...]] = {}
    replies: dict[tuple[int, int], Callable[[], Reply]] = {}
    found: list[_Item] = []
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
                    _reminder_reply, texts, campaign, due_req.req, owing, row, due.today, due_day
                )
            )
        sort_key = keys.get(uid)
        if sort_key is None:
            sort_key = keys[uid] = unit_ref(row).sort_key()
        account_id = row.account_id
        notice = PlannedNotice(
            key=f"rem:{due_req.rid}:{uid}:{key}:{account_id}",
            kind="reminder",
            campaign_id=campaign_id,
            requirement_id=due_req.rid,
            unit_id=uid,
            unit_name=row.name,
            requirement_title=due_req.title,
            slot=key,
            slot_at=slot.at,
            recipient=Recipient(account_id, row.channel, row.chat_id, row.full_name),
            render=render,
        )
        found.append((due_req.rank, sort_key, uid, account_id, notice))
    return found


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


@dataclass(frozen=True, slots=True)
class DigestDue:
    """A campaign's digest due at a moment, to whom; its figures not read yet."""

    campaign: Campaign
    #: The campaign's day, and the digest's time on it.
    today: dt.date
    at: dt.datetime
    #: The previous digest day, and its digest time: "since then" in the digest.
    since_day: dt.date
    since: dt.datetime
    secretaries: tuple[Recipient, ...]

    def keys(self) -> list[str]:
        """The claim keys of its copies, one per secretary."""
        return [self.key(person) for person in self.secretaries]

    def key(self, person: Recipient) -> str:
        """The claim key of ``person``'s copy."""
        return f"digest:{self.campaign.id}:{self.today.isoformat()}:{person.account_id}"


async def _digest_due(
    session: AsyncSession,
    campaign: Campaign,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: WorkingCalendar,
) -> DigestDue | None:
    """The campaign's digest if one is due at ``now`` and someone can get it (one query)."""
    digest = _digest_policy(campaign)
    tz = ZoneInfo(campaign.timezone)
    today = local_today(now, campaign.timezone)
    if not digest.enabled or today not in digest_days(today, today, digest, calendar):
        return None
    at = dt.datetime.combine(today, digest.at, tzinfo=tz).astimezone(dt.UTC)
    if not at <= now < at + grace:
        return None
    secretaries = (await _recipients(session, (Role.SECRETARIAT,), None)).get(None, [])
    if not secretaries:
        return None  # nobody to send it to: nothing is computed
    earlier = digest_days(
        today - dt.timedelta(days=14), today - dt.timedelta(days=1), digest, calendar
    )
    since_day = earlier[-1] if earlier else today - dt.timedelta(days=1)
    since = dt.datetime.combine(since_day, digest.at, tzinfo=tz).astimezone(dt.UTC)
    return DigestDue(campaign, today, at, since_day, since, tuple(secretaries))


async def digest_notices(
    session: AsyncSession, texts: Texts, due: DigestDue, now: dt.datetime
) -> list[PlannedNotice]:
    """The digest's copies, one per secretary: its figures read now.

    Per requirement submitted/total, the units late since the previous digest day, the items
    returned since then, the late units no reminder can reach, the milestones to come.
    """
    campaign, today, since_day = due.campaign, due.today, due.since_day
    tz = ZoneInfo(campaign.timezone)
    reqs = await CampaignRepository(session).owed_requirements_for(campaign.id)
    late_reqs = [r for r in reqs if any(since_day <= d < today for d in _deadlines(r))]
    counts, owing = await digest_figures(session, reqs, tz, late_reqs)
    items = [(r, *counts.get(r.id, (0, 0))) for r in reqs]
    newly_late = []  # (requirement, the first units named, how many in all)
    for r in late_reqs:
        late = [
            standing
            for standing in owing.get(r.id, [])
            if since_day <= (effective_due(r, standing.unit.id) or today) < today  # its own
        ]
        if late:
            newly_late.append((r, late[:DIGEST_NAMES], len(late)))
    returned, n_returned = await SubmissionRepository(session).returned_between(
        campaign.id, due.since, now, limit=DIGEST_NAMES
    )
    reply = Reply(
        texts(
            "reminders.digest",
            tz=campaign.timezone,
            campaign=campaign,
            items=items,
            newly_late=newly_late,
            returned=returned,
            n_returned=n_returned,
            today=today,
            unreachable=await unreachable_late_units(session, campaign, reqs, today),
            milestones=(await upcoming_milestones(session, campaign, today))[:DIGEST_MILESTONES],
        )
    )
    return [
        PlannedNotice(
            key=due.key(person),
            kind="digest",
            campaign_id=campaign.id,
            requirement_id=None,
            unit_id=None,
            unit_name=None,
            requirement_title=None,
            slot=f"digest-{today.isoformat()}",
            slot_at=due.at,
            recipient=person,
            render=lambda: reply,
        )
        for person in due.secretaries
    ]


async def unreachable_late_units(
    session: AsyncSession, campaign: Campaign, reqs: Sequence[Requirement], today: dt.date
) -> Unreachable:
    """Active units late on some requirement whom no reminder can reach, by name.

    A unit cannot be reached when none of its heads or members has linked a chat account the
    bot can write to: never linked, or every account marked unreachable (blocked). Two queries.
    """
    tz = ZoneInfo(campaign.timezone)
    # A unit's own later deadline: below; a requirement "chưa có hạn" is never overdue.
    overdue = [r for r in reqs if r.due_date is not None and r.due_date < today]
    start = dt.datetime.combine(today, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return await unreachable_owing(
        session, overdue, tz, (Role.UNIT_HEAD, Role.UNIT_MEMBER), overdue_at=start
    )


async def unreachable_summary(
    session: AsyncSession, now: dt.datetime, *, campaign_code: str | None = None
) -> list[tuple[Campaign, Unreachable]]:
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

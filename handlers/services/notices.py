"""Notices to units: who an audience names, the queued copies, and what the copies say.

A broadcast only queues: one :class:`Broadcast` and one :class:`BroadcastDelivery` per recipient
account are written in the caller's transaction, and a background sender (woken with the
``"broadcast"`` topic after the commit — the caller asks for that) delivers the copies and
reports back with :func:`progress_reply` and :func:`report_reply`.

Two kinds ride on this machinery: the secretariat's announcements (``/thongbao``,
:func:`announce`) and the bot's own notices to a unit (:func:`notify_unit`, e.g. "your plan was
returned, because …"): no header, no progress, no report.

Audiences are small JSON dicts kept in the conversation and on the broadcast::

    {"kind": "all"}
    {"kind": "late", "requirement_id": 12}      # units that still owe requirement 12
    {"kind": "block", "value": "Khối xã, phường"}
    {"kind": "unit_kind", "value": "xa_phuong"}
    {"kind": "campaign", "campaign_id": 4}     # units a requirement of campaign 4 applies to

A notice to one unit stores ``{"kind": "unit", "unit_id": 3}``; it is not an audience to choose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.progress import applies
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.kernel.messages import ChatKey, OutgoingFile, Reply
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress
from storage.models import (
    Broadcast,
    BroadcastDelivery,
    ChatAccount,
    NoticeStatus,
    Person,
    Role,
    Unit,
)
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.notices import BroadcastRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository
from storage.text import vn_sort_key

__all__ = [
    "NOTICE",
    "Queued",
    "Recipient",
    "accounts_of",
    "announce",
    "audience_accounts",
    "audience_label",
    "audience_units",
    "copy_reply",
    "late_units",
    "notify_unit",
    "progress_reply",
    "reachable",
    "report_reply",
]

#: Broadcast kind of the bot's own notices to a unit (no header, no progress, no report).
NOTICE = "notice"
#: ``Broadcast.audience_label`` is a ``String(255)``.
_LABEL_MAX = 255
#: Who receives announcements and notices: the people of units.
_UNIT_ROLES = (Role.UNIT_HEAD, Role.UNIT_MEMBER)

#: A recipient of a copy: the account, its person and the person's unit.
Recipient = tuple[ChatAccount, Person, Unit]


# -- audiences ---------------------------------------------------------------------------------
async def late_units(session: AsyncSession, requirement_id: int, now: dt.datetime) -> list[Unit]:
    """Units the requirement applies to that have not sent it (missing, partial or returned)."""
    campaigns = CampaignRepository(session)
    req = await campaigns.requirement(requirement_id)
    if req is None:
        return []
    campaign = await campaigns.get(req.campaign_id)
    if campaign is None:
        return []
    for p in await campaign_progress(session, campaign, now):
        if p.requirement.id == req.id:
            return [m.unit for m in p.missing]
    return []


async def audience_units(
    session: AsyncSession, audience: Mapping[str, Any], now: dt.datetime
) -> list[Unit]:
    """The units an audience names, at ``now``.

    Raises:
        ValueError: ``audience`` is not one of the shapes in the module docstring.
    """
    kind = audience.get("kind")
    if kind == "late":
        return await late_units(session, int(audience["requirement_id"]), now)
    units = await UnitRepository(session).list_all()
    if kind == "campaign":
        reqs = await CampaignRepository(session).requirements_for(int(audience["campaign_id"]))
        return [u for u in units if u.is_active and any(applies(r, u) for r in reqs)]
    if kind == "all":
        return units
    if kind == "block":
        return [u for u in units if u.block == audience["value"]]
    if kind == "unit_kind":
        return [u for u in units if u.kind == audience["value"]]
    raise ValueError(f"unknown audience {dict(audience)!r}")


async def accounts_of(session: AsyncSession, units: Sequence[Unit]) -> list[Recipient]:
    """Linked accounts of unit heads and members of ``units``, by unit then person name.

    Unreachable accounts are included (a copy to them is recorded as blocked at once).
    """
    ids = [u.id for u in units]
    if not ids:
        return []
    rows = await PeopleRepository(session).linked_accounts(_UNIT_ROLES, unit_ids=ids)
    found = [(account, person, unit) for account, person, unit in rows if unit is not None]
    found.sort(
        key=lambda r: (
            vn_sort_key(r[2].name),
            r[2].id,
            vn_sort_key(r[1].full_name),
            r[1].id,
            r[0].id,
        )
    )
    return found


async def audience_accounts(
    session: AsyncSession, audience: Mapping[str, Any], now: dt.datetime
) -> list[Recipient]:
    """The recipients of an audience: every linked account of a unit head or member.

    Args:
        session: An open session.
        audience: One of the shapes in the module docstring.
        now: When "not yet submitted" is judged (``late`` audiences).

    Returns:
        (account, person, unit) sorted by unit name (Vietnamese order), then person name;
        unreachable accounts included.
    """
    return await accounts_of(session, await audience_units(session, audience, now))


def reachable(account: ChatAccount) -> bool:
    """Whether the bot can write to the account (not marked unreachable, chat known)."""
    return account.unreachable_at is None and bool(account.chat_id)


async def audience_label(
    session: AsyncSession,
    texts: Texts,
    audience: Mapping[str, Any],
    kinds: UnitKinds = DEFAULT_UNIT_KINDS,
) -> str:
    """The Vietnamese name of an audience, as plain text (it is stored, and shown escaped).

    ``kinds``: the deployment's unit kinds, for a kind's label.
    """
    kind = audience["kind"]
    req = None
    value = audience.get("value", "")
    if kind == "late":
        req = await CampaignRepository(session).requirement(int(audience["requirement_id"]))
    elif kind == "unit_kind":
        value = kinds.label(value)
    elif kind == "campaign":
        campaign = await CampaignRepository(session).get(int(audience["campaign_id"]))
        value = campaign.title if campaign is not None else ""
    label = texts.plain("thongbao.audience_label", kind=kind, req=req, value=value)
    return label[:_LABEL_MAX]


# -- queueing copies ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Queued:
    """A broadcast written with its copies; the caller wakes the sender after the commit."""

    broadcast: Broadcast
    #: Copies written (one per recipient).
    copies: int
    #: Copies waiting to be sent (the others were blocked at once: unreachable accounts).
    pending: int
    #: Units of the pending copies.
    units: int

    @property
    def blocked(self) -> int:
        """Copies recorded as blocked at once."""
        return self.copies - self.pending


def _copies(recipients: Sequence[Recipient], now: dt.datetime) -> list[BroadcastDelivery]:
    """One copy per recipient: pending, or blocked at once when the account is unreachable."""
    return [
        BroadcastDelivery(
            account_id=account.id,
            unit_id=unit.id,
            channel=account.channel,
            chat_id=account.chat_id or "",
            status=NoticeStatus.PENDING if reachable(account) else NoticeStatus.BLOCKED,
            updated_at=now,
            detail=None if reachable(account) else "unreachable",
        )
        for account, _, unit in recipients
    ]


async def _queue(
    session: AsyncSession, broadcast: Broadcast, recipients: Sequence[Recipient], now: dt.datetime
) -> Queued:
    copies = _copies(recipients, now)
    await BroadcastRepository(session).add(broadcast, copies)
    pending = [c for c in copies if c.status is NoticeStatus.PENDING]
    return Queued(broadcast, len(copies), len(pending), len({c.unit_id for c in pending}))


async def announce(
    session: AsyncSession,
    texts: Texts,
    *,
    text: str,
    file_id: int | None,
    audience: Mapping[str, Any],
    recipients: Sequence[Recipient],
    by: Person,
    origin: ChatKey,
    now: dt.datetime,
    kinds: UnitKinds = DEFAULT_UNIT_KINDS,
) -> Queued:
    """Queue the secretariat's announcement to ``recipients`` and audit it.

    Args:
        session: The transaction that holds the rows.
        texts: For the audience's stored label.
        text: The announcement (plain text, escaped when rendered).
        file_id: The attached stored file, if any.
        audience: What was chosen (module docstring), stored with the broadcast.
        recipients: :func:`audience_accounts` of ``audience``, read in this transaction.
        by: The secretary.
        origin: The chat progress and the report go to.
        now: The current time.
        kinds: The deployment's unit kinds (a kind audience's label).
    """
    queued = await _queue(
        session,
        Broadcast(
            created_by=by.id,
            created_at=now,
            text=text,
            file_id=file_id,
            audience=dict(audience),
            audience_label=await audience_label(session, texts, audience, kinds),
            origin_channel=origin.channel,
            origin_chat_id=origin.chat_id,
            status="sending",
        ),
        recipients,
        now,
    )
    AuditRepository(session).record(
        at=now,
        person_id=by.id,
        action="broadcast.create",
        entity="broadcast",
        entity_id=queued.broadcast.id,
        detail={
            "recipients": queued.copies,
            "pending": queued.pending,
            "audience": dict(audience),
        },
    )
    return queued


async def notify_unit(
    session: AsyncSession,
    unit: Unit,
    text: str,
    *,
    by: Person,
    origin: ChatKey,
    now: dt.datetime,
) -> Queued | None:
    """Tell every linked head and member of ``unit`` something, once the transaction commits.

    The bot's own notice rides on the broadcast machinery: one row per recipient, delivered in
    the background by the channel's sender, exactly once, without progress or report.

    Args:
        session: The transaction that holds the rows.
        unit: Who is told.
        text: The message, already rendered from a template (HTML, escaped).
        by: Who caused it (the broadcast's author).
        origin: The chat it was caused from.
        now: The current time.

    Returns:
        What was queued (``pending``: how many recipients will get it), or None when nobody of
        the unit is linked (nothing is written).
    """
    recipients = await accounts_of(session, [unit])
    if not recipients:
        return None
    return await _queue(
        session,
        Broadcast(
            created_by=by.id,
            created_at=now,
            text=text,
            audience={"kind": "unit", "unit_id": unit.id},
            audience_label=unit.name[:_LABEL_MAX],
            origin_channel=origin.channel,
            origin_chat_id=origin.chat_id,
            status="sending",
            kind=NOTICE,
        ),
        recipients,
        now,
    )


# -- what recipients and the secretariat receive ----------------------------------------------
def copy_reply(texts: Texts, broadcast: Broadcast, file: OutgoingFile | None) -> Reply:
    """What one recipient receives: the header, the (escaped) text and the file, if any.

    A ``notice`` (the bot telling a unit something) carries text already rendered from a
    template, sent as it is.
    """
    if broadcast.kind == NOTICE:
        return Reply(text=broadcast.text, file=file)
    return Reply(text=texts("thongbao.copy", text=broadcast.text), file=file)


def report_reply(texts: Texts, broadcast: Broadcast, counts: Mapping[NoticeStatus, int]) -> Reply:
    """The final report of a broadcast to the chat it was written in."""
    waiting = counts.get(NoticeStatus.PENDING, 0) + counts.get(NoticeStatus.CLAIMED, 0)
    return Reply(
        text=texts(
            "thongbao.report",
            id=broadcast.id,
            label=broadcast.audience_label,
            text=broadcast.text,
            sent=counts.get(NoticeStatus.SENT, 0),
            blocked=counts.get(NoticeStatus.BLOCKED, 0),
            failed=counts.get(NoticeStatus.FAILED, 0),
            unknown=counts.get(NoticeStatus.UNKNOWN, 0),
            waiting=waiting,
            total=sum(counts.values()),
        )
    )


def progress_reply(texts: Texts, broadcast: Broadcast, total: int) -> Reply:
    """The notice that sending has started: "Đang gửi thông báo #id tới N người…"."""
    return Reply(text=texts("thongbao.progress", id=broadcast.id, total=total))

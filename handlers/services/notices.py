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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.kernel.messages import ChatKey, OutgoingFile, Reply
from handlers.kernel.texts import Texts
from handlers.queries import audiences
from handlers.queries.audiences import Addressee
from handlers.queries.stats.results import UnitRef
from storage.models import Broadcast, NoticeStatus, Person, Unit
from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.notices import BroadcastRepository

__all__ = [
    "NOTICE",
    "Queued",
    "Recipient",
    "Told",
    "announce",
    "audience_accounts",
    "audience_label",
    "audience_unit_count",
    "audience_units",
    "copy_reply",
    "notify_unit",
    "notify_units",
    "progress_reply",
    "report_reply",
]

#: Broadcast kind of the bot's own notices to a unit (no header, no progress, no report).
NOTICE = "notice"
#: ``Broadcast.audience_label`` is a ``String(255)``.
_LABEL_MAX = 255

#: A recipient of a copy: one linked account of a unit's head or member, as plain columns.
Recipient = Addressee


# -- audiences ---------------------------------------------------------------------------------
async def audience_units(
    session: AsyncSession, audience: Mapping[str, Any], now: dt.datetime
) -> audiences.Where:
    """The units an audience names at ``now`` (:func:`handlers.queries.audiences.audience_where`).

    Raises:
        ValueError: ``audience`` is not one of the shapes in the module docstring.
    """
    return await audiences.audience_where(session, audience)


async def audience_unit_count(
    session: AsyncSession, audience: Mapping[str, Any], now: dt.datetime
) -> int:
    """How many units an audience names at ``now``."""
    return await audiences.count_units(session, await audience_units(session, audience, now))


async def audience_accounts(
    session: AsyncSession, audience: Mapping[str, Any], now: dt.datetime
) -> list[Recipient]:
    """The recipients of an audience: every linked account of a unit head or member.

    Args:
        session: An open session.
        audience: One of the shapes in the module docstring.
        now: When "not yet submitted" is judged (``late`` audiences).

    Returns:
        Sorted by unit name (Vietnamese order), then person name; unreachable accounts
        included.
    """
    return await audiences.addressees(session, await audience_units(session, audience, now))


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


def _copies(recipients: Sequence[Recipient], now: dt.datetime) -> list[dict[str, Any]]:
    """One copy per recipient: pending, or blocked at once when the account is unreachable."""
    return [
        {
            "account_id": r.account_id,
            "unit_id": r.unit_id,
            "channel": r.channel,
            "chat_id": r.chat_id,
            "status": NoticeStatus.PENDING if r.reachable else NoticeStatus.BLOCKED,
            "updated_at": now,
            "detail": None if r.reachable else "unreachable",
        }
        for r in recipients
    ]


async def _queue(
    session: AsyncSession, broadcast: Broadcast, recipients: Sequence[Recipient], now: dt.datetime
) -> Queued:
    copies = _copies(recipients, now)
    await BroadcastRepository(session).add(broadcast, copies)
    pending = [r for r in recipients if r.reachable]
    return Queued(broadcast, len(copies), len(pending), len({r.unit_id for r in pending}))


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


def _notice(
    unit_id: int, unit_name: str, text: str, by: Person, origin: ChatKey, now: dt.datetime
) -> dict[str, Any]:
    """The columns of a notice's :class:`Broadcast` row."""
    return {
        "created_by": by.id,
        "created_at": now,
        "text": text,
        "audience": {"kind": "unit", "unit_id": unit_id},
        "audience_label": unit_name[:_LABEL_MAX],
        "origin_channel": origin.channel,
        "origin_chat_id": origin.chat_id,
        "status": "sending",
        "kind": NOTICE,
    }


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
    recipients = await audiences.addressees(session, audiences.of_units([unit.id]))
    if not recipients:
        return None
    notice = Broadcast(**_notice(unit.id, unit.name, text, by, origin, now))
    return await _queue(session, notice, recipients, now)


@dataclass(frozen=True, slots=True)
class Told:
    """What :func:`notify_units` queued."""

    #: The units someone will be told at (a pending copy), in the units' order.
    told: tuple[UnitRef, ...]
    #: The units nobody of which can be told (none linked, or every account unreachable).
    unreached: tuple[UnitRef, ...]


async def notify_units(
    session: AsyncSession,
    units: audiences.Where,
    text_for: Callable[[UnitRef], str],
    *,
    by: Person,
    origin: ChatKey,
    now: dt.datetime,
) -> Told:
    """:func:`notify_unit` for every unit ``units`` names, each with its own text, in bulk.

    The units and their accounts are read in two statements and the notices written in two
    more, however many units (a gia hạn for everyone in a province); ``text_for`` renders a
    unit's text (only for units someone of which is linked).

    Args:
        session: The transaction that holds the rows.
        units: Which units (:data:`handlers.queries.audiences.Where`).
        text_for: A unit's message, rendered from a template (HTML, escaped).
        by: Who caused it (the notices' author).
        origin: The chat it was caused from.
        now: The current time.
    """
    found = await audiences.units_where(session, units)
    by_unit: dict[int, list[Recipient]] = {}
    for recipient in await audiences.addressees(session, units):
        by_unit.setdefault(recipient.unit_id, []).append(recipient)
    told: list[UnitRef] = []
    unreached: list[UnitRef] = []
    notices: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for unit in found:
        theirs = by_unit.get(unit.id)
        if not theirs:
            unreached.append(unit)
            continue
        (told if any(r.reachable for r in theirs) else unreached).append(unit)
        notice = _notice(unit.id, unit.name, text_for(unit), by, origin, now)
        notices.append((notice, _copies(theirs, now)))
    await BroadcastRepository(session).add_many(notices)
    return Told(tuple(told), tuple(unreached))


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

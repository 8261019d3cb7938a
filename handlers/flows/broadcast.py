"""/thongbao: the secretariat writes an announcement, picks an audience of units, previews, sends.

Sending only queues: one :class:`Broadcast` and one :class:`BroadcastDelivery` per recipient
account are written in the message's transaction, and a background sender (woken with the
``"broadcast"`` topic after the commit) delivers the copies and reports back with
:func:`progress_reply` and :func:`report_reply`.

Audiences are small JSON dicts kept in the conversation and on the broadcast::

    {"kind": "all"}
    {"kind": "late", "requirement_id": 12}      # units that still owe requirement 12
    {"kind": "block", "value": "Khối xã, phường"}
    {"kind": "unit_kind", "value": "xa_phuong"}
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.vocab import UNIT_KINDS
from handlers.kernel import inputs
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from handlers.kernel.messages import Button, OutgoingFile, Reply
from handlers.kernel.states import StateSpec, StateTable
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress
from storage.models import (
    Broadcast,
    BroadcastDelivery,
    ChatAccount,
    NoticeStatus,
    Person,
    Requirement,
    Role,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.notices import BroadcastRepository
from storage.repositories.units import UnitRepository
from storage.text import vn_sort_key

#: Broadcast kind of the bot's own notices to a unit (no header, no progress, no report).
NOTICE = "notice"

__all__ = [
    "NOTICE",
    "STATES",
    "TEXT_MAX",
    "audience_accounts",
    "audience_units",
    "begin",
    "copy_reply",
    "notify_unit",
    "progress_reply",
    "report_reply",
]


class State(StrEnum):
    """The steps of this flow."""

    CONTENT = "tb.content"
    TEXT = "tb.text"
    AUDIENCE = "tb.audience"
    REQUIREMENT = "tb.requirement"
    BLOCK = "tb.block"
    KIND = "tb.kind"
    PREVIEW = "tb.preview"


#: The longest announcement text (or file caption) accepted.
TEXT_MAX = 3000
#: ``Broadcast.audience_label`` is a ``String(255)``.
_LABEL_MAX = 255
#: Who receives announcements: the people of units.
_UNIT_ROLES = (Role.UNIT_HEAD, Role.UNIT_MEMBER)

Recipient = tuple[ChatAccount, Person, Unit]


# -- audiences ---------------------------------------------------------------------------------
async def _late_units(session: AsyncSession, requirement_id: int, now: dt.datetime) -> list[Unit]:
    """Units the requirement applies to that have not sent it (missing, partial or returned)."""
    req = await session.get(Requirement, requirement_id)
    if req is None:
        return []
    campaign = await CampaignRepository(session).get(req.campaign_id)
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
        return await _late_units(session, int(audience["requirement_id"]), now)
    units = await UnitRepository(session).list_all()
    if kind == "all":
        return units
    if kind == "block":
        return [u for u in units if u.block == audience["value"]]
    if kind == "unit_kind":
        return [u for u in units if u.kind == audience["value"]]
    raise ValueError(f"unknown audience {dict(audience)!r}")


async def _accounts_of(session: AsyncSession, units: Sequence[Unit]) -> list[Recipient]:
    """Linked accounts of unit heads and members of ``units``, by unit then person name."""
    ids = {u.id for u in units}
    if not ids:
        return []
    rows = await session.execute(
        select(ChatAccount, Person, Unit)
        .join(Person, Person.id == ChatAccount.person_id)
        .join(Unit, Unit.id == Person.unit_id)
        .where(Person.role.in_(_UNIT_ROLES), Unit.id.in_(ids))
    )
    found = [(account, person, unit) for account, person, unit in rows.tuples()]
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
) -> list[tuple[ChatAccount, Person, Unit]]:
    """The recipients of an audience: every linked account of a unit head or member.

    Args:
        session: An open session.
        audience: One of the shapes in the module docstring.
        now: When "not yet submitted" is judged (``late`` audiences).

    Returns:
        (account, person, unit) sorted by unit name (Vietnamese order), then person name;
        unreachable accounts included.
    """
    return await _accounts_of(session, await audience_units(session, audience, now))


def _reachable(account: ChatAccount) -> bool:
    """Whether the bot can write to the account (not marked unreachable, chat known)."""
    return account.unreachable_at is None and bool(account.chat_id)


def _copies(recipients: Sequence[Recipient], now: dt.datetime) -> list[BroadcastDelivery]:
    """One copy per recipient: pending, or blocked at once when the account is unreachable."""
    return [
        BroadcastDelivery(
            account_id=account.id,
            unit_id=unit.id,
            channel=account.channel,
            chat_id=account.chat_id or "",
            status=NoticeStatus.PENDING if _reachable(account) else NoticeStatus.BLOCKED,
            updated_at=now,
            detail=None if _reachable(account) else "unreachable",
        )
        for account, _, unit in recipients
    ]


async def notify_unit(ctx: Ctx, unit: Unit, text: str) -> int:
    """Tell every linked head and member of ``unit`` something, once this message commits.

    The bot's own notice (e.g. "your plan was returned, because …") rides on the broadcast
    machinery: one row per recipient, delivered in the background by the channel's sender,
    exactly once, without progress or report.

    Args:
        ctx: The step's context (its transaction holds the rows).
        unit: Who is told.
        text: The message, already rendered from a template (HTML, escaped).

    Returns:
        How many reachable recipients will get it.
    """
    recipients = await _accounts_of(ctx.session, [unit])
    copies = _copies(recipients, ctx.now)
    if not copies:
        return 0
    assert ctx.person is not None
    await BroadcastRepository(ctx.session).add(
        Broadcast(
            created_by=ctx.person.id,
            created_at=ctx.now,
            text=text,
            audience={"kind": "unit", "unit_id": unit.id},
            audience_label=unit.name[:255],
            origin_channel=ctx.msg.key.channel,
            origin_chat_id=ctx.msg.key.chat_id,
            status="sending",
            kind=NOTICE,
        ),
        copies,
    )
    ctx.wake_after_commit("broadcast")
    return sum(1 for c in copies if c.status is NoticeStatus.PENDING)


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


# -- the conversation --------------------------------------------------------------------------
def _plain(ctx: Ctx, name: str, /, **params: Any) -> str:
    """A template text as plain text (button labels and stored labels are not HTML)."""
    return html.unescape(ctx.t(name, **params))


async def _audience_label(ctx: Ctx, audience: Mapping[str, Any]) -> str:
    """The Vietnamese name of an audience, as plain text."""
    kind = audience["kind"]
    req = None
    value = audience.get("value", "")
    if kind == "late":
        req = await ctx.session.get(Requirement, int(audience["requirement_id"]))
    elif kind == "unit_kind":
        value = UNIT_KINDS.get(value, value)
    label = _plain(ctx, "thongbao.audience_label", kind=kind, req=req, value=value)
    return label[:_LABEL_MAX]


async def begin(ctx: Ctx) -> list[Reply]:
    """Starts an announcement: asks for its text or file."""
    ctx.require_secretariat()
    ctx.end()
    ctx.goto(State.CONTENT)
    return await _ask_content(ctx)


async def _ask_content(ctx: Ctx) -> list[Reply]:
    editing = ctx.data.get("audience") is not None
    return [ctx.reply("thongbao.ask_content", limit=TEXT_MAX, editing=editing)]


def _caption(ctx: Ctx) -> str:
    """The caption of a file message, held to the same limit as a text."""
    caption = ctx.text
    if len(caption) > TEXT_MAX:
        raise UserError("text_too_long", limit=TEXT_MAX, length=len(caption))
    return caption


async def _content(ctx: Ctx) -> list[Reply]:
    """Takes the text, or a file with its caption as the text (asks for one if missing)."""
    ctx.require_secretariat()
    if ctx.msg.file is None:
        ctx.goto(State.CONTENT, text=inputs.free_text(ctx, limit=TEXT_MAX), file=None)
        return await _after_content(ctx)
    caption = _caption(ctx)  # refused before the file is downloaded
    record = await inputs.receive_file(ctx)
    if not caption:
        ctx.goto(State.TEXT, text=None, file=record)
        return await _ask_text(ctx)
    ctx.goto(State.CONTENT, text=caption, file=record)
    return await _after_content(ctx)


async def _ask_text(ctx: Ctx) -> list[Reply]:
    return [ctx.reply("thongbao.ask_text", file=ctx.data["file"], limit=TEXT_MAX)]


async def _text(ctx: Ctx) -> list[Reply]:
    """Takes the text that goes with a file sent without a caption."""
    ctx.require_secretariat()
    ctx.goto(State.TEXT, text=inputs.free_text(ctx, limit=TEXT_MAX))
    return await _after_content(ctx)


async def _after_content(ctx: Ctx) -> list[Reply]:
    """Back to the preview when only the content was edited, else on to the audience."""
    audience = ctx.data.get("audience")
    if audience is not None:
        return await _choose(ctx, audience)
    ctx.goto(State.AUDIENCE)
    return await _ask_audience(ctx)


async def _late_options(ctx: Ctx) -> list[Requirement]:
    """Requirements of the active campaigns, in campaign then checklist order."""
    found: list[Requirement] = []
    for campaign in await ctx.campaigns.get_active():
        found.extend(await ctx.campaigns.requirements_for(campaign.id))
    return found


async def _ask_audience(ctx: Ctx) -> list[Reply]:
    units = await ctx.units.list_all()
    buttons = [Button("Tất cả đơn vị", "a:all")]
    if await _late_options(ctx):
        buttons.append(Button("Đơn vị chưa nộp…", "a:late"))
    if any(u.block for u in units):
        buttons.append(Button("Theo khối/cụm", "a:block"))
    buttons.append(Button("Theo loại đơn vị", "a:kind"))
    return [ctx.reply("thongbao.ask_audience", buttons=buttons)]


async def _audience(ctx: Ctx) -> list[Reply]:
    """Takes the kind of audience: all units at once, or a follow-up choice."""
    ctx.require_secretariat()
    if ctx.choice == "a:all":
        return await _choose(ctx, {"kind": "all"})
    if ctx.choice == "a:late" and await _late_options(ctx):
        ctx.goto(State.REQUIREMENT)
        return await _ask_requirement(ctx)
    if ctx.choice == "a:block":
        units = await ctx.units.list_all()
        blocks = sorted({u.block for u in units if u.block}, key=vn_sort_key)
        if blocks:
            ctx.goto(State.BLOCK, options=blocks)
            return await _ask_block(ctx)
    if ctx.choice == "a:kind":
        ctx.goto(State.KIND)
        return await _ask_kind(ctx)
    raise UserError("pick_one")


_BACK = Button("↩️ Quay lại", "back")


def _back(ctx: Ctx) -> bool:
    """Whether the press asks for the audience choice again; goes there if so."""
    if ctx.choice != "back":
        return False
    ctx.goto(State.AUDIENCE)
    return True


async def _ask_requirement(ctx: Ctx) -> list[Reply]:
    buttons = [
        Button(_plain(ctx, "thongbao.requirement_label", req=req), f"r:{req.id}")
        for req in await _late_options(ctx)
    ]
    return [ctx.reply("thongbao.ask_requirement", buttons=[*buttons, _BACK])]


async def _requirement(ctx: Ctx) -> list[Reply]:
    """Takes the requirement whose late units are the audience."""
    ctx.require_secretariat()
    if _back(ctx):
        return await _ask_audience(ctx)
    for req in await _late_options(ctx):
        if ctx.choice == f"r:{req.id}":
            return await _choose(ctx, {"kind": "late", "requirement_id": req.id})
    raise UserError("pick_one")


async def _ask_block(ctx: Ctx) -> list[Reply]:
    units = await ctx.units.list_all()
    counts = Counter([u.block for u in units if u.block])
    buttons = [
        Button(_plain(ctx, "thongbao.option_label", name=b, count=counts.get(b, 0)), f"b:{i}")
        for i, b in enumerate(ctx.data["options"])
    ]
    return [ctx.reply("thongbao.ask_block", buttons=[*buttons, _BACK])]


async def _block(ctx: Ctx) -> list[Reply]:
    """Takes the emulation block (khối/cụm); the buttons index the blocks offered."""
    ctx.require_secretariat()
    if _back(ctx):
        return await _ask_audience(ctx)
    options: list[str] = ctx.data["options"]
    if ctx.choice and ctx.choice.startswith("b:") and ctx.choice[2:].isdigit():
        index = int(ctx.choice[2:])
        if index < len(options):
            return await _choose(ctx, {"kind": "block", "value": options[index]})
    raise UserError("pick_one")


async def _kinds(ctx: Ctx) -> dict[str, int]:
    """Unit kinds present, vocabulary order first, with their unit counts."""
    counts = Counter([u.kind for u in await ctx.units.list_all()])
    rank = {kind: i for i, kind in enumerate(UNIT_KINDS)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


async def _ask_kind(ctx: Ctx) -> list[Reply]:
    buttons = [
        Button(
            _plain(ctx, "thongbao.option_label", name=UNIT_KINDS.get(kind, kind), count=n),
            f"k:{kind}",
        )
        for kind, n in (await _kinds(ctx)).items()
    ]
    return [ctx.reply("thongbao.ask_kind", buttons=[*buttons, _BACK])]


async def _kind(ctx: Ctx) -> list[Reply]:
    """Takes the kind of unit."""
    ctx.require_secretariat()
    if _back(ctx):
        return await _ask_audience(ctx)
    if ctx.choice and ctx.choice.startswith("k:") and ctx.choice[2:] in await _kinds(ctx):
        return await _choose(ctx, {"kind": "unit_kind", "value": ctx.choice[2:]})
    raise UserError("pick_one")


async def _choose(ctx: Ctx, audience: dict[str, Any]) -> list[Reply]:
    """Shows the preview of an audience, or says nobody can be reached and asks again."""
    units = await audience_units(ctx.session, audience, ctx.now)
    recipients = await _accounts_of(ctx.session, units)
    if not any(_reachable(account) for account, _, _ in recipients):
        ctx.goto(State.AUDIENCE, audience=None)
        nobody = ctx.reply(
            "thongbao.nobody",
            label=await _audience_label(ctx, audience),
            units=len(units),
            recipients=len(recipients),
        )
        return [nobody, *await _ask_audience(ctx)]
    ctx.goto(State.PREVIEW, audience=audience)
    return await _preview(ctx, units, recipients)


async def _ask_preview(ctx: Ctx) -> list[Reply]:
    units = await audience_units(ctx.session, ctx.data["audience"], ctx.now)
    return await _preview(ctx, units, await _accounts_of(ctx.session, units))


async def _preview(ctx: Ctx, units: list[Unit], recipients: list[Recipient]) -> list[Reply]:
    copy = copy_reply(ctx.deps.texts, Broadcast(text=ctx.data["text"]), None)
    buttons = (
        Button("✅ Gửi", "send"),
        Button("✏️ Sửa nội dung", "edit"),
        Button("👥 Đổi người nhận", "audience"),
        Button("❌ Hủy", "cancel"),
    )
    summary = ctx.reply(
        "thongbao.preview",
        buttons=buttons,
        label=await _audience_label(ctx, ctx.data["audience"]),
        units=len(units),
        linked_units=len({unit.id for _, _, unit in recipients}),
        recipients=len(recipients),
        unreachable=sum(not _reachable(account) for account, _, _ in recipients),
        file=ctx.data.get("file"),
    )
    return [copy, summary]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Queues the broadcast, or goes back to the content or the audience, or cancels."""
    person = ctx.require_secretariat()
    if ctx.choice == "edit":
        ctx.goto(State.CONTENT, text=None, file=None)
        return await _ask_content(ctx)
    if ctx.choice == "audience":
        ctx.goto(State.AUDIENCE, audience=None)
        return await _ask_audience(ctx)
    if ctx.choice == "cancel":
        ctx.end()
        return [ctx.reply("onboarding.cancelled", busy=True)]
    if ctx.choice != "send":
        raise UserError("pick_one")
    audience: dict[str, Any] = ctx.data["audience"]
    recipients = await audience_accounts(ctx.session, audience, ctx.now)
    if not any(_reachable(account) for account, _, _ in recipients):
        return await _choose(ctx, audience)  # the audience emptied since the preview
    copies = _copies(recipients, ctx.now)
    broadcast = await BroadcastRepository(ctx.session).add(
        Broadcast(
            created_by=person.id,
            created_at=ctx.now,
            text=ctx.data["text"],
            file_id=await inputs.stored_file(ctx, ctx.data.get("file")),
            audience=dict(audience),
            audience_label=await _audience_label(ctx, audience),
            origin_channel=ctx.msg.key.channel,
            origin_chat_id=ctx.msg.key.chat_id,
            status="sending",
        ),
        copies,
    )
    pending = [c for c in copies if c.status is NoticeStatus.PENDING]
    ctx.audit(
        "broadcast.create",
        "broadcast",
        broadcast.id,
        recipients=len(copies),
        pending=len(pending),
        audience=dict(audience),
    )
    ctx.wake_after_commit("broadcast")
    ctx.end()
    return [
        ctx.reply(
            "thongbao.queued",
            id=broadcast.id,
            recipients=len(pending),
            units=len({c.unit_id for c in pending}),
            blocked=len(copies) - len(pending),
        )
    ]


STATES: StateTable = {
    State.CONTENT: StateSpec(_content, _ask_content),
    State.TEXT: StateSpec(_text, _ask_text),
    State.AUDIENCE: StateSpec(_audience, _ask_audience),
    State.REQUIREMENT: StateSpec(_requirement, _ask_requirement),
    State.BLOCK: StateSpec(_block, _ask_block),
    State.KIND: StateSpec(_kind, _ask_kind),
    State.PREVIEW: StateSpec(_confirm, _ask_preview),
}

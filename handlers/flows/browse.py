"""/hoso (/files): a unit's submissions and nominations with their files, at any time.

The secretariat opens any unit (``/hoso ĐƠN-VỊ``, or "📂 Hồ sơ, tệp đã gửi" under a unit's
checklist in ``/tinhhinh ĐƠN-VỊ``), then an item, and gets its file as a document with what was
sent — whatever its review status, not only while it waits in ``/duyet``. Someone of a unit
browses only their own unit. Each opened file is recorded in the audit log (the files hold
personal data).
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Reply
from handlers.queries import export_data
from handlers.queries.unit_items import ItemKind, find_item, unit_items
from handlers.services import review
from storage.models import Role, Unit

__all__ = [
    "PAGE",
    "STATES",
    "Done",
    "More",
    "Open",
    "State",
    "ToList",
    "begin",
]

#: Items per page of the list (one phone screen of buttons).
PAGE = 10


class State(StrEnum):
    """The steps of this flow."""

    UNIT = "hoso.unit"
    LIST = "hoso.list"
    ITEM = "hoso.item"


class Open(CallbackData, prefix="hoso.open"):
    """An item of the list: open it with its file."""

    kind: ItemKind
    item_id: int


class More(CallbackData, prefix="hoso.more"):
    """The next page of the list."""

    offset: int


class ToList(CallbackData, prefix="hoso.list"):
    """Back to the list from an item."""


class Done(CallbackData, prefix="hoso.done"):
    """Leave."""


async def begin(ctx: Ctx) -> list[Reply]:
    """Opens a unit's items: ``/hoso ĐƠN-VỊ`` (secretariat), or one's own unit."""
    person = ctx.require_linked()
    ref = str(ctx.data.get("args", "")).strip()
    ctx.end()
    if person.role is Role.SECRETARIAT:
        if not ref:
            ctx.goto(State.UNIT)
            return await _ask_unit(ctx)
        unit = await export_data.find_unit(ctx.session, ref)
    else:
        if ctx.unit is None:
            raise UserError("no_unit")
        if ref:
            named = await ctx.units.get_by_code(ref) or await ctx.units.find(ref)
            if named is None or named.id != ctx.unit.id:
                raise UserError("not_your_unit")
        unit = ctx.unit
    ctx.goto(State.LIST, unit_id=unit.id, offset=0)
    return await _ask_item(ctx)


async def _ask_unit(ctx: Ctx) -> list[Reply]:
    return [ctx.reply("hoso.ask_unit")]


async def _unit(ctx: Ctx) -> list[Reply]:
    """Takes the unit, typed by name or code (secretariat)."""
    ctx.require_secretariat()
    if ctx.choice or not ctx.text:
        raise UserError("pick_one")
    unit = await export_data.find_unit(ctx.session, ctx.text)
    ctx.goto(State.LIST, unit_id=unit.id, offset=0)
    return await _ask_item(ctx)


async def _unit_of(ctx: Ctx) -> Unit:
    """The unit being browsed, checked again against who is asking."""
    unit_id = int(ctx.data.get("unit_id", 0))
    if ctx.require_linked().role is not Role.SECRETARIAT:
        if ctx.unit is None or ctx.unit.id != unit_id:
            ctx.end()
            raise UserError("not_your_unit")
        return ctx.unit
    unit = await ctx.units.get(unit_id)
    if unit is None:
        ctx.end()
        raise UserError("item_gone")
    return unit


async def _ask_item(ctx: Ctx) -> list[Reply]:
    unit = await _unit_of(ctx)
    campaigns = await ctx.campaigns.get_reported()
    items = await unit_items(ctx.session, unit.id, campaigns)
    offset = int(ctx.data.get("offset", 0))
    if offset >= len(items):
        offset = 0
    page = items[offset : offset + PAGE]
    buttons = [
        Open(kind=it.kind, item_id=it.id).button(ctx.label("hoso.item_label", it=it))
        for it in page
    ]
    if offset + PAGE < len(items):
        buttons.append(More(offset=offset + PAGE).button(ctx.label("hoso.more_label")))
    buttons.append(Done().button(ctx.label("hoso.done_label")))
    tz = campaigns[0].timezone if campaigns else None
    return [
        ctx.reply(
            "hoso.list",
            buttons=buttons,
            unit=unit,
            items=page,
            first=offset + 1,
            total=len(items),
            tz=tz,
        )
    ]


async def _item(ctx: Ctx) -> list[Reply]:
    """Takes an item (and sends it with its file), the next page, or leaves."""
    if ctx.pressed(Done) is not None:
        ctx.end()
        return [ctx.reply("hoso.done")]
    more = ctx.pressed(More)
    if more is not None:
        ctx.goto(State.LIST, offset=max(0, more.offset))
        return await _ask_item(ctx)
    picked = ctx.expect(Open)
    return await _open(ctx, picked.kind, picked.item_id)


async def _open(ctx: Ctx, kind: ItemKind, item_id: int) -> list[Reply]:
    unit = await _unit_of(ctx)
    found = await find_item(ctx.session, kind, item_id, unit.id)
    if found is None:
        raise UserError("item_gone")
    item, req = found
    att = await review.attachment(ctx.session, ctx.deps.files, item.file_id, with_file=True)
    campaign = await ctx.campaigns.get(req.campaign_id) if req is not None else None
    if att.file is not None:
        ctx.audit(
            "file.open",
            "nomination" if kind is ItemKind.NOMINATION else "submission",
            item.id,
            unit=unit.code,
            file=att.stored.name if att.stored is not None else None,
        )
    ctx.goto(State.ITEM, kind=kind.value, item_id=item.id)
    buttons = [
        ToList().button(ctx.label("hoso.back_label")),
        Done().button(ctx.label("hoso.done_label")),
    ]
    reply = ctx.reply(
        "hoso.item",
        buttons=buttons,
        tz=campaign.timezone if campaign is not None else None,
        it=item,
        is_nomination=kind is ItemKind.NOMINATION,
        req=req,
        unit=unit,
        stored=att.stored,
        attached=att.attached,
    )
    return [Reply(text=reply.text, buttons=reply.buttons, file=att.file)]


async def _after(ctx: Ctx) -> list[Reply]:
    """After an item: back to the list, or leave."""
    if ctx.pressed(Done) is not None:
        ctx.end()
        return [ctx.reply("hoso.done")]
    ctx.expect(ToList)
    ctx.goto(State.LIST)
    return await _ask_item(ctx)


async def _ask_after(ctx: Ctx) -> list[Reply]:
    buttons = [
        ToList().button(ctx.label("hoso.back_label")),
        Done().button(ctx.label("hoso.done_label")),
    ]
    return [ctx.reply("hoso.ask_after", buttons=buttons)]


STATES: StateTable = {
    State.UNIT: StateSpec(_unit, _ask_unit),
    State.LIST: StateSpec(_item, _ask_item),
    State.ITEM: StateSpec(_after, _ask_after),
}

"""/duyet: the secretariat reviews what the units sent — accepts it or returns it with a reason.

The queue is derived from the database at every step, never stored: the current versions of
submissions and the nominations of the active campaigns whose status is still ``submitted``,
oldest first (``/duyet MÃ-ĐƠN-VỊ``: one unit's only). The conversation keeps the item on show
(``key``: a packed :class:`handlers.domain.items.ItemKey`, with the version or revision seen in
``ver``), the items put off this round and what was done.

The decisions are :mod:`handlers.services.review`'s: it re-reads the item with a row lock and
refuses when it changed since it was shown; this flow then says why and moves on to the next
item. A returned item's unit is told at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.items import ItemKey, ItemKind, revision_of, sent_at_of
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.services import review
from handlers.services.items import load_item

__all__ = ["REASON_MAX", "REASON_MIN", "STATES", "Act", "Back", "ItemAct", "begin"]


class State(StrEnum):
    """The steps of this flow."""

    ITEM = "duyet.item"
    REASON = "duyet.reason"


class Act(StrEnum):
    """What can be done to the item on show."""

    ACCEPT = "ok"
    RETURN = "return"
    LATER = "skip"
    STOP = "stop"


class ItemAct(CallbackData, prefix="duyet.item"):
    """A button under the item on show."""

    act: Act


class Back(CallbackData, prefix="duyet.back"):
    """Back from the return reason to the item."""


#: Bounds of a return reason, in characters.
REASON_MIN, REASON_MAX = 5, 500


def _item_buttons(ctx: Ctx) -> list[Button]:
    return [
        ItemAct(act=Act.ACCEPT).button(ctx.label("duyet.btn_accept")),
        ItemAct(act=Act.RETURN).button(ctx.label("duyet.btn_return")),
        ItemAct(act=Act.LATER).button(ctx.label("duyet.btn_later")),
        ItemAct(act=Act.STOP).button(ctx.label("buttons.stop")),
    ]


# -- the queue ---------------------------------------------------------------------------------
async def _queue(ctx: Ctx, *, with_skipped: bool = False) -> list[str]:
    """Keys of the items awaiting review, oldest first (without those put off this round)."""
    campaigns = await ctx.campaigns.get_active()
    req_ids = [r.id for c in campaigns for r in await ctx.campaigns.requirements_for(c.id)]
    unit_id: int | None = ctx.data.get("unit")
    entries = [
        (at, 0, item_id, ItemKey(ItemKind.SUBMISSION, item_id).pack())
        for item_id, at in await ctx.submissions.awaiting_review(req_ids, unit_id)
    ]
    entries.extend(
        (at, 1, item_id, ItemKey(ItemKind.NOMINATION, item_id).pack())
        for item_id, at in await ctx.nominations.awaiting_review(
            [c.id for c in campaigns], unit_id
        )
    )
    entries.sort()
    skipped = set() if with_skipped else set(ctx.data.get("skipped", []))
    return [key for _, _, _, key in entries if key not in skipped]


def _key(ctx: Ctx) -> ItemKey | None:
    """The item on show."""
    return ItemKey.parse(ctx.data.get("key"))


def _seen(ctx: Ctx) -> int:
    """The version or revision of the item on show when it was shown."""
    return int(ctx.data.get("ver", 0))


# -- showing an item ---------------------------------------------------------------------------
async def _card(ctx: Ctx, reviewed: review.Reviewed, left: int, *, with_file: bool) -> Reply:
    """The item with everything the secretary needs, its file attached, and the buttons."""
    item = reviewed.item
    att = await review.attachment(ctx.session, ctx.deps.files, item.file_id, with_file=with_file)
    reply = ctx.reply(
        "duyet.card",
        buttons=_item_buttons(ctx),
        tz=reviewed.tz,
        it=item,
        is_nomination=reviewed.is_nomination,
        req=reviewed.req,
        unit=reviewed.unit,
        sent_at=sent_at_of(item),
        late_days=reviewed.late_days,
        stored=att.stored,
        attached=att.attached,
        left=left,
        skipped=len(ctx.data.get("skipped", [])),
    )
    return Reply(text=reply.text, buttons=reply.buttons, file=att.file)


async def _next(ctx: Ctx, notes: list[Reply] | None = None) -> list[Reply]:
    """Shows the oldest item still awaiting review, or says the round is over."""
    notes = list(notes or [])
    keys = await _queue(ctx)
    for index, key in enumerate(keys):
        item = await load_item(ctx.session, ItemKey.parse(key))
        if item is not None:
            ctx.goto(State.ITEM, key=key, ver=revision_of(item))
            reviewed = await review.describe(ctx.session, item)
            return [*notes, await _card(ctx, reviewed, len(keys) - index, with_file=True)]
    return [*notes, await _finish(ctx, stopped=False)]


async def _finish(ctx: Ctx, *, stopped: bool) -> Reply:
    """Ends the round with what was done and what still waits (items put off included)."""
    waiting = len(await _queue(ctx, with_skipped=True))
    unit_id: int | None = ctx.data.get("unit")
    unit = await ctx.units.get(unit_id) if unit_id is not None else None
    params: dict[str, Any] = {
        "unit": unit,
        "accepted": ctx.data.get("accepted", 0),
        "returned": ctx.data.get("returned", 0),
        "skipped": len(ctx.data.get("skipped", [])),
        "waiting": waiting,
        "stopped": stopped,
    }
    ctx.end()
    return ctx.reply("duyet.finished", **params)


def _stale(ctx: Ctx, err: review.StaleItemError, *, again: bool = False) -> Reply:
    """Why the item on show can no longer be acted on."""
    return ctx.reply("duyet.stale", tz=err.tz, again=again, **err.params)


# -- the conversation --------------------------------------------------------------------------
async def begin(ctx: Ctx) -> list[Reply]:
    """Starts a review round (of every unit, or of the unit named after the command)."""
    ctx.require_secretariat()
    ref = ctx.data.get("args", "")
    ctx.end()
    unit_id = None
    if ref:
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        unit_id = unit.id
    ctx.goto(State.ITEM, unit=unit_id, skipped=[], accepted=0, returned=0)
    return await _next(ctx)


async def _ask_item(ctx: Ctx) -> list[Reply]:
    """Shows the item again (its file was sent with it the first time)."""
    item = await load_item(ctx.session, _key(ctx))
    if item is None:
        return [_stale(ctx, review.StaleItemError("gone"), again=True)]
    left = len(await _queue(ctx))
    reviewed = await review.describe(ctx.session, item)
    return [await _card(ctx, reviewed, max(left, 1), with_file=False)]


async def _item(ctx: Ctx) -> list[Reply]:
    """Accepts, starts returning, puts off or stops."""
    ctx.require_secretariat()
    key: str = ctx.data["key"]
    act = ctx.expect(ItemAct).act
    if act is Act.STOP:
        return [await _finish(ctx, stopped=True)]
    if act is Act.LATER:
        ctx.data["skipped"] = [*ctx.data.get("skipped", []), key]
        return await _next(ctx)
    if act is Act.ACCEPT:
        return await _accept(ctx)
    try:
        await review.check(ctx.session, _key(ctx), _seen(ctx))
    except review.StaleItemError as err:
        return await _next(ctx, [_stale(ctx, err)])
    ctx.goto(State.REASON)
    return await _ask_reason(ctx)


async def _accept(ctx: Ctx) -> list[Reply]:
    """Accepts the item on show, unless it changed since."""
    person = ctx.require_secretariat()
    try:
        done = await review.accept(ctx.session, _key(ctx), _seen(ctx), actor=person, now=ctx.now)
    except review.StaleItemError as err:
        return await _next(ctx, [_stale(ctx, err)])
    ctx.data["accepted"] = ctx.data.get("accepted", 0) + 1
    said = ctx.reply("duyet.accepted", tz=done.tz, it=done.item, req=done.req, unit=done.unit)
    return await _next(ctx, [said])


async def _ask_reason(ctx: Ctx) -> list[Reply]:
    item = await load_item(ctx.session, _key(ctx))
    reviewed = await review.describe(ctx.session, item) if item is not None else None
    return [
        ctx.reply(
            "duyet.ask_reason",
            buttons=(Back().button(ctx.label("buttons.back")),),
            tz=reviewed.tz if reviewed is not None else None,
            it=item,
            req=reviewed.req if reviewed is not None else None,
            min=REASON_MIN,
            max=REASON_MAX,
        )
    ]


async def _reason(ctx: Ctx) -> list[Reply]:
    """Takes the reason and returns the item to its unit, which is told at once."""
    person = ctx.require_secretariat()
    if ctx.pressed(Back) is not None:
        ctx.goto(State.ITEM)
        return await _ask_item(ctx)
    reason = inputs.free_text(ctx, limit=REASON_MAX, minimum=REASON_MIN)
    try:
        done = await review.return_(
            ctx.session,
            ctx.deps.texts,
            _key(ctx),
            _seen(ctx),
            reason=reason,
            actor=person,
            origin=ctx.msg.key,
            now=ctx.now,
        )
    except review.StaleItemError as err:
        return await _next(ctx, [_stale(ctx, err)])
    if done.notice is not None:
        ctx.wake_after_commit("broadcast")
    ctx.data["returned"] = ctx.data.get("returned", 0) + 1
    it = done.reviewed
    said = ctx.reply(
        "duyet.returned", tz=it.tz, it=it.item, req=it.req, unit=it.unit, reached=done.reached
    )
    return await _next(ctx, [said])


STATES: StateTable = {
    State.ITEM: StateSpec(_item, _ask_item),
    State.REASON: StateSpec(_reason, _ask_reason),
}

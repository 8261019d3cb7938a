"""What one draft item of the plan intake targets: its units, a dossier's parts, its file types.

Entered from the item's screen of ``/kehoach`` → "Kế hoạch mới từ văn bản"
(:data:`handlers.kernel.states.Entry.INTAKE_TARGETS`, data ``draft_id``, ``page``, ``item``
and ``what``: ``units``, ``parts`` or ``accept``); every answer (or "Quay lại") hands the
person back to the item (:data:`~handlers.kernel.states.Entry.INTAKE_ITEM`).

* **Units**: all, by kind (the kinds of the active units, with their counts), by block (the
  emulation blocks that exist, with their counts) or listed unit codes.
* **Parts** of a dossier: typed one per line (or separated by ";").
* **File types**: a set offered as a button, or typed ("pdf, docx"), checked against the
  types the office knows.

The draft is read again (locked) at each change, as in :mod:`handlers.flows.intake`; the values
are read by :mod:`handlers.services.intake_items`.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable, Step
from handlers.kernel.messages import Button, Reply
from handlers.kernel.states import Entry
from handlers.services import intake, intake_items
from storage.models import PlanDraft

__all__ = [
    "STATES",
    "Back",
    "Mode",
    "PickAccept",
    "PickBlock",
    "PickUnitKind",
    "State",
    "UnitsMode",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    UNITS = "intake.units"
    UNIT_KIND = "intake.unit_kind"
    UNIT_BLOCK = "intake.unit_block"
    UNIT_CODES = "intake.unit_codes"
    PARTS = "intake.parts"
    ACCEPT = "intake.accept"


class Mode(StrEnum):
    """How an item's units are chosen."""

    ALL = "all"
    KINDS = "kinds"
    BLOCKS = "blocks"
    CODES = "codes"


class UnitsMode(CallbackData, prefix="intake.units"):
    """All units, by kind, by block, or listed codes."""

    mode: Mode


class PickUnitKind(CallbackData, prefix="intake.ukind"):
    """A kind of unit (its code)."""

    kind: str


class PickBlock(CallbackData, prefix="intake.ublock"):
    """An emulation block, by its index in the blocks offered (kept in the conversation)."""

    index: int


class PickAccept(CallbackData, prefix="intake.types"):
    """A set of file types (:data:`handlers.services.intake_items.ACCEPT_PRESETS`)."""

    preset: str


class Back(CallbackData, prefix="intake.tback"):
    """Back to the item, nothing changed."""


async def begin(ctx: Ctx) -> list[Reply]:
    """Asks what ``ctx.data["what"]`` names about the item."""
    ctx.require_secretariat()
    _, item = await _item_of(ctx)
    what = str(ctx.data.get("what"))
    if what == "parts":
        if item.get("kind") != "dossier":
            return await _back(ctx)
        ctx.goto(State.PARTS)
        return await _ask_parts(ctx)
    if what == "accept":
        ctx.goto(State.ACCEPT)
        return await _ask_accept(ctx)
    ctx.goto(State.UNITS)
    return await _ask_units(ctx)


# -- the draft and its item ---------------------------------------------------------------------
def _index(ctx: Ctx) -> int:
    return int(ctx.data["item"])


async def _item_of(ctx: Ctx, *, lock: bool = False) -> tuple[PlanDraft, dict[str, Any]]:
    draft = await intake.get_open(ctx.session, int(ctx.data["draft_id"]), for_update=lock)
    items = draft.plan["items"]
    if not 0 <= _index(ctx) < len(items):
        raise UserError("item_gone")
    return draft, items[_index(ctx)]


async def _save(ctx: Ctx, **changes: Any) -> list[Reply]:
    """Sets ``changes`` on the item (read again, locked), then shows the item."""
    person = ctx.require_secretariat()
    draft, _ = await _item_of(ctx, lock=True)
    intake.update_item(ctx.session, draft, _index(ctx), by=person, now=ctx.now, **changes)
    return await _back(ctx)


async def _back(ctx: Ctx) -> list[Reply]:
    keep = {k: ctx.data.get(k) for k in ("draft_id", "page", "item")}
    return await ctx.enter(Entry.INTAKE_ITEM, **keep)


def _back_button(ctx: Ctx) -> Button:
    return Back().button(ctx.label("intake.btn_back_item"))


def _guarded(step: Step) -> Step:
    """``step``; "Quay lại" goes back, a draft that is gone ends the conversation."""

    @functools.wraps(step)
    async def run(ctx: Ctx) -> list[Reply]:
        try:
            if ctx.pressed(Back) is not None:
                ctx.require_secretariat()
                return await _back(ctx)
            return await step(ctx)
        except UserError as err:
            if err.key not in ("intake_draft_gone", "item_gone"):
                raise
            ctx.end()
            return [ctx.reply(f"errors.{err.key}")]

    return run


# -- units --------------------------------------------------------------------------------------
async def _ask_units(ctx: Ctx) -> list[Reply]:
    modes = [Mode.ALL, Mode.KINDS]
    if await intake_items.block_counts(ctx.session):
        modes.append(Mode.BLOCKS)
    modes.append(Mode.CODES)
    buttons = [UnitsMode(mode=m).button(ctx.label(f"intake.btn_units_{m.value}")) for m in modes]
    buttons.append(_back_button(ctx))
    return [ctx.reply("intake.ask_units", buttons=buttons, n=_index(ctx) + 1)]


async def _units(ctx: Ctx) -> list[Reply]:
    """Takes how the item's units are chosen: all at once, or a follow-up question."""
    ctx.require_secretariat()
    mode = ctx.expect(UnitsMode).mode
    if mode is Mode.ALL:
        return await _save(ctx, units={"mode": "all"})
    if mode is Mode.KINDS:
        ctx.goto(State.UNIT_KIND)
        return await _ask_unit_kind(ctx)
    if mode is Mode.BLOCKS:
        ctx.goto(State.UNIT_BLOCK, blocks=list(await intake_items.block_counts(ctx.session)))
        return await _ask_unit_block(ctx)
    ctx.goto(State.UNIT_CODES)
    return await _ask_unit_codes(ctx)


async def _ask_unit_kind(ctx: Ctx) -> list[Reply]:
    buttons: list[Button] = [
        PickUnitKind(kind=k).button(
            ctx.label("intake.unit_kind_label", name=ctx.deps.unit_kinds.label(k), count=n)
        )
        for k, n in (await intake.unit_kind_counts(ctx.session, ctx.deps.unit_kinds)).items()
    ]
    return [ctx.reply("intake.ask_unit_kind", buttons=[*buttons, _back_button(ctx)])]


async def _unit_kind(ctx: Ctx) -> list[Reply]:
    """Takes the kind of unit the item applies to."""
    ctx.require_secretariat()
    kind = ctx.expect(PickUnitKind).kind
    if kind not in await intake.unit_kind_counts(ctx.session):
        raise UserError("pick_one")
    return await _save(ctx, units={"mode": "kinds", "kinds": [kind]})


async def _ask_unit_block(ctx: Ctx) -> list[Reply]:
    counts = await intake_items.block_counts(ctx.session)
    offered: list[str] = list(ctx.data.get("blocks") or [])
    buttons: list[Button] = [
        PickBlock(index=i).button(ctx.label("intake.block_label", name=b, count=counts[b]))
        for i, b in enumerate(offered)
        if b in counts
    ]
    return [ctx.reply("intake.ask_unit_block", buttons=[*buttons, _back_button(ctx)])]


async def _unit_block(ctx: Ctx) -> list[Reply]:
    """Takes the emulation block the item applies to (the buttons index the blocks offered)."""
    ctx.require_secretariat()
    index = ctx.expect(PickBlock).index
    offered: list[str] = list(ctx.data.get("blocks") or [])
    if not 0 <= index < len(offered):
        raise UserError("pick_one")
    block = offered[index]
    if block not in await intake_items.block_counts(ctx.session):
        raise UserError("intake_block_gone", block=block)
    return await _save(ctx, units={"mode": "blocks", "blocks": [block]})


async def _ask_unit_codes(ctx: Ctx) -> list[Reply]:
    example = ", ".join(await ctx.units.some_codes(2))
    return [ctx.reply("intake.ask_unit_codes", buttons=[_back_button(ctx)], example=example)]


async def _unit_codes(ctx: Ctx) -> list[Reply]:
    """Takes the codes of the units the item applies to."""
    ctx.require_secretariat()
    codes = await intake.parse_unit_codes(ctx.session, inputs.free_text(ctx, limit=2000))
    return await _save(ctx, units={"mode": "codes", "codes": codes})


# -- a dossier's parts ----------------------------------------------------------------------------
async def _ask_parts(ctx: Ctx) -> list[Reply]:
    _, item = await _item_of(ctx)
    return [
        ctx.reply(
            "intake.ask_parts",
            buttons=[_back_button(ctx)],
            n=_index(ctx) + 1,
            parts=item.get("parts") or [],
        )
    ]


async def _parts(ctx: Ctx) -> list[Reply]:
    """Takes the dossier's parts, one per line."""
    ctx.require_secretariat()
    parts = intake_items.parse_parts(inputs.free_text(ctx, limit=5000))
    return await _save(ctx, parts=parts)


# -- file types -----------------------------------------------------------------------------------
async def _ask_accept(ctx: Ctx) -> list[Reply]:
    _, item = await _item_of(ctx)
    buttons = [
        PickAccept(preset=name).button(ctx.label("intake.accept_label", name=name, types=types))
        for name, types in intake_items.ACCEPT_PRESETS.items()
    ]
    return [
        ctx.reply(
            "intake.ask_accept",
            buttons=[*buttons, _back_button(ctx)],
            n=_index(ctx) + 1,
            accept=item.get("accept") or [],
        )
    ]


async def _accept(ctx: Ctx) -> list[Reply]:
    """Takes the accepted file types: a set offered, or typed ("pdf, docx")."""
    ctx.require_secretariat()
    picked = ctx.pressed(PickAccept)
    if picked is not None:
        if picked.preset not in intake_items.ACCEPT_PRESETS:
            raise UserError("pick_one")
        accept = list(intake_items.ACCEPT_PRESETS[picked.preset])
    else:
        accept = intake_items.parse_accept(inputs.free_text(ctx, limit=500))
    return await _save(ctx, accept=accept)


def _spec(handle: Step, prompt: Step) -> StateSpec:
    return StateSpec(_guarded(handle), _guarded(prompt))


STATES: StateTable = {
    State.UNITS: _spec(_units, _ask_units),
    State.UNIT_KIND: _spec(_unit_kind, _ask_unit_kind),
    State.UNIT_BLOCK: _spec(_unit_block, _ask_unit_block),
    State.UNIT_CODES: _spec(_unit_codes, _ask_unit_codes),
    State.PARTS: _spec(_parts, _ask_parts),
    State.ACCEPT: _spec(_accept, _ask_accept),
}

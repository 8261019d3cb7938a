"""/thongbao: the secretariat writes an announcement, picks an audience of units, previews, sends.

Sending only queues (:func:`handlers.services.notices.announce`): a background sender, woken
with the ``"broadcast"`` topic after the commit, delivers the copies and reports back. Audiences
are the small JSON dicts described in :mod:`handlers.services.notices`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.services import notices
from storage.models import Broadcast, Requirement
from storage.text import vn_sort_key

__all__ = [
    "STATES",
    "TEXT_MAX",
    "Act",
    "Back",
    "Confirm",
    "PickAudience",
    "PickBlock",
    "PickKind",
    "PickRequirement",
    "begin",
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


class AudienceKind(StrEnum):
    """The first choice of an audience."""

    ALL = "all"
    LATE = "late"
    BLOCK = "block"
    KIND = "kind"


class PickAudience(CallbackData, prefix="tb.aud"):
    """All units, or which follow-up choice."""

    kind: AudienceKind


class PickRequirement(CallbackData, prefix="tb.req"):
    """The requirement whose late units are the audience."""

    requirement_id: int


class PickBlock(CallbackData, prefix="tb.block"):
    """An emulation block, by its index in the blocks offered (kept in the conversation)."""

    index: int


class PickKind(CallbackData, prefix="tb.kind"):
    """A kind of unit (its code)."""

    kind: str


class Back(CallbackData, prefix="tb.back"):
    """Back to the audience choice."""


class Act(StrEnum):
    """What can be done with the preview."""

    SEND = "send"
    EDIT = "edit"
    AUDIENCE = "audience"
    CANCEL = "cancel"


class Confirm(CallbackData, prefix="tb.confirm"):
    """A button under the preview."""

    act: Act


#: The longest announcement text (or file caption) accepted.
TEXT_MAX = 3000


# -- the conversation --------------------------------------------------------------------------
async def _label(ctx: Ctx, audience: dict[str, Any]) -> str:
    return await notices.audience_label(ctx.session, ctx.deps.texts, audience, ctx.deps.unit_kinds)


async def begin(ctx: Ctx) -> list[Reply]:
    """Starts an announcement: asks for its text or file."""
    ctx.require_secretariat()
    ctx.end()
    ctx.goto(State.CONTENT)
    return await _ask_content(ctx)


async def _ask_content(ctx: Ctx) -> list[Reply]:
    editing = ctx.data.get("audience") is not None
    question = ctx.reply("thongbao.ask_content", limit=TEXT_MAX, editing=editing)
    return [inputs.asks_file(ctx, question, ctx.label("web.what_broadcast"))]


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
        found.extend(await ctx.campaigns.owed_requirements_for(campaign.id))
    return found


async def _ask_audience(ctx: Ctx) -> list[Reply]:
    kinds = [AudienceKind.ALL]
    if await _late_options(ctx):
        kinds.append(AudienceKind.LATE)
    if await ctx.units.counts_by("block"):
        kinds.append(AudienceKind.BLOCK)
    kinds.append(AudienceKind.KIND)
    buttons = [PickAudience(kind=k).button(ctx.label(f"thongbao.btn_{k.value}")) for k in kinds]
    return [ctx.reply("thongbao.ask_audience", buttons=buttons)]


async def _blocks(ctx: Ctx) -> list[str]:
    """The emulation blocks (khối/cụm) of the units, in Vietnamese order."""
    return sorted(await ctx.units.counts_by("block"), key=vn_sort_key)


async def _audience(ctx: Ctx) -> list[Reply]:
    """Takes the kind of audience: all units at once, or a follow-up choice."""
    ctx.require_secretariat()
    kind = ctx.expect(PickAudience).kind
    if kind is AudienceKind.ALL:
        return await _choose(ctx, {"kind": "all"})
    if kind is AudienceKind.LATE and await _late_options(ctx):
        ctx.goto(State.REQUIREMENT)
        return await _ask_requirement(ctx)
    if kind is AudienceKind.BLOCK:
        blocks = await _blocks(ctx)
        if blocks:
            ctx.goto(State.BLOCK, options=blocks)
            return await _ask_block(ctx)
    if kind is AudienceKind.KIND:
        ctx.goto(State.KIND)
        return await _ask_kind(ctx)
    raise UserError("pick_one")


def _back_button(ctx: Ctx) -> Button:
    return Back().button(ctx.label("thongbao.btn_back"))


def _back(ctx: Ctx) -> bool:
    """Whether the press asks for the audience choice again; goes there if so."""
    if ctx.pressed(Back) is None:
        return False
    ctx.goto(State.AUDIENCE)
    return True


async def _ask_requirement(ctx: Ctx) -> list[Reply]:
    buttons = [
        PickRequirement(requirement_id=req.id).button(
            ctx.label("thongbao.requirement_label", req=req)
        )
        for req in await _late_options(ctx)
    ]
    return [ctx.reply("thongbao.ask_requirement", buttons=[*buttons, _back_button(ctx)])]


async def _requirement(ctx: Ctx) -> list[Reply]:
    """Takes the requirement whose late units are the audience."""
    ctx.require_secretariat()
    if _back(ctx):
        return await _ask_audience(ctx)
    picked = ctx.expect(PickRequirement).requirement_id
    if picked not in {req.id for req in await _late_options(ctx)}:
        raise UserError("pick_one")
    return await _choose(ctx, {"kind": "late", "requirement_id": picked})


async def _ask_block(ctx: Ctx) -> list[Reply]:
    counts = await ctx.units.counts_by("block")
    buttons = [
        PickBlock(index=i).button(
            ctx.label("thongbao.option_label", name=b, count=counts.get(b, 0))
        )
        for i, b in enumerate(ctx.data["options"])
    ]
    return [ctx.reply("thongbao.ask_block", buttons=[*buttons, _back_button(ctx)])]


async def _block(ctx: Ctx) -> list[Reply]:
    """Takes the emulation block (khối/cụm); the buttons index the blocks offered."""
    ctx.require_secretariat()
    if _back(ctx):
        return await _ask_audience(ctx)
    options: list[str] = ctx.data["options"]
    index = ctx.expect(PickBlock).index
    if not 0 <= index < len(options):
        raise UserError("pick_one")
    return await _choose(ctx, {"kind": "block", "value": options[index]})


async def _kinds(ctx: Ctx) -> dict[str, int]:
    """Unit kinds present, vocabulary order first, with their unit counts."""
    counts = await ctx.units.counts_by("kind")
    rank = {kind: i for i, kind in enumerate(ctx.deps.unit_kinds)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


async def _ask_kind(ctx: Ctx) -> list[Reply]:
    buttons = [
        PickKind(kind=kind).button(
            ctx.label("thongbao.option_label", name=ctx.deps.unit_kinds.label(kind), count=n)
        )
        for kind, n in (await _kinds(ctx)).items()
    ]
    return [ctx.reply("thongbao.ask_kind", buttons=[*buttons, _back_button(ctx)])]


async def _kind(ctx: Ctx) -> list[Reply]:
    """Takes the kind of unit."""
    ctx.require_secretariat()
    if _back(ctx):
        return await _ask_audience(ctx)
    kind = ctx.expect(PickKind).kind
    if kind not in await _kinds(ctx):
        raise UserError("pick_one")
    return await _choose(ctx, {"kind": "unit_kind", "value": kind})


async def _choose(ctx: Ctx, audience: dict[str, Any]) -> list[Reply]:
    """Shows the preview of an audience, or says nobody can be reached and asks again."""
    units = await notices.audience_unit_count(ctx.session, audience, ctx.now)
    recipients = await notices.audience_accounts(ctx.session, audience, ctx.now)
    if not any(r.reachable for r in recipients):
        ctx.goto(State.AUDIENCE, audience=None)
        nobody = ctx.reply(
            "thongbao.nobody",
            label=await _label(ctx, audience),
            units=units,
            recipients=len(recipients),
        )
        return [nobody, *await _ask_audience(ctx)]
    ctx.goto(State.PREVIEW, audience=audience)
    return await _preview(ctx, units, recipients)


async def _ask_preview(ctx: Ctx) -> list[Reply]:
    audience = ctx.data["audience"]
    units = await notices.audience_unit_count(ctx.session, audience, ctx.now)
    return await _preview(
        ctx, units, await notices.audience_accounts(ctx.session, audience, ctx.now)
    )


async def _preview(ctx: Ctx, units: int, recipients: list[notices.Recipient]) -> list[Reply]:
    copy = notices.copy_reply(ctx.deps.texts, Broadcast(text=ctx.data["text"]), None)
    buttons = (
        Confirm(act=Act.SEND).button(ctx.label("thongbao.btn_send")),
        Confirm(act=Act.EDIT).button(ctx.label("thongbao.btn_edit")),
        Confirm(act=Act.AUDIENCE).button(ctx.label("thongbao.btn_audience")),
        Confirm(act=Act.CANCEL).button(ctx.label("buttons.cancel")),
    )
    summary = ctx.reply(
        "thongbao.preview",
        buttons=buttons,
        label=await _label(ctx, ctx.data["audience"]),
        units=units,
        linked_units=len({r.unit_id for r in recipients}),
        recipients=len(recipients),
        unreachable=sum(not r.reachable for r in recipients),
        file=ctx.data.get("file"),
    )
    return [copy, summary]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Queues the broadcast, or goes back to the content or the audience, or cancels."""
    person = ctx.require_secretariat()
    act = ctx.expect(Confirm).act
    if act is Act.EDIT:
        ctx.goto(State.CONTENT, text=None, file=None)
        return await _ask_content(ctx)
    if act is Act.AUDIENCE:
        ctx.goto(State.AUDIENCE, audience=None)
        return await _ask_audience(ctx)
    if act is Act.CANCEL:
        ctx.end()
        return [ctx.reply("onboarding.cancelled", busy=True)]
    audience: dict[str, Any] = ctx.data["audience"]
    recipients = await notices.audience_accounts(ctx.session, audience, ctx.now)
    if not any(r.reachable for r in recipients):
        return await _choose(ctx, audience)  # the audience emptied since the preview
    queued = await notices.announce(
        ctx.session,
        ctx.deps.texts,
        text=ctx.data["text"],
        file_id=await inputs.stored_file(ctx, ctx.data.get("file")),
        audience=audience,
        recipients=recipients,
        by=person,
        origin=ctx.msg.key,
        now=ctx.now,
        kinds=ctx.deps.unit_kinds,
    )
    ctx.wake_after_commit("broadcast")
    ctx.end()
    return [
        ctx.reply(
            "thongbao.queued",
            id=queued.broadcast.id,
            recipients=queued.pending,
            units=queued.units,
            blocked=queued.blocked,
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

"""/tinhhinh (status) and /chuanop (who has not submitted)."""

from __future__ import annotations

from handlers.context import Ctx, StateSpec
from handlers.errors import UserError
from handlers.messages import Button, Reply
from handlers.progress import RequirementProgress, campaign_progress
from storage.models import Role, Unit

__all__ = ["STATES", "late", "status"]

PICK_UNIT = "status.pick_unit"


async def _progress(ctx: Ctx, unit: Unit | None) -> list[RequirementProgress]:
    """Progress over every active campaign, for one unit or all."""
    result: list[RequirementProgress] = []
    for campaign in await ctx.campaigns.get_active():
        result.extend(
            await campaign_progress(ctx.session, campaign, ctx.now, [unit] if unit else None)
        )
    return result


async def _unit_checklist(ctx: Ctx, unit: Unit) -> Reply:
    progress = [p for p in await _progress(ctx, unit) if p.marks]
    return ctx.reply("status.checklist", unit=unit, items=[(p, p.marks[0]) for p in progress])


async def status(ctx: Ctx) -> list[Reply]:
    """Shows the secretariat's overview, or a unit's checklist."""
    person = ctx.require_linked()
    ref = ctx.data.get("args", "")
    ctx.end()
    in_group = not ctx.msg.is_private
    if in_group and person.role is not Role.SECRETARIAT:
        return [ctx.reply("onboarding.private_only")]  # a unit's checklist is not for a group
    if person.role is not Role.SECRETARIAT:
        if ctx.unit is None:
            raise UserError("no_unit")
        if ref:
            other = await ctx.units.find(ref)
            if other is None or other.id != ctx.unit.id:
                raise UserError("not_your_unit")
        return [await _unit_checklist(ctx, ctx.unit)]
    if ref:
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        return [await _unit_checklist(ctx, unit)]
    progress = await _progress(ctx, None)
    if not progress:
        return [ctx.reply("status.no_campaign")]
    if in_group:  # no follow-up step: anyone in the group could answer it
        return [ctx.reply("status.overview", items=progress, now=ctx.now)]
    ctx.goto(PICK_UNIT)
    return [
        ctx.reply(
            "status.overview",
            buttons=(Button("🔎 Xem một đơn vị", "units"),),
            items=progress,
            now=ctx.now,
        )
    ]


async def _pick_unit(ctx: Ctx) -> list[Reply]:
    """Lists units to drill into, then shows the chosen unit's checklist."""
    ctx.require_secretariat()
    if ctx.choice == "units":
        return await _ask_unit(ctx)
    if ctx.choice and ctx.choice.startswith("u:"):
        unit = await ctx.units.get(int(ctx.choice[2:]))
        if unit is not None:
            ctx.end()
            return [await _unit_checklist(ctx, unit)]
    if ctx.text and not ctx.choice:
        unit = await ctx.units.find(ctx.text)
        if unit is not None:
            ctx.end()
            return [await _unit_checklist(ctx, unit)]
        raise UserError("unit_not_found", ref=ctx.text)
    raise UserError("pick_one")


async def _ask_unit(ctx: Ctx) -> list[Reply]:
    units = await ctx.units.list_all()
    return [ctx.reply("status.ask_unit", buttons=[Button(u.name, f"u:{u.id}") for u in units])]


async def late(ctx: Ctx) -> list[Reply]:
    """Answers "ai chưa nộp?": per requirement, the units that still owe it."""
    person = ctx.require_linked()
    ctx.end()
    if person.role is Role.SECRETARIAT:
        progress = await _progress(ctx, None)
        return [ctx.reply("status.late", items=[p for p in progress if p.marks])]
    if ctx.unit is None:
        raise UserError("no_unit")
    progress = await _progress(ctx, ctx.unit)
    owed = [(p, p.marks[0]) for p in progress if p.marks and not p.marks[0].done]
    return [ctx.reply("status.unit_late", unit=ctx.unit, items=owed)]


STATES = {PICK_UNIT: StateSpec(_pick_unit, _ask_unit)}

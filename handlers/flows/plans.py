"""/kehoach (secretariat): the campaigns with their state; close, archive or delete one.

Its "Ai đã liên kết?" button answers, per unit, whether its head and members linked a chat
account and on which channel (``/kehoach lienket`` asks it directly).

The list names every campaign and its state (draft, active, closed, archived); a campaign's
buttons offer only what its state allows, and each change asks for confirmation before
:func:`handlers.services.campaigns.change_campaign` makes it (audit-logged). A campaign the units
sent anything for can only be closed: deleting it is refused.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Reply
from handlers.kernel.states import Entry
from handlers.services.campaigns import (
    CampaignAction,
    CampaignSummary,
    change_campaign,
    list_campaigns,
    summarize,
)
from handlers.services.units import list_units
from storage.text import fold_text

__all__ = [
    "STATES",
    "Back",
    "Confirm",
    "NewPlan",
    "PickAction",
    "PickCampaign",
    "Requirements",
    "ShowLinked",
    "State",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "kehoach.pick"
    ACTION = "kehoach.action"
    CONFIRM = "kehoach.confirm"


class PickCampaign(CallbackData, prefix="kehoach.campaign"):
    """A campaign to act on."""

    campaign_id: int


class PickAction(CallbackData, prefix="kehoach.action"):
    """What to do to the chosen campaign."""

    action: CampaignAction


class Confirm(CallbackData, prefix="kehoach.confirm"):
    """Yes or no to the chosen change."""

    yes: bool


class Back(CallbackData, prefix="kehoach.back"):
    """Back to the list of campaigns."""


class ShowLinked(CallbackData, prefix="kehoach.linked"):
    """Who of each unit has linked a chat account."""


class Requirements(CallbackData, prefix="kehoach.reqs"):
    """The chosen campaign's requirements (gia hạn, edit, remove: their own flow)."""


class NewPlan(CallbackData, prefix="kehoach.new"):
    """A new campaign from a plan's document (the intake flow)."""


async def begin(ctx: Ctx) -> list[Reply]:
    """Lists the campaigns with their state and offers one to act on."""
    ctx.require_secretariat()
    asked = fold_text(str(ctx.data.get("args", "")))
    ctx.end()
    if asked in {"lien ket", "lienket", "linked"}:
        return await _linked(ctx)
    ctx.goto(State.PICK)
    if not await list_campaigns(ctx.session):
        new = NewPlan().button(ctx.label("kehoach.new_label"))
        return [ctx.reply("kehoach.empty", buttons=[new])]
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    campaigns = await list_campaigns(ctx.session)
    buttons = [
        PickCampaign(campaign_id=c.id).button(ctx.label("kehoach.pick_label", c=c))
        for c in campaigns
    ]
    buttons.append(ShowLinked().button(ctx.label("units.linked_label")))
    buttons.append(NewPlan().button(ctx.label("kehoach.new_label")))
    return [ctx.reply("kehoach.overview", buttons=buttons, campaigns=campaigns)]


async def _linked(ctx: Ctx) -> list[Reply]:
    ctx.end()
    return [ctx.reply("units.linked", units=await list_units(ctx.session))]


async def _pick(ctx: Ctx) -> list[Reply]:
    """Takes the campaign."""
    ctx.require_secretariat()
    if ctx.pressed(ShowLinked) is not None:
        return await _linked(ctx)
    if ctx.pressed(NewPlan) is not None:
        return await ctx.enter(Entry.INTAKE)
    picked = ctx.expect(PickCampaign).campaign_id
    ctx.goto(State.ACTION, campaign_id=picked)
    return await _ask_action(ctx)


async def _chosen(ctx: Ctx) -> CampaignSummary | None:
    """The campaign chosen so far, read again (another secretariat may have deleted it)."""
    campaign = await ctx.campaigns.get(int(ctx.data["campaign_id"]))
    if campaign is None:
        return None
    return await summarize(ctx.session, campaign)


def _gone(ctx: Ctx) -> list[Reply]:
    """The campaign went meanwhile: say so and leave (never act on, or crash over, stale data)."""
    ctx.end()
    return [ctx.reply("noidung.gone")]


async def _ask_action(ctx: Ctx) -> list[Reply]:
    summary = await _chosen(ctx)
    if summary is None:
        return _gone(ctx)
    actions = summary.actions()
    buttons = [
        PickAction(action=a).button(ctx.label("kehoach.action_label", action=a.value))
        for a in actions
    ]
    buttons.append(Requirements().button(ctx.label("kehoach.requirements_label")))
    buttons.append(Back().button(ctx.label("kehoach.back_label")))
    return [
        ctx.reply(
            "kehoach.ask_action",
            buttons=buttons,
            c=summary,
            actions=[a.value for a in actions],
        )
    ]


async def _action(ctx: Ctx) -> list[Reply]:
    """Takes the change to make, or goes back to the list."""
    ctx.require_secretariat()
    if ctx.pressed(Back) is not None:
        ctx.goto(State.PICK, campaign_id=None)
        return await _ask_pick(ctx)
    summary = await _chosen(ctx)
    if summary is None:
        return _gone(ctx)
    if ctx.pressed(Requirements) is not None:
        return await ctx.enter(Entry.REQUIREMENTS, campaign_id=summary.id)
    action = ctx.expect(PickAction).action
    if action not in summary.actions():
        raise UserError("pick_one")
    ctx.goto(State.CONFIRM, action=action.value)
    return await _ask_confirm(ctx)


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    summary = await _chosen(ctx)
    if summary is None:
        return _gone(ctx)
    action = CampaignAction(ctx.data["action"])
    buttons = [
        Confirm(yes=True).button(ctx.label("kehoach.yes_label", action=action.value)),
        Confirm(yes=False).button(ctx.label("kehoach.no_label")),
    ]
    return [ctx.reply("kehoach.confirm", buttons=buttons, c=summary, action=action.value)]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Makes the change on "yes" (checked again against the campaign's state now)."""
    person = ctx.require_secretariat()
    yes = ctx.expect(Confirm).yes
    if not yes:
        ctx.end()
        return [ctx.reply("kehoach.cancelled")]
    campaign = await ctx.campaigns.get(int(ctx.data["campaign_id"]))
    if campaign is None:
        return _gone(ctx)
    action = CampaignAction(ctx.data["action"])
    code = campaign.code
    await change_campaign(ctx.session, campaign, action, person_id=person.id, now=ctx.now)
    ctx.end()
    return [ctx.reply("kehoach.done", code=code, action=action.value)]


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.ACTION: StateSpec(_action, _ask_action),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
}

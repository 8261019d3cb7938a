"""/vanban (/papers): who signs the exported papers, set in the chat.

The secretariat sets the campaign's signature block, as ``settings.export`` of the campaign file
would: the issuing body, the place, "TM./KT.", the signer's position and name, "Nơi nhận", whom
the Tờ trình is addressed to, and the Tờ trình's number and date once it has them. A unit head
sets once who signs the unit's own exports (their position and name). Each change is
audit-logged; typing "-" clears a value (back to the default).
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.services import papers
from handlers.services.papers import CampaignKey, UnitKey
from storage.models import Campaign, Role

__all__ = [
    "STATES",
    "Back",
    "Done",
    "PickCampaign",
    "PickKey",
    "State",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    CAMPAIGN = "vanban.campaign"
    KEY = "vanban.key"
    VALUE = "vanban.value"


class PickCampaign(CallbackData, prefix="vanban.campaign"):
    """The campaign whose papers to set (secretariat, when several)."""

    campaign_id: int


class PickKey(CallbackData, prefix="vanban.key"):
    """What to set (a key of :class:`CampaignKey` or :class:`UnitKey`)."""

    key: str


class Done(CallbackData, prefix="vanban.done"):
    """Leave: everything is set."""


class Back(CallbackData, prefix="vanban.back"):
    """Back to the list of what can be set, changing nothing."""


def _secretariat(ctx: Ctx) -> bool:
    return ctx.require_linked().role is Role.SECRETARIAT


async def begin(ctx: Ctx) -> list[Reply]:
    """Shows what the papers say and what can be set: per campaign, or for one's unit."""
    person = ctx.require_linked()
    ctx.end()
    if person.role is not Role.SECRETARIAT:
        ctx.require_unit_head()
        ctx.goto(State.KEY)
        return await _ask_key(ctx)
    campaigns = await ctx.campaigns.get_reported()
    if not campaigns:
        return [ctx.reply("vanban.no_campaign")]
    if len(campaigns) > 1:
        ctx.goto(State.CAMPAIGN)
        return await _ask_campaign(ctx)
    ctx.goto(State.KEY, campaign_id=campaigns[0].id)
    return await _ask_key(ctx)


async def _ask_campaign(ctx: Ctx) -> list[Reply]:
    campaigns = await ctx.campaigns.get_reported()
    buttons = [PickCampaign(campaign_id=c.id).button(c.title[:60]) for c in campaigns]
    return [ctx.reply("vanban.ask_campaign", buttons=buttons)]


async def _campaign(ctx: Ctx) -> list[Reply]:
    """Takes the campaign (secretariat)."""
    ctx.require_secretariat()
    picked = ctx.expect(PickCampaign).campaign_id
    if picked not in {c.id for c in await ctx.campaigns.get_reported()}:
        raise UserError("pick_one")
    ctx.goto(State.KEY, campaign_id=picked)
    return await _ask_key(ctx)


async def _campaign_of(ctx: Ctx) -> Campaign:
    campaign = await ctx.campaigns.get(int(ctx.data.get("campaign_id", 0)))
    if campaign is None:
        ctx.end()
        raise UserError("item_gone")
    return campaign


def _keys(ctx: Ctx) -> list[str]:
    """What the asker may set: the campaign's keys, or their unit's."""
    return [k.value for k in (CampaignKey if _secretariat(ctx) else UnitKey)]


def _done(ctx: Ctx) -> Button:
    return Done().button(ctx.label("vanban.done_label"))


async def _ask_key(ctx: Ctx, *, saved: str | None = None) -> list[Reply]:
    buttons = [
        PickKey(key=key).button(ctx.label("vanban.key_label", key=key)) for key in _keys(ctx)
    ]
    if _secretariat(ctx):
        campaign = await _campaign_of(ctx)
        return [
            ctx.reply(
                "vanban.campaign_card",
                buttons=[*buttons, _done(ctx)],
                campaign=campaign,
                values=papers.campaign_values(campaign),
                saved=saved,
            )
        ]
    _, unit = ctx.require_unit_head()
    return [
        ctx.reply(
            "vanban.unit_card",
            buttons=[*buttons, _done(ctx)],
            unit=unit,
            values=papers.unit_values(unit),
            saved=saved,
        )
    ]


async def _key(ctx: Ctx) -> list[Reply]:
    """Takes what to set, or leaves."""
    if ctx.pressed(Done) is not None:
        ctx.end()
        return [ctx.reply("vanban.done")]
    key = ctx.expect(PickKey).key
    if key not in _keys(ctx):
        raise UserError("pick_one")
    ctx.goto(State.VALUE, key=key)
    return await _ask_value(ctx)


async def _ask_value(ctx: Ctx) -> list[Reply]:
    key = str(ctx.data["key"])
    if _secretariat(ctx):
        current = papers.campaign_values(await _campaign_of(ctx)).get(key)
    else:
        current = papers.unit_values(ctx.require_unit_head()[1]).get(key)
    back = Back().button(ctx.label("vanban.back_label"))
    return [
        ctx.reply(
            "vanban.ask_value",
            buttons=[back],
            key=key,
            current=current,
            unit=not _secretariat(ctx),
        )
    ]


async def _value(ctx: Ctx) -> list[Reply]:
    """Takes the new value, checks it and saves it (audit-logged)."""
    if ctx.pressed(Back) is not None:
        ctx.goto(State.KEY)
        return await _ask_key(ctx)
    if ctx.msg.file is not None:
        raise UserError("file_not_here")
    if ctx.choice:
        raise UserError("pick_one")
    key = str(ctx.data["key"])
    value = papers.parse_value(key, ctx.text)
    if _secretariat(ctx):
        campaign = await _campaign_of(ctx)
        papers.set_campaign_value(campaign, CampaignKey(key), value)
        ctx.audit("campaign.papers", "campaign", campaign.id, key=key, value=value)
    else:
        _, unit = ctx.require_unit_head()
        if isinstance(value, list):  # not a key of the unit's
            raise UserError("pick_one")
        papers.set_unit_value(unit, UnitKey(key), value)
        ctx.audit("unit.papers", "unit", unit.id, key=key, value=value)
    ctx.goto(State.KEY)
    return await _ask_key(ctx, saved=key)


STATES: StateTable = {
    State.CAMPAIGN: StateSpec(_campaign, _ask_campaign),
    State.KEY: StateSpec(_key, _ask_key),
    State.VALUE: StateSpec(_value, _ask_value),
}

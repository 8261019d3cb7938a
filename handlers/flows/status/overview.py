"""/tinhhinh: the secretariat's overview and filters, a unit's checklist.

The secretariat's overview comes from :mod:`handlers.queries.stats` (aggregate SQL); its chart
is drawn and sent by the export worker (queued); a unit's checklist (its own, or the one the
secretariat drills into) from :mod:`handlers.queries.progress`.

After the overview, the secretariat may drill into a unit, filter by block (khối/cụm) or by
unit kind, see the nomination figures, or clear the filter; ``/tinhhinh khoi:… loai:…`` and
``/chuanop khoi:… loai:…`` filter at once. In a group the overview comes without buttons: anyone
in the group could press them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.milestones import Milestone
from handlers.domain.progress import RequirementProgress, UnitMark, local_today
from handlers.domain.unit_filter import parse_filter
from handlers.flows.status.common import (
    SOON_DAYS,
    Filter,
    Unknown,
    filter_params,
    match_typed,
    typed_filter,
    tz_of,
    unknown_reply,
)
from handlers.kernel.callbacks import CallbackData, Command
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import UNIT_BUTTONS, Button, Reply
from handlers.queries.milestones import unit_milestones
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import (
    CampaignStatus,
    FilterOption,
    block_options,
    campaign_status,
    kind_options,
    nomination_stats,
)
from handlers.services.exports import queue_charts
from handlers.services.reminders import unreachable_summary
from storage.models import Role, Unit

__all__ = [
    "STATES",
    "Action",
    "Back",
    "Do",
    "PickOption",
    "PickUnit",
    "Show",
    "State",
    "View",
    "parse_filter",
    "status",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK_UNIT = "status.pick_unit"
    PICK_BLOCK = "status.pick_block"
    PICK_KIND = "status.pick_kind"


#: Overdue units named per requirement in the overview, and newest items shown.
OVERDUE_NAMED = 3
RECENT_SHOWN = 3


class View(StrEnum):
    """What the secretariat is looking at: the submissions or the nomination figures."""

    OVERVIEW = "overview"
    NOMINATIONS = "noms"
    FULL = "full"  # the overview with every requirement in detail ("Xem thêm")


class Action(StrEnum):
    """A follow-up under a view: drill into a unit, filter, or clear the filter."""

    UNITS = "units"
    BLOCK = "block"
    KIND = "kind"
    CLEAR = "clear"


class Do(CallbackData, prefix="status.do"):
    """A follow-up button under the overview or the nomination figures."""

    action: Action


class Show(CallbackData, prefix="status.view"):
    """Switch to another view, keeping the filter."""

    view: View


class PickUnit(CallbackData, prefix="status.unit"):
    """A unit whose checklist to show."""

    unit_id: int


class PickOption(CallbackData, prefix="status.opt"):
    """A block or a unit kind to filter by, by its index among those offered."""

    index: int


class Back(CallbackData, prefix="status.back"):
    """Back to the view without changing the filter."""


# -- Views ------------------------------------------------------------------------------------


async def _unit_checklist(ctx: Ctx, unit: Unit) -> Reply:
    campaigns = await ctx.campaigns.get_reported()
    items: list[tuple[RequirementProgress, UnitMark]] = []
    # The events it organises and the plan's own dates: shown with their day, never owed.
    milestones: list[tuple[Milestone, dt.date]] = []
    for campaign in campaigns:  # each campaign's requirements read once for both
        reqs = await ctx.campaigns.requirements_for(campaign.id)
        progress = await campaign_progress(ctx.session, campaign, ctx.now, [unit], reqs)
        items.extend((p, p.marks[0]) for p in progress if p.marks)
        today = local_today(ctx.now, campaign.timezone)
        found = await unit_milestones(ctx.session, campaign, unit, reqs)
        milestones.extend((m, today) for m in found)
    tz = tz_of(campaigns)
    # What the unit sent, with its files: /hoso (handlers/flows/browse.py), a menu command.
    files = Command(name=f"hoso {unit.code}").button(ctx.label("status.files_label"))
    params = {"unit": unit, "items": items, "milestones": milestones}
    return ctx.reply("status.checklist", buttons=[files], tz=tz, **params)


def _menu(ctx: Ctx, flt: Filter, view: View, *, more: bool = False) -> list[Button]:
    buttons = [
        Do(action=Action.UNITS).button(ctx.label("status.btn_units")),
        Do(action=Action.BLOCK).button(ctx.label("status.btn_block")),
        Do(action=Action.KIND).button(ctx.label("status.btn_kind")),
    ]
    if view is not View.NOMINATIONS:
        buttons.append(Show(view=View.NOMINATIONS).button(ctx.label("status.btn_nominations")))
    else:
        buttons.append(Show(view=View.OVERVIEW).button(ctx.label("status.btn_overview")))
    if flt.active:
        buttons.append(Do(action=Action.CLEAR).button(ctx.label("status.btn_clear")))
    if more:
        buttons.append(Show(view=View.FULL).button(ctx.label("status.btn_more")))
    return buttons


def _back(ctx: Ctx) -> Button:
    return Back().button(ctx.label("status.btn_back"))


async def _charts(ctx: Ctx, items: Sequence[CampaignStatus], flt: Filter) -> bool:
    """Queue one chart per campaign (usually one) for the export worker; whether any was."""
    subtitle = (
        ctx.label("status.chart_subtitle", **filter_params(ctx, flt)) if flt.active else None
    )
    charted = [
        (n, c.campaign) for n, c in enumerate(items, 1) if any(s.total for s in c.requirements)
    ]
    if charted:
        person = ctx.person.id if ctx.person else None
        await queue_charts(ctx.session, charted, ctx.now, flt.where, subtitle, ctx.msg.key, person)
        ctx.wake_after_commit("export")
    return bool(charted)


async def _overview(ctx: Ctx, flt: Filter, *, buttons: bool, full: bool = False) -> list[Reply]:
    """The overview text (with the follow-up buttons when ``buttons``); the chart follows.

    Requirements due later than :data:`SOON_DAYS` days are summarised in one line with a
    "Xem thêm" button, unless ``full``.
    """
    campaigns = await ctx.campaigns.get_reported()
    if not campaigns:
        ctx.end()
        return [ctx.reply("status.no_campaign")]
    items = [
        await campaign_status(
            ctx.session,
            campaign,
            ctx.now,
            flt.where,
            recent_limit=RECENT_SHOWN,
            overdue_limit=OVERDUE_NAMED,
        )
        for campaign in campaigns
    ]
    hidden = not full and any(
        s.days_left is None or s.days_left > SOON_DAYS for c in items for s in c.requirements
    )
    view = View.FULL if full else View.OVERVIEW
    unreachable = []
    # late units no reminder reaches (those the filter covers), and why (never linked / blocked)
    for _, late in await unreachable_summary(ctx.session, ctx.now):
        if covered := late.covered(flt.where):
            unreachable.append(covered)
    charting = await _charts(ctx, items, flt)
    text = ctx.reply(
        "status.overview",
        buttons=_menu(ctx, flt, view, more=hidden) if buttons else (),
        items=items,
        now=ctx.now,
        hint=buttons,
        soon_days=SOON_DAYS,
        full=full,
        tz=tz_of(campaigns),
        unreachable=unreachable,
        charting=charting,
        **filter_params(ctx, flt),
    )
    return [text]


async def _nominations(ctx: Ctx, flt: Filter) -> list[Reply]:
    """The nomination figures of every active campaign, with the follow-up buttons."""
    campaigns = await ctx.campaigns.get_reported()
    if not campaigns:
        ctx.end()
        return [ctx.reply("status.no_campaign")]
    items = [await nomination_stats(ctx.session, c, flt.where) for c in campaigns]
    return [
        ctx.reply(
            "status.nominations",
            buttons=_menu(ctx, flt, View.NOMINATIONS),
            items=items,
            now=ctx.now,
            tz=tz_of(campaigns),
            **filter_params(ctx, flt),
        )
    ]


def _view(ctx: Ctx) -> View:
    """The view the secretariat was looking at."""
    return View(ctx.data.get("view", View.OVERVIEW))


async def _show(ctx: Ctx, flt: Filter, view: View) -> list[Reply]:
    """Show ``view`` with ``flt`` and wait for a follow-up press."""
    ctx.goto(State.PICK_UNIT, view=view.value)
    flt.save(ctx)
    if view is View.NOMINATIONS:
        return await _nominations(ctx, flt)
    return await _overview(ctx, flt, buttons=True, full=view is View.FULL)


# -- Steps ------------------------------------------------------------------------------------


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
    flt = Filter()
    parsed = parse_filter(ref) if ref else None
    if parsed is not None:
        typed = await typed_filter(ctx, parsed)
        if isinstance(typed, Unknown):
            if in_group:  # no follow-up step in a group: say what can be typed instead
                return [unknown_reply(ctx, typed, listed=True)]
            # Ask for it with buttons, then show the overview with the filter.
            ctx.goto(
                State.PICK_BLOCK if typed.key == "block" else State.PICK_KIND,
                view=View.OVERVIEW.value,
            )
            Filter(typed.block).save(ctx)
            ask = await (_ask_block if typed.key == "block" else _ask_kind)(ctx)
            return [unknown_reply(ctx, typed, listed=False), *ask]
        flt = typed
    elif ref:
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        return [await _unit_checklist(ctx, unit)]
    if in_group:  # no follow-up step: anyone in the group could answer it
        return await _overview(ctx, flt, buttons=False)
    return await _show(ctx, flt, View.OVERVIEW)


async def _follow_up(ctx: Ctx, action: Action) -> list[Reply]:
    """A follow-up button under a view: the unit list, a filter question, or no filter."""
    if action is Action.UNITS:
        return await _ask_unit(ctx)
    if action is Action.BLOCK:
        ctx.goto(State.PICK_BLOCK)
        return await _ask_block(ctx)
    if action is Action.KIND:
        ctx.goto(State.PICK_KIND)
        return await _ask_kind(ctx)
    return await _show(ctx, Filter(), _view(ctx))


async def _pick_unit(ctx: Ctx) -> list[Reply]:
    """After the overview: drill into a unit, filter, switch view; or the chosen unit."""
    ctx.require_secretariat()
    do = ctx.pressed(Do)
    if do is not None:
        return await _follow_up(ctx, do.action)
    show = ctx.pressed(Show)
    if show is not None:
        return await _show(ctx, Filter.load(ctx), show.view)
    picked = ctx.pressed(PickUnit)
    if picked is not None:
        unit = await ctx.units.get(picked.unit_id)
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
    flt = Filter.load(ctx)
    many = await ctx.units.count(block=flt.block, kind=flt.kind)
    if many > UNIT_BUTTONS:  # a province: the name or code is typed (a filter narrows it)
        return [ctx.reply("status.ask_unit", many=many)]
    units = await ctx.units.list_all(block=flt.block, kind=flt.kind)
    buttons = [PickUnit(unit_id=u.id).button(u.name) for u in units]
    return [ctx.reply("status.ask_unit", buttons=buttons)]


def _option_buttons(ctx: Ctx, options: Sequence[FilterOption]) -> list[Button]:
    """The options offered (kept in the conversation, so a press names one by index)."""
    ctx.data["options"] = [o.value for o in options]
    return [
        PickOption(index=i).button(ctx.label("status.option_label", name=o.label, count=o.units))
        for i, o in enumerate(options)
    ]


async def _ask_block(ctx: Ctx) -> list[Reply]:
    options = await block_options(ctx.session)
    buttons = [*_option_buttons(ctx, options), _back(ctx)]
    return [ctx.reply("status.ask_block", buttons=buttons, empty=not options)]


async def _ask_kind(ctx: Ctx) -> list[Reply]:
    options = await kind_options(ctx.session, ctx.deps.unit_kinds)
    buttons = [*_option_buttons(ctx, options), _back(ctx)]
    return [ctx.reply("status.ask_kind", buttons=buttons)]


def _picked(ctx: Ctx) -> str | None:
    """The option a press picked, from those offered."""
    options: list[str] = ctx.data.get("options", [])
    picked = ctx.pressed(PickOption)
    if picked is not None and 0 <= picked.index < len(options):
        return options[picked.index]
    return None


async def _pick_filter(ctx: Ctx, key: str) -> list[Reply]:
    ctx.require_secretariat()
    flt = Filter.load(ctx)
    if ctx.pressed(Back) is not None:
        return await _show(ctx, flt, _view(ctx))
    value = _picked(ctx)
    if value is None and ctx.text and not ctx.choice:  # typed instead of pressed
        value = await match_typed(ctx, key, ctx.text)
    if value is None:
        raise UserError("pick_one")
    ctx.data.pop("options", None)
    changed: dict[str, Any] = {"block": flt.block, "kind": flt.kind, key: value}
    return await _show(ctx, Filter(changed["block"], changed["kind"]), _view(ctx))


async def _pick_block(ctx: Ctx) -> list[Reply]:
    """Takes the block (khối/cụm) to filter by."""
    return await _pick_filter(ctx, "block")


async def _pick_kind(ctx: Ctx) -> list[Reply]:
    """Takes the unit kind to filter by."""
    return await _pick_filter(ctx, "kind")


STATES: StateTable = {
    State.PICK_UNIT: StateSpec(_pick_unit, _ask_unit),
    State.PICK_BLOCK: StateSpec(_pick_block, _ask_block),
    State.PICK_KIND: StateSpec(_pick_kind, _ask_kind),
}

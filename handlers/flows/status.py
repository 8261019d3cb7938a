"""/tinhhinh (status) and /chuanop (who has not submitted).

The secretariat's overview comes from :mod:`handlers.queries.stats` (aggregate SQL); its chart
is drawn and sent by the export worker (queued); a unit's checklist (its own, or the one the
secretariat drills into) from :mod:`handlers.queries.progress`.

After the overview, the secretariat may drill into a unit, filter by block (khối/cụm) or by
unit kind, see the nomination figures, or clear the filter; ``/tinhhinh khoi:… loai:…`` and
``/chuanop khoi:… loai:…`` filter at once. In a group the overview comes without buttons: anyone
in the group could press them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.progress import RequirementProgress, local_today
from handlers.domain.unit_filter import match_block, match_kind, parse_filter
from handlers.domain.vocab import UNIT_KINDS
from handlers.kernel.callbacks import CallbackData, Command
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.queries.milestones import unit_milestones
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import (
    CampaignStatus,
    FilterOption,
    MissingList,
    UnitFilter,
    block_options,
    campaign_status,
    kind_options,
    missing_units,
    nomination_stats,
)
from handlers.services.exports import queue_charts
from handlers.services.reminders import unreachable_blocked_ids, unreachable_summary
from storage.models import Campaign, Role, Unit

__all__ = [
    "CHUANOP_LIMIT",
    "STATES",
    "Action",
    "Back",
    "Do",
    "More",
    "PickOption",
    "PickUnit",
    "Show",
    "State",
    "View",
    "late",
    "parse_filter",
    "status",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK_UNIT = "status.pick_unit"
    PICK_BLOCK = "status.pick_block"
    PICK_KIND = "status.pick_kind"
    LATE_MORE = "status.late_more"


#: At most this many units per requirement in /chuanop (the rest are counted).
CHUANOP_LIMIT = 10
#: Requirements due within this many days are on /chuanop's first page.
SOON_DAYS = 7
#: Later requirements per "Xem thêm" page.
PAGE_ITEMS = 1
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


class More(CallbackData, prefix="status.more"):
    """The next page of /chuanop."""

    page: int


class Back(CallbackData, prefix="status.back"):
    """Back to the view without changing the filter."""


# -- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Filter:
    """The secretariat's current filter, as kept in the conversation data."""

    block: str | None = None
    kind: str | None = None

    @classmethod
    def load(cls, ctx: Ctx) -> _Filter:
        raw = ctx.data.get("filter") or {}
        return cls(raw.get("block"), raw.get("kind"))

    def save(self, ctx: Ctx) -> None:
        ctx.data["filter"] = {"block": self.block, "kind": self.kind}

    @property
    def where(self) -> UnitFilter:
        return UnitFilter(block=self.block, kind=self.kind)

    @property
    def active(self) -> bool:
        return self.block is not None or self.kind is not None


def _filter_params(flt: _Filter) -> dict[str, Any]:
    """The filter as the templates show it (``block``, ``kind``: the kind's label)."""
    return {"block": flt.block, "kind": UNIT_KINDS.get(flt.kind or "", flt.kind)}


@dataclass(frozen=True, slots=True)
class _Unknown:
    """A typed filter value that names no block or kind: what it was and what exists."""

    key: str
    text: str
    options: tuple[FilterOption, ...]
    block: str | None = None  # a block that was understood, when the kind was not


async def _typed_filter(ctx: Ctx, parsed: dict[str, str]) -> _Filter | _Unknown:
    """The filter typed after a command, or what it failed to name."""
    block = kind = None
    if "block" in parsed:
        options = await block_options(ctx.session)
        block = match_block(parsed["block"], options)
        if block is None:
            return _Unknown("block", parsed["block"], tuple(options))
    if "kind" in parsed:
        options = await kind_options(ctx.session)
        kind = match_kind(parsed["kind"], options)
        if kind is None:
            return _Unknown("kind", parsed["kind"], tuple(options), block)
    return _Filter(block, kind)


def _unknown_reply(ctx: Ctx, unknown: _Unknown, *, listed: bool) -> Reply:
    """Says which typed value was not understood; lists the values when no buttons follow."""
    return ctx.reply(
        "status.filter_unknown",
        key=unknown.key,
        text=unknown.text,
        options=[o.label for o in unknown.options] if listed else [],
    )


# -- Views ------------------------------------------------------------------------------------


def _tz(campaigns: Sequence[Campaign]) -> str | None:
    """The zone the texts show times in: the (first) active campaign's."""
    return campaigns[0].timezone if campaigns else None


async def _unit_progress(
    ctx: Ctx, unit: Unit, campaigns: Sequence[Campaign] | None = None
) -> tuple[list[RequirementProgress], str | None]:
    """One unit's progress over every active campaign, and the zone to show its times in."""
    campaigns = await ctx.campaigns.get_reported() if campaigns is None else campaigns
    progress = [await campaign_progress(ctx.session, c, ctx.now, [unit]) for c in campaigns]
    return [p for ps in progress for p in ps], _tz(campaigns)


async def _unit_checklist(ctx: Ctx, unit: Unit) -> Reply:
    campaigns = await ctx.campaigns.get_reported()
    progress, tz = await _unit_progress(ctx, unit, campaigns)
    items = [(p, p.marks[0]) for p in progress if p.marks]
    # The events it organises and the plan's own dates: shown with their day, never owed.
    milestones = [
        (m, local_today(ctx.now, campaign.timezone))
        for campaign in campaigns
        for m in await unit_milestones(ctx.session, campaign, unit)
    ]
    # What the unit sent, with its files: /hoso (handlers/flows/browse.py), a menu command.
    files = Command(name=f"hoso {unit.code}").button(ctx.label("status.files_label"))
    params = {"unit": unit, "items": items, "milestones": milestones}
    return ctx.reply("status.checklist", buttons=[files], tz=tz, **params)


def _menu(ctx: Ctx, flt: _Filter, view: View, *, more: bool = False) -> list[Button]:
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


async def _charts(ctx: Ctx, items: Sequence[CampaignStatus], flt: _Filter) -> bool:
    """Queue one chart per campaign (usually one) for the export worker; whether any was."""
    subtitle = ctx.label("status.chart_subtitle", **_filter_params(flt)) if flt.active else None
    charted = [
        (n, c.campaign) for n, c in enumerate(items, 1) if any(s.total for s in c.requirements)
    ]
    if charted:
        person = ctx.person.id if ctx.person else None
        await queue_charts(ctx.session, charted, ctx.now, flt.where, subtitle, ctx.msg.key, person)
        ctx.wake_after_commit("export")
    return bool(charted)


async def _overview(ctx: Ctx, flt: _Filter, *, buttons: bool, full: bool = False) -> list[Reply]:
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
    if not flt.active:  # late units no reminder reaches, and why (never linked / blocked)
        for _, units in await unreachable_summary(ctx.session, ctx.now):
            if units:
                unreachable.append((units, await unreachable_blocked_ids(ctx.session, units)))
    charting = await _charts(ctx, items, flt)
    text = ctx.reply(
        "status.overview",
        buttons=_menu(ctx, flt, view, more=hidden) if buttons else (),
        items=items,
        now=ctx.now,
        hint=buttons,
        soon_days=SOON_DAYS,
        full=full,
        tz=_tz(campaigns),
        unreachable=unreachable,
        charting=charting,
        **_filter_params(flt),
    )
    return [text]


async def _nominations(ctx: Ctx, flt: _Filter) -> list[Reply]:
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
            tz=_tz(campaigns),
            **_filter_params(flt),
        )
    ]


def _view(ctx: Ctx) -> View:
    """The view the secretariat was looking at."""
    return View(ctx.data.get("view", View.OVERVIEW))


async def _show(ctx: Ctx, flt: _Filter, view: View) -> list[Reply]:
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
    flt = _Filter()
    parsed = parse_filter(ref) if ref else None
    if parsed is not None:
        typed = await _typed_filter(ctx, parsed)
        if isinstance(typed, _Unknown):
            if in_group:  # no follow-up step in a group: say what can be typed instead
                return [_unknown_reply(ctx, typed, listed=True)]
            # Ask for it with buttons, then show the overview with the filter.
            ctx.goto(
                State.PICK_BLOCK if typed.key == "block" else State.PICK_KIND,
                view=View.OVERVIEW.value,
            )
            _Filter(typed.block).save(ctx)
            ask = await (_ask_block if typed.key == "block" else _ask_kind)(ctx)
            return [_unknown_reply(ctx, typed, listed=False), *ask]
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
    return await _show(ctx, _Filter(), _view(ctx))


async def _pick_unit(ctx: Ctx) -> list[Reply]:
    """After the overview: drill into a unit, filter, switch view; or the chosen unit."""
    ctx.require_secretariat()
    do = ctx.pressed(Do)
    if do is not None:
        return await _follow_up(ctx, do.action)
    show = ctx.pressed(Show)
    if show is not None:
        return await _show(ctx, _Filter.load(ctx), show.view)
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
    flt = _Filter.load(ctx)
    units = [
        u
        for u in await ctx.units.list_all()
        if flt.block in (None, u.block) and flt.kind in (None, u.kind)
    ]
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
    options = await kind_options(ctx.session)
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
    flt = _Filter.load(ctx)
    if ctx.pressed(Back) is not None:
        return await _show(ctx, flt, _view(ctx))
    value = _picked(ctx)
    if value is None and ctx.text and not ctx.choice:  # typed instead of pressed
        options = await (block_options if key == "block" else kind_options)(ctx.session)
        value = (match_block if key == "block" else match_kind)(ctx.text, options)
    if value is None:
        raise UserError("pick_one")
    ctx.data.pop("options", None)
    changed: dict[str, Any] = {"block": flt.block, "kind": flt.kind, key: value}
    return await _show(ctx, _Filter(changed["block"], changed["kind"]), _view(ctx))


async def _pick_block(ctx: Ctx) -> list[Reply]:
    """Takes the block (khối/cụm) to filter by."""
    return await _pick_filter(ctx, "block")


async def _pick_kind(ctx: Ctx) -> list[Reply]:
    """Takes the unit kind to filter by."""
    return await _pick_filter(ctx, "kind")


async def _missing_lists(ctx: Ctx, flt: _Filter) -> tuple[list[MissingList], str | None]:
    """Per requirement of every active campaign, the units that owe it; most urgent first.

    Overdue requirements come first, then by due date (a stable sort keeps the checklist order
    among requirements due the same day).
    """
    campaigns = await ctx.campaigns.get_active()
    items: list[MissingList] = []
    for campaign in campaigns:
        items.extend(
            await missing_units(ctx.session, campaign, ctx.now, flt.where, limit=CHUANOP_LIMIT)
        )
    # A requirement "chưa có hạn" is owed by nobody: not listed.
    items = [m for m in items if m.stats.total and m.stats.days_left is not None]
    items.sort(key=lambda m: m.stats.days_left or 0)
    return items, _tz(campaigns)


def _late_page(items: Sequence[MissingList], page: int) -> tuple[list[MissingList], int]:
    """The requirements shown on ``page`` of /chuanop, and where the rest start.

    The first page holds what is overdue or due within :data:`SOON_DAYS` days (at least one
    requirement); each further page the next :data:`PAGE_ITEMS`.
    """
    first = sum(1 for m in items if (m.stats.days_left or 0) <= SOON_DAYS) or min(1, len(items))
    if page <= 0:
        return list(items[:first]), first
    start = first + (page - 1) * PAGE_ITEMS
    return list(items[start : start + PAGE_ITEMS]), start + PAGE_ITEMS


async def _late_reply(ctx: Ctx, flt: _Filter, page: int) -> list[Reply]:
    """One page of /chuanop; later requirements summarised in one line with "Xem thêm"."""
    items, tz = await _missing_lists(ctx, flt)
    shown, rest_from = _late_page(items, page)
    rest = items[rest_from:]
    buttons: list[Button] = []
    if rest:
        ctx.goto(State.LATE_MORE, page=page)
        flt.save(ctx)
        buttons.append(More(page=page + 1).button(ctx.label("status.btn_more")))
    else:
        ctx.end()
    return [
        ctx.reply(
            "status.late",
            buttons=buttons,
            items=shown,
            page=page,
            rest=len(rest),
            rest_from=rest[0].stats.requirement.due_date if rest else None,
            tz=tz,
            **_filter_params(flt),
        )
    ]


async def late(ctx: Ctx) -> list[Reply]:
    """Answers "ai chưa nộp?": per requirement, the units that still owe it.

    The secretariat's answer fits a phone: overdue and soon-due requirements first, the later
    ones in one line with a "Xem thêm" button that pages them.
    """
    person = ctx.require_linked()
    ref = ctx.data.get("args", "")
    ctx.end()
    if person.role is Role.SECRETARIAT:
        flt = _Filter()
        parsed = parse_filter(ref) if ref else None
        if parsed is not None:
            typed = await _typed_filter(ctx, parsed)
            if isinstance(typed, _Unknown):
                return [_unknown_reply(ctx, typed, listed=True)]
            flt = typed
        return await _late_reply(ctx, flt, 0)
    if ctx.unit is None:
        raise UserError("no_unit")
    progress, tz = await _unit_progress(ctx, ctx.unit)
    owed = [(p, p.marks[0]) for p in progress if p.marks and not p.marks[0].done]
    return [ctx.reply("status.unit_late", unit=ctx.unit, items=owed, tz=tz)]


async def _late_more(ctx: Ctx) -> list[Reply]:
    """After a page of /chuanop: the next page; anything else leaves the list."""
    ctx.require_secretariat()
    more = ctx.pressed(More)
    if more is None:
        ctx.end()
        return [ctx.reply("onboarding.unknown")]
    return await _late_reply(ctx, _Filter.load(ctx), more.page)


async def _ask_late_more(ctx: Ctx) -> list[Reply]:
    return await _late_reply(ctx, _Filter.load(ctx), int(ctx.data.get("page", 0)))


STATES: StateTable = {
    State.PICK_UNIT: StateSpec(_pick_unit, _ask_unit),
    State.PICK_BLOCK: StateSpec(_pick_block, _ask_block),
    State.PICK_KIND: StateSpec(_pick_kind, _ask_kind),
    State.LATE_MORE: StateSpec(_late_more, _ask_late_more),
}

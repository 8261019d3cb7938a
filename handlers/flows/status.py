"""/tinhhinh (status) and /chuanop (who has not submitted).

The secretariat's overview comes from :mod:`handlers.queries.stats` (aggregate SQL) with a chart
from :mod:`handlers.io.chart`; a unit's checklist (its own, or the one the secretariat drills into)
from :mod:`handlers.queries.progress`.

After the overview, the secretariat may drill into a unit, filter by block (khối/cụm) or by
unit kind, see the nomination figures, or clear the filter; ``/tinhhinh khoi:… loai:…`` and
``/chuanop khoi:… loai:…`` filter at once. In a group the overview comes without buttons: anyone
in the group could press them.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.domain.progress import RequirementProgress
from handlers.domain.vocab import UNIT_KINDS, unit_kind_from_text
from handlers.io.chart import progress_chart
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from handlers.kernel.messages import Button, OutgoingFile, Reply
from handlers.kernel.states import StateSpec, StateTable
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import (
    CampaignStatus,
    FilterOption,
    UnitFilter,
    block_options,
    campaign_status,
    kind_options,
    missing_units,
    nomination_stats,
)
from storage.models import Role, Unit
from storage.text import fold_text

__all__ = ["CHUANOP_LIMIT", "STATES", "late", "parse_filter", "status"]


class State(StrEnum):
    """The steps of this flow."""

    PICK_UNIT = "status.pick_unit"
    PICK_BLOCK = "status.pick_block"
    PICK_KIND = "status.pick_kind"


#: At most this many units per requirement in /chuanop (the rest are counted).
CHUANOP_LIMIT = 40
#: Overdue units named per requirement in the overview, and newest items shown.
OVERDUE_NAMED = 3
RECENT_SHOWN = 5

_OVERVIEW, _NOMINATIONS = "overview", "noms"

_BUTTON_UNITS = Button("🔎 Xem một đơn vị", "units")
_BUTTON_BLOCK = Button("🏢 Lọc theo khối/cụm", "f:block")
_BUTTON_KIND = Button("🏷 Lọc theo loại đơn vị", "f:kind")
_BUTTON_NOMS = Button("🏅 Số liệu đề cử", "v:noms")
_BUTTON_OVERVIEW = Button("📊 Tình hình nộp", "v:overview")
_BUTTON_CLEAR = Button("✖️ Bỏ lọc", "f:clear")
_BUTTON_BACK = Button("↩️ Quay lại", "back")

# "khoi:…", "khối:…", "cum:…", "cụm:…", "loai:…", "loại:…" in the arguments of a command.
_FILTER_KEY = re.compile(r"(kh[oố]i|c[uụ]m|lo[aạ]i)\s*:", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


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


def parse_filter(args: str) -> dict[str, str] | None:
    """Read ``khoi:VALUE`` / ``loai:VALUE`` from a command's arguments.

    Keys may carry diacritics ("khối", "cụm", "loại") and any case; ``cum`` is ``khoi``.

    Returns:
        {"block": text, "kind": text} (either may be missing), or None when ``args`` holds no
        filter key (it then names a unit).
    """
    found = list(_FILTER_KEY.finditer(args))
    if not found or args[: found[0].start()].strip():
        return None
    parsed: dict[str, str] = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(args)
        key = "kind" if fold_text(match.group(1)) == "loai" else "block"
        parsed[key] = args[match.end() : end].strip()
    return parsed


def _match_block(text: str, options: Sequence[FilterOption]) -> str | None:
    """The one block ``text`` names (folded: exact, else the only one containing it)."""
    wanted = fold_text(text)
    if not wanted:
        return None
    exact = [o.value for o in options if fold_text(o.value) == wanted]
    if exact:
        return exact[0]
    partial = [o.value for o in options if wanted in fold_text(o.value)]
    return partial[0] if len(partial) == 1 else None


def _match_kind(text: str, options: Sequence[FilterOption]) -> str | None:
    """The unit kind ``text`` names, if units of that kind exist."""
    present = {o.value for o in options}
    code = unit_kind_from_text(text)
    if code in present:
        return code
    wanted = fold_text(text)
    partial = [o.value for o in options if wanted and wanted in fold_text(o.label)]
    return partial[0] if len(partial) == 1 else None


def _filter_label(ctx: Ctx, flt: _Filter) -> str:
    return ctx.t(
        "status.filter_label", block=flt.block, kind=UNIT_KINDS.get(flt.kind or "", flt.kind)
    )


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
        block = _match_block(parsed["block"], options)
        if block is None:
            return _Unknown("block", parsed["block"], tuple(options))
    if "kind" in parsed:
        options = await kind_options(ctx.session)
        kind = _match_kind(parsed["kind"], options)
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


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


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


def _menu(flt: _Filter, view: str) -> list[Button]:
    buttons = [_BUTTON_UNITS, _BUTTON_BLOCK, _BUTTON_KIND]
    buttons.append(_BUTTON_NOMS if view == _OVERVIEW else _BUTTON_OVERVIEW)
    if flt.active:
        buttons.append(_BUTTON_CLEAR)
    return buttons


async def _charts(items: Sequence[CampaignStatus], subtitle: str | None) -> list[Reply]:
    """One chart per campaign (usually one), drawn off the event loop."""
    replies = []
    for index, item in enumerate(items, 1):
        if not any(s.total for s in item.requirements):
            continue
        png = await asyncio.to_thread(progress_chart, item.requirements, subtitle=subtitle)
        name = "tinh-hinh.png" if index == 1 else f"tinh-hinh-{index}.png"
        replies.append(Reply(text="", file=OutgoingFile(name, "image/png", png)))
    return replies


async def _overview(ctx: Ctx, flt: _Filter, *, buttons: bool) -> list[Reply]:
    """The chart, then the overview text (with the follow-up buttons when ``buttons``)."""
    campaigns = await ctx.campaigns.get_active()
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
    label = _filter_label(ctx, flt) if flt.active else ""
    text = ctx.reply(
        "status.overview",
        buttons=_menu(flt, _OVERVIEW) if buttons else (),
        items=items,
        now=ctx.now,
        filter_label=label,
        hint=buttons,
    )
    subtitle = "Đang lọc: " + html.unescape(label) if label else None  # the chart is no HTML
    return [*await _charts(items, subtitle), text]


async def _nominations(ctx: Ctx, flt: _Filter) -> list[Reply]:
    """The nomination figures of every active campaign, with the follow-up buttons."""
    campaigns = await ctx.campaigns.get_active()
    if not campaigns:
        ctx.end()
        return [ctx.reply("status.no_campaign")]
    items = [await nomination_stats(ctx.session, c, flt.where) for c in campaigns]
    label = _filter_label(ctx, flt) if flt.active else ""
    return [
        ctx.reply(
            "status.nominations",
            buttons=_menu(flt, _NOMINATIONS),
            items=items,
            now=ctx.now,
            filter_label=label,
        )
    ]


async def _show(ctx: Ctx, flt: _Filter, view: str) -> list[Reply]:
    """Show ``view`` with ``flt`` and wait for a follow-up press."""
    ctx.goto(State.PICK_UNIT, view=view)
    flt.save(ctx)
    if view == _NOMINATIONS:
        return await _nominations(ctx, flt)
    return await _overview(ctx, flt, buttons=True)


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------


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
            ctx.goto(State.PICK_BLOCK if typed.key == "block" else State.PICK_KIND, view=_OVERVIEW)
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
    return await _show(ctx, flt, _OVERVIEW)


async def _pick_unit(ctx: Ctx) -> list[Reply]:
    """After the overview: drill into a unit, filter, switch view; or the chosen unit."""
    ctx.require_secretariat()
    flt = _Filter.load(ctx)
    view = ctx.data.get("view", _OVERVIEW)
    if ctx.choice == "units":
        return await _ask_unit(ctx)
    if ctx.choice == "f:block":
        ctx.goto(State.PICK_BLOCK)
        return await _ask_block(ctx)
    if ctx.choice == "f:kind":
        ctx.goto(State.PICK_KIND)
        return await _ask_kind(ctx)
    if ctx.choice == "f:clear":
        return await _show(ctx, _Filter(), view)
    if ctx.choice in ("v:noms", "v:overview"):
        return await _show(ctx, flt, ctx.choice[2:])
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
    flt = _Filter.load(ctx)
    units = [
        u
        for u in await ctx.units.list_all()
        if flt.block in (None, u.block) and flt.kind in (None, u.kind)
    ]
    return [ctx.reply("status.ask_unit", buttons=[Button(u.name, f"u:{u.id}") for u in units])]


def _option_buttons(ctx: Ctx, options: Sequence[FilterOption], prefix: str) -> list[Button]:
    return [
        Button(ctx.t("status.option_label", name=o.label, count=o.units), f"{prefix}{i}")
        for i, o in enumerate(options)
    ]


async def _ask_block(ctx: Ctx) -> list[Reply]:
    options = await block_options(ctx.session)
    ctx.data["options"] = [o.value for o in options]
    buttons = [*_option_buttons(ctx, options, "b:"), _BUTTON_BACK]
    return [ctx.reply("status.ask_block", buttons=buttons, empty=not options)]


async def _ask_kind(ctx: Ctx) -> list[Reply]:
    options = await kind_options(ctx.session)
    ctx.data["options"] = [o.value for o in options]
    return [
        ctx.reply("status.ask_kind", buttons=[*_option_buttons(ctx, options, "k:"), _BUTTON_BACK])
    ]


def _picked(ctx: Ctx, prefix: str) -> str | None:
    """The option a ``b:N`` / ``k:N`` press picked, from those offered."""
    options: list[str] = ctx.data.get("options", [])
    if ctx.choice and ctx.choice.startswith(prefix) and ctx.choice[len(prefix) :].isdigit():
        index = int(ctx.choice[len(prefix) :])
        if index < len(options):
            return options[index]
    return None


async def _pick_filter(ctx: Ctx, key: str, prefix: str) -> list[Reply]:
    ctx.require_secretariat()
    flt = _Filter.load(ctx)
    view = ctx.data.get("view", _OVERVIEW)
    if ctx.choice == "back":
        return await _show(ctx, flt, view)
    value = _picked(ctx, prefix)
    if value is None and ctx.text and not ctx.choice:  # typed instead of pressed
        options = await (block_options if key == "block" else kind_options)(ctx.session)
        value = (_match_block if key == "block" else _match_kind)(ctx.text, options)
    if value is None:
        raise UserError("pick_one")
    ctx.data.pop("options", None)
    changed: dict[str, Any] = {"block": flt.block, "kind": flt.kind, key: value}
    return await _show(ctx, _Filter(changed["block"], changed["kind"]), view)


async def _pick_block(ctx: Ctx) -> list[Reply]:
    """Takes the block (khối/cụm) to filter by."""
    return await _pick_filter(ctx, "block", "b:")


async def _pick_kind(ctx: Ctx) -> list[Reply]:
    """Takes the unit kind to filter by."""
    return await _pick_filter(ctx, "kind", "k:")


async def late(ctx: Ctx) -> list[Reply]:
    """Answers "ai chưa nộp?": per requirement, the units that still owe it."""
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
        items = []
        for campaign in await ctx.campaigns.get_active():
            items.extend(
                await missing_units(ctx.session, campaign, ctx.now, flt.where, limit=CHUANOP_LIMIT)
            )
        label = _filter_label(ctx, flt) if flt.active else ""
        return [
            ctx.reply("status.late", items=[m for m in items if m.stats.total], filter_label=label)
        ]
    if ctx.unit is None:
        raise UserError("no_unit")
    progress = await _progress(ctx, ctx.unit)
    owed = [(p, p.marks[0]) for p in progress if p.marks and not p.marks[0].done]
    return [ctx.reply("status.unit_late", unit=ctx.unit, items=owed)]


STATES: StateTable = {
    State.PICK_UNIT: StateSpec(_pick_unit, _ask_unit),
    State.PICK_BLOCK: StateSpec(_pick_block, _ask_block),
    State.PICK_KIND: StateSpec(_pick_kind, _ask_kind),
}

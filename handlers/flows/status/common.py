"""What /tinhhinh and /chuanop share.

The secretariat's filter (a block, a unit kind of the deployment's vocabulary), typed after the
command or kept in the conversation, and a unit's progress over the active campaigns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.domain.progress import RequirementProgress
from handlers.domain.unit_filter import match_block, match_kind
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply
from handlers.queries.progress import campaign_progress
from handlers.queries.stats import FilterOption, UnitFilter, block_options, kind_options
from storage.models import Campaign, Unit

__all__ = [
    "SOON_DAYS",
    "Filter",
    "Unknown",
    "filter_params",
    "match_typed",
    "typed_filter",
    "tz_of",
    "unit_progress",
    "unknown_reply",
]

#: Requirements due within this many days are shown in full; later ones in one line.
SOON_DAYS = 7


@dataclass(frozen=True, slots=True)
class Filter:
    """The secretariat's current filter, as kept in the conversation data."""

    block: str | None = None
    kind: str | None = None

    @classmethod
    def load(cls, ctx: Ctx) -> Filter:
        """The filter kept in the conversation (none when nothing is kept)."""
        raw = ctx.data.get("filter") or {}
        return cls(raw.get("block"), raw.get("kind"))

    def save(self, ctx: Ctx) -> None:
        """Keep the filter in the conversation for the next step."""
        ctx.data["filter"] = {"block": self.block, "kind": self.kind}

    @property
    def where(self) -> UnitFilter:
        """The filter as the queries take it."""
        return UnitFilter(block=self.block, kind=self.kind)

    @property
    def active(self) -> bool:
        """Whether a block or a kind is set."""
        return self.block is not None or self.kind is not None


def filter_params(ctx: Ctx, flt: Filter) -> dict[str, Any]:
    """The filter as the templates show it (``block``, ``kind``: the deployment's label)."""
    return {"block": flt.block, "kind": ctx.deps.unit_kinds.label(flt.kind) if flt.kind else None}


@dataclass(frozen=True, slots=True)
class Unknown:
    """A typed filter value that names no block or kind: what it was and what exists."""

    key: str
    text: str
    options: tuple[FilterOption, ...]
    block: str | None = None  # a block that was understood, when the kind was not


async def match_typed(ctx: Ctx, key: str, text: str) -> str | None:
    """What ``text`` names among the blocks or unit kinds (``key``) that some unit has."""
    if key == "block":
        return match_block(text, await block_options(ctx.session))
    kinds = ctx.deps.unit_kinds
    return match_kind(text, await kind_options(ctx.session, kinds), kinds)


async def typed_filter(ctx: Ctx, parsed: dict[str, str]) -> Filter | Unknown:
    """The filter typed after a command, or what it failed to name."""
    block = kind = None
    if "block" in parsed:
        options = await block_options(ctx.session)
        block = match_block(parsed["block"], options)
        if block is None:
            return Unknown("block", parsed["block"], tuple(options))
    if "kind" in parsed:
        options = await kind_options(ctx.session, ctx.deps.unit_kinds)
        kind = match_kind(parsed["kind"], options, ctx.deps.unit_kinds)
        if kind is None:
            return Unknown("kind", parsed["kind"], tuple(options), block)
    return Filter(block, kind)


def unknown_reply(ctx: Ctx, unknown: Unknown, *, listed: bool) -> Reply:
    """Says which typed value was not understood; lists the values when no buttons follow."""
    return ctx.reply(
        "status.filter_unknown",
        key=unknown.key,
        text=unknown.text,
        options=[o.label for o in unknown.options] if listed else [],
    )


def tz_of(campaigns: Sequence[Campaign]) -> str | None:
    """The zone the texts show times in: the (first) active campaign's."""
    return campaigns[0].timezone if campaigns else None


async def unit_progress(
    ctx: Ctx, unit: Unit, campaigns: Sequence[Campaign] | None = None
) -> tuple[list[RequirementProgress], str | None]:
    """One unit's progress over the active campaigns, and the zone to show its times in.

    ``campaigns``: the active campaigns, when the caller has read them already.
    """
    campaigns = await ctx.campaigns.get_reported() if campaigns is None else campaigns
    progress = [await campaign_progress(ctx.session, c, ctx.now, [unit]) for c in campaigns]
    return [p for ps in progress for p in ps], tz_of(campaigns)

"""/chuanop: "ai chưa nộp?" -- per requirement, the units that still owe it.

The secretariat's answer fits a phone: overdue and soon-due requirements first, the later ones
in one line with a "Xem thêm" button that pages them (``/chuanop khoi:… loai:…`` filters at
once). A unit head gets what the unit itself still owes.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.domain.unit_filter import parse_filter
from handlers.flows.status.common import (
    SOON_DAYS,
    Filter,
    Unknown,
    filter_params,
    typed_filter,
    tz_of,
    unit_progress,
    unknown_reply,
)
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.queries.stats import MissingList, missing_units
from storage.models import Role

__all__ = ["CHUANOP_LIMIT", "STATES", "More", "State", "late"]


class State(StrEnum):
    """The steps of this flow (the values /chuanop had in :mod:`handlers.flows.status`)."""

    LATE_MORE = "status.late_more"


#: At most this many units per requirement in /chuanop (the rest are counted).
CHUANOP_LIMIT = 10
#: After the first page, /chuanop shows this many more requirements per "Xem thêm".
PAGE_ITEMS = 1


class More(CallbackData, prefix="status.more"):
    """The next page of /chuanop."""

    page: int


async def _missing_lists(ctx: Ctx, flt: Filter) -> tuple[list[MissingList], str | None]:
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
    return items, tz_of(campaigns)


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


async def _late_reply(ctx: Ctx, flt: Filter, page: int) -> list[Reply]:
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
            **filter_params(ctx, flt),
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
        flt = Filter()
        parsed = parse_filter(ref) if ref else None
        if parsed is not None:
            typed = await typed_filter(ctx, parsed)
            if isinstance(typed, Unknown):
                return [unknown_reply(ctx, typed, listed=True)]
            flt = typed
        return await _late_reply(ctx, flt, 0)
    if ctx.unit is None:
        raise UserError("no_unit")
    progress, tz = await unit_progress(ctx, ctx.unit)
    owed = [(p, p.marks[0]) for p in progress if p.marks and not p.marks[0].done]
    return [ctx.reply("status.unit_late", unit=ctx.unit, items=owed, tz=tz)]


async def _late_more(ctx: Ctx) -> list[Reply]:
    """After a page of /chuanop: the next page; anything else leaves the list."""
    ctx.require_secretariat()
    more = ctx.pressed(More)
    if more is None:
        ctx.end()
        return [ctx.reply("onboarding.unknown")]
    return await _late_reply(ctx, Filter.load(ctx), more.page)


async def _ask_late_more(ctx: Ctx) -> list[Reply]:
    return await _late_reply(ctx, Filter.load(ctx), int(ctx.data.get("page", 0)))


STATES: StateTable = {
    State.LATE_MORE: StateSpec(_late_more, _ask_late_more),
}

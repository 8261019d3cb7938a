"""/danhsach: the unit's submissions and nominations; edit and withdraw before the deadline.

A nomination's answers are edited with the nomination wizard's fields and questions
(:data:`handlers.domain.fields.NOMINATION_FIELDS`, ``decu.ask_field``); a submission is sent again
by the ``/nop`` flow (:attr:`Entry.RESUBMIT`).
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.deadlines import effective_due
from handlers.domain.errors import UserError
from handlers.domain.fields import NOMINATION_FIELDS, field_by_key, nomination_fields
from handlers.domain.items import Item, ItemKey, ItemKind, is_withdrawn
from handlers.domain.progress import local_today
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.kernel.states import Entry
from handlers.services.items import load_item
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    Role,
    Submission,
    SubmissionStatus,
    Unit,
)

__all__ = [
    "STATES",
    "EditField",
    "ItemAct",
    "OnItem",
    "PickItem",
    "State",
    "Withdraw",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "ds.pick"
    ITEM = "ds.item"
    EDIT_FIELD = "ds.edit_field"
    EDIT_VALUE = "ds.edit_value"
    WITHDRAW = "ds.withdraw"


class PickItem(CallbackData, prefix="ds.item"):
    """A listed item chosen."""

    kind: ItemKind
    item_id: int


class ItemAct(StrEnum):
    """What can be done to the shown item."""

    EDIT = "edit"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    BACK = "back"


class OnItem(CallbackData, prefix="ds.act"):
    """An action on the shown item."""

    act: ItemAct


class EditField(CallbackData, prefix="ds.field"):
    """The nomination field to change."""

    key: str


class Withdraw(CallbackData, prefix="ds.withdraw"):
    """Withdraw the item (``confirm``) or keep it."""

    confirm: bool


def _unit(ctx: Ctx) -> Unit:
    ctx.require_linked()
    if ctx.unit is None:
        raise UserError("no_unit")
    return ctx.unit


async def _items(
    ctx: Ctx,
) -> tuple[list[tuple[Item, Requirement | None]], str | None, dict[int, str]]:
    """The unit's items with their requirements, timezone, and plans' short names.

    The short names (campaign id → code) are given only when several campaigns are active.
    """
    unit = _unit(ctx)
    campaigns = await ctx.campaigns.get_active()
    reqs = {r.id: r for c in campaigns for r in await ctx.campaigns.requirements_for(c.id)}
    subs = await ctx.submissions.current_for_unit(unit.id, list(reqs))
    noms = await ctx.nominations.for_unit(unit.id, [c.id for c in campaigns])
    items: list[tuple[Item, Requirement | None]] = [
        (s, reqs[s.requirement_id]) for s in subs if s.status is not SubmissionStatus.WITHDRAWN
    ]
    items.extend((n, reqs.get(n.requirement_id or 0)) for n in noms)
    plans = {c.id: c.title for c in campaigns} if len(campaigns) > 1 else {}
    return items, campaigns[0].timezone if campaigns else None, plans


def _pick_button(ctx: Ctx, item: Item, req: Requirement | None, plans: dict[int, str]) -> Button:
    key = ItemKey.of(item)
    label = ctx.label("danhsach.item_label", it=item, req=req, plans=plans)
    return PickItem(kind=key.kind, item_id=key.id).button(label)


async def begin(ctx: Ctx) -> list[Reply]:
    """Lists what the unit has sent; a unit head can pick an item to edit or withdraw."""
    ctx.end()
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    unit = _unit(ctx)
    items, tz, plans = await _items(ctx)
    can_act = ctx.person is not None and ctx.person.role is Role.UNIT_HEAD
    if not items or not can_act:
        ctx.end()
    buttons = [_pick_button(ctx, it, req, plans) for it, req in items] if can_act else []
    return [
        ctx.reply(
            "danhsach.list",
            buttons=buttons,
            unit=unit,
            items=items,
            can_act=can_act,
            plans=plans,
            tz=tz,
        )
    ]


async def _load_item(ctx: Ctx) -> tuple[Item, Requirement | None, Campaign]:
    """The item of the conversation with its requirement and campaign, if the unit's own."""
    _, unit = ctx.require_unit_head()
    item = await load_item(ctx.session, ItemKey.parse(ctx.data.get("item")))
    if item is None:
        raise UserError("item_gone")
    if item.unit_id != unit.id:
        raise UserError("not_your_unit")
    if is_withdrawn(item):
        raise UserError("item_gone")
    req = await ctx.campaigns.requirement(item.requirement_id) if item.requirement_id else None
    campaign_id = item.campaign_id if isinstance(item, Nomination) else req and req.campaign_id
    campaign = await ctx.campaigns.get(campaign_id) if campaign_id else None
    if campaign is None:
        raise UserError("item_gone")
    return item, req, campaign


def _editable(ctx: Ctx, item: Item, req: Requirement | None, campaign: Campaign) -> None:
    """Refuse changes to accepted items and after the deadline."""
    if item.status in (SubmissionStatus.ACCEPTED, NominationStatus.ACCEPTED):
        raise UserError("item_locked")
    due = effective_due(req, item.unit_id) if req is not None else None
    if req is not None and due is not None and local_today(ctx.now, campaign.timezone) > due:
        raise UserError("deadline_passed", title=req.title, due=due)


async def _pick(ctx: Ctx) -> list[Reply]:
    """Shows the chosen item with what can be done to it."""
    picked = ctx.expect(PickItem)
    ctx.data["item"] = ItemKey(picked.kind, picked.item_id).pack()
    await _load_item(ctx)
    ctx.goto(State.ITEM)
    return await _show_item(ctx)


async def _show_item(ctx: Ctx) -> list[Reply]:
    item, req, campaign = await _load_item(ctx)
    try:
        _editable(ctx, item, req, campaign)
        open_ = True
    except UserError:
        open_ = False
    buttons: list[Button] = []
    if open_ and isinstance(item, Nomination):
        buttons.append(OnItem(act=ItemAct.EDIT).button(ctx.label("buttons.edit")))
    if isinstance(item, Submission) and item.status is not SubmissionStatus.ACCEPTED:
        buttons.append(OnItem(act=ItemAct.RESUBMIT).button(ctx.label("danhsach.resubmit_label")))
    if open_:
        buttons.append(OnItem(act=ItemAct.WITHDRAW).button(ctx.label("buttons.withdraw")))
    buttons.append(OnItem(act=ItemAct.BACK).button(ctx.label("danhsach.back_label")))
    history = (
        await ctx.submissions.history(item.unit_id, item.requirement_id, item.part)
        if isinstance(item, Submission)
        else []
    )
    return [
        ctx.reply(
            "danhsach.item",
            buttons=buttons,
            it=item,
            req=req,
            open=open_,
            history=history,
            is_nomination=isinstance(item, Nomination),
            tz=campaign.timezone,
        )
    ]


async def _item(ctx: Ctx) -> list[Reply]:
    """Acts on the shown item: edit, resubmit, withdraw or back."""
    item, req, campaign = await _load_item(ctx)
    act = ctx.expect(OnItem).act
    if act is ItemAct.BACK:
        ctx.goto(State.PICK)
        return await _ask_pick(ctx)
    if act is ItemAct.RESUBMIT and isinstance(item, Submission):
        return await ctx.enter(Entry.RESUBMIT, req=item.requirement_id, part=item.part)
    if act is ItemAct.WITHDRAW:
        _editable(ctx, item, req, campaign)
        ctx.goto(State.WITHDRAW)
        return await _ask_withdraw(ctx)
    if act is ItemAct.EDIT and isinstance(item, Nomination):
        _editable(ctx, item, req, campaign)
        ctx.goto(State.EDIT_FIELD, subject=item.subject.value, campaign=item.campaign_id)
        return await _ask_edit_field(ctx)
    raise UserError("pick_one")


async def _ask_edit_field(ctx: Ctx) -> list[Reply]:
    buttons = [
        EditField(key=f.key).button(ctx.label("fields.label", name=f.label))
        for f in nomination_fields(ctx.data["subject"])
    ]
    return [ctx.reply("danhsach.ask_edit_field", buttons=buttons)]


def _current(item: Nomination, key: str) -> str | int | None:
    """The nomination's value of field ``key``, as its question shows it."""
    values: dict[str, str | int | None] = {
        "name": item.full_name,
        "gender": item.gender,
        "birth_year": item.birth_year,
        "position": item.position,
        "award": item.award_name,
        "summary": item.summary,
    }
    return values[key]


async def _edit_field(ctx: Ctx) -> list[Reply]:
    """Stores which field to change and asks for its new value."""
    item, _, _ = await _load_item(ctx)
    key = ctx.expect(EditField).key
    if key not in {f.key for f in nomination_fields(ctx.data["subject"])}:
        raise UserError("pick_one")
    if not isinstance(item, Nomination):
        raise UserError("pick_one")
    ctx.goto(State.EDIT_VALUE, field=key, current=_current(item, key))
    return await _ask_edit_value(ctx)


async def _ask_edit_value(ctx: Ctx) -> list[Reply]:
    field = field_by_key(NOMINATION_FIELDS, ctx.data["field"])
    facts = await inputs.facts(ctx, ctx.data["campaign"], ctx.data["subject"])
    current = ctx.data.get("current")
    reply = inputs.ask_field(
        ctx, "decu.ask_field", field, facts, subject=ctx.data["subject"], current=current
    )
    return [reply]


async def _edit_value(ctx: Ctx) -> list[Reply]:
    """Saves the new value (the nomination's revision goes up)."""
    item, req, campaign = await _load_item(ctx)
    assert isinstance(item, Nomination)
    _editable(ctx, item, req, campaign)
    field = field_by_key(NOMINATION_FIELDS, ctx.data["field"])
    facts = await inputs.facts(ctx, item.campaign_id, item.subject.value)
    value = inputs.read_field(ctx, field, facts)
    old = _current(item, field.key)
    if field.key == "name":
        item.full_name = value
    elif field.key == "award":
        item.award_code = value
        item.award_name = facts.awards[value]
    else:
        setattr(item, field.key, value)
    item.revision += 1
    item.updated_at = ctx.now
    if item.status is NominationStatus.RETURNED:  # corrected: back to the review queue
        item.status = NominationStatus.SUBMITTED
    ctx.audit("nomination.edit", "nomination", item.id, field=field.key, old=old, new=value)
    ctx.end()
    current = _current(item, field.key)
    return [ctx.reply("danhsach.edited", it=item, field=field, value=current)]


async def _ask_withdraw(ctx: Ctx) -> list[Reply]:
    item, req, _ = await _load_item(ctx)
    buttons = (
        Withdraw(confirm=True).button(ctx.label("buttons.withdraw_confirm")),
        Withdraw(confirm=False).button(ctx.label("buttons.withdraw_keep")),
    )
    return [ctx.reply("danhsach.ask_withdraw", buttons=buttons, it=item, req=req)]


async def _withdraw(ctx: Ctx) -> list[Reply]:
    """Withdraws the item (kept in history, no longer counted)."""
    item, req, campaign = await _load_item(ctx)
    if not ctx.expect(Withdraw).confirm:
        ctx.goto(State.ITEM)
        return await _show_item(ctx)
    _editable(ctx, item, req, campaign)
    if isinstance(item, Nomination):
        item.status = NominationStatus.WITHDRAWN
        item.updated_at = ctx.now
        ctx.audit("nomination.withdraw", "nomination", item.id)
    else:
        item.status = SubmissionStatus.WITHDRAWN
        ctx.audit("submission.withdraw", "submission", item.id)
    ctx.end()
    return [ctx.reply("danhsach.withdrawn", it=item, req=req)]


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.ITEM: StateSpec(_item, _show_item),
    State.EDIT_FIELD: StateSpec(_edit_field, _ask_edit_field),
    State.EDIT_VALUE: StateSpec(_edit_value, _ask_edit_value),
    State.WITHDRAW: StateSpec(_withdraw, _ask_withdraw),
}

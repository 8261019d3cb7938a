"""/danhsach: the unit's submissions and nominations; edit and withdraw before the deadline."""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.progress import local_today
from handlers.flows import nominate
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from handlers.kernel.messages import Button, Reply
from handlers.kernel.states import Entry, StateSpec, StateTable
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

__all__ = ["STATES", "begin"]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "ds.pick"
    ITEM = "ds.item"
    EDIT_FIELD = "ds.edit_field"
    EDIT_VALUE = "ds.edit_value"
    WITHDRAW = "ds.withdraw"


Item = Submission | Nomination


def _unit(ctx: Ctx) -> Unit:
    ctx.require_linked()
    if ctx.unit is None:
        raise UserError("no_unit")
    return ctx.unit


async def _items(ctx: Ctx) -> list[tuple[Item, Requirement | None]]:
    unit = _unit(ctx)
    campaigns = await ctx.campaigns.get_active()
    reqs = {r.id: r for c in campaigns for r in await ctx.campaigns.requirements_for(c.id)}
    subs = await ctx.submissions.current_for_unit(unit.id, list(reqs))
    noms = await ctx.nominations.for_unit(unit.id, [c.id for c in campaigns])
    items: list[tuple[Item, Requirement | None]] = [
        (s, reqs[s.requirement_id]) for s in subs if s.status is not SubmissionStatus.WITHDRAWN
    ]
    items.extend((n, reqs.get(n.requirement_id or 0)) for n in noms)
    return items


def _key(item: Item) -> str:
    return f"{'s' if isinstance(item, Submission) else 'n'}:{item.id}"


async def begin(ctx: Ctx) -> list[Reply]:
    """Lists what the unit has sent; a unit head can pick an item to edit or withdraw."""
    ctx.end()
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    unit = _unit(ctx)
    items = await _items(ctx)
    can_act = ctx.person is not None and ctx.person.role is Role.UNIT_HEAD
    if not items or not can_act:
        ctx.end()
    buttons = [Button(ctx.t("danhsach.item_label", it=it, req=req), _key(it)) for it, req in items]
    return [
        ctx.reply(
            "danhsach.list",
            buttons=buttons if can_act else (),
            unit=unit,
            items=items,
            can_act=can_act,
        )
    ]


async def _load_item(ctx: Ctx, key: str) -> tuple[Item, Requirement | None]:
    """Return the item behind ``key`` if it belongs to the acting unit."""
    _, unit = ctx.require_unit_head()
    kind, _, raw = key.partition(":")
    item: Item | None = None
    if raw.isdigit():
        if kind == "s":
            item = await ctx.submissions.get(int(raw))
        elif kind == "n":
            item = await ctx.nominations.get(int(raw))
    if item is None:
        raise UserError("item_gone")
    if item.unit_id != unit.id:
        raise UserError("not_your_unit")
    if item.status in (SubmissionStatus.WITHDRAWN, NominationStatus.WITHDRAWN):
        raise UserError("item_gone")
    req_id = item.requirement_id
    req = await ctx.session.get(Requirement, req_id) if req_id is not None else None
    return item, req


async def _editable(ctx: Ctx, item: Item, req: Requirement | None) -> None:
    """Refuse changes to accepted items and after the deadline."""
    if item.status in (SubmissionStatus.ACCEPTED, NominationStatus.ACCEPTED):
        raise UserError("item_locked")
    if req is not None:
        campaign = await ctx.session.get_one(Campaign, req.campaign_id)
        if local_today(ctx.now, campaign.timezone) > req.due_date:
            raise UserError("deadline_passed", title=req.title, due=req.due_date)


async def _pick(ctx: Ctx) -> list[Reply]:
    """Shows the chosen item with what can be done to it."""
    if not ctx.choice:
        raise UserError("pick_one")
    await _load_item(ctx, ctx.choice)
    ctx.goto(State.ITEM, item=ctx.choice)
    return await _show_item(ctx)


async def _show_item(ctx: Ctx) -> list[Reply]:
    item, req = await _load_item(ctx, ctx.data["item"])
    try:
        await _editable(ctx, item, req)
        open_ = True
    except UserError:
        open_ = False
    buttons: list[Button] = []
    if open_ and isinstance(item, Nomination):
        buttons.append(Button("✏️ Sửa", "edit"))
    if isinstance(item, Submission) and item.status is not SubmissionStatus.ACCEPTED:
        buttons.append(Button("🔁 Nộp bản mới", "resubmit"))
    if open_:
        buttons.append(Button("🗑 Rút", "withdraw"))
    buttons.append(Button("⬅️ Quay lại danh sách", "back"))
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
        )
    ]


async def _item(ctx: Ctx) -> list[Reply]:
    """Acts on the shown item: edit, resubmit, withdraw or back."""
    item, req = await _load_item(ctx, ctx.data["item"])
    if ctx.choice == "back":
        ctx.goto(State.PICK)
        return await _ask_pick(ctx)
    if ctx.choice == "resubmit" and isinstance(item, Submission):
        return await ctx.enter(Entry.RESUBMIT, req=item.requirement_id, part=item.part)
    if ctx.choice == "withdraw":
        await _editable(ctx, item, req)
        ctx.goto(State.WITHDRAW)
        return await _ask_withdraw(ctx)
    if ctx.choice == "edit" and isinstance(item, Nomination):
        await _editable(ctx, item, req)
        ctx.goto(State.EDIT_FIELD, subject=item.subject.value, campaign=item.campaign_id)
        return await _ask_edit_field(ctx)
    raise UserError("pick_one")


async def _ask_edit_field(ctx: Ctx) -> list[Reply]:
    fields = nominate.fields_for(ctx.data["subject"])
    buttons = [Button(f.label, f"f:{f.key}") for f in fields]
    return [ctx.reply("danhsach.ask_edit_field", buttons=buttons)]


def _current(item: Nomination, key: str) -> str | int | None:
    values = {
        "name": item.full_name,
        "gender": nominate.GENDERS.get(item.gender or "", None),
        "birth_year": item.birth_year,
        "position": item.position,
        "award": item.award_name,
        "summary": item.summary,
    }
    return values[key]


async def _edit_field(ctx: Ctx) -> list[Reply]:
    """Stores which field to change and asks for its new value."""
    item, _ = await _load_item(ctx, ctx.data["item"])
    keys = {f"f:{f.key}": f.key for f in nominate.fields_for(ctx.data["subject"])}
    if ctx.choice not in keys or not isinstance(item, Nomination):
        raise UserError("pick_one")
    key = keys[ctx.choice]
    ctx.goto(State.EDIT_VALUE, field=key, current=_current(item, key))
    return await nominate.ask_field(ctx, key)


async def _prompt_edit_value(ctx: Ctx) -> list[Reply]:
    return await nominate.ask_field(ctx, ctx.data["field"])


async def _edit_value(ctx: Ctx) -> list[Reply]:
    """Saves the new value (the nomination's revision goes up)."""
    item, req = await _load_item(ctx, ctx.data["item"])
    assert isinstance(item, Nomination)
    await _editable(ctx, item, req)
    key = ctx.data["field"]
    value = await nominate.FIELD_BY_KEY[key].parse(ctx)
    old = _current(item, key)
    if key == "name":
        item.full_name = value
    elif key == "award":
        forms = await ctx.campaigns.award_forms_for(item.campaign_id)
        item.award_code = value
        item.award_name = next(f.name for f in forms if f.code == value)
    else:
        setattr(item, key, value)
    item.revision += 1
    item.updated_at = ctx.now
    if item.status is NominationStatus.RETURNED:  # corrected: back to the review queue
        item.status = NominationStatus.SUBMITTED
    ctx.audit("nomination.edit", "nomination", item.id, field=key, old=old, new=value)
    ctx.end()
    label = nominate.FIELD_BY_KEY[key].label
    return [ctx.reply("danhsach.edited", it=item, label=label, value=_current(item, key))]


async def _ask_withdraw(ctx: Ctx) -> list[Reply]:
    item, req = await _load_item(ctx, ctx.data["item"])
    buttons = (Button("🗑 Xác nhận rút", "yes"), Button("⬅️ Không rút", "no"))
    return [ctx.reply("danhsach.ask_withdraw", buttons=buttons, it=item, req=req)]


async def _withdraw(ctx: Ctx) -> list[Reply]:
    """Withdraws the item (kept in history, no longer counted)."""
    item, req = await _load_item(ctx, ctx.data["item"])
    if ctx.choice == "no":
        ctx.goto(State.ITEM)
        return await _show_item(ctx)
    if ctx.choice != "yes":
        raise UserError("pick_one")
    await _editable(ctx, item, req)
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
    State.EDIT_VALUE: StateSpec(_edit_value, _prompt_edit_value),
    State.WITHDRAW: StateSpec(_withdraw, _ask_withdraw),
}

"""/daibieu: a unit's list of delegates to the upper conference (đại biểu dự Hội nghị cấp trên).

A unit head sees the unit's list with its counts and the plan's remarks
(:mod:`handlers.domain.delegate_rules`), adds a delegate with a short wizard, withdraws one, and
finishes. Adding beyond the quota (or beyond the upper conference's cap) is refused and changes
nothing. The secretariat sees every unit's counts (``/daibieu``) and any unit's list
(``/daibieu MÃ-ĐƠN-VỊ``) but cannot change them; a unit member sees the own unit's list.

Which campaigns have a delegate list
    An active campaign with a ``settings.delegates`` block, or with a ``nomination_list``
    requirement whose title mentions "đại biểu" and that applies to the unit (the Bỉm Sơn plan's
    "Danh sách đề nghị khen thưởng, đại biểu điển hình tiên tiến dự Hội nghị thị xã").

Until when the list can change
    ``settings.delegates.due`` when the campaign names one; otherwise the earliest due date of
    those requirements; with neither, as long as the campaign is active. The last day is
    included (the campaign's timezone); afterwards the list is read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from markupsafe import Markup

from handlers.domain.delegate_rules import (
    ACTIVE,
    WITHDRAWN,
    DelegateRules,
    DelegateRulesError,
    Finding,
    Level,
    add_refusal,
    check,
    parse_rules,
    summarize,
)
from handlers.domain.errors import UserError
from handlers.domain.fields import (
    DELEGATE_FIELDS,
    field_by_key,
    names_other_ethnicity,
    next_field,
)
from handlers.domain.progress import applies, local_today
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.kernel.states import Entry
from storage.models import (
    Campaign,
    Delegate,
    DelegateCategory,
    Requirement,
    RequirementKind,
    Role,
    Unit,
)
from storage.repositories.delegates import DelegateRepository
from storage.text import fold_text

__all__ = [
    "STATES",
    "BackToList",
    "Confirm",
    "Menu",
    "MenuAct",
    "OtherEthnicity",
    "PickDelegate",
    "PickRound",
    "State",
    "Withdraw",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "db.pick"
    MENU = "db.menu"
    FIELD = "db.field"
    CONFIRM = "db.confirm"
    WITHDRAW = "db.withdraw"
    WITHDRAW_CONFIRM = "db.withdraw_confirm"


class PickRound(CallbackData, prefix="db.round"):
    """The campaign whose list to open."""

    campaign_id: int


class MenuAct(StrEnum):
    """What the list's menu does."""

    ADD = "add"
    IMPORT = "import"
    WITHDRAW = "withdraw"
    DONE = "done"


class Menu(CallbackData, prefix="db.menu"):
    """A choice of the list's menu."""

    act: MenuAct


class OtherEthnicity(CallbackData, prefix="db.eth_other"):
    """Another ethnic group than the offered one: its name is typed next."""


class Confirm(CallbackData, prefix="db.confirm"):
    """Save the delegate just described (``save``) or drop them."""

    save: bool


class PickDelegate(CallbackData, prefix="db.delegate"):
    """The delegate to withdraw."""

    delegate_id: int


class BackToList(CallbackData, prefix="db.back"):
    """Back to the list without withdrawing anyone."""


class Withdraw(CallbackData, prefix="db.withdraw"):
    """Withdraw the chosen delegate (``confirm``) or keep them."""

    confirm: bool


# --------------------------------------------------------------------------- the round


@dataclass(frozen=True, slots=True)
class _Round:
    """A campaign's delegate list as it concerns one unit (or every unit)."""

    campaign: Campaign
    rules: DelegateRules
    due: dt.date | None

    def editable(self, now: dt.datetime) -> bool:
        """Whether the list can still change at ``now``."""
        return self.due is None or local_today(now, self.campaign.timezone) <= self.due

    def days_left(self, now: dt.datetime) -> int | None:
        """Days from today to the deadline (negative once it passed)."""
        if self.due is None:
            return None
        return (self.due - local_today(now, self.campaign.timezone)).days


def _is_delegate_requirement(req: Requirement) -> bool:
    return req.kind is RequirementKind.NOMINATION_LIST and "dai bieu" in fold_text(req.title)


async def _rounds(ctx: Ctx, unit: Unit | None) -> list[_Round]:
    """The active campaigns with a delegate list (for ``unit``, when given)."""
    found: list[_Round] = []
    for campaign in await ctx.campaigns.get_active():
        reqs = [
            r
            for r in await ctx.campaigns.requirements_for(campaign.id)
            if _is_delegate_requirement(r) and (unit is None or applies(r, unit))
        ]
        if not reqs and "delegates" not in (campaign.settings or {}):
            continue
        try:
            rules = parse_rules(campaign.settings, ctx.deps.unit_kinds)
        except DelegateRulesError as exc:
            detail = str(exc)
            raise UserError(
                "delegate_settings_invalid", code=campaign.code, detail=detail
            ) from None
        dues = [r.due_date for r in reqs if r.due_date is not None]
        due = rules.due or (min(dues) if dues else None)
        found.append(_Round(campaign, rules, due))
    return found


async def _round(ctx: Ctx, unit: Unit) -> _Round:
    """The round the conversation is about (``ctx.data["campaign"]``)."""
    for found in await _rounds(ctx, unit):
        if found.campaign.id == ctx.data.get("campaign"):
            return found
    raise UserError("no_delegate_round")


def _repo(ctx: Ctx) -> DelegateRepository:
    return DelegateRepository(ctx.session)


async def _delegates(ctx: Ctx, campaign_id: int, unit_id: int) -> list[Delegate]:
    return await _repo(ctx).active_for_unit(campaign_id, unit_id)


# --------------------------------------------------------------------------- who and where


def _own_unit(ctx: Ctx) -> Unit:
    ctx.require_linked()
    if ctx.unit is None:
        raise UserError("no_unit")
    return ctx.unit


def _can_edit(ctx: Ctx) -> bool:
    return ctx.person is not None and ctx.person.role is Role.UNIT_HEAD


async def _editing(ctx: Ctx) -> tuple[Unit, _Round]:
    """The acting unit head's unit and round, refusing once the deadline passed."""
    _, unit = ctx.require_unit_head()
    found = await _round(ctx, unit)
    if not found.editable(ctx.now):
        raise UserError("delegate_deadline", due=found.due)
    return unit, found


async def begin(ctx: Ctx) -> list[Reply]:
    """Shows a delegate list: the own unit's (editable for a unit head), or any for the office."""
    person = ctx.require_linked()
    ref = ctx.data.get("args", "")
    ctx.end()
    if person.role is Role.SECRETARIAT:
        if not ref:
            return await _overview(ctx)
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        rounds = await _rounds(ctx, unit)
        if not rounds:
            raise UserError("no_delegate_round")
        return [await _view(ctx, found, unit, editable=False, office=True) for found in rounds]
    unit = _own_unit(ctx)
    if ref:
        other = await ctx.units.find(ref)
        if other is None or other.id != unit.id:
            raise UserError("not_your_unit")
    rounds = await _rounds(ctx, unit)
    if not rounds:
        raise UserError("no_delegate_round")
    if not _can_edit(ctx):
        return [await _view(ctx, found, unit, editable=False) for found in rounds]
    if len(rounds) == 1:
        return await _open(ctx, rounds[0], unit)
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    rounds = await _rounds(ctx, _own_unit(ctx))
    buttons = [
        PickRound(campaign_id=r.campaign.id).button(
            ctx.label("daibieu.round_label", campaign=r.campaign)
        )
        for r in rounds
    ]
    return [ctx.reply("daibieu.ask_pick", buttons=buttons, rounds=rounds)]


async def _pick(ctx: Ctx) -> list[Reply]:
    """Opens the chosen campaign's list."""
    unit = _own_unit(ctx)
    picked = ctx.expect(PickRound)
    for found in await _rounds(ctx, unit):
        if found.campaign.id == picked.campaign_id:
            return await _open(ctx, found, unit)
    raise UserError("pick_one")


async def _open(ctx: Ctx, found: _Round, unit: Unit, first: Reply | None = None) -> list[Reply]:
    """Shows the list (after ``first``, if any).

    While the list can change it comes with the menu; after the deadline it is read-only and
    the conversation ends.
    """
    replies = [first] if first is not None else []
    if found.editable(ctx.now):
        ctx.goto(State.MENU, campaign=found.campaign.id)
        replies.append(await _view(ctx, found, unit, editable=True))
    else:
        ctx.end()
        replies.append(await _view(ctx, found, unit, editable=False))
    return replies


async def _view(
    ctx: Ctx, found: _Round, unit: Unit, *, editable: bool, office: bool = False
) -> Reply:
    """The list of one unit with its counts and remarks (and the menu when ``editable``).

    ``office``: shown to the secretariat (who cannot change it, whatever the date).
    """
    delegates = await _delegates(ctx, found.campaign.id, unit.id)
    total = await _repo(ctx).count_active(found.campaign.id)
    notes = check(found.rules, unit, delegates, campaign_total=total)
    buttons: list[Button] = []
    if editable:
        buttons.append(Menu(act=MenuAct.ADD).button(ctx.label("daibieu.add_label")))
        buttons.append(Menu(act=MenuAct.IMPORT).button(ctx.label("daibieu.import_label")))
        if delegates:
            buttons.append(Menu(act=MenuAct.WITHDRAW).button(ctx.label("daibieu.withdraw_label")))
        buttons.append(Menu(act=MenuAct.DONE).button(ctx.label("buttons.done")))
    return ctx.reply(
        "daibieu.list",
        buttons=buttons,
        unit=unit,
        campaign=found.campaign,
        due=found.due,
        days_left=found.days_left(ctx.now),
        open=found.editable(ctx.now),
        editable=editable,
        office=office,
        delegates=delegates,
        s=summarize(found.rules, unit, delegates),
        notes=notes,
    )


async def _overview(ctx: Ctx) -> list[Reply]:
    """The secretariat's view: every unit's count against its quota, per campaign."""
    rounds = await _rounds(ctx, None)
    if not rounds:
        raise UserError("no_delegate_round")
    units = await ctx.units.list_all()
    replies = []
    for found in rounds:
        by_unit = await _repo(ctx).active_by_unit(found.campaign.id)
        lines = []
        for unit in units:
            listed = by_unit.get(unit.id, [])
            levels = {f.level for f in check(found.rules, unit, listed)}
            worst = next((lv for lv in (Level.ERROR, Level.WARNING) if lv in levels), Level.INFO)
            lines.append((unit, summarize(found.rules, unit, listed), worst.value))
        replies.append(
            ctx.reply(
                "daibieu.overview",
                campaign=found.campaign,
                rules=found.rules,
                due=found.due,
                total=sum(len(v) for v in by_unit.values()),
                lines=lines,
            )
        )
    return replies


# --------------------------------------------------------------------------- the menu


async def _prompt_menu(ctx: Ctx) -> list[Reply]:
    unit = _own_unit(ctx)
    return await _open(ctx, await _round(ctx, unit), unit)


async def _menu(ctx: Ctx) -> list[Reply]:
    """Add, withdraw or finish."""
    act = ctx.expect(Menu).act
    if act is MenuAct.DONE:
        unit = _own_unit(ctx)
        found = await _round(ctx, unit)
        delegates = await _delegates(ctx, found.campaign.id, unit.id)
        ctx.end()
        s = summarize(found.rules, unit, delegates)
        return [ctx.reply("daibieu.done", unit=unit, s=s, due=found.due)]
    if act is MenuAct.IMPORT:
        _, found = await _editing(ctx)
        return await ctx.enter(Entry.BULK_DELEGATES, campaign=found.campaign.id)
    if act is MenuAct.ADD:
        unit, found = await _editing(ctx)
        delegates = await _delegates(ctx, found.campaign.id, unit.id)
        total = await _repo(ctx).count_active(found.campaign.id)
        _refuse_if_full(ctx, found.rules, unit, delegates, total)
        ctx.goto(State.FIELD, field=DELEGATE_FIELDS[0].key, values={})
        return await _ask_field(ctx)
    unit, found = await _editing(ctx)  # MenuAct.WITHDRAW
    if not await _delegates(ctx, found.campaign.id, unit.id):
        raise UserError("pick_one")
    ctx.goto(State.WITHDRAW)
    return await _ask_withdraw(ctx)


def _refuse_if_full(
    ctx: Ctx, rules: DelegateRules, unit: Unit, delegates: Sequence[Delegate], total: int
) -> None:
    refusal: Finding | None = add_refusal(rules, unit, delegates, campaign_total=total)
    if refusal is not None:
        # Rendered (and escaped) here; Markup keeps the error text from escaping it again.
        reason = Markup(ctx.t(f"delegate_findings.{refusal.key}", **refusal.params))
        raise UserError("delegate_refused", reason=reason)


# --------------------------------------------------------------------------- adding


async def _ask_field(ctx: Ctx) -> list[Reply]:
    field = field_by_key(DELEGATE_FIELDS, ctx.data["field"])
    facts = await inputs.facts(ctx, ctx.data["campaign"])
    buttons = inputs.field_buttons(ctx, field, facts)
    if field.key == "ethnicity":
        buttons.append(OtherEthnicity().button(ctx.label("daibieu.ethnicity_other_label")))
    return [ctx.reply("daibieu.ask_field", buttons=buttons, field=field)]


def _wants_other_ethnicity(ctx: Ctx) -> bool:
    """Whether the answer is "Khác" (pressed or typed): then the name is asked for."""
    if ctx.choice is not None:
        return ctx.pressed(OtherEthnicity) is not None
    return ctx.msg.file is None and names_other_ethnicity(ctx.text)


async def _field(ctx: Ctx) -> list[Reply]:
    """Stores one answer and asks for the next one (then for confirmation)."""
    key = ctx.data["field"]
    if key == "ethnicity" and _wants_other_ethnicity(ctx):
        return [ctx.reply("daibieu.ask_ethnicity_other")]
    facts = await inputs.facts(ctx, ctx.data["campaign"])
    value = inputs.read_field(ctx, field_by_key(DELEGATE_FIELDS, key), facts)
    ctx.data["values"] = {**ctx.data["values"], key: value}
    following = next_field(DELEGATE_FIELDS, key)
    if following is not None:
        ctx.goto(State.FIELD, field=following.key)
        return await _ask_field(ctx)
    ctx.goto(State.CONFIRM)
    return await _ask_confirm(ctx)


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    buttons = (
        Confirm(save=True).button(ctx.label("daibieu.save_label")),
        Confirm(save=False).button(ctx.label("buttons.cancel")),
    )
    return [ctx.reply("daibieu.ask_confirm", buttons=buttons, v=ctx.data["values"])]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Saves the delegate unless the list is full or the deadline passed."""
    if not ctx.expect(Confirm).save:
        unit = _own_unit(ctx)
        found = await _round(ctx, unit)
        ctx.data.pop("values", None)
        ctx.data.pop("field", None)
        return await _open(ctx, found, unit, ctx.reply("daibieu.not_saved"))
    person, _ = ctx.require_unit_head()
    unit, found = await _editing(ctx)
    repo = _repo(ctx)
    await repo.lock_campaign(found.campaign.id)
    delegates = await _delegates(ctx, found.campaign.id, unit.id)
    _refuse_if_full(ctx, found.rules, unit, delegates, await repo.count_active(found.campaign.id))
    values = ctx.data["values"]
    delegate = await repo.add(
        Delegate(
            campaign_id=found.campaign.id,
            unit_id=unit.id,
            full_name=values["name"],
            position=values["position"],
            category=DelegateCategory(values["category"]),
            gender=values["gender"],
            ethnicity=values["ethnicity"],
            birth_year=values["birth_year"],
            in_presidium=values["presidium"],
            status=ACTIVE,
            created_by=person.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    ctx.audit(
        "delegate.add",
        "delegate",
        delegate.id,
        unit=unit.code,
        campaign=found.campaign.code,
        **values,
    )
    ctx.data.pop("values", None)
    ctx.data.pop("field", None)
    saved = ctx.reply("daibieu.saved", d=delegate)
    return await _open(ctx, found, unit, saved)


# --------------------------------------------------------------------------- withdrawing


async def _ask_withdraw(ctx: Ctx) -> list[Reply]:
    unit = _own_unit(ctx)
    found = await _round(ctx, unit)
    delegates = await _delegates(ctx, found.campaign.id, unit.id)
    buttons = [
        PickDelegate(delegate_id=d.id).button(ctx.label("daibieu.delegate_label", index=i, d=d))
        for i, d in enumerate(delegates, 1)
    ]
    buttons.append(BackToList().button(ctx.label("buttons.back")))
    return [ctx.reply("daibieu.ask_withdraw", buttons=buttons)]


async def _load_delegate(ctx: Ctx, unit: Unit, campaign_id: int, raw: Any) -> Delegate:
    delegate = await _repo(ctx).get(raw) if isinstance(raw, int) else None
    if delegate is None or delegate.status != ACTIVE or delegate.campaign_id != campaign_id:
        raise UserError("item_gone")
    if delegate.unit_id != unit.id:
        raise UserError("not_your_unit")
    return delegate


async def _withdraw(ctx: Ctx) -> list[Reply]:
    """Asks to confirm withdrawing the chosen delegate (or goes back to the list)."""
    unit, found = await _editing(ctx)
    if ctx.pressed(BackToList) is not None:
        return await _open(ctx, found, unit)
    picked = ctx.expect(PickDelegate)
    delegate = await _load_delegate(ctx, unit, found.campaign.id, picked.delegate_id)
    ctx.goto(State.WITHDRAW_CONFIRM, delegate=delegate.id)
    return await _ask_withdraw_confirm(ctx)


async def _ask_withdraw_confirm(ctx: Ctx) -> list[Reply]:
    delegate = await _repo(ctx).get(ctx.data.get("delegate") or 0)
    buttons = (
        Withdraw(confirm=True).button(ctx.label("buttons.withdraw_confirm")),
        Withdraw(confirm=False).button(ctx.label("buttons.withdraw_keep")),
    )
    return [ctx.reply("daibieu.ask_withdraw_confirm", buttons=buttons, d=delegate)]


async def _withdraw_confirm(ctx: Ctx) -> list[Reply]:
    """Takes the delegate off the list (the row stays, marked withdrawn)."""
    unit, found = await _editing(ctx)
    if not ctx.expect(Withdraw).confirm:
        return await _open(ctx, found, unit)
    await _repo(ctx).lock_campaign(found.campaign.id)
    delegate = await _load_delegate(ctx, unit, found.campaign.id, ctx.data.get("delegate"))
    delegate.status = WITHDRAWN
    delegate.updated_at = ctx.now
    ctx.audit(
        "delegate.withdraw",
        "delegate",
        delegate.id,
        unit=unit.code,
        campaign=found.campaign.code,
        name=delegate.full_name,
    )
    ctx.data.pop("delegate", None)
    return await _open(ctx, found, unit, ctx.reply("daibieu.withdrawn", d=delegate))


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.MENU: StateSpec(_menu, _prompt_menu),
    State.FIELD: StateSpec(_field, _ask_field),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
    State.WITHDRAW: StateSpec(_withdraw, _ask_withdraw),
    State.WITHDRAW_CONFIRM: StateSpec(_withdraw_confirm, _ask_withdraw_confirm),
}

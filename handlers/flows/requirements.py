"""/kehoach → a campaign → its requirements (secretariat): gia hạn, edit, add, remove.

Entered from ``/kehoach`` (:data:`handlers.kernel.states.Entry.REQUIREMENTS`, data
``campaign_id``). Every step reads the campaign and the requirement again: when another
secretariat closed, deleted or changed them meanwhile, the conversation ends with a clear
message (``noidung.gone`` / ``campaign_read_only``) instead of acting on stale data. The rules
live in :mod:`handlers.services.requirements`.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.domain.progress import local_today
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Button, Reply
from handlers.services.requirements import (
    Edit,
    ReqField,
    add_requirement,
    apply_edit,
    check_writable,
    clean_code,
    clean_title,
    extend_deadline,
    parse_due,
    plan_edit,
    remove_requirement,
    reweigh,
)
from storage.models import Campaign, CampaignState, Requirement, RequirementKind
from storage.repositories.deadlines import DeadlineRepository

__all__ = [
    "STATES",
    "Add",
    "AllUnits",
    "Back",
    "Do",
    "Kind",
    "PickReq",
    "ReqAction",
    "State",
    "Yes",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "kehoach.req.pick"
    MENU = "kehoach.req.menu"
    EXT_DATE = "kehoach.req.ext_date"
    EXT_UNITS = "kehoach.req.ext_units"
    EXT_REASON = "kehoach.req.ext_reason"
    EXT_CONFIRM = "kehoach.req.ext_confirm"
    ADD_CODE = "kehoach.req.add_code"
    ADD_TITLE = "kehoach.req.add_title"
    ADD_KIND = "kehoach.req.add_kind"
    ADD_DUE = "kehoach.req.add_due"
    ADD_PARTS = "kehoach.req.add_parts"
    ADD_CONFIRM = "kehoach.req.add_confirm"
    EDIT_VALUE = "kehoach.req.edit_value"
    EDIT_CONFIRM = "kehoach.req.edit_confirm"
    REMOVE_CONFIRM = "kehoach.req.remove"


class ReqAction(StrEnum):
    """What to do with the chosen requirement."""

    EXTEND = "extend"
    TITLE = "title"
    WHO = "who"
    PARTS = "parts"
    ACCEPT = "accept"
    REMOVE = "remove"


class PickReq(CallbackData, prefix="kehoach.req"):
    """A requirement of the campaign."""

    req_id: int


class Do(CallbackData, prefix="kehoach.req.do"):
    """An action on the chosen requirement."""

    action: ReqAction


class AllUnits(CallbackData, prefix="kehoach.req.all"):
    """Extend everyone's deadline."""


class Yes(CallbackData, prefix="kehoach.req.yes"):
    """Yes or no to the change shown."""

    yes: bool


class Back(CallbackData, prefix="kehoach.req.back"):
    """Back to the list of requirements."""


class Add(CallbackData, prefix="kehoach.req.add"):
    """Add a requirement to the campaign."""


class Kind(CallbackData, prefix="kehoach.req.kind"):
    """The kind of the requirement being added."""

    kind: RequirementKind


async def _campaign(ctx: Ctx) -> Campaign | None:
    return await ctx.campaigns.get(int(ctx.data.get("campaign_id", 0)))


async def _req(ctx: Ctx) -> tuple[Campaign, Requirement] | None:
    """The campaign and requirement chosen so far, read again; None when gone."""
    campaign = await _campaign(ctx)
    req = await ctx.campaigns.requirement(int(ctx.data.get("req_id", 0)))
    if campaign is None or req is None or req.campaign_id != campaign.id:
        return None
    return campaign, req


def _declined(ctx: Ctx) -> list[Reply] | None:
    """The answer to "no" at a confirmation (the step ends); None on "yes"."""
    if ctx.expect(Yes).yes:
        return None
    ctx.end()
    return [ctx.reply("noidung.cancelled")]


def _gone(ctx: Ctx) -> list[Reply]:
    ctx.end()
    return [ctx.reply("noidung.gone")]


async def begin(ctx: Ctx) -> list[Reply]:
    """The campaign's requirements, one to act on (entered from /kehoach)."""
    ctx.require_secretariat()
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    campaign = await _campaign(ctx)
    if campaign is None:
        return _gone(ctx)
    reqs = await ctx.campaigns.requirements_for(campaign.id)
    buttons = [PickReq(req_id=r.id).button(ctx.label("noidung.req_label", req=r)) for r in reqs]
    writable = campaign.state in (CampaignState.DRAFT, CampaignState.ACTIVE)
    if writable:
        buttons.append(Add().button(ctx.label("noidung.add_label")))
    buttons.append(Back().button(ctx.label("kehoach.back_label")))
    return [
        ctx.reply(
            "noidung.overview", buttons=buttons, campaign=campaign, reqs=reqs, writable=writable
        )
    ]


async def _pick(ctx: Ctx) -> list[Reply]:
    """Takes the requirement (or leaves)."""
    ctx.require_secretariat()
    if ctx.pressed(Back) is not None:
        ctx.end()
        return [ctx.reply("kehoach.cancelled")]
    if ctx.pressed(Add) is not None:
        campaign = await _campaign(ctx)
        if campaign is None:
            return _gone(ctx)
        check_writable(campaign)
        ctx.goto(State.ADD_CODE)
        return await _ask_add(ctx)
    ctx.goto(State.MENU, req_id=ctx.expect(PickReq).req_id)
    return await _ask_menu(ctx)


def _actions(campaign: Campaign, req: Requirement) -> list[ReqAction]:
    if campaign.state not in (CampaignState.DRAFT, CampaignState.ACTIVE):
        return []
    # A yearly rule has no deadline of its own: each year's occurrence is extended instead.
    actions = [] if req.recurrence else [ReqAction.EXTEND]
    actions += [ReqAction.TITLE, ReqAction.WHO]
    if req.kind is RequirementKind.DOSSIER:
        actions.append(ReqAction.PARTS)
    return [*actions, ReqAction.ACCEPT, ReqAction.REMOVE]


async def _ask_menu(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    history = await DeadlineRepository(ctx.session).history(req.id)
    names = await ctx.units.names(h.unit_id for h in history if h.unit_id is not None)
    actions = _actions(campaign, req)
    buttons = [
        Do(action=a).button(ctx.label("noidung.action_label", action=a.value, req=req))
        for a in actions
    ]
    buttons.append(Back().button(ctx.label("kehoach.back_label")))
    return [
        ctx.reply(
            "noidung.card",
            buttons=buttons,
            campaign=campaign,
            req=req,
            history=history,
            names=names,
            read_only=not actions,
            tz=campaign.timezone,
        )
    ]


async def _menu(ctx: Ctx) -> list[Reply]:
    """Takes the action on the requirement."""
    ctx.require_secretariat()
    if ctx.pressed(Back) is not None:
        ctx.goto(State.PICK, req_id=None)
        return await _ask_pick(ctx)
    action = ctx.expect(Do).action
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    check_writable(campaign)
    if action not in _actions(campaign, req):
        raise UserError("pick_one")
    if action is ReqAction.EXTEND:
        ctx.goto(State.EXT_DATE)
        return await _ask_ext_date(ctx)
    if action is ReqAction.REMOVE:
        ctx.goto(State.REMOVE_CONFIRM)
        return await _ask_remove(ctx)
    ctx.goto(State.EDIT_VALUE, field=action.value)
    return await _ask_edit_value(ctx)


# -- gia hạn -----------------------------------------------------------------------------------
async def _ask_ext_date(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    today = local_today(ctx.now, campaign.timezone)
    return [ctx.reply("noidung.ask_ext_date", req=req, today=today)]


async def _ext_date(ctx: Ctx) -> list[Reply]:
    """Takes the new deadline (checked again at the end against each unit's deadline)."""
    ctx.require_secretariat()
    new_due = parse_due(ctx.text)
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    today = local_today(ctx.now, campaign.timezone)
    if new_due < today:
        raise UserError("extend_past", new=new_due, today=today)
    if req.due_date is None:  # Đặt hạn: the first deadline is everyone's
        ctx.goto(State.EXT_REASON, new_due=new_due.isoformat(), units=[])
        return await _ask_ext_reason(ctx)
    ctx.goto(State.EXT_UNITS, new_due=new_due.isoformat())
    return await _ask_ext_units(ctx)


async def _ask_ext_units(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    _, req = found
    buttons = [AllUnits().button(ctx.label("noidung.all_units_label"))]
    return [ctx.reply("noidung.ask_ext_units", buttons=buttons, req=req)]


async def _ext_units(ctx: Ctx) -> list[Reply]:
    """Takes "every unit" or the unit codes typed."""
    ctx.require_secretariat()
    if await _req(ctx) is None:
        return _gone(ctx)
    codes: list[str] = []
    if ctx.pressed(AllUnits) is None:
        if ctx.choice is not None:
            raise UserError("pick_one")
        codes = [c.strip() for c in ctx.text.replace(";", ",").split(",") if c.strip()]
        if not codes:
            raise UserError("req_who_empty")
        units = await ctx.units.by_codes(codes)
        unknown = [c for c in codes if c.strip().upper() not in units]
        if unknown:
            raise UserError("units_unknown", codes=unknown)
    ctx.goto(State.EXT_REASON, units=codes)
    return await _ask_ext_reason(ctx)


async def _ask_ext_reason(ctx: Ctx) -> list[Reply]:
    if await _req(ctx) is None:
        return _gone(ctx)
    return [ctx.reply("noidung.ask_ext_reason")]


async def _ext_reason(ctx: Ctx) -> list[Reply]:
    """Takes the reason."""
    ctx.require_secretariat()
    if await _req(ctx) is None:
        return _gone(ctx)
    reason = " ".join(ctx.text.split())
    if not 3 <= len(reason) <= 500:
        raise UserError("extend_reason", min=3, max=500)
    ctx.goto(State.EXT_CONFIRM, reason=reason)
    return await _ask_ext_confirm(ctx)


def _yes_no(ctx: Ctx) -> list[Button]:
    return [
        Yes(yes=True).button(ctx.label("noidung.yes_label")),
        Yes(yes=False).button(ctx.label("kehoach.no_label")),
    ]


async def _ask_ext_confirm(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    _, req = found
    units = await ctx.units.by_codes(list(ctx.data.get("units") or []))
    return [
        ctx.reply(
            "noidung.ext_confirm",
            buttons=_yes_no(ctx),
            req=req,
            new_due=parse_due(ctx.data["new_due"]),
            units=list(units.values()),
            reason=ctx.data["reason"],
        )
    ]


async def _ext_confirm(ctx: Ctx) -> list[Reply]:
    """Extends on "yes" (every rule checked again now) and queues the notices."""
    person = ctx.require_secretariat()
    if (declined := _declined(ctx)) is not None:
        return declined
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    _, req = found
    done = await extend_deadline(
        ctx.session,
        ctx.deps.texts,
        req,
        new_due=parse_due(ctx.data["new_due"]),
        unit_codes=list(ctx.data.get("units") or []),
        reason=str(ctx.data["reason"]),
        by=person,
        origin=ctx.msg.key,
        now=ctx.now,
    )
    if done.told:
        ctx.wake_after_commit("broadcast")
    ctx.end()
    return [ctx.reply("noidung.extended", done=done, req=req)]


# -- adding ------------------------------------------------------------------------------------
_PART_MAX = 120
_ADD_STEPS = {
    State.ADD_CODE: "code",
    State.ADD_TITLE: "title",
    State.ADD_KIND: "kind",
    State.ADD_DUE: "due",
    State.ADD_PARTS: "parts",
}


async def _ask_add(ctx: Ctx) -> list[Reply]:
    """Asks for the next field of the new requirement (the kind with buttons)."""
    campaign = await _campaign(ctx)
    if campaign is None:
        return _gone(ctx)
    step = _ADD_STEPS[State(ctx.state)]
    buttons = []
    if step == "kind":
        buttons = [
            Kind(kind=k).button(ctx.label("noidung.kind_name", kind=k.value))
            for k in RequirementKind
        ]
    today = local_today(ctx.now, campaign.timezone)
    return [ctx.reply("noidung.ask_add", buttons=buttons, step=step, today=today)]


async def _add_step(ctx: Ctx) -> list[Reply]:
    """Takes one field of the new requirement, checked as it comes."""
    ctx.require_secretariat()
    campaign = await _campaign(ctx)
    if campaign is None:
        return _gone(ctx)
    check_writable(campaign)
    step = _ADD_STEPS[State(ctx.state)]
    nxt = State.ADD_CONFIRM
    if step == "kind":
        kind = ctx.expect(Kind).kind
        ctx.goto(State.ADD_DUE, kind=kind.value)
        return await _ask_add(ctx)
    if not ctx.text or ctx.choice is not None:
        raise UserError("text_empty")
    if step == "code":
        code = clean_code(ctx.text)
        if await ctx.campaigns.requirement_by_code(campaign.id, code) is not None:
            raise UserError("req_code_taken", code=code, campaign=campaign.code)
        ctx.goto(State.ADD_TITLE, code=code)
        return await _ask_add(ctx)
    if step == "title":
        ctx.goto(State.ADD_KIND, title=clean_title(ctx.text))
        return await _ask_add(ctx)
    if step == "due":
        due = parse_due(ctx.text)
        today = local_today(ctx.now, campaign.timezone)
        if due < today:
            raise UserError("extend_past", new=due, today=today)
        if ctx.data["kind"] == RequirementKind.DOSSIER.value:
            nxt = State.ADD_PARTS
        ctx.goto(nxt, due=due.isoformat())
    else:
        if not all(0 < len(p.strip()) <= _PART_MAX for p in ctx.text.split(";")):
            raise UserError("req_parts_bad", max=_PART_MAX)
        ctx.goto(nxt, parts=ctx.text)
    return await (_ask_add(ctx) if nxt is State.ADD_PARTS else _ask_add_confirm(ctx))


async def _ask_add_confirm(ctx: Ctx) -> list[Reply]:
    campaign = await _campaign(ctx)
    if campaign is None:
        return _gone(ctx)
    return [
        ctx.reply(
            "noidung.add_confirm",
            buttons=_yes_no(ctx),
            campaign=campaign,
            data=ctx.data,
            due=parse_due(ctx.data["due"]),
        )
    ]


async def _add_confirm(ctx: Ctx) -> list[Reply]:
    """Adds the requirement on "yes" (every rule checked again now)."""
    person = ctx.require_secretariat()
    if (declined := _declined(ctx)) is not None:
        return declined
    campaign = await _campaign(ctx)
    if campaign is None:
        return _gone(ctx)
    added = await add_requirement(
        ctx.session,
        campaign,
        code=ctx.data["code"],
        title=ctx.data["title"],
        kind=RequirementKind(ctx.data["kind"]),
        due=parse_due(ctx.data["due"]),
        parts=str(ctx.data.get("parts") or ""),
        person_id=person.id,
        now=ctx.now,
    )
    ctx.end()
    return [ctx.reply("noidung.added", req=added)]


# -- editing and removing ----------------------------------------------------------------------
async def _ask_edit_value(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    _, req = found
    return [ctx.reply("noidung.ask_value", req=req, field=ctx.data["field"])]


async def _edit_value(ctx: Ctx) -> list[Reply]:
    """Takes the new value and weighs what it affects."""
    ctx.require_secretariat()
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    if not ctx.text:
        raise UserError("text_empty")
    edit = await plan_edit(
        ctx.session, campaign, req, ReqField(ctx.data["field"]), ctx.text, ctx.deps.unit_kinds
    )
    ctx.goto(State.EDIT_CONFIRM, edit=edit.as_data())
    return await _ask_edit_confirm(ctx)


async def _ask_edit_confirm(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    _, req = found
    edit = Edit.from_data(ctx.data["edit"])
    return [
        ctx.reply(
            "noidung.edit_confirm",
            buttons=_yes_no(ctx),
            req=req,
            field=edit.field.value,
            values=edit.values,
            affected=edit.affected,
        )
    ]


async def _edit_confirm(ctx: Ctx) -> list[Reply]:
    """Makes the change on "yes" (refused if it now affects more units than shown)."""
    person = ctx.require_secretariat()
    if (declined := _declined(ctx)) is not None:
        return declined
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    edit = Edit.from_data(ctx.data["edit"])
    fresh = await reweigh(ctx.session, req, edit)
    if fresh.affected > edit.affected:  # items came in since the question: ask again
        ctx.goto(State.EDIT_CONFIRM, edit=fresh.as_data())
        return [ctx.reply("noidung.edit_changed"), *await _ask_edit_confirm(ctx)]
    await apply_edit(
        ctx.session, campaign, req, edit, allowed=edit.affected, person_id=person.id, now=ctx.now
    )
    ctx.end()
    return [ctx.reply("noidung.edited", req=req, field=edit.field.value)]


async def _ask_remove(ctx: Ctx) -> list[Reply]:
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    _, req = found
    return [ctx.reply("noidung.remove_confirm", buttons=_yes_no(ctx), req=req)]


async def _remove(ctx: Ctx) -> list[Reply]:
    """Removes the requirement on "yes" (only when nothing was sent for it)."""
    person = ctx.require_secretariat()
    if (declined := _declined(ctx)) is not None:
        return declined
    found = await _req(ctx)
    if found is None:
        return _gone(ctx)
    campaign, req = found
    title = req.title
    await remove_requirement(ctx.session, campaign, req, person_id=person.id, now=ctx.now)
    ctx.end()
    return [ctx.reply("noidung.removed", title=title)]


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.MENU: StateSpec(_menu, _ask_menu),
    State.EXT_DATE: StateSpec(_ext_date, _ask_ext_date),
    State.EXT_UNITS: StateSpec(_ext_units, _ask_ext_units),
    State.EXT_REASON: StateSpec(_ext_reason, _ask_ext_reason),
    State.EXT_CONFIRM: StateSpec(_ext_confirm, _ask_ext_confirm),
    **{state: StateSpec(_add_step, _ask_add) for state in _ADD_STEPS},
    State.ADD_CONFIRM: StateSpec(_add_confirm, _ask_add_confirm),
    State.EDIT_VALUE: StateSpec(_edit_value, _ask_edit_value),
    State.EDIT_CONFIRM: StateSpec(_edit_confirm, _ask_edit_confirm),
    State.REMOVE_CONFIRM: StateSpec(_remove, _ask_remove),
}

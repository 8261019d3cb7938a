"""/donvi (secretariat): the units and the people in them, as an office keeps them.

The list names every unit (code, name, kind, retired or not, whether someone can be reached).
A unit is chosen by its button or by typing its code or name; its page lists its people, and
offers: retire or bring back the unit, rename it, a one-time invite code for a new unit head,
and for each person removing them or moving them to another unit. Removing and retiring ask for
confirmation; every change goes through a use case that audit-logs it (the services ``units``,
``people`` and ``invites``).
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import UNIT_BUTTONS, Reply
from handlers.queries.audiences import reach_by_block
from handlers.services.invites import create_invite
from handlers.services.people import list_people, move_person, remove_person
from handlers.services.units import list_units, rename_unit, set_unit_active
from storage.models import Role, Unit

__all__ = [
    "STATES",
    "Back",
    "Confirm",
    "PersonAct",
    "PickUnit",
    "State",
    "UnitAct",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "donvi.pick"
    UNIT = "donvi.unit"
    RENAME = "donvi.rename"
    MOVE = "donvi.move"
    CONFIRM = "donvi.confirm"


class UnitAction(StrEnum):
    """What can be done to a unit from its page."""

    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    RENAME = "rename"
    INVITE = "invite"


class PersonAction(StrEnum):
    """What can be done to a person from their unit's page."""

    REMOVE = "remove"
    MOVE = "move"


class PickUnit(CallbackData, prefix="donvi.unit"):
    """A unit of the list."""

    unit_id: int


class UnitAct(CallbackData, prefix="donvi.uact"):
    """A change to the chosen unit."""

    action: UnitAction


class PersonAct(CallbackData, prefix="donvi.pact"):
    """A change to a person of the chosen unit."""

    action: PersonAction
    person_id: int


class Confirm(CallbackData, prefix="donvi.confirm"):
    """Yes or no to removing a person or retiring the unit."""

    yes: bool


class Back(CallbackData, prefix="donvi.back"):
    """Back to the list of units."""


async def begin(ctx: Ctx) -> list[Reply]:
    """Lists the units; ``/donvi MÃ`` opens one at once."""
    ctx.require_secretariat()
    asked = str(ctx.data.get("args", "")).strip()
    ctx.end()
    if asked:
        unit = await _find(ctx, asked)
        ctx.goto(State.UNIT, unit_id=unit.id)
        return await _ask_unit(ctx)
    ctx.goto(State.PICK)
    return await _ask_pick(ctx)


async def _find(ctx: Ctx, ref: str) -> Unit:
    unit = await ctx.units.get_by_code(ref) or await ctx.units.find(ref)
    if unit is None:
        raise UserError("unit_not_found", ref=ref)
    return unit


async def _ask_pick(ctx: Ctx) -> list[Reply]:
    many = await ctx.units.count()
    if many > UNIT_BUTTONS:  # a province: counts by block, and the unit is typed
        blocks = await reach_by_block(ctx.session)
        return [ctx.reply("donvi.overview_blocks", blocks=blocks, total=many)]
    units = await list_units(ctx.session, ctx.deps.unit_kinds)
    buttons = [PickUnit(unit_id=u.id).button(ctx.label("donvi.pick_label", u=u)) for u in units]
    return [ctx.reply("donvi.overview", buttons=buttons, units=units)]


async def _pick(ctx: Ctx) -> list[Reply]:
    """Takes the unit, pressed or typed (its code or name)."""
    ctx.require_secretariat()
    pressed = ctx.pressed(PickUnit)
    if pressed is not None:
        unit = await ctx.units.get(pressed.unit_id)
        if unit is None:
            raise UserError("item_gone")
    elif ctx.text:
        unit = await _find(ctx, ctx.text)
    else:
        raise UserError("pick_one")
    ctx.goto(State.UNIT, unit_id=unit.id)
    return await _ask_unit(ctx)


async def _chosen(ctx: Ctx) -> Unit:
    """The unit chosen so far, read again (another secretariat may have changed it)."""
    unit = await ctx.units.get(int(ctx.data["unit_id"]))
    if unit is None:
        ctx.end()
        raise UserError("item_gone")
    return unit


async def _ask_unit(ctx: Ctx) -> list[Reply]:
    unit = await _chosen(ctx)
    people = await list_people(ctx.session, unit)
    toggle = UnitAction.DEACTIVATE if unit.is_active else UnitAction.REACTIVATE
    actions = [toggle, UnitAction.RENAME]
    if unit.is_active:
        actions.append(UnitAction.INVITE)
    buttons = [
        UnitAct(action=a).button(ctx.label("donvi.unit_action_label", action=a.value))
        for a in actions
    ]
    for p in people:
        for action in PersonAction:
            buttons.append(
                PersonAct(action=action, person_id=p.id).button(
                    ctx.label("donvi.person_action_label", action=action.value, p=p)
                )
            )
    buttons.append(Back().button(ctx.label("donvi.back_label")))
    return [ctx.reply("donvi.unit_page", buttons=buttons, unit=unit, people=people)]


async def _unit(ctx: Ctx) -> list[Reply]:
    """Takes a change to the unit or to one of its people, or goes back to the list."""
    person = ctx.require_secretariat()
    if ctx.pressed(Back) is not None:
        ctx.goto(State.PICK, unit_id=None)
        return await _ask_pick(ctx)
    unit = await _chosen(ctx)
    acted = ctx.pressed(PersonAct)
    if acted is not None:
        people = {p.id: p for p in await list_people(ctx.session, unit)}
        if acted.person_id not in people:
            raise UserError("person_not_found", ref=acted.person_id)
        if acted.action is PersonAction.MOVE:
            ctx.goto(State.MOVE, person_id=acted.person_id)
            return await _ask_move(ctx)
        ctx.goto(State.CONFIRM, what="remove", person_id=acted.person_id)
        return await _ask_confirm(ctx)
    action = ctx.expect(UnitAct).action
    if action is UnitAction.RENAME:
        ctx.goto(State.RENAME)
        return await _ask_rename(ctx)
    if action is UnitAction.INVITE:
        invite, _ = await create_invite(
            ctx.session,
            role=Role.UNIT_HEAD,
            unit_ref=unit.code,
            full_name=None,
            now=ctx.now,
            ttl=ctx.deps.invite_ttl,
            by=person.id,
        )
        links = ctx.deps.links_for(invite.code)
        return [
            ctx.reply("donvi.invited", unit=unit, invite=invite, links=links),
            *await _ask_unit(ctx),
        ]
    if action is UnitAction.REACTIVATE:
        await set_unit_active(ctx.session, unit, True, person_id=person.id, now=ctx.now)
        return [ctx.reply("units.reactivated", name=unit.name), *await _ask_unit(ctx)]
    ctx.goto(State.CONFIRM, what="deactivate")
    return await _ask_confirm(ctx)


async def _ask_rename(ctx: Ctx) -> list[Reply]:
    unit = await _chosen(ctx)
    return [ctx.reply("donvi.ask_rename", unit=unit)]


async def _rename(ctx: Ctx) -> list[Reply]:
    """Takes the new name."""
    person = ctx.require_secretariat()
    unit = await _chosen(ctx)
    old = unit.name
    changed = await rename_unit(ctx.session, unit, ctx.text, person_id=person.id, now=ctx.now)
    ctx.goto(State.UNIT)
    done = (
        ctx.reply("units.renamed", old=old, new=unit.name)
        if changed
        else ctx.reply("units.unchanged", name=old)
    )
    return [done, *await _ask_unit(ctx)]


async def _ask_move(ctx: Ctx) -> list[Reply]:
    unit = await _chosen(ctx)
    people = {p.id: p for p in await list_people(ctx.session, unit)}
    moving = people.get(int(ctx.data["person_id"]))
    if moving is None:  # removed or moved meanwhile (another secretariat): back to the unit
        ctx.goto(State.UNIT, person_id=None)
        return [ctx.reply("donvi.person_gone"), *await _ask_unit(ctx)]
    return [ctx.reply("donvi.ask_move", p=moving, unit=unit)]


async def _move(ctx: Ctx) -> list[Reply]:
    """Takes the unit to move the person to (its code or name)."""
    actor = ctx.require_secretariat()
    if not ctx.text:
        raise UserError("text_empty")
    person, old, new = await move_person(
        ctx.session, int(ctx.data["person_id"]), ctx.text, by=actor.id, now=ctx.now
    )
    ctx.goto(State.UNIT, person_id=None)
    return [
        ctx.reply("donvi.moved", name=person.full_name, old=old.name, new=new.name),
        *await _ask_unit(ctx),
    ]


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    unit = await _chosen(ctx)
    buttons = [
        Confirm(yes=True).button(ctx.label("donvi.yes_label")),
        Confirm(yes=False).button(ctx.label("donvi.no_label")),
    ]
    if ctx.data.get("what") == "remove":
        people = {p.id: p for p in await list_people(ctx.session, unit)}
        target = people.get(int(ctx.data["person_id"]))
        if target is None:  # removed or moved meanwhile (another secretariat): back to the unit
            ctx.goto(State.UNIT, what=None, person_id=None)
            return [ctx.reply("donvi.person_gone"), *await _ask_unit(ctx)]
        return [ctx.reply("donvi.confirm_remove", buttons=buttons, p=target, unit=unit)]
    return [ctx.reply("donvi.confirm_deactivate", buttons=buttons, unit=unit)]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Removes the person or retires the unit on "yes"."""
    actor = ctx.require_secretariat()
    yes = ctx.expect(Confirm).yes
    what = ctx.data.get("what")
    unit = await _chosen(ctx)
    ctx.goto(State.UNIT, what=None)
    if not yes:
        return [ctx.reply("donvi.cancelled"), *await _ask_unit(ctx)]
    if what == "remove":
        person = await remove_person(
            ctx.session, int(ctx.data["person_id"]), by=actor.id, now=ctx.now
        )
        ctx.data["person_id"] = None
        done = ctx.reply("donvi.removed", name=person.full_name)
    else:
        await set_unit_active(ctx.session, unit, False, person_id=actor.id, now=ctx.now)
        done = ctx.reply("units.deactivated", name=unit.name)
    return [done, *await _ask_unit(ctx)]


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.UNIT: StateSpec(_unit, _ask_unit),
    State.RENAME: StateSpec(_rename, _ask_rename),
    State.MOVE: StateSpec(_move, _ask_move),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
}

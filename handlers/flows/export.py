"""/xuat (/export): choose what to export, then the format; the file comes back in the chat.

The file is not built in the message: the last step queues a job and answers "Đang tạo tệp…" at
once; the scheduler's export worker builds the file off the event loop and sends it here.

The secretariat exports every unit or one unit (``/xuat Bắc Sơn``, or the "Chọn một đơn vị…"
button); anyone else linked to a unit exports only that unit, and naming another unit is refused
(``not_your_unit``). Each export is recorded in the audit log: the lists hold personal data.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import UNIT_BUTTONS, Button, Reply
from handlers.queries import export_data as data
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.services.exports import FORMATS, file_name, queue_export
from storage.models import Role

__all__ = [
    "STATES",
    "Back",
    "PickCampaign",
    "PickFormat",
    "PickKind",
    "PickUnit",
    "ScopeTo",
    "State",
    "Widen",
    "begin",
]


class State(StrEnum):
    """The steps of this flow."""

    CAMPAIGN = "xuat.campaign"
    KIND = "xuat.kind"
    UNIT = "xuat.unit"
    FORMAT = "xuat.format"


class PickCampaign(CallbackData, prefix="xuat.campaign"):
    """An active campaign to export from."""

    campaign_id: int


class PickKind(CallbackData, prefix="xuat.kind"):
    """What to export."""

    kind: ExportKind


class Widen(StrEnum):
    """A change of scope (secretariat): one unit, or every unit."""

    ONE_UNIT = "unit"
    ALL_UNITS = "all"


class ScopeTo(CallbackData, prefix="xuat.scope"):
    """Change the scope of the export (secretariat)."""

    to: Widen


class PickUnit(CallbackData, prefix="xuat.unit"):
    """The one unit to export (secretariat)."""

    unit_id: int


class PickFormat(CallbackData, prefix="xuat.format"):
    """The file format."""

    fmt: ExportFormat


class Back(CallbackData, prefix="xuat.back"):
    """Back to the choice of what to export."""


def _secretariat(ctx: Ctx) -> bool:
    return ctx.require_linked().role is Role.SECRETARIAT


def _back(ctx: Ctx) -> Button:
    return Back().button(ctx.label("xuat.back_label"))


async def begin(ctx: Ctx) -> list[Reply]:
    """Starts an export; ``/xuat ĐƠN-VỊ`` narrows it to one unit."""
    ref = str(ctx.data.get("args", "")).strip()
    secretariat = _secretariat(ctx)
    ctx.end()
    if secretariat:
        unit_id = (await data.find_unit(ctx.session, ref)).id if ref else None
    else:
        if ctx.unit is None:
            raise UserError("no_unit")
        if ref:
            named = await ctx.units.get_by_code(ref) or await ctx.units.find(ref)
            if named is None or named.id != ctx.unit.id:
                raise UserError("not_your_unit")
        unit_id = ctx.unit.id
    campaigns = await data.reported_campaigns(ctx.session)
    if not campaigns:
        return [ctx.reply("xuat.no_campaign")]
    if len(campaigns) > 1:
        ctx.goto(State.CAMPAIGN, unit_id=unit_id)
        return await _ask_campaign(ctx)
    ctx.goto(State.KIND, unit_id=unit_id, campaign_id=campaigns[0].id)
    return await _ask_kind(ctx)


async def _ask_campaign(ctx: Ctx) -> list[Reply]:
    campaigns = await data.reported_campaigns(ctx.session)
    buttons = [PickCampaign(campaign_id=c.id).button(c.title[:60]) for c in campaigns]
    return [ctx.reply("xuat.ask_campaign", buttons=buttons)]


async def _campaign(ctx: Ctx) -> list[Reply]:
    """Takes the campaign when more than one is active."""
    ctx.require_linked()
    picked = ctx.expect(PickCampaign).campaign_id
    if picked not in {c.id for c in await data.reported_campaigns(ctx.session)}:
        raise UserError("pick_one")
    ctx.goto(State.KIND, campaign_id=picked)
    return await _ask_kind(ctx)


async def _scope(ctx: Ctx) -> Scope:
    """The campaign and unit chosen so far, checked again against who is asking."""
    campaign = await ctx.campaigns.get(int(ctx.data["campaign_id"]))
    if campaign is None:
        ctx.end()
        raise UserError("item_gone")
    unit_id = ctx.data.get("unit_id")
    if _secretariat(ctx):
        unit = await ctx.units.get(int(unit_id)) if unit_id is not None else None
        return Scope(campaign, unit, ctx.now)
    if ctx.unit is None:
        raise UserError("no_unit")
    if unit_id != ctx.unit.id:
        raise UserError("not_your_unit")
    return Scope(campaign, ctx.unit, ctx.now)


def _kinds(scope: Scope) -> list[ExportKind]:
    """What can be exported in ``scope``: the award papers only for the whole campaign."""
    return [k for k in ExportKind if scope.unit is None or not k.secretariat_only]


async def _ask_kind(ctx: Ctx) -> list[Reply]:
    scope = await _scope(ctx)
    buttons = [
        PickKind(kind=k).button(ctx.label("xuat.kind_label", kind=k.value)) for k in _kinds(scope)
    ]
    secretariat = _secretariat(ctx)
    if secretariat and scope.unit is None:
        buttons.append(ScopeTo(to=Widen.ONE_UNIT).button(ctx.label("xuat.pick_unit_label")))
    elif secretariat:
        buttons.append(ScopeTo(to=Widen.ALL_UNITS).button(ctx.label("xuat.all_units_label")))
    return [
        ctx.reply(
            "xuat.ask_kind",
            buttons=buttons,
            campaign=scope.campaign,
            unit=scope.unit,
            secretariat=secretariat,
        )
    ]


async def _kind(ctx: Ctx) -> list[Reply]:
    """Takes the kind of export, or a change of scope (secretariat)."""
    await _scope(ctx)
    widen = ctx.pressed(ScopeTo)
    if widen is not None and _secretariat(ctx):
        if widen.to is Widen.ONE_UNIT:
            ctx.goto(State.UNIT)
            return await _ask_unit(ctx)
        ctx.goto(State.KIND, unit_id=None)
        return await _ask_kind(ctx)
    kind = ctx.expect(PickKind).kind
    if kind not in _kinds(await _scope(ctx)):
        raise UserError("pick_one")
    ctx.goto(State.FORMAT, kind=kind.value)
    return await _ask_format(ctx)


async def _ask_unit(ctx: Ctx) -> list[Reply]:
    many = await ctx.units.count()
    if many > UNIT_BUTTONS:  # a province: the name or code is typed
        return [ctx.reply("xuat.ask_unit", buttons=[_back(ctx)], many=many)]
    buttons = [PickUnit(unit_id=u.id).button(u.name) for u in await ctx.units.list_all()]
    return [ctx.reply("xuat.ask_unit", buttons=[*buttons, _back(ctx)])]


async def _unit(ctx: Ctx) -> list[Reply]:
    """Takes the one unit to export (secretariat): a button, or a typed name or code."""
    ctx.require_secretariat()
    if ctx.pressed(Back) is not None:
        ctx.goto(State.KIND)
        return await _ask_kind(ctx)
    picked = ctx.pressed(PickUnit)
    if picked is not None:
        unit = await ctx.units.get(picked.unit_id)
        if unit is not None:
            ctx.goto(State.KIND, unit_id=unit.id)
            return await _ask_kind(ctx)
    if ctx.text and not ctx.choice:
        unit = await data.find_unit(ctx.session, ctx.text)
        ctx.goto(State.KIND, unit_id=unit.id)
        return await _ask_kind(ctx)
    raise UserError("pick_one")


async def _ask_format(ctx: Ctx) -> list[Reply]:
    kind = ExportKind(ctx.data["kind"])
    buttons = [
        PickFormat(fmt=f).button(ctx.label("xuat.format_label", fmt=f.value))
        for f in FORMATS[kind]
    ]
    return [ctx.reply("xuat.ask_format", buttons=[*buttons, _back(ctx)], kind=kind.value)]


async def _format(ctx: Ctx) -> list[Reply]:
    """Takes the format and sends the file."""
    scope = await _scope(ctx)
    if ctx.pressed(Back) is not None:
        ctx.goto(State.KIND)
        return await _ask_kind(ctx)
    kind = ExportKind(ctx.data["kind"])
    fmt = ctx.expect(PickFormat).fmt
    if fmt not in FORMATS[kind]:
        raise UserError("pick_one")
    return await _send(ctx, scope, kind, fmt)


async def _send(ctx: Ctx, scope: Scope, kind: ExportKind, fmt: ExportFormat) -> list[Reply]:
    """Queue the file; the export worker sends it once built (woken after the commit)."""
    job = await queue_export(
        ctx.session,
        kind,
        fmt,
        scope,
        chat=ctx.msg.key,
        requested_by=ctx.person.id if ctx.person else None,
    )
    ctx.audit(
        "export",
        "campaign",
        scope.campaign.id,
        kind=kind.value,
        format=fmt.value,
        unit=scope.unit.code if scope.unit else None,
        file=file_name(kind, fmt, scope),
        job=job.id,
    )
    ctx.end()
    ctx.wake_after_commit("export")
    return [ctx.reply("xuat.building", kind=kind.value, fmt=fmt.value)]


STATES: StateTable = {
    State.CAMPAIGN: StateSpec(_campaign, _ask_campaign),
    State.KIND: StateSpec(_kind, _ask_kind),
    State.UNIT: StateSpec(_unit, _ask_unit),
    State.FORMAT: StateSpec(_format, _ask_format),
}

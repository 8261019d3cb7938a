"""/decu: the nomination wizard (cá nhân or tập thể).

The answers and their validation are the field vocabulary's
(:data:`handlers.domain.fields.NOMINATION_FIELDS`); ``/danhsach`` edits them with the same fields.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from handlers.domain.errors import UserError
from handlers.domain.fields import (
    NOMINATION_FIELDS,
    SUBJECT,
    Facts,
    field_by_key,
    next_field,
    nomination_fields,
)
from handlers.domain.progress import applies
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Reply
from handlers.kernel.states import Entry
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    SubjectKind,
)

__all__ = [
    "STATES",
    "Confirm",
    "ImportExcel",
    "PickRequirement",
    "SkipFile",
    "State",
    "begin",
    "nomination_requirements",
]


class State(StrEnum):
    """The steps of this flow."""

    PICK_REQ = "decu.req"
    SUBJECT = "decu.subject"
    FIELD = "decu.field"
    FILE = "decu.file"
    CONFIRM = "decu.confirm"


class PickRequirement(CallbackData, prefix="decu.req"):
    """The nomination round (a ``nomination_list`` requirement) chosen."""

    requirement_id: int


class SkipFile(CallbackData, prefix="decu.skip_file"):
    """No achievement report file."""


class ImportExcel(CallbackData, prefix="decu.xlsx"):
    """Nominate many at once: fill in the Excel template and send it back."""


class Confirm(CallbackData, prefix="decu.confirm"):
    """Send the nomination (``send``) or cancel it."""

    send: bool


async def _requirement(ctx: Ctx) -> Requirement:
    req = await ctx.campaigns.requirement(ctx.data["req"])
    if req is None:
        raise UserError("item_gone")
    return req


async def _facts(ctx: Ctx) -> Facts:
    return await inputs.facts(ctx, ctx.data["campaign"], ctx.data["subject"])


async def nomination_requirements(ctx: Ctx) -> list[tuple[Campaign, Requirement]]:
    """Open nomination requirements of active campaigns that apply to the acting unit."""
    _, unit = ctx.require_unit_head()
    found = []
    for campaign in await ctx.campaigns.get_active():
        for req in await ctx.campaigns.requirements_for(campaign.id):
            if req.kind is RequirementKind.NOMINATION_LIST and applies(req, unit):
                found.append((campaign, req))
    return found


async def begin(ctx: Ctx) -> list[Reply]:
    """Starts a nomination: asks for the nomination round, or whom the nomination is for."""
    ctx.require_unit_head()
    ctx.end()
    found = await nomination_requirements(ctx)
    if not found:
        raise UserError("no_nomination_requirement")
    if len(found) == 1:
        campaign, req = found[0]
        ctx.goto(State.SUBJECT, campaign=campaign.id, req=req.id)
        return await _ask_subject(ctx)
    ctx.goto(State.PICK_REQ)
    return await _ask_req(ctx)


async def _ask_req(ctx: Ctx) -> list[Reply]:
    buttons = [
        PickRequirement(requirement_id=r.id).button(
            ctx.label("decu.req_label", req=r, campaign=c, unit_id=ctx.unit and ctx.unit.id)
        )
        for c, r in await nomination_requirements(ctx)
    ]
    return [ctx.reply("decu.ask_req", buttons=buttons)]


async def _pick_req(ctx: Ctx) -> list[Reply]:
    """Stores the nomination round and asks whom the nomination is for."""
    picked = ctx.expect(PickRequirement)
    for campaign, req in await nomination_requirements(ctx):
        if req.id == picked.requirement_id:
            ctx.goto(State.SUBJECT, campaign=campaign.id, req=req.id)
            return await _ask_subject(ctx)
    raise UserError("pick_one")


async def _ask_subject(ctx: Ctx) -> list[Reply]:
    facts = await inputs.facts(ctx, ctx.data["campaign"])
    req = await _requirement(ctx)
    reply = inputs.ask_field(ctx, "decu.ask_subject", SUBJECT, facts, req=req)
    bulk = ImportExcel().button(ctx.label("decu.import_label"))
    return [dataclasses.replace(reply, buttons=(*reply.buttons, bulk))]


async def _subject(ctx: Ctx) -> list[Reply]:
    """Stores cá nhân/tập thể and asks for the first field (or hands over to the importer)."""
    if ctx.pressed(ImportExcel) is not None:
        data = {"campaign": ctx.data["campaign"], "req": ctx.data["req"]}
        return await ctx.enter(Entry.BULK_NOMINATIONS, **data)
    subject = inputs.read_field(ctx, SUBJECT, await inputs.facts(ctx, ctx.data["campaign"]))
    ctx.goto(State.FIELD, subject=subject, field=nomination_fields(subject)[0].key, values={})
    return await _ask_field(ctx)


async def _ask_field(ctx: Ctx) -> list[Reply]:
    field = field_by_key(NOMINATION_FIELDS, ctx.data["field"])
    reply = inputs.ask_field(
        ctx, "decu.ask_field", field, await _facts(ctx), subject=ctx.data["subject"], current=None
    )
    return [reply]


async def _field(ctx: Ctx) -> list[Reply]:
    """Stores one answer and asks for the next one (then for the report file)."""
    key = ctx.data["field"]
    value = inputs.read_field(ctx, field_by_key(NOMINATION_FIELDS, key), await _facts(ctx))
    ctx.data["values"] = {**ctx.data["values"], key: value}
    following = next_field(nomination_fields(ctx.data["subject"]), key)
    if following is not None:
        ctx.goto(State.FIELD, field=following.key)
        return await _ask_field(ctx)
    ctx.goto(State.FILE)
    return await _ask_file(ctx)


async def _ask_file(ctx: Ctx) -> list[Reply]:
    question = ctx.reply("decu.ask_file", buttons=(SkipFile().button(ctx.label("buttons.skip")),))
    what = ctx.label("web.what_nomination", name=ctx.data["values"].get("name", ""))
    return [inputs.asks_file(ctx, question, what, (await _requirement(ctx)).accept)]


async def _file(ctx: Ctx) -> list[Reply]:
    """Stores the optional achievement report file and asks for confirmation."""
    if ctx.msg.file is not None:
        req = await _requirement(ctx)
        ctx.goto(State.CONFIRM, file=await inputs.receive_file(ctx, req.accept))
    else:
        ctx.expect(SkipFile)
        ctx.goto(State.CONFIRM, file=None)
    return await _ask_confirm(ctx)


async def _award_name(ctx: Ctx, code: str) -> str:
    return (await _facts(ctx)).awards.get(code, code)


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    values = ctx.data["values"]
    buttons = (
        Confirm(send=True).button(ctx.label("decu.send_label")),
        Confirm(send=False).button(ctx.label("buttons.cancel")),
    )
    return [
        ctx.reply(
            "decu.ask_confirm",
            buttons=buttons,
            subject=ctx.data["subject"],
            v=values,
            award=await _award_name(ctx, values["award"]),
            file=ctx.data.get("file"),
        )
    ]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Saves the nomination."""
    if not ctx.expect(Confirm).send:
        ctx.end()
        return [ctx.reply("onboarding.cancelled", busy=True)]
    person, unit = ctx.require_unit_head()
    values = ctx.data["values"]
    req = await _requirement(ctx)
    nomination = await ctx.nominations.add(
        Nomination(
            campaign_id=ctx.data["campaign"],
            requirement_id=req.id,
            unit_id=unit.id,
            subject=SubjectKind(ctx.data["subject"]),
            full_name=values["name"],
            gender=values.get("gender"),
            birth_year=values.get("birth_year"),
            position=values.get("position"),
            award_code=values["award"],
            award_name=await _award_name(ctx, values["award"]),
            summary=values["summary"],
            file_id=await inputs.stored_file(ctx, ctx.data.get("file")),
            status=NominationStatus.SUBMITTED,
            created_by=person.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    ctx.audit("nomination.create", "nomination", nomination.id, unit=unit.code, **values)
    ctx.end()
    return [ctx.reply("decu.saved", n=nomination, req=req)]


STATES: StateTable = {
    State.PICK_REQ: StateSpec(_pick_req, _ask_req),
    State.SUBJECT: StateSpec(_subject, _ask_subject),
    State.FIELD: StateSpec(_field, _ask_field),
    State.FILE: StateSpec(_file, _ask_file),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
}

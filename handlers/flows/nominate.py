"""/decu: the nomination wizard (cá nhân or tập thể), and the fields /danhsach can edit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.domain.progress import applies, local_today
from handlers.kernel import inputs
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from handlers.kernel.messages import Button, Reply
from handlers.kernel.states import StateSpec, StateTable
from storage.models import (
    AwardForm,
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    SubjectKind,
)

__all__ = ["FIELDS", "STATES", "Field", "begin", "nomination_requirements"]


class State(StrEnum):
    """The steps of this flow."""

    PICK_REQ = "decu.req"
    SUBJECT = "decu.subject"
    FIELD = "decu.field"
    FILE = "decu.file"
    CONFIRM = "decu.confirm"


SUMMARY_MIN, SUMMARY_MAX = 20, 3000
GENDERS = {"nam": "Nam", "nu": "Nữ"}


@dataclass(frozen=True, slots=True)
class Field:
    """One answer of the wizard: how to ask it, read it and whom it concerns."""

    key: str
    label: str
    parse: Callable[[Ctx], Awaitable[Any]]
    choices: Callable[[Ctx], Awaitable[list[Button]]] | None = None
    individual_only: bool = False


async def _award_forms(ctx: Ctx) -> list[AwardForm]:
    forms = await ctx.campaigns.award_forms_for(ctx.data["campaign"])
    return [f for f in forms if f.subject.value == ctx.data["subject"]]


async def _award_choices(ctx: Ctx) -> list[Button]:
    return [Button(f.name, f"a:{f.code}") for f in await _award_forms(ctx)]


async def _gender_choices(_ctx: Ctx) -> list[Button]:
    return [Button(label, f"g:{code}") for code, label in GENDERS.items()]


async def _parse_name(ctx: Ctx) -> str:
    return inputs.name(ctx)


async def _parse_gender(ctx: Ctx) -> str:
    if ctx.choice and ctx.choice.startswith("g:") and ctx.choice[2:] in GENDERS:
        return ctx.choice[2:]
    raise UserError("pick_one")


async def _parse_birth_year(ctx: Ctx) -> int:
    campaign = await ctx.session.get_one(Campaign, ctx.data["campaign"])
    return inputs.birth_year(ctx, local_today(ctx.now, campaign.timezone))


async def _parse_position(ctx: Ctx) -> str:
    return inputs.free_text(ctx, limit=255)


async def _parse_award(ctx: Ctx) -> str:
    if ctx.choice and ctx.choice.startswith("a:"):
        code = ctx.choice[2:]
        if any(f.code == code for f in await _award_forms(ctx)):
            return code
    raise UserError("pick_one")


async def _parse_summary(ctx: Ctx) -> str:
    return inputs.free_text(ctx, limit=SUMMARY_MAX, minimum=SUMMARY_MIN)


FIELDS: Sequence[Field] = (
    Field("name", "Họ và tên / tên tập thể", _parse_name),
    Field("gender", "Giới tính", _parse_gender, _gender_choices, individual_only=True),
    Field("birth_year", "Năm sinh", _parse_birth_year, individual_only=True),
    Field("position", "Chức vụ, nơi công tác", _parse_position, individual_only=True),
    Field("award", "Hình thức đề nghị", _parse_award, _award_choices),
    Field("summary", "Tóm tắt thành tích", _parse_summary),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}


def fields_for(subject: str) -> list[Field]:
    """The fields asked for an individual or a collective."""
    return [f for f in FIELDS if subject == SubjectKind.INDIVIDUAL or not f.individual_only]


async def ask_field(ctx: Ctx, key: str) -> list[Reply]:
    """Ask for one field's value (with its choices, if any)."""
    field = FIELD_BY_KEY[key]
    buttons = await field.choices(ctx) if field.choices else []
    return [
        ctx.reply(
            f"decu.ask_{key}",
            buttons=buttons,
            subject=ctx.data["subject"],
            current=ctx.data.get("current"),
            min=SUMMARY_MIN,
            max=SUMMARY_MAX,
        )
    ]


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
    found = await nomination_requirements(ctx)
    buttons = [Button(f"{r.title} ({c.code})", f"r:{r.id}") for c, r in found]
    return [ctx.reply("decu.ask_req", buttons=buttons)]


async def _pick_req(ctx: Ctx) -> list[Reply]:
    """Stores the nomination round and asks whom the nomination is for."""
    for campaign, req in await nomination_requirements(ctx):
        if ctx.choice == f"r:{req.id}":
            ctx.goto(State.SUBJECT, campaign=campaign.id, req=req.id)
            return await _ask_subject(ctx)
    raise UserError("pick_one")


async def _ask_subject(ctx: Ctx) -> list[Reply]:
    buttons = (Button("👤 Cá nhân", "s:ca_nhan"), Button("👥 Tập thể", "s:tap_the"))
    req = await ctx.session.get_one(Requirement, ctx.data["req"])
    return [ctx.reply("decu.ask_subject", buttons=buttons, req=req)]


async def _subject(ctx: Ctx) -> list[Reply]:
    """Stores cá nhân/tập thể and asks for the first field."""
    if ctx.choice not in ("s:ca_nhan", "s:tap_the"):
        raise UserError("pick_one")
    subject = ctx.choice[2:]
    ctx.goto(State.FIELD, subject=subject, field=fields_for(subject)[0].key, values={})
    return await ask_field(ctx, ctx.data["field"])


async def _field(ctx: Ctx) -> list[Reply]:
    """Stores one answer and asks for the next one (then for the report file)."""
    key = ctx.data["field"]
    value = await FIELD_BY_KEY[key].parse(ctx)
    ctx.data["values"] = {**ctx.data["values"], key: value}
    keys = [f.key for f in fields_for(ctx.data["subject"])]
    index = keys.index(key) + 1
    if index < len(keys):
        ctx.goto(State.FIELD, field=keys[index])
        return await ask_field(ctx, keys[index])
    ctx.goto(State.FILE)
    return await _ask_file(ctx)


async def _prompt_field(ctx: Ctx) -> list[Reply]:
    return await ask_field(ctx, ctx.data["field"])


async def _ask_file(ctx: Ctx) -> list[Reply]:
    return [ctx.reply("decu.ask_file", buttons=(Button("⏭ Bỏ qua", "skip"),))]


async def _file(ctx: Ctx) -> list[Reply]:
    """Stores the optional achievement report file and asks for confirmation."""
    if ctx.msg.file is not None:
        req = await ctx.session.get_one(Requirement, ctx.data["req"])
        ctx.goto(State.CONFIRM, file=await inputs.receive_file(ctx, req.accept))
    elif ctx.choice == "skip":
        ctx.goto(State.CONFIRM, file=None)
    else:
        raise UserError("pick_one")
    return await _ask_confirm(ctx)


async def _award_name(ctx: Ctx, code: str) -> str:
    return next((f.name for f in await _award_forms(ctx) if f.code == code), code)


async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    values = ctx.data["values"]
    return [
        ctx.reply(
            "decu.ask_confirm",
            buttons=(Button("✅ Gửi đề cử", "ok"), Button("❌ Hủy", "cancel")),
            subject=ctx.data["subject"],
            v=values,
            award=await _award_name(ctx, values["award"]),
            gender=GENDERS.get(values.get("gender", ""), ""),
            file=ctx.data.get("file"),
        )
    ]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Saves the nomination."""
    if ctx.choice == "cancel":
        ctx.end()
        return [ctx.reply("onboarding.cancelled", busy=True)]
    if ctx.choice != "ok":
        raise UserError("pick_one")
    person, unit = ctx.require_unit_head()
    values = ctx.data["values"]
    req = await ctx.session.get_one(Requirement, ctx.data["req"])
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
    State.FIELD: StateSpec(_field, _prompt_field),
    State.FILE: StateSpec(_file, _ask_file),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
}

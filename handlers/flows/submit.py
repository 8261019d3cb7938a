"""/nop: pick a requirement (and a dossier part), send text or a file, confirm."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.progress import Mark, RequirementProgress
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable
from handlers.kernel.messages import Reply
from handlers.queries.progress import campaign_progress, unit_standing
from storage.models import Requirement, RequirementKind, Submission, SubmissionStatus

__all__ = ["STATES", "Act", "Confirm", "PickPart", "PickRequirement", "State", "begin", "resume"]


class State(StrEnum):
    """The steps of this flow."""

    PICK = "nop.pick"
    PART = "nop.part"
    CONTENT = "nop.content"
    CONFIRM = "nop.confirm"


class PickRequirement(CallbackData, prefix="nop.req"):
    """A requirement the unit may submit for."""

    requirement_id: int


class PickPart(CallbackData, prefix="nop.part"):
    """A dossier part, by its index in the requirement's parts."""

    index: int


class Act(StrEnum):
    """What the person does with the content they sent."""

    OK = "ok"
    REDO = "redo"
    CANCEL = "cancel"


class Confirm(CallbackData, prefix="nop.confirm"):
    """Send, send other content, or cancel."""

    act: Act


async def _owed(ctx: Ctx) -> list[RequirementProgress]:
    """The requirements of active campaigns that apply to the acting unit (not nominations)."""
    _, unit = ctx.require_unit_head()
    result: list[RequirementProgress] = []
    for campaign in await ctx.campaigns.get_active():
        for p in await campaign_progress(ctx.session, campaign, ctx.now, [unit]):
            req = p.requirement
            # A yearly rule's own row is owed by nobody: only its occurrences are sent for.
            if p.marks and req.kind is not RequirementKind.NOMINATION_LIST and not req.recurrence:
                result.append(p)
    return result


async def begin(ctx: Ctx) -> list[Reply]:
    """Lists what the unit must submit and asks which one."""
    ctx.require_unit_head()
    ctx.end()
    owed = await _owed(ctx)
    if not owed:
        raise UserError("no_requirements")
    ctx.goto(State.PICK)
    return await _ask_pick(ctx, owed)


async def resume(ctx: Ctx) -> list[Reply]:
    """Serves :attr:`Entry.RESUBMIT`: asks for the content of ``req`` (and ``part``) again."""
    req = await _requirement(ctx, ctx.data["req"])
    ctx.goto(State.CONTENT, req=req.id, part=ctx.data.get("part", ""))
    return await _ask_content(ctx)


async def _ask_pick(ctx: Ctx, owed: list[RequirementProgress] | None = None) -> list[Reply]:
    if owed is None:
        owed = await _owed(ctx)
    several = len({p.campaign.id for p in owed}) > 1
    buttons = [
        PickRequirement(requirement_id=p.requirement.id).button(
            ctx.label(
                "nop.pick_label", p=p, m=p.marks[0], plan=p.campaign.title if several else None
            )
        )
        for p in owed
    ]
    return [ctx.reply("nop.ask_pick", buttons=buttons)]


async def _standing(ctx: Ctx, requirement_id: int) -> RequirementProgress:
    """The unit's standing on a requirement it may still submit for (not the whole checklist)."""
    _, unit = ctx.require_unit_head()
    progress = await unit_standing(ctx.session, requirement_id, unit, ctx.now)
    if progress is None or progress.requirement.kind is RequirementKind.NOMINATION_LIST:
        raise UserError("pick_one")
    if progress.marks[0].mark is Mark.ACCEPTED:
        raise UserError("already_accepted", title=progress.requirement.title)
    return progress


async def _requirement(ctx: Ctx, requirement_id: int) -> Requirement:
    """The requirement the unit may still submit for."""
    return (await _standing(ctx, requirement_id)).requirement


async def _pick(ctx: Ctx) -> list[Reply]:
    """Stores the chosen requirement; asks for a dossier part or for the content."""
    progress = await _standing(ctx, ctx.expect(PickRequirement).requirement_id)
    req = progress.requirement
    if req.kind is RequirementKind.DOSSIER and req.parts:
        ctx.goto(State.PART, req=req.id)
        return await _ask_part(ctx, progress)
    ctx.goto(State.CONTENT, req=req.id, part="")
    return await _ask_content(ctx, progress)


async def _ask_part(ctx: Ctx, progress: RequirementProgress | None = None) -> list[Reply]:
    """Asks for a dossier part (``progress``: the standing the step just read, if it did)."""
    req = (progress or await _standing(ctx, ctx.data["req"])).requirement
    _, unit = ctx.require_unit_head()
    current = await ctx.submissions.current_for_unit(unit.id, [req.id])
    done = {s.part for s in current if s.status is not SubmissionStatus.WITHDRAWN}
    buttons = [
        PickPart(index=i).button(ctx.label("nop.part_label", part=part, done=part in done))
        for i, part in enumerate(req.parts)
    ]
    return [ctx.reply("nop.ask_part", buttons=buttons, req=req)]


async def _part(ctx: Ctx) -> list[Reply]:
    """Stores the chosen dossier part and asks for the content."""
    progress = await _standing(ctx, ctx.data["req"])
    req = progress.requirement
    index = ctx.expect(PickPart).index
    if not 0 <= index < len(req.parts):
        raise UserError("pick_one")
    ctx.goto(State.CONTENT, part=req.parts[index])
    return await _ask_content(ctx, progress)


async def _ask_content(ctx: Ctx, progress: RequirementProgress | None = None) -> list[Reply]:
    """Asks for the text or file (``progress``: the standing the step just read, if it did).

    Nothing is written between that read and this question (one transaction), so the step's
    standing is the one this question would read again.
    """
    if progress is None:
        progress = await _standing(ctx, ctx.data["req"])
    req = progress.requirement
    _, unit = ctx.require_unit_head()
    history = await ctx.submissions.history(unit.id, req.id, ctx.data.get("part", ""))
    part = ctx.data.get("part", "")
    question = ctx.reply(
        "nop.ask_content",
        req=req,
        part=part,
        previous=history[0] if history else None,
        limit=ctx.deps.max_text_chars,
        tz=progress.campaign.timezone,
    )
    what = ctx.label("web.what_submission", req=req, part=part)
    return [inputs.asks_file(ctx, question, what, req.accept)]


async def _content(ctx: Ctx) -> list[Reply]:
    """Takes the text or file and asks for confirmation."""
    content: dict[str, Any]
    req: Requirement | None = None
    if ctx.msg.file is not None:
        req = await _requirement(ctx, ctx.data["req"])
        content = {"file": await inputs.receive_file(ctx, req.accept), "text": None}
    else:
        content = {"file": None, "text": inputs.free_text(ctx)}
    ctx.goto(State.CONFIRM, **content)
    return await _ask_confirm(ctx, req)


async def _ask_confirm(ctx: Ctx, req: Requirement | None = None) -> list[Reply]:
    """Asks to confirm (``req``: the requirement the step just checked, if it did)."""
    if req is None:
        req = await _requirement(ctx, ctx.data["req"])
    buttons = (
        Confirm(act=Act.OK).button(ctx.label("nop.btn_confirm")),
        Confirm(act=Act.REDO).button(ctx.label("nop.btn_redo")),
        Confirm(act=Act.CANCEL).button(ctx.label("buttons.cancel")),
    )
    return [
        ctx.reply(
            "nop.ask_confirm",
            buttons=buttons,
            req=req,
            part=ctx.data.get("part", ""),
            text=ctx.data.get("text"),
            file=ctx.data.get("file"),
        )
    ]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Saves the submission as a new version (or goes back / cancels)."""
    act = ctx.expect(Confirm).act
    if act is Act.REDO:
        ctx.goto(State.CONTENT, text=None, file=None)
        return await _ask_content(ctx)
    if act is Act.CANCEL:
        ctx.end()
        return [ctx.reply("onboarding.cancelled", busy=True)]
    person, unit = ctx.require_unit_head()
    req = await _requirement(ctx, ctx.data["req"])
    sub = await ctx.submissions.add_version(
        Submission(
            unit_id=unit.id,
            requirement_id=req.id,
            part=ctx.data.get("part", ""),
            text=ctx.data.get("text"),
            file_id=await inputs.stored_file(ctx, ctx.data.get("file")),
            status=SubmissionStatus.SUBMITTED,
            submitted_by=person.id,
            submitted_at=ctx.now,
        )
    )
    ctx.audit(
        "submission.create",
        "submission",
        sub.id,
        unit=unit.code,
        requirement=req.code,
        part=sub.part,
        version=sub.version,
    )
    progress = await unit_standing(ctx.session, req.id, unit, ctx.now)
    assert progress is not None
    ctx.end()
    return [
        ctx.reply(
            "nop.saved",
            req=req,
            sub=sub,
            days_left=progress.days_left_for(unit.id),
            mark=progress.marks[0],
            tz=progress.campaign.timezone,
        )
    ]


STATES: StateTable = {
    State.PICK: StateSpec(_pick, _ask_pick),
    State.PART: StateSpec(_part, _ask_part),
    State.CONTENT: StateSpec(_content, _ask_content),
    State.CONFIRM: StateSpec(_confirm, _ask_confirm),
}

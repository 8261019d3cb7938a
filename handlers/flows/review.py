"""/duyet: the secretariat reviews what the units sent — accepts it or returns it with a reason.

The queue is derived from the database at every step, never stored: the current versions of
submissions and the nominations of the active campaigns whose status is still ``submitted``,
oldest first (``/duyet MÃ-ĐƠN-VỊ``: one unit's only). The conversation keeps the item on show
(``key`` = ``"s:<id>"`` or ``"n:<id>"`` with the version or revision seen), the items put off
this round and what was done.

Acting re-reads the item with a row lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writing transactions) and refuses politely when it changed since it was shown — a new
version, an edit, a withdrawal, or another secretary's decision — then moves on to the next item.

A returned item counts as missing again (:mod:`handlers.queries.progress`), and the unit is told
at once through :func:`handlers.flows.broadcast.notify_unit`.

``Nomination`` has no ``reviewed_by`` / ``reviewed_at`` columns: who reviewed it, and when, is in
the audit log (``nomination.accepted`` / ``nomination.returned``); ``updated_at`` is set too.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from handlers.domain.progress import local_today
from handlers.flows.broadcast import notify_unit
from handlers.io.files import MAX_FILE_BYTES
from handlers.kernel import inputs
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from handlers.kernel.messages import Button, OutgoingFile, Reply
from handlers.kernel.states import StateSpec, StateTable
from storage.models import (
    AuditLog,
    Campaign,
    Nomination,
    NominationStatus,
    Person,
    Requirement,
    StoredFile,
    Submission,
    SubmissionStatus,
    Unit,
)

__all__ = ["REASON_MAX", "REASON_MIN", "STATES", "begin"]

_LOGGER = logging.getLogger(__name__)


class State(StrEnum):
    """The steps of this flow."""

    ITEM = "duyet.item"
    REASON = "duyet.reason"


#: Bounds of a return reason, in characters.
REASON_MIN, REASON_MAX = 5, 500

Item = Submission | Nomination

_ITEM_BUTTONS = (
    Button("✅ Tiếp nhận", "ok"),
    Button("↩️ Trả lại", "return"),
    Button("⏭ Để sau", "skip"),
    Button("❌ Dừng", "stop"),
)
_BACK = Button("⬅️ Quay lại", "back")


# -- the queue ---------------------------------------------------------------------------------
async def _queue(ctx: Ctx, *, with_skipped: bool = False) -> list[str]:
    """Keys of the items awaiting review, oldest first (without those put off this round)."""
    campaigns = await ctx.campaigns.get_active()
    req_ids = [r.id for c in campaigns for r in await ctx.campaigns.requirements_for(c.id)]
    unit_id: int | None = ctx.data.get("unit")
    entries = [
        (at, 0, item_id, f"s:{item_id}")
        for item_id, at in await ctx.submissions.awaiting_review(req_ids, unit_id)
    ]
    entries.extend(
        (at, 1, item_id, f"n:{item_id}")
        for item_id, at in await ctx.nominations.awaiting_review(
            [c.id for c in campaigns], unit_id
        )
    )
    entries.sort()
    skipped = set() if with_skipped else set(ctx.data.get("skipped", []))
    return [key for _, _, _, key in entries if key not in skipped]


async def _load(ctx: Ctx, key: str, *, lock: bool = False) -> Item | None:
    """The item behind ``key`` (locked until the transaction ends if ``lock``)."""
    kind, _, raw = key.partition(":")
    if not raw.isdigit():
        return None
    if kind == "s":
        subs = ctx.submissions
        return await (subs.get_for_update(int(raw)) if lock else subs.get(int(raw)))
    if kind == "n":
        noms = ctx.nominations
        return await (noms.get_for_update(int(raw)) if lock else noms.get(int(raw)))
    return None


def _version(item: Item) -> int:
    """What changes when the unit changes the item (a version, or a nomination's revision)."""
    return item.version if isinstance(item, Submission) else item.revision


# -- showing an item ---------------------------------------------------------------------------
async def _requirement(ctx: Ctx, item: Item) -> Requirement | None:
    if item.requirement_id is None:
        return None
    return await ctx.session.get(Requirement, item.requirement_id)


async def _attachment(ctx: Ctx, file_id: int | None) -> tuple[StoredFile | None, str]:
    """The item's stored file and whether it can go along (``sent``/``too_big``/``unreadable``)."""
    if file_id is None:
        return None, ""
    stored = await ctx.session.get(StoredFile, file_id)
    if stored is None:
        return None, ""
    return stored, "too_big" if stored.size > MAX_FILE_BYTES else "sent"


async def _read(ctx: Ctx, stored: StoredFile) -> OutgoingFile | None:
    try:
        data = await ctx.deps.files.read(stored.path)
    except (OSError, ValueError) as err:
        _LOGGER.warning("stored file %s (%s) cannot be read: %s", stored.id, stored.path, err)
        return None
    return OutgoingFile(stored.name, stored.mime_type, data)


async def _card(ctx: Ctx, item: Item, left: int, *, with_file: bool) -> Reply:
    """The item with everything the secretary needs, its file attached, and the buttons."""
    req = await _requirement(ctx, item)
    unit = await ctx.session.get_one(Unit, item.unit_id)
    sent_at = item.submitted_at if isinstance(item, Submission) else item.created_at
    late_days = 0
    if req is not None:
        campaign = await ctx.session.get_one(Campaign, req.campaign_id)
        late_days = max(0, (local_today(sent_at, campaign.timezone) - req.due_date).days)
    stored, attached = await _attachment(ctx, item.file_id)
    file = None
    if stored is not None and attached == "sent":
        if with_file:
            file = await _read(ctx, stored)
            attached = "sent" if file is not None else "unreadable"
        else:
            attached = "above"
    reply = ctx.reply(
        "duyet.card",
        buttons=_ITEM_BUTTONS,
        it=item,
        is_nomination=isinstance(item, Nomination),
        req=req,
        unit=unit,
        sent_at=sent_at,
        late_days=late_days,
        stored=stored,
        attached=attached,
        left=left,
        skipped=len(ctx.data.get("skipped", [])),
    )
    return Reply(text=reply.text, buttons=reply.buttons, file=file)


async def _next(ctx: Ctx, notes: list[Reply] | None = None) -> list[Reply]:
    """Shows the oldest item still awaiting review, or says the round is over."""
    notes = list(notes or [])
    keys = await _queue(ctx)
    for index, key in enumerate(keys):
        item = await _load(ctx, key)
        if item is not None:
            ctx.goto(State.ITEM, key=key, ver=_version(item))
            return [*notes, await _card(ctx, item, len(keys) - index, with_file=True)]
    return [*notes, await _finish(ctx, stopped=False)]


async def _finish(ctx: Ctx, *, stopped: bool) -> Reply:
    """Ends the round with what was done and what still waits (items put off included)."""
    waiting = len(await _queue(ctx, with_skipped=True))
    unit_id: int | None = ctx.data.get("unit")
    unit = await ctx.units.get(unit_id) if unit_id is not None else None
    params: dict[str, Any] = {
        "unit": unit,
        "accepted": ctx.data.get("accepted", 0),
        "returned": ctx.data.get("returned", 0),
        "skipped": len(ctx.data.get("skipped", [])),
        "waiting": waiting,
        "stopped": stopped,
    }
    ctx.end()
    return ctx.reply("duyet.finished", **params)


# -- refusing an item that changed ------------------------------------------------------------
async def _reviewer(ctx: Ctx, item: Item) -> tuple[str | None, dt.datetime | None]:
    """Who reviewed ``item`` and when (nominations: from the audit log)."""
    if isinstance(item, Submission):
        person_id, at = item.reviewed_by, item.reviewed_at
    else:
        row = (
            await ctx.session.scalars(
                select(AuditLog)
                .where(
                    AuditLog.entity == "nomination",
                    AuditLog.entity_id == item.id,
                    AuditLog.action.in_(("nomination.accepted", "nomination.returned")),
                )
                .order_by(AuditLog.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            person_id, at = None, item.updated_at
        else:
            person_id, at = row.person_id, row.at
    person = await ctx.session.get(Person, person_id) if person_id is not None else None
    return (person.full_name if person is not None else None), at


async def _stale(ctx: Ctx, item: Item | None) -> Reply | None:
    """Why the item on show can no longer be acted on, or None if it is as it was shown."""
    if item is None:
        return ctx.reply("duyet.stale", why="gone", it=None, req=None)
    req = await _requirement(ctx, item)
    params: dict[str, Any] = {"it": item, "req": req}
    shown = int(ctx.data.get("ver", 0))
    if item.status in (SubmissionStatus.WITHDRAWN, NominationStatus.WITHDRAWN):
        return ctx.reply("duyet.stale", why="withdrawn", **params)
    if item.status.value != SubmissionStatus.SUBMITTED.value:  # accepted or returned
        who, at = await _reviewer(ctx, item)
        return ctx.reply("duyet.stale", why=item.status.value, who=who, at=at, **params)
    if isinstance(item, Submission):
        if not item.is_current or item.version != shown:
            history = await ctx.submissions.history(item.unit_id, item.requirement_id, item.part)
            newest = history[0].version if history else item.version
            return ctx.reply("duyet.stale", why="new_version", newest=newest, **params)
    elif item.revision != shown:
        return ctx.reply("duyet.stale", why="edited", **params)
    return None


# -- the conversation --------------------------------------------------------------------------
async def begin(ctx: Ctx) -> list[Reply]:
    """Starts a review round (of every unit, or of the unit named after the command)."""
    ctx.require_secretariat()
    ref = ctx.data.get("args", "")
    ctx.end()
    unit_id = None
    if ref:
        unit = await ctx.units.find(ref)
        if unit is None:
            raise UserError("unit_not_found", ref=ref)
        unit_id = unit.id
    ctx.goto(State.ITEM, unit=unit_id, skipped=[], accepted=0, returned=0)
    return await _next(ctx)


async def _ask_item(ctx: Ctx) -> list[Reply]:
    """Shows the item again (its file was sent with it the first time)."""
    item = await _load(ctx, ctx.data.get("key", ""))
    if item is None:
        return [ctx.reply("duyet.stale", why="gone", it=None, req=None, again=True)]
    left = len(await _queue(ctx))
    return [await _card(ctx, item, max(left, 1), with_file=False)]


async def _item(ctx: Ctx) -> list[Reply]:
    """Accepts, starts returning, puts off or stops."""
    ctx.require_secretariat()
    key: str = ctx.data["key"]
    if ctx.choice == "stop":
        return [await _finish(ctx, stopped=True)]
    if ctx.choice == "skip":
        ctx.data["skipped"] = [*ctx.data.get("skipped", []), key]
        return await _next(ctx)
    if ctx.choice == "ok":
        return await _accept(ctx, key)
    if ctx.choice == "return":
        stale = await _stale(ctx, await _load(ctx, key))
        if stale is not None:
            return await _next(ctx, [stale])
        ctx.goto(State.REASON)
        return await _ask_reason(ctx)
    raise UserError("pick_one")


async def _decide(
    ctx: Ctx, key: str, reason: str | None
) -> tuple[Item, Requirement | None, Unit, dict[str, Any]] | list[Reply]:
    """Lock the item on show and accept it (``reason`` None) or return it; audit the decision.

    Returns the item, its requirement, its unit and the audit detail (the caller may add to it
    before the audit row is written at commit), or the replies when it changed since shown.
    """
    person = ctx.require_secretariat()
    item = await _load(ctx, key, lock=True)
    stale = await _stale(ctx, item)
    if stale is not None or item is None:
        return await _next(ctx, [stale] if stale is not None else [])
    req = await _requirement(ctx, item)
    unit = await ctx.session.get_one(Unit, item.unit_id)
    accepted = reason is None
    item.return_reason = reason
    detail: dict[str, Any] = {
        "unit": unit.code,
        "requirement": req.code if req is not None else None,
    }
    if not accepted:
        detail["reason"] = reason
    if isinstance(item, Submission):
        item.status = SubmissionStatus.ACCEPTED if accepted else SubmissionStatus.RETURNED
        item.reviewed_by = person.id
        item.reviewed_at = ctx.now
        detail.update(part=item.part, version=item.version)
    else:  # nominations keep no reviewer columns: the audit row records who decided
        item.status = NominationStatus.ACCEPTED if accepted else NominationStatus.RETURNED
        item.updated_at = ctx.now
        detail.update(revision=item.revision, reviewed_by=person.id)
    return item, req, unit, detail


def _audit_decision(ctx: Ctx, item: Item, verb: str, detail: dict[str, Any]) -> None:
    entity = "submission" if isinstance(item, Submission) else "nomination"
    ctx.audit(f"{entity}.{verb}", entity, item.id, **detail)


async def _accept(ctx: Ctx, key: str) -> list[Reply]:
    """Accepts the item on show, unless it changed since."""
    decided = await _decide(ctx, key, None)
    if isinstance(decided, list):
        return decided
    item, req, unit, detail = decided
    _audit_decision(ctx, item, "accepted", detail)
    ctx.data["accepted"] = ctx.data.get("accepted", 0) + 1
    done = ctx.reply("duyet.accepted", it=item, req=req, unit=unit)
    return await _next(ctx, [done])


async def _ask_reason(ctx: Ctx) -> list[Reply]:
    item = await _load(ctx, ctx.data.get("key", ""))
    req = await _requirement(ctx, item) if item is not None else None
    return [
        ctx.reply(
            "duyet.ask_reason",
            buttons=(_BACK,),
            it=item,
            req=req,
            min=REASON_MIN,
            max=REASON_MAX,
        )
    ]


async def _reason(ctx: Ctx) -> list[Reply]:
    """Takes the reason and returns the item to its unit, which is told at once."""
    ctx.require_secretariat()
    key: str = ctx.data["key"]
    if ctx.choice == "back":
        ctx.goto(State.ITEM)
        return await _ask_item(ctx)
    reason = inputs.free_text(ctx, limit=REASON_MAX, minimum=REASON_MIN)
    decided = await _decide(ctx, key, reason)
    if isinstance(decided, list):
        return decided
    item, req, unit, detail = decided
    days_left = None
    if req is not None:
        campaign = await ctx.session.get_one(Campaign, req.campaign_id)
        days_left = (req.due_date - local_today(ctx.now, campaign.timezone)).days
    notice = ctx.t(
        "duyet.notice",
        it=item,
        is_nomination=isinstance(item, Nomination),
        req=req,
        unit=unit,
        reason=reason,
        days_left=days_left,
    )
    reached = await notify_unit(ctx, unit, notice)
    detail["notified"] = reached
    _audit_decision(ctx, item, "returned", detail)
    ctx.data["returned"] = ctx.data.get("returned", 0) + 1
    done = ctx.reply("duyet.returned", it=item, req=req, unit=unit, reached=reached)
    return await _next(ctx, [done])


STATES: StateTable = {
    State.ITEM: StateSpec(_item, _ask_item),
    State.REASON: StateSpec(_reason, _ask_reason),
}

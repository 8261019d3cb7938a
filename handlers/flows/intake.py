"""A plan from its document (``/kehoach`` → "Kế hoạch mới từ văn bản"): read, review, create.

The secretariat sends the plan as a file (or pastes its text); the bot answers with what it read
— number, date, issuer, title and each proposed item with its due, kind, units and the quoted
phrase — a few items per page. Each item is accepted, edited (title, due, kind; its units, a
dossier's parts and its file types in :mod:`handlers.flows.intake_items`), dropped; items can be
added. "Tạo kế hoạch" creates the campaign (:mod:`handlers.services.intake`) and
offers to announce it to the units concerned, with the plan file attached.

The proposals live in a database draft (``plan_drafts``), not in the conversation: the
conversation keeps only the draft's id, the page and the item, so a restart resumes and a second
secretariat sees (and can continue) the same draft.
"""

from __future__ import annotations

import asyncio
import functools
from enum import StrEnum
from typing import Any

from handlers.domain.errors import UserError
from handlers.domain.fields import parse_text
from handlers.kernel import inputs
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx, StateSpec, StateTable, Step
from handlers.kernel.messages import Reply
from handlers.kernel.states import Entry
from handlers.services import intake, intake_items
from storage.models import PlanDraft

__all__ = [
    "PAGE",
    "STATES",
    "Announce",
    "CreateAct",
    "ItemAct",
    "OpenItem",
    "Page",
    "PickKind",
    "Resume",
    "ReviewAct",
    "State",
    "begin",
    "show_item",
]

#: Items shown per page.
PAGE = 5
_TITLE_MAX = 255


class State(StrEnum):
    """The steps of this flow."""

    SOURCE = "intake.source"
    REVIEW = "intake.review"
    ITEM = "intake.item"
    TITLE = "intake.title"
    DUE = "intake.due"
    KIND = "intake.kind"
    ADD = "intake.add"
    CONFIRM = "intake.confirm"
    ANNOUNCE = "intake.announce"


class Resume(CallbackData, prefix="intake.resume"):
    """An open draft to continue."""

    draft_id: int


class Page(CallbackData, prefix="intake.page"):
    """A page of the draft's items."""

    page: int


class OpenItem(CallbackData, prefix="intake.open"):
    """An item to look at (its index in the draft)."""

    index: int


class Review(StrEnum):
    """What can be done under the list."""

    ACCEPT_ALL = "accept_all"
    ADD = "add"
    CREATE = "create"
    DISCARD = "discard"


class ReviewAct(CallbackData, prefix="intake.act"):
    """A button under the list."""

    act: Review


class Item(StrEnum):
    """What can be done to one item."""

    ACCEPT = "accept"
    TITLE = "title"
    DUE = "due"
    KIND = "kind"
    UNITS = "units"
    PARTS = "parts"
    TYPES = "types"
    DROP = "drop"
    RESTORE = "restore"
    BACK = "back"


class ItemAct(CallbackData, prefix="intake.item"):
    """A button under one item."""

    act: Item


class PickKind(CallbackData, prefix="intake.kind"):
    """The requirement kind of an item."""

    kind: str


class CreateAct(CallbackData, prefix="intake.create"):
    """Yes (create the campaign) or back to the list."""

    yes: bool


class Announce(CallbackData, prefix="intake.announce"):
    """Announce the new campaign to its units, or not."""

    yes: bool


# -- start ------------------------------------------------------------------------------------
async def begin(ctx: Ctx) -> list[Reply]:
    """Asks for the plan's file or text; offers the open drafts to continue."""
    ctx.require_secretariat()
    ctx.end()
    ctx.goto(State.SOURCE)
    return await _ask_source(ctx)


async def _ask_source(ctx: Ctx) -> list[Reply]:
    drafts = await intake.open_drafts(ctx.session)
    buttons = [Resume(draft_id=d.id).button(ctx.label("intake.draft_label", d=d)) for d in drafts]
    question = ctx.reply("intake.ask_source", buttons=buttons, drafts=drafts)
    return [inputs.asks_file(ctx, question, ctx.label("intake.what_plan"), intake.ACCEPTS)]


async def _source(ctx: Ctx) -> list[Reply]:
    """Takes the plan (a file or pasted text), or an open draft to continue."""
    person = ctx.require_secretariat()
    resumed = ctx.pressed(Resume)
    if resumed is not None:
        draft = await intake.get_open(ctx.session, resumed.draft_id)
        return await _to_review(ctx, draft.id)
    file_id = None
    if ctx.msg.file is None:
        text = parse_text(ctx.text, limit=intake.TEXT_MAX)
    else:
        file = ctx.msg.file
        intake.check_upload(file.name, file.size)  # refused before the download
        data = await file.read()
        text = await asyncio.to_thread(intake.read_upload, file.name, data)
        file_id = await intake.keep_upload(
            ctx.session, ctx.deps.files, file.name, file.mime_type, data, ctx.now
        )
    draft = await intake.start_draft(ctx.session, text, file_id=file_id, by=person, now=ctx.now)
    return await _to_review(ctx, draft.id)


async def _draft(ctx: Ctx, *, lock: bool = False) -> PlanDraft:
    """The conversation's draft, read again (``intake_draft_gone`` when it is not open)."""
    return await intake.get_open(ctx.session, int(ctx.data["draft_id"]), for_update=lock)


def _guarded(step: Step) -> Step:
    """``step``, ending the conversation when another secretariat created or cancelled it."""

    @functools.wraps(step)
    async def run(ctx: Ctx) -> list[Reply]:
        try:
            return await step(ctx)
        except UserError as err:
            if err.key != "intake_draft_gone":
                raise
            ctx.end()
            return [ctx.reply("errors.intake_draft_gone")]

    return run


# -- the list ---------------------------------------------------------------------------------
async def _to_review(ctx: Ctx, draft_id: int, page: int | None = None) -> list[Reply]:
    ctx.goto(State.REVIEW, draft_id=draft_id, page=page or 0, item=None)
    return await _ask_review(ctx)


async def _ask_review(ctx: Ctx) -> list[Reply]:
    draft = await _draft(ctx)
    items: list[dict[str, Any]] = draft.plan["items"]
    page, pages, rows, counts = intake.page_of(draft, int(ctx.data.get("page", 0)), PAGE)
    ctx.data["page"] = page
    buttons = [
        OpenItem(index=n - 1).button(ctx.label("intake.item_button", n=n)) for n, _, _ in rows
    ]
    if page > 0:
        buttons.append(Page(page=page - 1).button(ctx.label("intake.btn_prev")))
    if page < pages - 1:
        buttons.append(Page(page=page + 1).button(ctx.label("intake.btn_next")))
    if counts["proposed"]:
        buttons.append(ReviewAct(act=Review.ACCEPT_ALL).button(ctx.label("intake.btn_accept_all")))
    buttons.append(ReviewAct(act=Review.ADD).button(ctx.label("intake.btn_add")))
    if items:
        buttons.append(ReviewAct(act=Review.CREATE).button(ctx.label("intake.btn_create")))
    buttons.append(ReviewAct(act=Review.DISCARD).button(ctx.label("intake.btn_discard")))
    params = {"rows": rows, "page": page, "pages": pages, "counts": counts}
    return [
        ctx.reply(
            "intake.review",
            buttons=buttons,
            plan=draft.plan,
            kinds=ctx.deps.unit_kinds.labels,
            **params,
        )
    ]


async def _review(ctx: Ctx) -> list[Reply]:
    """Takes a page, an item to open, or an action on the whole draft."""
    person = ctx.require_secretariat()
    page = ctx.pressed(Page)
    if page is not None:
        ctx.goto(State.REVIEW, page=page.page)
        return await _ask_review(ctx)
    opened = ctx.pressed(OpenItem)
    if opened is not None:
        draft = await _draft(ctx)
        if not 0 <= opened.index < len(draft.plan["items"]):
            raise UserError("pick_one")
        ctx.goto(State.ITEM, item=opened.index)
        return await _ask_item(ctx)
    act = ctx.expect(ReviewAct).act
    if act is Review.ADD:
        await _draft(ctx)
        ctx.goto(State.ADD)
        return await _ask_add(ctx)
    draft = await _draft(ctx, lock=True)
    if act is Review.ACCEPT_ALL:
        intake.accept_all(ctx.session, draft, by=person, now=ctx.now)
        return await _ask_review(ctx)
    if act is Review.DISCARD:
        intake.cancel_draft(ctx.session, draft, by=person, now=ctx.now)
        ctx.end()
        return [ctx.reply("intake.discarded")]
    if not intake.accepted_items(draft)[0]:
        raise UserError("intake_nothing_to_create")
    intake_items.check_targets(draft)
    ctx.goto(State.CONFIRM)
    return await _ask_confirm(ctx)


# -- one item ---------------------------------------------------------------------------------
def _index(ctx: Ctx) -> int:
    return int(ctx.data["item"])


async def _item_of(ctx: Ctx, *, lock: bool = False) -> tuple[PlanDraft, dict[str, Any]]:
    draft = await _draft(ctx, lock=lock)
    items = draft.plan["items"]
    index = _index(ctx)
    if not 0 <= index < len(items):
        ctx.goto(State.REVIEW, item=None)
        raise UserError("item_gone")
    return draft, items[index]


async def show_item(ctx: Ctx) -> list[Reply]:
    """Shows item ``ctx.data["item"]`` of draft ``draft_id`` (back from its targets' questions)."""
    ctx.require_secretariat()
    ctx.goto(State.ITEM)
    return await _guarded(_ask_item)(ctx)


async def _ask_item(ctx: Ctx) -> list[Reply]:
    _, item = await _item_of(ctx)
    acts = [Item.TITLE, Item.DUE, Item.KIND, Item.UNITS]
    if item["kind"] == "dossier":
        acts.append(Item.PARTS)
    acts.append(Item.TYPES)
    if item["status"] == "dropped":
        acts = [Item.RESTORE]
    else:
        if item["status"] == "proposed":
            acts.insert(0, Item.ACCEPT)
        acts.append(Item.DROP)
    acts.append(Item.BACK)
    buttons = [ItemAct(act=a).button(ctx.label(f"intake.btn_{a.value}")) for a in acts]
    return [
        ctx.reply(
            "intake.item",
            buttons=buttons,
            n=_index(ctx) + 1,
            item=item,
            form=intake.due_form(item["due"]),
            kinds=ctx.deps.unit_kinds.labels,
        )
    ]


def _set(ctx: Ctx, draft: PlanDraft, **changes: Any) -> None:
    person = ctx.require_secretariat()
    intake.update_item(ctx.session, draft, _index(ctx), by=person, now=ctx.now, **changes)


async def _item(ctx: Ctx) -> list[Reply]:
    """Takes what to do to the item."""
    ctx.require_secretariat()
    act = ctx.expect(ItemAct).act
    if act is Item.BACK:
        return await _to_review(ctx, int(ctx.data["draft_id"]), int(ctx.data.get("page", 0)))
    draft, _ = await _item_of(ctx, lock=True)
    if act in (Item.ACCEPT, Item.DROP, Item.RESTORE):
        status = {Item.ACCEPT: "accepted", Item.DROP: "dropped"}.get(act, "proposed")
        _set(ctx, draft, status=status)
        return await _to_review(ctx, draft.id, int(ctx.data.get("page", 0)))
    if act in (Item.UNITS, Item.PARTS, Item.TYPES):
        what = {Item.UNITS: "units", Item.PARTS: "parts"}.get(act, "accept")
        return await _to_targets(ctx, what)
    state, ask = {
        Item.TITLE: (State.TITLE, _ask_title),
        Item.DUE: (State.DUE, _ask_due),
        Item.KIND: (State.KIND, _ask_kind),
    }[act]
    ctx.goto(state)
    return await ask(ctx)


async def _to_targets(ctx: Ctx, what: str) -> list[Reply]:
    """Hands over to :mod:`handlers.flows.intake_items` (it comes back to the item)."""
    keep = {k: ctx.data.get(k) for k in ("draft_id", "page", "item")}
    return await ctx.enter(Entry.INTAKE_TARGETS, what=what, **keep)


async def _back_to_item(ctx: Ctx) -> list[Reply]:
    ctx.goto(State.ITEM)
    return await _ask_item(ctx)


async def _ask_title(ctx: Ctx) -> list[Reply]:
    return [ctx.reply("intake.ask_title", n=_index(ctx) + 1)]


async def _title(ctx: Ctx) -> list[Reply]:
    """Takes the item's new title."""
    ctx.require_secretariat()
    title = " ".join(inputs.free_text(ctx, limit=_TITLE_MAX).split())
    draft, _ = await _item_of(ctx, lock=True)
    _set(ctx, draft, title=title)
    return await _back_to_item(ctx)


async def _ask_due(ctx: Ctx) -> list[Reply]:
    return [ctx.reply("intake.ask_due", n=_index(ctx) + 1)]


async def _due(ctx: Ctx) -> list[Reply]:
    """Takes the item's due: a day, a month or quarter, a period, or "chưa có hạn"."""
    ctx.require_secretariat()
    due = intake.parse_due(inputs.free_text(ctx, limit=100))
    draft, _ = await _item_of(ctx, lock=True)
    _set(ctx, draft, due=due, relative=None, time=None)
    return await _back_to_item(ctx)


async def _ask_kind(ctx: Ctx) -> list[Reply]:
    buttons = [
        PickKind(kind=k).button(ctx.label("intake.kind_label", kind=k)) for k in intake.EDIT_KINDS
    ]
    return [ctx.reply("intake.ask_kind", buttons=buttons, n=_index(ctx) + 1)]


async def _kind(ctx: Ctx) -> list[Reply]:
    """Takes the item's requirement kind."""
    ctx.require_secretariat()
    kind = ctx.expect(PickKind).kind
    if kind not in intake.EDIT_KINDS:
        raise UserError("pick_one")
    draft, item = await _item_of(ctx, lock=True)
    _set(ctx, draft, kind=kind)
    if kind == "dossier" and not item.get("parts"):
        return await _to_targets(ctx, "parts")  # a dossier is made of its parts
    return await _back_to_item(ctx)


async def _ask_add(ctx: Ctx) -> list[Reply]:
    return [ctx.reply("intake.ask_add")]


async def _add(ctx: Ctx) -> list[Reply]:
    """Takes the title of an item added by hand, then asks its due."""
    person = ctx.require_secretariat()
    title = " ".join(inputs.free_text(ctx, limit=_TITLE_MAX).split())
    draft = await _draft(ctx, lock=True)
    index = intake.add_item(ctx.session, draft, title, by=person, now=ctx.now)
    ctx.goto(State.DUE, item=index, page=index // PAGE)
    return await _ask_due(ctx)


# -- creating the campaign --------------------------------------------------------------------
async def _ask_confirm(ctx: Ctx) -> list[Reply]:
    draft = await _draft(ctx)
    fixed, undated = intake.accepted_items(draft)
    if not fixed:  # another secretariat changed the draft meanwhile
        ctx.goto(State.REVIEW)
        return [ctx.reply("errors.intake_nothing_to_create"), *await _ask_review(ctx)]
    buttons = [
        CreateAct(yes=True).button(ctx.label("intake.btn_yes_create")),
        CreateAct(yes=False).button(ctx.label("intake.btn_back")),
    ]
    proposed = sum(item["status"] == "proposed" for item in draft.plan["items"])
    return [
        ctx.reply(
            "intake.confirm",
            buttons=buttons,
            plan=draft.plan,
            fixed=fixed,
            undated=undated,
            proposed=proposed,
            kinds=ctx.deps.unit_kinds.labels,
        )
    ]


async def _confirm(ctx: Ctx) -> list[Reply]:
    """Creates the campaign on "yes", or goes back to the list."""
    person = ctx.require_secretariat()
    if not ctx.expect(CreateAct).yes:
        return await _to_review(ctx, int(ctx.data["draft_id"]), int(ctx.data.get("page", 0)))
    draft = await _draft(ctx, lock=True)
    campaign = await intake.create_campaign(
        ctx.session, ctx.deps.texts, draft, by=person, now=ctx.now
    )
    ctx.goto(State.ANNOUNCE, campaign_id=campaign.id, file_id=draft.file_id)
    return await _ask_announce(ctx)


async def _ask_announce(ctx: Ctx) -> list[Reply]:
    campaign = await ctx.campaigns.get(int(ctx.data["campaign_id"]))
    if campaign is None:
        ctx.end()
        return [ctx.reply("errors.item_gone")]
    buttons = [
        Announce(yes=True).button(ctx.label("intake.btn_announce")),
        Announce(yes=False).button(ctx.label("intake.btn_no_announce")),
    ]
    return [
        ctx.reply(
            "intake.created",
            buttons=buttons,
            code=campaign.code,
            title=campaign.title,
            requirements=len(await ctx.campaigns.requirements_for(campaign.id)),
            undated=len(campaign.settings.get("undated", [])),
            units=await intake.campaign_units(ctx.session, campaign.id, ctx.now),
            has_file=ctx.data.get("file_id") is not None,
        )
    ]


async def _announce(ctx: Ctx) -> list[Reply]:
    """Queues the announcement of the new campaign to its units (with the plan file), or not."""
    person = ctx.require_secretariat()
    yes = ctx.expect(Announce).yes
    campaign_id, file_id = int(ctx.data["campaign_id"]), ctx.data.get("file_id")
    ctx.end()
    campaign = await ctx.campaigns.get(campaign_id)
    if not yes or campaign is None:
        return [ctx.reply("intake.not_announced")]
    queued = await intake.announce_campaign(
        ctx.session,
        ctx.deps.texts,
        campaign,
        file_id=file_id,
        by=person,
        origin=ctx.msg.key,
        now=ctx.now,
    )
    if queued is None:
        return [ctx.reply("intake.nobody")]
    ctx.wake_after_commit("broadcast")
    return [
        ctx.reply(
            "intake.announced",
            id=queued.broadcast.id,
            recipients=queued.pending,
            units=queued.units,
        )
    ]


def _spec(handle: Step, prompt: Step) -> StateSpec:
    return StateSpec(_guarded(handle), _guarded(prompt))


STATES: StateTable = {
    State.SOURCE: _spec(_source, _ask_source),
    State.REVIEW: _spec(_review, _ask_review),
    State.ITEM: _spec(_item, _ask_item),
    State.TITLE: _spec(_title, _ask_title),
    State.DUE: _spec(_due, _ask_due),
    State.KIND: _spec(_kind, _ask_kind),
    State.ADD: _spec(_add, _ask_add),
    State.CONFIRM: _spec(_confirm, _ask_confirm),
    State.ANNOUNCE: _spec(_announce, _ask_announce),
}

"""The dispatcher: one entry point every channel calls with an :class:`Incoming`.

Each message is handled under a per-chat lock, inside one database transaction that also locks
the chat's conversation row, so two messages of one chat never interleave — not within a process,
not across processes on PostgreSQL. A :class:`UserError` changes nothing, answers in Vietnamese
and asks the current step's question again: a step that wrote (or holds a change) is rolled back
and refused in a new transaction; one that only read is refused in its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import logging
import weakref
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.errors import UserError
from handlers.domain.files import MAX_FILE_BYTES
from handlers.domain.intents import IntentMatch, match_intent
from handlers.domain.normalize import ascii_int, normalize_text
from handlers.kernel.callbacks import Ask, Command
from handlers.kernel.context import CoreDeps, Ctx
from handlers.kernel.messages import ChatKey, Incoming, Reply
from handlers.kernel.routes import Routes
from handlers.kernel.states import IDLE, Entry
from storage.db import has_pending, writes
from storage.models import ChatAccount, Person, Unit
from storage.repositories.conversations import ConversationRepository, StoredConversation
from storage.repositories.updates import ProcessedUpdateRepository
from storage.text import fold_text

__all__ = ["Core", "CoreDeps", "normalize_incoming"]

_LOGGER = logging.getLogger(__name__)

_BUTTONS_KEY = "_buttons"


class _Loaded(NamedTuple):
    """What a message's transaction read first: the chat's step and the sender."""

    row: StoredConversation | None
    account: ChatAccount | None
    person: Person | None
    unit: Unit | None


class Core:
    """Routes each incoming message to a step and returns the replies.

    Args:
        deps: What the steps need (database, files, texts, clock…).
        routes: The commands, states and hand-overs to route to (``handlers.routes.ROUTES``).
    """

    def __init__(self, deps: CoreDeps, routes: Routes) -> None:
        self._deps = deps
        self._routes = routes
        self._locks: weakref.WeakValueDictionary[ChatKey, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        bind = deps.session_factory.kw.get("bind")
        #: SQLite has one writer at a time and every message's transaction writes (``BEGIN
        #: IMMEDIATE``): this process's messages take turns here rather than in SQLite's busy
        #: handler, which polls and gives up after its timeout ("database is locked") when
        #: many chats write at once. PostgreSQL locks rows: its messages run side by side.
        dialect = getattr(getattr(bind, "dialect", None), "name", None)
        self._writer: asyncio.Lock | None = asyncio.Lock() if dialect == "sqlite" else None

    @property
    def deps(self) -> CoreDeps:
        """The injected dependencies."""
        return self._deps

    def load_flows(self) -> None:
        """Import every flow now; the first messages import only the flows they use.

        A channel calls it once its first answers are out (start-up is over), so that no later
        message waits for a flow's import.
        """
        self._routes.load()

    def apology(self) -> Reply:
        """What a channel's error boundary says when handling a message failed unexpectedly."""
        return Reply(text=self._deps.texts("errors.internal"))

    def _lock(self, key: ChatKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Handle one message and return the replies to send to its chat.

        A message whose ``update_id`` was already processed returns no replies and changes
        nothing: the id is stored in the same transaction as the message's effects.
        """
        msg = normalize_incoming(msg)
        if (
            not msg.is_private
            and msg.callback_data is None
            and self._routes.parse_command(msg.text) is None
        ):
            return []  # group chatter is not for the bot
        msg = await _prefetch(msg)  # before the transaction: a download never holds a lock
        lock = self._lock(msg.key)
        async with lock, self._writer or contextlib.nullcontext():
            try:
                async with self._deps.session_factory.begin() as session:
                    if not await self._first_delivery(session, msg):
                        return []
                    loaded = await self._load(session, msg)
                    ctx = self._ctx(session, msg, loaded)
                    before = writes(session)
                    try:
                        replies = await self._route(ctx)
                    except UserError as err:
                        if writes(session) != before or has_pending(session):
                            raise  # the step changed something: undone, refused below
                        # Nothing to undo: refused in this transaction, which keeps the claim.
                        return await self._refusal(self._ctx(session, msg, loaded), err)
                    await self._save(ctx, loaded.row, replies)
                if self._deps.wake is not None:
                    for topic in sorted(ctx.wakeups):
                        self._deps.wake(topic)
            except UserError as err:
                return await self._refuse(msg, err)
            except IntegrityError:
                if msg.update_id is None:
                    raise
                async with self._deps.session_factory() as session:
                    if not await ProcessedUpdateRepository(session).seen(
                        msg.key.channel, msg.update_id
                    ):
                        raise
                _LOGGER.info("update %s was processed concurrently; skipped", msg.update_id)
                return []
        if not msg.is_private:  # choices in a group could be pressed by anyone
            replies = [dataclasses.replace(r, buttons=(), is_menu=False) for r in replies]
        return replies

    async def _first_delivery(self, session: AsyncSession, msg: Incoming) -> bool:
        """Record the message's update id; False if it was processed before."""
        if msg.update_id is None:
            return True
        updates = ProcessedUpdateRepository(session)
        if not await updates.claim(msg.key.channel, msg.update_id, self._deps.clock()):
            _LOGGER.info("update %s delivered again; skipped", msg.update_id)
            return False
        return True

    # -- internals -----------------------------------------------------------------------
    async def _load(self, session: AsyncSession, msg: Incoming) -> _Loaded:
        row, account, person, unit = await ConversationRepository(session).load_with_sender(
            msg.key.channel, msg.key.chat_id, msg.user_id
        )
        if account is not None:
            if person is not None and person.removed_at is not None:  # removed: unlinked again
                person = unit = None
            if msg.is_private and account.unreachable_at is not None:
                account.unreachable_at = None  # they wrote again: reachable again
        return _Loaded(row, account, person, unit)

    def _ctx(self, session: AsyncSession, msg: Incoming, loaded: _Loaded) -> Ctx:
        """A context for ``msg`` as ``loaded`` (its stored data copied: steps change theirs)."""
        row = loaded.row
        ctx = Ctx(
            session=session,
            deps=self._deps,
            msg=msg,
            now=self._deps.clock(),
            account=loaded.account,
            person=loaded.person,
            unit=loaded.unit,
            state=row.state if row is not None else IDLE,
            data=copy.deepcopy(row.data) if row is not None else {},
            enter_flow=self._enter,
        )
        ctx.loaded_state = ctx.state
        ctx.prev_buttons = ctx.data.pop(_BUTTONS_KEY, [])
        return ctx

    async def _save(self, ctx: Ctx, row: StoredConversation | None, replies: list[Reply]) -> None:
        buttons = next((r.buttons for r in reversed(replies) if r.buttons), ())
        stored = [[b.label, b.data] for b in buttons]
        if not stored and ctx.state == ctx.loaded_state != IDLE:
            stored = ctx.prev_buttons  # e.g. /trogiup mid-step: the step's choices stay valid
        data = dict(ctx.data)
        data[_BUTTONS_KEY] = stored
        if row is None and ctx.state == IDLE and not stored:
            return
        if row is not None and row.state == ctx.state and row.data == data:
            return  # the same step and choices as stored (a question asked again): no write
        await ConversationRepository(ctx.session).save(
            ctx.msg.key.channel, ctx.msg.key.chat_id, ctx.state, data, ctx.now, row
        )

    async def _route(self, ctx: Ctx) -> list[Reply]:
        msg = ctx.msg
        stored = ctx.prev_buttons
        if msg.unreadable:
            raise UserError("unreadable")
        if msg.file is not None and msg.file.beyond_channel:
            raise UserError(
                "file_beyond_channel",
                size_mb=round(msg.file.size / 1024 / 1024, 1),
                max_mb=round((msg.file.limit or 0) / 1024 / 1024),
            )
        if msg.callback_data is None:
            parsed = self._routes.parse_command(msg.text.strip())
            if parsed is not None:
                return await self._command(ctx, *parsed)
            code = self._link_code(ctx)
            if code is not None:
                return await self._command(ctx, self._routes.link_command, code)
            ctx.choice = self._routes.menu_command(ctx, msg.text) if msg.file is None else None
            candidates: list[str] = []
            if ctx.choice is None and stored and msg.file is None:
                ctx.choice = _match_button(msg.text, stored)
                if ctx.choice is None:
                    candidates = _labels_containing(msg.text, stored)
                    if len(candidates) == 1:
                        ctx.choice = next(d for label, d in stored if label == candidates[0])
            if ctx.choice is None and msg.file is None and ctx.person is not None:
                answered = await self._question(ctx)
                if answered is not None:
                    return answered
            if ctx.choice is None and len(candidates) > 1:
                raise UserError(
                    "ambiguous_choice",
                    options=candidates[:_LISTED],
                    more=len(candidates[_LISTED:]),
                )
        elif (
            Command.unpack(msg.callback_data) is not None
            or Ask.unpack(msg.callback_data) is not None
        ):
            ctx.choice = msg.callback_data  # menu buttons never go stale
        elif msg.callback_data in {data for _, data in stored}:
            ctx.choice = msg.callback_data
        else:
            raise UserError("stale_button")
        menu = ctx.pressed(Command)
        if menu is not None:
            return await self._command(ctx, *self._routes.resolve(menu.name))
        if ctx.person is None:
            return [ctx.reply("errors.not_linked")]
        ask = ctx.pressed(Ask)
        if ask is not None:
            answered = await self._answer(ctx, IntentMatch(ask.intent))
            return answered if answered is not None else [ctx.reply("onboarding.unknown")]
        spec = self._routes.state(ctx.state)
        if spec is None:
            ctx.end()
            return [ctx.reply("onboarding.unknown")]
        replies = await spec.handle(ctx)
        ctx.prev_buttons = []  # the step answered: its earlier choices are no longer offered
        return replies

    def _link_code(self, ctx: Ctx) -> str | None:
        """An invite code typed without ``/start`` by an unlinked private chat, if any."""
        link_text = self._routes.link_text
        msg = ctx.msg
        if link_text is None or ctx.person is not None or msg.file is not None:
            return None
        if not msg.is_private:
            return None
        return link_text(msg.text)

    async def _question(self, ctx: Ctx) -> list[Reply] | None:
        """Answer an everyday question typed in plain words; None if the text is not one.

        Outside a step any question is recognised; an unclear one is answered with its likely
        meanings as choices. Inside a step only a clear question is, and only when the step
        offers choices (the text cannot be a free-text answer to it).
        """
        in_step = ctx.state != IDLE
        if in_step and not ctx.prev_buttons:
            return None
        found = match_intent(ctx.text)
        if found is None:
            return None
        if isinstance(found, IntentMatch):
            return await self._answer(ctx, found)
        if in_step:
            return None
        found = [m for m in found if m.intent in self._routes.intents]
        if not found:
            return None
        buttons = [
            Ask(intent=m.intent).button(ctx.label(f"intents.{m.intent.value}")) for m in found
        ]
        return [ctx.reply("intents.unclear", buttons=buttons)]

    async def _answer(self, ctx: Ctx, question: IntentMatch) -> list[Reply] | None:
        """Run the command answering ``question`` for the asker's role.

        Asked in the middle of a step that the answer does not replace, the step goes on: its
        state, data and choices stay as they were.
        """
        route = self._routes.intents.get(question.intent)
        if route is None:
            return None
        role = ctx.person.role if ctx.person is not None else None
        state, data = ctx.state, dict(ctx.data)
        replies = await self._command(ctx, route.command_for(role), question.arg)
        if state != IDLE and ctx.state == IDLE:
            ctx.state, ctx.data = state, data
        return replies

    async def _command(self, ctx: Ctx, name: str, args: str) -> list[Reply]:
        if name.startswith("?"):
            raise UserError("unknown_command", name=name[1:])
        command = self._routes.commands[name]
        if command.needs_link and ctx.person is None:
            return [ctx.reply("errors.not_linked")]
        if command.private_only and not ctx.msg.is_private:
            return [ctx.reply("onboarding.private_only")]
        ctx.data["args"] = args
        replies = await command.step()(ctx)
        ctx.data.pop("args", None)
        return replies

    async def _enter(self, ctx: Ctx, entry: Entry) -> list[Reply]:
        """Serve a flow's hand-over to another flow (:meth:`Ctx.enter`)."""
        return await self._routes.entries[entry]()(ctx)

    async def _refuse(self, msg: Incoming, err: UserError) -> list[Reply]:
        """Answer a refused message whose step's changes were rolled back.

        One transaction records the update id (so a redelivery is not refused twice) and reads
        what the question needs.
        """
        async with self._deps.session_factory.begin() as session:
            if not await self._first_delivery(session, msg):
                return []
            return await self._refusal(
                self._ctx(session, msg, await self._load(session, msg)), err
            )

    async def _refusal(self, ctx: Ctx, err: UserError) -> list[Reply]:
        """The refusal of ``ctx``'s message, with the current step's question asked again."""
        msg = ctx.msg
        refusal = Reply(text=self._deps.texts(f"errors.{err.key}", **err.params))
        replies = [refusal]
        spec = self._routes.state(ctx.state)
        in_step = (
            self._routes.parse_command(msg.text.strip()) is None
            and Command.unpack(msg.callback_data) is None
        )
        if spec is not None and ctx.person is not None and in_step:
            replies = _with_refusal(refusal, await spec.prompt(ctx))
        _LOGGER.debug("refused %s in state %s: %s", msg.key, ctx.state, err.key)
        return replies


def _with_refusal(refusal: Reply, question: list[Reply]) -> list[Reply]:
    """The refusal above the repeated question, as one message when the question is text.

    One message on the phone, not two: the reason and what to answer read together, and the
    question's choices stay under it. A question that asks for a file stays a message of its
    own: the web companion's upload page is that question, and shows only the refusal.
    """
    if not question or question[0].file is not None or question[0].file_request is not None:
        return [refusal, *question]
    first = question[0]
    return [dataclasses.replace(first, text=f"{refusal.text}\n\n{first.text}"), *question[1:]]


def normalize_incoming(msg: Incoming) -> Incoming:
    """The message as every step sees it: its text, file name and sender's name normalised.

    One normalisation at the boundary (:func:`handlers.domain.normalize.normalize_text`): NFC,
    no invisible characters. A text that was invisible is empty, and steps refuse it.
    """
    file = msg.file
    if file is not None:
        name = normalize_text(file.name).replace("/", "_").replace("\\", "_")
        file = dataclasses.replace(file, name=name or "tep")
    return dataclasses.replace(
        msg,
        text=normalize_text(msg.text),
        file=file,
        display_name=normalize_text(msg.display_name) if msg.display_name else msg.display_name,
    )


async def _prefetch(msg: Incoming) -> Incoming:
    """Download a private message's file now, so that the step's transaction stays short.

    A file that is empty or over the size limit is not downloaded: the step refuses it by its
    declared size.
    """
    file = msg.file
    if file is None or not msg.is_private or not 0 < file.size <= MAX_FILE_BYTES:
        return msg
    if file.beyond_channel:
        return msg
    data = await file.read()

    async def read() -> bytes:
        return data

    return dataclasses.replace(msg, file=dataclasses.replace(file, read=read))


def _match_button(text: str, stored: list[list[str]]) -> str | None:
    """Resolve a typed number or label to a button's data (text-only channels).

    A number picks by position (ASCII digits, within range); otherwise the label is compared
    without case, diacritics or punctuation.
    """
    number = ascii_int(text)
    if number is not None:
        return stored[number - 1][1] if 1 <= number <= len(stored) else None
    typed = fold_text(text)
    for label, data in stored:
        if typed and fold_text(label) == typed:
            return data
    return None


#: A typed part of a label shorter than this never picks a button ("a" is in every label).
_MIN_PART = 3
#: At most this many candidates named when typed words fit several labels.
_LISTED = 5
#: Longer text is an answer of its own, never part of a label.
_MAX_PART = 120


def _labels_containing(text: str, stored: list[list[str]]) -> list[str]:
    """The labels that contain every typed word (a typed choice by any part of its label).

    Compared folded, word by word: "giay khen" picks "Giấy khen của Chủ tịch UBND thị xã" when
    no other label holds both words. Several labels are refused with the candidates named;
    text too short or too long to be part of a label finds none.
    """
    if len(text) > _MAX_PART:
        return []
    typed = fold_text(text).split()
    if len(" ".join(typed)) < _MIN_PART:
        return []
    return [
        label for label, _ in stored if all(word in fold_text(label).split() for word in typed)
    ]

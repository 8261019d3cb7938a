"""Telegram channel on python-telegram-bot 22, used as transport only.

PTB makes the HTTP calls; updates are received by :mod:`bot.telegram.receiver` (long polling or
a webhook with a secret token), which confirms an update to Telegram only once it is settled.
Everything else — conversation state, rules, persistence, deduplication — is the core's.
:meth:`TelegramAdapter.settle` is the error boundary: whatever fails, the update's id is logged
(never the token) and the update is tried again a bounded number of times before the user gets
an apology.
"""

from __future__ import annotations

import asyncio
import html
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Message,
    Update,
)
from telegram.request import HTTPXRequest

from bot.telegram.receiver import MAX_ATTEMPTS, Poller, webhook_server
from bot.telegram.sender import Limits, TelegramSender
from handlers.kernel.messages import ChatKey, FileRequest, Incoming, IncomingFile, Reply

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "DOWNLOAD_LIMIT",
    "TelegramAdapter",
    "TelegramConfig",
    "WebhookConfig",
    "to_incoming",
]

CHANNEL = "telegram"
#: The updates the bot asks for; everything else (edits, reactions, member changes) is ignored.
ALLOWED_UPDATES = ("message", "callback_query")

#: The largest file the public Bot API lets a bot download.
DOWNLOAD_LIMIT = 20 * 1024 * 1024

_LOGGER = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[list[Reply]]]
#: Gives a chat an upload link (the web companion): chat, user id, what the step waits for.
UploadOffer = Callable[[ChatKey, str, FileRequest], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """How to reach the Bot API.

    Attributes:
        token: The bot token (never logged).
        api_root: Root of a Bot API server; ``<root>/bot`` and ``<root>/file/bot`` are derived
            from it, so a self-hosted server (no 20 MB download limit) or a test fake works.
        limits: Outgoing rate limits and retry bounds.
        poll_timeout: Seconds a getUpdates long poll may wait.
        concurrent_updates: Updates handled at once (one chat's updates stay in order).
    """

    token: str = field(repr=False)
    api_root: str = "https://api.telegram.org"
    limits: Limits = field(default_factory=Limits)
    poll_timeout: int = 30
    concurrent_updates: int = 16


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Webhook mode: Telegram POSTs updates to ``url``, which reaches ``listen:port``."""

    url: str
    secret: str = field(repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        """The URL's path, which the local server listens on."""
        return urlsplit(self.url).path.lstrip("/")


def to_incoming(update: Update) -> Incoming | None:
    """Translate an update into the core's message; None for updates the core does not take."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    key = ChatKey(CHANNEL, str(chat.id))
    private = chat.type == chat.PRIVATE
    update_id = str(update.update_id)
    if update.callback_query is not None:
        return Incoming(
            key,
            str(user.id),
            callback_data=update.callback_query.data or "",
            display_name=user.full_name,
            is_private=private,
            update_id=update_id,
        )
    message = update.message
    if message is None:
        return None
    return Incoming(
        key,
        str(user.id),
        text=message.text or message.caption or "",
        file=_incoming_file(message),
        display_name=user.full_name,
        is_private=private,
        update_id=update_id,
    )


def _incoming_file(message: Message) -> IncomingFile | None:
    """A document or the largest size of a photo, downloaded only if a step accepts it."""
    bot = message.get_bot()
    if message.document is not None:
        doc = message.document
        file_id = doc.file_id
        name = doc.file_name or f"tep-{doc.file_unique_id}"
        mime = doc.mime_type or "application/octet-stream"
        size = doc.file_size or 0
    elif message.photo:
        photo = message.photo[-1]
        file_id = photo.file_id
        name = f"anh-{photo.file_unique_id}.jpg"
        mime = "image/jpeg"
        size = photo.file_size or 0
    else:
        return None

    async def read() -> bytes:
        tg_file = await bot.get_file(file_id)
        return bytes(await tg_file.download_as_bytearray())

    return IncomingFile(name=name, mime_type=mime, size=size, read=read, limit=DOWNLOAD_LIMIT)


class TelegramAdapter:
    """Runs the Telegram channel: receives updates, calls the core, sends the replies.

    Args:
        config: Bot API token and root, limits.
        handle: The core's entry point.
        apology: What to answer when handling an update failed unexpectedly.
        on_unreachable: Called with a chat id when Telegram says the bot cannot write there.
        commands: The command menu for private chats (name, description).
        group_commands: The command menu for groups.
        offer_upload: The web companion's upload link, offered when a document over
            :data:`DOWNLOAD_LIMIT` was sent at a step that waits for a file; None without one.
    """

    def __init__(
        self,
        config: TelegramConfig,
        handle: Handle,
        apology: Reply,
        on_unreachable: Callable[[str], Awaitable[None]],
        commands: Sequence[tuple[str, str]] = (),
        group_commands: Sequence[tuple[str, str]] = (),
        offer_upload: UploadOffer | None = None,
    ) -> None:
        root = config.api_root.rstrip("/")
        self._offer_upload = offer_upload
        self._config = config
        self._handle = handle
        self._apology = apology
        self._commands = commands
        self._group_commands = group_commands
        # PTB's two connections (getUpdates, the rest) share one TLS context, as httpx makes it:
        # each would load the CA bundle again (a tenth of a second, a megabyte).
        tls = httpx.create_ssl_context()
        # A plain Bot, not telegram.ext's Application: its job queue, updater and handlers are
        # not used (receiver.py polls), and telegram.ext alone is a tenth of the start-up.
        self.bot = Bot(
            config.token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=HTTPXRequest(
                connection_pool_size=max(8, config.concurrent_updates * 2),
                httpx_kwargs={"verify": tls},
            ),
            get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls}),
        )
        self.sender = TelegramSender(self.bot, on_unreachable, config.limits)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        #: Failed attempts per update id still being retried (forgotten once settled).
        self._attempts: dict[int, int] = {}
        #: Set once updates are being received (and the sender can be used).
        self.ready = asyncio.Event()
        #: Set once the updates that waited for the bot (long polling: the first poll's, which
        #: does not wait) are handled; in webhook mode with :attr:`ready`.
        self.caught_up = asyncio.Event()

    @property
    def username(self) -> str:
        """The bot's @username (known once getMe answered, in :meth:`run`)."""
        return self.bot.username

    async def run(
        self,
        stop: asyncio.Event,
        webhook: WebhookConfig | None = None,
        on_started: Callable[[str], object] | None = None,
    ) -> None:
        """Receive updates until ``stop`` is set.

        Start-up: getMe, the command menus, then long polling (which first deletes any webhook)
        or the webhook server (which registers itself with its secret token).

        Args:
            stop: Set it to stop receiving and return.
            webhook: Webhook mode's settings; None for long polling.
            on_started: Called with the bot's username once getMe answered.
        """
        bot = self.bot
        async with bot:
            if on_started is not None:
                on_started(self.username)
            await self._set_commands()
            if webhook is None:
                poller = Poller(
                    bot,
                    self.settle,
                    ALLOWED_UPDATES,
                    self._config.poll_timeout,
                    self._config.concurrent_updates,
                    caught_up=self.caught_up,
                )
                polling = asyncio.create_task(poller.run(stop))
                self.ready.set()
                _LOGGER.info("Telegram channel running as @%s (long polling)", self.username)
                try:
                    await polling
                finally:
                    self.ready.clear()
                    polling.cancel()
                return
            server = webhook_server(
                bot, self.settle, webhook.path, webhook.secret, webhook.listen, webhook.port
            )
            await server.start()
            try:
                await bot.set_webhook(
                    webhook.url,
                    secret_token=webhook.secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,
                )
                self.ready.set()
                self.caught_up.set()
                _LOGGER.info("Telegram channel running as @%s (webhook)", self.username)
                await stop.wait()
            finally:
                self.ready.clear()
                await server.stop()

    async def _set_commands(self) -> None:
        bot = self.bot
        for commands, scope in (
            (self._commands, BotCommandScopeAllPrivateChats()),
            (self._group_commands, BotCommandScopeAllGroupChats()),
        ):
            if not commands:
                continue
            menu = [BotCommand(name, description) for name, description in commands]

            def call(menu: list[BotCommand] = menu, scope: object = scope) -> Awaitable[bool]:
                return bot.set_my_commands(menu, scope=scope, language_code=None)  # type: ignore[arg-type]

            await self.sender.call(None, call, counted=False)

    async def settle(self, update: Update) -> bool:
        """Handle one update end to end; the channel's error boundary.

        Returns:
            True once the update is settled: handled (its effects committed and its replies
            sent), not for the core, or given up after :data:`MAX_ATTEMPTS` failures with an
            apology. False when handling failed and the update should be delivered again.
        """
        msg = to_incoming(update)
        if msg is None or not self._addressed_to_us(msg):
            return True
        lock = self._lock(msg.key.chat_id)
        async with lock:  # one chat's replies go out in order, never interleaved
            query = update.callback_query
            first = update.update_id not in self._attempts
            if query is not None and first:
                await self.sender.call(None, query.answer, counted=False)
            try:
                replies = await self._handle(msg)
            except Exception:
                attempts = self._attempts.get(update.update_id, 0) + 1
                log = _LOGGER.exception if attempts == 1 else _LOGGER.warning  # traceback once
                log("update %s failed (attempt %d/%d)", update.update_id, attempts, MAX_ATTEMPTS)
                if attempts < MAX_ATTEMPTS:
                    self._attempts[update.update_id] = attempts
                    return False
                self._attempts.pop(update.update_id, None)
                await self.sender.send(msg.key, self._apology)
                return True  # the keyboard stays: nothing was taken
            self._attempts.pop(update.update_id, None)
            try:  # committed: whatever happens while answering, the update is settled
                replies = await self._with_upload_offer(msg, replies)
                for reply in replies:
                    await self.sender.send(msg.key, reply)
                if query is not None and replies:
                    await self._close_keyboard(update)
            except Exception:
                _LOGGER.exception(
                    "update %s: answering failed after it was handled", update.update_id
                )
            return True

    async def _with_upload_offer(self, msg: Incoming, replies: list[Reply]) -> list[Reply]:
        """Add an upload link when a file too big for the Bot API met a step that takes one.

        The core refused the file and asked its question again (with a ``file_request``); the
        web companion can take it instead.
        """
        request = replies[-1].file_request if replies else None
        too_big = msg.file is not None and msg.file.beyond_channel
        if self._offer_upload is None or request is None or not too_big:
            return replies
        try:
            offer = await self._offer_upload(msg.key, msg.user_id, request)
        except Exception:
            _LOGGER.exception("update %s: no upload link could be made", msg.update_id)
            return replies
        return [*replies, offer]

    def _addressed_to_us(self, msg: Incoming) -> bool:
        """A ``/cmd@otherbot`` in a group is for another bot."""
        head = msg.text.split(" ", 1)[0]
        if not head.startswith("/") or "@" not in head:
            return True
        return head.split("@", 1)[1].lower() == (self.username or "").lower()

    async def _close_keyboard(self, update: Update) -> None:
        """Edit the pressed message: its buttons go, the choice is shown in their place."""
        query = update.callback_query
        assert query is not None
        message = query.message
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        label = next(
            (
                button.text
                for row in message.reply_markup.inline_keyboard
                for button in row
                if button.callback_data == query.data
            ),
            None,
        )
        bot = self.bot
        chat_id = str(message.chat_id)
        text = message.text_html if message.text else None
        if text is not None and label is not None:
            edited = f"{text}\n\n» <i>{html.escape(label, quote=False)}</i>"
            if len(edited) <= 4000:
                await self.sender.call(
                    chat_id,
                    lambda: bot.edit_message_text(
                        edited,
                        chat_id=message.chat_id,
                        message_id=message.message_id,
                        parse_mode="HTML",
                        reply_markup=None,
                    ),
                )
                return
        await self.sender.call(
            chat_id,
            lambda: bot.edit_message_reply_markup(
                chat_id=message.chat_id, message_id=message.message_id, reply_markup=None
            ),
        )

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        return lock

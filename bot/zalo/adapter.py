"""The Zalo channel: updates in, the core's replies out, through our own Bot API client.

Zalo has no buttons, callbacks, edits or documents from users. Choices are numbered text (the
core matches a typed number or label against the chat's stored choices); a document a user
tries to send arrives as ``message.unsupported.received`` without content and becomes an
*unreadable* message, which the core answers with an explanation and, at a step that takes a
file, the step's question again, whose :class:`~handlers.kernel.messages.FileRequest` the sender
renders as the web companion's upload link.

:meth:`ZaloAdapter.settle` is the error boundary: whatever fails, the update is tried again a
bounded number of times before the person gets the apology.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.links import LinkMaker
from bot.zalo.client import DEFAULT_API_URL, BotInfo, ZaloClient
from bot.zalo.receiver import ZaloPoller, zalo_webhook_server
from bot.zalo.sender import ZaloLimits, ZaloSender
from handlers.domain.files import MAX_FILE_BYTES
from handlers.domain.normalize import ascii_int
from handlers.kernel.messages import ChatKey, Incoming, IncomingFile, Reply
from handlers.kernel.texts import Texts

__all__ = [
    "CHANNEL",
    "ZaloAdapter",
    "ZaloConfig",
    "ZaloWebhookConfig",
    "download_capped",
    "to_incoming",
]

CHANNEL = "zalo"

_LOGGER = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[list[Reply]]]

#: How often one update is tried before the person gets the apology.
MAX_ATTEMPTS = 3
_RETRY_PAUSE = (0.5, 2.0)
#: Events the core takes; stickers (and anything new) are ignored.
_TEXT = "message.text.received"
_IMAGE = "message.image.received"
_UNREADABLE = frozenset({"message.unsupported.received", "message.voice.received"})
_IGNORED = frozenset({"message.sticker.received", "webhook.test"})
#: Chats whose last answer time is remembered (for stale numbers), at most.
_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class ZaloWebhookConfig:
    """Webhook mode: Zalo POSTs updates to ``url``, which reaches ``listen:port``."""

    url: str
    secret: str = field(repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        """The URL's path, which the local server listens on."""
        return urlsplit(self.url).path.lstrip("/") or "zalo"


@dataclass(frozen=True, slots=True)
class ZaloConfig:
    """How to reach the Zalo Bot API.

    Attributes:
        token: ``TDKT_ZALO_TOKEN`` (never logged).
        api_root: ``TDKT_ZALO_API_URL``.
        limits: Outgoing pacing and retry bounds.
        poll_timeout: Seconds a getUpdates long poll may wait.
    """

    token: str = field(repr=False)
    api_root: str = DEFAULT_API_URL
    limits: ZaloLimits = field(default_factory=ZaloLimits)
    poll_timeout: int = 30


async def download_capped(http: httpx.AsyncClient, url: str, cap: int) -> bytes:
    """GET ``url``, reading at most ``cap`` + 1 bytes (more means "too large" to the checks)."""
    chunks: list[bytes] = []
    size = 0
    async with http.stream("GET", url, follow_redirects=True) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                break
    return b"".join(chunks)[: cap + 1]


def to_incoming(
    update: dict[str, Any], bot_id: str, http: httpx.AsyncClient | None = None
) -> Incoming | None:
    """Translate an update into the core's message; None for what the core does not take.

    The bot's own echoes, ``webhook.test``, stickers, unknown events and payloads without a
    sender are dropped. ``update_id`` is ``event_name:message_id`` (Zalo redelivers with the
    same id and has no offset).
    """
    event = update.get("event_name")
    message = update.get("message")
    if not isinstance(event, str) or event in _IGNORED or not isinstance(message, dict):
        return None
    sender = _mapping(message.get("from"))
    chat = _mapping(message.get("chat"))
    user_id = str(sender.get("id") or "")
    chat_id = str(chat.get("id") or user_id)
    if not user_id or sender.get("is_bot") is True or user_id == bot_id:
        return None
    if event != _TEXT and event != _IMAGE and event not in _UNREADABLE:
        _LOGGER.info("Zalo event %s ignored", event)
        return None
    message_id = str(message.get("message_id") or "")
    update_id = f"{event}:{message_id}" if message_id else None
    file = None
    if event == _IMAGE:
        url = message.get("photo_url") or message.get("photo")
        if isinstance(url, str) and url:
            file = _photo(url, message_id, http)
    raw = message.get("text") if event == _TEXT else message.get("caption")
    if event in _UNREADABLE:
        raw = ""
    return Incoming(
        ChatKey(CHANNEL, chat_id),
        user_id,
        text=raw if isinstance(raw, str) else "",
        file=file,
        display_name=str(sender.get("display_name") or sender.get("first_name") or "") or None,
        is_private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        update_id=update_id,
        unreadable=event in _UNREADABLE,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _photo(url: str, message_id: str, http: httpx.AsyncClient | None) -> IncomingFile:
    """A picture from Zalo's CDN, downloaded (capped) when a step takes it.

    Its size is unknown until downloaded: it is declared at the limit, and the core checks the
    bytes it reads (empty, too large, not a picture).
    """

    async def read() -> bytes:
        if http is not None:
            return await download_capped(http, url, MAX_FILE_BYTES)
        async with httpx.AsyncClient(timeout=30.0) as own:
            return await download_capped(own, url, MAX_FILE_BYTES)

    name = f"anh-{message_id[:12] or 'zalo'}.jpg"
    return IncomingFile(name=name, mime_type="image/jpeg", size=MAX_FILE_BYTES, read=read)


def _message_date(update: dict[str, Any]) -> int:
    message = update.get("message")
    date = message.get("date") if isinstance(message, dict) else None
    return date if isinstance(date, int) else 0


class ZaloAdapter:
    """Runs the Zalo channel: receives updates, calls the core, sends the replies.

    Args:
        config: Token, API root, limits.
        handle: The core's entry point.
        apology: What to answer when handling an update failed unexpectedly.
        texts: The wording of what Zalo cannot carry.
        links: The web companion's links (None: files are explained, not linked).
        client: A prepared client (tests).
    """

    def __init__(
        self,
        config: ZaloConfig,
        handle: Handle,
        apology: Reply,
        texts: Texts,
        links: LinkMaker | None = None,
        client: ZaloClient | None = None,
    ) -> None:
        self._config = config
        self._handle = handle
        self._apology = apology
        self._texts = texts
        self.client = client or ZaloClient(config.token, config.api_root)
        self.sender = ZaloSender(self.client, texts, links, config.limits)
        self._media = httpx.AsyncClient(timeout=30.0)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        #: Zalo's time (ms) of the last answer delivered to each chat.
        self._answered_at: dict[str, int] = {}
        self.bot: BotInfo | None = None
        #: Set once updates are being received (and the sender can be used).
        self.ready = asyncio.Event()

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        await self._media.aclose()
        await self.client.aclose()

    async def run(
        self,
        stop: asyncio.Event,
        webhook: ZaloWebhookConfig | None = None,
        on_started: Callable[[BotInfo], object] | None = None,
    ) -> None:
        """Receive updates until ``stop`` is set: getMe, then long polling or the webhook."""
        self.bot = await self.client.get_me()
        if on_started is not None:
            on_started(self.bot)
        try:
            if webhook is None:
                poller = ZaloPoller(self.client, self.settle, self._config.poll_timeout)
                polling = asyncio.create_task(poller.run(stop))
                self.ready.set()
                _LOGGER.info("Zalo channel running as %s (long polling)", self.bot.id)
                try:
                    await polling
                finally:
                    polling.cancel()
                return
            server = zalo_webhook_server(
                self.settle, webhook.path, webhook.secret, webhook.listen, webhook.port
            )
            await server.start()
            try:
                await self.client.set_webhook(webhook.url, webhook.secret)
                self.ready.set()
                _LOGGER.info("Zalo channel running as %s (webhook)", self.bot.id)
                await stop.wait()
            finally:
                await server.stop()
        finally:
            self.ready.clear()
            await self.aclose()

    async def settle(self, update: dict[str, Any]) -> bool:
        """Handle one update end to end; always True once settled (retried inline).

        Polling cannot take an update back, so a failing update is retried here, at most
        :data:`MAX_ATTEMPTS` times, before the apology.
        """
        bot_id = self.bot.id if self.bot is not None else self.client.bot_id
        msg = to_incoming(update, bot_id, self._media)
        if msg is None:
            return True
        chat_id = msg.key.chat_id
        async with self._lock(chat_id):  # one chat's replies go out in order
            if self._is_stale_number(msg, _message_date(update)):
                await self.sender.send(msg.key, Reply(self._texts("zalo.stale_number")))
                return True
            replies: list[Reply] | None = None
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    async with self.sender.typing(chat_id):
                        replies = await self._handle(msg)
                    break
                except Exception:
                    log = _LOGGER.exception if attempt == 1 else _LOGGER.warning
                    log("update %s failed (attempt %d/%d)", msg.update_id, attempt, MAX_ATTEMPTS)
                    if attempt < MAX_ATTEMPTS:
                        await asyncio.sleep(_RETRY_PAUSE[min(attempt, len(_RETRY_PAUSE)) - 1])
            try:
                for reply in replies if replies is not None else [self._apology]:
                    outcome = await self.sender.deliver(msg.key, reply)
                    if outcome.date:
                        self._remember(chat_id, outcome.date)
            except Exception:
                _LOGGER.exception(
                    "update %s: answering failed after it was handled", msg.update_id
                )
            return True

    def _is_stale_number(self, msg: Incoming, date: int) -> bool:
        """A typed number sent before the chat's last answer arrived: it may mean an old list.

        Zalo cannot edit away an old numbered list, so a number typed quickly twice, or typed
        while the bot was answering, would pick from the list that answer brought. Both times are
        Zalo's own (the message's ``date`` and sendMessage's), so no clocks are compared.
        """
        if not date or ascii_int(msg.text, max_digits=3) is None:
            return False
        answered = self._answered_at.get(msg.key.chat_id, 0)
        return date < answered

    def _remember(self, chat_id: str, date: int) -> None:
        if len(self._answered_at) >= _REMEMBERED and chat_id not in self._answered_at:
            oldest = sorted(self._answered_at, key=self._answered_at.__getitem__)
            for key in oldest[: _REMEMBERED // 2]:
                del self._answered_at[key]
        self._answered_at[chat_id] = max(date, self._answered_at.get(chat_id, 0))

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        return lock

"""The one way out to Telegram: rate limits, bounded retries, blocked users recorded.

Every outgoing call (messages, edits, answers to presses, files) goes through
:class:`TelegramSender`, which

* keeps under Telegram's limits with token buckets: 29 messages a second overall, one a
  second per private chat (with a small burst, so a two-part answer is not held back), 20 a
  minute per group;
* on 429 pauses *all* sending for ``retry_after`` and retries, at most ``max_retries`` times,
  and gives up on a wait longer than ``max_retry_after`` instead of stalling every chat;
* on 403 ("bot was blocked by the user", deleted account, kicked from a group) reports the chat
  unreachable through a callback and returns :attr:`Delivery.BLOCKED` instead of raising;
* retries network errors with a bounded backoff and returns :attr:`Delivery.FAILED` after.

Clock and sleep are injectable, so the limits are tested without real waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Bot, InputFile, LinkPreviewOptions, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.links import LinkMaker
from bot.telegram.render import inline_keyboard, menu_keyboard, split_html
from handlers.kernel.messages import ChatKey, Delivery, Reply
from handlers.kernel.texts import plain_text

__all__ = ["Limits", "RateLimiter", "TelegramSender", "TokenBucket", "is_group_chat"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

#: Pictures Telegram shows inline (a chart) rather than as a file to download.
_PHOTO_TYPES = frozenset({"image/png", "image/jpeg"})
#: Telegram's limit for a caption, in characters of visible text.
MAX_CAPTION = 1024


def _fits_caption(text: str) -> bool:
    """Whether ``text`` (HTML) is short enough, once rendered, to be a file's caption."""
    visible = plain_text(text).strip()
    return bool(visible) and len(visible) <= MAX_CAPTION


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's published limits, and how hard the sender tries."""

    #: Telegram allows about 30; a little under leaves room for network jitter in its window.
    overall_per_second: float = 29.0
    #: No burst overall: Telegram counts over a sliding second, so a burst then pacing overflows.
    overall_burst: int = 1
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 3
    max_retries: int = 3
    max_retry_after: float = 120.0
    network_backoff: float = 1.0


class TokenBucket:
    """A token bucket that hands out reservations: each caller learns how long to wait.

    Tokens may go negative: a reservation is granted at once and the caller sleeps until its
    slot, so waiters are served in order without polling.
    """

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._at = now

    def reserve(self, now: float) -> float:
        """Take one token; return the seconds to wait before using it."""
        self._refill(now)
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def is_full(self, now: float) -> bool:
        """Whether the bucket is idle (nothing reserved, nothing to remember)."""
        self._refill(now)
        return self._tokens >= self.capacity

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now


class RateLimiter:
    """Overall, per-chat and per-group buckets, plus a global pause after a 429."""

    _PRUNE_AT = 10_000

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._overall = TokenBucket(limits.overall_per_second, limits.overall_burst, clock())
        self._chats: dict[str, TokenBucket] = {}
        self._paused_until = 0.0

    async def sleep(self, seconds: float) -> None:
        """Sleep on the limiter's (injectable) clock."""
        await self._sleep(seconds)

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (Telegram answered 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, chat_id: str | None, *, is_group: bool = False) -> None:
        """Wait until a message to ``chat_id`` may go out (None: counts only overall)."""
        while (pause := self._paused_until - self._clock()) > 0:
            await self._sleep(pause)
        if chat_id is not None:
            delay = self._chat(chat_id, is_group).reserve(self._clock())
            if delay > 0:
                await self._sleep(delay)
        delay = self._overall.reserve(self._clock())
        if delay > 0:
            await self._sleep(delay)

    def _chat(self, chat_id: str, is_group: bool) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            now = self._clock()
            if len(self._chats) >= self._PRUNE_AT:
                self._chats = {k: b for k, b in self._chats.items() if not b.is_full(now)}
            limits = self._limits
            if is_group:
                bucket = TokenBucket(limits.group_per_minute / 60.0, limits.group_burst, now)
            else:
                bucket = TokenBucket(limits.chat_per_second, limits.chat_burst, now)
            self._chats[chat_id] = bucket
        return bucket


def _seconds(err: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def is_group_chat(chat_id: str) -> bool:
    """Telegram gives groups and channels negative ids, users positive ones."""
    return chat_id.startswith("-")


class TelegramSender:
    """Sends replies and other calls to Telegram under its limits.

    Args:
        bot: An initialised PTB bot (transport only).
        on_unreachable: Called with a chat id when Telegram answers 403 for it.
        limits: Rates and retry bounds.
        limiter: A prepared limiter (tests inject one with a fake clock).
        links: The web companion's links (files over Telegram's limits); None without it.
    """

    def __init__(
        self,
        bot: Bot,
        on_unreachable: Callable[[str], Awaitable[None]],
        limits: Limits | None = None,
        limiter: RateLimiter | None = None,
        *,
        links: LinkMaker | None = None,
    ) -> None:
        self.links = links
        self._bot = bot
        self._on_unreachable = on_unreachable
        self._limits = limits or Limits()
        self._limiter = limiter or RateLimiter(self._limits)

    @property
    def bot(self) -> Bot:
        """The PTB bot the sender talks through."""
        return self._bot

    async def send(self, key: ChatKey, reply: Reply) -> Delivery:
        """Send one reply to a chat: one message where Telegram allows it.

        A file goes with its text as the caption when the text fits one (1 024 characters);
        otherwise the text goes first, in chunks, then the file.
        """
        chat_id = key.chat_id
        caption = reply.text if reply.file is not None and _fits_caption(reply.text) else None
        chunks = split_html(reply.text) if reply.text.strip() and caption is None else []
        markup: Any = None
        if reply.buttons:
            markup = (menu_keyboard if reply.is_menu else inline_keyboard)(reply.buttons)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1 and reply.file is None

            def call(chunk: str = chunk, last: bool = last) -> Awaitable[Message]:
                return self._bot.send_message(
                    int(chat_id),
                    chunk,
                    parse_mode="HTML",
                    reply_markup=markup if last else None,
                    link_preview_options=_NO_PREVIEW,
                )

            result = await self.call(chat_id, call)
            if isinstance(result, Delivery):
                return result
        if reply.file is not None:
            file = reply.file
            payload = InputFile(file.data, filename=file.name)

            def upload() -> Awaitable[Message]:
                mode = "HTML" if caption else None
                if file.mime_type in _PHOTO_TYPES:
                    return self._bot.send_photo(
                        int(chat_id),
                        payload,
                        caption=caption,
                        parse_mode=mode,
                        reply_markup=markup,
                    )
                return self._bot.send_document(
                    int(chat_id), payload, caption=caption, parse_mode=mode, reply_markup=markup
                )

            result = await self.call(chat_id, upload)
            if isinstance(result, Delivery):
                return result
        return Delivery.SENT

    async def call(
        self, chat_id: str | None, make_call: Callable[[], Awaitable[T]], *, counted: bool = True
    ) -> T | Delivery:
        """Run one API call under the limits; a :class:`Delivery` if it did not succeed.

        Args:
            chat_id: The chat the call writes to (None for calls that write to no chat).
            make_call: Makes a fresh awaitable for each attempt.
            counted: Whether the call counts against the message limits (an answer to a
                button press does not).
        """
        attempts = 0
        while True:
            if counted:
                await self._limiter.acquire(
                    chat_id, is_group=chat_id is not None and is_group_chat(chat_id)
                )
            try:
                return await make_call()
            except RetryAfter as err:
                wait = _seconds(err)
                attempts += 1
                if attempts > self._limits.max_retries or wait > self._limits.max_retry_after:
                    _LOGGER.warning(
                        "chat %s: still flood-limited after %d tries (retry after %.0fs); "
                        "giving up",
                        chat_id,
                        attempts,
                        wait,
                    )
                    return Delivery.FAILED
                _LOGGER.info("429 from Telegram: pausing sends for %.1fs", wait)
                self._limiter.pause(wait)
                if not counted:
                    await self._limiter.sleep(wait)
            except Forbidden as err:
                _LOGGER.info("chat %s is unreachable: %s", chat_id, err.message)
                if chat_id is not None:
                    await self._on_unreachable(chat_id)
                return Delivery.BLOCKED
            except BadRequest as err:  # before NetworkError: BadRequest subclasses it
                _LOGGER.warning("chat %s: Telegram refused a call: %s", chat_id, err.message)
                return Delivery.FAILED
            except NetworkError as err:
                attempts += 1
                if attempts > self._limits.max_retries:
                    _LOGGER.warning("chat %s: network error, giving up: %s", chat_id, err)
                    return Delivery.FAILED
                await self._limiter.sleep(self._limits.network_backoff * 2 ** (attempts - 1))
            except TelegramError as err:
                _LOGGER.warning("chat %s: Telegram error: %s", chat_id, err.message)
                return Delivery.FAILED

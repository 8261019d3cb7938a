"""The one way out to Zalo: plain text in parts, pacing, bounded retries, honest outcomes.

Zalo publishes no rate limits, only a 429 "quota exceeded" without ``retry_after``, so the
sender starts conservative (configurable: ``TDKT_ZALO_RATE_*``):

* token buckets per chat and overall; every part of a long reply waits its turn;
* a 429 pauses **all** sending with exponential backoff (1, 2, 4 … s, at most
  ``max_backoff``), at most ``max_retries`` times, then the message is :attr:`Delivery.FAILED`;
* a 403 is Zalo's "internal server error", not a block: retried once after a pause, then
  FAILED; the account is never marked unreachable on it;
* 400/404 (an unknown chat, a refused text) are FAILED at once; network errors are retried
  with a bounded backoff.

A reply's choices become numbered lines (:mod:`bot.zalo.render`); a step waiting for a file
gets the web companion's upload link; a file the bot sends becomes a photo by URL (PNG) or a
download link, both from the :class:`~bot.links.LinkMaker` when the process has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.links import LinkMaker
from bot.zalo.client import (
    SentMessage,
    ZaloApiError,
    ZaloClient,
    ZaloNetworkError,
    ZaloRateLimitError,
    ZaloUnauthorizedError,
)
from bot.zalo.render import LIMIT, render_reply, split_text, utf16_len
from handlers.kernel.messages import ChatKey, Delivery, Reply
from handlers.kernel.texts import Texts

__all__ = ["Outcome", "ZaloLimits", "ZaloRateLimiter", "ZaloSender"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

#: Pictures sent with sendPhoto rather than as a download link.
_PHOTO_TYPES = frozenset({"image/png", "image/jpeg"})


@dataclass(frozen=True, slots=True)
class ZaloLimits:
    """How fast and how hard the sender tries (Zalo publishes no numbers)."""

    overall_per_second: float = 5.0
    chat_per_second: float = 1.0
    chat_burst: int = 2
    max_retries: int = 4
    first_backoff: float = 1.0
    max_backoff: float = 60.0
    forbidden_pause: float = 2.0
    typing_after: float = 1.0
    typing_every: float = 4.0


class _Bucket:
    """A token bucket handing out reservations (negative tokens: wait your turn)."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity, self._tokens, self._at = rate, capacity, capacity, now

    def reserve(self, now: float) -> float:
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def idle(self, now: float) -> bool:
        return self._tokens + (now - self._at) * self.rate >= self.capacity


class ZaloRateLimiter:
    """Per-chat and overall buckets, plus a pause of all sending after a 429."""

    _PRUNE_AT = 10_000

    def __init__(
        self,
        limits: ZaloLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._overall = _Bucket(limits.overall_per_second, 1, clock())
        self._chats: dict[str, _Bucket] = {}
        self._paused_until = 0.0

    async def sleep(self, seconds: float) -> None:
        """Sleep on the limiter's (injectable) clock."""
        await self._sleep(seconds)

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds``."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, chat_id: str | None) -> None:
        """Wait until a call to ``chat_id`` may go out (None: counts only overall)."""
        while (pause := self._paused_until - self._clock()) > 0:
            await self._sleep(pause)
        if chat_id is not None:
            delay = self._chat(chat_id).reserve(self._clock())
            if delay > 0:
                await self._sleep(delay)
        delay = self._overall.reserve(self._clock())
        if delay > 0:
            await self._sleep(delay)

    def _chat(self, chat_id: str) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            now = self._clock()
            if len(self._chats) >= self._PRUNE_AT:
                self._chats = {k: b for k, b in self._chats.items() if not b.idle(now)}
            bucket = _Bucket(self._limits.chat_per_second, self._limits.chat_burst, now)
            self._chats[chat_id] = bucket
        return bucket


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a reply, and Zalo's time (epoch ms) of its last part (0 if none)."""

    delivery: Delivery
    date: int = 0


class ZaloSender:
    """Sends replies to Zalo under conservative limits.

    Args:
        client: The Bot API client.
        texts: The wording of what Zalo cannot carry (hints, links).
        links: The web companion's links; None when the process runs without it.
        limits: Rates and retry bounds.
        limiter: A prepared limiter (tests inject one with a fake clock).
    """

    def __init__(
        self,
        client: ZaloClient,
        texts: Texts,
        links: LinkMaker | None = None,
        limits: ZaloLimits | None = None,
        limiter: ZaloRateLimiter | None = None,
    ) -> None:
        self._client = client
        self._texts = texts
        self._links = links
        self._limits = limits or ZaloLimits()
        self._limiter = limiter or ZaloRateLimiter(self._limits)

    async def send(self, key: ChatKey, reply: Reply) -> Delivery:
        """Send one reply (the channel's :data:`~handlers.kernel.messages.Send`)."""
        return (await self.deliver(key, reply)).delivery

    async def deliver(self, key: ChatKey, reply: Reply) -> Outcome:
        """Send one reply and say when Zalo took its last part."""
        chat_id = key.chat_id
        text, _ = render_reply(self._texts, reply)
        extra = await self._file_request_line(key, reply)
        photo_url: str | None = None
        if reply.file is not None:
            file_line, photo_url = await self._file_line(key, reply)
            extra = "\n\n".join(part for part in (extra, file_line) if part)
        # The file line goes before the choices: the numbered list stays the message's end.
        body = _insert_before_options(text, extra) if extra else text
        date = 0
        caption = ""
        if photo_url is not None and 0 < utf16_len(body) <= LIMIT:
            caption, body = body, ""
        for part in split_text(body):

            def send_part(part: str = part) -> Awaitable[SentMessage]:
                return self._client.send_message(chat_id, part)

            sent = await self.call(chat_id, send_part)
            if isinstance(sent, Delivery):
                return Outcome(sent, date)
            date = sent.date or date
        if photo_url is not None:
            url = photo_url
            sent = await self.call(chat_id, lambda: self._client.send_photo(chat_id, url, caption))
            if isinstance(sent, Delivery):
                return Outcome(sent, date)
            date = sent.date or date
        return Outcome(Delivery.SENT, date)

    async def _file_request_line(self, key: ChatKey, reply: Reply) -> str:
        """The upload link (or why there is none) of a step that waits for a file."""
        if reply.file_request is None:
            return ""
        if self._links is None:
            return self._texts.plain("zalo.no_upload")
        link = await self._links.upload_link(key, key.chat_id, reply.file_request)
        return self._texts.plain("zalo.upload_link", link=link)

    async def _file_line(self, key: ChatKey, reply: Reply) -> tuple[str, str | None]:
        """A file as a download link, or (a PNG/JPEG) the URL sendPhoto gives Zalo."""
        file = reply.file
        assert file is not None
        if self._links is None:
            return self._texts.plain("zalo.no_download", name=file.name), None
        link = await self._links.download_link(key, file)
        if file.mime_type in _PHOTO_TYPES:
            return "", link
        return self._texts.plain("zalo.download_link", name=file.name, link=link), None

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: str) -> AsyncIterator[None]:
        """Show "typing…" while the body runs, once it has taken more than a moment."""

        async def keep_typing() -> None:
            await asyncio.sleep(self._limits.typing_after)
            while True:
                with contextlib.suppress(ZaloApiError, ZaloNetworkError):
                    await self._limiter.acquire(None)
                    await self._client.send_chat_action(chat_id, "typing")
                await asyncio.sleep(self._limits.typing_every)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def call(self, chat_id: str, make_call: Callable[[], Awaitable[T]]) -> T | Delivery:
        """Run one API call under the limits; a :class:`Delivery` if it did not succeed."""
        limits = self._limits
        quota_tries = forbidden_tries = network_tries = 0
        while True:
            await self._limiter.acquire(chat_id)
            try:
                return await make_call()
            except ZaloRateLimitError:
                quota_tries += 1
                if quota_tries > limits.max_retries:
                    _LOGGER.warning(
                        "chat %s: still over quota after %d tries", chat_id, quota_tries
                    )
                    return Delivery.FAILED
                wait = min(limits.max_backoff, limits.first_backoff * 2 ** (quota_tries - 1))
                _LOGGER.info("429 from Zalo: pausing all sends for %.1fs", wait)
                self._limiter.pause(wait)
            except ZaloUnauthorizedError:
                _LOGGER.error("Zalo refused the token (401): check TDKT_ZALO_TOKEN")
                return Delivery.FAILED
            except ZaloApiError as err:
                if err.code == 403 and forbidden_tries == 0:
                    forbidden_tries += 1
                    _LOGGER.info(
                        "chat %s: 403 from Zalo (%s); once more", chat_id, err.description
                    )
                    await self._limiter.sleep(limits.forbidden_pause)
                    continue
                _LOGGER.warning("chat %s: Zalo refused a call: %s", chat_id, err)
                return Delivery.FAILED
            except ZaloNetworkError as err:
                network_tries += 1
                if network_tries > limits.max_retries:
                    _LOGGER.warning("chat %s: network error, giving up: %s", chat_id, err)
                    return Delivery.FAILED
                await self._limiter.sleep(limits.first_backoff * 2 ** (network_tries - 1))


def _insert_before_options(text: str, extra: str) -> str:
    """``extra`` as a paragraph before the last one when that is a numbered list."""
    head, sep, last = text.rpartition("\n\n")
    if sep and last.startswith("1. "):
        return f"{head}\n\n{extra}\n\n{last}"
    return f"{text}\n\n{extra}" if text else extra

"""Receiving updates at least once: an update is confirmed to Telegram only after it is settled.

PTB's own updater confirms an update (long polling: the next ``getUpdates`` offset; webhook: the
HTTP 200) as soon as the update is queued, before anything handled it, so a ``kill -9`` in that
window loses the message. Here the adapter's :meth:`settle` runs first:

* **Long polling** (:class:`Poller`) handles a whole ``getUpdates`` batch, then asks for the next
  one with ``offset`` past it. A process killed before that gets the same batch again.
* **Webhook** (:func:`webhook_server`, :mod:`bot.webhook`) answers 200 only once the update is
  settled and 500 when handling failed, so Telegram delivers it again.

A re-delivered update is harmless: the core stores each update id in the transaction of the
update's effects and skips an id it has seen. An update whose handling keeps failing is tried a
bounded number of times (:data:`MAX_ATTEMPTS`) before the person gets the apology and the update
is given up, so one poisonous update never blocks the chat or the batch for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import NetworkError, TelegramError

from bot.webhook import WebhookServer

__all__ = ["MAX_ATTEMPTS", "Poller", "Settle", "webhook_server"]

_LOGGER = logging.getLogger(__name__)

#: How often one update is tried before the person gets the apology and it is given up.
MAX_ATTEMPTS = 3
#: Pauses between attempts at a batch's failed updates (seconds), and after a failed poll.
BACKOFF = (0.5, 2.0, 5.0)
_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: A webhook body larger than this is not an update.
_MAX_BODY = 1 << 20

#: Handle one update; True once it is settled (handled, ignored or given up), False to retry.
Settle = Callable[[Update], Awaitable[bool]]


class Poller:
    """Long polling that confirms a batch only after every update in it is settled.

    Args:
        bot: The initialised PTB bot (its getUpdates request has its own connection).
        settle: The adapter's handler.
        allowed_updates: The update types asked for.
        timeout: Seconds a long poll may wait.
        concurrency: Updates of a batch handled at once (one chat's stay in order: the adapter
            holds a lock per chat, taken in arrival order).
        sleep: Injectable for tests.
        caught_up: Set once the first poll is over: it does not wait (``timeout=0``), so the
            updates that arrived while the bot was down are handled at once, and the
            start-up work that can wait (:func:`bot.channels.serve`) waits for them.
    """

    def __init__(
        self,
        bot: Bot,
        settle: Settle,
        allowed_updates: Sequence[str],
        timeout: int,
        concurrency: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        caught_up: asyncio.Event | None = None,
    ) -> None:
        self._bot = bot
        self._settle = settle
        self._allowed = list(allowed_updates)
        self._timeout = timeout
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self._sleep = sleep
        self.caught_up = caught_up or asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; the batch in hand is finished (and confirmed) first."""
        await self._bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            first = not self.caught_up.is_set()
            try:
                updates = await self._poll(offset, stop, 0 if first else self._timeout)
            except (NetworkError, TelegramError) as err:
                self.caught_up.set()  # what waits for the backlog need not wait for the network
                pause = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                _LOGGER.warning("getUpdates failed (%s); again in %.1fs", err, pause)
                await self._sleep(pause)
                continue
            failures = 0
            if updates is None:
                break  # stopped during the long poll: nothing was taken
            if updates:
                await self._handle_batch(updates)
                offset = updates[-1].update_id + 1
            self.caught_up.set()
        if offset is not None:
            await self._confirm(offset)

    async def _poll(
        self, offset: int | None, stop: asyncio.Event, wait: int
    ) -> tuple[Update, ...] | None:
        """One poll waiting up to ``wait`` seconds; None if ``stop`` was set first.

        A poll abandoned that way is not confirmed: what it took comes again.
        """
        poll = asyncio.ensure_future(
            self._bot.get_updates(offset=offset, timeout=wait, allowed_updates=self._allowed)
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            poll.cancel()
            raise
        finally:
            stopping.cancel()
        if poll.done():
            return poll.result()
        poll.cancel()  # what the abandoned poll took is not confirmed: it comes again
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await poll
        return None

    async def _handle_batch(self, updates: Sequence[Update]) -> None:
        """Settle every update of the batch, retrying the failed ones with a pause."""
        pending = list(updates)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await self._sleep(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)])
            tasks = [asyncio.ensure_future(self._one(update)) for update in pending]
            settled = await asyncio.gather(*tasks)
            pending = [u for u, done in zip(pending, settled, strict=True) if not done]
            if not pending:
                return

    async def _one(self, update: Update) -> bool:
        async with self._gate:
            return await self._settle(update)

    async def _confirm(self, offset: int) -> None:
        """Tell Telegram the last batch is done before stopping (a zero-timeout getUpdates)."""
        try:
            await self._bot.get_updates(offset=offset, timeout=0, limit=1)
        except TelegramError as err:  # the next start confirms it instead (a harmless redelivery)
            _LOGGER.info("could not confirm updates before %s on stopping: %s", offset, err)


def webhook_server(
    bot: Bot, settle: Settle, path: str, secret: str, listen: str, port: int
) -> WebhookServer[Update]:
    """The webhook server for Telegram's POSTs (see :class:`bot.webhook.WebhookServer`).

    Args:
        bot: The initialised PTB bot (to decode updates).
        settle: The adapter's handler.
        path: The URL path Telegram posts to (without the leading slash).
        secret: The secret token, compared in constant time with the request's header.
        listen: The address to listen on.
        port: The port to listen on.
    """

    def decode(data: Any) -> Update:
        update = Update.de_json(data, bot)
        if update is None:
            raise ValueError("empty body")
        return update

    return WebhookServer(
        decode,
        settle,
        path=path,
        header=_SECRET_HEADER,
        secret=secret,
        listen=listen,
        port=port,
        max_body=_MAX_BODY,
    )

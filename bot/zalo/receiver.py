"""Receiving Zalo updates: long polling (one update a call) or a webhook with a secret.

Zalo's getUpdates has no offset: an update is gone once a poll returned it, so polling cannot
confirm after handling (a process killed mid-update loses that one message; Zalo recommends the
webhook for production). The webhook server answers 200 only once the update is settled and
500 when handling failed, so Zalo may deliver it again; the core skips a redelivered update by
its id (``event_name:message_id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.webhook import NOT_AN_UPDATE, NotAnUpdate, WebhookServer
from bot.zalo.client import ZaloApiError, ZaloClient, ZaloNetworkError, ZaloUnauthorizedError

__all__ = ["BACKOFF", "SECRET_HEADER", "Settle", "ZaloPoller", "unwrap", "zalo_webhook_server"]

_LOGGER = logging.getLogger(__name__)

#: Pauses after a failed poll (seconds), the last one repeated.
BACKOFF = (0.5, 2.0, 5.0, 15.0)
SECRET_HEADER = "X-Bot-Api-Secret-Token"
#: A webhook body larger than this is not an update.
_MAX_BODY = 256 * 1024

#: Handle one raw update; True once settled (handled, ignored or given up), False to retry.
Settle = Callable[[dict[str, Any]], Awaitable[bool]]


def unwrap(body: Any) -> dict[str, Any] | None:
    """The update in a webhook body or a poll result: flat, or wrapped in ``{ok, result}``."""
    if isinstance(body, dict) and "event_name" not in body and "result" in body:
        body = body["result"]
    if isinstance(body, list):
        body = body[0] if body else None
    if isinstance(body, dict) and isinstance(body.get("event_name"), str):
        return body
    return None


class ZaloPoller:
    """Long polling, one update per call; each update is settled before the next poll.

    Args:
        client: The Bot API client.
        settle: The adapter's handler (it retries a failing update itself).
        timeout: Seconds a long poll may wait.
        sleep: Injectable for tests.
    """

    def __init__(
        self,
        client: ZaloClient,
        settle: Settle,
        timeout: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._settle = settle
        self._timeout = timeout
        self._sleep = sleep

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set (a 401 raises: the token is wrong)."""
        await self._client.delete_webhook()
        failures = 0
        while not stop.is_set():
            poll = asyncio.ensure_future(self._client.get_update(self._timeout))
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
            if not poll.done():
                poll.cancel()
                with contextlib.suppress(asyncio.CancelledError, ZaloApiError, ZaloNetworkError):
                    await poll
                return
            try:
                update = poll.result()
            except ZaloUnauthorizedError:
                raise
            except (ZaloApiError, ZaloNetworkError) as err:
                pause = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                _LOGGER.warning("getUpdates failed (%s); again in %.1fs", err, pause)
                await self._sleep(pause)
                continue
            failures = 0
            found = unwrap(update)
            if found is not None:
                await self._settle(found)


def zalo_webhook_server(
    settle: Settle, path: str, secret: str, listen: str, port: int
) -> WebhookServer[dict[str, Any]]:
    """The webhook server for Zalo's POSTs, flat or ``{ok, result}``-wrapped bodies.

    Args:
        settle: The adapter's handler.
        path: The URL path Zalo posts to.
        secret: Compared in constant time with ``X-Bot-Api-Secret-Token``.
        listen: The address to listen on.
        port: The port to listen on.
    """

    def decode(body: Any) -> dict[str, Any] | NotAnUpdate:
        update = unwrap(body)
        return NOT_AN_UPDATE if update is None else update

    return WebhookServer(
        decode,
        settle,
        path=path,
        header=SECRET_HEADER,
        secret=secret,
        listen=listen,
        port=port,
        max_body=_MAX_BODY,
    )

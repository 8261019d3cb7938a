"""One webhook server for every messenger: a secret header, 200 only once the update is settled.

A platform (Telegram, Zalo) posts each update to our URL with a secret in a header. The server
compares it in constant time, decodes the body with the channel's ``decode`` and hands the
update to the channel's ``settle``: 200 when it is settled (handled, ignored or given up), 500
when handling failed, so the platform delivers it again and the core skips what it has already
done by the update's id.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["NOT_AN_UPDATE", "NotAnUpdate", "WebhookServer"]

_LOGGER = logging.getLogger(__name__)

_U = TypeVar("_U")


class NotAnUpdate:
    """What ``decode`` returns for a well-formed body that holds no update (answered 200)."""


#: Returned by ``decode`` for a body to acknowledge and ignore (e.g. a platform's test ping).
NOT_AN_UPDATE = NotAnUpdate()


class WebhookServer(Generic[_U]):
    """An aiohttp server answering the platform's POSTs after each update is settled.

    Args:
        decode: The update in a parsed JSON body, :data:`NOT_AN_UPDATE` to ignore it; raises
            ``ValueError``, ``TypeError`` or ``KeyError`` for a body that is no update (400).
        settle: The adapter's handler: True once settled, False to have it delivered again.
        path: The URL path posted to.
        header: The request header carrying the secret.
        secret: Compared in constant time with that header.
        listen: The address to listen on.
        port: The port to listen on.
        max_body: A larger body is refused.
    """

    def __init__(
        self,
        decode: Callable[[Any], _U | NotAnUpdate],
        settle: Callable[[_U], Awaitable[bool]],
        *,
        path: str,
        header: str,
        secret: str,
        listen: str,
        port: int,
        max_body: int,
    ) -> None:
        self._decode = decode
        self._settle = settle
        self._header = header
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        from aiohttp import web  # the server's library: only in webhook mode

        app = web.Application(client_max_size=max_body)
        app.router.add_post("/" + path.lstrip("/"), self._receive)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        """Start listening."""
        from aiohttp import web

        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()

    async def stop(self) -> None:
        """Stop listening (requests being handled are finished first)."""
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        from aiohttp import web

        given = request.headers.get(self._header, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            update = self._decode(json.loads(await request.read()))
        except (ValueError, TypeError, KeyError) as err:
            _LOGGER.warning("webhook body is not an update: %s", err)
            return web.Response(status=400)
        if isinstance(update, NotAnUpdate):
            _LOGGER.info("webhook body without an update; ignored")
            return web.Response(status=200)
        if await self._settle(update):
            return web.Response(status=200)
        return web.Response(status=500)  # the platform delivers it again

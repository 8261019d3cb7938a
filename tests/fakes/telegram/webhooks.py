"""Webhooks: setWebhook (HTTPS, allowed ports, secret token), its info, and posting updates.

:meth:`WebhooksMixin.post_webhook` POSTs an update to the bot's listener like Telegram, on
loopback addresses only.
"""

from __future__ import annotations

import json
import re
from typing import Final
from urllib.parse import urlsplit

import aiohttp

from tests.fakes.telegram.state import FakeState
from tests.fakes.telegram.wire import JSONDict, UploadedFile, bad_request, bool_param

_WEBHOOK_PORTS: Final[frozenset[int]] = frozenset({80, 88, 443, 8443})


_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


_LOOPBACK_HOSTS: Final[frozenset[str]] = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhooksMixin(FakeState):
    """setWebhook, deleteWebhook, getWebhookInfo, and the test's :meth:`post_webhook`."""

    async def post_webhook(
        self, url: str, update: JSONDict, secret_token: str | None = None
    ) -> int:
        """POSTs an update to the bot's webhook listener like Telegram; returns the HTTP status.

        The update gets an ``update_id`` when it has none. Only loopback URLs are allowed.
        """
        host = urlsplit(url).hostname
        if host not in _LOOPBACK_HOSTS:
            raise ValueError(f"post_webhook only posts to loopback addresses, not {url!r}")
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        body = json.dumps(self._numbered(update))
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            await response.read()
            return response.status

    async def _set_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        url = params.get("url")
        if url is None or url == "":
            return await self._delete_webhook(params, files)
        if not isinstance(url, str):
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in _WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not (
            isinstance(secret, str) and _SECRET_TOKEN_RE.fullmatch(secret)
        ):
            raise bad_request("secret token contains unallowed characters")
        if bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        self.webhook = {
            key: value for key, value in params.items() if key not in {"certificate", "url"}
        }
        self.webhook["url"] = url
        self.webhook.setdefault("secret_token", None)
        self._updates_changed.notify()
        return True

    async def _delete_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        if bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook:
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
        return info

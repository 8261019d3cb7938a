"""A small client of the Zalo Bot API over httpx (composed, never subclassed).

Every method is ``POST <root>/bot<token>/<method>`` with a JSON body. Zalo answers errors with
HTTP 200 and ``{"ok": false, "error_code": …, "description": …}``, so success is ``ok == true``,
never the status line; a body that is not JSON (a proxy's 5xx page) is a transient error.
The token is part of the URL only: it is never logged, and it is removed from every message of
the errors raised here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "DEFAULT_API_URL",
    "BotInfo",
    "SentMessage",
    "ZaloApiError",
    "ZaloClient",
    "ZaloIdleError",
    "ZaloNetworkError",
    "ZaloRateLimitError",
    "ZaloUnauthorizedError",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL = "https://bot-api.zaloplatforms.com"


class ZaloApiError(Exception):
    """Zalo answered ``ok: false``.

    Attributes:
        code: ``error_code`` (400, 401, 403, 404, 408, 429…), 0 when absent.
        description: Zalo's ``description``.
    """

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"Zalo error {code}: {description}")
        self.code = code
        self.description = description


class ZaloUnauthorizedError(ZaloApiError):
    """401: the token is invalid or was reset in Zalo Bot Creator."""


class ZaloIdleError(ZaloApiError):
    """408: an idle long poll (normal) or a request that timed out."""


class ZaloRateLimitError(ZaloApiError):
    """429: quota exceeded (Zalo gives no ``retry_after``)."""


class ZaloNetworkError(Exception):
    """The request did not get a JSON answer (connection, timeout, a proxy's error page)."""


@dataclass(frozen=True, slots=True)
class BotInfo:
    """What getMe says about the bot."""

    id: str
    account_name: str

    @property
    def link(self) -> str:
        """The bot's profile link, where a user starts a chat."""
        return f"https://zalo.me/{self.id}"


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message Zalo accepted: its id and Zalo's timestamp (epoch milliseconds)."""

    message_id: str
    date: int


_ERRORS: dict[int, type[ZaloApiError]] = {
    401: ZaloUnauthorizedError,
    408: ZaloIdleError,
    429: ZaloRateLimitError,
}


class ZaloClient:
    """The Bot API methods tdkt-bot uses.

    Args:
        token: The bot token ``<bot_id>:<secret>`` (never logged).
        api_root: ``TDKT_ZALO_API_URL``: Zalo's server, a proxy or a local fake.
        http: A prepared client (tests); by default one is made and closed by :meth:`aclose`.
        timeout: Seconds for a call other than a long poll.
    """

    def __init__(
        self,
        token: str,
        api_root: str = DEFAULT_API_URL,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._token = token
        self._base = f"{api_root.rstrip('/')}/bot{token}/"
        self._own = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    @property
    def bot_id(self) -> str:
        """The part of the token before ``:`` (not secret: it is in the bot's public link)."""
        return self._token.split(":", 1)[0]

    async def aclose(self) -> None:
        """Close the HTTP connections (only those this client opened)."""
        if self._own:
            await self._http.aclose()

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, wait: float | None = None
    ) -> Any:
        """Call ``method`` and return its ``result``.

        Raises:
            ZaloApiError: ``ok: false`` (a subclass for 401, 408 and 429).
            ZaloNetworkError: No JSON answer came back.
        """
        try:
            response = await self._http.post(
                self._base + method, json=params or {}, timeout=wait or self._timeout
            )
        except httpx.HTTPError as err:
            raise ZaloNetworkError(
                self._redact(f"{method}: {type(err).__name__}: {err}")
            ) from None
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            raise ZaloNetworkError(
                f"{method}: HTTP {response.status_code} without a JSON body"
            ) from None
        if not isinstance(body, dict):
            raise ZaloNetworkError(f"{method}: the answer is not a JSON object")
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        code = code if isinstance(code, int) else response.status_code
        if code == 200:
            code = 0
        description = self._redact(str(body.get("description") or ""))
        raise _ERRORS.get(code, ZaloApiError)(code, description)

    async def get_me(self) -> BotInfo:
        """The bot's id and account name."""
        result = await self.call("getMe")
        if not isinstance(result, dict) or not result.get("id"):
            raise ZaloNetworkError("getMe: no bot id in the answer")
        return BotInfo(str(result["id"]), str(result.get("account_name") or ""))

    async def get_update(self, poll_seconds: int) -> dict[str, Any] | None:
        """One long poll: the next update, or None when the poll was idle (408).

        Zalo returns one update per call and has no offset: an update is gone once returned.
        A list (seen in one unofficial description) is read defensively: its first element.
        """
        try:
            result = await self.call(
                "getUpdates", {"timeout": str(poll_seconds)}, wait=poll_seconds + 5.0
            )
        except ZaloIdleError:
            return None
        if isinstance(result, list):
            result = result[0] if result else None
        return result if isinstance(result, dict) else None

    async def set_webhook(self, url: str, secret_token: str) -> None:
        """Register the webhook (HTTPS) and the secret Zalo sends with each delivery."""
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        """Remove the webhook (long polling does not work while one is set)."""
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        """``{url, updated_at}`` (never the secret)."""
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    async def send_message(self, chat_id: str, text: str) -> SentMessage:
        """Send plain text (1–2000 characters)."""
        return _sent(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> SentMessage:
        """Send a picture Zalo fetches from ``photo_url``."""
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return _sent(await self.call("sendPhoto", params))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show "typing…" in the chat for a few seconds."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


def _sent(result: Any) -> SentMessage:
    """The sent message's id and date; tolerant of a missing result."""
    if not isinstance(result, dict):
        return SentMessage("", 0)
    date = result.get("date")
    return SentMessage(str(result.get("message_id") or ""), date if isinstance(date, int) else 0)

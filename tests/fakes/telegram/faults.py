"""Faults the test injects, and Telegram-like flood control on the send methods."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

from tests.fakes.telegram.state import FakeState
from tests.fakes.telegram.wire import ApiError, JSONDict, as_chat_key


@dataclass
class Fault:
    method: str  # lower-case
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | str | None


class FaultsMixin(FakeState):
    """Failing calls, blocked chats and rate limits.

    Attributes:
        refused_429: How many send calls :meth:`rate_limit` refused.
    """

    def __init__(self) -> None:
        super().__init__()
        self.refused_429 = 0
        self._faults: list[Fault] = []
        self._blocked: set[int | str] = set()
        self._per_second: int | None = None
        self._per_chat_per_second: float | None = None
        self._accepted_sends: deque[tuple[float, int | str | None]] = deque()

    def fail(
        self,
        method: str,
        *,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Makes the next ``times`` calls of ``method`` (optionally to one chat) fail.

        Args:
            method: Method name, case-insensitive.
            error_code: The error code (also the HTTP status).
            description: The description; defaults to Telegram's usual text for the code (for
                429: ``Too Many Requests: retry after N``).
            retry_after: Adds ``parameters.retry_after`` (PTB then raises RetryAfter).
            times: How many calls fail.
            chat_id: Only calls to this chat fail.
        """
        if description is None:
            description = {
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, f"Error {error_code}")
        self._faults.append(
            Fault(method.lower(), error_code, description, retry_after, times, chat_id)
        )

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send/edit to that chat answers 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undoes :meth:`block`."""
        self._blocked.discard(chat_id)

    def rate_limit(self, per_second: int = 30, per_chat_per_second: float | None = None) -> None:
        """Enforces Telegram-like flood limits on send methods (sliding 1-second window).

        Sends beyond the limit answer 429 with ``retry_after`` 1 and are counted in
        :attr:`refused_429`. A per-chat rate below 1 (e.g. 20/60 for groups) allows one message
        per ``1 / rate`` seconds.
        """
        self._per_second = per_second
        self._per_chat_per_second = per_chat_per_second

    def reset_faults(self) -> None:
        """Removes pending :meth:`fail` faults, blocks and rate limits."""
        self._faults.clear()
        self._blocked.clear()
        self._per_second = None
        self._per_chat_per_second = None
        self._accepted_sends.clear()

    def _check_faults(self, method: str, params: JSONDict) -> None:
        lower = method.lower()
        chat = params.get("chat_id")
        chat_key = as_chat_key(chat) if isinstance(chat, int | str) else None
        for fault in self._faults:
            if fault.method != lower or fault.remaining <= 0:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_key:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            raise ApiError(fault.error_code, fault.description, fault.retry_after)
        if chat_key is None:
            return
        if chat_key in self._blocked and lower.startswith(("send", "edit")):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if lower.startswith("send") and lower != "sendchataction":
            self._check_rate(chat_key)

    def _check_rate(self, chat: int | str) -> None:
        if self._per_second is None and self._per_chat_per_second is None:
            return
        now = asyncio.get_running_loop().time()
        chat_window, chat_allowed = 1.0, 0
        if self._per_chat_per_second is not None:
            rate = self._per_chat_per_second
            if rate >= 1:
                chat_allowed = math.floor(rate)
            else:
                chat_window, chat_allowed = 1.0 / rate, 1
        horizon = now - max(1.0, chat_window)
        while self._accepted_sends and self._accepted_sends[0][0] <= horizon:
            self._accepted_sends.popleft()
        refused = False
        if self._per_second is not None:
            recent = sum(1 for at, _ in self._accepted_sends if at > now - 1.0)
            refused = recent >= self._per_second
        if not refused and self._per_chat_per_second is not None:
            recent = sum(
                1 for at, to in self._accepted_sends if to == chat and at > now - chat_window
            )
            refused = recent >= chat_allowed
        if refused:
            self.refused_429 += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._accepted_sends.append((now, chat))

"""Updates: what users send (injected by the test) and getUpdates long polling.

A newer getUpdates terminates a waiting one with 409, like Telegram; ``offset`` confirms updates;
:meth:`UpdatesMixin.redeliver` sends the very same update again (a webhook retry, a restart).
"""

from __future__ import annotations

import asyncio
import copy
from typing import Final

from tests.fakes.telegram.state import FakeState
from tests.fakes.telegram.wire import (
    ApiError,
    JSONDict,
    UploadedFile,
    bad_request,
    int_param,
    utf16_len,
)

# Update types Telegram leaves out when allowed_updates is empty (the default).
_OPT_IN_UPDATES: Final[frozenset[str]] = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


class UpdatesMixin(FakeState):
    """Injecting updates, and serving them to getUpdates."""

    def __init__(self) -> None:
        super().__init__()
        self._redeliveries: list[JSONDict] = []
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._waiting_polls = 0
        self._next_callback_id = 1

    def inject_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str = "private",
        first_name: str = "Người dùng",
        chat_title: str | None = None,
    ) -> JSONDict:
        """Queues a text message from a user; returns the update.

        A text starting with ``/`` gets a ``bot_command`` entity for its first word.
        """
        message = self._user_message(chat_id, user_id, chat_type, first_name, chat_title)
        message["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._queue_message(message)

    def inject_callback(
        self,
        chat_id: int,
        user_id: int,
        data: str,
        *,
        message_id: int,
        first_name: str = "Người dùng",
    ) -> JSONDict:
        """Queues a press on an inline button of a message the fake knows; returns the update.

        Raises:
            KeyError: The fake has no message ``message_id`` in that chat.
        """
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        query_id = str(4_000_000_000_000 + self._next_callback_id)
        self._next_callback_id += 1
        self._callback_queries[query_id] = False
        return self.inject_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id, first_name),
                    "message": copy.deepcopy(message),
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                }
            }
        )

    def redeliver(self, update: JSONDict) -> None:
        """Delivers the very same update (same ``update_id``) again with the next getUpdates.

        The redelivery ignores the offset, like Telegram re-sending an update twice.
        """
        if "update_id" not in update:
            raise ValueError("redeliver() needs an update with an update_id")
        self._redeliveries.append(copy.deepcopy(update))
        self._updates_changed.notify()

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by an offset (copies)."""
        return copy.deepcopy(self._pending)

    @property
    def waiting_polls(self) -> int:
        """How many getUpdates requests are waiting for updates right now."""
        return self._waiting_polls

    async def wait_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Waits until a getUpdates request is long-polling (the bot is ready for updates)."""
        await self._wait_until(lambda: self._waiting_polls > 0, timeout, "a waiting getUpdates")

    async def _get_updates(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> list[JSONDict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int_param(params, "offset")
        limit = min(max(int_param(params, "limit") or 100, 1), 100)
        timeout = params.get("timeout") or 0
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise bad_request("wrong parameter timeout specified")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]

        # Like Telegram, a newer getUpdates terminates a waiting one with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_changed.notify()

        if offset is not None and offset < 0:
            self._pending = self._pending[offset:]
        elif offset is not None:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(timeout)
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            batch = self._take_updates(limit)
            remaining = deadline - loop.time()
            if batch or self._stopping or remaining <= 0:
                return batch
            self._waiting_polls += 1
            try:
                await self._updates_changed.wait(remaining)
            finally:
                self._waiting_polls -= 1

    def _take_updates(self, limit: int) -> list[JSONDict]:
        batch: list[JSONDict] = []
        while self._redeliveries and len(batch) < limit:
            batch.append(self._redeliveries.pop(0))
        for update in self._pending:
            if len(batch) >= limit:
                break
            kind = next((key for key in update if key != "update_id"), "")
            if self._allowed_updates:
                if kind not in self._allowed_updates:
                    continue
            elif kind in _OPT_IN_UPDATES:
                continue
            batch.append(copy.deepcopy(update))
        return batch

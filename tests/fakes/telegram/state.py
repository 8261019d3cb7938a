"""What every part of the fake shares: the chats, their messages and the update queue.

:class:`FakeState` is the base of the fake's parts (:mod:`~tests.fakes.telegram.updates`,
:mod:`~tests.fakes.telegram.methods`, :mod:`~tests.fakes.telegram.files`,
:mod:`~tests.fakes.telegram.faults`, :mod:`~tests.fakes.telegram.webhooks`), which
:class:`~tests.fakes.telegram.server.FakeBotAPI` puts together. Each part keeps its own state in
its ``__init__``; what two parts use is here.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import Callable
from typing import Final

from aiohttp import web

from tests.fakes.telegram.entities import MAX_CAPTION, render
from tests.fakes.telegram.wire import (
    BOT_USER,
    Call,
    JSONDict,
    as_chat_key,
    bad_request,
    bool_param,
    int_param,
)


class Signal:
    """Wakes every waiter when something changed (no lost wake-ups in a single loop)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Returns on the next notify() or after ``seconds``."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


class FakeState:
    """The state the fake's parts share, and the helpers that read and change it.

    Attributes:
        calls: Every answered request, in the order the answers were sent.
        webhook: The webhook set by setWebhook (``url``, ``secret_token`` and the other
            parameters given), or None.
    """

    TOKEN: Final = "123456789:TEST-token-not-real"

    BOT: Final[JSONDict] = {
        "id": 123456789,
        "is_bot": True,
        "first_name": "TĐKT test bot",
        "username": "tdkt_test_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.webhook: JSONDict | None = None

        self._stopping = False
        self._calls_changed = Signal()
        self._updates_changed = Signal()

        self._pending: list[JSONDict] = []
        self._next_update_id = 1

        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered

    def inject_update(self, update: JSONDict) -> JSONDict:
        """Queues a raw update (a copy), numbering it when it has no ``update_id``."""
        queued = self._numbered(update)
        query = queued.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._callback_queries.setdefault(query["id"], False)
        self._pending.append(queued)
        self._updates_changed.notify()
        return copy.deepcopy(queued)

    def message(self, chat_id: int, message_id: int) -> JSONDict:
        """The current state of a message (a copy), e.g. after edits.

        Raises:
            KeyError: Unknown message.
        """
        return copy.deepcopy(self._messages[(chat_id, message_id)])

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _wait_until(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not condition():
            if loop.time() >= deadline:
                raise AssertionError(f"timed out after {seconds}s waiting for {what}")
            await asyncio.sleep(0.005)

    def _numbered(self, update: JSONDict) -> JSONDict:
        numbered = copy.deepcopy(update)
        if "update_id" not in numbered:
            numbered["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(numbered["update_id"]) + 1)
        return numbered

    @staticmethod
    def _user(user_id: int, first_name: str) -> JSONDict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def _chat(self, chat_id: int | str) -> JSONDict:
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Người dùng"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "Nhóm thử nghiệm"}

    def _user_message(
        self,
        chat_id: int,
        user_id: int,
        chat_type: str,
        first_name: str,
        chat_title: str | None,
    ) -> JSONDict:
        if chat_type == "private":
            chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or "Nhóm thử nghiệm"}
        self._chats[chat_id] = chat
        return {
            "message_id": self._new_message_id(chat_id),
            "from": self._user(user_id, first_name),
            "chat": dict(chat),
            "date": int(time.time()),
        }

    def _queue_message(self, message: JSONDict) -> JSONDict:
        self._messages[(message["chat"]["id"], message["message_id"])] = copy.deepcopy(message)
        return self.inject_update({"message": message})

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _require_chat(self, params: JSONDict) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        chat = as_chat_key(value)
        if not isinstance(chat, int):
            raise bad_request("chat not found")
        return chat

    def _require_message(self, params: JSONDict) -> JSONDict:
        chat = self._require_chat(params)
        message_id = int_param(params, "message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._messages.get((chat, message_id))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != BOT_USER["id"]:
            raise bad_request("message can't be edited")
        return message

    def _bot_message(self, chat_id: int, params: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(BOT_USER),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        reply_to = int_param(params, "reply_to_message_id")
        allow_missing = bool_param(params, "allow_sending_without_reply")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = int_param(reply_parameters, "message_id")
            allow_missing = bool_param(reply_parameters, "allow_sending_without_reply")
        if reply_to is not None:
            target = self._messages.get((chat_id, reply_to))
            if target is not None:
                replied = copy.deepcopy(target)
                replied.pop("reply_to_message", None)
                message["reply_to_message"] = replied
            elif not allow_missing:
                raise bad_request("message to be replied not found")
        return message

    def _store(self, message: JSONDict) -> JSONDict:
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def _add_caption(self, message: JSONDict, params: JSONDict) -> None:
        caption = params.get("caption")
        if caption is None or caption == "":
            return
        rendered, entities = render(
            str(caption), params.get("parse_mode"), params.get("caption_entities"), "caption"
        )
        if len(rendered) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        if rendered:
            message["caption"] = rendered
        if entities:
            message["caption_entities"] = entities

    @staticmethod
    def _set_optional(message: JSONDict, key: str, value: object) -> None:
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value

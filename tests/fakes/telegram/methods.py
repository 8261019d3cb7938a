"""The Bot API methods on text messages, callback queries, commands and chat actions."""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Final

from tests.fakes.telegram.entities import MAX_TEXT, check_markup, render
from tests.fakes.telegram.state import FakeState
from tests.fakes.telegram.wire import JSONDict, UploadedFile, bad_request, int_param

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")


_CHAT_ACTIONS: Final[frozenset[str]] = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class MethodsMixin(FakeState):
    """getMe, sendMessage, the edits, deleteMessage, answerCallbackQuery, the commands…

    Attributes:
        commands: The ``commands`` of the last setMyCommands call (any scope), or None.
    """

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[JSONDict] | None = None
        self._commands_by_scope: dict[tuple[str, str], list[JSONDict]] = {}
        self._last_commands_key: tuple[str, str] | None = None

    async def _true(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        return True

    async def _get_me(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        return dict(self.BOT)

    async def _send_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._require_chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise bad_request("message text is empty")
        rendered, entities = render(text, params.get("parse_mode"), params.get("entities"), "text")
        if len(rendered) > MAX_TEXT:
            raise bad_request("message is too long")
        markup = check_markup(params.get("reply_markup"))
        message = self._bot_message(chat, params)
        message["text"] = rendered
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    def _edited(self, message: JSONDict, markup: JSONDict | None) -> JSONDict:
        """Finish an edit: the new keyboard (none removes it) and the edit time; a copy."""
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _edit_message_text(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._require_message(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise bad_request("message text is empty")
        rendered, entities = render(text, params.get("parse_mode"), params.get("entities"), "text")
        if len(rendered) > MAX_TEXT:
            raise bad_request("message is too long")
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = check_markup(params.get("reply_markup"))
        if (
            rendered == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(_NOT_MODIFIED)
        message["text"] = rendered
        self._set_optional(message, "entities", entities or None)
        return self._edited(message, markup)

    async def _edit_message_caption(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._require_message(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        before = (message.get("caption"), message.get("caption_entities"))
        before_markup = message.get("reply_markup")
        edited = {key: value for key, value in message.items() if not key.startswith("caption")}
        self._add_caption(edited, params)
        markup = check_markup(params.get("reply_markup"))
        after = (edited.get("caption"), edited.get("caption_entities"))
        if before == after and markup == before_markup:
            raise bad_request(_NOT_MODIFIED)
        for key in ("caption", "caption_entities"):
            self._set_optional(message, key, edited.get(key))
        return self._edited(message, markup)

    async def _edit_message_reply_markup(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._require_message(params)
        markup = check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        return self._edited(message, markup)

    async def _delete_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._require_chat(params)
        message_id = int_param(params, "message_id")
        if message_id is None or self._messages.pop((chat, message_id), None) is None:
            raise bad_request("message to delete not found")
        return True

    async def _answer_callback_query(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> bool:
        query_id = params.get("callback_query_id")
        if not isinstance(query_id, str) or self._callback_queries.get(query_id) is not False:
            raise bad_request(_QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        language = params.get("language_code") or ""
        return json.dumps(scope, sort_keys=True), str(language)

    async def _set_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        self._commands_by_scope[key] = copy.deepcopy(commands)
        self._last_commands_key = key
        self.commands = copy.deepcopy(commands)
        return True

    async def _get_my_commands(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> list[JSONDict]:
        return copy.deepcopy(self._commands_by_scope.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        key = self._commands_key(params)
        self._commands_by_scope.pop(key, None)
        if key == self._last_commands_key:
            self.commands = None
        return True

    async def _send_chat_action(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._require_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

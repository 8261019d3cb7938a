"""The Bot API's wire format as the fake speaks it: parameters, answers, errors, records.

Parameters arrive as a query string, JSON, a urlencoded form or multipart form data; PTB
JSON-encodes non-string form values, so every field that parses as JSON is decoded, except the
free-text fields of :data:`TEXT_FIELDS`. Errors are :class:`ApiError` (Telegram's error codes and
descriptions); every answered request is recorded as a :class:`Call`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

JSONDict = dict[str, Any]


#: Parameters kept verbatim (never JSON-decoded) although their value may look like JSON, e.g. a
#: message text ``"42"`` or ``"[1, 2]"`` or a numeric ``callback_query_id``.
TEXT_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "certificate",
        "cover",
        "custom_emoji_id",
        "custom_title",
        "description",
        "document",
        "emoji",
        "explanation",
        "file_id",
        "first_name",
        "inline_message_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "parse_mode",
        "phone_number",
        "photo",
        "query",
        "question",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "thumbnail",
        "title",
        "url",
        "vcard",
        "video",
        "video_note",
        "voice",
    }
)


# Canonical spelling of every method the fake serves (lower-case name -> Bot API name).
METHODS: Final[tuple[str, ...]] = (
    "getMe",
    "logOut",
    "close",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendChatAction",
    "sendDocument",
    "sendPhoto",
    "getFile",
)


CANONICAL: Final[dict[str, str]] = {name.lower(): name for name in METHODS}


#: Methods whose successful calls count as messages delivered to a chat.
SEND_METHODS: Final[frozenset[str]] = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


EDIT_METHODS: Final[frozenset[str]] = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup"}
)


# The ``from`` of messages the bot sends (Telegram leaves out the getMe-only capability flags).
BOT_USER: Final[JSONDict] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "TĐKT test bot",
    "username": "tdkt_test_bot",
}


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request.

    Attributes:
        name: The file name the client sent.
        content_type: The part's content type.
        data: The bytes.
    """

    name: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request the fake answered.

    Attributes:
        method: Bot API method name in its canonical spelling (``sendMessage``), or as requested
            when unknown.
        params: The decoded parameters (see the module docstring for the decoding rules).
        files: File parts of a multipart request, by part name.
        at: Event loop time (``loop.time()``) when the request arrived.
        error_code: The error code answered, or None when the call succeeded.
        description: The error description answered, or None when the call succeeded.
        result: The ``result`` answered on success (e.g. the Message dict), else None.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float
    error_code: int | None = None
    description: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error_code is None

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter (an int when numeric), or None."""
        value = self.params.get("chat_id")
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        return as_chat_key(value)

    @property
    def text(self) -> str | None:
        """Text or caption as the user sees it (HTML rendered), else the raw parameter."""
        if isinstance(self.result, dict):
            rendered = self.result.get("text", self.result.get("caption"))
            if isinstance(rendered, str):
                return rendered
        raw = self.params.get("text", self.params.get("caption"))
        return raw if isinstance(raw, str) else None

    def summary(self, origin: float = 0.0) -> str:
        """One line describing the call, for assertion messages."""
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        text = self.text
        shown = f" {text[:80]!r}" if text is not None else ""
        return f"+{self.at - origin:.3f}s {self.method} chat={self.chat_id} {outcome}{shown}"


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def as_chat_key(value: object) -> int | str:
    """Normalises a chat id: ints and numeric strings become ints, ``@names`` stay strings."""
    if isinstance(value, bool):
        raise bad_request("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    raise bad_request("chat not found")


def decode_field(name: str, value: str) -> Any:
    """Decodes one form/query field the way PTB encodes it (see :data:`TEXT_FIELDS`)."""
    if name in TEXT_FIELDS or not value.strip():
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if decoded is None or (isinstance(decoded, float) and not math.isfinite(decoded)):
        return value
    return decoded


def int_param(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad_request(f"wrong parameter {name} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {name} specified") from None


def bool_param(params: JSONDict, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1"}
    return bool(value)


Handler = Callable[[JSONDict, dict[str, UploadedFile]], Awaitable[Any]]

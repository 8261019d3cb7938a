"""A fake Telegram Bot API server for tests (aiohttp on 127.0.0.1, never the internet).

The fake speaks enough of the Bot API for python-telegram-bot (PTB) to run against it unchanged:
point ``telegram.Bot(FakeBotAPI.TOKEN, base_url=f"{api.url}/bot",
base_file_url=f"{api.url}/file/bot")`` (or ``ApplicationBuilder().base_url(...)``) at it.

What it does, in short:

* Serves ``/bot{token}/{method}`` (GET and POST, method names case-insensitive) with parameters
  from the query string, ``application/json``, ``application/x-www-form-urlencoded`` or
  ``multipart/form-data``. PTB always POSTs form fields whose non-string values are JSON-encoded
  (``"42"``, ``"true"``, ``'{"inline_keyboard": ...}'``); the fake JSON-decodes every field value
  that parses as JSON, except the free-text fields listed in :data:`TEXT_FIELDS` (``text``,
  ``caption``, ``callback_query_id``, ``file_id``, ...), which are kept verbatim.
* Answers like Telegram, including the errors a real bot trips over: HTML that Telegram cannot
  parse, ``message is not modified``, ``message is too long``, invalid ``callback_data``,
  ``query is too old``, ``file is too big`` (getFile above 20 MB), a webhook that is not HTTPS,
  ``getUpdates`` while a webhook is set or while another ``getUpdates`` is waiting (409).
* Records every call (:class:`Call`) and offers test-side helpers to inject updates, wait for
  calls, and inject faults (:meth:`FakeBotAPI.fail`, :meth:`FakeBotAPI.block`,
  :meth:`FakeBotAPI.rate_limit`).

Only ``parse_mode="HTML"`` is parsed into entities (the bot renders a small HTML subset); text sent
with ``Markdown``/``MarkdownV2`` is kept as is, without entities and without validation.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

import aiohttp
import pytest_asyncio
from aiohttp import web

__all__ = [
    "TEXT_FIELDS",
    "Call",
    "FakeBotAPI",
    "UploadedFile",
    "fake_telegram",
]

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
_METHODS: Final[tuple[str, ...]] = (
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
_CANONICAL: Final[dict[str, str]] = {name.lower(): name for name in _METHODS}

#: Methods whose successful calls count as messages delivered to a chat.
SEND_METHODS: Final[frozenset[str]] = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_EDIT_METHODS: Final[frozenset[str]] = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup"}
)

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

# Update types Telegram leaves out when allowed_updates is empty (the default).
_OPT_IN_UPDATES: Final[frozenset[str]] = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

_MAX_TEXT: Final = 4096
_MAX_CAPTION: Final = 1024
_MAX_DOWNLOAD: Final = 20 * 1024 * 1024  # getFile refuses bigger files
_MAX_UPLOAD: Final = 50 * 1024 * 1024
_WEBHOOK_PORTS: Final[frozenset[int]] = frozenset({80, 88, 443, 8443})
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_LOOPBACK_HOSTS: Final[frozenset[str]] = frozenset({"127.0.0.1", "localhost", "::1"})

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

# The ``from`` of messages the bot sends (Telegram leaves out the getMe-only capability flags).
_BOT_USER: Final[JSONDict] = {
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
        return _as_chat_key(value)

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


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_size: int
    data: bytes


@dataclass
class _Fault:
    method: str  # lower-case
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | str | None


class _ApiError(Exception):
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


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


class _Signal:
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


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _as_chat_key(value: object) -> int | str:
    """Normalises a chat id: ints and numeric strings become ints, ``@names`` stay strings."""
    if isinstance(value, bool):
        raise _bad_request("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    raise _bad_request("chat not found")


def _decode_field(name: str, value: str) -> Any:
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


def _int_param(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad_request(f"wrong parameter {name} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"wrong parameter {name} specified") from None


def _bool_param(params: JSONDict, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1"}
    return bool(value)


# --------------------------------------------------------------------------------------------
# HTML parse mode, after tdlib's parse_html (the error texts are Telegram's).
# --------------------------------------------------------------------------------------------

_HTML_ENTITY_TYPES: Final[dict[str, str]] = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_HTML_ENTITIES: Final[dict[str, str]] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE: Final = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the output text
    attributes: dict[str, str]


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, pos)
    if match is None:
        return None
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        char = _NAMED_HTML_ENTITIES.get(named)
        return (char, match.end()) if char is not None else None
    code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Renders Telegram HTML into plain text and entities, raising Telegram's parse errors."""

    def fail(detail: str) -> _ApiError:
        return _bad_request(f"can't parse entities: {detail}")

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    out: list[str] = []
    out_len = 0  # UTF-16 length of the output so far
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += _utf16_len(chunk)

    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            emit(char)
            i += 1
            continue
        begin = i
        i += 1
        if i >= n or text[i] != "/":
            # A start tag.
            j = i
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[i:j].lower()
            if tag not in _HTML_ENTITY_TYPES:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}')
            attributes: dict[str, str] = {}
            i = j
            while True:
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}')
                if text[i] == ">":
                    i += 1
                    break
                name_start = i
                while i < n and not text[i].isspace() and text[i] not in "=>":
                    i += 1
                attribute = text[name_start:i].lower()
                if not attribute:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                while i < n and text[i].isspace():
                    i += 1
                if i >= n or text[i] != "=":
                    attributes[attribute] = ""  # e.g. <blockquote expandable>
                    continue
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}')
                if text[i] in "'\"":
                    quote = text[i]
                    end = text.find(quote, i + 1)
                    if end < 0:
                        raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                    attributes[attribute] = html.unescape(text[i + 1 : end])
                    i = end + 1
                else:
                    value_start = i
                    while i < n and (text[i].isalnum() or text[i] in ".-"):
                        i += 1
                    attributes[attribute] = text[value_start:i]
            if tag == "span" and attributes.get("class") != "tg-spoiler":
                raise fail(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append(_OpenTag(tag, out_len, attributes))
            continue
        # An end tag.
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        i += 1
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        end_tag = text[i:j].lower()
        while j < n and text[j].isspace():
            j += 1
        if j >= n or text[j] != ">":
            raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        open_tag = stack.pop()
        if end_tag and end_tag != open_tag.name:
            raise fail(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, expected "
                f'"</{open_tag.name}>", found "</{end_tag}>"'
            )
        i = j + 1
        length = out_len - open_tag.offset
        language = open_tag.attributes.get("class", "")
        if open_tag.name == "code" and stack and stack[-1].name == "pre":
            if language.startswith("language-"):
                stack[-1].attributes["language"] = language.removeprefix("language-")
            continue  # <pre><code> is one pre entity
        if length <= 0:
            continue
        entity: JSONDict = {
            "type": _HTML_ENTITY_TYPES[open_tag.name],
            "offset": open_tag.offset,
            "length": length,
        }
        if open_tag.name == "a":
            entity["url"] = open_tag.attributes.get("href", "")
        elif open_tag.name == "pre" and open_tag.attributes.get("language"):
            entity["language"] = open_tag.attributes["language"]
        elif open_tag.name == "blockquote" and "expandable" in open_tag.attributes:
            entity["type"] = "expandable_blockquote"
        elif open_tag.name == "tg-emoji":
            entity["custom_emoji_id"] = open_tag.attributes.get("emoji-id", "")
        entities.append(entity)
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strips surrounding whitespace like Telegram does, shifting the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_Handler = Callable[[JSONDict, dict[str, UploadedFile]], Awaitable[Any]]


class FakeBotAPI:
    """A fake Telegram Bot API server on 127.0.0.1 (random free port) in the running loop.

    Use ``async with FakeBotAPI() as api:`` or :meth:`start`/:meth:`stop`, or the
    :func:`fake_telegram` fixture.

    Attributes:
        calls: Every answered request, in the order the answers were sent.
        webhook: The webhook set by setWebhook (``url``, ``secret_token`` and the other
            parameters given), or None.
        commands: The ``commands`` of the last setMyCommands call (any scope), or None.
        refused_429: How many send calls :meth:`rate_limit` refused.
        downloads: File paths downloaded through ``/file/bot{token}/...``, in order.
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
        self.commands: list[JSONDict] | None = None
        self.refused_429 = 0
        self.downloads: list[str] = []

        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._stopping = False
        self._calls_changed = _Signal()
        self._updates_changed = _Signal()

        self._pending: list[JSONDict] = []
        self._redeliveries: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._waiting_polls = 0

        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._next_callback_id = 1
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._next_file = 1
        self._commands_by_scope: dict[tuple[str, str], list[JSONDict]] = {}
        self._last_commands_key: tuple[str, str] | None = None

        self._faults: list[_Fault] = []
        self._blocked: set[int | str] = set()
        self._per_second: int | None = None
        self._per_chat_per_second: float | None = None
        self._accepted_sends: deque[tuple[float, int | str | None]] = deque()

        self._handlers: dict[str, _Handler] = {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "getfile": self._get_file,
        }

    # ----------------------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:41234``."""
        if self._url is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._url

    async def start(self) -> None:
        """Starts serving on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already started")
        app = web.Application(client_max_size=_MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._stopping = False
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stops the server; waiting getUpdates calls return at once. Idempotent."""
        runner = self._runner
        if runner is None:
            return
        self._stopping = True
        self._updates_changed.notify()
        self._runner = None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------- injection

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
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
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

    def inject_document(
        self,
        chat_id: int,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        *,
        caption: str | None = None,
        declared_size: int | None = None,
        chat_type: str = "private",
        first_name: str = "Người dùng",
        chat_title: str | None = None,
    ) -> JSONDict:
        """Queues a document message and registers its bytes for getFile; returns the update.

        Args:
            chat_id: The chat.
            user_id: The sender.
            data: The file's bytes (what a download returns).
            file_name: ``document.file_name``.
            mime_type: ``document.mime_type``.
            caption: Optional caption.
            declared_size: ``document.file_size`` to claim instead of ``len(data)`` (a 25 MB file
                without 25 MB of bytes; getFile refuses files above 20 MB like Telegram).
            chat_type: ``private``, ``group`` or ``supergroup``.
            first_name: The sender's first name.
            chat_title: Title of a group chat.
        """
        stored = self._register_file(data, "documents", file_name, declared_size)
        message = self._user_message(chat_id, user_id, chat_type, first_name, chat_title)
        message["document"] = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if caption is not None:
            message["caption"] = caption
        return self._queue_message(message)

    def inject_photo(
        self,
        chat_id: int,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_type: str = "private",
        first_name: str = "Người dùng",
        chat_title: str | None = None,
    ) -> JSONDict:
        """Queues a photo message (two sizes, the largest last); returns the update.

        Both sizes download as ``data``.
        """
        message = self._user_message(chat_id, user_id, chat_type, first_name, chat_title)
        message["photo"] = self._photo_sizes(data)
        if caption is not None:
            message["caption"] = caption
        return self._queue_message(message)

    def inject_update(self, update: JSONDict) -> JSONDict:
        """Queues a raw update (a copy), numbering it when it has no ``update_id``."""
        queued = self._numbered(update)
        query = queued.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._callback_queries.setdefault(query["id"], False)
        self._pending.append(queued)
        self._updates_changed.notify()
        return copy.deepcopy(queued)

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

    # ----------------------------------------------------------------------------- records

    def calls_of(self, method: str) -> list[Call]:
        """Calls of one method (name case-insensitive), failed ones included."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def sent_to(self, chat_id: int) -> list[Call]:
        """Successful sendMessage/sendDocument/sendPhoto calls to a chat, in order."""
        return [
            call
            for call in self.calls
            if call.ok and call.method in SEND_METHODS and call.chat_id == chat_id
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts (or captions, ``""`` when none) of :meth:`sent_to`, as the user sees them."""
        return [call.text or "" for call in self.sent_to(chat_id)]

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - the test-side API mirrors pytest's wording
    ) -> list[Call]:
        """Waits until at least ``count`` recorded calls satisfy ``predicate``; returns them all.

        Raises:
            AssertionError: On timeout, with a summary of the recent calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matched = [call for call in self.calls if predicate(call)]
            if len(matched) >= count:
                return matched
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} matching call(s), "
                    f"found {len(matched)}; recent calls:\n{self.describe_calls()}"
                )
            await self._calls_changed.wait(remaining)

    async def wait_text(
        self,
        chat_id: int,
        substring: str,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        include_edits: bool = False,
    ) -> Call:
        """Waits for a successful send to ``chat_id`` whose text/caption contains ``substring``.

        The rendered text (HTML tags removed) and the raw parameter are both searched. Returns
        the first such call; with ``include_edits`` edits of messages count too.
        """
        methods = SEND_METHODS | _EDIT_METHODS if include_edits else SEND_METHODS

        def matches(call: Call) -> bool:
            if not call.ok or call.method not in methods or call.chat_id != chat_id:
                return False
            raw = call.params.get("text", call.params.get("caption"))
            return substring in (call.text or "") or (isinstance(raw, str) and substring in raw)

        return (await self.wait_for(matches, timeout=timeout))[0]

    def describe_calls(self, last: int = 20) -> str:
        """The last calls (getUpdates left out), one per line."""
        shown = [call for call in self.calls if call.method != "getUpdates"][-last:]
        if not shown:
            return "  (no calls)"
        origin = self.calls[0].at
        return "\n".join(f"  {call.summary(origin)}" for call in shown)

    def message(self, chat_id: int, message_id: int) -> JSONDict:
        """The current state of a message (a copy), e.g. after edits.

        Raises:
            KeyError: Unknown message.
        """
        return copy.deepcopy(self._messages[(chat_id, message_id)])

    # ----------------------------------------------------------------------------- faults

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
            _Fault(method.lower(), error_code, description, retry_after, times, chat_id)
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

    # ----------------------------------------------------------------------------- webhook

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

    # ----------------------------------------------------------------------------- HTTP layer

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.TOKEN:
            return web.json_response(_ApiError(401, "Unauthorized").payload(), status=401)
        file_path = request.match_info["file_path"]
        stored = self._file_paths.get(file_path)
        if stored is None:
            return await self._handle_not_found(request)
        self.downloads.append(file_path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = asyncio.get_running_loop().time()
        requested = request.match_info["method"]
        method = _CANONICAL.get(requested.lower(), requested)
        call = Call(method=method, params={}, files={}, at=arrived)
        try:
            call.params, call.files = await self._read_params(request)
            if request.match_info["token"] != self.TOKEN:
                raise _ApiError(401, "Unauthorized")
            handler = self._handlers.get(requested.lower())
            if handler is None:
                raise _ApiError(404, "Not Found: method not found")
            self._check_faults(method, call.params)
            call.result = await handler(call.params, call.files)
        except _ApiError as err:
            call.error_code, call.description, call.result = err.error_code, err.description, None
            response = web.json_response(err.payload(), status=err.error_code)
        except Exception as err:  # a bug in the fake: answer 500 rather than hang the client
            description = f"Internal Server Error: fake failed: {err!r}"
            call.error_code, call.description = 500, description
            response = web.json_response(
                {"ok": False, "error_code": 500, "description": description}, status=500
            )
        else:
            response = web.json_response({"ok": True, "result": call.result})
        self.calls.append(call)
        self._calls_changed.notify()
        return response

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {
            name: _decode_field(name, value) for name, value in request.query.items()
        }
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad_request("can't parse JSON object")
            for name, value in body.items():
                params[name] = _decode_field(name, value) if isinstance(value, str) else value
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    with value.file:
                        data = value.file.read()
                    files[name] = UploadedFile(value.filename, value.content_type, data)
                else:
                    text = value if isinstance(value, str) else bytes(value).decode("utf-8")
                    params[name] = _decode_field(name, text)
        return params, files

    def _check_faults(self, method: str, params: JSONDict) -> None:
        lower = method.lower()
        chat = params.get("chat_id")
        chat_key = _as_chat_key(chat) if isinstance(chat, int | str) else None
        for fault in self._faults:
            if fault.method != lower or fault.remaining <= 0:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_key:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            raise _ApiError(fault.error_code, fault.description, fault.retry_after)
        if chat_key is None:
            return
        if chat_key in self._blocked and lower.startswith(("send", "edit")):
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
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
            raise _ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._accepted_sends.append((now, chat))

    # ----------------------------------------------------------------------------- helpers

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
            raise _bad_request("chat not found")
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

    def _register_file(
        self, data: bytes, folder: str, file_name: str, declared_size: int | None = None
    ) -> _StoredFile:
        number = self._next_file
        self._next_file += 1
        suffix = ""
        if "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=f"FAKE-{folder[:3].upper()}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            file_size=len(data) if declared_size is None else declared_size,
            data=data,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _photo_sizes(self, data: bytes) -> list[JSONDict]:
        sizes: list[JSONDict] = []
        for width, height in ((320, 240), (1280, 960)):
            stored = self._register_file(data, "photos", "photo.jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "width": width,
                    "height": height,
                }
            )
        return sizes

    def _require_chat(self, params: JSONDict) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        chat = _as_chat_key(value)
        if not isinstance(chat, int):
            raise _bad_request("chat not found")
        return chat

    def _require_message(self, params: JSONDict) -> JSONDict:
        chat = self._require_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._messages.get((chat, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != _BOT_USER["id"]:
            raise _bad_request("message can't be edited")
        return message

    @staticmethod
    def _render(
        text: str, parse_mode: object, entities: object, what: str
    ) -> tuple[str, list[JSONDict]]:
        """Applies the parse mode; returns the text as shown and its entities."""
        if parse_mode in (None, ""):
            rendered = text
            parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
        elif isinstance(parse_mode, str) and parse_mode.lower() == "html":
            rendered, parsed = _parse_html(text)
        elif isinstance(parse_mode, str) and parse_mode.lower() in {"markdown", "markdownv2"}:
            rendered, parsed = text, []  # not parsed by the fake
        else:
            raise _bad_request("unsupported parse_mode")
        rendered, parsed = _trim(rendered, parsed)
        if not rendered and what == "text":
            raise _bad_request("message text is empty")
        return rendered, parsed

    @staticmethod
    def _check_markup(markup: object) -> JSONDict | None:
        """Validates reply_markup; returns it when it is an inline keyboard (echoed back)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
                return None
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text is missing")
                if not button["text"]:
                    raise _bad_request("BUTTON_TEXT_INVALID")
                actions = set(button) - {"text"}
                if not actions:
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                        raise _bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not url.startswith(
                        ("http://", "https://", "tg://")
                    ):
                        raise _bad_request(f"inline keyboard button URL '{url}' is invalid")
        return copy.deepcopy(markup)

    def _bot_message(self, chat_id: int, params: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(_BOT_USER),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        reply_to = _int_param(params, "reply_to_message_id")
        allow_missing = _bool_param(params, "allow_sending_without_reply")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = _int_param(reply_parameters, "message_id")
            allow_missing = _bool_param(reply_parameters, "allow_sending_without_reply")
        if reply_to is not None:
            target = self._messages.get((chat_id, reply_to))
            if target is not None:
                replied = copy.deepcopy(target)
                replied.pop("reply_to_message", None)
                message["reply_to_message"] = replied
            elif not allow_missing:
                raise _bad_request("message to be replied not found")
        return message

    def _store(self, message: JSONDict) -> JSONDict:
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def _resolve_upload(
        self, params: JSONDict, files: dict[str, UploadedFile], name: str
    ) -> UploadedFile | _StoredFile:
        """The uploaded part for a file parameter, or the known file a file_id refers to."""
        upload = files.get(name)
        value = params.get(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad_request(f"wrong file identifier/HTTP URL specified: {value}")
        if upload is not None:
            if not upload.data:
                raise _bad_request("file must be non-empty")
            if len(upload.data) > _MAX_UPLOAD:
                raise _ApiError(413, "Request Entity Too Large")
            return upload
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise _bad_request("failed to get HTTP URL content")  # no internet in tests
        if value is None:
            raise _bad_request(f"there is no {name} in the request")
        raise _bad_request("wrong file identifier/HTTP URL specified")

    def _add_caption(self, message: JSONDict, params: JSONDict) -> None:
        caption = params.get("caption")
        if caption is None or caption == "":
            return
        rendered, entities = self._render(
            str(caption), params.get("parse_mode"), params.get("caption_entities"), "caption"
        )
        if len(rendered) > _MAX_CAPTION:
            raise _bad_request("message caption is too long")
        if rendered:
            message["caption"] = rendered
        if entities:
            message["caption_entities"] = entities

    # ----------------------------------------------------------------------------- methods

    async def _true(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        return True

    async def _get_me(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        return dict(self.BOT)

    async def _get_updates(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> list[JSONDict]:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset")
        limit = min(max(_int_param(params, "limit") or 100, 1), 100)
        timeout = params.get("timeout") or 0
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise _bad_request("wrong parameter timeout specified")
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
                raise _ApiError(
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

    async def _set_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        url = params.get("url")
        if url is None or url == "":
            return await self._delete_webhook(params, files)
        if not isinstance(url, str):
            raise _bad_request("bad webhook: Failed to resolve host: Name or service not known")
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in _WEBHOOK_PORTS:
            raise _bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not (
            isinstance(secret, str) and _SECRET_TOKEN_RE.fullmatch(secret)
        ):
            raise _bad_request("secret token contains unallowed characters")
        if _bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        self.webhook = {
            key: value for key, value in params.items() if key not in {"certificate", "url"}
        }
        self.webhook["url"] = url
        self.webhook.setdefault("secret_token", None)
        self._updates_changed.notify()
        return True

    async def _delete_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        if _bool_param(params, "drop_pending_updates"):
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

    async def _send_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._require_chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad_request("message text is empty")
        rendered, entities = self._render(
            text, params.get("parse_mode"), params.get("entities"), "text"
        )
        if len(rendered) > _MAX_TEXT:
            raise _bad_request("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        message = self._bot_message(chat, params)
        message["text"] = rendered
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    async def _send_document(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._require_chat(params)
        markup = self._check_markup(params.get("reply_markup"))
        source = self._resolve_upload(params, files, "document")
        if isinstance(source, UploadedFile):
            stored = self._register_file(source.data, "documents", source.name)
            mime_type = (
                source.content_type
                or mimetypes.guess_type(source.name)[0]
                or "application/octet-stream"
            )
            file_name = source.name
        else:
            stored, mime_type, file_name = source, "application/octet-stream", "file"
            for known in self._messages.values():
                document = known.get("document")
                if isinstance(document, dict) and document.get("file_id") == stored.file_id:
                    mime_type = document.get("mime_type", mime_type)
                    file_name = document.get("file_name", file_name)
                    break
        file_name = str(params.get("filename") or file_name)
        message = self._bot_message(chat, params)
        message["document"] = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        self._add_caption(message, params)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    async def _send_photo(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._require_chat(params)
        markup = self._check_markup(params.get("reply_markup"))
        source = self._resolve_upload(params, files, "photo")
        message = self._bot_message(chat, params)
        message["photo"] = self._photo_sizes(source.data)
        self._add_caption(message, params)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    async def _edit_message_text(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._require_message(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad_request("message text is empty")
        rendered, entities = self._render(
            text, params.get("parse_mode"), params.get("entities"), "text"
        )
        if len(rendered) > _MAX_TEXT:
            raise _bad_request("message is too long")
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = self._check_markup(params.get("reply_markup"))
        if (
            rendered == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad_request(_NOT_MODIFIED)
        message["text"] = rendered
        self._set_optional(message, "entities", entities or None)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _edit_message_caption(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._require_message(params)
        if "text" in message:
            raise _bad_request("there is no caption in the message to edit")
        before = (message.get("caption"), message.get("caption_entities"))
        before_markup = message.get("reply_markup")
        edited = {key: value for key, value in message.items() if not key.startswith("caption")}
        self._add_caption(edited, params)
        markup = self._check_markup(params.get("reply_markup"))
        after = (edited.get("caption"), edited.get("caption_entities"))
        if before == after and markup == before_markup:
            raise _bad_request(_NOT_MODIFIED)
        for key in ("caption", "caption_entities"):
            self._set_optional(message, key, edited.get(key))
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._require_message(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    @staticmethod
    def _set_optional(message: JSONDict, key: str, value: object) -> None:
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value

    async def _delete_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._require_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id is None or self._messages.pop((chat, message_id), None) is None:
            raise _bad_request("message to delete not found")
        return True

    async def _answer_callback_query(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> bool:
        query_id = params.get("callback_query_id")
        if not isinstance(query_id, str) or self._callback_queries.get(query_id) is not False:
            raise _bad_request(_QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language = params.get("language_code") or ""
        return json.dumps(scope, sort_keys=True), str(language)

    async def _set_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise _bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        file_id = params.get("file_id")
        stored = self._files.get(file_id) if isinstance(file_id, str) else None
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > _MAX_DOWNLOAD:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeBotAPI]:
    """A started :class:`FakeBotAPI`, stopped after the test."""
    async with FakeBotAPI() as api:
        yield api

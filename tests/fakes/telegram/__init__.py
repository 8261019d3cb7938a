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

The package, by job: ``server`` (routing, HTTP, lifecycle, the test's view of the calls and the
``fake_telegram`` fixture), ``wire`` (parameters, errors, :class:`Call`), ``entities`` (HTML
parsing, keyboards, length limits), ``state`` (chats, messages, the update queue), ``updates``
(injection, getUpdates), ``methods`` (messages, callback queries, commands), ``files``,
``webhooks`` and ``faults`` (injected errors, flood control).
"""

from tests.fakes.telegram.server import FakeBotAPI, fake_telegram
from tests.fakes.telegram.wire import SEND_METHODS, TEXT_FIELDS, Call, UploadedFile

__all__ = [
    "SEND_METHODS",
    "TEXT_FIELDS",
    "Call",
    "FakeBotAPI",
    "UploadedFile",
    "fake_telegram",
]

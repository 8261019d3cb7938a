"""The fake server: routing, the HTTP layer, its lifecycle and the test's view of the calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, Self

import pytest_asyncio
from aiohttp import web

from tests.fakes.telegram.faults import FaultsMixin
from tests.fakes.telegram.files import MAX_UPLOAD, FilesMixin
from tests.fakes.telegram.methods import MethodsMixin
from tests.fakes.telegram.updates import UpdatesMixin
from tests.fakes.telegram.webhooks import WebhooksMixin
from tests.fakes.telegram.wire import (
    CANONICAL,
    EDIT_METHODS,
    SEND_METHODS,
    ApiError,
    Call,
    Handler,
    UploadedFile,
    bad_request,
    decode_field,
)


class FakeBotAPI(UpdatesMixin, MethodsMixin, FilesMixin, FaultsMixin, WebhooksMixin):
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

    def __init__(self) -> None:
        super().__init__()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._handlers: dict[str, Handler] = {
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
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
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
        methods = SEND_METHODS | EDIT_METHODS if include_edits else SEND_METHODS

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

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = asyncio.get_running_loop().time()
        requested = request.match_info["method"]
        method = CANONICAL.get(requested.lower(), requested)
        call = Call(method=method, params={}, files={}, at=arrived)
        try:
            call.params, call.files = await self._read_params(request)
            if request.match_info["token"] != self.TOKEN:
                raise ApiError(401, "Unauthorized")
            handler = self._handlers.get(requested.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._check_faults(method, call.params)
            call.result = await handler(call.params, call.files)
        except ApiError as err:
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
            name: decode_field(name, value) for name, value in request.query.items()
        }
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            for name, value in body.items():
                params[name] = decode_field(name, value) if isinstance(value, str) else value
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    with value.file:
                        data = value.file.read()
                    files[name] = UploadedFile(value.filename, value.content_type, data)
                else:
                    text = value if isinstance(value, str) else bytes(value).decode("utf-8")
                    params[name] = decode_field(name, text)
        return params, files


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeBotAPI]:
    """A started :class:`FakeBotAPI`, stopped after the test."""
    async with FakeBotAPI() as api:
        yield api

"""A fake Zalo Bot API server on 127.0.0.1, faithful to ../shared/reference/zalo-api.md.

* every method at ``/bot<token>/<method>``, GET or POST, JSON or form parameters; answers are
  always HTTP 200 with ``{ok, result}`` or ``{ok: false, error_code, description}``
  (a wrong token: 401 "Unauthorized");
* ``getUpdates`` long-polls for at most ``timeout`` seconds and returns **one** update (no
  offset: a returned update is gone); an idle poll answers 408 "Request timeout"; while a
  webhook is set it answers 400;
* ``setWebhook`` needs ``url`` and a ``secret_token`` of 8–256 characters; updates are then
  POSTed there (flat bodies, or ``{ok, result}``-wrapped when :attr:`wrap_webhook`) with
  ``X-Bot-Api-Secret-Token``; a non-2xx answer is retried a few times (a redelivery);
* ``sendMessage`` refuses an empty text or one over 2000 UTF-16 units, and a chat that never
  wrote to the bot (400); ``sendPhoto`` fetches the photo URL itself and refuses one that does
  not answer an image; ``sendChatAction`` takes ``typing``;
* faults: :meth:`fail` makes the next calls of a method answer 429 or 403 (or any code).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
import pytest_asyncio
from aiohttp import web

__all__ = ["FakeZaloAPI", "SentItem", "ZaloUser", "fake_zalo"]

MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"


def utf16(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class SentItem:
    """A message the bot sent: text, or a photo (its fetched bytes) with a caption."""

    chat_id: str
    text: str
    message_id: str
    date: int
    photo_url: str | None = None
    photo: bytes | None = None


@dataclass
class Call:
    """One answered request."""

    method: str
    params: dict[str, Any]
    ok: bool


@dataclass
class _Fault:
    code: int
    description: str
    count: int


@dataclass
class FakeZaloAPI:
    """The fake server; ``async with FakeZaloAPI() as api`` or the :func:`fake_zalo` fixture.

    Attributes:
        calls: Every answered request, in order.
        sent: Every message the bot sent, in order.
        actions: (chat_id, action) of sendChatAction calls.
        webhook: ``{url, secret_token}`` while a webhook is set.
        wrap_webhook: Deliver webhook bodies as ``{ok, result}`` instead of flat.
        echo_own: Deliver the bot's own sent messages back as updates (``is_bot``), as Zalo
            has been seen to do.
        webhook_answers: HTTP statuses the webhook answered, in order.
    """

    TOKEN = "1459232241454765289:fake-zalo-secret-ABCdef"
    BOT_ID = "1459232241454765289"

    calls: list[Call] = field(default_factory=list)
    sent: list[SentItem] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    webhook: dict[str, str] | None = None
    wrap_webhook: bool = False
    echo_own: bool = False
    webhook_answers: list[int] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_hits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._known_chats: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._runner: web.AppRunner | None = None
        self._url = ""
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._pusher: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The API root (``TDKT_ZALO_API_URL``)."""
        return self._url

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/media/{name}", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop delivering and listening."""
        if self._pusher is not None:
            self._pusher.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the test's side ------------------------------------------------------------------
    def user(self, user_id: str, name: str = "Người dùng") -> ZaloUser:
        """A Zalo user who writes to the bot."""
        return ZaloUser(self, user_id, name)

    def push(self, event: str, user_id: str, name: str, **message: Any) -> dict[str, Any]:
        """Queue an update from ``user_id`` (a private chat) and return it."""
        self._known_chats.add(user_id)
        body: dict[str, Any] = {
            "message_id": secrets.token_hex(10),
            "date": int(dt.datetime.now(dt.UTC).timestamp() * 1000),
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            **message,
        }
        update = {"event_name": event, "message": body}
        self._queue.put_nowait(update)
        return update

    def know(self, chat_id: str) -> None:
        """Treat ``chat_id`` as a chat that wrote to the bot before (the bot may write to it)."""
        self._known_chats.add(chat_id)

    async def quiet(self, seconds: float = 0.3) -> None:
        """Wait until the bot has sent nothing for ``seconds`` (a multi-part answer is done)."""
        count = -1
        while count != len(self.sent):
            count = len(self.sent)
            await asyncio.sleep(seconds)

    def redeliver(self, update: dict[str, Any]) -> None:
        """Serve an update again (Zalo does after a restart)."""
        self._queue.put_nowait(update)

    def add_media(self, name: str, data: bytes, mime: str = "image/png") -> str:
        """Serve ``data`` at a public media URL (Zalo's CDN) and return the URL."""
        self.media[name] = (data, mime)
        return f"{self._url}/media/{name}"

    def fail(self, method: str, code: int, count: int = 1, description: str = "") -> None:
        """Make the next ``count`` calls of ``method`` answer ``ok: false`` with ``code``."""
        text = description or {429: "Quota exceeded", 403: "Internal server error"}.get(
            code, "Error"
        )
        self._faults.setdefault(method, []).append(_Fault(code, text, count))

    def calls_of(self, method: str) -> list[Call]:
        """The answered calls of ``method``."""
        return [c for c in self.calls if c.method == method]

    def texts_to(self, chat_id: str) -> list[str]:
        """Texts (and captions) sent to ``chat_id``."""
        return [s.text for s in self.sent if s.chat_id == chat_id]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 20.0,  # noqa: ASYNC109 - the test-side API mirrors pytest's wording
    ) -> None:
        """Wait until ``predicate()`` holds (checked after every answered call)."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(until(), timeout)

    async def wait_sent(
        self,
        chat_id: str,
        contains: str,
        *,
        after: int = 0,
        timeout: float = 20.0,  # noqa: ASYNC109
    ) -> SentItem:
        """The first message to ``chat_id`` (from index ``after`` of :attr:`sent`) holding
        ``contains``, waiting for it."""

        def found() -> SentItem | None:
            return next(
                (s for s in self.sent[after:] if s.chat_id == chat_id and contains in s.text),
                None,
            )

        try:
            await self.wait_for(lambda: found() is not None, timeout)
        except TimeoutError:
            raise AssertionError(
                f"no message to {chat_id} with {contains!r}; got {self.texts_to(chat_id)!r}"
            ) from None
        item = found()
        assert item is not None
        return item

    # -- HTTP -----------------------------------------------------------------------------
    async def _media(self, request: web.Request) -> web.Response:
        self.media_hits.append(request.match_info["name"])
        found = self.media.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                try:
                    params.update(json.loads(raw))
                except ValueError:
                    return self._answer(method, params, None, 400, "Bad request")
            else:
                params.update(dict(await request.post()))
        if request.match_info["token"] != self.TOKEN:
            return self._answer(method, params, None, 401, "Unauthorized")
        faults = self._faults.get(method)
        if faults:
            fault = faults[0]
            fault.count -= 1
            if fault.count <= 0:
                faults.pop(0)
            return self._answer(method, params, None, fault.code, fault.description)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._answer(method, params, None, 404, "Not found")
        try:
            result = await handler(params)
        except _RefusedError as err:
            return self._answer(method, params, None, err.code, err.description)
        return self._answer(method, params, result)

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        result: Any,
        code: int = 0,
        description: str = "",
    ) -> web.Response:
        self.calls.append(Call(method, params, code == 0))
        asyncio.get_running_loop().create_task(self._notify())
        if code:
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        elif result is None:
            body = {"ok": True}
        else:
            body = {"ok": True, "result": result}
        return web.json_response(body)  # always HTTP 200, like Zalo

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- methods --------------------------------------------------------------------------
    async def _m_getMe(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Zalo's name
        return {
            "id": self.BOT_ID,
            "account_name": "bot.FakeTdkt",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if self.webhook is not None:
            raise _RefusedError(400, "Webhook is set: getUpdates is not available")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            timeout = 30.0
        try:
            return await asyncio.wait_for(self._queue.get(), max(0.0, timeout))
        except TimeoutError:
            raise _RefusedError(408, "Request timeout") from None

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url or not 8 <= len(secret) <= 256:
            raise _RefusedError(400, "Invalid url or secret_token")
        self.webhook = {"url": url, "secret_token": secret}
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_webhook())
        return {"url": url, "updated_at": _ms()}

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        self.webhook = None
        if self._pusher is not None:
            self._pusher.cancel()
            self._pusher = None
        return {"url": "", "updated_at": _ms()}

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:  # noqa: N802
        return {"url": (self.webhook or {}).get("url", ""), "updated_at": _ms()}

    def _chat(self, params: dict[str, Any]) -> str:
        chat_id = str(params.get("chat_id") or "")
        if chat_id not in self._known_chats:
            raise _RefusedError(400, "Invalid chat_id")
        return chat_id

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat(params)
        text = str(params.get("text") or "")
        if not 1 <= utf16(text) <= MAX_TEXT:
            raise _RefusedError(400, "Text length must be between 1 and 2000")
        return self._record(SentItem(chat_id, text, secrets.token_hex(10), _ms()))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat(params)
        url = str(params.get("photo") or "")
        caption = str(params.get("caption") or "")
        if utf16(caption) > MAX_TEXT:
            raise _RefusedError(400, "Caption too long")
        try:
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                data = await response.read()
                ok = response.status == 200 and response.content_type.startswith("image/")
        except (aiohttp.ClientError, ValueError):
            ok, data = False, b""
        if not ok:
            raise _RefusedError(400, "Cannot fetch photo")
        item = SentItem(chat_id, caption, secrets.token_hex(10), _ms(), url, data)
        return self._record(item)

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = self._chat(params)
        action = str(params.get("action") or "")
        if action not in {"typing", "upload_photo"}:
            raise _RefusedError(400, "Invalid action")
        self.actions.append((chat_id, action))
        return None

    def _record(self, item: SentItem) -> dict[str, Any]:
        self.sent.append(item)
        if self.echo_own:
            self._queue.put_nowait(
                {
                    "event_name": "message.text.received",
                    "message": {
                        "message_id": item.message_id,
                        "date": item.date,
                        "chat": {"id": item.chat_id, "chat_type": "PRIVATE"},
                        "from": {"id": self.BOT_ID, "display_name": "Bot", "is_bot": True},
                        "text": item.text,
                    },
                }
            )
        return {"message_id": item.message_id, "date": item.date}

    def _hook(self) -> dict[str, str] | None:
        return self.webhook  # read afresh: deleteWebhook may have run meanwhile

    async def _push_webhook(self) -> None:
        """Deliver queued updates to the webhook, retrying a refused one a few times."""
        async with aiohttp.ClientSession() as http:
            while self.webhook is not None:
                update = await self._queue.get()
                body = {"ok": True, "result": update} if self.wrap_webhook else update
                for _ in range(5):
                    hook = self._hook()
                    if hook is None:
                        return
                    try:
                        async with http.post(
                            hook["url"],
                            json=body,
                            headers={SECRET_HEADER: hook["secret_token"]},
                        ) as response:
                            self.webhook_answers.append(response.status)
                            if 200 <= response.status < 300:
                                break
                    except aiohttp.ClientError:
                        self.webhook_answers.append(0)
                    await asyncio.sleep(0.2)
                await self._notify()


class _RefusedError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _ms() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


@dataclass
class ZaloUser:
    """A person writing to the bot from Zalo."""

    api: FakeZaloAPI
    user_id: str
    name: str

    def say(self, text: str) -> dict[str, Any]:
        """Send a text message."""
        return self.api.push("message.text.received", self.user_id, self.name, text=text)

    def send_photo(self, url: str, caption: str = "") -> dict[str, Any]:
        """Send a picture (Zalo's CDN URL in ``photo_url``)."""
        extra: dict[str, Any] = {"photo_url": url, "message_type": "CHAT_PHOTO"}
        if caption:
            extra["caption"] = caption
        return self.api.push("message.image.received", self.user_id, self.name, **extra)

    def send_document(self) -> dict[str, Any]:
        """Try to send a document: Zalo passes on only that something unsupported came."""
        return self.api.push("message.unsupported.received", self.user_id, self.name)

    async def ask(self, text: str, expect: str, timeout: float = 20.0) -> str:  # noqa: ASYNC109
        """Say ``text`` and wait for the answer holding ``expect``; all text since, joined."""
        start = len(self.api.sent)
        self.say(text)
        await self.api.wait_sent(self.user_id, expect, after=start, timeout=timeout)
        await self.api.quiet()
        return "\n".join(s.text for s in self.api.sent[start:] if s.chat_id == self.user_id)


@pytest_asyncio.fixture
async def fake_zalo() -> AsyncIterator[FakeZaloAPI]:
    """A started :class:`FakeZaloAPI`, stopped after the test."""
    async with FakeZaloAPI() as api:
        yield api

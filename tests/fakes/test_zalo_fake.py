"""The fake Zalo Bot API keeps to the wire format the adapter is written against."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from aiohttp import web

from tests.fakes.zalo import FakeZaloAPI

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


async def _call(api: FakeZaloAPI, method: str, token: str | None = None, **params: Any) -> Any:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(f"{api.url}/bot{token or api.TOKEN}/{method}", json=params)
    assert response.status_code == 200  # errors too: Zalo answers HTTP 200
    return response.json()


async def test_get_me_and_a_wrong_token(fake_zalo: FakeZaloAPI) -> None:
    me = await _call(fake_zalo, "getMe")
    assert me["ok"] and me["result"]["id"] == FakeZaloAPI.BOT_ID
    wrong = await _call(fake_zalo, "getMe", token="1:nope")
    assert wrong == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_get_updates_returns_one_update_per_call_and_408_when_idle(
    fake_zalo: FakeZaloAPI,
) -> None:
    user = fake_zalo.user("u1", "An")
    user.say("một")
    user.say("hai")
    first = await _call(fake_zalo, "getUpdates", timeout="1")
    second = await _call(fake_zalo, "getUpdates", timeout="1")
    assert first["result"]["message"]["text"] == "một"  # an object, not a list
    assert second["result"]["event_name"] == "message.text.received"
    assert second["result"]["message"]["text"] == "hai"
    idle = await _call(fake_zalo, "getUpdates", timeout="0.2")
    assert idle == {"ok": False, "error_code": 408, "description": "Request timeout"}


async def test_send_message_limits(fake_zalo: FakeZaloAPI) -> None:
    fake_zalo.user("u1").say("hi")
    ok = await _call(fake_zalo, "sendMessage", chat_id="u1", text="x" * 2000)
    assert ok["ok"] and ok["result"]["message_id"] and isinstance(ok["result"]["date"], int)
    emoji = await _call(fake_zalo, "sendMessage", chat_id="u1", text="😀" * 1001)  # 2002 units
    assert emoji["error_code"] == 400
    assert (await _call(fake_zalo, "sendMessage", chat_id="u1", text=""))["error_code"] == 400
    stranger = await _call(fake_zalo, "sendMessage", chat_id="nobody", text="hi")
    assert stranger["error_code"] == 400
    assert fake_zalo.texts_to("u1") == ["x" * 2000]


async def test_send_photo_fetches_the_url(fake_zalo: FakeZaloAPI) -> None:
    fake_zalo.user("u1").say("hi")
    url = fake_zalo.add_media("chart.png", PNG)
    sent = await _call(fake_zalo, "sendPhoto", chat_id="u1", photo=url, caption="Biểu đồ")
    assert sent["ok"]
    assert fake_zalo.sent[-1].photo == PNG and fake_zalo.sent[-1].text == "Biểu đồ"
    missing = await _call(fake_zalo, "sendPhoto", chat_id="u1", photo=f"{fake_zalo.url}/media/x")
    assert missing["error_code"] == 400


async def test_injected_429_and_403(fake_zalo: FakeZaloAPI) -> None:
    fake_zalo.user("u1").say("hi")
    fake_zalo.fail("sendMessage", 429, count=2)
    fake_zalo.fail("sendMessage", 403)
    answers = [
        (await _call(fake_zalo, "sendMessage", chat_id="u1", text="a")).get("error_code")
        for _ in range(4)
    ]
    assert answers == [429, 429, 403, None]


async def test_webhook_delivery_with_the_secret_header(fake_zalo: FakeZaloAPI) -> None:
    got: list[tuple[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        got.append((request.headers.get("X-Bot-Api-Secret-Token", ""), await request.json()))
        return web.Response(status=500 if len(got) == 1 else 200)  # the first is retried

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        short = await _call(fake_zalo, "setWebhook", url="https://x/hook", secret_token="short")
        assert short["error_code"] == 400
        hook = await _call(
            fake_zalo, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s" * 32
        )
        assert hook["ok"]
        polled = await _call(fake_zalo, "getUpdates", timeout="0.1")
        assert polled["error_code"] == 400  # no polling while a webhook is set
        fake_zalo.user("u1").say("xin chào")
        await fake_zalo.wait_for(lambda: fake_zalo.webhook_answers[-1:] == [200], timeout=10)
        assert fake_zalo.webhook_answers == [500, 200]
        assert got[0][0] == "s" * 32
        assert got[1][1]["message"]["text"] == "xin chào"  # flat body
        fake_zalo.wrap_webhook = True
        fake_zalo.user("u1").say("lần hai")
        await fake_zalo.wait_for(lambda: len(got) == 3, timeout=10)
        assert got[2][1]["ok"] is True and got[2][1]["result"]["message"]["text"] == "lần hai"
        info = await _call(fake_zalo, "getWebhookInfo")
        assert "secret_token" not in json.dumps(info)
        await _call(fake_zalo, "deleteWebhook")
        assert fake_zalo.webhook is None
    finally:
        await runner.cleanup()
        await asyncio.sleep(0)

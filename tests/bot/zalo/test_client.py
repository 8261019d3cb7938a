"""Our Zalo Bot API client: success is ``ok``, errors mapped by code, the token never shown."""

from __future__ import annotations

import httpx
import pytest

from bot.zalo.client import (
    ZaloApiError,
    ZaloClient,
    ZaloNetworkError,
    ZaloRateLimitError,
    ZaloUnauthorizedError,
)
from tests.fakes.zalo import FakeZaloAPI


async def test_get_me_gives_the_profile_link(fake_zalo: FakeZaloAPI) -> None:
    async with ZaloClient(FakeZaloAPI.TOKEN, fake_zalo.url) as client:
        me = await client.get_me()
    assert me.link == f"https://zalo.me/{FakeZaloAPI.BOT_ID}"


async def test_errors_arrive_as_http_200_and_are_mapped(fake_zalo: FakeZaloAPI) -> None:
    async with ZaloClient("1:wrong-token-value", fake_zalo.url) as client:
        with pytest.raises(ZaloUnauthorizedError) as err:
            await client.get_me()
    assert "wrong-token-value" not in str(err.value)
    fake_zalo.user("u1").say("hi")
    fake_zalo.fail("sendMessage", 429)
    fake_zalo.fail("sendMessage", 403)
    async with ZaloClient(FakeZaloAPI.TOKEN, fake_zalo.url) as client:
        with pytest.raises(ZaloRateLimitError):
            await client.send_message("u1", "x")
        with pytest.raises(ZaloApiError) as forbidden:
            await client.send_message("u1", "x")
        assert forbidden.value.code == 403


async def test_an_idle_poll_is_none_and_one_update_comes_per_poll(fake_zalo: FakeZaloAPI) -> None:
    async with ZaloClient(FakeZaloAPI.TOKEN, fake_zalo.url) as client:
        assert await client.get_update(0) is None
        fake_zalo.user("u1").say("một")
        fake_zalo.user("u1").say("hai")
        first = await client.get_update(1)
        assert first is not None and first["message"]["text"] == "một"


async def test_a_proxy_error_page_is_a_network_error_without_the_token() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    http = httpx.AsyncClient(transport=httpx.MockTransport(page))
    client = ZaloClient("42:very-secret", "http://proxy", http=http)
    with pytest.raises(ZaloNetworkError) as err:
        await client.get_me()
    assert "very-secret" not in str(err.value) and "502" in str(err.value)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    client = ZaloClient(
        "42:very-secret",
        "http://proxy",
        http=httpx.AsyncClient(transport=httpx.MockTransport(down)),
    )
    with pytest.raises(ZaloNetworkError) as err:
        await client.get_me()
    assert "very-secret" not in str(err.value)
    await http.aclose()

"""The Zalo sender: pacing, 429 pauses all sending, 403 is a failure not a block, links."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio

from bot.zalo.client import ZaloClient
from bot.zalo.sender import ZaloLimits, ZaloRateLimiter, ZaloSender
from handlers.kernel.messages import ChatKey, Delivery, FileRequest, OutgoingFile, Reply
from handlers.kernel.texts import Texts
from tests.fakes.zalo import FakeZaloAPI

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
KEY = ChatKey("zalo", "u1")


class FakeLinks:
    """A LinkMaker serving files from the fake's media host."""

    def __init__(self, api: FakeZaloAPI) -> None:
        self.api = api
        self.uploads: list[tuple[ChatKey, str, FileRequest]] = []

    async def upload_link(self, key: ChatKey, user_id: str, request: FileRequest) -> str:
        self.uploads.append((key, user_id, request))
        return "https://tdkt.example.gov.vn/u/TOKEN1"

    async def download_link(self, key: ChatKey, file: OutgoingFile) -> str:
        if file.mime_type == "image/png":
            return self.api.add_media(file.name, file.data)
        return f"https://tdkt.example.gov.vn/d/{file.name}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest_asyncio.fixture
async def client(fake_zalo: FakeZaloAPI) -> AsyncIterator[ZaloClient]:
    fake_zalo.user("u1").say("hi")
    async with ZaloClient(FakeZaloAPI.TOKEN, fake_zalo.url) as made:
        yield made


def _sender(client: ZaloClient, links: FakeLinks | None = None) -> tuple[ZaloSender, FakeClock]:
    clock = FakeClock()
    limits = ZaloLimits(forbidden_pause=1.0)
    limiter = ZaloRateLimiter(limits, clock=clock, sleep=clock.sleep)
    return ZaloSender(client, Texts(), links, limits, limiter), clock


async def test_429_pauses_all_sending_with_growing_waits_then_fails(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    sender, clock = _sender(client)
    fake_zalo.fail("sendMessage", 429, count=2)
    assert await sender.send(KEY, Reply("một")) is Delivery.SENT
    assert [s for s in clock.slept if s >= 1] == [1.0, 2.0]
    fake_zalo.fail("sendMessage", 429, count=10)
    assert await sender.send(KEY, Reply("hai")) is Delivery.FAILED
    assert len(fake_zalo.calls_of("sendMessage")) == 3 + 5  # bounded: 4 retries
    assert fake_zalo.texts_to("u1") == ["một"]


async def test_403_is_retried_once_and_then_failed_never_blocked(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    sender, _ = _sender(client)
    fake_zalo.fail("sendMessage", 403)
    assert await sender.send(KEY, Reply("một")) is Delivery.SENT
    fake_zalo.fail("sendMessage", 403, count=2)
    assert await sender.send(KEY, Reply("hai")) is Delivery.FAILED
    assert fake_zalo.texts_to("u1") == ["một"]


async def test_an_unknown_chat_fails_without_retry(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    sender, _ = _sender(client)
    assert await sender.send(ChatKey("zalo", "stranger"), Reply("x")) is Delivery.FAILED
    assert len(fake_zalo.calls_of("sendMessage")) == 1


async def test_long_replies_go_in_parts_paced_per_chat(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    sender, clock = _sender(client)
    text = "\n".join("Dòng " + "x" * 95 for _ in range(60))  # about 6 000 units
    assert await sender.send(KEY, Reply(text)) is Delivery.SENT
    parts = fake_zalo.texts_to("u1")
    assert len(parts) == 4 and all(len(p) <= 1900 for p in parts)
    assert clock.now >= 1.0  # after a burst of two, one a second


async def test_file_request_gets_the_upload_link_or_a_line_without_companion(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    request = FileRequest("Kế hoạch tổ chức Hội nghị", unit="Phường Ba Đình")
    reply = Reply("Hãy gửi tệp kế hoạch.", file_request=request)
    links = FakeLinks(fake_zalo)
    sender, _ = _sender(client, links)
    await sender.send(KEY, reply)
    assert "https://tdkt.example.gov.vn/u/TOKEN1" in fake_zalo.texts_to("u1")[-1]
    assert links.uploads == [(KEY, "u1", request)]
    bare, _ = _sender(client)
    await bare.send(KEY, reply)
    assert "chưa bật trang tải tệp lên" in fake_zalo.texts_to("u1")[-1]


async def test_a_chart_goes_as_photo_and_a_document_as_a_link(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    sender, _ = _sender(client, FakeLinks(fake_zalo))
    chart = OutgoingFile("bieu-do.png", "image/png", PNG)
    assert await sender.send(KEY, Reply("Biểu đồ tiến độ", file=chart)) is Delivery.SENT
    photo = fake_zalo.sent[-1]
    assert photo.photo == PNG and photo.text == "Biểu đồ tiến độ"  # fetched by "Zalo"
    sheet = OutgoingFile("tinh-hinh.xlsx", "application/vnd.ms-excel", b"PK")
    await sender.send(KEY, Reply("Tệp tình hình", file=sheet))
    assert "https://tdkt.example.gov.vn/d/tinh-hinh.xlsx" in fake_zalo.texts_to("u1")[-1]
    bare, _ = _sender(client)
    await bare.send(KEY, Reply("Tệp", file=sheet))
    assert "không gửi được qua Zalo" in fake_zalo.texts_to("u1")[-1]


async def test_typing_is_shown_while_slow_work_runs(
    client: ZaloClient, fake_zalo: FakeZaloAPI
) -> None:
    limits = ZaloLimits(typing_after=0.01, typing_every=0.05)
    sender = ZaloSender(client, Texts(), None, limits)
    async with sender.typing("u1"):
        await fake_zalo.wait_for(lambda: len(fake_zalo.actions) >= 2, timeout=5)
    count = len(fake_zalo.actions)
    await asyncio.sleep(0.1)
    assert len(fake_zalo.actions) == count  # stopped with the work
    assert fake_zalo.actions[0] == ("u1", "typing")


async def test_quick_work_shows_no_typing(client: ZaloClient, fake_zalo: FakeZaloAPI) -> None:
    sender = ZaloSender(client, Texts(), None, ZaloLimits(typing_after=5))
    async with sender.typing("u1"):
        await asyncio.sleep(0)
    assert fake_zalo.actions == []

"""A document over the Bot API's 20 MB download limit gets the web companion's upload link."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram import CHANNEL
from bot.web import Companion, WebConfig
from handlers.kernel.dispatcher import Core
from storage.files import LocalFileStore
from storage.models import Role
from tests.fakes.telegram import FakeBotAPI
from tests.harness import Clock
from tests.samples import pdf_bytes
from tests.telegram_harness import BotRunner, TgUser, invite_code

SF = async_sessionmaker[AsyncSession]
PUBLIC = "https://tdkt.example.gov.vn"


@pytest.fixture
async def linked_telegram(
    fake_telegram: FakeBotAPI, core: Core, demo: None, session_factory: SF, tmp_path: Path
) -> AsyncIterator[tuple[BotRunner, Companion]]:
    """The Telegram channel with a web companion, over the demo database."""
    runner = BotRunner(fake_telegram, core, session_factory)
    senders = {}
    config = WebConfig(PUBLIC, b"k" * 32, upload_ttl=dt.timedelta(minutes=45))
    companion = Companion(
        config, core, LocalFileStore(tmp_path / "files"), session_factory, senders
    )
    runner.offer_upload = companion.big_file_offer
    adapter = await runner.start()
    senders[CHANNEL] = adapter.sender.send
    try:
        yield runner, companion
    finally:
        await runner.stop()


async def test_a_big_document_at_a_file_step_gets_an_upload_link(
    linked_telegram: tuple[BotRunner, Companion],
    fake_telegram: FakeBotAPI,
    session_factory: SF,
    clock: Clock,
) -> None:
    runner, companion = linked_telegram
    head = TgUser(fake_telegram, 3001)
    code = await invite_code(session_factory, clock, Role.UNIT_HEAD, "P-BACSON")
    await head.say(f"/start {code}", expect="Chào mừng")
    big = 25 * 1024 * 1024
    # Not at a step that takes a file: no link.
    await head.send_file(b"%PDF", "lon.pdf", "application/pdf", expect="quá lớn", size=big)
    assert PUBLIC not in "".join(c.params.get("text", "") for c in fake_telegram.calls)
    await head.say("/nop", expect="nộp nội dung nào")
    await head.press("Hồ sơ sau Hội nghị", expect="thành phần")
    await head.press("Tờ trình", expect="gửi tệp")
    await head.send_file(b"MZ\x90", "setup.exe", "application/x-msdownload", expect="thực thi")
    assert PUBLIC not in "".join(c.params.get("text", "") for c in fake_telegram.calls)
    offer = await head.send_file(b"%PDF", "lon.pdf", "application/pdf", expect=PUBLIC, size=big)
    text = offer.params["text"]
    assert "Telegram không cho bot nhận tệp lớn hơn 20 MB" in text and "45 phút" in text
    assert "25.0 MB quá lớn" in "".join(c.params.get("text", "") for c in fake_telegram.calls)
    match = re.search(re.escape(PUBLIC) + r"(/u/\S+)", text)
    assert match is not None
    async with TestClient(TestServer(companion.app())) as client:
        page = await (await client.get(match.group(1))).text()
        assert "Hồ sơ sau Hội nghị điển hình tiên tiến — Tờ trình" in page
        assert "Phường Bắc Sơn" in page
        # the page takes what Telegram could not: 25 MB, under the office's 50 MB
        form = FormData()
        form.add_field("file", io.BytesIO(pdf_bytes() + b"\0" * big), filename="lon.pdf")
        posted = await client.post(match.group(1), data=form)
        assert posted.status == 200, await posted.text()
        assert "Đã nhận tệp" in await posted.text()
    assert all("lon" not in path for path in runner.api.downloads)  # never downloaded

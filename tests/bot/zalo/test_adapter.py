"""The Zalo channel over the demo core and the fake Bot API: linking, numbered choices,
stale numbers, echoes, redeliveries, unsupported documents, photos, the webhook."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.zalo import ZaloAdapter, ZaloConfig, ZaloLimits, ZaloWebhookConfig, to_incoming
from handlers.kernel.dispatcher import Core
from handlers.kernel.texts import Texts
from handlers.services.invites import create_invite
from storage.models import Role
from tests.fakes.zalo import FakeZaloAPI

FAST = ZaloLimits(overall_per_second=1000, chat_per_second=1000, chat_burst=100)


async def _invite(
    session_factory: async_sessionmaker[AsyncSession], core: Core, unit: str | None = "P-BADINH"
) -> str:
    async with session_factory.begin() as session:
        invite, _ = await create_invite(
            session,
            role=Role.UNIT_HEAD if unit else Role.SECRETARIAT,
            unit_ref=unit,
            full_name=None,
            now=core.deps.clock(),
            ttl=dt.timedelta(days=7),
        )
        return invite.code


class Running:
    """The adapter polling the fake in the test's loop."""

    def __init__(self, api: FakeZaloAPI, core: Core, webhook: ZaloWebhookConfig | None) -> None:
        config = ZaloConfig(token=FakeZaloAPI.TOKEN, api_root=api.url, limits=FAST, poll_timeout=1)
        self.adapter = ZaloAdapter(config, core.handle, core.apology(), Texts())
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.adapter.run(self.stop, webhook))

    async def ready(self) -> None:
        waiter = asyncio.create_task(self.adapter.ready.wait())
        await asyncio.wait({waiter, self.task}, timeout=20, return_when="FIRST_COMPLETED")
        if self.task.done():
            self.task.result()
        assert self.adapter.ready.is_set()

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 20)


@pytest_asyncio.fixture
async def zalo(fake_zalo: FakeZaloAPI, core: Core, demo: None) -> AsyncIterator[Running]:
    running = Running(fake_zalo, core, None)
    await running.ready()
    try:
        yield running
    finally:
        await running.close()


async def test_unit_head_links_with_start_code_and_picks_by_number(
    zalo: Running,
    fake_zalo: FakeZaloAPI,
    core: Core,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    code = await _invite(session_factory, core)
    head = fake_zalo.user("a" * 20, "Lê Văn Ba")
    await head.ask("xin chào", "/start")  # unlinked: how to link
    await head.ask(f"start {code.lower()}", "Chào mừng")
    listing = await head.ask("/nop", "nộp nội dung nào")
    assert "1. ❌ Kế hoạch tổ chức" in listing and "Trả lời bằng số" in listing
    await head.ask("1", "gửi tệp")


async def test_a_bare_code_links_and_a_wrong_one_is_refused(
    zalo: Running,
    fake_zalo: FakeZaloAPI,
    core: Core,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    code = await _invite(session_factory, core)
    head = fake_zalo.user("b" * 20)
    await head.ask("ABCDEFGHJK", "Mã mời không đúng")
    await head.ask(f"{code[:5]}-{code[5:]}", "Chào mừng")


async def test_a_number_typed_before_the_new_list_arrived_is_refused(
    zalo: Running,
    fake_zalo: FakeZaloAPI,
    core: Core,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    head = fake_zalo.user("c" * 20)
    await head.ask(f"/start {await _invite(session_factory, core)}", "Chào mừng")
    await head.ask("/decu", "1.")
    start = len(fake_zalo.sent)
    head.say("1")  # the first list's choice…
    head.say("1")  # …typed twice before the answer came: it must not pick from the new list
    await fake_zalo.wait_sent(head.user_id, "danh sách cũ", after=start)
    replies = [s.text for s in fake_zalo.sent[start:]]
    assert sum("danh sách cũ" in text for text in replies) == 1
    assert sum("1." in text for text in replies) <= 2  # one new list, then the refusal


async def test_echoes_and_redeliveries_change_nothing(
    zalo: Running,
    fake_zalo: FakeZaloAPI,
    core: Core,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    fake_zalo.echo_own = True
    head = fake_zalo.user("d" * 20)
    update = head.say(f"start {await _invite(session_factory, core)}")
    await fake_zalo.wait_sent(head.user_id, "Chào mừng")
    count = len(fake_zalo.sent)
    fake_zalo.redeliver(update)
    await head.ask("/trogiup", "Hướng dẫn")
    await asyncio.sleep(0.3)
    assert len(fake_zalo.sent) == count + 1  # the redelivered /start and the echoes: silent


async def test_a_document_is_explained_and_the_step_asked_again(
    zalo: Running,
    fake_zalo: FakeZaloAPI,
    core: Core,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    head = fake_zalo.user("e" * 20)
    await head.ask(f"start {await _invite(session_factory, core)}", "Chào mừng")
    await head.ask("/nop", "nộp nội dung nào")
    await head.ask("1", "gửi tệp")
    start = len(fake_zalo.sent)
    head.send_document()
    await fake_zalo.wait_sent(head.user_id, "không nhận được nội dung", after=start)
    await fake_zalo.wait_sent(head.user_id, "gửi tệp", after=start)
    fresh = fake_zalo.user("f" * 20)
    fresh.send_document()  # unlinked, outside any step: only the explanation
    await fake_zalo.wait_sent(fresh.user_id, "không nhận được nội dung")


async def test_a_photo_is_downloaded_and_checked_like_any_file(
    zalo: Running,
    fake_zalo: FakeZaloAPI,
    core: Core,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    head = fake_zalo.user("9" * 20)
    await head.ask(f"start {await _invite(session_factory, core)}", "Chào mừng")
    await head.ask("/nop", "nộp nội dung nào")
    await head.ask("1", "gửi tệp")
    url = fake_zalo.add_media("anh.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg")
    start = len(fake_zalo.sent)
    head.send_photo(url)
    await fake_zalo.wait_sent(head.user_id, "Không nhận loại tệp", after=start)  # documents only
    assert fake_zalo.media_hits == ["anh.jpg"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_and_reads_both_body_shapes(
    fake_zalo: FakeZaloAPI,
    core: Core,
    demo: None,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    port = _free_port()
    hook = ZaloWebhookConfig(f"http://127.0.0.1:{port}/zalo/hook", "s3cret-" * 5, port=port)
    running = Running(fake_zalo, core, hook)
    await running.ready()
    try:
        assert fake_zalo.webhook == {"url": hook.url, "secret_token": hook.secret}
        async with httpx.AsyncClient() as http:
            forged = await http.post(
                hook.url, json={}, headers={"X-Bot-Api-Secret-Token": "wrong-secret"}
            )
        assert forged.status_code == 403
        head = fake_zalo.user("7" * 20)
        await head.ask(f"/start {await _invite(session_factory, core)}", "Chào mừng")
        fake_zalo.wrap_webhook = True
        await head.ask("/trogiup", "Hướng dẫn")
        await fake_zalo.wait_for(lambda: len(fake_zalo.webhook_answers) == 2, timeout=10)
        assert fake_zalo.webhook_answers == [200, 200]  # answered after handling
    finally:
        await running.close()


def _update(event: str, **message: object) -> dict[str, object]:
    sender = {"id": "u" * 20, "display_name": "An", "is_bot": False}
    body = {"message_id": "m" * 20, "chat": {"id": "u" * 20, "chat_type": "PRIVATE"}}
    return {"event_name": event, "message": {"from": sender, **body, **message}}


def test_to_incoming_reads_what_zalo_sends() -> None:
    text = to_incoming(_update("message.text.received", text="xin chào"), "bot")
    assert text is not None and text.text == "xin chào" and text.is_private
    assert text.update_id == "message.text.received:" + "m" * 20
    for field in ("photo_url", "photo"):  # the docs say photo, live payloads photo_url
        image = to_incoming(_update("message.image.received", **{field: "https://x/a.jpg"}), "")
        assert image is not None and image.file is not None
    doc = to_incoming(_update("message.unsupported.received"), "bot")
    assert doc is not None and doc.unreadable and doc.text == ""
    group = _update("message.text.received", text="/tinhhinh")
    group["message"]["chat"] = {"id": "g1", "chat_type": "GROUP"}  # type: ignore[index]
    found = to_incoming(group, "bot")
    assert found is not None and not found.is_private and found.key.chat_id == "g1"
    assert to_incoming(_update("message.sticker.received", sticker="s"), "bot") is None
    assert to_incoming(_update("webhook.test", text="please respond"), "bot") is None
    assert to_incoming(_update("message.location.received"), "bot") is None
    assert to_incoming({"event_name": "message.unsupported.received"}, "bot") is None
    assert to_incoming(_update("message.text.received", text="echo"), "u" * 20) is None

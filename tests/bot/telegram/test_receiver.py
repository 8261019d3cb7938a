"""At-least-once receiving: an update is confirmed to Telegram only after it is settled.

Long polling confirms a batch with the next offset after handling it; the webhook answers 200
after handling and 500 when handling failed. A failing update is retried a bounded number of
times, then apologised for; the pressed message keeps its buttons unless the step was taken.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram import WebhookConfig
from bot.telegram.receiver import MAX_ATTEMPTS
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import Incoming, Reply
from storage.models import Role, Submission
from tests.fakes.telegram import FakeBotAPI
from tests.harness import Clock
from tests.telegram_harness import BotRunner, TgUser, invite_code

SF = async_sessionmaker[AsyncSession]
User = Callable[..., TgUser]


async def _submissions(sf: SF) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(Submission)) or 0)


async def _ready_to_confirm(user: TgUser, sf: SF, clock: Clock) -> None:
    """Onboard a unit head and bring /nop to its confirm step."""
    code = await invite_code(sf, clock, Role.UNIT_HEAD, "X-HALAN")
    await user.say(f"/start {code}", expect="Chào mừng")
    await user.say("/nop", expect="nộp nội dung nào")
    await user.press("Kế hoạch tổ chức", expect="gửi tệp")
    await user.say("Kế hoạch bằng văn bản.", expect="Xác nhận")


def _edits(api: FakeBotAPI, chat_id: int) -> int:
    return sum(
        1
        for c in api.calls
        if c.method in ("editMessageText", "editMessageReplyMarkup")
        and str(c.params.get("chat_id")) == str(chat_id)
    )


async def test_a_kill_between_receipt_and_commit_loses_nothing_and_answers_once(
    fake_telegram: FakeBotAPI,
    core: Core,
    demo: None,
    session_factory: SF,
    clock: Clock,
    tg_user: User,
) -> None:
    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start()
    head = tg_user(3101)
    try:
        await _ready_to_confirm(head, session_factory, clock)
    finally:
        await runner.stop()
    before = await _submissions(session_factory)

    received = asyncio.Event()

    async def hangs(msg: Incoming) -> list[Reply]:
        received.set()
        await asyncio.Event().wait()  # never commits: the process dies here
        raise AssertionError("unreachable")

    await runner.start(handle=hangs)
    message_id, data = head.keyboard_message("Xác nhận gửi")
    since = len(fake_telegram.sent_to(3101))
    fake_telegram.inject_callback(3101, 3101, data, message_id=message_id)
    await asyncio.wait_for(received.wait(), 10)
    await runner.kill()
    assert fake_telegram.pending_updates  # not confirmed to Telegram
    assert await _submissions(session_factory) == before

    await runner.start()  # the same update comes again and is handled now
    try:
        await head.answer(since, expect="Đã lưu")
        await head.say("/trogiup", expect="Hướng dẫn")
    finally:
        await runner.stop()
    saved = [t for t in fake_telegram.texts_to(3101)[since:] if "Đã lưu" in t]
    assert len(saved) == 1
    assert await _submissions(session_factory) == before + 1
    assert not fake_telegram.pending_updates


async def test_a_transient_failure_is_retried_without_an_apology(
    fake_telegram: FakeBotAPI, core: Core, demo: None, session_factory: SF, tg_user: User
) -> None:
    failures = {"left": MAX_ATTEMPTS - 1}

    async def flaky(msg: Incoming) -> list[Reply]:
        if msg.text == "/trogiup" and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("database went away")
        return await core.handle(msg)

    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start(handle=flaky)
    try:
        user = tg_user(3102)
        await user.say("/trogiup", expect="trợ lý thi đua")
    finally:
        await runner.stop()
    texts = fake_telegram.texts_to(3102)
    assert not any("Xin lỗi" in t for t in texts)
    assert sum("trợ lý thi đua" in t for t in texts) == 1


async def test_a_press_that_keeps_failing_gets_one_apology_and_keeps_its_buttons(
    fake_telegram: FakeBotAPI,
    core: Core,
    demo: None,
    session_factory: SF,
    clock: Clock,
    tg_user: User,
) -> None:
    head = tg_user(3103)
    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start()
    try:
        await _ready_to_confirm(head, session_factory, clock)
    finally:
        await runner.stop()
    before = await _submissions(session_factory)
    attempts = 0

    async def broken(msg: Incoming) -> list[Reply]:
        nonlocal attempts
        if msg.callback_data is not None:
            attempts += 1
            raise ConnectionError("database went away")
        return await core.handle(msg)

    await runner.start(handle=broken)
    try:
        edits = _edits(fake_telegram, 3103)
        await head.press("Xác nhận gửi", expect="Xin lỗi")
        await head.say("/trogiup", expect="Hướng dẫn")  # the chat is not blocked
    finally:
        await runner.stop()
    assert attempts == MAX_ATTEMPTS
    assert sum("Xin lỗi" in t for t in fake_telegram.texts_to(3103)) == 1
    assert _edits(fake_telegram, 3103) == edits  # the keyboard stays: nothing was taken
    assert await _submissions(session_factory) == before
    head.keyboard_message("Xác nhận gửi")  # still there to press again

    await runner.start()
    try:
        await head.press("Xác nhận gửi", expect="Đã lưu")
    finally:
        await runner.stop()
    assert _edits(fake_telegram, 3103) == edits + 1  # now the choice shows in its place


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_webhook_answers_after_handling_and_500_when_it_failed(
    fake_telegram: FakeBotAPI, core: Core, demo: None, session_factory: SF
) -> None:
    failures = {"left": 1}

    async def flaky(msg: Incoming) -> list[Reply]:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("database went away")
        return await core.handle(msg)

    port = _free_port()
    hook = WebhookConfig(url="https://127.0.0.1/hook", secret="s3cret-Token", port=port)
    local = f"http://127.0.0.1:{port}/hook"
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 1573524000,
            "chat": {"id": 3104, "type": "private", "first_name": "A"},
            "from": {"id": 3104, "is_bot": False, "first_name": "A"},
            "text": "/trogiup",
        },
    }
    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start(webhook=hook, handle=flaky)
    try:
        assert await fake_telegram.post_webhook(local, update, hook.secret) == 500
        assert fake_telegram.texts_to(3104) == []  # no apology yet: Telegram tries again
        assert await fake_telegram.post_webhook(local, update, hook.secret) == 200
        assert any("trợ lý thi đua" in t for t in fake_telegram.texts_to(3104))
        # The answer was sent before the 200: nothing is left to wait for.
        assert await fake_telegram.post_webhook(local, update, hook.secret) == 200
        async with aiohttp.ClientSession() as http:
            headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret}
            async with http.post(local, data=b"{not json", headers=headers) as response:
                assert response.status == 400
    finally:
        await runner.stop()
    assert sum("trợ lý thi đua" in t for t in fake_telegram.texts_to(3104)) == 1

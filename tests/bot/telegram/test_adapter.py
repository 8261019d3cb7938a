"""The Telegram channel end to end: PTB's real HTTP calls against the fake Bot API server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import socket
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from bot.app import Wakeups
from bot.telegram import WebhookConfig
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Delivery, Incoming, OutgoingFile, Reply
from handlers.routes import make_core
from scheduler import BroadcastWorker, ExportWorker, Notifier, SchedulerService
from storage.models import ChatAccount, Nomination, Role, StoredFile, Submission, Unit
from tests.conftest import TestDatabase
from tests.fakes.telegram import Call, FakeBotAPI
from tests.harness import Clock
from tests.telegram_harness import BotRunner, TgUser, invite_code

SF = async_sessionmaker[AsyncSession]
User = Callable[..., TgUser]


async def _count(sf: SF, model: type, *where: object) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _onboard(
    user: TgUser, sf: SF, clock: Clock, role: Role = Role.UNIT_HEAD, unit: str | None = "X-HALAN"
) -> None:
    code = await invite_code(sf, clock, role, unit)
    await user.say(f"/start {code}", expect="Chào mừng")


async def test_startup_sets_vietnamese_command_menus(telegram: BotRunner) -> None:
    calls = telegram.api.calls_of("setMyCommands")
    scopes = {c.params["scope"]["type"]: c.params["commands"] for c in calls}
    assert {"all_private_chats", "all_group_chats"} <= set(scopes)
    private = {c["command"]: c["description"] for c in scopes["all_private_chats"]}
    assert private["nop"] == "Nộp kế hoạch, báo cáo, hồ sơ"
    assert telegram.api.calls_of("deleteWebhook")  # polling starts by dropping any webhook


async def test_onboarding_through_a_deep_link_code(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    stranger = tg_user(2001)
    reply = await stranger.say("/tinhhinh", expect="chưa được liên kết")
    assert "Phường" not in (reply.text or "")  # never data before linking
    code = await invite_code(session_factory, clock, Role.UNIT_HEAD, "X-HALAN")
    welcome = await stranger.say(f"/start {code}", expect="Chào mừng")
    assert welcome.params["parse_mode"] == "HTML"
    keyboard = welcome.params["reply_markup"]["keyboard"]  # the main menu, a reply keyboard
    assert [b["text"] for b in keyboard[0]] == ["📤 Nộp báo cáo", "🏅 Đề cử"]
    async with session_factory() as s:
        account = (
            await s.scalars(select(ChatAccount).where(ChatAccount.external_id == "2001"))
        ).one()
    assert (account.channel, account.chat_id) == ("telegram", "2001")
    await stranger.say("📊 Tình hình", expect="Hà Lan")  # a menu tap arrives as its label


async def test_nomination_with_buttons_edits_the_pressed_message(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    head = tg_user(2002)
    await _onboard(head, session_factory, clock)
    await head.say("/decu", expect="Cá nhân")
    await head.press("Cá nhân", expect="Họ và tên")
    edit = (await telegram.api.wait_for(lambda c: c.method == "editMessageText"))[0]
    edited = telegram.api.message(2002, edit.params["message_id"])
    assert not edited.get("reply_markup")  # the buttons are gone: no second press
    assert edited["text"].endswith("» 👤 Cá nhân")  # the choice shows in their place
    assert telegram.api.calls_of("answerCallbackQuery")
    await head.say("Nguyễn <Văn> & Hoa", expect="Giới tính")
    await head.press("Nữ", expect="Năm sinh")
    await head.say("1985", expect="Chức vụ")
    await head.say("Chủ tịch Hội LHPN phường", expect="Hình thức")
    await head.press("Lao động tiên tiến", expect="Tóm tắt thành tích")
    await head.say("Hoàn thành xuất sắc nhiệm vụ.", expect="báo cáo thành tích")
    summary = await head.press("Bỏ qua", expect="Nguyễn <Văn> & Hoa")  # shown as typed…
    assert "Nguyễn &lt;Văn&gt; &amp; Hoa" in summary.params["text"]  # …because it was escaped
    await head.press("Gửi đề cử", expect="Đã lưu đề cử")
    assert await _count(session_factory, Nomination, Nomination.full_name == "Nguyễn <Văn> & Hoa")


async def test_a_stale_button_is_refused(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    head = tg_user(2003)
    await _onboard(head, session_factory, clock)
    await head.say("/decu", expect="Cá nhân")
    message_id, data = head.keyboard_message("Cá nhân")
    await head.press("Cá nhân", expect="Họ và tên")
    since = len(telegram.api.sent_to(2003))
    telegram.api.inject_callback(2003, 2003, data, message_id=message_id)  # an old press again
    await head.answer(since, expect="đã hết hiệu lực")


async def test_document_submission_is_downloaded_and_stored(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock, tmp_path: Path
) -> None:
    head = tg_user(2004)
    await _onboard(head, session_factory, clock)
    await head.say("/nop", expect="nộp nội dung nào")
    await head.press("Kế hoạch tổ chức", expect="gửi tệp")
    payload = b"%PDF-1.4 ke hoach phuong Bac Son " * 50
    await head.send_file(payload, "Kế hoạch Bắc Sơn.pdf", "application/pdf", expect="Xác nhận")
    await head.press("Xác nhận gửi", expect="Đã lưu")
    async with session_factory() as s:
        stored = (await s.scalars(select(StoredFile))).one()
        sub = (
            await s.scalars(
                select(Submission).join(Unit).where(Unit.code == "X-HALAN", Submission.is_current)
            )
        ).one()
    assert (stored.name, stored.size, stored.mime_type) == (
        "Kế hoạch Bắc Sơn.pdf",
        len(payload),
        "application/pdf",
    )
    assert stored.sha256 == hashlib.sha256(payload).hexdigest()
    assert (tmp_path / "files" / stored.path).read_bytes() == payload
    assert sub.file_id == stored.id


async def test_bad_files_are_refused_with_a_reason(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    head = tg_user(2005)
    await _onboard(head, session_factory, clock)
    await head.say("/nop", expect="nộp nội dung nào")
    await head.press("Kế hoạch tổ chức", expect="gửi tệp")
    big = 25 * 1024 * 1024
    await head.send_file(b"%PDF", "lon.pdf", "application/pdf", expect="quá lớn", size=big)
    await head.send_file(b"", "rong.pdf", "application/pdf", expect="rỗng")
    await head.send_file(b"MZ\x90", "setup.exe", "application/x-msdownload", expect="thực thi")
    await head.send_photo(b"\xff\xd8\xff photo", expect="Không nhận loại tệp")  # not for a plan
    assert await _count(session_factory, StoredFile) == 0
    downloads = telegram.api.downloads
    assert all("lon" not in path for path in downloads)  # too big: never downloaded


async def test_secretariat_status_in_a_group_and_privately(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    secretary = tg_user(3001)
    await _onboard(secretary, session_factory, clock, Role.SECRETARIAT, None)
    reply = await secretary.say("/tinhhinh", expect="12/21")
    assert reply.params["reply_markup"]["inline_keyboard"]  # drill-down privately
    group = tg_user(3001, chat_id=-100500, chat_type="group")
    overview = await group.say("/tinhhinh@tdkt_test_bot", expect="12/21")
    assert not overview.params.get("reply_markup")  # nothing anyone in the group could press
    head = tg_user(2006, chat_id=-100500, chat_type="group")
    await _onboard(tg_user(2006), session_factory, clock)
    await head.say("/tinhhinh", expect="nhắn riêng")
    await head.say("/nop", expect="nhắn riêng")
    since = len(telegram.api.sent_to(-100500))
    telegram.api.inject_message(-100500, 2006, "Chào cả nhóm", chat_type="group")
    telegram.api.inject_message(-100500, 2006, "/tinhhinh@other_bot", chat_type="group")
    await group.say("/trogiup", expect="Hướng dẫn")
    assert len(telegram.api.sent_to(-100500)) == since + 1  # chatter and other bots ignored


async def test_a_duplicate_update_is_processed_once(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    head = tg_user(2007)
    await _onboard(head, session_factory, clock)
    await head.say("/nop", expect="nộp nội dung nào")
    await head.press("Kế hoạch tổ chức", expect="gửi tệp")
    await head.say("Kế hoạch bằng văn bản.", expect="Xác nhận")
    before = await _count(session_factory, Submission)
    await head.press("Xác nhận gửi", expect="Đã lưu")
    sent = len(telegram.api.sent_to(2007))
    telegram.api.redeliver(head.last_update)  # Telegram delivers the press again
    await head.say("/trogiup", expect="Hướng dẫn")  # processed after the redelivery
    assert len(telegram.api.sent_to(2007)) == sent + 1  # only the help: no second "Đã lưu"
    assert await _count(session_factory, Submission) == before + 1


async def test_restart_mid_conversation_continues_at_the_same_step(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    head = tg_user(2008)
    await _onboard(head, session_factory, clock)
    await head.say("/decu", expect="Cá nhân")
    await head.press("Cá nhân", expect="Họ và tên")
    await telegram.kill()
    head.api.inject_message(2008, 2008, "Trần Văn Bình")  # arrives while the bot is down
    await telegram.start()
    since = 0
    await head.answer(since, expect="Giới tính")
    await head.press("Nam", expect="Năm sinh")


async def test_error_boundary_apologises_and_keeps_running(
    fake_telegram: FakeBotAPI,
    core: Core,
    demo: None,
    session_factory: SF,
    tg_user: User,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:

    async def flaky(msg: Incoming) -> list[Reply]:
        if msg.text == "nổ":
            raise RuntimeError("boom")
        return await core.handle(msg)

    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start(handle=flaky)
    try:
        user = tg_user(2009)
        await user.say("nổ", expect="Xin lỗi")
        await user.say("/trogiup", expect="trợ lý thi đua")  # still running
    finally:
        await runner.stop()
    assert "update" in caplog.text and "boom" in caplog.text  # logged with the update's id
    assert FakeBotAPI.TOKEN not in caplog.text


async def test_429_storm_delivers_everything_once(
    fake_telegram: FakeBotAPI, core: Core, demo: None, session_factory: SF, tg_user: User
) -> None:
    runner = BotRunner(fake_telegram, core, session_factory)
    adapter = await runner.start()
    try:
        fake_telegram.fail("sendMessage", error_code=429, retry_after=1, times=2, chat_id=4001)
        assert await adapter.sender.send(ChatKey("telegram", "4001"), Reply("Lần 1")) == (
            Delivery.SENT
        )
        fake_telegram.rate_limit(per_second=30)
        sends = [
            adapter.sender.send(ChatKey("telegram", str(5000 + n)), Reply(f"Tin {n}"))
            for n in range(60)
        ]
        results = await asyncio.gather(*sends)
    finally:
        await runner.stop()
    assert results == [Delivery.SENT] * 60
    delivered = [c.text for c in fake_telegram.calls_of("sendMessage") if c.ok]
    assert sorted(delivered) == sorted(["Lần 1"] + [f"Tin {n}" for n in range(60)])
    refused = [c for c in fake_telegram.calls_of("sendMessage") if c.error_code == 429]
    assert len(refused) >= 2  # the storm happened and was ridden out


async def test_blocked_user_is_marked_unreachable(
    telegram: BotRunner, tg_user: User, session_factory: SF, clock: Clock
) -> None:
    head = tg_user(2010)
    await _onboard(head, session_factory, clock)
    telegram.api.block(2010)
    assert telegram.adapter is not None
    result = await telegram.adapter.sender.send(ChatKey("telegram", "2010"), Reply("Nhắc hạn"))
    assert result is Delivery.BLOCKED
    async with session_factory() as s:
        account = (
            await s.scalars(select(ChatAccount).where(ChatAccount.external_id == "2010"))
        ).one()
    assert account.unreachable_at is not None


async def test_long_replies_are_split_and_files_sent_as_documents(telegram: BotRunner) -> None:
    assert telegram.adapter is not None
    lines = [f"<b>{n}.</b> Phường Ba Đình — đã nộp kế hoạch đúng hạn" for n in range(300)]
    reply = Reply("\n".join(lines), file=OutgoingFile("bao-cao.xlsx", "application/xlsx", b"PK"))
    assert await telegram.adapter.sender.send(ChatKey("telegram", "4100"), reply) is (
        Delivery.SENT
    )
    calls = telegram.api.sent_to(4100)
    texts = [c.text or "" for c in calls if c.method == "sendMessage"]
    assert len(texts) > 1 and all(len(t) < 4096 for t in texts)
    assert "\n".join(texts).count("đã nộp kế hoạch") == 300
    document = calls[-1]
    assert document.method == "sendDocument"
    assert document.files["document"].data == b"PK"


async def test_a_short_text_goes_with_its_file_as_one_message(telegram: BotRunner) -> None:
    assert telegram.adapter is not None
    text = "📣 <b>Thông báo</b> &amp; lịch họp: thứ Hai, 8 giờ."
    reply = Reply(text, file=OutgoingFile("lich-hop.pdf", "application/pdf", b"%PDF-1.4"))
    sent = await telegram.adapter.sender.send(ChatKey("telegram", "4101"), reply)
    assert sent is Delivery.SENT
    (call,) = telegram.api.sent_to(4101)  # one message, not a text and then a file
    assert call.method == "sendDocument"
    assert call.text == "📣 Thông báo & lịch họp: thứ Hai, 8 giờ."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_checks_the_secret_token(
    fake_telegram: FakeBotAPI, core: Core, demo: None, session_factory: SF
) -> None:
    port = _free_port()
    # Telegram is told an HTTPS URL (a TLS proxy in front); the bot listens on plain HTTP.
    hook = WebhookConfig(url="https://127.0.0.1/tdkt-hook", secret="s3cret-Token", port=port)
    local = f"http://127.0.0.1:{port}/tdkt-hook"
    runner = BotRunner(fake_telegram, core, session_factory)
    await runner.start(webhook=hook)
    try:
        assert fake_telegram.webhook is not None
        assert fake_telegram.webhook["secret_token"] == "s3cret-Token"
        update = {
            "message": {
                "message_id": 1,
                "date": 1573524000,
                "chat": {"id": 4200, "type": "private", "first_name": "A"},
                "from": {"id": 4200, "is_bot": False, "first_name": "A"},
                "text": "/trogiup",
            }
        }
        wrong = await fake_telegram.post_webhook(local, {**update, "update_id": 1}, "sai")
        assert wrong == 403
        right = await fake_telegram.post_webhook(local, {**update, "update_id": 2}, hook.secret)
        assert right == 200
        await fake_telegram.wait_text(4200, "trợ lý thi đua")
        await asyncio.sleep(0.2)
        assert len(fake_telegram.sent_to(4200)) == 1  # only the update with the right secret
    finally:
        await runner.stop()


async def test_a_chart_goes_as_a_photo(telegram: BotRunner) -> None:
    assert telegram.adapter is not None
    png = b"\x89PNG\r\n\x1a\n chart"
    reply = Reply("Biểu đồ tiến độ", file=OutgoingFile("tien-do.png", "image/png", png))
    assert await telegram.adapter.sender.send(ChatKey("telegram", "4400"), reply) is (
        Delivery.SENT
    )
    photo = telegram.api.sent_to(4400)[-1]
    assert photo.method == "sendPhoto" and photo.files["photo"].data == png


async def test_processed_update_ids_are_forgotten_after_a_week(
    session_factory: SF, clock: Clock
) -> None:
    from storage.repositories.updates import ProcessedUpdateRepository

    async with session_factory.begin() as s:
        updates = ProcessedUpdateRepository(s)
        await updates.add("telegram", "1", clock() - dt.timedelta(days=8))
        await updates.add("telegram", "2", clock())
    async with session_factory.begin() as s:
        assert await ProcessedUpdateRepository(s).prune(clock() - dt.timedelta(days=7)) == 1
    async with session_factory() as s:
        assert not await ProcessedUpdateRepository(s).seen("telegram", "1")
        assert await ProcessedUpdateRepository(s).seen("telegram", "2")


async def test_secretariat_day_status_chart_review_notice_and_exports(
    fake_telegram: FakeBotAPI,
    core: Core,
    demo: None,
    session_factory: SF,
    tg_user: User,
    clock: Clock,
    tmp_path: Path,
    test_db: TestDatabase,
) -> None:
    """The office's day on Telegram: status with its chart, a return the unit hears of, files."""
    wakeups = Wakeups()
    office_core = make_core(dataclasses.replace(core.deps, wake=wakeups))
    runner = BotRunner(fake_telegram, office_core, session_factory)
    adapter = await runner.start()
    senders = {"telegram": adapter.sender.send}
    deps = office_core.deps
    service = SchedulerService(
        session_factory,
        Notifier(session_factory, deps.texts, deps.clock, senders, "e2e"),
        BroadcastWorker(session_factory, deps.texts, deps.files, deps.clock, senders, "e2e"),
        deps.clock,
        exports=ExportWorker(
            session_factory,
            lambda: test_db.make_engine(read_only=True, poolclass=NullPool),
            deps.texts,
            deps.files,
            deps.clock,
            senders,
            "e2e",
        ),
    )
    await service.start()
    wakeups.bind(service.wake)
    try:
        head, secretary = tg_user(8002), tg_user(8001)
        await _onboard(head, session_factory, clock)
        await _onboard(secretary, session_factory, clock, Role.SECRETARIAT, None)
        await head.say("/nop", expect="nộp nội dung nào")
        await head.press("Kế hoạch tổ chức", expect="gửi tệp")
        await head.send_file(b"%PDF-1.4 ke hoach", "ke-hoach.pdf", "application/pdf", "Xác nhận")
        await head.press("Xác nhận gửi", expect="Đã lưu")

        await secretary.say("/tinhhinh", expect="13/21")
        chart = (await fake_telegram.wait_for(lambda c: c.method == "sendPhoto"))[0]
        assert chart.chat_id == 8001 and chart.files["photo"].data.startswith(b"\x89PNG")

        def document_to_secretary(call: Call) -> bool:
            return call.method == "sendDocument" and call.chat_id == 8001

        await secretary.say("/duyet X-HALAN", expect="Xã Hà Lan")
        card = (await fake_telegram.wait_for(document_to_secretary))[0]  # the plan, to open
        assert card.files["document"].data == b"%PDF-1.4 ke hoach"
        await secretary.press("Trả lại", expect="lý do")
        await secretary.say("Kế hoạch chưa có chữ ký, đóng dấu.", expect="Đã trả lại")
        notice = await head.answer(0, expect="Kế hoạch chưa có chữ ký, đóng dấu.")
        assert "bị trả lại" in (notice.text or "")

        await secretary.say("/xuat", expect="Danh sách trích ngang")
        await secretary.press("Danh sách trích ngang", expect="Excel")
        await secretary.press("Excel", expect="Đang tạo tệp…")  # built in the background
        document = (await fake_telegram.wait_for(document_to_secretary, count=2))[-1]
        path = tmp_path / "trich-ngang.xlsx"
        path.write_bytes(document.files["document"].data)
        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None
        values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
        assert "Họ và tên" in values and "I. Cá nhân" in values
    finally:
        await service.stop()
        await runner.stop()


def test_both_connections_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA bundle once, not once for getUpdates and once for the rest."""
    import ssl

    from bot.telegram import TelegramAdapter, TelegramConfig

    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        made.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(ssl, "create_default_context", counting)

    async def handle(msg: Incoming) -> list[Reply]:
        return []

    async def unreachable(chat_id: str) -> None:
        return None

    config = TelegramConfig(token="123:abc")
    adapter = TelegramAdapter(config, handle, Reply(text="x"), unreachable)
    assert len(made) == 1
    assert adapter.bot.token == "123:abc"

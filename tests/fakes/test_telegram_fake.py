"""The fake Telegram Bot API server, driven by python-telegram-bot's real client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from tests.fakes.telegram import FakeBotAPI, fake_telegram

__all__ = ["fake_telegram"]  # the fixture, imported so that pytest finds it in this module

CHAT = 1001
USER = 1001
GROUP = -100777


def make_bot(api: FakeBotAPI, token: str = FakeBotAPI.TOKEN) -> Bot:
    return Bot(token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeBotAPI) -> AsyncIterator[Bot]:
    async with make_bot(fake_telegram) as client:
        yield client


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]]
    )


def recorded(api: FakeBotAPI) -> FakeBotAPI:
    """The same fake, hiding earlier assertions' type narrowing of its attributes from mypy."""
    return api


async def raw_call(
    api: FakeBotAPI, method: str, *, http: str = "POST", **kwargs: object
) -> tuple[int, dict[str, object]]:
    """One request without PTB (``json=``, ``data=`` or ``params=`` go to aiohttp)."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(http, f"{api.url}/bot{api.TOKEN}/{method}", **kwargs) as response,  # type: ignore[arg-type]
    ):
        body = await response.json()
        assert isinstance(body, dict)
        return response.status, body


# --------------------------------------------------------------------------------------------


async def test_get_me(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == FakeBotAPI.BOT["id"]
    assert me.username == "tdkt_test_bot"
    assert me.is_bot
    assert bot.username == "tdkt_test_bot"  # set by initialize()
    assert fake_telegram.calls_of("getme")[0].ok


async def test_wrong_token_is_rejected_on_initialize(fake_telegram: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(fake_telegram, "999:wrong-token"):
            pass
    assert fake_telegram.calls[-1].error_code == 401


async def test_send_edit_and_keyboard(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(
        CHAT,
        "<b>Chào</b> bạn &amp; <i>đồng nghiệp</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("Có", "Không"),
    )
    assert sent.message_id == 1
    assert sent.text == "Chào bạn & đồng nghiệp"
    assert sent.from_user is not None and sent.from_user.id == FakeBotAPI.BOT["id"]
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        (MessageEntity.BOLD, 0, 4),
        (MessageEntity.ITALIC, 11, 11),
    ]
    assert sent.reply_markup == keyboard("Có", "Không")
    call = fake_telegram.sent_to(CHAT)[0]
    assert call.params["chat_id"] == CHAT  # form fields are decoded
    assert call.params["text"].startswith("<b>Chào</b>")
    assert call.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "cb:Không"
    assert fake_telegram.texts_to(CHAT) == ["Chào bạn & đồng nghiệp"]

    edited = await bot.edit_message_text(
        "Đã <b>chọn</b>",
        chat_id=CHAT,
        message_id=sent.message_id,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("Hoàn tác"),
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Đã chọn"
    assert edited.edit_date is not None
    state = fake_telegram.message(CHAT, sent.message_id)
    assert state["text"] == "Đã chọn"
    assert state["reply_markup"]["inline_keyboard"][0][0]["text"] == "Hoàn tác"

    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    assert "reply_markup" not in fake_telegram.message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    assert [c.method for c in fake_telegram.calls if c.method.startswith("edit")] == [
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageReplyMarkup",
    ]

    second = await bot.send_message(CHAT, "tiếp")
    assert second.message_id == 2  # per chat
    assert (await bot.send_message(GROUP, "nhóm")).message_id == 1


async def test_telegram_like_validation(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "" at byte offset 2'):
        await bot.send_message(CHAT, "a < b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Can't find end tag"):
        await bot.send_message(CHAT, "<b>đậm", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "br"'):
        await bot.send_message(CHAT, "một<br>hai", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "  <b> </b> ", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            CHAT,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="đ" * 33)]]
            ),
        )
    sent = await bot.send_message(CHAT, "4096 ký tự OK " + "x" * 4000)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(sent.text or "", chat_id=CHAT, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("?", chat_id=CHAT, message_id=99)


async def test_injected_updates_are_parsed_by_ptb(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    queued = fake_telegram.inject_message(CHAT, USER, "/start abc", first_name="Lan")
    assert queued["update_id"] == 1
    question = await bot.send_message(CHAT, "Đồng ý?", reply_markup=keyboard("Có"))
    fake_telegram.inject_callback(CHAT, USER, "cb:Có", message_id=question.message_id)
    fake_telegram.inject_document(
        GROUP,
        USER,
        b"PK\x03\x04 fake xlsx",
        "danh-sach.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        caption="Danh sách",
        chat_type="supergroup",
        chat_title="Phòng TĐKT",
    )
    fake_telegram.inject_photo(CHAT, USER, b"\xff\xd8 jpeg", caption="Ảnh")

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [1, 2, 3, 4]
    start, press, document, photo = updates

    assert start.message is not None
    assert start.message.text == "/start abc"
    assert start.message.chat.type == "private"
    assert start.message.from_user is not None and start.message.from_user.first_name == "Lan"
    assert start.message.parse_entities([MessageEntity.BOT_COMMAND]) != {}

    query = press.callback_query
    assert query is not None and query.data == "cb:Có"
    assert query.message is not None and query.message.message_id == question.message_id
    assert isinstance(query.message, Message)
    assert query.message.reply_markup == keyboard("Có")
    assert await query.answer("Đã nhận") is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)

    assert document.message is not None and document.message.document is not None
    assert document.message.document.file_name == "danh-sach.xlsx"
    assert document.message.caption == "Danh sách"
    assert document.message.chat.type == "supergroup"
    assert document.message.chat.title == "Phòng TĐKT"

    assert photo.message is not None
    sizes = photo.message.photo
    assert len(sizes) == 2 and sizes[-1].width > sizes[0].width
    data = await (await bot.get_file(sizes[-1].file_id)).download_as_bytearray()
    assert bytes(data) == b"\xff\xd8 jpeg"


async def test_long_poll_returns_when_an_update_arrives(
    fake_telegram: FakeBotAPI, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_telegram.wait_polling()
    assert not poll.done()
    fake_telegram.inject_message(CHAT, USER, "xin chào")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates if u.message] == ["xin chào"]
    assert loop.time() - started < 2

    # An empty poll waits for its timeout and returns nothing.
    started = loop.time()
    assert (
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=dtm.timedelta(seconds=0.2))
        == ()
    )
    assert 0.15 < loop.time() - started < 1.5


async def test_offset_confirms_and_redeliver_repeats(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    first = fake_telegram.inject_message(CHAT, USER, "một")
    fake_telegram.inject_message(CHAT, USER, "hai")
    fake_telegram.inject_message(CHAT, USER, "ba")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [1, 2, 3]  # unconfirmed
    assert [u.update_id for u in await bot.get_updates(offset=2, timeout=0)] == [2, 3]
    assert [u["update_id"] for u in fake_telegram.pending_updates] == [2, 3]
    assert await bot.get_updates(offset=4, timeout=0) == ()
    assert fake_telegram.pending_updates == []

    fake_telegram.redeliver(first)
    again = await bot.get_updates(offset=4, timeout=0)
    assert [u.update_id for u in again] == [1]
    assert again[0].message is not None and again[0].message.text == "một"
    assert await bot.get_updates(offset=4, timeout=0) == ()  # delivered twice, not forever

    limited = [fake_telegram.inject_message(CHAT, USER, str(n))["update_id"] for n in range(3)]
    assert [u.update_id for u in await bot.get_updates(offset=4, limit=2, timeout=0)] == limited[
        :2
    ]


async def test_get_file_and_download(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    payload = bytes(range(256)) * 10
    update = fake_telegram.inject_document(CHAT, USER, payload, "hs.pdf", "application/pdf")
    file_id = update["message"]["document"]["file_id"]
    file = await bot.get_file(file_id)
    assert file.file_size == len(payload)
    assert file.file_path is not None and file.file_path.startswith(
        f"{fake_telegram.url}/file/bot"
    )
    assert bytes(await file.download_as_bytearray()) == payload
    assert fake_telegram.downloads == [file.file_path.rsplit("/bot" + FakeBotAPI.TOKEN + "/")[1]]

    big = fake_telegram.inject_document(
        CHAT, USER, b"small", "to.zip", "application/zip", declared_size=25 * 1024 * 1024
    )
    assert big["message"]["document"]["file_size"] == 25 * 1024 * 1024
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big["message"]["document"]["file_id"])
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_send_document_and_photo_uploads(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    content = "Báo cáo thi đua\n".encode() * 100
    sent = await bot.send_document(
        CHAT,
        InputFile(content, filename="bao-cao.txt"),
        caption="<b>Báo cáo</b>",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document is not None
    assert sent.document.file_name == "bao-cao.txt"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Báo cáo"
    call = fake_telegram.calls_of("sendDocument")[0]
    upload = call.files["document"]
    assert (upload.name, upload.content_type, upload.data) == (
        "bao-cao.txt",
        "text/plain",
        content,
    )
    assert call.params["caption"] == "<b>Báo cáo</b>"
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content

    # Re-sending by file_id reuses the stored file.
    again = await bot.send_document(GROUP, sent.document.file_id)
    assert again.document is not None and again.document.file_name == "bao-cao.txt"

    photo = await bot.send_photo(CHAT, b"\x89PNG fake", caption="Biểu đồ")
    assert len(photo.photo) == 2 and photo.caption == "Biểu đồ"
    assert fake_telegram.calls_of("sendPhoto")[0].files["photo"].data == b"\x89PNG fake"
    assert fake_telegram.texts_to(CHAT) == ["Báo cáo", "Biểu đồ"]

    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(CHAT, InputFile(b"", filename="rong.txt"))
    assert await bot.send_chat_action(CHAT, "upload_document") is True


async def test_commands_are_recorded(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    commands = [BotCommand("start", "Bắt đầu"), BotCommand("nop", "Nộp hồ sơ")]
    assert await bot.set_my_commands(commands) is True
    assert fake_telegram.commands == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "nop", "description": "Nộp hồ sơ"},
    ]
    assert await bot.get_my_commands() == tuple(commands)
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Nộp", "sai")])
    assert await bot.delete_my_commands() is True
    assert recorded(fake_telegram).commands is None
    assert await bot.get_my_commands() == ()


async def test_fail_429_raises_retry_after(
    fake_telegram: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22.2+ warns (PTBDeprecationWarning) whenever RetryAfter.retry_after is read as an int,
    # even inside RetryAfter.__init__; opting in to the future timedelta semantics avoids it.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake_telegram.fail("sendMessage", error_code=429, retry_after=3, chat_id=CHAT)
    await bot.send_message(CHAT + 1, "chat khác không bị lỗi")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    failed = fake_telegram.calls_of("sendMessage")[1]
    assert (failed.error_code, failed.description) == (429, "Too Many Requests: retry after 3")
    assert fake_telegram.sent_to(CHAT) == []
    await bot.send_message(CHAT, "lần sau thì được")  # times=1

    fake_telegram.fail("sendMessage", error_code=400, description="Bad Request: lỗi", times=2)
    for _ in range(2):
        with pytest.raises(BadRequest, match=r"(?i)lỗi"):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "ok")


async def test_retry_after_without_timedelta_opt_in_warns(
    fake_telegram: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    fake_telegram.fail("sendMessage", error_code=429, retry_after=3)
    with (
        pytest.warns(PTBDeprecationWarning, match="retry_after"),
        pytest.raises(RetryAfter) as caught,
    ):
        await bot.send_message(CHAT, "x")
    with pytest.warns(PTBDeprecationWarning):
        assert caught.value.retry_after == 3


async def test_block_answers_forbidden(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "trước khi chặn")
    fake_telegram.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "x")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("y", chat_id=CHAT, message_id=sent.message_id)
    await bot.send_message(CHAT + 1, "người khác vẫn nhận")
    assert [c.error_code for c in fake_telegram.calls_of("sendMessage")] == [None, 403, None]
    fake_telegram.unblock(CHAT)
    await bot.send_message(CHAT, "bỏ chặn")


async def test_rate_limit_refuses_beyond_the_limit(
    fake_telegram: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake_telegram.rate_limit(per_second=3, per_chat_per_second=1)
    await bot.send_message(1, "a")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "b")  # second message to the same chat within a second
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(2, "c")
    await bot.send_message(3, "d")
    with pytest.raises(RetryAfter):
        await bot.send_message(4, "e")  # fourth message within a second overall
    assert await bot.send_chat_action(4, "typing") is True  # chat actions are not limited
    assert fake_telegram.refused_429 == 2
    assert [c.error_code for c in fake_telegram.calls_of("sendMessage")] == [
        None,
        429,
        None,
        None,
        429,
    ]


async def test_unknown_method_and_raw_encodings(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert fake_telegram.calls[-1].error_code == 404

    status, body = await raw_call(fake_telegram, "getme", http="GET")
    assert status == 200 and body["ok"] is True

    status, body = await raw_call(
        fake_telegram, "SENDMESSAGE", json={"chat_id": str(CHAT), "text": "[1, 2]"}
    )
    assert status == 200
    call = fake_telegram.calls[-1]
    assert call.method == "sendMessage"
    assert call.params == {"chat_id": CHAT, "text": "[1, 2]"}  # text is never JSON-decoded

    status, body = await raw_call(
        fake_telegram,
        "sendMessage",
        data={"chat_id": "7", "text": "42", "reply_markup": json.dumps(keyboard("a").to_dict())},
    )
    assert status == 200
    assert fake_telegram.calls[-1].params["text"] == "42"
    assert fake_telegram.message(7, 1)["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"

    status, body = await raw_call(fake_telegram, "getMe", http="GET", params={"x": "1"})
    assert status == 200
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_telegram.url}/bot{FakeBotAPI.TOKEN}/x/y") as response,
    ):
        assert response.status == 404


async def test_webhook(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)HTTPS URL must be provided"):
        await bot.set_webhook("http://bot.example/hook")
    fake_telegram.inject_message(CHAT, USER, "chờ")
    assert await bot.set_webhook(
        "https://bot.example:8443/tg", secret_token="s3cr-et_", drop_pending_updates=True
    )
    assert fake_telegram.webhook is not None
    assert fake_telegram.webhook["url"] == "https://bot.example:8443/tg"
    assert fake_telegram.webhook["secret_token"] == "s3cr-et_"
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example:8443/tg" and info.pending_update_count == 0
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook() is True
    assert recorded(fake_telegram).webhook is None
    assert (await bot.get_webhook_info()).url == ""

    # post_webhook delivers like Telegram, to a local listener.
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        status = await fake_telegram.post_webhook(
            f"http://127.0.0.1:{port}/tg", {"message": {"text": "hi"}}, "s3cr-et_"
        )
        assert status == 200
        assert await fake_telegram.post_webhook(f"http://127.0.0.1:{port}/nope", {}, None) == 404
    finally:
        await runner.cleanup()
    assert received == [("s3cr-et_", {"message": {"text": "hi"}, "update_id": 2})]
    with pytest.raises(ValueError, match="loopback"):
        await fake_telegram.post_webhook("https://api.telegram.org/x", {}, None)


async def test_second_poll_conflicts_and_stop_ends_polls() -> None:
    async with FakeBotAPI() as api:
        first = asyncio.create_task(raw_call(api, "getUpdates", json={"timeout": 30}))
        await api.wait_polling()
        status, body = await raw_call(api, "getUpdates", json={"timeout": 0})
        assert (status, body) == (200, {"ok": True, "result": []})
        status, body = await asyncio.wait_for(first, 2)
        assert status == 409 and "terminated by other getUpdates" in str(body["description"])

        waiting = asyncio.create_task(raw_call(api, "getUpdates", data={"timeout": "30"}))
        await api.wait_polling()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await api.stop()
        assert await asyncio.wait_for(waiting, 2) == (200, {"ok": True, "result": []})
        assert loop.time() - started < 1.5


async def test_wait_helpers(fake_telegram: FakeBotAPI, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(CHAT, "<i>Kết quả</i>: đạt", parse_mode=ParseMode.HTML)

    task = asyncio.create_task(later())
    call = await fake_telegram.wait_text(CHAT, "Kết quả: đạt", timeout=2)
    assert call.text == "Kết quả: đạt"
    await task
    calls = await fake_telegram.wait_for(lambda c: c.method == "sendMessage", count=1)
    assert calls == [call]
    with pytest.raises(AssertionError, match=r"(?s)found 1; recent calls:\n.*sendMessage"):
        await fake_telegram.wait_for(lambda c: c.method == "sendMessage", count=2, timeout=0.1)


async def test_ptb_application_polls_the_fake(fake_telegram: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        await update.effective_message.reply_html(
            f"Chào <b>{update.effective_user.first_name}</b>"
        )

    application = (
        ApplicationBuilder()
        .token(FakeBotAPI.TOKEN)
        .base_url(f"{fake_telegram.url}/bot")
        .base_file_url(f"{fake_telegram.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        await fake_telegram.wait_polling()
        fake_telegram.inject_message(CHAT, USER, "/start", first_name="Lan")
        reply = await fake_telegram.wait_text(CHAT, "Chào Lan", timeout=3)
        assert reply.params == {"chat_id": CHAT, "text": "Chào <b>Lan</b>", "parse_mode": "HTML"}
        await application.updater.stop()
        await application.stop()
    assert fake_telegram.calls_of("deleteWebhook")[0].ok
    assert fake_telegram.pending_updates == []  # the Updater confirmed the update on stop

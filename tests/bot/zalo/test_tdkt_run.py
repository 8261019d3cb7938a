"""The real ``tdkt run`` serving Telegram and Zalo at once with one scheduler.

A unit head links on Zalo with a typed code, sends the plan and a nomination with numbered
choices; the secretariat on Telegram sees it in /tinhhinh; a reminder and a broadcast reach the
Zalo account once across kill -9; a person linked on both channels gets one copy on each.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
from pathlib import Path

import httpx
from sqlalchemy import select

from handlers.services.invites import ensure_account
from storage.db import make_engine, make_session_factory
from storage.models import ChatAccount, Role
from tests.bot.telegram.test_tdkt_run import NOW, Tdkt
from tests.fakes.telegram import FakeBotAPI
from tests.fakes.zalo import FakeZaloAPI
from tests.samples import docx_bytes
from tests.telegram_harness import TgUser

#: The head of P-PHUSON, linked on Telegram and on Zalo (one person, two accounts).
BOTH_TG, BOTH_ZALO = 7001, "b0" * 10


async def _started(tg: FakeBotAPI, zalo: FakeZaloAPI, run: int) -> None:
    await tg.wait_for(lambda c: c.method == "getMe", count=run + 1, timeout=60)
    await zalo.wait_for(lambda: len(zalo.calls_of("getMe")) >= run + 1, timeout=60)
    await tg.wait_for(lambda c: c.method == "getUpdates", count=1, timeout=60)
    await zalo.wait_for(
        lambda: len(zalo.calls_of("deleteWebhook")) >= run, timeout=60
    )  # polling from now on


async def _link_both(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tdkt.db'}")
    try:
        async with make_session_factory(engine).begin() as session:
            await ensure_account(
                session,
                channel="telegram",
                external_id=str(BOTH_TG),
                full_name="Lãnh đạo phường Phú Sơn",
                role=Role.UNIT_HEAD,
                unit_code="P-PHUSON",
                now=dt.datetime.now(dt.UTC),
            )
            account = await session.scalar(
                select(ChatAccount).where(ChatAccount.external_id == str(BOTH_TG))
            )
            assert account is not None
            session.add(
                ChatAccount(
                    person_id=account.person_id,
                    channel="zalo",
                    external_id=BOTH_ZALO,
                    chat_id=BOTH_ZALO,
                )
            )
    finally:
        await engine.dispose()


def _number(text: str, label: str) -> str:
    found = re.search(rf"^(\d+)\. [^\n]*{re.escape(label)}", text, re.MULTILINE)
    assert found, f"no numbered choice {label!r} in:\n{text}"
    return found.group(1)


async def test_one_process_serves_telegram_and_zalo(
    fake_telegram: FakeBotAPI, fake_zalo: FakeZaloAPI, tmp_path: Path
) -> None:
    tdkt = Tdkt(tmp_path, fake_telegram)
    tdkt.env.update(
        TDKT_ZALO_TOKEN=FakeZaloAPI.TOKEN,
        TDKT_ZALO_API_URL=fake_zalo.url,
        TDKT_ZALO_POLL_TIMEOUT="1",
        TDKT_ZALO_RATE_CHAT="100",
        TDKT_ZALO_RATE_OVERALL="100",
    )
    await tdkt("init", "--demo", "--now", NOW)
    invite = await tdkt("invite", "create", "--role", "unit_head", "--unit", "X-HALAN")
    code = invite.split()[-1]
    assert f"https://zalo.me/{FakeZaloAPI.BOT_ID}" in invite and f"start {code}" in invite
    secretary_code = (await tdkt("invite", "create", "--role", "secretariat")).split()[-1]
    await _link_both(tmp_path)
    fake_zalo.know(BOTH_ZALO)

    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, fake_zalo, 1)
    # the 08:00 reminder (P-PHUSON owes its plan), sent at start: one copy on each channel
    both_tg = TgUser(fake_telegram, BOTH_TG)
    await both_tg.answer(0, "Kế hoạch tổ chức")
    await fake_zalo.wait_sent(BOTH_ZALO, "Kế hoạch tổ chức")

    head = fake_zalo.user("a1" * 10, "Trần Văn Hạ")
    await head.ask(f"start {code}", "Chào mừng")
    listing = await head.ask("/nop", "nộp nội dung nào")
    question = await head.ask(_number(listing, "Kế hoạch tổ chức"), "gửi nội dung")
    # Zalo cannot carry a document: the plan goes through the web companion's one-time link
    found = re.search(r"http://127\.0\.0\.1:\d+/u/\S+", question)
    assert found, question
    plan = docx_bytes("Kế hoạch tổ chức Hội nghị điển hình tiên tiến của xã Hà Lan")
    async with httpx.AsyncClient() as web:
        page = await web.get(found.group(0))
        assert page.status_code == 200 and "Hà Lan" in page.text
        posted = await web.post(found.group(0), files={"file": ("Kế hoạch Hà Lan.docx", plan)})
        assert posted.status_code == 200 and "Đã nhận tệp" in posted.text
        again = await web.post(found.group(0), files={"file": ("Kế hoạch Hà Lan.docx", plan)})
        assert again.status_code != 200  # the link is used up
    confirm = await fake_zalo.wait_sent(head.user_id, "Xác nhận gửi")
    await head.ask(_number(confirm.text, "Xác nhận gửi"), "Đã lưu")
    await head.ask("/decu", "1.")
    await head.ask("1", "Họ")  # cá nhân
    await head.ask("Nguyễn Thị Hoa", "1.")
    await head.ask("nữ", "Năm sinh")
    await head.ask("1985", "Chức vụ")
    forms = await head.ask("Chủ tịch Hội LHPN xã Hà Lan", "Lao động tiên tiến")
    await head.ask(_number(forms, "Lao động tiên tiến"), "hành tích")
    skip = await head.ask("Hoàn thành xuất sắc nhiệm vụ 5 năm liền.", "Bỏ qua")
    summary = await head.ask(_number(skip, "Bỏ qua"), "Gửi đề cử")
    await head.ask(_number(summary, "Gửi đề cử"), "Đã lưu đề cử")

    secretary = TgUser(fake_telegram, 6002)
    await secretary.say(f"/start {secretary_code}", expect="Chào mừng")
    await secretary.say("/tinhhinh", expect="13/21")  # 12 plans this morning + Hà Lan's

    await secretary.say("/thongbao", expect="nội dung thông báo")
    await secretary.say("Họp giao ban thứ Hai lúc 8 giờ.", expect="Tất cả đơn vị")
    await secretary.press("Tất cả đơn vị", expect="Gửi")
    await secretary.press("✅ Gửi", expect="")
    await fake_zalo.wait_sent(head.user_id, "Họp giao ban", timeout=60)
    await fake_zalo.wait_sent(BOTH_ZALO, "Họp giao ban", timeout=60)
    await both_tg.answer(0, "Họp giao ban")

    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, fake_zalo, 2)
    await asyncio.sleep(3)  # the start's catch-up ran: nothing is sent twice
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, fake_zalo, 3)
    await asyncio.sleep(3)
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0

    def count(chat_id: str, words: str) -> int:
        return sum(words in text for text in fake_zalo.texts_to(chat_id))

    assert count(head.user_id, "Họp giao ban") == 1
    assert count(BOTH_ZALO, "Họp giao ban") == 1
    assert count(BOTH_ZALO, "Kế hoạch tổ chức") == 1  # the reminder, once across two kill -9
    assert count(head.user_id, "Đã lưu đề cử") == 1
    tg_copies = [c for c in fake_telegram.sent_to(BOTH_TG) if "Họp giao ban" in (c.text or "")]
    assert len(tg_copies) == 1
    logs = "".join(tdkt.stderr(n) for n in range(1, tdkt.runs + 1))
    assert FakeZaloAPI.TOKEN not in logs and FakeZaloAPI.TOKEN.split(":")[1] not in logs

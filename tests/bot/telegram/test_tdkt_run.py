"""The real ``tdkt`` process on Telegram: deep-link invite, submissions, kill -9, restart, status.

The fake Bot API runs in the test's event loop, so every ``tdkt`` subprocess is awaited
asynchronously. The database is a SQLite file of the run's own (the in-process Telegram tests
cover PostgreSQL).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import re
import signal
import socket
import sys
from pathlib import Path

from sqlalchemy import select

from handlers.services.invites import ensure_account
from storage.db import make_engine, make_session_factory
from storage.models import Role, Unit
from tests.fakes.telegram import FakeBotAPI
from tests.telegram_harness import TgUser

NOW = "2019-11-12T09:00"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Tdkt:
    """Runs ``tdkt`` with a data directory under ``tmp_path``, pointed at the fake server."""

    def __init__(self, tmp_path: Path, api: FakeBotAPI) -> None:
        self.dir = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TDKT_")}
        self.env.update(
            TDKT_DATA_DIR=str(tmp_path / "data"),
            TDKT_TELEGRAM_TOKEN=FakeBotAPI.TOKEN,
            TDKT_TELEGRAM_API_URL=api.url,
            TDKT_TELEGRAM_POLL_TIMEOUT="1",
            TDKT_TELEGRAM_RATE_CHAT="100",
            TDKT_LOG_LEVEL="DEBUG",
            TDKT_WEB_PORT=str(_free_port()),  # the web companion, one per test
        )
        self.runs = 0

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        """Start ``tdkt ARGS``; its output goes to ``run-N.out`` / ``run-N.err``."""
        self.runs += 1
        out = (self.dir / f"run-{self.runs}.out").open("wb")
        err = (self.dir / f"run-{self.runs}.err").open("wb")
        with out, err:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                *args,
                stdout=out,
                stderr=err,
                stdin=asyncio.subprocess.DEVNULL,
                env=self.env,
                cwd=self.dir,
            )

    async def __call__(self, *args: str) -> str:
        """Run ``tdkt ARGS`` to completion; return its stdout (it must succeed)."""
        proc = await self.start(*args)
        code = await asyncio.wait_for(proc.wait(), 120)
        assert code == 0, self.stderr()
        return (self.dir / f"run-{self.runs}.out").read_text(encoding="utf-8")

    def stderr(self, run: int | None = None) -> str:
        """What run ``run`` (default the last) wrote to stderr."""
        return (self.dir / f"run-{run or self.runs}.err").read_text(encoding="utf-8")


async def _started(api: FakeBotAPI, getme_calls: int) -> None:
    """Wait until a freshly started bot has said hello and is polling."""
    await api.wait_for(lambda c: c.method == "getMe", count=getme_calls, timeout=60)
    await api.wait_for(lambda c: c.method == "getUpdates", count=1, timeout=60)


async def test_tdkt_run_survives_kill_9_mid_conversation(
    fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    tdkt = Tdkt(tmp_path, fake_telegram)
    await tdkt("init", "--demo", "--now", NOW)
    invite = (await tdkt("invite", "create", "--role", "unit_head", "--unit", "X-HALAN")).split()
    code = invite[-1]
    assert f"https://t.me/tdkt_test_bot?start={code}" in invite  # the username from getMe
    secretary_code = (await tdkt("invite", "create", "--role", "secretariat")).split()[-1]
    getme = len(fake_telegram.calls_of("getMe"))
    assert getme == 1  # the second invite used the cached username

    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, getme + 1)
    head = TgUser(fake_telegram, 6001)
    await head.say(f"/start {code}", expect="Chào mừng")
    await head.say("/nop", expect="nộp nội dung nào")
    await head.press("Kế hoạch tổ chức", expect="gửi tệp")

    bot.send_signal(signal.SIGKILL)  # a crash: no clean shutdown
    await bot.wait()
    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, getme + 2)

    payload = b"%PDF-1.4 ke hoach xa Ha Lan"
    await head.send_file(payload, "ke-hoach-ha-lan.pdf", "application/pdf", expect="Xác nhận")
    await head.press("Xác nhận gửi", expect="Đã lưu")
    stored = list((tmp_path / "data" / "files").rglob("*"))
    assert any(p.is_file() and p.read_bytes() == payload for p in stored)

    secretary = TgUser(fake_telegram, 6002)
    await secretary.say(f"/start {secretary_code}", expect="Chào mừng")
    await secretary.say("/tinhhinh", expect="13/21")  # 12 plans this morning + Hà Lan's

    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0
    logs = tdkt.stderr(tdkt.runs - 1) + tdkt.stderr()
    assert FakeBotAPI.TOKEN not in logs
    assert FakeBotAPI.TOKEN.split(":")[1] not in logs


async def test_a_kill_between_receipt_and_commit_loses_nothing_and_answers_once(
    fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    """kill -9 while an update is being handled (its file downloading): it comes again."""
    tdkt = Tdkt(tmp_path, fake_telegram)
    await tdkt("init", "--demo", "--now", NOW)
    code = (await tdkt("invite", "create", "--role", "unit_head", "--unit", "X-HALAN")).split()[-1]
    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, 2)
    head = TgUser(fake_telegram, 6101)
    await head.say(f"/start {code}", expect="Chào mừng")
    await head.say("/nop", expect="nộp nội dung nào")
    await head.press("Kế hoạch tổ chức", expect="gửi tệp")

    fake_telegram.hold_downloads()
    since = len(fake_telegram.sent_to(6101))
    payload = b"%PDF-1.4 ke hoach xa Ha Lan"
    fake_telegram.inject_document(6101, 6101, payload, "ke-hoach.pdf", "application/pdf")
    for _ in range(1500):  # received: the bot is downloading the file
        if fake_telegram.download_requests:
            break
        await asyncio.sleep(0.02)
    assert fake_telegram.download_requests == 1
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    assert fake_telegram.pending_updates  # never confirmed to Telegram
    fake_telegram.release_downloads()

    bot = await tdkt.start("run", "--now", NOW)
    await _started(fake_telegram, 3)
    await head.answer(since, expect="Xác nhận")
    await head.press("Xác nhận gửi", expect="Đã lưu")
    await head.say("/trogiup", expect="Hướng dẫn")
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0
    texts = fake_telegram.texts_to(6101)[since:]
    assert sum("Xác nhận" in t and "ke-hoach.pdf" in t for t in texts) == 1, texts
    assert sum("Đã lưu" in t for t in texts) == 1
    assert not fake_telegram.pending_updates


async def _link_telegram_heads(data_dir: Path, count: int) -> dict[int, str]:
    """Link ``count`` Telegram unit heads (chat ids 7000…) round-robin over the demo's units."""
    engine = make_engine(f"sqlite+aiosqlite:///{data_dir / 'tdkt.db'}")
    units: dict[int, str] = {}
    try:
        async with make_session_factory(engine).begin() as s:
            codes = list((await s.scalars(select(Unit.code).order_by(Unit.code))).all())
            for n in range(count):
                chat = 7000 + n
                units[chat] = codes[n % len(codes)]
                await ensure_account(
                    s,
                    channel="telegram",
                    external_id=str(chat),
                    full_name=f"Lãnh đạo {n}",
                    role=Role.UNIT_HEAD,
                    unit_code=units[chat],
                    now=dt.datetime(2019, 11, 12, 1, 0, tzinfo=dt.UTC),
                )
    finally:
        await engine.dispose()
    return units


def _per_chat(api: FakeBotAPI, marker: str) -> collections.Counter[int]:
    return collections.Counter(
        int(c.chat_id) for c in api.calls_of("sendMessage") if c.ok and marker in (c.text or "")
    )


async def test_reminders_and_a_broadcast_survive_kill_9(
    fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    """Killed while reminding and again while broadcasting: nothing twice, nothing untold."""
    tdkt = Tdkt(tmp_path, fake_telegram)
    tdkt.env["TDKT_TELEGRAM_RATE_OVERALL"] = "20"  # slow enough to be killed half-way
    await tdkt("init", "--demo", "--now", NOW)
    units = await _link_telegram_heads(tmp_path / "data", 84)
    late = {"P-BADINH", "X-HALAN", "X-QUANGTRUNG", "P-PHUSON", "CQ-TTVH", "DT-CCB", "DT-LDLD"}
    late |= {"CQ-DAITT", "DN-BAOBI"}  # the 9 units without a plan on 12/11/2019 09:00
    reminded = {chat for chat, code in units.items() if code in late}
    secretary_code = (await tdkt("invite", "create", "--role", "secretariat")).split()[-1]

    bot = await tdkt.start("run", "--now", NOW)  # catches up on the 08:00 reminders at once
    await fake_telegram.wait_for(lambda c: "Nhắc hạn" in (c.text or ""), count=10, timeout=60)
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    bot = await tdkt.start("run", "--now", NOW)
    await fake_telegram.wait_for(lambda c: c.method == "getMe", count=3, timeout=60)

    async def settled(marker: str, expected: set[int], unknown: int) -> collections.Counter[int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while loop.time() < deadline:
            got = _per_chat(fake_telegram, marker)
            if len(set(got) & expected) >= len(expected) - unknown:
                await asyncio.sleep(0.5)  # anything more (a duplicate) would show by now
                return _per_chat(fake_telegram, marker)
            await asyncio.sleep(0.1)
        raise AssertionError(f"{marker}: {sorted(got)}")

    reminders = await settled("Nhắc hạn", reminded, unknown=1)
    assert set(reminders) <= reminded  # exactly the late units' heads
    assert max(reminders.values()) == 1  # nobody twice
    assert len(reminded - set(reminders)) <= 1  # at most the one in flight at the kill

    secretary = TgUser(fake_telegram, 6100)
    await secretary.say(f"/start {secretary_code}", expect="Chào mừng")
    await secretary.say("/thongbao", expect="Gửi thông báo")
    await secretary.say("Hạn nộp Kế hoạch là 15/11/2019.", expect="Đơn vị chưa nộp")
    await secretary.press("Đơn vị chưa nộp", expect="Kế hoạch tổ chức")
    await secretary.press("Kế hoạch tổ chức", expect="Xem trước")
    await secretary.press("Gửi", expect="Đã xếp hàng")
    await fake_telegram.wait_for(lambda c: "Hạn nộp Kế hoạch" in (c.text or ""), count=8)
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    bot = await tdkt.start("run", "--now", NOW)
    report = await secretary.answer(0, expect="Kết quả gửi thông báo", timeout=60)
    copies = _per_chat(fake_telegram, "Hạn nộp Kế hoạch")
    del copies[6100]  # the secretary's own preview
    assert max(copies.values()) == 1 and set(copies) <= reminded
    report_text = report.text or ""
    sent = int(re.search(r"Đã gửi: (\d+)", report_text)[1])  # type: ignore[index]
    cut = re.search(r"Không rõ \(do gián đoạn\): (\d+)", report_text)
    unknown = int(cut[1]) if cut else 0
    assert unknown <= 1  # at most the one copy in flight at the kill
    assert sent + unknown == len(reminded)  # every recipient accounted for
    # "unknown" means maybe: the server may have got some of them, never twice
    assert sent <= len(copies) <= sent + unknown

    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0


async def test_messages_that_waited_for_the_bot_are_answered_before_the_start_up_work(
    fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    """The catch-up reminders, the companion's pages and pruning wait for the backlog."""
    tdkt = Tdkt(tmp_path, fake_telegram)
    await tdkt("init", "--demo", "--now", NOW)
    units = await _link_telegram_heads(tmp_path / "data", 21)
    waiting = [chat for chat, code in units.items() if code == "P-BADINH"]  # owes its plan
    for chat in waiting:
        fake_telegram.inject_message(chat, chat, "/trogiup")

    bot = await tdkt.start("run", "--now", NOW)  # catches up on the 08:00 reminders
    await fake_telegram.wait_for(lambda c: "Nhắc hạn" in (c.text or ""), count=9, timeout=60)
    sends = [c for c in fake_telegram.calls_of("sendMessage") if c.ok]
    answers = [n for n, c in enumerate(sends) if "Hướng dẫn" in (c.text or "")]
    reminders = [n for n, c in enumerate(sends) if "Nhắc hạn" in (c.text or "")]
    assert len(answers) == len(waiting) and max(answers) < min(reminders)
    assert fake_telegram.calls_of("getUpdates")[0].params.get("timeout") in (None, 0)
    await fake_telegram.wait_polling(timeout=30)  # then long polling
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0


#: What a bot that answered and waits for more holds of the libraries it may need later.
NOT_WHILE_IDLE = (
    "aiohttp",  # the web companion's server: with the first link
    "trio",
    "alembic",  # the schema is at head
    "matplotlib",
    "openpyxl",
    "xlsxwriter",
    "docx",
    "PIL",
    "pypdf",
    "qrcode",
)


async def test_an_idle_bot_holds_neither_the_companion_server_nor_the_file_libraries(
    fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    tdkt = Tdkt(tmp_path, fake_telegram)
    await tdkt("init", "--demo", "--now", NOW)
    await _link_telegram_heads(tmp_path / "data", 1)
    fake_telegram.inject_message(7000, 7000, "/tinhhinh")
    code = (
        "import atexit, json, sys\n"
        "from bot.cli import main\n"
        f"unwanted = {NOT_WHILE_IDLE!r}\n"
        "atexit.register(lambda: print(json.dumps(sorted(m for m in unwanted"
        " if sys.modules.get(m))), file=sys.stderr))\n"
        f"sys.argv = ['tdkt', 'run', '--now', {NOW!r}]\n"
        "main()\n"
    )
    err = (tmp_path / "idle.err").open("wb")
    with err:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, stderr=err, env=tdkt.env, cwd=tmp_path
        )
    await fake_telegram.wait_for(lambda c: c.chat_id == 7000, timeout=60)
    await fake_telegram.wait_polling(timeout=30)
    await asyncio.sleep(1.0)  # the scheduler's start-up pass is over
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0
    last = (tmp_path / "idle.err").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert json.loads(last) == []


async def test_a_wrong_token_is_refused_in_vietnamese(
    fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    tdkt = Tdkt(tmp_path, fake_telegram)
    tdkt.env["TDKT_TELEGRAM_TOKEN"] = "987654321:WRONG-token"
    bot = await tdkt.start("run", "--now", NOW)
    assert await asyncio.wait_for(bot.wait(), 60) == 1
    err = tdkt.stderr()
    assert "Token Telegram không hợp lệ" in err
    assert "WRONG-token" not in err  # not even a wrong token is logged

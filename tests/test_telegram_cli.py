"""The real ``tdkt`` process on Telegram: deep-link invite, submissions, kill -9, restart, status.

The fake Bot API runs in the test's event loop, so every ``tdkt`` subprocess is awaited
asynchronously. The database is a SQLite file of the run's own (the in-process Telegram tests
cover PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_telegram import FakeBotAPI
from tests.telegram_harness import TgUser

NOW = "2019-11-12T09:00"


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

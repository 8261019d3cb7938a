"""Broadcast to 1 000 Telegram recipients under Telegram's flood limit; prints time and losses.

Usage::

    python bench/bench_broadcast.py [--n 1000] [--rate 30] [--pg-url URL]

A fresh database (a SQLite file, or a PostgreSQL schema with ``--pg-url``) gets ``--n`` linked
unit heads on Telegram and one broadcast to all of them. The real delivery path runs —
:class:`scheduler.BroadcastWorker` claiming copies, :class:`bot.telegram.TelegramSender` over
python-telegram-bot's HTTP layer — against the fake Bot API server of the tests, which accepts
``--rate`` messages a second (sliding window) and answers 429 with ``retry_after`` beyond.

Printed: wall time against the floor ``n / rate`` (goal ≤ 1.05×), the 429s received, and the
duplicates and lost messages counted on the server side (goal 0 and 0).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from benchdb import postgres_engine, postgres_reachable, sqlite_engine
from results import Figure, record
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.telegram import Limits, TelegramSender
from handlers.kernel.texts import Texts
from scheduler import BroadcastWorker
from storage.db import make_session_factory
from storage.files import LocalFileStore
from storage.models import (
    Broadcast,
    ChatAccount,
    NoticeStatus,
    Person,
    Role,
    Unit,
)
from storage.repositories.notices import BroadcastRepository
from tests.fakes.telegram import FakeBotAPI

__all__ = ["main"]

NOW = dt.datetime(2019, 11, 12, 2, 0, tzinfo=dt.UTC)
FIRST_CHAT = 700_000


async def _seed(engine: AsyncEngine, n: int) -> int:
    sf = make_session_factory(engine)
    async with sf.begin() as s:
        boss = Person(full_name="Thường trực", role=Role.SECRETARIAT, created_at=NOW)
        s.add(boss)
        units = [
            Unit(code=f"U{i:05d}", name=f"Đơn vị {i}", kind="khac", created_at=NOW)
            for i in range(n)
        ]
        s.add_all(units)
        await s.flush()
        people = [
            Person(full_name=f"Lãnh đạo {i}", role=Role.UNIT_HEAD, unit_id=u.id, created_at=NOW)
            for i, u in enumerate(units)
        ]
        s.add_all(people)
        await s.flush()
        accounts = [
            ChatAccount(
                person_id=p.id,
                channel="telegram",
                external_id=str(FIRST_CHAT + i),
                chat_id=str(FIRST_CHAT + i),
                linked_at=NOW,
            )
            for i, p in enumerate(people)
        ]
        s.add_all(accounts)
        await s.flush()
        broadcast = await BroadcastRepository(s).add(
            Broadcast(
                created_by=boss.id,
                created_at=NOW,
                text="Đề nghị các đơn vị gửi Kế hoạch trước ngày 15/11/2019.",
                audience={"kind": "all"},
                audience_label="Tất cả đơn vị",
                origin_channel="telegram",
                origin_chat_id="1",
                status="sending",
            ),
            [
                {
                    "account_id": a.id,
                    "unit_id": p.unit_id,
                    "channel": "telegram",
                    "chat_id": a.chat_id or "",
                    "status": NoticeStatus.PENDING,
                    "updated_at": NOW,
                }
                for a, p in zip(accounts, people, strict=True)
            ],
        )
        return broadcast.id


async def run(label: str, engine: AsyncEngine, n: int, rate: int) -> None:
    """Seed, deliver, and print the figures."""
    await _seed(engine, n)
    async with FakeBotAPI() as api:
        api.rate_limit(per_second=rate)
        bot = Bot(
            FakeBotAPI.TOKEN,
            base_url=f"{api.url}/bot",
            base_file_url=f"{api.url}/file/bot",
            request=HTTPXRequest(connection_pool_size=16),  # as TelegramAdapter builds it
        )
        async with bot:

            async def unreachable(chat_id: str) -> None:
                return None

            # The product's limits: 29/s, a margin under the server's 30/s for jitter.
            sender = TelegramSender(bot, unreachable, Limits())
            with tempfile.TemporaryDirectory() as files:
                worker = BroadcastWorker(
                    make_session_factory(engine),
                    Texts(),
                    LocalFileStore(Path(files)),
                    lambda: NOW,
                    {"telegram": sender.send},
                    "bench",
                )
                started = time.perf_counter()
                report = await worker.run()
                wall = time.perf_counter() - started
    per_chat = collections.Counter(
        c.chat_id for c in api.calls_of("sendMessage") if c.ok and c.chat_id != 1
    )
    duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
    lost = sum(1 for i in range(n) if per_chat[FIRST_CHAT + i] == 0)
    floor = n / rate
    print(
        f"{label:<11} {n} recipients at {rate}/s: wall {wall:.1f} s, "
        f"floor {floor:.1f} s, ratio {wall / floor:.3f} (goal ≤ 1.05); "
        f"429 received {api.refused_429}; sent {report.sent}, duplicates {duplicates}, "
        f"lost {lost} (goal 0 and 0)"
    )
    db = "sqlite" if label == "SQLite" else "postgresql"
    record(Figure("broadcast.ratio", db, f"{n} recipients", wall / floor, "×"))


def main() -> None:
    """Run the benchmark on SQLite, and on PostgreSQL with ``--pg-url``."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=30, help="what the fake server accepts")
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()

    async def go() -> None:
        async with sqlite_engine() as engine:
            await run("SQLite", engine, args.n, args.rate)
        if args.pg_url and await postgres_reachable(args.pg_url):
            async with postgres_engine(args.pg_url) as engine:
                await run("PostgreSQL", engine, args.n, args.rate)

    asyncio.run(go())


if __name__ == "__main__":
    main()

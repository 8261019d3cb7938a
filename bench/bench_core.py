"""Time one message through the core on SQLite and on PostgreSQL; prints median and p95.

Usage::

    python bench/bench_core.py [--n 200] [--pg-url URL] [--no-pg]

Each database starts empty (a fresh SQLite file in a temporary directory; a fresh PostgreSQL
schema that is dropped afterwards, when the server answers), is migrated with Alembic and gets
the Bỉm Sơn demo from ``bot/demo/`` (units, campaign, records, console accounts). Then
:func:`send_messages` pushes ``--n`` messages through
``handlers.kernel.dispatcher.Core.handle`` and the per-message latencies are summarised.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchdb import DEFAULT_PG_URL, postgres_engine, postgres_reachable, sqlite_engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import app as bot_app
from handlers.kernel.context import CoreDeps
from handlers.kernel.messages import ChatKey, Incoming
from handlers.kernel.texts import Texts
from handlers.routes import make_core
from storage import migrate
from storage.db import make_session_factory
from storage.files import LocalFileStore

__all__ = ["main"]

#: 12/11/2019 09:00 in Bỉm Sơn (UTC+7): the demo's "three days before the plans are due".
BENCH_NOW = dt.datetime(2019, 11, 12, 2, 0, tzinfo=dt.UTC)


@dataclass
class BenchDb:
    """One benchmark database: its label, engine and session factory."""

    label: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    setup_seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Database setup (done)
# ---------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def sqlite_db() -> AsyncIterator[BenchDb]:
    """A migrated SQLite file in a temporary directory, removed afterwards."""
    async with sqlite_engine(migrated=False) as engine:
        yield await _prepare("sqlite", engine)


@contextlib.asynccontextmanager
async def postgres_db(url: str) -> AsyncIterator[BenchDb]:
    """A migrated, throw-away schema on the PostgreSQL server at ``url``."""
    async with postgres_engine(url, migrated=False) as engine:
        yield await _prepare("postgresql", engine)


async def _prepare(label: str, engine: AsyncEngine) -> BenchDb:
    db = BenchDb(label, engine, make_session_factory(engine))
    start = time.perf_counter()
    await migrate.upgrade(engine)
    db.setup_seconds["migrate"] = time.perf_counter() - start
    start = time.perf_counter()
    await load_demo(db.session_factory)
    db.setup_seconds["load demo"] = time.perf_counter() - start
    return db


async def load_demo(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Load the Bỉm Sơn demo from ``bot/demo/``: units, campaign, records, accounts.

    ``bot.app.load_demo`` runs ``handlers.services.units.import_units`` on ``units.csv`` and
    ``handlers.services.campaigns.load_campaign`` on ``bimson-2019.yaml``, then links the console
    accounts ``noivu`` (secretariat) and ``badinh`` (unit head) that :func:`send_messages` uses.
    """
    async with session_factory.begin() as session:
        await bot_app.load_demo(session, BENCH_NOW)


# ---------------------------------------------------------------------------------------------
# The per-message loop
# ---------------------------------------------------------------------------------------------

#: One round: a unit head's whole nomination dialogue, then the secretariat's two questions.
ROUND: tuple[tuple[str, str], ...] = (
    ("badinh", "/decu"),
    ("badinh", "1"),
    ("badinh", "Nguyễn Thị Hoa"),
    ("badinh", "2"),
    ("badinh", "1985"),
    ("badinh", "Chủ tịch Hội LHPN phường Ba Đình"),
    ("badinh", "Lao động tiên tiến"),
    ("badinh", "Hoàn thành xuất sắc nhiệm vụ năm năm liền, vận động 200 hội viên mới."),
    ("badinh", "1"),
    ("badinh", "1"),
    ("noivu", "/tinhhinh"),
    ("noivu", "/chuanop"),
)


async def send_messages(db: BenchDb, n: int) -> dict[str, list[float]]:
    """Send ``n`` messages through the core on ``db``; return seconds per message, by kind.

    The messages repeat :data:`ROUND`, so every kind of step (a command, a typed choice, a
    validated answer, a confirmation that writes, the secretariat's aggregate status) is timed.
    """
    with tempfile.TemporaryDirectory() as tmp:
        core = make_core(
            CoreDeps(
                session_factory=db.session_factory,
                files=LocalFileStore(Path(tmp)),
                texts=Texts(),
                clock=lambda: BENCH_NOW,
            )
        )
        timings: dict[str, list[float]] = {"all": [], "wizard step": [], "status": []}
        for i in range(n):
            user, text = ROUND[i % len(ROUND)]
            msg = Incoming(key=ChatKey("console", user), user_id=user, text=text)
            start = time.perf_counter()
            replies = await core.handle(msg)
            elapsed = time.perf_counter() - start
            assert replies, f"no reply to {text!r}"
            timings["all"].append(elapsed)
            timings["status" if user == "noivu" else "wizard step"].append(elapsed)
        return timings


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def _summary(label: str, timings: Sequence[float]) -> str:
    ms = sorted(t * 1000 for t in timings)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return (
        f"{label:<24} n={len(ms):<5} median={statistics.median(ms):8.2f} ms  "
        f"p95={p95:8.2f} ms  max={ms[-1]:8.2f} ms"
    )


async def _bench(db: BenchDb, n: int) -> None:
    setup = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in db.setup_seconds.items())
    print(f"[{db.label}] setup: {setup}")
    for kind, timings in (await send_messages(db, n)).items():
        if timings:
            print(_summary(f"{db.label} {kind}", timings))


async def run(n: int, pg_url: str | None) -> None:
    """Benchmark SQLite, then PostgreSQL when ``pg_url`` is given and reachable."""
    async with sqlite_db() as db:
        await _bench(db, n)
    if pg_url and await postgres_reachable(pg_url):
        async with postgres_db(pg_url) as db:
            await _bench(db, n)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200, help="messages per database (200)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (asyncpg)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    asyncio.run(run(args.n, None if args.no_pg else args.pg_url))


if __name__ == "__main__":
    main()

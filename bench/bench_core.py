"""Time one message through the core on SQLite and on PostgreSQL; prints median and p95.

Usage::

    python bench/bench_core.py [--n 200] [--pg-url URL] [--no-pg] [--users 60] [--rounds 3]
        [--floor-n 500]

Each database starts empty (a fresh SQLite file in a temporary directory; a fresh PostgreSQL
schema that is dropped afterwards, when the server answers), is migrated with Alembic and gets
the Bỉm Sơn demo from ``bot/demo/`` (units, campaign, records, console accounts). Then
:func:`send_messages` pushes ``--n`` messages through
``handlers.kernel.dispatcher.Core.handle`` and the per-message latencies are summarised.

Then where a message's CPU goes (the budget behind ``bench_messages.py``'s ratio to the echo
bot): :data:`MESSAGE_SCRIPT` (the script ``bench_messages.py`` sends) from ``--users`` unit
heads through the core alone, the process's CPU time (every thread: SQLite's driver thread
included, not PostgreSQL's server) and the statements per message of each step; and the floor
under it, the CPU of an empty transaction through the async session and of one, three and
seven small statements in one.
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
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import app as bot_app
from handlers.kernel.context import CoreDeps
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Incoming
from handlers.kernel.texts import Texts
from handlers.routes import make_core
from handlers.services.invites import ensure_account
from storage import migrate
from storage.db import make_session_factory
from storage.files import LocalFileStore
from storage.models import Role, Unit

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


def _core(db: BenchDb, files: Path) -> Core:
    """The conversation core on ``db`` at :data:`BENCH_NOW`, its files under ``files``."""
    return make_core(
        CoreDeps(
            session_factory=db.session_factory,
            files=LocalFileStore(files),
            texts=Texts(),
            clock=lambda: BENCH_NOW,
        )
    )


async def send_messages(db: BenchDb, n: int) -> dict[str, list[float]]:
    """Send ``n`` messages through the core on ``db``; return seconds per message, by kind.

    The messages repeat :data:`ROUND`, so every kind of step (a command, a typed choice, a
    validated answer, a confirmation that writes, the secretariat's aggregate status) is timed.
    """
    with tempfile.TemporaryDirectory() as tmp:
        core = _core(db, Path(tmp))
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


#: Each user's messages in ``bench_messages.py``, one step after the other: their unit's status,
#: two steps of the submission wizard, cancel.
MESSAGE_SCRIPT = ("/tinhhinh", "/nop", "Kế hoạch tổ chức", "/huy")


async def script_costs(db: BenchDb, users: int, rounds: int) -> dict[str, tuple[float, float]]:
    """CPU ms and statements per message of each :data:`MESSAGE_SCRIPT` step, core alone.

    ``users`` unit heads (Telegram accounts, units round-robin) send the script; a first round
    warms the caches and is not counted. The figures are medians over ``rounds``.
    """
    async with db.session_factory.begin() as s:
        codes = list((await s.scalars(select(Unit.code).order_by(Unit.code))).all())
        for n in range(users):
            await ensure_account(
                s,
                channel="telegram",
                external_id=str(900_000 + n),
                full_name=f"Lãnh đạo {n}",
                role=Role.UNIT_HEAD,
                unit_code=codes[n % len(codes)],
                now=BENCH_NOW,
            )
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    cpu: dict[str, list[float]] = {step: [] for step in MESSAGE_SCRIPT}
    trips: dict[str, list[float]] = {step: [] for step in MESSAGE_SCRIPT}
    update_id = 0
    sync_engine = db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            core = _core(db, Path(tmp))
            core.load_flows()
            for round_ in range(rounds + 1):
                for step in MESSAGE_SCRIPT:
                    before, start = statements, time.process_time()
                    for n in range(users):
                        update_id += 1
                        chat = str(900_000 + n)
                        msg = Incoming(
                            key=ChatKey("telegram", chat),
                            user_id=chat,
                            text=step,
                            update_id=str(update_id),
                        )
                        assert await core.handle(msg), f"no reply to {step!r}"
                    if round_:
                        cpu[step].append((time.process_time() - start) * 1000 / users)
                        trips[step].append((statements - before) / users)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    return {
        step: (statistics.median(cpu[step]), statistics.median(trips[step]))
        for step in MESSAGE_SCRIPT
    }


async def statement_floor(db: BenchDb, n: int) -> dict[str, float]:
    """CPU ms of a transaction through the async session with 0, 1, 3 and 7 small statements."""
    query = text("SELECT code FROM units WHERE id = :id")
    floor: dict[str, float] = {}
    for statements in (0, 1, 3, 7):
        async with db.session_factory.begin() as s:  # warm: the pool, the compiled statement
            for _ in range(statements):
                (await s.execute(query, {"id": 1})).all()
        start = time.process_time()
        for _ in range(n):
            async with db.session_factory.begin() as s:
                for _ in range(statements):
                    (await s.execute(query, {"id": 1})).all()
        floor[f"a transaction, {statements} statements"] = (time.process_time() - start) * 1000 / n
    return floor


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


async def _bench(db: BenchDb, args: argparse.Namespace) -> None:
    setup = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in db.setup_seconds.items())
    print(f"[{db.label}] setup: {setup}")
    for kind, timings in (await send_messages(db, args.n)).items():
        if timings:
            print(_summary(f"{db.label} {kind}", timings))
    print(
        f"[{db.label}] bench_messages.py's script through the core alone, {args.users} unit "
        f"heads, median of {args.rounds} rounds (CPU of the process a message)"
    )
    costs = await script_costs(db, args.users, args.rounds)
    for step, (cpu, trips) in costs.items():
        print(f"  {step:<24} {cpu:6.2f} ms  {trips:5.1f} statements")
    mean = statistics.mean(cpu for cpu, _ in costs.values())
    print(f"  {'the script, a message':<24} {mean:6.2f} ms")
    print(f"[{db.label}] the floor: CPU of a transaction through the async session")
    for label, cpu in (await statement_floor(db, args.floor_n)).items():
        print(f"  {label:<32} {cpu:6.3f} ms")


async def run(args: argparse.Namespace) -> None:
    """Benchmark SQLite, then PostgreSQL when it is wanted and reachable."""
    async with sqlite_db() as db:
        await _bench(db, args)
    if not args.no_pg and await postgres_reachable(args.pg_url):
        async with postgres_db(args.pg_url) as db:
            await _bench(db, args)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200, help="messages per database (200)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (asyncpg)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--users", type=int, default=60, help="unit heads sending the script (60)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the script (3)")
    parser.add_argument("--floor-n", type=int, default=500, help="transactions per floor figure")
    args = parser.parse_args(argv)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

"""Per-message cost of the real ``tdkt run`` against a bare PTB echo bot; start-up; CLI times.

Usage::

    python bench/bench_messages.py [--users 200] [--rounds 2] [--pg-url URL] [--no-pg]
        [--cli-runs 5] [--code CHECKOUT] [--baseline CHECKOUT] [--py-spy FILE]

Both bots run as child processes long polling the fake Bot API of the tests
(``tests/fakes/telegram``), which runs in this process on 127.0.0.1:

* **A** — ``tdkt run`` (Telegram mode) on the Bỉm Sơn demo with ``--users`` unit heads linked
  on Telegram. Each user sends, one step after the other (all users at once within a step):
  ``/tinhhinh`` (their unit's status), ``/nop`` and a typed choice (two steps of the submission
  wizard), ``/huy``.
* **B** — ``bench/echo_bot.py``: an ``Application`` with one ``MessageHandler`` that echoes,
  sent the same texts.

Measured for each, alternating A and B in every round: the CPU time of the bot's process
(``/proc/<pid>/stat``, user + system) per message, the throughput (messages a second, from the
first message of a step to a reply to every one), the start-up (spawn to the first reply seen by
the fake, a message queued before the spawn) and the idle RSS (a second after that reply). The
ratio A / B is printed for each, and the CPU time the bot's process spent until its first
reply. Then the wall and CPU time of ``tdkt --help``, ``tdkt status``, ``tdkt invite create`` and
``tdkt units list`` against ``python -c pass``, alternating.

``tdkt run`` gets rate limits high enough not to pace the replies (the echo bot has none) and no
reminder grace, so that no catch-up reminder lands in the middle of the measure. ``--py-spy
FILE`` samples the tdkt child with py-spy while the messages go (``pip install py-spy`` into the
venv; not a project dependency) and writes collapsed stacks to ``FILE`` (CPU only: waiting is
not sampled), then prints the functions most often on the stack. ``--code CHECKOUT`` runs the
``tdkt`` of another checkout (e.g. the main branch, to compare before and after);
``--baseline CHECKOUT`` runs that checkout's ``tdkt`` too, in the same rounds and CLI loops
(alternating), and prints the ratios of ours to it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_core import MESSAGE_SCRIPT
from benchdb import DEFAULT_PG_URL, postgres_reachable
from results import Figure, record
from sqlalchemy import select, text
from sqlalchemy.pool import NullPool

from handlers.services.invites import ensure_account
from storage.db import make_engine, make_session_factory
from storage.models import Role, Unit
from tests.fakes.telegram import FakeBotAPI

__all__ = ["main"]

NOW = "2019-11-12T09:00"
FIRST_CHAT = 900_000
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
#: Each user's messages, one step after the other (``bench_core.py`` sends them to the core alone).
SCRIPT = MESSAGE_SCRIPT
_TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Figures:
    """What one bot's runs measured."""

    cpu_ms: list[float] = field(default_factory=list)  # CPU per message, one per run
    rate: list[float] = field(default_factory=list)  # messages a second, one per run
    startup: list[float] = field(default_factory=list)  # seconds to the first answer
    startup_cpu: list[float] = field(default_factory=list)  # CPU seconds until then
    rss: list[float] = field(default_factory=list)  # MB, idle after the first answer
    api_calls: list[float] = field(default_factory=list)  # Bot API calls per message, one per run


class Bench:
    """The fake server, the data directory and the environment both bots run in."""

    def __init__(
        self,
        api: FakeBotAPI,
        tmp: Path,
        db_url: str | None,
        users: int,
        code: Path = ROOT,
        baseline: Path | None = None,
    ) -> None:
        self.api = api
        self.tmp = tmp
        self.users = users
        self.baseline = baseline
        self.chats = [FIRST_CHAT + i for i in range(users)]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TDKT_")}
        self.env.update(
            PYTHONPATH=str(code),
            TDKT_DATA_DIR=str(tmp / "data"),
            TDKT_TELEGRAM_TOKEN=FakeBotAPI.TOKEN,
            TDKT_TELEGRAM_API_URL=api.url,
            TDKT_TELEGRAM_POLL_TIMEOUT="1",
            TDKT_TELEGRAM_RATE_OVERALL="100000",
            TDKT_TELEGRAM_RATE_CHAT="1000",
            TDKT_REMINDER_GRACE_HOURS="0.001",  # 3.6 s: no catch-up at 09:00
            TDKT_WEB_PORT=str(_free_port()),
            ECHO_TOKEN=FakeBotAPI.TOKEN,
            ECHO_API_URL=api.url,
        )
        if db_url is not None:
            self.env["TDKT_DATABASE_URL"] = db_url
        self.db_url = db_url or f"sqlite+aiosqlite:///{tmp / 'data' / 'tdkt.db'}"

    def tdkt(self, *args: str, code: Path | None = None) -> list[str]:
        """The command line of ``tdkt ARGS`` (of the checkout ``code``: ``env`` sets its path)."""
        command = [sys.executable, "-m", "bot.cli", *args]
        return command if code is None else ["env", f"PYTHONPATH={code}", *command]

    async def prepare(self) -> None:
        """``tdkt init --demo``, then link the users as unit heads (round-robin over units)."""
        proc = await asyncio.create_subprocess_exec(
            *self.tdkt("init", "--demo", "--now", NOW),
            env=self.env,
            cwd=self.tmp,
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await proc.wait() == 0, "tdkt init failed"
        engine = make_engine(self.db_url, poolclass=NullPool)
        try:
            async with make_session_factory(engine).begin() as s:
                codes = list((await s.scalars(select(Unit.code).order_by(Unit.code))).all())
                for n, chat in enumerate(self.chats):
                    await ensure_account(
                        s,
                        channel="telegram",
                        external_id=str(chat),
                        full_name=f"Lãnh đạo {n}",
                        role=Role.UNIT_HEAD,
                        unit_code=codes[n % len(codes)],
                        now=dt.datetime(2019, 11, 12, 1, 0, tzinfo=dt.UTC),
                    )
        finally:
            await engine.dispose()

    def _sends(self) -> int:
        return sum(1 for c in self.api.calls if c.method == "sendMessage" and c.ok)

    async def _replied(self, since: int, chats: Sequence[int], limit: float = 300) -> None:
        """Wait until every chat got a message sent after call index ``since``."""
        waiting = set(chats)
        seen = since
        deadline = time.monotonic() + limit
        while waiting:
            calls = self.api.calls
            for call in calls[seen:]:
                if call.method == "sendMessage" and call.ok:
                    waiting.discard(int(call.chat_id or 0))
            seen = len(calls)
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no reply in {len(waiting)} chats:\n" + self.api.describe_calls()
                )
            await asyncio.sleep(0.01)

    async def _quiet(self, pause: float = 0.5) -> None:
        """Wait until no message was sent for ``pause`` seconds."""
        count = self._sends()
        while True:
            await asyncio.sleep(pause)
            now = self._sends()
            if now == count:
                return
            count = now

    @contextlib.asynccontextmanager
    async def running(
        self, command: list[str], figures: Figures
    ) -> AsyncIterator[asyncio.subprocess.Process]:
        """Start a bot with a message queued; record start-up and idle RSS; stop it after."""
        first = self.chats[0]
        since = len(self.api.calls)
        self.api.inject_message(first, first, "/trogiup")
        start = time.monotonic()
        log = (self.tmp / "bot.err").open("ab")
        with log:
            proc = await asyncio.create_subprocess_exec(
                *command,
                env=self.env,
                cwd=self.tmp,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
                stdin=asyncio.subprocess.DEVNULL,
            )
        try:
            await self._replied(since, [first], limit=120)
            figures.startup.append(time.monotonic() - start)
            figures.startup_cpu.append(_cpu_seconds(proc.pid))
            await self._quiet(1.0)
            figures.rss.append(_rss_mb(proc.pid))
            yield proc
        except AssertionError:
            print((self.tmp / "bot.err").read_text(errors="replace")[-5000:], file=sys.stderr)
            raise
        finally:
            if proc.returncode is None:
                proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 60)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    async def messages(self, proc: asyncio.subprocess.Process, figures: Figures) -> None:
        """Every user sends :data:`SCRIPT`, step by step; record CPU per message and rate."""
        cpu = _cpu_seconds(proc.pid)
        calls = len(self.api.calls)
        busy = 0.0
        for step in SCRIPT:
            since = len(self.api.calls)
            start = time.monotonic()
            for chat in self.chats:
                self.api.inject_message(chat, chat, step)
            await self._replied(since, self.chats)
            busy += time.monotonic() - start
        await self._quiet()
        sent = len(SCRIPT) * len(self.chats)
        figures.cpu_ms.append((_cpu_seconds(proc.pid) - cpu) * 1000 / sent)
        figures.rate.append(sent / busy)
        outgoing = [c for c in self.api.calls[calls:] if c.method != "getUpdates"]
        figures.api_calls.append(len(outgoing) / sent)


async def _bot_runs(bench: Bench, rounds: int, profile: Path | None) -> dict[str, Figures]:
    commands = {
        "tdkt": bench.tdkt("run", "--now", NOW),
        "echo": [sys.executable, str(BENCH_DIR / "echo_bot.py")],
    }
    if bench.baseline is not None:
        commands["before"] = bench.tdkt("run", "--now", NOW, code=bench.baseline)
    figures = {name: Figures() for name in commands}
    names = list(commands)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            async with bench.running(commands[name], figures[name]) as proc:
                spy = _py_spy(proc.pid, profile) if name == "tdkt" and profile else None
                await bench.messages(proc, figures[name])
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(60)
    return figures


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` (py-spy from the venv) into collapsed stacks at ``out``."""
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200"]
    command += ["--gil", "--nonblocking"]  # the thread holding the GIL: CPU, not waiting
    proc = subprocess.Popen([*command, "--output", str(out)], stdout=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the first message
    return proc


def _hot_functions(stacks: Path, top: int = 40) -> None:
    """Print the functions on the most samples (inclusive) from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    print(f"py-spy: {total} samples; functions on the most of them (inclusive)")
    for frame, count in inclusive.most_common(top):
        print(f"  {100 * count / max(total, 1):5.1f}%  {frame[:150]}")


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _print_figures(label: str, figures: dict[str, Figures], users: int) -> None:
    a, b, before = figures["tdkt"], figures["echo"], figures.get("before")
    rows = (
        ("CPU per message (ms)", lambda f: f.cpu_ms),
        ("throughput (messages/s)", lambda f: f.rate),
        ("start-up to first answer (s)", lambda f: f.startup),
        ("start-up CPU (s)", lambda f: f.startup_cpu),
        ("idle RSS (MB)", lambda f: f.rss),
        ("Bot API calls per message", lambda f: f.api_calls),
    )
    print(f"[{label}] tdkt run vs PTB echo bot, {len(a.cpu_ms)} runs each (medians)")
    for name, of in rows:
        ours, base = _median(of(a)), _median(of(b))
        line = f"  {name:<30} tdkt {ours:9.2f}   echo {base:9.2f}   ratio {ours / base:5.2f}x"
        if before is not None:
            old = _median(of(before))
            line += f"   before {old:9.2f}   tdkt/before {ours / old:5.2f}x"
        print(line)
    size = f"{users} users"
    record(
        Figure(
            "messages.cpu",
            label,
            size,
            _median(a.cpu_ms),
            "ms",
            ratio=_median(a.cpu_ms) / _median(b.cpu_ms),
        )
    )
    record(
        Figure(
            "messages.startup",
            label,
            size,
            _median(a.startup),
            "s",
            cpu=_median(a.startup_cpu),
            ratio=_median(a.startup) / _median(b.startup),
        )
    )
    record(
        Figure(
            "messages.rss",
            label,
            size,
            _median(a.rss),
            "MB",
            ratio=_median(a.rss) / _median(b.rss),
        )
    )


def _cli_times(bench: Bench, runs: int) -> None:
    """Wall and CPU time of a few ``tdkt`` commands against ``python -c pass``, alternating.

    The CPU time is the child's (user + system, from ``getrusage``): on a loaded machine the
    wall time is mostly waiting for a core.
    """
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    for args in (
        ("--help",),
        ("status",),
        ("invite", "create", "--role", "secretariat"),
        ("units", "list"),
    ):
        name = "tdkt " + " ".join(args[:2])
        commands[name] = bench.tdkt(*args)
        if bench.baseline is not None:
            commands[f"{name} (before)"] = bench.tdkt(*args, code=bench.baseline)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, env=bench.env, cwd=bench.tmp, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    base, base_cpu = _median(times["python -c pass"]), _median(cpu["python -c pass"])
    print(f"CLI wall and CPU time, median of {runs} (alternating), ratio to python -c pass")
    for name, values in times.items():
        median, median_cpu = _median(values), _median(cpu[name])
        print(
            f"  {name:<22} {median * 1000:7.0f} ms   ratio {median / base:5.1f}x   "
            f"CPU {median_cpu * 1000:6.0f} ms   ratio {median_cpu / max(base_cpu, 1e-3):5.1f}x"
        )
        if name.startswith("tdkt ") and not name.endswith("(before)"):
            key = "cli." + name.removeprefix("tdkt ")
            record(Figure(key, "", "", median, "s", cpu=median_cpu, ratio=median / base))


@contextlib.asynccontextmanager
async def _postgres_database(url: str) -> AsyncIterator[str]:
    """A fresh database on the server at ``url`` (its URL), dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _one_database(
    label: str, db_url: str | None, args: argparse.Namespace, cli: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="tdkt-bench-") as tmp:
        async with FakeBotAPI() as api:
            bench = Bench(api, Path(tmp), db_url, args.users, args.code, args.baseline)
            await bench.prepare()
            figures = await _bot_runs(bench, args.rounds, args.profile)
            _print_figures(label, figures, args.users)
            if cli and args.cli_runs:
                await asyncio.to_thread(_cli_times, bench, args.cli_runs)


async def run(args: argparse.Namespace) -> None:
    """SQLite, then PostgreSQL when reachable."""
    await _one_database("sqlite", None, args, cli=True)
    if args.pg_url and await postgres_reachable(args.pg_url):
        async with _postgres_database(args.pg_url) as url:
            await _one_database("postgresql", url, args, cli=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200, help="unit heads messaging (200)")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds (2)")
    parser.add_argument("--cli-runs", type=int, default=5, help="runs of each CLI command (5)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (asyncpg)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument(
        "--code", type=Path, default=ROOT, help="checkout whose tdkt runs (another branch)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout whose tdkt runs too, alternating (before/after in one run)",
    )
    parser.add_argument("--py-spy", dest="profile", type=Path, help="sample tdkt into FILE")
    args = parser.parse_args(argv)
    if args.no_pg:
        args.pg_url = None
    asyncio.run(run(args))
    if args.profile is not None and args.profile.exists():
        _hot_functions(args.profile)


if __name__ == "__main__":
    main()

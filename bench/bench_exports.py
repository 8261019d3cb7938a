"""Time the exports on big synthetic data: wall time and peak memory, with the 10× ratio.

Usage::

    python bench/bench_exports.py [--units 10000] [--nominations 500000] [--requirements 20]
                                  [--runs 1] [--cases progress-xlsx,nominations-xlsx,report-docx]
                                  [--startup-runs 5] [--db-dir DIR] [--code CHECKOUT]

Two SQLite databases are seeded like ``bench_status.py`` does (one campaign: units,
requirements, submissions, nominations in every status): the full size and one tenth of it.
Each export is then built by :func:`handlers.services.exports.build_export` from a read-only
engine -- what the export worker does -- in a fresh child process, so that its peak RSS is its
own; runs alternate between the two sizes. Printed per case and size: the median wall time
(seconds), the peak RSS of the child and the part of it the export added over the child's
imports (MB), the file size; then the ratio big / small. The CPU seconds (every thread of the
child) are printed beside the wall time: on the shared machine the wall time mostly measures
the other jobs (at a load average of 12 on 2 cores a child gets a sixth of a core).

``--db-dir DIR`` keeps the seeded databases there and reuses them on the next run (seeding
10 000 units takes minutes). ``--code CHECKOUT`` also builds every export with another checkout's
code (say the commit before a change, extracted with ``git archive``), alternating with this
one on the same databases, and prints the ratio of the CPU seconds (this / other).

Then the start-up imports: wall time and RSS of ``import bot.cli`` against ``import
telegram.ext`` (a bare python-telegram-bot echo bot), alternating.

The old paths (a normal openpyxl workbook, every cell its own style objects; then openpyxl's
write-only mode) are gone, so they are not measured here; the issue's table and the README
have their figures (44 s / 494 MB, 431 s / 3.3 GB, 34 s / 1.3 GB at 10 000 units; then
36 s, 294 s / 164 MB and 64 s).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_status import Size, seed
from results import Figure, record
from sqlalchemy.pool import NullPool

from handlers.kernel.texts import Texts
from handlers.queries.export_data import ExportFormat, ExportKind, Scope, campaign_for
from handlers.services.exports import build_export
from storage import migrate
from storage.db import make_engine, make_session_factory

CASES = {
    "progress-xlsx": ("progress", "xlsx"),
    "nominations-xlsx": ("nominations_all", "xlsx"),
    "report-docx": ("report", "docx"),
}
_ROOT = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    """Peak RSS of this process so far (MB).

    ``VmHWM`` of this process's own memory: ``ru_maxrss`` keeps, across ``exec``, the peak of
    the parent it was forked from (the bench after seeding), which hid the export's own peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process so far (every thread, user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _child(url: str, kind_name: str, fmt_name: str) -> dict[str, Any]:
    """Build one export from a read-only engine; what it cost."""
    import docx  # noqa: F401 - the libraries count in the base, not in the export
    import xlsxwriter  # noqa: F401

    texts = Texts()
    engine = make_engine(url, read_only=True, poolclass=NullPool)
    base = _rss_mb()
    start, cpu = time.perf_counter(), _cpu_s()
    async with make_session_factory(engine)() as session:
        campaign = await campaign_for(session, "BENCH")
        assert campaign is not None
        scope = Scope(campaign, None, dt.datetime.now(dt.UTC))
        file = await build_export(
            session, texts, ExportKind(kind_name), ExportFormat(fmt_name), scope
        )
    wall, cpu = time.perf_counter() - start, _cpu_s() - cpu
    await engine.dispose()
    return {"wall": wall, "cpu": cpu, "peak": _rss_mb(), "base": base, "bytes": len(file.data)}


def _run_child(url: str, case: str, code: Path = _ROOT) -> dict[str, Any]:
    """One export in a child process running the code of checkout ``code``."""
    kind, fmt = CASES[case]
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{_ROOT / 'bench'}"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, kind, fmt],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=code,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _seed(path: Path, units: int, requirements: int, nominations: int) -> float:
    start = time.perf_counter()
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(engine)
        await seed(engine, Size(path.stem, units, requirements, nominations))
    finally:
        await engine.dispose()
    return time.perf_counter() - start


_IMPORT = (
    "import resource, time; start = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - start, "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)


def startup(runs: int) -> None:
    """Import time and RSS of the bot's entry point against python-telegram-bot alone.

    ``telegram.ext`` is what a bare python-telegram-bot echo bot imports; ``bot.cli`` is
    everything ``tdkt run`` loads before it answers (drawing and document libraries load later,
    when a file is drawn). Alternating, ``runs`` times each; medians.
    """
    results: dict[str, list[tuple[float, float]]] = {"telegram.ext": [], "bot.cli": []}
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    for _ in range(runs):
        for module, found in results.items():
            out = subprocess.run(
                [sys.executable, "-c", _IMPORT.format(module=module)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                cwd=_ROOT,
            )
            wall, rss = out.stdout.split()
            found.append((float(wall), float(rss)))
    print()
    print(f"{'start-up import':<18} {'wall s':>8} {'RSS MB':>8}")
    medians = {}
    for module, found in results.items():
        wall = statistics.median(w for w, _ in found)
        rss = statistics.median(r for _, r in found)
        medians[module] = (wall, rss)
        print(f"{module:<18} {wall:8.2f} {rss:8.0f}")
    (echo_wall, echo_rss), (bot_wall, bot_rss) = medians["telegram.ext"], medians["bot.cli"]
    print(f"bot.cli / echo bot: wall {bot_wall / echo_wall:.1f}×, RSS {bot_rss / echo_rss:.1f}×")


def _databases(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    """The URL of each size's database in ``folder``, seeded unless it is there already."""
    sizes = {
        "1/10": (args.units // 10, args.nominations // 10),
        "full": (args.units, args.nominations),
    }
    urls = {}
    for label, (units, noms) in sizes.items():
        path = folder / f"exports-{units}u-{args.requirements}r-{noms}n.db"
        if path.exists():
            print(f"reused {label}: {path}")
        else:
            took = asyncio.run(_seed(path, units, args.requirements, noms))
            print(
                f"seeded {label}: {units} units × {args.requirements} requirements, "
                f"{noms} nominations in {took:.1f} s"
            )
        urls[label] = f"sqlite+aiosqlite:///{path}"
    return urls


def run(args: argparse.Namespace) -> None:
    """Seed both sizes (or reuse them), build every case in child processes, print the figures."""
    if args.db_dir:
        Path(args.db_dir).mkdir(parents=True, exist_ok=True)
        _measure(args, _databases(args, Path(args.db_dir)))
        return
    with tempfile.TemporaryDirectory(prefix="tdkt-bench-exports-") as tmp:
        _measure(args, _databases(args, Path(tmp)))


def _measure(args: argparse.Namespace, urls: dict[str, str]) -> None:
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    codes = {"": _ROOT}
    if args.code:
        codes["other"] = Path(args.code).resolve()
    print()
    print(f"load average before the exports: {os.getloadavg()[0]:.1f} (2 cores)")
    print(
        f"{'case':<18} {'code':>5} {'size':>5} {'wall s':>8} {'CPU s':>7} {'peak MB':>8} "
        f"{'+MB':>7} {'file MB':>8}"
    )
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for case in cases:
        for _ in range(args.runs):
            for label in urls:  # A, B, A, B…
                for name, code in codes.items():
                    found = _run_child(urls[label], case, code)
                    results.setdefault((case, name, label), []).append(found)
        medians: dict[tuple[str, str], tuple[float, float, float]] = {}
        for name in codes:
            for label in urls:
                runs = results[(case, name, label)]
                wall = statistics.median(r["wall"] for r in runs)
                cpu = statistics.median(r["cpu"] for r in runs)
                peak = max(r["peak"] for r in runs)
                added = max(r["peak"] - r["base"] for r in runs)
                size_mb = runs[0]["bytes"] / 1e6
                medians[(name, label)] = (wall, cpu, added)
                if not name:
                    units = args.units if label == "full" else args.units // 10
                    size = f"{units} units"
                    record(Figure(f"export.{case}", "sqlite", size, wall, "s", cpu=cpu))
                    record(Figure(f"export.{case}.rss", "sqlite", size, peak, "MB"))
                print(
                    f"{case:<18} {name or 'this':>5} {label:>5} {wall:8.2f} {cpu:7.2f} "
                    f"{peak:8.0f} {added:7.0f} {size_mb:8.2f}"
                )
        for name in codes:
            (small_wall, small_cpu, small_mb) = medians[(name, "1/10")]
            (big_wall, big_cpu, big_mb) = medians[(name, "full")]
            # The small export may add nothing measurable over the imports (0 MB).
            memory = f"{big_mb / small_mb:.1f}×" if small_mb >= 1 else "n/a"
            print(
                f"{case:<18} {name or 'this':>5} ratio full / (1/10): "
                f"wall {big_wall / max(small_wall, 1e-9):.1f}×, "
                f"CPU {big_cpu / max(small_cpu, 1e-9):.1f}×, "
                f"added memory {memory}"
            )
        if args.code:
            for label in urls:
                this, other = medians[("", label)][1], medians[("other", label)][1]
                print(
                    f"{case:<18} {label:>5} CPU this / other: {this / max(other, 1e-9):.2f}× "
                    f"({this:.2f} s / {other:.2f} s)"
                )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the benchmark (or one child measurement)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        print(json.dumps(asyncio.run(_child(*argv[1:4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--units", type=int, default=10_000, help="units, full size (10000)")
    parser.add_argument("--requirements", type=int, default=20, help="requirements (20)")
    parser.add_argument(
        "--nominations", type=int, default=500_000, help="nominations, full size (500000)"
    )
    parser.add_argument("--runs", type=int, default=1, help="runs per case and size (1)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    parser.add_argument("--startup-runs", type=int, default=5, help="start-up imports (5)")
    parser.add_argument("--db-dir", help="keep the seeded databases here and reuse them")
    parser.add_argument("--code", help="another checkout to compare with (A/B alternating)")
    args = parser.parse_args(argv)
    if args.cases:
        run(args)
    if args.startup_runs:
        startup(args.startup_runs)


if __name__ == "__main__":
    main()

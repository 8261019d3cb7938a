"""Every benchmark of ``make bench`` runs, at a tiny size, and records its figures.

``make bench`` is run by hand, on a quiet machine; a change to the code it drives (a
repository's signature, a service's result) would otherwise break it unseen until then. Each
script runs here as ``make bench`` runs it (a child process, SQLite only), at a size that takes
seconds; the figures are not judged, only that the script ran through, recorded what it
records and that ``bench/report.py`` makes its table from them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: (script and its tiny-size arguments, the figures it records: name prefixes).
BENCHES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "core": (["bench_core.py", "--n", "8", "--no-pg", "--users", "2", "--rounds", "1"], ()),
    "broadcast": (["bench_broadcast.py", "--n", "12", "--rate", "1000"], ("broadcast.",)),
    "status": (
        [
            "bench_status.py",
            "--units",
            "200",
            "--requirements",
            "4",
            "--nominations",
            "400",
            "--runs",
            "1",
            "--no-pg",
        ],
        ("status.unit /tinhhinh", "status.reminders due", "status.gia hạn for all"),
    ),
    "sheets": (["bench_sheets.py", "--sizes", "30"], ()),
    "exports": (
        [
            "bench_exports.py",
            "--units",
            "100",
            "--requirements",
            "4",
            "--nominations",
            "300",
            "--startup-runs",
            "1",
        ],
        ("export.progress-xlsx", "export.report-docx", "export.nominations-xlsx"),
    ),
    "messages": (
        ["bench_messages.py", "--users", "3", "--rounds", "1", "--cli-runs", "1", "--no-pg"],
        ("messages.cpu", "messages.startup", "cli.status"),
    ),
    "plan extract": (["bench_plan_extract.py", "--pages", "2", "--repeat", "1"], ()),
}


@pytest.mark.parametrize("name", list(BENCHES))
def test_the_benchmark_runs_and_records_its_figures(name: str, tmp_path: Path) -> None:
    args, recorded = BENCHES[name]
    figures = tmp_path / "figures.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TDKT_")}
    env.pop("TEST_DATABASE_URL", None)
    env.update(PYTHONPATH=str(ROOT), TDKT_BENCH_RESULTS=str(figures))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / args[0]), *args[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = figures.read_text().splitlines() if figures.exists() else []
    names = [json.loads(line)["key"] for line in lines]
    for prefix in recorded:
        assert any(n.startswith(prefix) for n in names), (prefix, sorted(set(names)))
    if names:
        table = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "report.py"), str(figures)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "| figure | size | SQLite | PostgreSQL | target | met |" in table.stdout

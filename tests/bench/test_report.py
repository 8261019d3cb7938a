"""bench/report.py: the README's table of issue 16's targets from the recorded figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import results  # noqa: E402


def _row(rendered: str, label: str) -> str:
    return next(line for line in rendered.splitlines() if line.startswith(f"| {label} |"))


def test_recorded_figures_make_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "figures.jsonl"
    monkeypatch.setenv(results.RESULTS_ENV, str(path))
    record, figure = results.record, results.Figure
    record(figure("status.unit /tinhhinh", "sqlite", "1000 units", 2.0, "ms", 3.0, 2.0))
    record(figure("status.unit /tinhhinh", "sqlite", "10000 units", 4.0, "ms", 60.0, 4.0, 2.0))
    record(figure("status.unit /tinhhinh", "postgresql", "10000 units", 5.0, "ms", 7.0))
    record(figure("messages.cpu", "sqlite", "200 users", 9.0, "ms", ratio=1.4))
    rendered = report.table(results.read(str(path)))

    # the largest size counts, and a figure over its target on one database fails the row
    assert _row(rendered, "a unit head's /tinhhinh, p95") == (
        "| a unit head's /tinhhinh, p95 | 10000 units | 60 ms | 7 ms | < 50 ms | ✗ |"
    )
    assert _row(rendered, "CPU per message ÷ PTB echo bot").endswith("| 1.4× | — | ≤ 1.5× | ✓ |")
    assert _row(rendered, "`tdkt --help`").endswith("| not measured |")

    readme = f"intro\n{report.START}\nold table\n{report.END}\nrest\n"
    replaced = report.replace_in(readme, rendered, "30/11/2026 23:00")
    assert "old table" not in replaced and rendered in replaced
    assert replaced.startswith("intro\n") and replaced.endswith(f"{report.END}\nrest\n")


def test_nothing_is_recorded_without_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    results.record(results.Figure("cli.status", "", "", 0.5, "s"))
    assert list(tmp_path.iterdir()) == []

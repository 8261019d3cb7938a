"""The table of issue 16's targets from the figures ``make bench`` recorded.

Usage::

    python bench/report.py RESULTS.jsonl [--readme README.md]

Prints a Markdown table: each figure a target is set for, at the largest size measured, on each
database, the target and whether every database met it. With ``--readme`` the table also
replaces the part of that file between ``<!-- bench-table:start -->`` and
``<!-- bench-table:end -->``. A figure no benchmark recorded is listed as "not measured".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from results import Figure, read

START = "<!-- bench-table:start -->"
END = "<!-- bench-table:end -->"


@dataclass(frozen=True)
class Target:
    """A limit on one attribute of a recorded figure (``value``, ``p95``, ``cpu``, ``ratio``)."""

    key: str
    label: str
    attr: str
    limit: float
    unit: str


TARGETS = (
    Target("status.unit /tinhhinh", "a unit head's /tinhhinh, p95", "p95", 50, "ms"),
    Target("status.unit /chuanop", "a unit head's /chuanop, p95", "p95", 50, "ms"),
    Target("status.figures", "secretariat's figures, p95", "p95", 100, "ms"),
    Target("status.figures", "— growth per 10× data", "ratio", 2, "×"),
    Target("status.overview", "secretariat's overview, p95", "p95", 150, "ms"),
    Target("status.overview", "— growth per 10× data", "ratio", 2, "×"),
    Target("status./chuanop", "secretariat's /chuanop, p95", "p95", 150, "ms"),
    Target("status./chuanop", "— growth per 10× data", "ratio", 2, "×"),
    Target("status.reminders due", "reminder planning pass, median", "value", 500, "ms"),
    Target("status.reminders due", "— growth per 10× data", "ratio", 2, "×"),
    Target("status.reminders, a page", "— a page of reminders (1 000 units)", "value", 500, "ms"),
    Target("status.reminders, a page", "— growth per 10× data", "ratio", 2, "×"),
    Target(
        "status.reminders, every page", "— every page of that moment, median", "value", 500, "ms"
    ),
    Target("status.the digest", "— the digest, composed when sent, median", "value", 500, "ms"),
    Target("status.reminders, none due", "reminder pass with nothing due", "value", 500, "ms"),
    Target("export.progress-xlsx", "progress xlsx, wall", "value", 5, "s"),
    Target("export.report-docx", "report docx, wall", "value", 5, "s"),
    Target("export.report-docx.rss", "report docx, peak RSS", "value", 200, "MB"),
    Target("export.nominations-xlsx", "nominations list xlsx, wall", "value", 60, "s"),
    Target("export.nominations-xlsx.rss", "nominations list xlsx, peak RSS", "value", 300, "MB"),
    Target("messages.cpu", "CPU per message ÷ PTB echo bot", "ratio", 1.5, "×"),
    Target("messages.startup", "start-up to first answer", "value", 0.8, "s"),
    Target("messages.rss", "idle RSS", "value", 100, "MB"),
    Target("cli.--help", "`tdkt --help`", "value", 1, "s"),
    Target("cli.status", "`tdkt status`", "value", 1, "s"),
    Target("cli.invite create", "`tdkt invite create`", "value", 1, "s"),
    Target("broadcast.ratio", "1 000-recipient broadcast ÷ Telegram's floor", "value", 1.1, "×"),
)

_DBS = ("sqlite", "postgresql", "")


def _size(figure: Figure) -> int:
    found = re.match(r"\d+", figure.size.replace(" ", ""))
    return int(found.group(0)) if found else 0


def _biggest(figures: Sequence[Figure], key: str, db: str) -> Figure | None:
    """The last figure of ``key`` on ``db`` at the largest size recorded."""
    found = [f for f in figures if f.key == key and f.db == db]
    if not found:
        return None
    top = max(_size(f) for f in found)
    return [f for f in found if _size(f) == top][-1]


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    text = f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return text.rstrip("0").rstrip(".")


def table(figures: Sequence[Figure]) -> str:
    """The Markdown table of every target against ``figures``."""
    lines = [
        "| figure | size | SQLite | PostgreSQL | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        cells: dict[str, str] = {}
        met: list[bool] = []
        size = ""
        for db in _DBS:
            figure = _biggest(figures, target.key, db)
            value = None if figure is None else getattr(figure, target.attr)
            if figure is None or value is None:
                continue
            size = figure.size
            met.append(value < target.limit if target.unit != "×" else value <= target.limit)
            cells[db or "sqlite"] = f"{_number(value)} {target.unit}".replace(" ×", "×")
        verdict = "not measured" if not met else ("✓" if all(met) else "✗")
        bound = "≤" if target.unit == "×" else "<"
        lines.append(
            f"| {target.label} | {size} | {cells.get('sqlite', '—')} | "
            f"{cells.get('postgresql', '—')} | {bound} {_number(target.limit)}"
            f"{'×' if target.unit == '×' else ' ' + target.unit} | {verdict} |"
        )
    return "\n".join(lines)


def replace_in(readme: str, rendered: str, when: str) -> str:
    """``readme`` with the part between the markers replaced by ``rendered``."""
    start, end = readme.index(START) + len(START), readme.index(END)
    body = f"\n\n`make bench` on {when} (load average {os.getloadavg()[0]:.1f} at the end):\n\n"
    return readme[:start] + body + rendered + "\n\n" + readme[end:]


def main(argv: Sequence[str] | None = None) -> None:
    """Print the table; with ``--readme``, write it into the README too."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("results", help="the JSON lines file make bench recorded")
    parser.add_argument("--readme", help="write the table between the markers of this file")
    args = parser.parse_args(argv)
    rendered = table(read(args.results))
    print(rendered)
    if args.readme:
        with open(args.readme, encoding="utf-8") as source:
            readme = source.read()
        when = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M (UTC+7)")
        with open(args.readme, "w", encoding="utf-8") as out:
            out.write(replace_in(readme, rendered, when))


if __name__ == "__main__":
    main()

"""Figures the benchmarks measured, gathered for the README's table (``bench/report.py``).

Each benchmark calls :func:`record` for the figures issue 16 sets a target for. When the
environment variable ``TDKT_BENCH_RESULTS`` names a file (``make bench`` sets it), the figure is
appended to it as one JSON line; otherwise nothing is written and the benchmark only prints.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

__all__ = ["RESULTS_ENV", "Figure", "read", "record"]

RESULTS_ENV = "TDKT_BENCH_RESULTS"


@dataclass(frozen=True)
class Figure:
    """One measured figure.

    Attributes:
        key: What was measured, stable across runs (``"status.unit /tinhhinh"``).
        db: ``"sqlite"``, ``"postgresql"`` or ``""`` when the database does not matter.
        size: The data size it was measured at (``"10000 units"``), or ``""``.
        value: The figure, in ``unit``.
        unit: ``"ms"``, ``"s"``, ``"MB"``, ``"×"``.
        p95: The 95th percentile, when the figure is a median of several runs.
        cpu: The median CPU time of the measuring process, in ``unit``, when known.
        ratio: The figure over its baseline measured in the same run (the small size, the echo
            bot, ``python -c pass``), when there is one.
    """

    key: str
    db: str
    size: str
    value: float
    unit: str
    p95: float | None = None
    cpu: float | None = None
    ratio: float | None = None


def record(figure: Figure) -> None:
    """Append ``figure`` to the file named by ``TDKT_BENCH_RESULTS``, if any."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(figure), ensure_ascii=False) + "\n")


def read(path: str) -> list[Figure]:
    """The figures in ``path``, in the order they were recorded."""
    with open(path, encoding="utf-8") as source:
        return [Figure(**json.loads(line)) for line in source if line.strip()]

"""The status chart: one horizontal stacked bar per requirement (on time, late, missing).

Drawn with matplotlib's object API (:class:`~matplotlib.figure.Figure` on the non-GUI Agg
canvas), never pyplot's global state, so rendering is safe in a server process. Renders are
serialised by a lock (matplotlib's font and text caches are not thread-safe) and the last few
PNGs are cached by their figures, so asking twice for unchanged figures draws once. Its words
come from ``templates/chart.j2``.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence
from functools import cache, lru_cache

from handlers.io.exports.tables import plain
from handlers.kernel.texts import Texts
from handlers.queries.stats import RequirementStats

__all__ = ["COLORS", "progress_chart"]

#: Segment colours (green, amber, light red), readable in grey scale too.
COLORS = ("#2e7d32", "#f9a825", "#ef9a9a")

_WRAP = 34  # characters per line of a requirement's label
_MAX_LINES = 2
_MIN_PCT_INSIDE = 7.0  # narrower segments get no percentage inside

_LOCK = threading.Lock()

# One bar: its label and its on-time, late and missing counts.
_Row = tuple[str, tuple[int, int, int]]


def _label(number: int, title: str) -> str:
    lines = textwrap.wrap(f"{number}. {title}", _WRAP, max_lines=_MAX_LINES, placeholder=" …")
    return "\n".join(lines)


@cache
def _default_texts() -> Texts:
    """The package's templates, made on first use."""
    return Texts()


def progress_chart(
    stats: Sequence[RequirementStats],
    *,
    title: str | None = None,
    subtitle: str | None = None,
    texts: Texts | None = None,
) -> bytes:
    """Draw the share of units that sent each requirement on time, late, or not yet.

    Args:
        stats: The requirements' figures, drawn top to bottom in this order and numbered as
            in the overview. Requirements that apply to no unit are skipped.
        title: The chart's title (default: ``chart.title``, "Tình hình nộp" and the figures'
            date).
        subtitle: A second title line, e.g. the filter.
        texts: The templates (the office's own); default: the package's.

    Returns:
        PNG bytes (about 1000 px wide).
    """
    texts = texts or _default_texts()
    rows = tuple(
        (_label(i, s.requirement.title), (s.on_time, s.late, s.missing))
        for i, s in enumerate(stats, 1)
        if s.total
    )
    if title is None:
        title = plain(texts, "chart.title", today=stats[0].today if stats else None)
    segments = tuple(line.strip() for line in plain(texts, "chart.segments").splitlines())
    empty = plain(texts, "chart.empty")
    with _LOCK:
        return _render(rows, title, subtitle or "", segments, empty)


@lru_cache(maxsize=32)
def _render(
    rows: tuple[_Row, ...], title: str, subtitle: str, segments: tuple[str, ...], empty: str
) -> bytes:
    # matplotlib costs most of a second to import: only when a chart is drawn, not at start-up.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 1.6 + 0.72 * max(len(rows), 1)
    fig = Figure(figsize=(10, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig.suptitle(title, fontsize=14, fontweight="bold")
    if subtitle:
        ax.set_title(subtitle, fontsize=11, color="#444444")
    labels = [label for label, _ in rows]
    positions = list(range(len(rows)))
    left = [0.0] * len(rows)
    for index, (name, color) in enumerate(zip(segments, COLORS, strict=True)):
        shares = [100.0 * counts[index] / max(sum(counts), 1) for _, counts in rows]
        bars = ax.barh(
            positions, shares, left=left, color=color, label=name, height=0.62, edgecolor="white"
        )
        for bar, share in zip(bars, shares, strict=True):
            if share >= _MIN_PCT_INSIDE:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{share:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if index == 0 else "#222222",
                )
        left = [a + b for a, b in zip(left, shares, strict=True)]
    for position, (_, (on_time, late, missing)) in zip(positions, rows, strict=True):
        ax.text(
            101.5,
            position,
            f"{on_time + late}/{on_time + late + missing}",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(positions, labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    if not rows:
        ax.text(50, 0, empty, ha="center", va="center")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=3, frameon=False)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()

"""The report's list of late units (handlers/io/exports/tables.py: late_list).

Each item is rendered once per day with a stand-in for the unit's name; the list must be the
one every item rendered in full gives, whatever the names hold.
"""

from __future__ import annotations

import datetime as dt

from handlers.domain.progress import Mark
from handlers.io.exports.tables import late_list, plain
from handlers.kernel.texts import Texts
from handlers.queries.export_data import RequirementFigures
from handlers.queries.stats import RequirementStats, UnitRef, UnitStanding
from storage.models import Campaign, Requirement

TZ = "Asia/Ho_Chi_Minh"

NAMES = [
    "Phường Ba Đình",
    "Xã Hà Lan",
    "A & B <b>C</b> \"D\" 'E'",
    " spaced ",
    "two\nlines",
    "bell\x07",
    "TDKTUNITNAME",
    "&amp; already",
    "Đông Sơn",
]


def _figures() -> RequirementFigures:
    campaign = Campaign(code="X", title="Kế hoạch", timezone=TZ)
    requirement = Requirement(title="Báo cáo", due_date=dt.date(2019, 11, 15), parts=[])
    stats = RequirementStats(campaign, requirement, dt.date(2019, 12, 1), total=9, submitted=9)
    late = [
        UnitStanding(
            UnitRef(i + 1, f"U{i}", name, None, "xa"),
            Mark.SUBMITTED,
            # Two units a day, one of them after 17:00 UTC (the next day in Vietnam).
            dt.datetime(2019, 11, 16 + i // 2, 10 + 8 * (i % 2), tzinfo=dt.UTC),
            True,
        )
        for i, name in enumerate(NAMES)
    ]
    return RequirementFigures(stats, tuple(late))


def test_the_late_list_is_every_item_rendered() -> None:
    texts, figures = Texts(), _figures()
    tz = dt.timezone(dt.timedelta(hours=7))
    expected = ", ".join(
        plain(
            texts,
            "exports/labels.late_item",
            unit=m.unit,
            at=m.at.astimezone(tz).date() if m.at else None,
        )
        for m in figures.late
    )
    assert late_list(texts, figures) == expected
    assert "Phường Ba Đình (16/11/2019), Xã Hà Lan (17/11/2019)" in expected

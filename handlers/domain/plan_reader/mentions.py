"""Date mentions in a folded plan text: days, ranges, months, quarters, yearly days.

Each :class:`Mention` keeps where it is written and what it says, with the year left None
when the text leaves it out ("trước ngày 10/8"); :mod:`.items` fills it from the context.

Forms read (folded text, see :mod:`.text`):

- days: ``15/11/2019``, ``15.11.2019``, ``15-11-2019``, ``ngày 15 tháng 11 năm 2019``; without a
  year only after ``ngày``/``trước``/``đến``/``từ`` (``ngày 15/3``, ``trước 10/8``) so that
  section numbers (``1.2.``) and fractions (``1/2 ngày``) are not read as dates;
- ranges: ``27-28/12/2010``, ``9 - 10.12.2020``, ``từ 25 đến 27/11``, ``21/10 – 23/10/2015``,
  ``30/6-1/7``, ``từ ngày 20-8-2025 đến ngày 4-9-2025``;
- months ``tháng 8/2025``, ``tháng 11 năm 2019``; quarters ``quý I/2020``, ``quý 1 năm 2015``;
- yearly days: ``ngày 30 tháng 6 hằng năm``, ``ngày 15/3 năm sau``,
  ``ngày 25 tháng 02 của năm sau liền kề``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.domain.plan_reader.text import BEFORE, DAY, MONTH_WORD, YEAR_WORD
from handlers.domain.vn_dates import quarter_number

__all__ = ["Mention", "find_mentions"]


@dataclass(frozen=True, slots=True)
class Mention:
    """A date written in the text.

    Attributes:
        start: Offset of its first character.
        end: Offset after its last character.
        form: ``"day"``, ``"range"``, ``"month"``, ``"quarter"`` or ``"yearly"``.
        day: ``(year or None, month, day)`` of a day, a yearly day or a range's first day.
        last: ``(year or None, month, day)`` of a range's last day.
        year: The year of a month or a quarter.
        number: The month (1–12) or the quarter (1–4).
    """

    start: int
    end: int
    form: str
    day: tuple[int | None, int, int] | None = None
    last: tuple[int | None, int, int] | None = None
    year: int = 0
    number: int = 0


_D = r"(\d{1,2})"
_Y = r"((?:1[89]|20)\d{2})"
_SEP = r"\s*[/.\-]\s*"
_NUM_DATE = rf"{_D}{_SEP}{_D}(?:{_SEP}{_Y})?"
_WORD_DATE = rf"{_D}\s+{MONTH_WORD}\s+{_D}(?:,?\s+{YEAR_WORD}\s+{_Y})?"
_TO = rf"\s*(?:[-–—]|\bden\b|\bva\s+ket\s+thuc\s+vao\b)\s*(?:(?:het\s+)?{DAY}\s+)?"
_LEAD = rf"(?:(?:{DAY}|{BEFORE}|den|tu|het|la|nhat)\s+)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # 27-28/12/2010, từ 25 đến 27/11, 9 - 10.12.2020
    ("short_range", re.compile(rf"(?<![\d/.\-]){_D}{_TO}{_D}{_SEP}{_D}(?:{_SEP}{_Y})?(?![\d/])")),
    # 21/10 – 23/10/2015, 30/6-1/7, 20-8-2025 đến ngày 4-9-2025,
    # ngày 05 tháng 01 ... ngày 28 tháng 02
    (
        "range",
        re.compile(
            rf"(?<![\d/.\-])(?:{_NUM_DATE}|{_WORD_DATE}){_TO}(?:{_NUM_DATE}|{_WORD_DATE})(?![\d/])"
        ),
    ),
    ("word_day", re.compile(rf"(?<![\d/.\-]){_WORD_DATE}(?![\d/])")),
    ("num_day", re.compile(rf"(?<![\d/.\-]){_D}{_SEP}{_D}{_SEP}{_Y}(?![\d/])")),
    ("bare_day", re.compile(rf"\b{_LEAD}{_D}\s*[/\-]\s*{_D}(?![\d/]|\s*[.\-]\s*\d)")),
    ("dot_day", re.compile(rf"\b{DAY}\s+{_D}\.{_D}(?![\d.]|\s*/)")),
    ("month", re.compile(rf"\b{MONTH_WORD}\s*{_D}\s*(?:/|-|,?\s+{YEAR_WORD})\s*{_Y}(?!\d)")),
    (
        "quarter",
        re.compile(rf"\bquy\s+(iv|iii|ii|i|[1-4])\s*(?:/|-|,?\s+{YEAR_WORD})\s*{_Y}(?!\d)"),
    ),
)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _groups_to_day(groups: tuple[str | None, ...]) -> tuple[int | None, int, int] | None:
    day, month, year = groups
    if day is None or month is None:
        return None
    d, m = int(day), int(month)
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return None
    return (_int(year), m, d)


def _mention(name: str, m: re.Match[str]) -> Mention | None:
    g = m.groups()
    if name == "short_range":
        first, last = _groups_to_day((g[0], g[2], g[3])), _groups_to_day(g[1:4])
        if first is None or last is None or int(g[0]) >= int(g[1]):
            return None
        return Mention(m.start(), m.end(), "range", day=first, last=last)
    if name == "range":
        first = _groups_to_day(g[0:3]) or _groups_to_day(g[3:6])
        last = _groups_to_day(g[6:9]) or _groups_to_day(g[9:12])
        if first is None or last is None:
            return None
        if first[0] is None and last[0] is not None:
            first = (last[0], first[1], first[2])
        if (first[0] or 0, first[1], first[2]) > (last[0] or 0, last[1], last[2]) and (
            first[0] is None or last[0] is None or first[0] <= last[0]
        ):
            first = (first[0] - 1 if first[0] else None, first[1], first[2])
        return Mention(m.start(), m.end(), "range", day=first, last=last)
    if name in ("word_day", "num_day", "bare_day", "dot_day"):
        day = _groups_to_day((g[0], g[1], g[2] if len(g) > 2 else None))
        return Mention(m.start(1), m.end(), "day", day=day) if day else None
    if name == "month":
        month = int(g[0])
        if not 1 <= month <= 12:
            return None
        return Mention(m.start(), m.end(), "month", year=int(g[1]), number=month)
    quarter = quarter_number(g[0])
    return Mention(m.start(), m.end(), "quarter", year=int(g[1]), number=quarter)


_YEARLY = re.compile(rf"\s*,?\s*(?:hang\s+{YEAR_WORD}|(?:cua\s+)?{YEAR_WORD}\s+sau)\b")


def find_mentions(folded: str) -> list[Mention]:
    """Return the date mentions of a folded text, in reading order, none overlapping another.

    A longer form wins over a shorter one written inside it (a range over its two days). A day
    without a year followed by "hằng năm" or "năm sau" is a yearly day.
    """
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            mention = _mention(name, m)
            if mention is None:
                continue
            yearly = _YEARLY.match(folded, mention.end)
            if mention.form == "day" and mention.day and mention.day[0] is None and yearly:
                mention = Mention(mention.start, yearly.end(), "yearly", day=mention.day)
            found.append(mention)
            taken.append((mention.start, mention.end))
    return sorted(found, key=lambda x: x.start)

"""Time limits without a date: a number of days from an anchor, or "after" an anchor.

- ``trong thời hạn 10 ngày làm việc (kể từ ngày đăng tin)``, ``chậm nhất không quá 45 ngày
  kể từ ngày …``, ``ít nhất 07 ngày trước ngày trao thưởng``: a limit counted from an anchor;
- ``gửi … sau khi Kế hoạch được ban hành``: sending tied to an anchor, no number of days.

A number of days with no anchor is a duration ("trong 02 ngày", "40 ngày làm việc"), not a
limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.domain.plan_reader.text import DAY, SEND

__all__ = ["RelativeLimit", "find_relative", "tied_year"]


@dataclass(frozen=True, slots=True)
class RelativeLimit:
    """A limit in words.

    Attributes:
        start: Offset of the phrase.
        end: Offset after the phrase.
        relative: The limit as written, on one line.
    """

    start: int
    end: int
    relative: str


_ANCHOR = r"[^.;:\n]{3,70}?(?=[.;:)\n]|$)"
_COUNTED = re.compile(
    rf"\b(?:trong\s+(?:thoi\s+han|vong)|khong\s+qua|cham\s+nhat(?:\s+la)?(?:\s+khong\s+qua)?|"
    rf"it\s+nhat|toi\s+thieu)\s+(\d{{1,3}})\s+{DAY}(?:\s+lam\s+viec)?\s*\(?\s*,?\s*"
    rf"(?:ke\s+tu|tinh\s+tu|truoc|sau(?:\s+khi)?)\s+{_ANCHOR}"
)
_AFTER = re.compile(rf"\b{SEND}\b[^.;:\n]{{0,80}}?\b(sau\s+khi\s+{_ANCHOR})")

# "gửi và sẽ hiển thị sau khi được duyệt": the thing itself, not a limit on the units.
_SELF = re.compile(r"\bse\b")
# A window of days tied to a year the text does not give: "từ ngày 05 tháng 01 … đến ngày 28
# tháng 02 của năm tổ chức Đại hội".
_YEAR_OF = re.compile(rf"\s*cua\s+nam\s+(?!sau\b){_ANCHOR}")


def tied_year(folded: str, text: str, start: int, end: int) -> RelativeLimit | None:
    """The limit written at ``text[start:end]`` when a year in words follows it, else None."""
    m = _YEAR_OF.match(folded, end)
    if m is None:
        return None
    return RelativeLimit(start, m.end(), " ".join(text[start : m.end()].split()))


def find_relative(folded: str, text: str) -> list[RelativeLimit]:
    """Return the relative limits of a text (``folded`` is its folded copy), in reading order."""
    found: list[RelativeLimit] = []
    for m in _COUNTED.finditer(folded):
        phrase = text[m.start() : m.end()].rstrip(" ,(")
        words = " ".join(phrase.split())
        found.append(RelativeLimit(m.start(), m.start() + len(phrase), words))
    for m in _AFTER.finditer(folded):
        if any(r.start <= m.start() < r.end for r in found) or _SELF.search(m[0]):
            continue
        phrase = text[m.start() : m.end()].rstrip(" ,(")
        words = " ".join(text[m.start(1) : m.end()].split())
        found.append(RelativeLimit(m.start(), m.start() + len(phrase), words))
    return sorted(found, key=lambda r: r.start)

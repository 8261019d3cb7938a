"""Plan text as the rules read it: folded one code point per code point, sentences, OCR noise.

The rules match words on a *folded* copy of the text (lower case, no diacritics, ``đ`` → ``d``)
that has exactly the length of the original, so a match's offsets are offsets in the original
text and a phrase quoted from it is ``text[start:end]``.

OCR without diacritics garbles the few letters around a lost accent ("trudc", "trude" for
"trước"; "ngy" for "ngày"; "thng" for "tháng"); the word patterns here accept those forms.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

__all__ = [
    "BEFORE",
    "DAY",
    "MONTH_WORD",
    "SEND",
    "YEAR_WORD",
    "Clauses",
    "clause_bounds",
    "fold",
]

#: "trước" as typed, folded, or garbled by OCR ("trudc", "trude").
BEFORE = r"tru[od][ce]"
#: "ngày" folded, or with its accented letter lost ("ngy").
DAY = r"nga?y"
#: "tháng" folded, or with its accented letter lost ("thng").
MONTH_WORD = r"tha?ng"
#: "gửi" and "nộp" folded, or garbled by OCR ("giri", "givi", "nép").
SEND = r"(?:g(?:u|iv|ir|v)i|goi|n[oe]p)"
#: "năm" folded, or with its accented letter lost or garbled ("nm", "ndm").
YEAR_WORD = r"n[a-z]?m"

_CLAUSE_END = re.compile(
    r"(?<![A-ZĐ])[.;!?]\s|\n\s*\n|\n(?=\s*(?:[-+*•]|\d+[.)]|[a-z]\)))|\n(?=\s*[A-ZĐ])"
)


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    low = ch.lower()
    if len(low) != 1:
        low = ch
    base = unicodedata.normalize("NFD", low)[0]
    return base if unicodedata.category(base) != "Mn" else low


def fold(text: str) -> str:
    """Return ``text`` lower-cased without diacritics, one code point for each code point.

    ``"Trước ngày 15/11"`` → ``"truoc ngay 15/11"``; the length never changes.
    """
    return "".join(_fold_char(ch) for ch in text)


class Clauses:
    """The clauses of a text, found once, for many look-ups.

    A clause ends at a full stop, semicolon, blank line, or a line break before a list item or
    a capitalised line; a dotted date ("22.10.2018") or an abbreviation ("TP. Hà Nội") does not
    end it.
    """

    def __init__(self, text: str) -> None:
        self._ends = [m.end() for m in _CLAUSE_END.finditer(text)]
        self._starts = [m.start() + 1 for m in _CLAUSE_END.finditer(text)]
        self._length = len(text)

    def around(self, start: int, end: int) -> tuple[int, int]:
        """Return the bounds of the clause holding ``text[start:end]``."""
        i = bisect.bisect_right(self._ends, start) - 1
        left = self._ends[i] if i >= 0 else 0
        j = bisect.bisect_left(self._starts, end + 1)
        right = self._starts[j] if j < len(self._starts) else self._length
        return left, right


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the clause holding ``text[start:end]`` (see :class:`Clauses`)."""
    return Clauses(text).around(start, end)

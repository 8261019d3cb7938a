"""Plan text as the rules read it: folded one code point per code point, sentences, OCR noise.

The rules match words on a *folded* copy of the text (lower case, no diacritics, ``đ`` → ``d``)
that has exactly the length of the original, so a match's offsets are offsets in the original
text and a phrase quoted from it is ``text[start:end]``.

OCR without diacritics garbles the few letters around a lost accent ("trudc", "trude" for
"trước"; "ngy" for "ngày"; "thng" for "tháng"); the word patterns here accept those forms.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "BEFORE",
    "DAY",
    "MONTH_WORD",
    "YEAR_WORD",
    "clause_bounds",
    "fold",
]

#: "trước" as typed, folded, or garbled by OCR ("trudc", "trude").
BEFORE = r"tru[od][ce]"
#: "ngày" folded, or with its accented letter lost ("ngy").
DAY = r"nga?y"
#: "tháng" folded, or with its accented letter lost ("thng").
MONTH_WORD = r"tha?ng"
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


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the clause holding ``text[start:end]``.

    A clause ends at a full stop, semicolon, blank line, or a line break before a list item or
    a capitalised line; a dotted date ("22.10.2018") does not end it (no space after the dot).
    """
    left = 0
    for m in _CLAUSE_END.finditer(text, 0, start):
        left = m.end()
    found = _CLAUSE_END.search(text, end)
    right = found.start() + 1 if found else len(text)
    return left, right

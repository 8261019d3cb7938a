"""Text helpers shared by every layer: folding for matching, codes, Vietnamese sort order."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold_text", "normalize_code", "vn_sort_key"]

_NON_WORD = re.compile(r"[\W_]+")

# Letter modifiers (breve ă; circumflex â ê ô; horn ơ ư) and tone marks (huyền, hỏi, ngã, sắc,
# nặng), each in Vietnamese dictionary order.
_MODIFIERS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


@lru_cache(maxsize=1 << 12)  # pure; every typed text is compared with the same menu labels
def fold_text(text: str) -> str:
    """Lower-case ``text``, drop diacritics and punctuation, and collapse spaces.

    ``"Phường Ba Đình"`` → ``"phuong ba dinh"``; ``"P-BADINH"`` → ``"p badinh"``.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def normalize_code(code: str) -> str:
    """Return the stored form of a code: trimmed and upper-case."""
    return code.strip().upper()


@lru_cache(maxsize=1 << 16)  # pure; a list of 10 000 units sorts the same names again and again
def vn_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key following the Vietnamese alphabet (a ă â b c d đ e ê …), then tones.

    Python's default ordering puts "Đông Sơn" after "Xã Hà Lan"; this key puts it after "Dương".
    """
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if ch in _MODIFIERS and letters:
            letters[-1] += _MODIFIERS[ch]
        elif ch in _TONES:
            tones.append(_TONES[ch])
        elif unicodedata.combining(ch):
            continue
        elif ch == "đ":
            letters.append(ord("d") * 4 + 1)
        else:
            letters.append(ord(ch) * 4)
    return tuple(letters), tuple(tones)

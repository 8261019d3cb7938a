"""Small text helpers shared by the steps."""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]


def fold(text: str) -> str:
    """Lower-case ``text`` and drop Vietnamese diacritics (đ → d) for lenient matching."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())

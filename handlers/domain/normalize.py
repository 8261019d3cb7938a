"""One normalisation of everything people type, applied at the core's boundary.

Every incoming text goes through :func:`normalize_text` before any step sees it:

* Unicode NFC, so Vietnamese typed decomposed (``e`` + U+0302 + U+0301) is the same text as
  typed precomposed (``ế``) — stored, compared and matched alike;
* invisible or meaningless characters are dropped: format characters (zero-width space and
  joiners, bidi controls, BOM, tag characters), control characters other than line breaks and
  tabs, lone surrogates and non-characters;
* characters that only look blank (Hangul fillers, braille blank, ideographic and other
  spaces) become a plain space; every line break becomes a newline;
* spaces at the ends of lines, and blank space around the text, are trimmed.

A text that is empty after this was invisible: steps refuse it like an empty message.

Numbers people type go through :func:`ascii_int`: ASCII digits only, with a bounded length, so
"-1", "²", "①", "١٢" or a 5 000-digit number are refused rather than pressing a button or
crashing ``int``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BLANK_LOOKALIKES", "ascii_int", "normalize_text", "writable"]

#: Letters and symbols that render as nothing or as a gap: read as a space.
BLANK_LOOKALIKES = frozenset(
    {
        "\u115f",  # Hangul choseong filler
        "\u1160",  # Hangul jungseong filler
        "\u3164",  # Hangul filler
        "\uffa0",  # half-width Hangul filler
        "\u2800",  # braille pattern blank
        "\u180e",  # Mongolian vowel separator
    }
)
_BREAK_RE = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
#: What XML 1.0 (Word, Excel), and so every renderer, cannot carry: C0 controls but tab and line
#: breaks, lone surrogates, U+FFFE and U+FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_DIGITS = 18


def _keep(ch: str) -> str:
    """What one character becomes: itself, a space, or nothing."""
    if ch in "\n\t":
        return ch
    if ch in BLANK_LOOKALIKES:
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Cn"):
        return ""  # control, format (zero-width, bidi, BOM, tags), surrogate, unassigned
    if category == "Zs":
        return " "  # NBSP, ideographic space, thin space…
    return ch


def normalize_text(text: str) -> str:
    """Return ``text`` in NFC without invisible characters (see the module docstring)."""
    text = _BREAK_RE.sub("\n", text)
    cleaned = "".join(_keep(ch) for ch in text)
    cleaned = unicodedata.normalize("NFC", cleaned)
    return _TRAILING_SPACE.sub("", cleaned).strip()


def ascii_int(text: str, *, max_digits: int = _MAX_DIGITS) -> int | None:
    """The number written with ASCII digits only (surrounding spaces allowed), else None.

    A sign, a decimal point, superscripts, circled or non-Latin digits and numbers longer than
    ``max_digits`` digits are not numbers here.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > max_digits:
        return None
    if not all("0" <= ch <= "9" for ch in stripped):
        return None
    return int(stripped)


def writable(text: str) -> str:
    """``text`` without the characters a document or a message cannot carry.

    For values stored before the boundary normalised input (or by a loader that did not): a
    renderer passes what it writes through this, so an old value never breaks a view.
    """
    return _UNWRITABLE.sub("", text)

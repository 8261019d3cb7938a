"""Replies as Zalo can show them: plain text, choices as numbered lines, at most 2000 units.

Zalo has no buttons, no edits and no HTML: a reply's HTML subset becomes plain text, its buttons
``1. …`` lines with a hint (the core matches a typed number or label against the chat's stored
choices), and a main menu one short line of what can be typed. Zalo counts ``text`` in
characters without saying which; UTF-16 code units are the safe reading, so a message is split
below :data:`MAX_UNITS` of them, on paragraph, then line, then word boundaries, never inside a
surrogate pair, and the numbered choices stay together in the last part.
"""

from __future__ import annotations

from handlers.kernel.messages import Reply
from handlers.kernel.texts import Texts, plain_text

__all__ = ["LIMIT", "MAX_UNITS", "render_reply", "split_text", "utf16_len"]

#: Zalo's documented limit for ``text`` and ``caption``.
LIMIT = 2000
#: Where messages are split: below the limit, with room for a proxy counting differently.
MAX_UNITS = 1900


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def render_reply(texts: Texts, reply: Reply) -> tuple[str, bool]:
    """The reply's text with its choices as numbered lines; True when it lists choices.

    The choices (and their hint) form the text's last paragraph, which :func:`split_text`
    keeps whole.
    """
    body = plain_text(reply.text).strip()
    if not reply.buttons:
        return body, False
    if reply.is_menu:
        labels = [button.label for button in reply.buttons]
        hint = texts.plain("zalo.menu_hint", labels=labels)
        return (f"{body}\n\n{hint}" if body else hint), False
    lines = [f"{i}. {button.label}" for i, button in enumerate(reply.buttons, 1)]
    lines.append(texts.plain("zalo.choose_hint", count=len(reply.buttons)))
    options = "\n".join(lines)
    return (f"{body}\n\n{options}" if body else options), True


def split_text(text: str, limit: int = MAX_UNITS) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 units.

    Paragraphs (blank-line separated) are packed together while they fit; a paragraph too long
    for one part is cut between lines, a line too long between words, a word too long between
    characters (never inside a surrogate pair: Python strings hold whole code points). Empty
    text gives no parts.
    """
    text = text.strip()
    if not text:
        return []
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        pieces.extend(_cut(paragraph.strip("\n"), limit, ("\n", " ")))
    return _pack(pieces, limit)


def _cut(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    """``text`` as pieces each within ``limit``, cut at the first separator that helps."""
    if utf16_len(text) <= limit:
        return [text]
    if not separators:
        out: list[str] = []
        current: list[str] = []
        size = 0
        for char in text:
            width = utf16_len(char)
            if size + width > limit:
                out.append("".join(current))
                current, size = [], 0
            current.append(char)
            size += width
        out.append("".join(current))
        return out
    separator, rest = separators[0], separators[1:]
    parts: list[str] = []
    for part in text.split(separator):
        parts.extend(_cut(part, limit, rest))
    return _pack(parts, limit, separator)


def _pack(pieces: list[str], limit: int, separator: str = "\n\n") -> list[str]:
    """Join consecutive pieces with ``separator`` while the result stays within ``limit``."""
    out: list[str] = []
    for piece in pieces:
        if out and utf16_len(out[-1]) + utf16_len(separator) + utf16_len(piece) <= limit:
            out[-1] = out[-1] + separator + piece
        else:
            out.append(piece)
    return [part for part in out if part.strip()]

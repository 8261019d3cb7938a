"""Neutral replies → Telegram: HTML chunks under the length limit, keyboards.

Reply texts already are Telegram HTML (a small subset, user text escaped by the core's
templates), so rendering only splits them and builds the markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from handlers.kernel.messages import Button
from handlers.kernel.texts import plain_text

__all__ = ["MAX_MESSAGE_CHARS", "button_text", "inline_keyboard", "menu_keyboard", "split_html"]

#: Telegram refuses a message longer than 4096 characters (after entity parsing); stay below.
MAX_MESSAGE_CHARS = 4000


def split_html(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` characters, between lines.

    The core's templates never open a tag on one line and close it on another, so a cut between
    lines keeps every chunk well-formed. A single line longer than ``limit`` (a long pasted
    text) is cut between words with its tags dropped, so no chunk carries a broken tag.
    """
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = [line] if len(line) <= limit else _split_long_line(line, limit)
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
                continue
            if current.strip():
                chunks.append(current)
            current = piece
    if current.strip():
        chunks.append(current)
    return chunks or [""]


def _split_long_line(line: str, limit: int) -> list[str]:
    """Cut a too-long line between words (hard cut inside an endless word)."""
    plain = plain_text(line)
    pieces: list[str] = []
    current = ""
    for word in plain.split(" "):
        while len(html.escape(word, quote=False)) > limit:
            head_len = limit
            while len(html.escape(word[:head_len], quote=False)) > limit:
                head_len -= 1
            if current:
                pieces.append(current)
                current = ""
            pieces.append(html.escape(word[:head_len], quote=False))
            word = word[head_len:]
        escaped = html.escape(word, quote=False)
        candidate = f"{current} {escaped}" if current else escaped
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = escaped
    if current:
        pieces.append(current)
    return pieces


def button_text(button: Button) -> str:
    """A label as Telegram shows it: labels are plain text (``Ctx.label``), shown literally."""
    return button.label


def inline_keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup:
    """One button per row: labels are often long (a requirement's title)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button_text(b), callback_data=b.data)] for b in buttons]
    )


def menu_keyboard(buttons: Sequence[Button]) -> ReplyKeyboardMarkup:
    """The persistent main menu, two labels a row; a tap sends the label as text."""
    rows = [
        [KeyboardButton(button_text(b)) for b in buttons[i : i + 2]]
        for i in range(0, len(buttons), 2)
    ]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)

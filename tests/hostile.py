"""A corpus of hostile input: categories × examples, for driving every step of every flow.

Each example is something a person can send (or a broken client can deliver). The core must
answer each with a clear Vietnamese message, never an apology or a traceback, and change nothing
when it refuses.
"""

from __future__ import annotations

import unicodedata

__all__ = ["CORPUS", "cases"]

CORPUS: dict[str, tuple[str, ...]] = {
    "invisible": (
        "\u200b",
        "\u200b\u200c\u200d\u2060",
        "\ufeff",
        "\u202e\u202d\u2066\u2069",
        "\U000e0041\U000e0042",
        "\u3164\u3164\u3164",
        "\u2800",
        "\x00",
        "\x07\x1b\x7f",
        "\u00a0\u3000",
    ),
    "whitespace": ("   ", "\n\n\t", "\r\n"),
    "numbers": (
        "-1",
        "+1",
        "0",
        "00",
        "²",
        "①",
        "１",
        "٣",
        "1.5",
        "1e3",
        "0x1",
        "9" * 5000,
        "99999999999999999999",
        "1 2",
    ),
    "oversized": ("x" * 10_000, "Kế hoạch " * 1500),
    "markup": ("<b>đậm</b>", "&amp; &lt;", "<script>alert(1)</script>", "</i>", "{{ 7*7 }}"),
    "unstorable": ("a\x00b", "\ud800", "lỗi \udfff"),
    "decomposed": (
        unicodedata.normalize("NFD", "Nguyễn Thị Ánh"),
        unicodedata.normalize("NFD", "Kinh"),
    ),
    "commands": ("/", "//", "/khongco", "/NOP@", "/@bot"),
    "emoji": ("👍", "🏳️‍🌈", "👨‍👩‍👧"),
    "sql": ("'; DROP TABLE units; --", '" OR 1=1 --'),
}


def cases() -> list[tuple[str, str]]:
    """(category, example) pairs, in a stable order."""
    return [(category, text) for category, texts in CORPUS.items() for text in texts]

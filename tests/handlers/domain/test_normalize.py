"""The one normalisation of incoming text, and ASCII-only numbers."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.normalize import BLANK_LOOKALIKES, ascii_int, normalize_text

#: Texts a person cannot see: each must normalise to "".
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d\u2060",  # zero-width (non-)joiners, word joiner
    "\ufeff",  # BOM
    "\u202e\u202d\u2066\u2069",  # bidi overrides and isolates
    "\U000e0041\U000e0042",  # tag characters
    "\u3164\u3164\u3164",  # Hangul filler ("ㅤㅤㅤ")
    "\u115f\u1160\uffa0",
    "\u2800\u2800",  # braille blank
    "\x00\x01\x1b\x7f",  # NUL and other controls
    "\u00a0\u3000\u2009",  # no-break, ideographic and thin spaces
    "\ud800",  # a lone surrogate
    " \n\t \r\n ",
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_text_is_empty(text: str) -> None:
    assert normalize_text(text) == ""


def test_decomposed_vietnamese_becomes_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh, dân tộc Thái")
    assert decomposed != "Nguyễn Thị Ánh, dân tộc Thái"
    assert normalize_text(decomposed) == "Nguyễn Thị Ánh, dân tộc Thái"


def test_hidden_characters_inside_words_are_dropped() -> None:
    assert normalize_text("Kế\u200b hoạch\u00a0năm\ufeff 2020\x00") == "Kế hoạch năm 2020"
    assert normalize_text("Trần\u3164Bình") == "Trần Bình"


def test_line_breaks_are_kept_and_unified() -> None:
    assert normalize_text("dòng 1  \r\ndòng 2\u2028dòng 3\rdòng 4") == (
        "dòng 1\ndòng 2\ndòng 3\ndòng 4"
    )


def test_visible_text_and_emoji_survive() -> None:
    text = "✅ Đã nộp <b>Kế hoạch</b> & báo cáo 👍🏽 – “ok”"
    assert normalize_text(text) == text


@given(st.text())
def test_normalised_text_is_nfc_visible_and_stable(text: str) -> None:
    out = normalize_text(text)
    assert unicodedata.is_normalized("NFC", out)
    assert normalize_text(out) == out
    for ch in out:
        assert ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Cn")
        assert ch not in BLANK_LOOKALIKES
    out.encode("utf-8")  # storable: no lone surrogates


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), (" 12 ", 12), ("007", 7), ("2019", 2019)],
)
def test_ascii_numbers(text: str, value: int) -> None:
    assert ascii_int(text) == value


@pytest.mark.parametrize(
    "text",
    ["", " ", "-1", "+1", "1.5", "1,5", "²", "①", "١٢", "１２", "1e3", "0x1", "9" * 5000, "1 2"],
)
def test_anything_else_is_not_a_number(text: str) -> None:
    assert ascii_int(text) is None

"""Replies as Zalo shows them: plain text, numbered choices, parts below 2000 UTF-16 units."""

from __future__ import annotations

from bot.zalo.render import LIMIT, MAX_UNITS, render_reply, split_text, utf16_len
from handlers.kernel.messages import Button, Reply
from handlers.kernel.texts import Texts


def test_html_becomes_plain_text_and_buttons_numbered_lines() -> None:
    reply = Reply(
        "<b>Chọn</b> nội dung &amp; hạn",
        buttons=(Button("Kế hoạch <b>A</b>", "x:1"), Button("Báo cáo", "x:2")),
    )
    text, listed = render_reply(Texts(), reply)
    assert listed
    assert text.startswith("Chọn nội dung & hạn\n\n1. Kế hoạch <b>A</b>\n2. Báo cáo\n")
    assert "từ 1 đến 2" in text


def test_a_menu_is_one_line_of_what_can_be_typed() -> None:
    reply = Reply("Xin chào", buttons=(Button("📊 Tình hình", "m:1"),), is_menu=True)
    text, listed = render_reply(Texts(), reply)
    assert not listed
    assert "1." not in text and "📊 Tình hình" in text.splitlines()[-1]


def test_split_keeps_parts_below_the_limit_in_utf16_units() -> None:
    line = "😀" * 300  # 600 units, 300 characters
    text = "\n".join([line] * 10)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= MAX_UNITS < LIMIT for p in parts)
    assert "".join(p.replace("\n", "") for p in parts) == text.replace("\n", "")
    assert all(p.split("\n")[0] == line for p in parts)  # cut between lines


def test_split_cuts_a_long_word_between_whole_characters() -> None:
    parts = split_text("𝕏" * 1500)  # 3000 units, astral characters
    assert [utf16_len(p) for p in parts] == [1900, 1100]
    assert "".join(parts) == "𝕏" * 1500


def test_the_numbered_choices_stay_in_one_part() -> None:
    body = "\n".join(f"Dòng {i} " + "x" * 80 for i in range(30))
    options = "\n".join(f"{i}. Lựa chọn {i}" for i in range(1, 6))
    parts = split_text(f"{body}\n\n{options}")
    assert parts[-1].endswith(options) and len(parts) == 2

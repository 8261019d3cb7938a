"""The console adapter: rendering, numbered buttons, files and its error boundary."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.console import ConsoleAdapter
from handlers.kernel.messages import Button, Incoming, OutgoingFile, Reply

APOLOGY = Reply("Xin lỗi, hệ thống gặp sự cố")


async def test_renders_html_subset_as_plain_text_and_survives_a_failure(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    seen: list[Incoming] = []

    async def handle(msg: Incoming) -> list[Reply]:
        seen.append(msg)
        if msg.text == "boom":
            raise RuntimeError("database went away")
        if msg.file is not None:
            return [Reply(f"tệp {msg.file.name}: {len(await msg.file.read())} byte")]
        return [
            Reply("<b>Tên</b> &lt;Tổ 5&gt;", (Button("Cá nhân", "s:1"), Button("Tập thể", "s:2")))
        ]

    doc = tmp_path / "to trinh.pdf"
    doc.write_bytes(b"%PDF-1.4")
    out = io.StringIO()
    console = ConsoleAdapter(
        handle, APOLOGY, "badinh", io.StringIO(f"boom\nxin chào\n/tep {doc}\n"), out, echo=True
    )
    with caplog.at_level(logging.ERROR):
        await console.run(greeting=None)
    text = out.getvalue()
    assert "badinh> boom\nXin lỗi, hệ thống gặp sự cố" in text
    assert "Tên <Tổ 5>\n  [1] Cá nhân\n  [2] Tập thể" in text
    assert "tệp to trinh.pdf: 8 byte" in text
    assert "database went away" in caplog.text
    assert [m.key.chat_id for m in seen] == ["badinh"] * 3


async def test_files_the_bot_sends_are_saved_to_the_outbox(tmp_path: Path) -> None:
    async def handle(msg: Incoming) -> list[Reply]:
        return [Reply("Tệp xuất", file=OutgoingFile("bao-cao.xlsx", "application/xlsx", b"PK"))]

    out = io.StringIO()
    adapter = ConsoleAdapter(
        handle, Reply("lỗi"), "noivu", io.StringIO(), out, outbox=tmp_path / "outbox"
    )
    await adapter.send("/xuat")
    assert (tmp_path / "outbox" / "bao-cao.xlsx").read_bytes() == b"PK"
    assert "đã lưu tệp" in out.getvalue()

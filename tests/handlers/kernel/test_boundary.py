"""The core's boundary: every incoming text normalised before a step sees it."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kernel.dispatcher import Core, normalize_incoming
from handlers.kernel.messages import ChatKey, Incoming, IncomingFile
from storage.models import Submission
from tests.harness import ChatHarness

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]


async def _submissions(sf: SF) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(Submission)) or 0)


async def _read() -> bytes:
    return b""


def test_text_file_name_and_sender_are_normalised() -> None:
    file = IncomingFile("\u200bKe\u0302\u0301 hoa\u0323ch/../x.pdf", "application/pdf", 1, _read)
    msg = normalize_incoming(
        Incoming(
            ChatKey("console", "a"),
            "a",
            text="\ufeffTra\u0302\u0300n\u3164Bi\u0300nh\x00",
            file=file,
            display_name="\u202eAn",
        )
    )
    assert msg.text == "Trần Bình"
    assert msg.file is not None and msg.file.name == "Kế hoạch_.._x.pdf"
    assert unicodedata.is_normalized("NFC", msg.file.name)
    assert msg.display_name == "An"


@pytest.mark.parametrize("typed", ["-1", "+1", "²", "①", "１", "1.0", "9" * 5000, "0", "99"])
async def test_a_choice_is_ascii_digits_within_range(
    chat: Chat, demo: None, session_factory: SF, typed: str
) -> None:
    head = chat("badinh")
    await head.send("/nop")
    await head.send("1")
    await head.send("Kế hoạch bằng văn bản.")
    assert "Xác nhận" in head.text
    before = await _submissions(session_factory)
    await head.send(typed)  # "1" would confirm; none of these may
    assert "Xin lỗi" not in head.text
    assert "Đã lưu" not in head.text
    assert await _submissions(session_factory) == before
    await head.send("1")
    assert "Đã lưu" in head.text
    assert await _submissions(session_factory) == before + 1


@pytest.mark.parametrize(
    "invisible", ["\u200b\u200b", "\u3164\u3164\u3164", "\u2800", "\u202e\u2066", "\x00\x07"]
)
async def test_an_invisible_text_is_refused_like_an_empty_one(
    chat: Chat, demo: None, session_factory: SF, invisible: str
) -> None:
    head = chat("badinh")
    await head.send("/nop")
    await head.send("1")
    before = await _submissions(session_factory)
    await head.send(invisible)
    assert "Xin lỗi" not in head.text
    assert "Xác nhận gửi" not in head.buttons
    await head.send("Kế hoạch thật.")
    assert "Xác nhận" in head.text
    assert await _submissions(session_factory) == before


async def test_a_slow_download_does_not_hold_up_other_people(
    chat: Chat, demo: None, core: Core, session_factory: SF
) -> None:
    head = chat("badinh")
    await head.send("/nop")
    await head.send("1")
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow_read() -> bytes:
        started.set()
        await release.wait()
        return b"%PDF-1.4 ke hoach"

    file = IncomingFile("ke-hoach.pdf", "application/pdf", 17, slow_read)
    upload = asyncio.create_task(core.handle(Incoming(head.key, head.user, file=file)))
    await asyncio.wait_for(started.wait(), 5)
    other = chat("noivu")
    await asyncio.wait_for(other.send("/trogiup"), 5)  # not waiting for the download
    assert "Hướng dẫn" in other.text
    release.set()
    replies = await asyncio.wait_for(upload, 5)
    assert any("Xác nhận" in r.text for r in replies)


async def test_a_renamed_file_is_refused(chat: Chat, demo: None, session_factory: SF) -> None:
    head = chat("badinh")
    await head.send("/nop")
    await head.send("1")
    await head.upload("ke-hoach.pdf", b"PK\x03\x04 not a pdf at all")
    assert "không phải là tệp PDF" in head.text
    assert "Xác nhận gửi" not in head.buttons


async def test_a_refusal_and_the_question_asked_again_are_one_message(
    chat: Chat, demo: None
) -> None:
    head = chat("badinh")
    (question,) = await head.send("/nop")
    (reply,) = await head.send("Không có nội dung này")  # one message, not two
    refusal, _, repeated = reply.text.partition("\n\n")
    assert refusal.startswith("Vui lòng chọn một trong các mục")
    assert repeated == question.text and reply.buttons == question.buttons

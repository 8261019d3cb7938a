"""/moi: invite codes from the chat (a second secretariat, the sheet for every unit, revoking)."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable

import docx
import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import AuditLog, Invite
from tests.harness import ChatHarness

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]

pytestmark = pytest.mark.usefixtures("demo")


def _code(text: str) -> str:
    return text.split("<code>")[1].split("</code>")[0]


async def _count(sf: SF, *where: object) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(Invite).where(*where)) or 0)


async def test_the_first_secretariat_invites_a_second(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/moi")
    await noivu.press("Mã mời Thường trực")
    text = noivu.replies[0].text
    assert "start " in text and "Telegram: nhắn cho bot" in text
    vanthu = chat("vanthu")
    await vanthu.send(f"/start {_code(text)}")
    assert "Thường trực Hội đồng" in vanthu.text
    await vanthu.send("/donvi")
    assert "đang theo dõi" in vanthu.text
    async with session_factory() as s:
        (entry,) = await s.scalars(select(AuditLog).where(AuditLog.action == "invite.create"))
    assert entry.detail == {"role": "secretariat", "unit": None} and entry.person_id is not None


async def test_a_unit_head_cannot_make_invites(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/moi")
    assert "chỉ dành cho Thường trực" in badinh.text


async def test_the_sheet_comes_back_and_a_new_one_revokes_the_old(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await noivu.send("/moi")
    await noivu.press("Phiếu mời")
    await noivu.press("Word")
    await noivu.press("Giữ mã cũ")
    (reply,) = noivu.replies
    assert "Đã tạo 21 mã mời" in reply.text and reply.file is not None
    assert reply.file.name.endswith(".docx")
    document = docx.Document(io.BytesIO(reply.file.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Phường Ba Đình (P-BADINH)" in text and "nhắn cho bot: start " in text
    assert len(document.inline_shapes) == 21
    await noivu.send("/moi")
    await noivu.press("Phiếu mời")
    await noivu.press("Excel")
    await noivu.press("Thu hồi mã cũ")
    (reply,) = noivu.replies
    assert "Đã thu hồi 21 mã cũ chưa dùng" in reply.text and reply.file is not None
    assert openpyxl.load_workbook(io.BytesIO(reply.file.data)).active.max_row == 22
    assert await _count(session_factory, Invite.revoked_at.is_not(None)) == 21
    assert await _count(session_factory, Invite.revoked_at.is_(None)) == 21


async def test_revoke_from_the_chat_asks_first(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi P-BACSON")
    await noivu.press("Mã mời lãnh đạo")
    await noivu.send("/moi")
    await noivu.press("Thu hồi")
    await noivu.press("Không")
    assert "không có gì thay đổi" in noivu.text
    assert await _count(session_factory, Invite.revoked_at.is_not(None)) == 0
    await noivu.send("/moi")
    await noivu.press("Thu hồi")
    await noivu.press("Thu hồi")
    assert "Đã thu hồi 1 mã mời chưa dùng (unit_head)" in noivu.text
    await noivu.send("/moi")
    await noivu.press("Thu hồi")
    await noivu.press("Thu hồi")
    assert "Không có mã mời nào còn hiệu lực" in noivu.text
    async with session_factory() as s:
        revoked = list(await s.scalars(select(AuditLog).where(AuditLog.action == "invite.revoke")))
    assert [e.detail["count"] for e in revoked] == [1]


async def test_the_sheet_as_pdf_one_page_per_unit(chat: Chat) -> None:
    # `make test` installs LibreOffice (Debian packages) when it is missing.
    assert shutil.which("soffice"), "run `make system-deps`"
    noivu = chat("noivu")
    await noivu.send("/moi")
    await noivu.press("Phiếu mời")
    await noivu.press("PDF")
    await noivu.press("Giữ mã cũ")
    (reply,) = noivu.replies
    assert reply.file is not None and reply.file.mime_type == "application/pdf"
    assert reply.file.data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", reply.file.data)) == 21

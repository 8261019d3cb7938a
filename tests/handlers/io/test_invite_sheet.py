"""Bulk invites: one single-use code per active unit, printed with a QR code (docx, xlsx)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.io.invite_sheet import InviteCard, invite_docx, invite_xlsx, qr_png
from handlers.kernel.texts import Texts
from handlers.services.invites import create_unit_invites
from handlers.services.units import find_unit_by_code, set_unit_active
from storage.models import AuditLog, Invite, Role
from tests.harness import Clock

SF = async_sessionmaker[AsyncSession]
TZ = "Asia/Ho_Chi_Minh"
EXPIRES = dt.datetime(2019, 11, 19, 2, 0, tzinfo=dt.UTC)
CARDS = [
    InviteCard(
        "Phường Ba Đình",
        "P-BADINH",
        "ABCDEFGHJK",
        EXPIRES,
        "https://t.me/tdkt_bot?start=ABCDEFGHJK",
    ),
    InviteCard("Xã Hà Lan", "X-HALAN", "MNPQRSTUVW", EXPIRES, None),
]


def test_qr_is_a_png() -> None:
    assert qr_png("https://t.me/tdkt_bot?start=ABCDEFGHJK").startswith(b"\x89PNG\r\n\x1a\n")


def test_docx_has_one_page_per_unit_with_its_code_and_qr() -> None:
    document = docx.Document(io.BytesIO(invite_docx(Texts(), CARDS, TZ)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Phường Ba Đình (P-BADINH)" in text and "Xã Hà Lan (X-HALAN)" in text
    assert "Mã mời: ABCDEFGHJK — dùng một lần, hết hạn 19/11/2019 09:00" in text
    assert "https://t.me/tdkt_bot?start=ABCDEFGHJK" in text
    assert "/start MNPQRSTUVW" in text
    assert len(document.inline_shapes) == 2
    assert document.element.xml.count('w:type="page"') == 1


def test_xlsx_has_one_row_per_unit_with_a_qr_image() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(invite_xlsx(Texts(), CARDS, TZ))).active
    assert [c.value for c in sheet[1]][:4] == [
        "Đơn vị",
        "Mã đơn vị",
        "Mã mời",
        "Liên kết Telegram",
    ]
    assert [c.value for c in sheet[2]][:4] == [
        "Phường Ba Đình",
        "P-BADINH",
        "ABCDEFGHJK",
        "https://t.me/tdkt_bot?start=ABCDEFGHJK",
    ]
    assert sheet.max_row == 3
    assert len(sheet._images) == 2


@pytest.mark.usefixtures("demo")
async def test_one_invite_per_active_unit_audited(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "X-HALAN")
        await set_unit_active(s, unit, False, person_id=None, now=clock())
    async with session_factory.begin() as s:
        made = await create_unit_invites(
            s, role=Role.UNIT_HEAD, now=clock(), ttl=dt.timedelta(days=7)
        )
    codes = [u.code for u, _ in made]
    assert len(codes) == 20 and "X-HALAN" not in codes
    assert len({i.code for _, i in made}) == 20
    async with session_factory() as s:
        audited = await s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "invite.create")
        )
    assert audited == 20


@pytest.mark.usefixtures("demo")
async def test_secretariat_cannot_be_invited_per_unit(session_factory: SF, clock: Clock) -> None:
    async with session_factory() as s:
        before = await s.scalar(select(func.count()).select_from(Invite))
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await create_unit_invites(
                s, role=Role.SECRETARIAT, now=clock(), ttl=dt.timedelta(days=7)
            )
    assert err.value.key == "invite_all_units_secretariat"
    async with session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(Invite)) == before


def test_cli_invites_for_every_unit(tdkt: Any, tmp_path: Path) -> None:
    tdkt("init", "--demo")
    out = tmp_path / "moi.xlsx"
    done = tdkt("invite", "create", "--role", "unit_head", "--all-units", "-o", str(out))
    assert "Đã tạo 21 mã mời" in done.stdout
    assert openpyxl.load_workbook(out).active.max_row == 22
    again = tdkt("invite", "create", "--all-units", "--revoke-old", "-o", "moi.docx")
    assert "Đã tạo 21 mã mời" in again.stdout and "Đã thu hồi 21 mã cũ chưa dùng" in again.stdout
    text = "\n".join(p.text for p in docx.Document(tmp_path / "moi.docx").paragraphs)
    assert "Trên Zalo, nhắn cho bot: start " in text
    wrong = tdkt("invite", "create", "--all-units", "-o", "moi.txt", ok=False)
    assert wrong.returncode == 2 and "phải có đuôi .docx, .xlsx hoặc .pdf" in wrong.stderr
    alone = tdkt("invite", "create", "--role", "unit_head", "--all-units", ok=False)
    assert alone.returncode == 2
    role = tdkt("invite", "create", "--role", "admin", "--all-units", "-o", "x.xlsx", ok=False)
    assert role.returncode == 2 and "Vai trò «admin» không có" in role.stderr
    assert not (tmp_path / "x.xlsx").exists()
    revoked = tdkt("invite", "revoke")
    assert "Đã thu hồi 21 mã mời chưa dùng (unit_head)" in revoked.stdout
    assert "Không có mã mời nào" in tdkt("invite", "revoke", "--role", "lanh dao").stdout


def test_cli_sheet_as_pdf(tdkt: Any, tmp_path: Path) -> None:
    # `make test` installs LibreOffice and poppler (Debian packages) when they are missing.
    assert shutil.which("soffice") and shutil.which("pdftotext"), "run `make system-deps`"
    tdkt("init", "--demo")
    (tmp_path / ".env").write_text("TDKT_ZALO_BOT_LINK=https://zalo.me/123456789\n")
    done = tdkt("invite", "create", "--all-units", "-o", "moi.pdf")
    assert "Đã tạo 21 mã mời" in done.stdout
    assert (tmp_path / "moi.pdf").read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "moi.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = [" ".join(p.split()) for p in text.split("\f") if p.strip()]
    assert len(pages) == 21
    (badinh,) = [p for p in pages if "Phường Ba Đình (P-BADINH)" in p]
    code = badinh.split("Mã mời: ")[1].split()[0]
    assert f"Trên Zalo (https://zalo.me/123456789), nhắn cho bot: start {code}" in badinh
    assert f"/start {code}" in badinh


def test_zalo_line_names_the_bot_when_known() -> None:
    card = InviteCard(
        "Phường Ba Đình", "P-BADINH", "ABCDEFGHJK", EXPIRES, None, "https://zalo.me/1"
    )
    document = docx.Document(io.BytesIO(invite_docx(Texts(), [card], TZ)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Trên Zalo (https://zalo.me/1), nhắn cho bot: start ABCDEFGHJK" in text
    sheet = openpyxl.load_workbook(io.BytesIO(invite_xlsx(Texts(), [card], TZ))).active
    assert sheet["G1"].value == "Zalo" and "start ABCDEFGHJK" in sheet["G2"].value

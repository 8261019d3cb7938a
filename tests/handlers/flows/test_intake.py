"""/kehoach → "Kế hoạch mới từ văn bản": a plan's document read, reviewed and made a campaign.

Driven through the chat harness on the Bỉm Sơn demo (noivu is the secretariat, badinh the head
of Phường Ba Đình). The plan texts are short ones written for these tests.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kernel.context import CoreDeps
from handlers.kernel.texts import Texts
from handlers.routes import make_core
from handlers.services.invites import ensure_account
from storage.files import LocalFileStore
from storage.models import (
    AuditLog,
    Broadcast,
    Campaign,
    CampaignState,
    PlanDraft,
    Requirement,
    Role,
)
from tests.handlers.io.test_ocr import page_image, plan_png, scanned_pdf, with_ocr
from tests.handlers.io.test_plan_file import hide_ocr
from tests.harness import ChatHarness, Clock

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

pytestmark = pytest.mark.usefixtures("demo")
__all__ = ["with_ocr"]  # the fixture, imported

PLAN = """UỶ BAN NHÂN DÂN THỊ XÃ BỈM SƠN
Số: 45/KH-UBND
Bỉm Sơn, ngày 01 tháng 11 năm 2019

KẾ HOẠCH
Tổng kết công tác thi đua, khen thưởng năm 2019

1. Các phường, xã gửi báo cáo tổng kết công tác thi đua về Phòng Nội vụ trước ngày 25/11/2019.
2. Các đơn vị gửi hồ sơ đề nghị khen thưởng chậm nhất ngày 10/12/2019.
3. Hội nghị tổng kết của thị xã tổ chức trong quý I/2020.
"""
NO_DEADLINE = "Đề nghị các đơn vị quan tâm thực hiện tốt công tác thi đua, khen thưởng năm nay."


async def _count(sf: SF, model: type) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _to_intake(h: ChatHarness) -> None:
    await h.send("/kehoach")
    await h.press("Kế hoạch mới từ văn bản")
    assert "Kế hoạch mới từ văn bản" in h.text
    assert h.replies[-1].file_request is not None


async def _upload_plan(h: ChatHarness) -> None:
    await _to_intake(h)
    await h.upload("ke-hoach.txt", PLAN.encode(), mime="text/plain")


async def test_file_to_campaign_that_a_unit_sees(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _upload_plan(noivu)
    shown = noivu.text
    for part in (
        "45/KH-UBND",
        "01/11/2019",
        "BỈM SƠN",
        "Tổng kết công tác thi đua",
        "Hạn: 25/11/2019",
        "Hạn: 10/12/2019",
        "Hạn: quý I/2020",
        "«trước ngày 25/11/2019»",
        "Sự kiện",
    ):
        assert part in shown, part
    assert noivu.buttons[:3] == ["Xem/sửa nội dung 1", "Xem/sửa nội dung 2", "Xem/sửa nội dung 3"]

    # edit a due, accept the item
    await noivu.press("Xem/sửa nội dung 1")
    await noivu.press("Sửa hạn")
    await noivu.send("28/11/2019")
    assert "Hạn: 28/11/2019" in noivu.text
    await noivu.press("✅ Nhận")
    # drop item 2
    await noivu.press("Xem/sửa nội dung 2")
    await noivu.press("Bỏ nội dung")
    assert "🗑" in noivu.text
    # accept item 3 (a quarter) for the wards only
    await noivu.press("Xem/sửa nội dung 3")
    await noivu.press("Đơn vị thực hiện")
    await noivu.press("Theo loại đơn vị")
    await noivu.press("Xã/phường")
    assert "loại Xã/phường" in noivu.text
    await noivu.press("✅ Nhận")
    # add an item without a due
    await noivu.press("Thêm nội dung")
    await noivu.send("Báo cáo nhanh kết quả hội nghị")
    await noivu.send("chưa có hạn")
    assert "Hạn: chưa có hạn" in noivu.text
    await noivu.press("Quay lại danh sách")
    assert await _count(session_factory, Campaign) == 1  # nothing created yet

    await noivu.press("Tạo kế hoạch")
    assert "2 nội dung có hạn" in noivu.text
    assert "Báo cáo nhanh kết quả hội nghị — chưa có hạn" in noivu.text
    await noivu.press("Tạo kế hoạch")
    assert "Đã tạo kế hoạch" in noivu.text
    assert "kèm tệp văn bản?" in noivu.text

    async with session_factory() as s:
        campaign = (await s.scalars(select(Campaign).where(Campaign.code.like("KH-%")))).one()
        assert campaign.state is CampaignState.ACTIVE
        assert campaign.doc_number == "45/KH-UBND"
        assert str(campaign.doc_date) == "2019-11-01"
        assert "undated" not in campaign.settings
        reqs = list(
            await s.scalars(
                select(Requirement)
                .where(Requirement.campaign_id == campaign.id)
                .order_by(Requirement.position)
            )
        )
        assert [(str(r.due_date), r.period_label, r.kind.value) for r in reqs] == [
            ("2019-11-28", None, "report"),
            ("2020-03-31", "quý I/2020", "event"),
            ("None", None, "report"),  # "chưa có hạn": a requirement without a due date
        ]
        assert reqs[2].title == "Báo cáo nhanh kết quả hội nghị"
        assert reqs[1].unit_kinds == ["xa_phuong"]
        draft = (await s.scalars(select(PlanDraft))).one()
        assert (draft.status, draft.campaign_id) == ("created", campaign.id)
        actions = set(await s.scalars(select(AuditLog.action)))
        assert {"plan_draft.create", "plan_draft.edit", "campaign.create_from_plan"} <= actions

    badinh = chat("badinh")
    await badinh.send("/nop")
    assert "Các phường, xã gửi báo cáo" in badinh.text

    await noivu.press("Thông báo tới các đơn vị")
    assert "Đã xếp hàng gửi thông báo" in noivu.text
    async with session_factory() as s:
        broadcast = (await s.scalars(select(Broadcast))).one()
        assert broadcast.file_id == draft.file_id is not None
        assert broadcast.audience == {"kind": "campaign", "campaign_id": campaign.id}
        assert "28/11/2019" in broadcast.text


async def test_a_long_plan_is_paged(chat: Chat) -> None:
    lines = [
        f"{n}. Các đơn vị gửi báo cáo chuyên đề {n} trước ngày {n}/12/2019." for n in range(1, 8)
    ]
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.send("\n".join(lines))
    assert "(trang 1/2)" in noivu.text
    assert "Hạn: 05/12/2019" in noivu.text
    assert "06/12/2019" not in noivu.text
    assert "Trang trước" not in " ".join(noivu.buttons)
    await noivu.press("Trang sau")
    assert "(trang 2/2)" in noivu.text
    assert "Hạn: 07/12/2019" in noivu.text
    assert "05/12/2019" not in noivu.text
    assert noivu.buttons[:3] == ["Xem/sửa nội dung 6", "Xem/sửa nội dung 7", "◀ Trang trước"]
    await noivu.press("Xem/sửa nội dung 7")
    await noivu.press("Bỏ nội dung")
    assert "(trang 2/2)" in noivu.text  # back on the page it was opened from
    assert "🗑 1 đã bỏ" in noivu.text


async def test_restart_in_the_middle_resumes(
    chat: Chat, session_factory: SF, clock: Clock, tmp_path: Path
) -> None:
    noivu = chat("noivu")
    await _upload_plan(noivu)
    await noivu.press("Xem/sửa nội dung 2")
    await noivu.press("Bỏ nội dung")

    core = make_core(
        CoreDeps(
            session_factory=session_factory,
            files=LocalFileStore(tmp_path / "files"),
            texts=Texts(),
            clock=clock,
        )
    )
    again = ChatHarness(core, "noivu")
    await again.send("1")  # the first button of the list shown before the restart
    assert "Nội dung 1" in again.text
    await again.press("Quay lại danh sách")
    assert "🗑 1 đã bỏ" in again.text


async def test_a_second_secretariat_sees_the_same_draft(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        assert await ensure_account(
            s,
            channel="console",
            external_id="vanthu",
            full_name="Văn thư Phòng Nội vụ",
            role=Role.SECRETARIAT,
            unit_code=None,
            now=clock(),
        )
    noivu, vanthu = chat("noivu"), chat("vanthu")
    await _upload_plan(noivu)
    await noivu.press("Xem/sửa nội dung 2")
    await noivu.press("Bỏ nội dung")

    await _to_intake(vanthu)
    await vanthu.press("Tiếp tục bản nháp")
    assert "🗑 1 đã bỏ" in vanthu.text
    await vanthu.press("Nhận tất cả")
    await vanthu.press("Tạo kế hoạch")
    await vanthu.press("Tạo kế hoạch")
    assert "Đã tạo kế hoạch" in vanthu.text

    await noivu.press("Thêm nội dung")  # the draft became a campaign meanwhile
    assert "không còn" in noivu.text
    assert await _count(session_factory, Campaign) == 2


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _blank_pdf(password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "size", "said"),
    [
        ("anh-chup.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, None, "không có lớp chữ"),
        ("ban-quet.pdf", _blank_pdf(), None, "không có lớp chữ"),
        ("khoa.pdf", _blank_pdf("x"), None, "đặt mật khẩu"),
        ("hong.docx", b"PK\x03\x04 not a real document", None, "bị hỏng"),
        ("lon.pdf", b"%PDF-1.4", 25 * 1024 * 1024, "quá lớn"),
        ("bang.xlsx", b"PK\x03\x04", None, "chỉ nhận tệp"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_kept(
    chat: Chat,
    session_factory: SF,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: bytes,
    size: int | None,
    said: str,
) -> None:
    hide_ocr(tmp_path, monkeypatch)  # with OCR: test_a_photo_or_a_scan_is_read_by_ocr
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.upload(name, data, size=size)
    assert said in noivu.text
    assert "Kế hoạch mới từ văn bản" in noivu.text  # the question comes again
    assert await _count(session_factory, PlanDraft) == 0
    assert await _count(session_factory, Campaign) == 1


@pytest.mark.usefixtures("with_ocr")
async def test_a_photo_or_a_scan_is_read_by_ocr(
    chat: Chat, session_factory: SF, tmp_path: Path
) -> None:
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.upload("trang.png", _png(page_image(["", ""])), mime="image/png")
    assert "Không đọc được chữ nào" in noivu.text
    assert await _count(session_factory, PlanDraft) == 0
    await noivu.upload("anh-chup.png", plan_png(tmp_path / "a.png").read_bytes(), mime="image/png")
    assert "47/KH-UBND" in noivu.text
    assert "Hạn: 25/11/2019" in noivu.text
    assert await _count(session_factory, PlanDraft) == 1
    await _to_intake(noivu)
    scan = scanned_pdf(tmp_path / "b.pdf").read_bytes()
    await noivu.upload("ban-quet.pdf", scan, mime="application/pdf")
    assert "Hạn: 25/11/2019" in noivu.text


async def test_a_docx_is_read(chat: Chat) -> None:
    document = docx.Document()
    for line in PLAN.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.upload("ke-hoach.docx", out.getvalue(), mime="application/msword")
    assert "Hạn: 25/11/2019" in noivu.text


async def test_a_text_without_deadline_offers_to_add_or_cancel(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.send(NO_DEADLINE)
    assert "Không tìm thấy hạn nộp" in noivu.text
    assert noivu.buttons == ["➕ Thêm nội dung", "🗑 Hủy bản nháp"]
    await noivu.press("Hủy bản nháp")
    assert "không có kế hoạch nào được tạo" in noivu.text
    assert await _count(session_factory, Campaign) == 1


async def test_bad_due_and_unknown_unit_change_nothing(chat: Chat) -> None:
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.send(PLAN)
    await noivu.press("Xem/sửa nội dung 1")
    await noivu.press("Sửa hạn")
    await noivu.send("31/2/2020")
    assert "Chưa hiểu hạn" in noivu.text
    assert "Gõ hạn cho nội dung 1" in noivu.text
    await noivu.send("15/11/2019")
    await noivu.press("Đơn vị thực hiện")
    await noivu.press("Gõ mã")
    await noivu.send("P-BADINH, KHONG-CO")
    assert "Không tìm thấy đơn vị «KHONG-CO»" in noivu.text
    await noivu.send("p-badinh")
    assert "Đơn vị thực hiện: P-BADINH" in noivu.text
    await noivu.press("Sửa tên")
    await noivu.send("  Kế hoạch   của phường  ")
    assert "Tên: Kế hoạch của phường" in noivu.text
    await noivu.press("Đổi loại")
    assert noivu.buttons == ["Kế hoạch", "Báo cáo", "Danh sách đề nghị", "Hồ sơ", "Sự kiện"]
    await noivu.press_data("intake.kind:khac")  # forged: not offered
    assert "Vui lòng chọn" in noivu.text
    await noivu.press("Kế hoạch")
    assert "Loại: Kế hoạch" in noivu.text


async def test_create_needs_an_accepted_item_with_a_day(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_intake(noivu)
    await noivu.send(PLAN)
    await noivu.press("Tạo kế hoạch")
    assert "Chưa thể tạo kế hoạch" in noivu.text
    assert await _count(session_factory, Campaign) == 1


async def test_units_cannot_open_intake(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/kehoach")
    assert "Kế hoạch mới từ văn bản" not in badinh.text

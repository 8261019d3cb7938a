"""/hoso: a unit's submissions and nominations with their files, at any time.

The secretariat reaches it from a unit's checklist (``/tinhhinh ĐƠN-VỊ`` → "📂 Hồ sơ, tệp đã
gửi") or with ``/hoso ĐƠN-VỊ``; an item comes with its file as a document, before and after it
was reviewed. A unit head browses only their own unit.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.flows.browse import PAGE, Open
from handlers.queries.unit_items import ItemKind, find_item
from storage.models import AuditLog, Submission
from storage.repositories.units import UnitRepository
from tests.harness import ChatHarness
from tests.samples import pdf_bytes

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
PLAN = pdf_bytes("ke hoach Ba Dinh")


async def _send_plan(badinh: ChatHarness) -> None:
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.upload("Kế hoạch Ba Đình.pdf", PLAN)
    await badinh.press("Xác nhận gửi")
    assert "Đã lưu" in badinh.text


async def test_secretariat_opens_a_units_file_from_its_checklist(
    chat: Chat, session_factory: SF
) -> None:
    await _send_plan(chat("badinh"))
    noivu = chat("noivu")
    await noivu.send("/tinhhinh Ba Đình")
    assert "Phường Ba Đình — các nội dung phải nộp" in noivu.text
    await noivu.press("Hồ sơ, tệp đã gửi")
    assert "Hồ sơ, tệp đã gửi — Phường Ba Đình" in noivu.text
    assert "1 mục" in noivu.text and "chờ duyệt" in noivu.text
    await noivu.press("Kế hoạch tổ chức")
    (reply,) = noivu.replies
    assert reply.file is not None and reply.file.data == PLAN
    assert reply.file.name == "Kế hoạch Ba Đình.pdf"
    assert "Phiên bản 1" in reply.text and "chờ duyệt" in reply.text
    async with session_factory() as s:
        audit = (await s.scalars(select(AuditLog).where(AuditLog.action == "file.open"))).one()
    assert audit.detail["unit"] == "P-BADINH"

    # Accepted, it is still at hand (not only while it waits in /duyet).
    await noivu.send("/duyet P-BADINH")
    await noivu.press("Tiếp nhận")
    await noivu.send("/hoso P-BADINH")
    assert "đã tiếp nhận" in noivu.text
    await noivu.press("Kế hoạch tổ chức")
    assert noivu.replies[0].file is not None and noivu.replies[0].file.data == PLAN
    await noivu.press("Danh sách")
    assert "Hồ sơ, tệp đã gửi — Phường Ba Đình" in noivu.text
    await noivu.press("Xong")
    assert "Đã đóng hồ sơ" in noivu.text


async def test_the_list_pages_and_names_the_nominations(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/hoso")
    assert "đơn vị nào" in noivu.text
    await noivu.send("Bắc Sơn")
    first = noivu.text
    assert "Hồ sơ, tệp đã gửi — Phường Bắc Sơn" in first and "🏅 Phạm Văn Thắng" in first
    if "➕ Xem thêm" in noivu.buttons:
        assert len([b for b in noivu.buttons if b not in ("➕ Xem thêm", "✅ Xong")]) == PAGE
        await noivu.press("Xem thêm")
        assert f"đang xem {PAGE + 1}–" in noivu.text
    await noivu.send("/hoso Không Có")
    assert "Không tìm thấy đơn vị «Không Có»" in noivu.text


async def test_a_unit_head_browses_only_their_own_unit(chat: Chat, session_factory: SF) -> None:
    await _send_plan(chat("badinh"))
    badinh = chat("badinh")
    await badinh.send("/hoso Bắc Sơn")
    assert "chỉ được xem" in badinh.text
    await badinh.send("/tinhhinh")
    await badinh.press("Hồ sơ, tệp đã gửi")
    assert "Hồ sơ, tệp đã gửi — Phường Ba Đình" in badinh.text
    await badinh.press("Kế hoạch tổ chức")
    assert badinh.replies[0].file is not None

    # A forged press for another unit's item opens nothing.
    async with session_factory() as s:
        bacson = await UnitRepository(s).get_by_code("P-BACSON")
        assert bacson is not None
        other = (
            await s.scalars(select(Submission).where(Submission.unit_id == bacson.id))
        ).first()
        assert other is not None
    await badinh.send("/hoso")
    await badinh.press_data(Open(kind=ItemKind.SUBMISSION, item_id=other.id).pack())
    assert all(r.file is None for r in badinh.replies)
    assert "hết hiệu lực" in badinh.text


async def test_an_item_of_another_unit_is_never_found(session_factory: SF) -> None:
    async with session_factory() as s:
        units = await UnitRepository(s).by_codes(["P-BACSON", "P-BADINH"])
        sub = (
            await s.scalars(select(Submission).where(Submission.unit_id == units["P-BACSON"].id))
        ).first()
        assert sub is not None
        assert await find_item(s, ItemKind.SUBMISSION, sub.id, units["P-BACSON"].id)
        assert await find_item(s, ItemKind.SUBMISSION, sub.id, units["P-BADINH"].id) is None
        assert (
            await find_item(s, ItemKind.NOMINATION, sub.id + 10_000, units["P-BACSON"].id) is None
        )

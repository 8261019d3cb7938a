"""/kehoach intake → an item's units (by block…), a dossier's parts and its accepted file types.

Driven through the chat harness on the Bỉm Sơn demo (noivu is the secretariat; the demo's
blocks are "Khối xã, phường" (8 units), "Khối cơ quan" (4), "Khối doanh nghiệp" (3) and
"Khối Đảng - đoàn thể" (6)).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.services.invites import ensure_account
from storage.models import Campaign, PlanDraft, Requirement, Role
from tests.harness import ChatHarness, Clock

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

pytestmark = pytest.mark.usefixtures("demo")

PLAN = """UỶ BAN NHÂN DÂN THỊ XÃ BỈM SƠN
Số: 46/KH-UBND
Bỉm Sơn, ngày 01 tháng 11 năm 2019

KẾ HOẠCH
Sơ kết công tác thi đua năm 2019

1. Các cơ quan gửi báo cáo sơ kết về Phòng Nội vụ trước ngày 25/11/2019.
2. Các đơn vị gửi hồ sơ đề nghị khen thưởng chậm nhất ngày 10/12/2019.
"""


async def _upload(h: ChatHarness) -> None:
    await h.send("/kehoach")
    await h.press("Kế hoạch mới từ văn bản")
    await h.upload("ke-hoach.txt", PLAN.encode(), mime="text/plain")
    assert "Xem/sửa nội dung 2" in h.buttons


async def _draft_items(sf: SF) -> list[dict[str, object]]:
    async with sf() as s:
        draft = (await s.scalars(select(PlanDraft))).one()
        items: list[dict[str, object]] = draft.plan["items"]
        return items


async def _link_head(sf: SF, clock: Clock, handle: str, unit: str) -> None:
    async with sf.begin() as s:
        assert await ensure_account(
            s,
            channel="console",
            external_id=handle,
            full_name=f"Trưởng {unit}",
            role=Role.UNIT_HEAD,
            unit_code=unit,
            now=clock(),
        )


async def test_units_by_block_parts_and_types_reach_the_requirements(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    noivu = chat("noivu")
    await _upload(noivu)

    # item 1: the agencies' block, PDF or Word only
    await noivu.press("Xem/sửa nội dung 1")
    await noivu.press("Đơn vị thực hiện")
    assert "Theo khối thi đua" in noivu.buttons
    await noivu.press("Theo khối thi đua")
    assert noivu.buttons == [
        "Khối cơ quan (4 đơn vị)",
        "Khối doanh nghiệp (3 đơn vị)",
        "Khối Đảng - đoàn thể (6 đơn vị)",
        "Khối xã, phường (8 đơn vị)",
        "↩️ Quay lại nội dung",
    ]
    await noivu.press_data("intake.ublock:9")  # forged: not offered
    assert "Vui lòng chọn" in noivu.text
    await noivu.press("Khối cơ quan (4 đơn vị)")
    assert "Đơn vị thực hiện: Khối cơ quan" in noivu.text
    await noivu.press("Loại tệp nhận")
    assert "Hiện tại: mặc định" in noivu.text
    before = await _draft_items(session_factory)
    await noivu.send("pdf, exe")
    assert "Không nhận loại tệp exe" in noivu.text
    assert await _draft_items(session_factory) == before  # refused: nothing changed
    await noivu.press("PDF hoặc Word")
    assert "Loại tệp nhận: pdf, doc, docx" in noivu.text
    await noivu.press("✅ Nhận")

    # item 2: a dossier — its parts are asked at once, then typed types
    await noivu.press("Xem/sửa nội dung 2")
    await noivu.press("Đổi loại")
    await noivu.press("Hồ sơ")
    assert "thành phần hồ sơ của nội dung 2" in noivu.text
    await noivu.send("x" * 200)
    assert "tối đa 120 ký tự" in noivu.text
    await noivu.send("1. Tờ trình đề nghị\n2. Báo cáo thành tích\n- tờ trình đề nghị\n\n")
    assert "Thành phần hồ sơ: Tờ trình đề nghị; Báo cáo thành tích" in noivu.text
    await noivu.press("Loại tệp nhận")
    await noivu.send(".PDF .docx")
    assert "Loại tệp nhận: pdf, docx" in noivu.text
    await noivu.press("✅ Nhận")

    await noivu.press("Tạo kế hoạch")
    assert "Khối cơ quan" in noivu.text
    await noivu.press("Tạo kế hoạch")
    assert "Đã tạo kế hoạch" in noivu.text

    async with session_factory() as s:
        campaign = (await s.scalars(select(Campaign).where(Campaign.code.like("KH-%")))).one()
        reqs = list(
            await s.scalars(
                select(Requirement)
                .where(Requirement.campaign_id == campaign.id)
                .order_by(Requirement.position)
            )
        )
    assert [(r.kind.value, r.unit_blocks, r.parts, r.accept) for r in reqs] == [
        ("report", ["Khối cơ quan"], [], ["pdf", "doc", "docx"]),
        ("dossier", [], ["Tờ trình đề nghị", "Báo cáo thành tích"], ["pdf", "docx"]),
    ]

    await _link_head(session_factory, clock, "pgd", "CQ-PGDDT")
    pgd = chat("pgd")
    await pgd.send("/nop")
    assert "Các cơ quan gửi báo cáo sơ kết" in pgd.text
    badinh = chat("badinh")
    await badinh.send("/nop")
    assert "Các cơ quan gửi báo cáo sơ kết" not in badinh.text
    assert "Các đơn vị gửi hồ sơ" in badinh.text


async def test_a_dossier_without_parts_is_not_created(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _upload(noivu)
    await noivu.press("Xem/sửa nội dung 2")
    await noivu.press("Đổi loại")
    await noivu.press("Hồ sơ")
    await noivu.press("Quay lại nội dung")
    assert "Thành phần hồ sơ: chưa có" in noivu.text
    await noivu.press("✅ Nhận")
    await noivu.press("Tạo kế hoạch")
    assert "chưa có thành phần nào" in noivu.text
    async with session_factory() as s:
        assert (await s.scalars(select(Campaign).where(Campaign.code.like("KH-%")))).all() == []


async def test_back_changes_nothing_and_all_units_resets(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _upload(noivu)
    await noivu.press("Xem/sửa nội dung 1")
    await noivu.press("Đơn vị thực hiện")
    await noivu.press("Theo khối thi đua")
    await noivu.press("Khối doanh nghiệp (3 đơn vị)")
    await noivu.press("Đơn vị thực hiện")
    await noivu.press("Quay lại nội dung")
    assert "Đơn vị thực hiện: Khối doanh nghiệp" in noivu.text
    await noivu.press("Đơn vị thực hiện")
    await noivu.press("Tất cả đơn vị")
    assert "Đơn vị thực hiện: tất cả đơn vị" in noivu.text
    items = await _draft_items(session_factory)
    assert items[0]["units"] == {"mode": "all"}

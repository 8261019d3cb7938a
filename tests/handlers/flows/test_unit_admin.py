"""/donvi: the secretariat keeps its units and the people in them from the chat.

On the Bỉm Sơn demo, noivu is the secretariat and badinh the head of P-BADINH; P-BACSON has
items awaiting review (it cannot be retired).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.flows import unit_admin
from handlers.services.people import remove_person
from storage.models import AuditLog, Person, Unit
from tests.harness import ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]

pytestmark = pytest.mark.usefixtures("demo")


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


async def _unit(sf: SF, code: str) -> Unit:
    async with sf() as s:
        return (await s.scalars(select(Unit).where(Unit.code == code))).one()


async def test_the_list_names_every_unit_and_who_can_be_reached(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi")
    assert "21 đang theo dõi, 0 đã ngừng" in noivu.text
    assert "✅ P-BADINH — Phường Ba Đình" in noivu.text
    assert "❌ P-BACSON — Phường Bắc Sơn" in noivu.text
    assert len([b for b in noivu.buttons if " — " in b]) == 21


async def test_a_unit_head_cannot_open_it(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/donvi")
    assert "chỉ dành cho Thường trực" in badinh.text


async def test_rename_a_unit_typed_by_its_name(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi")
    await noivu.send("Ba Đình")
    assert "Lãnh đạo UBND phường Ba Đình — Lãnh đạo đơn vị" in noivu.text
    await noivu.press("Đổi tên")
    await noivu.send("   ")
    assert "Tên đơn vị không hợp lệ" in noivu.text
    await noivu.send("Phường Ba Đình mới")
    assert "Đã đổi tên «Phường Ba Đình» thành «Phường Ba Đình mới»" in noivu.text
    assert (await _unit(session_factory, "P-BADINH")).name == "Phường Ba Đình mới"
    (entry,) = await _audit(session_factory, "unit.rename")
    assert entry.person_id is not None


async def test_retire_asks_first_and_refuses_with_pending_items(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi P-BACSON")
    await noivu.press("Ngừng theo dõi")
    assert "Ngừng theo dõi <b>Phường Bắc Sơn</b>?" in noivu.replies[0].text
    await noivu.press("Đồng ý")
    assert "đang chờ duyệt nên chưa thể ngừng" in noivu.text
    assert (await _unit(session_factory, "P-BACSON")).is_active
    await noivu.send("/donvi X-HALAN")
    await noivu.press("Ngừng theo dõi")
    await noivu.press("Không")
    assert "không có gì thay đổi" in noivu.text
    await noivu.press("Ngừng theo dõi")
    await noivu.press("Đồng ý")
    assert "Đã ngừng theo dõi Xã Hà Lan" in noivu.text
    assert "▶️ Theo dõi lại" in noivu.buttons
    await noivu.press("Theo dõi lại")
    assert "Đã theo dõi lại Xã Hà Lan" in noivu.text
    assert (await _unit(session_factory, "X-HALAN")).is_active


async def test_remove_a_head_from_the_chat(chat: Chat, session_factory: SF) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await noivu.send("/donvi P-BADINH")
    await noivu.press("Xóa Lãnh đạo")
    assert "Xóa <b>Lãnh đạo UBND phường Ba Đình</b>" in noivu.replies[0].text
    await noivu.press("Đồng ý")
    assert "Đã xóa Lãnh đạo UBND phường Ba Đình" in noivu.text
    assert "Chưa ai của đơn vị liên kết" in noivu.text
    await badinh.send("/nop")
    assert "chưa được liên kết" in badinh.text
    (entry,) = await _audit(session_factory, "person.remove")
    assert entry.detail["unit"] == "P-BADINH"


async def test_move_a_head_to_a_retired_or_unknown_unit_is_refused(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi X-HALAN")
    await noivu.press("Ngừng theo dõi")
    await noivu.press("Đồng ý")
    await noivu.send("/donvi P-BADINH")
    await noivu.press("Chuyển Lãnh đạo")
    await noivu.send("X-HALAN")
    assert "Xã Hà Lan đã ngừng theo dõi" in noivu.text
    await noivu.send("Không có đơn vị này")
    assert "Không tìm thấy đơn vị" in noivu.text
    assert await _audit(session_factory, "person.move") == []
    await noivu.send("P-BACSON")
    assert "Đã chuyển Lãnh đạo UBND phường Ba Đình từ Phường Ba Đình sang Phường Bắc Sơn" in (
        noivu.text
    )
    async with session_factory() as s:
        person = (await s.scalars(select(Person).where(Person.full_name.like("Lãnh đạo%")))).one()
    assert person.unit_id == (await _unit(session_factory, "P-BACSON")).id


async def test_a_unit_head_code_from_the_unit_page(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi P-BACSON")
    await noivu.press("Mã mời lãnh đạo")
    text = noivu.replies[0].text
    assert "Mã mời lãnh đạo Phường Bắc Sơn" in text and "start " in text
    code = text.split("<code>")[1].split("</code>")[0]
    head = chat("bacson")
    await head.send(f"/start {code}")
    assert "Phường Bắc Sơn" in head.text


async def test_a_person_removed_meanwhile_by_another_secretary(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    noivu = chat("noivu")
    await noivu.send("/donvi P-BADINH")
    await noivu.press("Xóa Lãnh đạo")
    async with session_factory() as s:
        badinh = (await s.scalars(select(Person).where(Person.full_name.like("Lãnh đạo%")))).one()
    async with session_factory.begin() as s:
        await remove_person(s, badinh.id, by=None, now=clock())
    await noivu.press("Đồng ý")
    assert "Không tìm thấy người dùng số" in noivu.text
    assert len(await _audit(session_factory, "person.remove")) == 1
    await noivu.send("/huy")


async def test_a_province_gets_counts_by_block_and_types_the_unit(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a few dozen units, a line per unit would be thousands: counts by block instead."""
    noivu = chat("noivu")
    await noivu.send("/donvi")
    listed = noivu.text.splitlines()
    reachable = sum(line.startswith("✅") and " — " in line for line in listed)  # not the legend
    unreachable = sum(line.startswith("❌") and " — " in line for line in listed)
    assert reachable + unreachable == 21
    await noivu.send("/huy")
    monkeypatch.setattr(unit_admin, "UNIT_BUTTONS", 5)  # the demo has 21 units
    await noivu.send("/donvi")
    text = noivu.text
    assert "21 đang theo dõi, 0 đã ngừng" in text and "Có 21 đơn vị" in text
    assert "P-BADINH" not in text and not [b for b in noivu.buttons if " — " in b]
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    counts = [
        tuple(int(n) for n in re.findall(r"(\d+) (?:đơn vị|có người|chưa)", line))
        for line in lines
    ]
    assert sum(c[0] for c in counts) == 21
    assert (sum(c[1] for c in counts), sum(c[2] for c in counts)) == (reachable, unreachable)
    await noivu.send("Ba Đình")
    assert "Lãnh đạo UBND phường Ba Đình — Lãnh đạo đơn vị" in noivu.text

"""Everyday questions typed in plain words, and labels matched by a part, through the core."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.intents import Intent
from handlers.kernel.callbacks import Ask
from handlers.queries.audiences import without_linked_head
from storage.models import Role, Unit
from storage.repositories.people import PeopleRepository
from storage.repositories.units import UnitRepository
from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]


async def _answer(chat: ChatHarness, text: str) -> str:
    await chat.send(text)
    return chat.text


async def test_secretariat_questions_answer_like_the_commands(chat: Chat) -> None:
    noivu = chat("noivu")
    late = await _answer(noivu, "/chuanop")
    for text in ("ai chưa nộp?", "Ai chua nop", "don vi nao chua nopp", "⏰ Ai chưa nộp?"):
        assert await _answer(noivu, text) == late, text
    unit = await _answer(noivu, "/tinhhinh ba dinh")
    assert await _answer(noivu, "Ba Đình đã nộp chưa?") == unit
    assert await _answer(noivu, "phuong ba dinh nop chua") == unit
    helped = await _answer(noivu, "/trogiup")
    assert await _answer(noivu, "huong dan") == helped


async def test_a_unit_head_gets_their_own_unit(chat: Chat) -> None:
    badinh = chat("badinh")
    own = await _answer(badinh, "/chuanop")
    assert await _answer(badinh, "ai chưa nộp") == own
    assert await _answer(badinh, "còn thiếu gì") == own
    assert await _answer(badinh, "han nop khi nao") == own
    assert "Bắc Sơn" not in own


async def test_question_inside_a_choice_step_is_answered(chat: Chat) -> None:
    noivu = chat("noivu")
    late = await _answer(noivu, "/chuanop")
    await noivu.send("/tinhhinh")
    assert noivu.buttons
    answer = await _answer(noivu, "ai chưa nộp?")
    assert answer == late and "Không tìm thấy đơn vị" not in answer
    await noivu.send("tình hình")
    assert "Không tìm thấy" not in noivu.text and noivu.buttons


async def test_unlinked_units(chat: Chat) -> None:
    noivu = chat("noivu")
    text = await _answer(noivu, "đơn vị nào chưa liên kết?")
    assert "chưa có lãnh đạo liên kết" in text
    assert "Ba Đình" not in text  # its head is linked
    badinh = chat("badinh")  # within the role: who of the unit is linked
    own = await _answer(badinh, "don vi nao chua lien ket")
    assert "Phường Ba Đình" in own and "lãnh đạo" in own and "Console" in own
    assert "chưa có lãnh đạo liên kết" not in own  # not the other units


async def test_unclear_text_offers_meanings(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("nộp")
    assert "Tôi chưa hiểu" not in noivu.text
    assert noivu.buttons
    late = await _answer(noivu, "/chuanop")
    await noivu.send("nộp")
    await noivu.press_data(Ask(intent=Intent.LATE).pack())
    assert noivu.text == late


async def test_free_text_step_keeps_the_text(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.press("Cá nhân")
    await badinh.send("Tình Hình")  # a name here, not the question
    assert "không hợp lệ" not in badinh.text
    assert "Tình hình nộp" not in badinh.text


async def test_label_matched_by_an_unambiguous_part(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.send("ca nhan")
    await badinh.send("Nguyễn Thị Hoa")
    await badinh.send("nu")
    await badinh.send("1985")
    await badinh.send("Chủ tịch Hội LHPN phường Ba Đình")
    assert "Giấy khen của Chủ tịch UBND thị xã" in badinh.buttons
    await badinh.send("khen")  # Giấy khen and Bằng khen: refused, both named
    assert "Giấy khen của Chủ tịch UBND thị xã" in badinh.text
    assert "Bằng khen của Chủ tịch UBND tỉnh" in badinh.text
    await badinh.send("giay khen")
    assert "Tóm tắt thành tích" in badinh.text
    await badinh.send("tien tien")  # the summary step: text, not an earlier choice
    assert "quá ngắn" in badinh.text


async def test_many_labels_containing_the_words_are_named_briefly(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Xem một đơn vị")
    await noivu.send("son")  # "… Sơn": many units
    assert "Có nhiều mục khớp" in noivu.text and "mục khác" in noivu.text
    await noivu.send("ngoc trao")
    assert "Phường Ngọc Trạo — các nội dung phải nộp" in noivu.text


async def test_a_choice_named_by_part_wins_over_a_question(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/thongbao")
    await noivu.send("Kính gửi các đơn vị: đề nghị nộp kế hoạch đúng hạn.")
    assert "Đơn vị chưa nộp…" in noivu.buttons
    await noivu.send("chưa nộp")  # the audience "Đơn vị chưa nộp…", not "ai chưa nộp?"
    assert "Ai chưa nộp?" not in noivu.text


async def test_unlinked_units_are_the_rules_and_a_long_list_is_cut(
    chat: Chat, session_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """The followed units without a linked head, as the accounts say; past 50, counted."""
    async with session_factory.begin() as s:
        bacson = (await s.scalars(select(Unit).where(Unit.code == "P-BACSON"))).one()
        bacson.deactivated_at = clock()  # retired: no invite to send
        badinh = (await s.scalars(select(Unit).where(Unit.code == "P-BADINH"))).one()
        s.add_all(
            Unit(code=f"P-MOI{n:02d}", name=f"Phường Mới {n:02d}", kind=badinh.kind)
            for n in range(40)
        )
    async with session_factory() as s:
        units = await UnitRepository(s).list_all()
        heads = {
            p.unit_id for _, p, _ in await PeopleRepository(s).linked_accounts([Role.UNIT_HEAD])
        }
        found = await without_linked_head(s)
    expected = [u.id for u in units if u.is_active and u.id not in heads]
    assert [u.id for u in found] == expected and len(expected) > 50
    text = await _answer(chat("noivu"), "đơn vị nào chưa liên kết?")
    assert f"{len(expected)} đơn vị chưa có lãnh đạo liên kết" in text
    assert f"… và {len(expected) - 50} đơn vị khác" in text
    assert "Phường Bắc Sơn" not in text

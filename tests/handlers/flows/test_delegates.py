"""/daibieu: a unit's delegates to the upper conference, through the chat harness (Bỉm Sơn demo).

In the demo Phường Ba Đình (``badinh``) has a quota of 15 delegates, other units 12; the list can
change until 15/04/2020 (the "DECU" requirement, whose title mentions "đại biểu").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.fields import ETHNIC_GROUPS, canonical_ethnicity
from handlers.flows.delegates import Menu, MenuAct, PickDelegate
from handlers.io.campaign_file import CampaignFileError, parse_campaign
from handlers.services.campaigns import load_campaign
from handlers.services.invites import create_invite
from storage.models import AuditLog, Campaign, Conversation, Delegate, DelegateCategory, Role, Unit
from storage.text import fold_text
from tests.handlers.io.test_campaign_file import DEMO
from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]


# --------------------------------------------------------------------------- helpers


async def _unit(sf: SF, code: str) -> Unit:
    async with sf() as s:
        return (await s.scalars(select(Unit).where(Unit.code == code))).one()


async def _seed(
    sf: SF,
    clock: Clock,
    code: str,
    exemplary: int,
    guests: int = 0,
    *,
    presidium: int = 0,
    women: int = 0,
) -> list[int]:
    """Put delegates on a unit's list directly (as if added earlier)."""
    unit = await _unit(sf, code)
    async with sf.begin() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        rows = []
        for i in range(exemplary + guests):
            category = DelegateCategory.EXEMPLARY if i < exemplary else DelegateCategory.GUEST
            row = Delegate(
                campaign_id=campaign.id,
                unit_id=unit.id,
                full_name=f"Đại biểu {code} {i + 1}",
                position="Cán bộ",
                category=category,
                gender="nu" if i < women else "nam",
                ethnicity="Kinh",
                in_presidium=i < presidium,
                status="active",
                created_at=clock(),
                updated_at=clock(),
            )
            s.add(row)
            rows.append(row)
        await s.flush()
        return [r.id for r in rows]


async def _rows(sf: SF, code: str | None = None) -> list[tuple[str, str]]:
    """(name, status) of every delegate row, of one unit when ``code`` is given."""
    async with sf() as s:
        stmt = select(Delegate.full_name, Delegate.status).order_by(Delegate.id)
        if code is not None:
            unit_id = select(Unit.id).where(Unit.code == code).scalar_subquery()
            stmt = stmt.where(Delegate.unit_id == unit_id)
        return [(n, st) for n, st in (await s.execute(stmt)).all()]


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return list(await s.scalars(stmt))


async def _state(sf: SF, user: str) -> str:
    async with sf() as s:
        row = await s.get(Conversation, ("console", user))
        return row.state if row is not None else "idle"


async def _link(chat: Chat, sf: SF, clock: Clock, role: Role, unit: str, user: str) -> ChatHarness:
    async with sf.begin() as s:
        invite, _ = await create_invite(
            s, role=role, unit_ref=unit, full_name=None, now=clock(), ttl=dt.timedelta(days=7)
        )
    harness = chat(user)
    await harness.send(f"/start {invite.code}")
    assert "Chào mừng" in harness.text
    return harness


async def _add(
    head: ChatHarness,
    name: str,
    *,
    category: str = "Điển hình",
    presidium: str = "Không",
    gender: str = "Nam",
) -> None:
    """Add one delegate through the wizard, pressing every button."""
    await head.press("Thêm đại biểu")
    await head.send(name)
    await head.press("Bỏ qua")
    await head.press(gender)
    await head.press("Kinh")
    await head.send("Cán bộ phường")
    await head.press(category)
    await head.press(presidium)
    await head.press("Lưu đại biểu")
    assert "Đã thêm đại biểu" in head.text, head.text


# --------------------------------------------------------------------------- adding


async def test_full_add_flow_with_typed_and_pressed_answers(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    assert "Đại biểu dự Hội nghị cấp trên — Phường Ba Đình" in badinh.text
    assert "0/15 đại biểu, 0 điển hình, 0 khách mời; đoàn chủ tịch 0" in badinh.text
    assert "Hạn chốt danh sách: 15/04/2020 (còn 155 ngày)" in badinh.text
    assert badinh.buttons == ["➕ Thêm đại biểu", "📥 Nhập từ tệp Excel", "✅ Xong"]

    await badinh.send("1")  # typed number of "Thêm đại biểu"
    assert "Họ và tên đại biểu" in badinh.text
    await badinh.send("  Nguyễn   Thị Hoa ")
    assert "Năm sinh" in badinh.text and badinh.buttons == ["⏭ Bỏ qua"]
    await badinh.send("1978")
    await badinh.send("nữ")  # typed label without the button
    assert "Dân tộc" in badinh.text and badinh.buttons == ["Kinh", "Khác: gõ tên"]
    await badinh.press("Khác")
    assert "Gõ tên dân tộc" in badinh.text
    await badinh.send("muong")
    assert "Chức vụ" in badinh.text
    await badinh.send("Chủ tịch Hội LHPN phường Ba Đình")
    await badinh.send("dien hinh")
    assert "đoàn chủ tịch" in badinh.text and badinh.buttons == ["Có", "Không"]
    await badinh.press("Có")
    assert "Nguyễn Thị Hoa — Nữ, sinh năm 1978, dân tộc Mường" in badinh.text
    assert "Thành phần: điển hình; thuộc đoàn chủ tịch" in badinh.text
    await badinh.press("Lưu đại biểu")

    assert "✅ Đã thêm đại biểu Nguyễn Thị Hoa (điển hình, đoàn chủ tịch)." in badinh.text
    assert "1/15 đại biểu, 1 điển hình (100%), 0 khách mời; đoàn chủ tịch 1" in badinh.text
    assert (
        "1. Nguyễn Thị Hoa (Nữ, 1978, Mường) — Chủ tịch Hội LHPN phường Ba Đình · điển hình"
        " · đoàn chủ tịch" in badinh.text
    )
    assert "⚠️ Đoàn chủ tịch có 1 người; kế hoạch quy định 5–7 người." in badinh.text
    assert badinh.buttons == [
        "➕ Thêm đại biểu",
        "📥 Nhập từ tệp Excel",
        "🗑 Rút một đại biểu",
        "✅ Xong",
    ]

    async with session_factory() as s:
        row = (await s.scalars(select(Delegate))).one()
    assert (row.full_name, row.gender, row.birth_year, row.ethnicity) == (
        "Nguyễn Thị Hoa",
        "nu",
        1978,
        "Mường",
    )
    assert row.category is DelegateCategory.EXEMPLARY and row.in_presidium
    assert row.status == "active" and row.position == "Chủ tịch Hội LHPN phường Ba Đình"
    (audit,) = await _audit(session_factory, "delegate.add")
    assert audit.entity == "delegate" and audit.entity_id == row.id
    assert audit.detail["unit"] == "P-BADINH" and audit.detail["name"] == "Nguyễn Thị Hoa"

    await badinh.press("Xong")
    assert "Danh sách đại biểu của Phường Ba Đình: 1/15 đại biểu" in badinh.text
    assert "đến hết ngày 15/04/2020" in badinh.text
    assert await _state(session_factory, "badinh") == "idle"


async def test_bad_answers_keep_the_step_and_save_nothing(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await badinh.send("/delegates")  # English alias
    await badinh.press("Thêm đại biểu")
    await badinh.send("1")
    assert "Họ tên/tên tập thể không hợp lệ" in badinh.text
    assert "Họ và tên đại biểu" in badinh.text  # the question again
    await badinh.send("Lê Văn Tám")
    await badinh.send("19x5")
    assert "Năm sinh không hợp lệ" in badinh.text and badinh.buttons == ["⏭ Bỏ qua"]
    await badinh.send("2")  # no such button
    assert "Năm sinh không hợp lệ" in badinh.text
    await badinh.press("Bỏ qua")
    await badinh.send("không rõ")
    assert "Vui lòng chọn một trong các mục" in badinh.text
    await badinh.press("Nam")
    await badinh.send("123")
    assert "Tên dân tộc không hợp lệ" in badinh.text
    await badinh.send("kinh")
    await badinh.upload("cv.pdf", b"%PDF-1.4")
    assert "Bước này không nhận tệp" in badinh.text
    await badinh.send("Bí thư chi bộ khu phố 3")
    await badinh.press("Khách mời")
    await badinh.press("Không")
    assert "Lê Văn Tám — Nam, dân tộc Kinh" in badinh.text  # no birth year
    await badinh.press("Hủy")
    assert "không lưu đại biểu này" in badinh.text
    assert "0/15 đại biểu" in badinh.text and "➕ Thêm đại biểu" in badinh.buttons
    assert await _rows(session_factory) == []
    assert await _audit(session_factory, "delegate.add") == []


async def test_cancel_mid_wizard_saves_nothing(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    await badinh.press("Thêm đại biểu")
    await badinh.send("Trần Văn Bình")
    await badinh.send("/huy")
    assert "Đã hủy" in badinh.text
    assert await _rows(session_factory) == []
    assert await _state(session_factory, "badinh") == "idle"


async def test_menu_button_opens_the_list(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/trogiup")
    assert "/daibieu — danh sách đại biểu dự Hội nghị cấp trên" in badinh.text
    await badinh.press("Đại biểu")
    assert "0/15 đại biểu" in badinh.text
    noivu = chat("noivu")
    await noivu.send("/trogiup")
    assert "/daibieu — đại biểu dự Hội nghị cấp trên của các đơn vị, chỉ xem" in noivu.text


# --------------------------------------------------------------------------- quota


async def test_adding_beyond_the_quota_is_refused_and_changes_nothing(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _seed(session_factory, clock, "P-BADINH", 11, 4, presidium=5, women=3)
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    assert "15/15 đại biểu, 11 điển hình (73%), 4 khách mời; đoàn chủ tịch 5" in badinh.text
    assert "ℹ️ Đơn vị đã đăng ký đủ chỉ tiêu 15 đại biểu." in badinh.text
    before = await _rows(session_factory)

    await badinh.press("Thêm đại biểu")
    assert (
        "⛔ Đơn vị đã đăng ký đủ 15/15 đại biểu theo chỉ tiêu được phân bổ; không thể thêm "
        "người. Muốn thay người, hãy rút một đại biểu trước. Danh sách không thay đổi."
    ) in badinh.text
    assert "➕ Thêm đại biểu" in badinh.buttons  # the menu again, nothing changed
    assert await _rows(session_factory) == before
    assert await _audit(session_factory, "delegate.add") == []


async def test_the_last_seat_taken_meanwhile_is_refused_at_confirmation(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _seed(session_factory, clock, "P-BADINH", 10, 4, presidium=5, women=2)
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    await badinh.press("Thêm đại biểu")
    for answer in ("Phạm Văn Cường", "1980", "Nam", "Kinh", "Tổ trưởng TDP 5", "Điển hình"):
        await badinh.send(answer)
    await badinh.send("Không")
    assert "Kiểm tra thông tin đại biểu" in badinh.text
    await _seed(session_factory, clock, "P-BADINH", 1)  # another head took the 15th seat
    before = await _rows(session_factory)

    await badinh.press("Lưu đại biểu")
    assert "không thể thêm người" in badinh.text and "Danh sách không thay đổi" in badinh.text
    assert await _rows(session_factory) == before
    assert len(before) == 15


async def test_list_over_quota_shows_the_error(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _seed(session_factory, clock, "P-BACSON", 10, 4, presidium=5, women=1)
    noivu = chat("noivu")
    await noivu.send("/daibieu P-BACSON")
    assert "14/12 đại biểu" in noivu.text
    assert "⛔ Đơn vị đã đăng ký 14 đại biểu, vượt chỉ tiêu 12 được phân bổ (thừa 2)." in (
        noivu.text
    )
    await noivu.send("/daibieu")
    assert "⛔ P-BACSON — Phường Bắc Sơn: 14/12" in noivu.text


# --------------------------------------------------------------------------- findings


async def test_ratio_and_presidium_warnings_in_the_summary(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _seed(session_factory, clock, "P-BADINH", 5, 5, presidium=3, women=2)
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    text = badinh.text
    assert "10/15 đại biểu, 5 điển hình (50%), 5 khách mời; đoàn chủ tịch 3" in text
    assert (
        "⚠️ Tỷ lệ đại biểu điển hình 50 % (5/10), thấp hơn khoảng 70 % theo kế hoạch; "
        "nên bổ sung điển hình hoặc giảm khách mời." in text
    )
    assert "⚠️ Đoàn chủ tịch có 3 người; kế hoạch quy định 5–7 người." in text
    assert "ℹ️ Hội nghị điển hình tiên tiến của đơn vị tối đa 150 đại biểu." in text
    assert "toàn thể" not in text  # a ward holds a delegate conference in Bỉm Sơn
    # Warnings do not block: two more exemplary delegates in the presidium clear both.
    await _add(badinh, "Đỗ Văn Một", presidium="Có")
    await _add(badinh, "Đỗ Văn Hai", presidium="Có")
    assert "12/15 đại biểu, 7 điển hình (58%), 5 khách mời; đoàn chủ tịch 5" in badinh.text
    assert "⚠️ Đoàn chủ tịch" not in badinh.text
    assert "⚠️ Tỷ lệ đại biểu điển hình 58 % (7/12)" in badinh.text
    await _add(badinh, "Đỗ Văn Ba")
    assert "13/15 đại biểu, 8 điển hình (62%), 5 khách mời; đoàn chủ tịch 5" in badinh.text
    assert "⚠️" not in badinh.text


async def test_plenary_note_for_an_enterprise_under_200_workers(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    assert (await _unit(session_factory, "DN-MTDT")).staff_count == 185
    head = await _link(chat, session_factory, clock, Role.UNIT_HEAD, "DN-MTDT", "mtdt")
    await head.send("/daibieu")
    assert "0/12 đại biểu" in head.text
    assert (
        "ℹ️ Đơn vị có 185 lao động (dưới 200) nên tổ chức hội nghị toàn thể, "
        "không phải hội nghị đại biểu." in head.text
    )
    noivu = chat("noivu")
    await noivu.send("/daibieu DN-XIMANG")
    assert "0/20 đại biểu" in noivu.text
    assert "Đơn vị có 1050 lao động (từ 200 trở lên) nên tổ chức hội nghị đại biểu" in noivu.text


# --------------------------------------------------------------------------- withdrawing


async def test_withdraw_one_delegate(chat: Chat, session_factory: SF, clock: Clock) -> None:
    ids = await _seed(session_factory, clock, "P-BADINH", 2, 1)
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    assert "3/15 đại biểu" in badinh.text
    await badinh.press("Rút một đại biểu")
    assert badinh.buttons == [
        "1. Đại biểu P-BADINH 1",
        "2. Đại biểu P-BADINH 2",
        "3. Đại biểu P-BADINH 3",
        "⬅️ Quay lại",
    ]
    await badinh.send("2")
    assert "Rút đại biểu Đại biểu P-BADINH 2 khỏi danh sách?" in badinh.text
    await badinh.press("Không rút")
    assert "3/15 đại biểu" in badinh.text
    await badinh.press("Rút một đại biểu")
    await badinh.press("Đại biểu P-BADINH 2")
    await badinh.press("Xác nhận rút")
    assert "🗑 Đã rút đại biểu Đại biểu P-BADINH 2 khỏi danh sách." in badinh.text
    assert "2/15 đại biểu, 1 điển hình (50%), 1 khách mời" in badinh.text
    assert "Đại biểu P-BADINH 2 (" not in badinh.text
    assert await _rows(session_factory) == [
        ("Đại biểu P-BADINH 1", "active"),
        ("Đại biểu P-BADINH 2", "withdrawn"),
        ("Đại biểu P-BADINH 3", "active"),
    ]
    (audit,) = await _audit(session_factory, "delegate.withdraw")
    assert audit.entity_id == ids[1] and audit.detail["unit"] == "P-BADINH"
    # The withdrawn one is not offered again and its old button is refused.
    await badinh.press("Rút một đại biểu")
    assert len(badinh.buttons) == 3
    await badinh.press_data(PickDelegate(delegate_id=ids[1]).pack())
    assert "hết hiệu lực" in badinh.text


# --------------------------------------------------------------------------- deadline


async def test_read_only_after_the_deadline(chat: Chat, session_factory: SF, clock: Clock) -> None:
    await _seed(session_factory, clock, "P-BADINH", 3, 1)
    badinh = chat("badinh")
    clock.set("2020-04-15T22:00")  # the last day is still open
    await badinh.send("/daibieu")
    assert "(hôm nay là hạn cuối)" in badinh.text and "➕ Thêm đại biểu" in badinh.buttons

    clock.set("2020-04-16T08:00")  # the menu was left open overnight
    await badinh.press("Thêm đại biểu")
    assert "Đã quá hạn chốt danh sách đại biểu (15/04/2020)" in badinh.text
    await badinh.press_data(Menu(act=MenuAct.WITHDRAW).pack())
    assert "Đã quá hạn chốt danh sách đại biểu" in badinh.text

    await badinh.send("/daibieu")
    assert "4/15 đại biểu" in badinh.text
    assert "Hạn chốt danh sách: 15/04/2020 (đã quá hạn)" in badinh.text
    assert "🔒 Đã quá hạn chốt danh sách: chỉ xem" in badinh.text
    assert badinh.buttons == []
    assert await _state(session_factory, "badinh") == "idle"
    await badinh.press_data(Menu(act=MenuAct.ADD).pack())
    assert "hết hiệu lực" in badinh.text
    assert [st for _, st in await _rows(session_factory)] == ["active"] * 4


async def test_settings_due_date_wins_over_the_requirement(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        settings = dict(campaign.settings)
        settings["delegates"] = {**settings["delegates"], "due": "31/3/2020"}
        campaign.settings = settings
    clock.set("2020-04-01T08:00")
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    assert "Hạn chốt danh sách: 31/03/2020 (đã quá hạn)" in badinh.text
    assert badinh.buttons == []


async def test_broken_settings_in_the_database_are_reported(
    chat: Chat, session_factory: SF
) -> None:
    async with session_factory.begin() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        campaign.settings = {**campaign.settings, "delegates": {"quota": "mười"}}
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    assert "Thiết lập đại biểu của kế hoạch BIMSON-DHTT-2019 có lỗi" in badinh.text
    assert '"quota" phải là số nguyên' in badinh.text


# --------------------------------------------------------------------------- who sees what


async def test_two_campaigns_with_delegate_lists_ask_which_one(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    second = {
        "code": "DHTD-2020",
        "title": "Kế hoạch Đại hội Thi đua yêu nước thị xã",
        "requirements": [
            {
                "code": "DB",
                "title": "Danh sách đại biểu dự Đại hội",
                "kind": "nomination_list",
                "due": "30/6/2020",
            }
        ],
        "settings": {"delegates": {"quota": 3, "presidium": False}},
    }
    async with session_factory.begin() as s:
        await load_campaign(s, second, now=clock())
    badinh = chat("badinh")
    await badinh.send("/daibieu")
    assert "Chọn kế hoạch cần cập nhật danh sách đại biểu" in badinh.text
    assert len(badinh.buttons) == 2 and "BIMSON" not in badinh.text  # no internal codes
    assert "Kế hoạch Đại hội Thi đua yêu nước thị xã" in badinh.buttons
    await badinh.press("Kế hoạch Đại hội Thi đua yêu nước thị xã")
    assert "0/3 đại biểu" in badinh.text and "Hạn chốt danh sách: 30/06/2020" in badinh.text
    await _add(badinh, "Vũ Thị Lan", gender="Nữ")
    assert "1/3 đại biểu" in badinh.text
    assert "Chưa chọn ai vào đoàn chủ tịch" not in badinh.text  # presidium: false
    noivu = chat("noivu")
    await noivu.send("/daibieu")
    assert "Các đơn vị đã đăng ký 0/300 đại biểu" in noivu.text
    assert "Các đơn vị đã đăng ký 1/300 đại biểu; hạn chốt danh sách 30/06/2020." in noivu.text
    clock.set("2020-04-20T08:00")  # the Bỉm Sơn list is closed, the other still open
    await noivu.send("/daibieu P-BADINH")
    assert "🔒 Đã quá hạn chốt danh sách: chỉ xem, không thể thêm hoặc rút đại biểu.\n" in (
        noivu.text + "\n"
    )
    assert "liên hệ Thường trực" not in noivu.text


async def test_secretariat_views_any_unit_but_cannot_edit(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    ids = await _seed(session_factory, clock, "P-BADINH", 3, 1, presidium=1, women=1)
    noivu = chat("noivu")
    await noivu.send("/daibieu")
    assert "Các đơn vị đã đăng ký 4/300 đại biểu; hạn chốt danh sách 15/04/2020." in noivu.text
    assert "⚠️ P-BADINH — Phường Ba Đình: 4/15 (3 điển hình, 1 khách mời, đoàn chủ tịch 1)" in (
        noivu.text
    )
    assert "• P-BACSON — Phường Bắc Sơn: 0/12" in noivu.text
    assert noivu.buttons == []

    await noivu.send("/daibieu ba dinh")
    assert "Đại biểu dự Hội nghị cấp trên — Phường Ba Đình" in noivu.text
    assert "4/15 đại biểu, 3 điển hình (75%), 1 khách mời; đoàn chủ tịch 1" in noivu.text
    assert "⚠️ Đoàn chủ tịch có 1 người" in noivu.text
    assert "Chỉ xem: lãnh đạo đơn vị cập nhật danh sách" in noivu.text
    assert noivu.buttons == []
    for data in (
        Menu(act=MenuAct.ADD).pack(),
        Menu(act=MenuAct.WITHDRAW).pack(),
        PickDelegate(delegate_id=ids[0]).pack(),
    ):
        await noivu.press_data(data)
        assert "hết hiệu lực" in noivu.text
    await noivu.send("/daibieu KHONG-CO")
    assert "Không tìm thấy đơn vị «KHONG-CO»" in noivu.text
    assert [st for _, st in await _rows(session_factory)] == ["active"] * 4


async def test_unit_head_cannot_see_or_edit_another_unit(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    other = await _seed(session_factory, clock, "P-BACSON", 2)
    badinh = chat("badinh")
    await badinh.send("/daibieu P-BACSON")
    assert "chỉ được xem và thao tác trên hồ sơ của đơn vị mình" in badinh.text
    assert "Phường Bắc Sơn" not in badinh.text
    await badinh.send("/daibieu P-BADINH")  # the own code is fine
    assert "Phường Ba Đình" in badinh.text
    await badinh.press_data(PickDelegate(delegate_id=other[0]).pack())  # a forged press
    assert "hết hiệu lực" in badinh.text
    assert await _rows(session_factory, "P-BACSON") == [
        ("Đại biểu P-BACSON 1", "active"),
        ("Đại biểu P-BACSON 2", "active"),
    ]


async def test_unit_member_sees_the_list_read_only(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _seed(session_factory, clock, "P-BADINH", 1)
    member = await _link(chat, session_factory, clock, Role.UNIT_MEMBER, "P-BADINH", "cb-1")
    await member.send("/daibieu")
    assert "1/15 đại biểu" in member.text and member.buttons == []
    assert "Chỉ xem" in member.text


async def test_group_chat_is_refused(chat: Chat, session_factory: SF) -> None:
    for user in ("badinh", "noivu"):
        group = chat(user, private=False)
        await group.send("/daibieu")
        assert "nhắn riêng" in group.text
        assert "đại biểu" not in group.text.lower().replace("nhắn riêng", "")
    assert await _state(session_factory, "badinh") == "idle"


async def test_unlinked_people_get_no_data(chat: Chat) -> None:
    stranger = chat("stranger")
    await stranger.send("/daibieu P-BADINH")
    assert "chưa được liên kết" in stranger.text and "Ba Đình" not in stranger.text


# --------------------------------------------------------------------------- campaign file


def _demo_with(delegates: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["settings"]["delegates"] = delegates
    return data


def test_demo_campaign_file_with_delegates_is_valid() -> None:
    spec = parse_campaign(DEMO)
    assert spec.settings["delegates"]["quota"]["units"]["P-BADINH"] == 15
    assert spec.settings["quotas"] == {"unit_max_delegates": 150, "town_max_delegates": 300}


@pytest.mark.parametrize(
    ("delegates", "expected"),
    [
        ({"quota": {"default": -3}}, '"quota → default" phải là số nguyên từ 0 đến 300.'),
        ({"presidium": {"min": 7, "max": 5}}, '"presidium": "min" (7) lớn hơn "max" (5).'),
        ({"exemplary_percent": "70%"}, '"exemplary_percent" phải là số nguyên từ 0 đến 100.'),
        ({"plenary": {"unit_kinds": ["xi_nghiep"]}}, 'không có loại đơn vị "xi_nghiep"'),
        ({"due": "15/13/2020"}, 'ngày "15/13/2020" không tồn tại'),
        ({"chi_tieu": 12}, 'không có khóa "chi_tieu"'),
    ],
)
def test_bad_delegate_settings_in_a_campaign_file(delegates: Any, expected: str) -> None:
    with pytest.raises(CampaignFileError) as err:
        parse_campaign(_demo_with(delegates))
    (problem,) = err.value.problems
    assert problem.startswith('trường "settings" (thiết lập): Thiết lập đại biểu (delegates): ')
    assert expected in problem


def test_bad_delegate_settings_in_yaml_text_name_the_line() -> None:
    text = DEMO.read_text(encoding="utf-8").replace(
        "presidium: {min: 5, max: 7}", "presidium: {min: 5, max: 70}"
    )
    with pytest.raises(CampaignFileError) as err:
        parse_campaign(text.encode("utf-8"))
    (problem,) = err.value.problems
    assert problem.startswith("Dòng ")
    assert '"presidium → max" phải là số nguyên từ 1 đến 50.' in problem


# --------------------------------------------------------------------------- ethnicity


def test_the_54_ethnic_groups_fold_to_distinct_names() -> None:
    assert len(ETHNIC_GROUPS) == 54
    assert len({fold_text(n).replace(" ", "") for n in ETHNIC_GROUPS}) == 54


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("kinh", "Kinh"),
        ("MƯỜNG", "Mường"),
        ("H'Mông", "Mông"),
        ("ê-đê", "Ê Đê"),
        ("Bru - Vân Kiều", "Bru-Vân Kiều"),
        ("khơ me", "Khmer"),
        ("người Pháp", "Người Pháp"),
        ("1", None),
        ("K", None),
        ("Kinh; DROP", None),
    ],
)
def test_ethnicity_names_are_canonical(typed: str, stored: str | None) -> None:
    assert canonical_ethnicity(typed) == stored

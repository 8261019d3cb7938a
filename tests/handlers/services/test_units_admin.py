"""Units as an office has them: kinds with aliases, retire/reactivate, rename, who is linked.

On the Bỉm Sơn demo only P-BADINH has a linked head (badinh); P-BACSON has six nominations
awaiting review.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.domain.errors import UserError
from handlers.domain.vocab import UNIT_KINDS, unit_kind_from_text
from handlers.kernel.texts import Texts
from handlers.services.reminders import plan_notices, unreachable_summary
from handlers.services.units import (
    find_unit_by_code,
    list_units,
    rename_unit,
    set_unit_active,
)
from storage.models import AuditLog, Role, Unit
from tests.harness import TZ, ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Sở", "so_ban_nganh"),
        ("Sở/ban/ngành", "so_ban_nganh"),
        ("Huyện", "huyen_thi_xa"),
        ("Thị xã", "huyen_thi_xa"),
        ("UBND thành phố", "huyen_thi_xa"),
        ("UBND xã", "xa_phuong"),
        ("Thị trấn", "xa_phuong"),
        ("Bệnh viện", "benh_vien"),
        ("Trung tâm Y tế", "benh_vien"),
        ("Cơ quan", "co_quan"),
        ("Khoa/phòng", "khoa_phong"),
        ("Khác", "khac"),
        ("Hành tinh", None),
    ],
)
def test_unit_kinds_cover_commune_district_and_province(text: str, kind: str | None) -> None:
    assert unit_kind_from_text(text) == kind


def test_every_kind_reads_back_from_its_label() -> None:
    assert len(UNIT_KINDS) == 10
    for code, label in UNIT_KINDS.items():
        assert unit_kind_from_text(label) == code
        assert unit_kind_from_text(code) == code


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


async def _unit(sf: SF, code: str) -> Unit:
    async with sf() as s:
        return await find_unit_by_code(s, code)


@pytest.mark.usefixtures("demo")
async def test_a_unit_with_items_awaiting_review_cannot_be_retired(
    session_factory: SF, clock: Clock
) -> None:
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            unit = await find_unit_by_code(s, "p-bacson")
            await set_unit_active(s, unit, False, person_id=None, now=clock())
    assert (err.value.key, err.value.params) == (
        "unit_has_pending",
        {"name": "Phường Bắc Sơn", "count": 6},
    )
    assert (await _unit(session_factory, "P-BACSON")).is_active
    assert await _audit(session_factory, "unit.deactivate") == []


@pytest.mark.usefixtures("demo")
async def test_unknown_unit_code_and_bad_name_change_nothing(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory() as s:
        with pytest.raises(UserError) as err:
            await find_unit_by_code(s, "KHONG-CO")
    assert (err.value.key, err.value.params) == ("unit_not_found", {"ref": "KHONG-CO"})
    for bad in ("", "  ", "1", "12345"):
        with pytest.raises(UserError) as err:
            async with session_factory.begin() as s:
                unit = await find_unit_by_code(s, "P-BADINH")
                await rename_unit(s, unit, bad, person_id=None, now=clock())
        assert err.value.key == "unit_name_invalid"
    assert (await _unit(session_factory, "P-BADINH")).name == "Phường Ba Đình"


@pytest.mark.usefixtures("demo")
async def test_rename_is_audited(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "P-BADINH")
        assert (
            await rename_unit(s, unit, "  Phường  Ba Đình ", person_id=None, now=clock()) is False
        )
        assert await rename_unit(s, unit, "UBND phường Ba Đình", person_id=None, now=clock())
    assert (await _unit(session_factory, "P-BADINH")).name == "UBND phường Ba Đình"
    (row,) = await _audit(session_factory, "unit.rename")
    assert row.detail == {
        "code": "P-BADINH",
        "old": "Phường Ba Đình",
        "new": "UBND phường Ba Đình",
    }


@pytest.mark.usefixtures("demo")
async def test_a_retired_unit_owes_nothing_and_gets_no_reminder(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    texts = Texts()
    at = parse_now("2019-11-14T08:00", TZ)  # the day-before reminder of the plan
    async with session_factory() as s:
        before = [p for p in await plan_notices(s, texts, at) if p.unit_name == "Phường Ba Đình"]
    assert before
    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "P-BADINH")
        assert await set_unit_active(s, unit, False, person_id=None, now=clock())
        assert not await set_unit_active(s, unit, False, person_id=None, now=clock())
    async with session_factory() as s:
        after = [p for p in await plan_notices(s, texts, at) if p.unit_name == "Phường Ba Đình"]
    assert after == []
    badinh = chat("badinh")
    await badinh.send("/nop")
    assert "Hiện không có nội dung nào đơn vị phải nộp" in badinh.text
    noivu = chat("noivu")  # the secretariat's figures and lists leave it out too
    await noivu.send("/tinhhinh")
    assert "📥 Đã gửi: 12/20 đơn vị" in noivu.text
    await noivu.send("/chuanop")
    assert "Phường Ba Đình" not in noivu.text and "Phường Phú Sơn" in noivu.text
    (row,) = await _audit(session_factory, "unit.deactivate")
    assert row.detail == {"code": "P-BADINH"}
    async with session_factory() as s:
        (listed,) = [u for u in await list_units(s) if u.code == "P-BADINH"]
    assert not listed.active

    async with session_factory.begin() as s:
        unit = await find_unit_by_code(s, "P-BADINH")
        assert await set_unit_active(s, unit, True, person_id=None, now=clock())
    async with session_factory() as s:
        again = [p for p in await plan_notices(s, texts, at) if p.unit_name == "Phường Ba Đình"]
    assert [p.key for p in again] == [p.key for p in before]


@pytest.mark.usefixtures("demo")
async def test_who_is_linked_and_who_cannot_be_reached(session_factory: SF) -> None:
    async with session_factory() as s:
        units = {u.code: u for u in await list_units(s)}
    badinh = units["P-BADINH"]
    assert badinh.head_linked and badinh.channels(Role.UNIT_HEAD) == ["console"]
    assert not units["P-BACSON"].reachable
    assert units["P-BADINH"].as_dict()["head_channels"] == ["console"]

    at = parse_now("2019-11-18T08:00", TZ)  # the plan (due 15/11) is late; digest time
    async with session_factory() as s:
        ((campaign, late),) = await unreachable_summary(s, at)
        digest = [p for p in await plan_notices(s, Texts(), at) if p.kind == "digest"]
    assert campaign.code == "BIMSON-DHTT-2019"
    assert "P-BADINH" not in {u.code for u in late.never_linked} and len(late) == 8
    assert not late.blocked
    (notice,) = digest
    assert "8 đơn vị quá hạn không nhận được tin nhắc" in notice.reply.text
    assert "Phường Phú Sơn" in notice.reply.text


@pytest.mark.usefixtures("demo")
async def test_kehoach_answers_who_is_linked(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/kehoach")
    await noivu.press("Ai đã liên kết?")
    assert "✅ Phường Ba Đình (P-BADINH): lãnh đạo đã liên kết (console)" in noivu.text
    assert "❌ Phường Bắc Sơn (P-BACSON): lãnh đạo chưa liên kết" in noivu.text
    assert "20 đơn vị chưa ai nhận được tin nhắc" in noivu.text
    await noivu.send("/kehoach liên kết")
    assert "Ai đã liên kết tài khoản?" in noivu.text


def test_cli_units_list_linked_deactivate(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", "2019-11-12T09:00")
    rows = json.loads(tdkt("units", "list", "--json").stdout)
    assert len(rows) == 21 and all(r["active"] for r in rows)
    assert "P-BADINH — Phường Ba Đình (Xã/phường" in tdkt("units", "list").stdout
    linked = tdkt("units", "linked").stdout
    assert "✅ Phường Ba Đình (P-BADINH): lãnh đạo đã liên kết (console)" in linked
    refused = tdkt("units", "deactivate", "P-BACSON", ok=False)
    assert refused.returncode == 1 and "6 hồ sơ/đề cử đang chờ duyệt" in refused.stderr
    unknown = tdkt("units", "rename", "KHONG-CO", "Tên mới", ok=False)
    assert unknown.returncode == 1 and "Không tìm thấy đơn vị «KHONG-CO»" in unknown.stderr
    assert "Đã ngừng theo dõi Phường Ba Đình" in tdkt("units", "deactivate", "p-badinh").stdout
    assert "đã ngừng theo dõi" in tdkt("units", "list").stdout
    assert "Đã theo dõi lại" in tdkt("units", "reactivate", "P-BADINH").stdout
    renamed = tdkt("units", "rename", "P-BADINH", "UBND phường Ba Đình").stdout
    assert "thành «UBND phường Ba Đình»" in renamed
    preview = tdkt("reminders", "preview", "--now", "2019-11-18T08:00").stdout
    assert "8 đơn vị quá hạn không nhận được tin nhắc" in preview

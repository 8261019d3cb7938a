"""/kehoach → a campaign → its requirements: gia hạn, editing, removing, and stale state.

On the Bỉm Sơn demo (12/11/2019 09:00): KEHOACH is due 15/11/2019 and Phường Ba Đình has not
sent it. ``vanphong2`` is a second secretariat account made for these tests.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.flows.requirements import Do, ReqAction
from handlers.services.campaigns import load_campaign
from handlers.services.invites import ensure_account
from storage.models import (
    AuditLog,
    Broadcast,
    DeadlineChange,
    Requirement,
    Role,
    Submission,
    Unit,
)
from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
DEMO = "BIMSON-DHTT-2019"
MISTAKE = {
    "code": "NHAM-2019",
    "title": "Kế hoạch nạp nhầm",
    "requirements": [
        {"code": "BC", "title": "Báo cáo nạp nhầm", "kind": "report", "due": "30/12/2019"}
    ],
}


async def _second_secretary(sf: SF, clock: Clock) -> None:
    async with sf.begin() as s:
        await ensure_account(
            s,
            channel="console",
            external_id="vanphong2",
            full_name="Văn phòng 2",
            role=Role.SECRETARIAT,
            unit_code=None,
            now=clock(),
        )


async def _count(sf: SF, model: type[DeadlineChange] | type[Broadcast]) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _to_requirement(noivu: ChatHarness, campaign: str, req: str) -> None:
    await noivu.send("/kehoach")
    await noivu.press(campaign)
    await noivu.press("Các nội dung")
    await noivu.press(req)


async def test_gia_han_for_one_unit_in_the_chat(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    assert "hạn 15/11/2019" in noivu.text
    assert "⏳ Gia hạn" in noivu.buttons
    await noivu.press("Gia hạn")
    await noivu.send("10/11/2019")
    assert "ngày này đã qua" in noivu.text and "đến ngày nào" in noivu.text
    await noivu.send("ba mươi")
    assert "Không hiểu ngày «ba mươi»" in noivu.text
    await noivu.send("20/11/2019")
    await noivu.send("KHONG-CO")
    assert "Không có đơn vị mã KHONG-CO" in noivu.text
    await noivu.send("p-badinh")
    await noivu.send("Phường đang tổ chức bầu cử")
    assert "Phường Ba Đình" in noivu.text and "20/11/2019" in noivu.text
    await noivu.press("Đồng ý")
    assert "Đã gia hạn" in noivu.text and "hạn cũ 15/11/2019" in noivu.text
    assert "Đã gửi thông báo tới 1 đơn vị" in noivu.text
    assert await _count(session_factory, DeadlineChange) == 1

    badinh = chat("badinh")
    await badinh.send("/tinhhinh")
    assert "đã gia hạn đến 20/11/2019" in badinh.text
    await noivu.send("/tinhhinh")
    assert "gia hạn riêng cho 1 đơn vị" in noivu.text
    await _to_requirement(noivu, DEMO, "KEHOACH")
    assert "Lịch sử gia hạn" in noivu.text and "Phường Ba Đình 15/11/2019 → 20/11/2019" in (
        noivu.text
    )


async def test_gia_han_for_everyone_is_cancelled_or_made(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Gia hạn")
    await noivu.send("15/11/2019")
    await noivu.press("Mọi đơn vị")
    await noivu.send("x")
    assert "ghi lý do" in noivu.text
    await noivu.send("Chờ hướng dẫn của tỉnh")
    await noivu.press("Đồng ý")
    assert "hạn hiện tại là 15/11/2019" in noivu.text  # not later: refused, asked again
    assert await _count(session_factory, DeadlineChange) == 0
    await noivu.send("/huy")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Gia hạn")
    await noivu.send("25/11/2019")
    await noivu.press("Mọi đơn vị")
    await noivu.send("Chờ hướng dẫn của tỉnh")
    await noivu.press("Không")
    assert "nội dung không thay đổi" in noivu.text
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Gia hạn")
    await noivu.send("25/11/2019")
    await noivu.press("Mọi đơn vị")
    await noivu.send("Chờ hướng dẫn của tỉnh")
    await noivu.press("Đồng ý")
    assert "cho mọi đơn vị" in noivu.text and "chưa có ai liên kết" in noivu.text
    await noivu.send("/tinhhinh")
    assert "đã gia hạn đến 25/11/2019" in noivu.text


async def test_editing_a_title_and_who_with_confirmation(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Sửa tên")
    await noivu.send("Kế hoạch tổ chức hội nghị cấp cơ sở")
    assert "không ảnh hưởng đến hồ sơ nào" in noivu.text
    await noivu.press("Đồng ý")
    assert "Đã đổi tên nội dung" in noivu.text
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Đơn vị phải nộp")
    await noivu.send("Không có loại này")
    assert "không phải mã đơn vị hay loại đơn vị" in noivu.text
    await noivu.send("P-BADINH")
    assert "ảnh hưởng đến hồ sơ đã nộp của" in noivu.text
    await noivu.press("Không")
    async with session_factory() as s:
        req = await s.scalar(select(Requirement).where(Requirement.code == "KEHOACH"))
        assert req is not None
        assert req.title == "Kế hoạch tổ chức hội nghị cấp cơ sở" and req.unit_codes == []
        actions = list(
            await s.scalars(select(AuditLog.action).where(AuditLog.action.like("req%")))
        )
    assert actions == ["requirement.edit"]


async def test_a_requirement_with_items_cannot_be_removed(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Bỏ nội dung")
    await noivu.press("Đồng ý")
    assert "Không thể bỏ" in noivu.text
    async with session_factory() as s:
        assert await s.scalar(select(Requirement.id).where(Requirement.code == "KEHOACH"))


async def test_a_campaign_deleted_by_another_secretary_ends_the_conversation(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await load_campaign(s, MISTAKE, now=clock())
    await _second_secretary(session_factory, clock)
    noivu, other = chat("noivu"), chat("vanphong2")
    await _to_requirement(noivu, "NHAM-2019", "BC")
    await noivu.press("Gia hạn")
    await noivu.send("31/12/2019")

    await other.send("/kehoach")
    await other.press("NHAM-2019")
    await other.press("Xóa")
    await other.press("Đồng ý")
    assert "Đã xóa kế hoạch NHAM-2019" in other.text

    await noivu.press("Mọi đơn vị")
    assert "vừa bị một tài khoản Thường trực khác xóa" in noivu.text
    await noivu.send("Lý do bất kỳ")  # the conversation ended: no stale step answers it
    assert "vừa bị" not in noivu.text and "Đã gia hạn" not in noivu.text
    assert await _count(session_factory, DeadlineChange) == 0


async def test_a_campaign_deleted_while_its_action_is_chosen(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await load_campaign(s, MISTAKE, now=clock())
    await _second_secretary(session_factory, clock)
    noivu, other = chat("noivu"), chat("vanphong2")
    await noivu.send("/kehoach")
    await noivu.press("NHAM-2019")
    await other.send("/kehoach")
    await other.press("NHAM-2019")
    await other.press("Xóa")
    await other.press("Đồng ý")
    await noivu.press("Kết thúc")
    assert "vừa bị một tài khoản Thường trực khác xóa" in noivu.text


async def test_a_campaign_closed_meanwhile_refuses_the_extension(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _second_secretary(session_factory, clock)
    noivu, other = chat("noivu"), chat("vanphong2")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Gia hạn")
    await noivu.send("20/11/2019")
    await noivu.press("Mọi đơn vị")
    await noivu.send("Lý do chính đáng")
    await other.send("/kehoach")
    await other.press(DEMO)
    await other.press("Kết thúc")
    await other.press("Đồng ý")
    await noivu.press("Đồng ý")
    assert "đang ở trạng thái «Đã kết thúc»" in noivu.text
    assert await _count(session_factory, DeadlineChange) == 0
    # The closed campaign's requirements are shown read-only, without actions.
    await _to_requirement(noivu, DEMO, "KEHOACH")
    assert "chỉ để xem" in noivu.text and "⏳ Gia hạn" not in noivu.buttons
    await noivu.press_data(Do(action=ReqAction.TITLE).pack())  # not offered: refused
    assert "hết hiệu lực" in noivu.text and "Tên mới" not in noivu.text


async def test_a_unit_head_cannot_enter(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.press_data(Do(action=ReqAction.EXTEND).pack())
    await badinh.send("/kehoach")
    assert "chỉ dành cho Thường trực" in badinh.text


def _overdue_count(line: str) -> int:
    """The units an overdue line names plus its "và N đơn vị khác"."""
    names, _, rest = line.split(":", 1)[1].partition(" và ")
    more = int(rest.split()[0]) if rest else 0
    return len([n for n in names.split(",") if n.strip()]) + more


async def test_a_unit_extended_is_no_longer_named_overdue(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    clock.set("2019-11-16T09:00")
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    overdue = [line for line in noivu.text.splitlines() if "Quá hạn chưa nộp" in line]
    assert any("Phường Ba Đình" in line for line in overdue)
    before = _overdue_count(overdue[-1])  # the requirement's own line (the first: overview)
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Gia hạn")
    await noivu.send("20/11/2019")
    await noivu.send("P-BADINH")
    await noivu.send("Phường đang tổ chức bầu cử")
    await noivu.press("Đồng ý")
    await noivu.send("/tinhhinh")
    overdue = [line for line in noivu.text.splitlines() if "Quá hạn chưa nộp" in line]
    assert overdue and not any("Phường Ba Đình" in line for line in overdue)
    assert _overdue_count(overdue[-1]) == before - 1  # "… và N đơn vị khác" counts it out too
    badinh = chat("badinh")
    await badinh.send("/chuanop")
    assert "đã gia hạn đến 20/11/2019, còn 4 ngày" in badinh.text


async def test_adding_a_dossier_in_the_chat(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/kehoach")
    await noivu.press(DEMO)
    await noivu.press("Các nội dung")
    await noivu.press("Thêm nội dung")
    await noivu.send("KEHOACH")
    assert "đã có nội dung mã KEHOACH" in noivu.text
    await noivu.send("bc-bosung")
    await noivu.send("Hồ sơ bổ sung")
    await noivu.press("Hồ sơ")
    await noivu.send("01/11/2019")
    assert "ngày này đã qua" in noivu.text
    await noivu.send("01/12/2019")
    await noivu.send("Tờ trình;;")
    assert "cách nhau bởi dấu chấm phẩy" in noivu.text
    await noivu.send("Tờ trình; Báo cáo thành tích")
    assert "BC-BOSUNG — Hồ sơ bổ sung" in noivu.text and "01/12/2019" in noivu.text
    await noivu.press("Đồng ý")
    assert "Đã thêm nội dung BC-BOSUNG" in noivu.text
    async with session_factory() as s:
        req = await s.scalar(select(Requirement).where(Requirement.code == "BC-BOSUNG"))
        assert req is not None and req.parts == ["Tờ trình", "Báo cáo thành tích"]
    badinh = chat("badinh")
    await badinh.send("/tinhhinh")
    assert "Hồ sơ bổ sung" in badinh.text


async def test_items_sent_while_an_edit_waits_are_weighed_again(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        plan = select(Requirement.id).where(Requirement.code == "KEHOACH").scalar_subquery()
        sent = set(
            await s.scalars(select(Submission.unit_id).where(Submission.requirement_id == plan))
        )
        other = next(
            u
            for u in await s.scalars(select(Unit).order_by(Unit.id))
            if u.id not in sent and u.code != "P-BADINH"
        )
        await ensure_account(
            s,
            channel="console",
            external_id="khac",
            full_name="Trưởng đơn vị khác",
            role=Role.UNIT_HEAD,
            unit_code=other.code,
            now=clock(),
        )
    noivu = chat("noivu")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    await noivu.press("Đơn vị phải nộp")
    await noivu.send("P-BADINH")
    assert f"hồ sơ đã nộp của {len(sent)} đơn vị" in noivu.text

    head = chat("khac")
    await head.send("/nop")
    await head.press("Kế hoạch")
    await head.send("Kế hoạch của đơn vị")
    await head.press("Xác nhận")
    assert "Đã lưu" in head.text

    await noivu.press("Đồng ý")
    assert "vừa gửi thêm hồ sơ" in noivu.text
    assert f"hồ sơ đã nộp của {len(sent) + 1} đơn vị" in noivu.text
    await noivu.press("Đồng ý")
    assert "Đã đổi các đơn vị phải nộp" in noivu.text


async def test_dat_han_gives_an_undated_requirement_its_first_deadline(
    chat: Chat, session_factory: SF
) -> None:
    async with session_factory.begin() as s:
        req = (await s.scalars(select(Requirement).where(Requirement.code == "KEHOACH"))).one()
        req.due_date = None  # "chưa có hạn"
    noivu = chat("noivu")
    await _to_requirement(noivu, DEMO, "KEHOACH")
    assert "chưa có hạn" in noivu.text
    assert "📅 Đặt hạn" in noivu.buttons and "⏳ Gia hạn" not in noivu.buttons
    await noivu.press("Đặt hạn")
    assert "hiện chưa có hạn" in noivu.text
    await noivu.send("25/11/2019")
    assert "Lý do" in noivu.text  # everyone's: no question about units
    await noivu.send("Đã có lịch của tỉnh")
    assert "Đặt hạn" in noivu.text and "25/11/2019" in noivu.text
    await noivu.press("Đồng ý")
    assert "Đã đặt hạn" in noivu.text and "Đã gửi thông báo tới" in noivu.text
    async with session_factory() as s:
        (change,) = await s.scalars(select(DeadlineChange))
        assert (change.old_due, str(change.new_due)) == (None, "2019-11-25")
    badinh = chat("badinh")
    await badinh.send("/tinhhinh")
    assert "hạn 25/11/2019" in badinh.text

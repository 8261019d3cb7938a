"""Campaigns over their life: draft → active → closed → archived, in services, chat and CLI.

On the Bỉm Sơn demo (12/11/2019 09:00) the campaign BIMSON-DHTT-2019 is active and its units
have sent plans, nominations and delegates, so it can be closed or archived but not deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.flows.plans import Confirm, PickAction
from handlers.services.campaigns import (
    CampaignAction,
    change_campaign,
    find_campaign,
    list_campaigns,
    load_campaign,
)
from storage.models import AuditLog, Campaign, CampaignState, Requirement
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


async def _state(sf: SF, code: str) -> CampaignState | None:
    async with sf() as s:
        return await s.scalar(select(Campaign.state).where(Campaign.code == code))


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


async def _load_mistake(sf: SF, clock: Clock) -> None:
    async with sf.begin() as s:
        await load_campaign(s, MISTAKE, now=clock())


# -- services ------------------------------------------------------------------------------------


async def test_list_shows_state_and_what_was_sent(session_factory: SF, clock: Clock) -> None:
    await _load_mistake(session_factory, clock)
    async with session_factory() as s:
        rows = await list_campaigns(s)
    assert [(r.code, r.state) for r in rows] == [
        (DEMO, CampaignState.ACTIVE),
        ("NHAM-2019", CampaignState.ACTIVE),
    ]
    assert rows[0].submitted > 0 and rows[1].submitted == 0
    assert rows[0].actions() == [CampaignAction.CLOSE, CampaignAction.ARCHIVE]
    assert rows[1].actions() == list(CampaignAction)


async def test_deleting_a_campaign_with_submissions_is_refused(
    session_factory: SF, clock: Clock
) -> None:
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            campaign = await find_campaign(s, DEMO.lower())
            await change_campaign(s, campaign, CampaignAction.DELETE, person_id=None, now=clock())
    assert err.value.key == "campaign_has_submissions"
    assert await _state(session_factory, DEMO) is CampaignState.ACTIVE
    assert await _audit(session_factory, "campaign.delete") == []


async def test_a_campaign_loaded_by_mistake_is_deleted(session_factory: SF, clock: Clock) -> None:
    await _load_mistake(session_factory, clock)
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, "NHAM-2019")
        assert (
            await change_campaign(s, campaign, CampaignAction.DELETE, person_id=None, now=clock())
            is None
        )
    assert await _state(session_factory, "NHAM-2019") is None
    async with session_factory() as s:
        left = await s.scalar(
            select(func.count()).select_from(Requirement).where(Requirement.code == "BC")
        )
    assert left == 0
    (row,) = await _audit(session_factory, "campaign.delete")
    assert row.detail == {"code": "NHAM-2019", "from": "active"}


async def test_unknown_campaign_is_named(session_factory: SF) -> None:
    async with session_factory() as s:
        with pytest.raises(UserError) as err:
            await find_campaign(s, "KHONG-CO")
    assert (err.value.key, err.value.params) == ("campaign_not_found", {"code": "KHONG-CO"})


async def test_close_then_archive_forward_only(session_factory: SF, clock: Clock) -> None:
    for action, after in (
        (CampaignAction.CLOSE, CampaignState.CLOSED),
        (CampaignAction.ARCHIVE, CampaignState.ARCHIVED),
    ):
        async with session_factory.begin() as s:
            campaign = await find_campaign(s, DEMO)
            assert await change_campaign(s, campaign, action, person_id=None, now=clock()) is after
    for action in (CampaignAction.CLOSE, CampaignAction.ARCHIVE):
        with pytest.raises(UserError) as err:
            async with session_factory.begin() as s:
                campaign = await find_campaign(s, DEMO)
                await change_campaign(s, campaign, action, person_id=None, now=clock())
        assert err.value.key == "campaign_state_forbids"
    assert await _state(session_factory, DEMO) is CampaignState.ARCHIVED
    (closed,) = await _audit(session_factory, "campaign.close")
    assert closed.detail == {"code": DEMO, "from": "active", "to": "closed"}


async def test_reloading_a_closed_campaign_keeps_it_closed(
    session_factory: SF, clock: Clock
) -> None:
    await _load_mistake(session_factory, clock)
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, "NHAM-2019")
        await change_campaign(s, campaign, CampaignAction.CLOSE, person_id=None, now=clock())
    await _load_mistake(session_factory, clock)
    assert await _state(session_factory, "NHAM-2019") is CampaignState.CLOSED
    async with session_factory.begin() as s:
        await load_campaign(s, {**MISTAKE, "code": "NHAP-2019", "active": False}, now=clock())
    assert await _state(session_factory, "NHAP-2019") is CampaignState.DRAFT


# -- closed and archived campaigns for the units ------------------------------------------------


async def test_a_closed_campaign_is_read_only_but_still_reported(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, DEMO)
        await change_campaign(s, campaign, CampaignAction.CLOSE, person_id=None, now=clock())
    badinh, noivu = chat("badinh"), chat("noivu")
    await badinh.send("/nop")
    assert "Hiện không có nội dung nào đơn vị phải nộp" in badinh.text
    await badinh.send("/decu")
    assert "Hiện không có đợt đề cử nào đang mở" in badinh.text
    await noivu.send("/tinhhinh")
    assert "Kế hoạch tổ chức Hội nghị điển hình tiên tiến" in noivu.text


# -- /kehoach ------------------------------------------------------------------------------------


async def test_kehoach_closes_a_campaign_after_confirmation(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await noivu.send("/kehoach")
    assert "BIMSON-DHTT-2019" in noivu.text and "Đang thực hiện" in noivu.text
    await noivu.press(DEMO)
    assert noivu.buttons == [
        "🔒 Kết thúc",
        "🗄 Lưu trữ",
        "📋 Các nội dung (gia hạn, sửa)",
        "↩️ Quay lại",
    ]
    await noivu.press("Kết thúc")
    assert "Kết thúc kế hoạch" in noivu.text
    await noivu.press("Không")
    assert "kế hoạch không thay đổi" in noivu.text
    assert await _state(session_factory, DEMO) is CampaignState.ACTIVE

    await noivu.send("/kehoach")
    await noivu.press(DEMO)
    await noivu.press("Kết thúc")
    await noivu.press("Đồng ý")
    assert "Đã kết thúc kế hoạch BIMSON-DHTT-2019" in noivu.text
    assert await _state(session_factory, DEMO) is CampaignState.CLOSED
    (row,) = await _audit(session_factory, "campaign.close")
    assert row.person_id is not None


async def test_kehoach_refuses_delete_forged_and_non_secretariat(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    await badinh.send("/kehoach")
    assert "chỉ dành cho Thường trực" in badinh.text

    noivu = chat("noivu")
    await noivu.send("/kehoach")
    await noivu.press(DEMO)
    await noivu.press_data(PickAction(action=CampaignAction.DELETE).pack())
    assert await _state(session_factory, DEMO) is CampaignState.ACTIVE
    await noivu.press_data(Confirm(yes=True).pack())
    assert await _state(session_factory, DEMO) is CampaignState.ACTIVE
    assert await _audit(session_factory, "campaign.delete") == []


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_campaign_list_close_delete(tdkt: Any) -> None:
    tdkt("init", "--demo", "--now", "2019-11-12T09:00")
    (row,) = json.loads(tdkt("campaign", "list", "--json").stdout)
    assert (row["code"], row["state"]) == (DEMO, "active")
    refused = tdkt("campaign", "delete", DEMO, ok=False)
    assert refused.returncode == 1 and "không thể xóa" in refused.stderr
    unknown = tdkt("campaign", "close", "KHONG-CO", ok=False)
    assert unknown.returncode == 1 and "Không có kế hoạch mã «KHONG-CO»" in unknown.stderr
    assert "Đã kết thúc kế hoạch" in tdkt("campaign", "close", DEMO.lower()).stdout
    assert "Đã kết thúc" in tdkt("campaign", "list").stdout
    again = tdkt("campaign", "close", DEMO, ok=False)
    assert "không thể kết thúc" in again.stderr
    assert "Đã lưu trữ kế hoạch" in tdkt("campaign", "archive", DEMO).stdout


async def test_with_two_active_campaigns_a_units_lists_name_the_plan(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    assert not any("[" in label for label in badinh.buttons)

    await _load_mistake(session_factory, clock)
    await badinh.send("/nop")
    # the plan's title, shortened: never its code
    assert "❌ [Kế hoạch nạp nhầm] Báo cáo nạp nhầm (hạn 30/12/2019)" in badinh.buttons
    await badinh.press("[Kế hoạch tổ chức Hội nghị điển…] Kế hoạch tổ chức")
    await badinh.send("Kế hoạch tổ chức Hội nghị điển hình tiên tiến phường Ba Đình năm 2019")
    await badinh.press("Xác nhận gửi")
    await badinh.send("/danhsach")
    assert "1. [Kế hoạch tổ chức Hội nghị điển…] 📤 Kế hoạch tổ chức" in badinh.text
    assert badinh.buttons[0].startswith("[Kế hoạch tổ chức Hội nghị điển…] 📤")
    assert not any("BIMSON" in label for label in badinh.buttons)

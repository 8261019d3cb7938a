"""Times in the flows' texts are shown in the campaign's zone, not the server's or Hanoi's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Campaign
from tests.harness import ChatHarness

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

# The harness clock: 12/11/2019 09:00 in Bỉm Sơn (UTC+7) is 11:00 in Tokyo (UTC+9).
HANOI, TOKYO = "12/11/2019 09:00", "12/11/2019 11:00"


async def _campaign_zone(sf: SF, zone: str) -> None:
    async with sf.begin() as s:
        await s.execute(update(Campaign).values(timezone=zone))


async def test_submission_times_in_the_campaign_zone(chat: Chat, session_factory: SF) -> None:
    await _campaign_zone(session_factory, "Asia/Tokyo")
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send("Kế hoạch số 12/KH-UBND")
    await badinh.press("Xác nhận gửi")
    assert f"lúc {TOKYO}" in badinh.text
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    assert f"phiên bản 1 ngày {TOKYO}" in badinh.text
    await badinh.send("/tinhhinh")
    assert f"đã nộp ngày {TOKYO}" in badinh.text


async def test_overview_times_in_the_campaign_zone(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    assert f"(đến {HANOI})" in noivu.text
    await _campaign_zone(session_factory, "Asia/Tokyo")
    await noivu.send("/tinhhinh")
    assert f"(đến {TOKYO})" in noivu.text
    await noivu.press("Số liệu đề cử")
    assert f"(đến {TOKYO})" in noivu.text

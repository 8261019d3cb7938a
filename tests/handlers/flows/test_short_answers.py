"""Answers that fit a phone: the most urgent first, the rest in one line and "Xem thêm"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]

#: About one phone screen per answer.
MAX_LINES = 22
MAX_CHARS = 1200


def _fits(text: str) -> bool:
    return len([line for line in text.splitlines() if line.strip()]) <= MAX_LINES and (
        len(text) <= MAX_CHARS
    )


async def test_chuanop_pages_later_requirements(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/chuanop")
    first = noivu.text
    assert _fits(first), first
    assert "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị — hạn 15/11/2019" in first
    assert "2 nội dung khác, hạn từ 15/04/2020" in first  # the events are milestones
    assert "Hồ sơ sau Hội nghị" not in first
    seen = [first]
    while "➕ Xem thêm" in noivu.buttons:
        await noivu.press("Xem thêm")
        assert _fits(noivu.text), noivu.text
        seen.append(noivu.text)
    assert len(seen) == 3  # one urgent page, then one later requirement per page
    assert "Hồ sơ sau Hội nghị" in seen[-1] and "nội dung khác" not in seen[-1]
    await noivu.send("xin chào")  # the pages are left, nothing is stuck
    assert "Tôi chưa hiểu" in noivu.text


def _last_text(who: ChatHarness) -> str:
    """The last reply with words (the chart, drawn by a job, follows the overview)."""
    return next(r.text for r in reversed(who.replies) if r.text)


async def test_overview_leads_with_what_matters_and_pages_the_rest(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    text = _last_text(noivu)
    assert _fits(text), text
    lead = text.split("\n1. ")[0]
    assert "📅 Sắp đến hạn: Kế hoạch tổ chức" in lead and "15/11/2019" in lead
    assert "📥 Đã gửi: <b>12/21</b> đơn vị" in lead
    assert "⏰ Chưa có đơn vị nào quá hạn." in lead
    assert "\n2. " not in text and "2 nội dung khác, hạn từ 15/04/2020" in text
    await noivu.press("Xem thêm")
    full = _last_text(noivu)
    assert all(f"\n{n}. " in full for n in range(1, 4)) and "\n4. " not in full
    assert "➕ Xem thêm" not in noivu.buttons


async def test_overview_names_who_is_late(chat: Chat, clock: Clock) -> None:
    clock.set("2020-03-25T09:00")
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    text = _last_text(noivu)
    assert "⏰ Quá hạn chưa nộp: Phường Ba Đình" in text.split("\n1. ")[0]
    assert "📅 Hạn tiếp theo: Danh sách đề nghị khen thưởng" in text  # not the events
    assert "📌 Tổ chức Hội nghị điển hình tiên tiến của đơn vị — 31/03/2020, còn 6 ngày" in text


@pytest.mark.parametrize(("at", "days"), [("2019-11-20T09:00", 147), ("2019-11-12T09:00", 3)])
async def test_only_a_near_deadline_is_sap_den_han(
    chat: Chat, clock: Clock, at: str, days: int
) -> None:
    clock.set(at)
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    lead = _last_text(noivu).split("\n1. ")[0]
    if days > 7:  # months away: the next deadline, not "sắp đến hạn"
        assert "Sắp đến hạn" not in lead
        assert "📅 Hạn tiếp theo: Danh sách đề nghị khen thưởng" in lead  # events: milestones
        assert f"còn {days} ngày" in lead
    else:
        assert "📅 Sắp đến hạn: Kế hoạch tổ chức" in lead and f"còn {days} ngày" in lead

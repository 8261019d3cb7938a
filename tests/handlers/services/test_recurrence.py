"""Yearly rules: each year's occurrence is its own requirement, made once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.flows.submit import PickRequirement
from handlers.services.campaigns import find_campaign, load_campaign
from handlers.services.recurrence import generate_all, generate_occurrences
from storage.models import Requirement, Submission
from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
D = dt.date
RULE = """\
code: NAM
title: Báo cáo hằng năm
requirements:
  - {code: BC, title: Báo cáo kết quả, kind: report, due: 30/11/2019}
  - {code: TONGKET, title: Báo cáo tổng kết năm, kind: report, due: hằng năm 15/03,
     unit_kinds: [xa_phuong]}
"""


async def _codes(sf: SF) -> list[tuple[str, dt.date | None, int]]:
    async with sf() as s:
        campaign = await find_campaign(s, "NAM")
        rows = await s.scalars(
            select(Requirement)
            .where(Requirement.campaign_id == campaign.id)
            .order_by(Requirement.position)
        )
        return [(r.code, r.due_date, r.position) for r in rows]


async def test_a_yearly_rule_makes_each_years_occurrence_once(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await load_campaign(s, RULE.encode(), now=clock())
    assert await generate_all(session_factory, clock()) == 1  # 15/03/2019 is past: 2020's
    assert await generate_all(session_factory, clock()) == 0  # idempotent
    assert await _codes(session_factory) == [
        ("BC", D(2019, 11, 30), 0),
        ("TONGKET-2020", D(2020, 3, 15), 1),
        ("TONGKET", None, 2),
    ]
    async with session_factory() as s:
        occurrence = (
            await s.scalars(select(Requirement).where(Requirement.code == "TONGKET-2020"))
        ).one()
        assert (occurrence.period_label, occurrence.unit_kinds) == ("năm 2020", ["xa_phuong"])
        assert occurrence.recurrence is None
    clock.set("2020-03-15T20:00")  # its due day: still pending
    assert await generate_all(session_factory, clock()) == 0
    clock.set("2020-03-16T08:00")  # passed: next year's, exactly once
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, "NAM")
        made = await generate_occurrences(s, campaign, clock())
        assert [r.code for r in made] == ["TONGKET-2021"]
        assert await generate_occurrences(s, campaign, clock()) == []
    assert [c for c, _, _ in await _codes(session_factory)] == [
        "BC",
        "TONGKET-2020",
        "TONGKET-2021",
        "TONGKET",
    ]


async def test_a_yearly_rules_own_row_is_never_sent_for(
    session_factory: SF, clock: Clock, chat: Callable[..., ChatHarness]
) -> None:
    """Only the occurrences are owed: /nop lists "năm 2020", not the rule, and a forged press
    on the rule's row is refused and saves nothing."""
    async with session_factory.begin() as s:
        await load_campaign(s, RULE.encode(), now=clock())
    assert await generate_all(session_factory, clock()) == 1
    async with session_factory() as s:
        rule = (await s.scalars(select(Requirement).where(Requirement.code == "TONGKET"))).one()
        before = await s.scalar(select(func.count()).select_from(Submission))
    badinh = chat("badinh")
    await badinh.send("/nop")
    offered = [b for b in badinh.buttons if "tổng kết" in b]
    assert len(offered) == 1 and "2020" in offered[0], badinh.buttons
    await badinh.press_data(PickRequirement(requirement_id=rule.id).pack())
    assert "gửi nội dung" not in badinh.text
    await badinh.send("Báo cáo gửi nhầm vào quy tắc")
    async with session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(Submission)) == before

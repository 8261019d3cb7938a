"""Milestone reminders (handlers/services/milestones.py): to the organisers only, exactly once.

The demo's HNDIEM (the pilot conference, 20/3/2020) is organised by three units, Phường Ba Đình
among them; HOINGHI (each unit's conference, 31/3/2020) by every unit. Both are events:
reminded before and on their day, never "chưa nộp", never after their day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.reminder_policy import WorkingCalendar
from handlers.kernel.texts import Texts
from handlers.services.invites import ensure_account
from handlers.services.reminders import plan_notices, upcoming_instants
from scheduler import Notifier
from storage.models import Requirement, Role, SentNotice
from tests.harness import ChatHarness, Clock
from tests.scheduler.test_notifier import Outbox

SF = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Chat = Callable[..., ChatHarness]

#: Unit heads linked besides the demo's badinh (P-BADINH, an organiser of HNDIEM).
HEADS = {"halan": "X-HALAN", "bacson": "P-BACSON", "phunu": "DT-PHUNU"}


@pytest.fixture
async def heads(session_factory: SF, demo: None, clock: Clock) -> None:
    async with session_factory.begin() as s:
        for handle, unit in HEADS.items():
            await ensure_account(
                s,
                channel="console",
                external_id=handle,
                full_name=f"Lãnh đạo {unit}",
                role=Role.UNIT_HEAD,
                unit_code=unit,
                now=clock(),
            )


def _notifier(sf: SF, clock: Clock, outbox: Outbox, who: str) -> Notifier:
    return Notifier(sf, Texts(), clock, {"console": outbox}, who, calendar=WorkingCalendar())


async def test_the_organisers_and_only_they_are_reminded_once(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    clock.set("2020-03-17T08:00")  # HNDIEM's b3; nothing else of the plan is due that day
    outbox = Outbox()
    report = await _notifier(session_factory, clock, outbox, "host:1").run_due()
    (text,) = outbox.to("badinh")
    assert "Nhắc lịch" in text and "Phường Ba Đình" in text
    assert "Tổ chức Hội nghị điểm điển hình tiên tiến" in text
    assert "vào 20/03/2020, còn 3 ngày" in text
    assert "chưa nộp" not in text and "/nop" not in text
    assert len(outbox.to("phunu")) == 1  # the other organiser with a linked head
    assert outbox.to("halan") == [] and outbox.to("bacson") == []  # not organisers
    (digest,) = outbox.to("noivu")
    assert "Mốc thời gian sắp tới" in digest
    assert (
        "📌 Tổ chức Hội nghị điểm điển hình tiên tiến — 20/03/2020, còn 3 ngày; "
        "đơn vị tổ chức: 3 đơn vị"
    ) in digest
    assert "Tổ chức Hội nghị điển hình tiên tiến của đơn vị — 31/03/2020" in digest
    assert report.sent == 3

    # A restart (another process) and two duplicate passes at once: nothing goes twice.
    again = Outbox()
    runs = await asyncio.gather(
        _notifier(session_factory, clock, again, "host:2").run_due(),
        _notifier(session_factory, clock, again, "host:3").run_due(),
    )
    assert again.sent == [] and sum(r.sent for r in runs) == 0
    async with session_factory() as s:
        claims = (await s.scalars(select(SentNotice).where(SentNotice.kind == "milestone"))).all()
    assert sorted(c.key.split(":")[3] for c in claims) == ["b3@20200320", "b3@20200320"]


async def test_every_unit_organises_its_own_conference_and_nothing_comes_after(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    clock.set("2020-03-20T08:00")  # HNDIEM's day
    on_the_day = Outbox()
    await _notifier(session_factory, clock, on_the_day, "host:1").run_due()
    assert "20/03/2020: hôm nay" in on_the_day.to("badinh")[0]
    clock.set("2020-03-28T08:00")  # HOINGHI's b3: every unit organises it
    before = Outbox()
    await _notifier(session_factory, clock, before, "host:1").run_due()
    for head in ("badinh", "halan", "bacson", "phunu"):
        (text,) = before.to(head)
        assert "Tổ chức Hội nghị điển hình tiên tiến của đơn vị" in text
        assert "còn 3 ngày" in text
    clock.set("2020-03-22T08:00")  # two days after HNDIEM: an event has no overdue reminder
    after = Outbox()
    await _notifier(session_factory, clock, after, "host:1").run_due()
    assert after.to("badinh") == []


async def test_the_scheduler_knows_the_milestone_moments(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    clock.set("2020-03-16T12:00")
    async with session_factory() as s:
        moments = await upcoming_instants(s, clock(), dt.timedelta(days=5))
        planned = await plan_notices(s, Texts(), clock())
    local = {m.astimezone(TZ).strftime("%d/%m %H:%M") for m in moments}
    assert {"17/03 08:00", "19/03 08:00", "20/03 08:00"} <= local
    assert not [p for p in planned if p.kind == "milestone"]  # none due at noon


async def test_a_milestone_of_one_block_is_reminded_to_that_block_only(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        event = (await s.scalars(select(Requirement).where(Requirement.code == "HNDIEM"))).one()
        event.unit_codes, event.unit_blocks = [], ["Khối xã, phường"]
    clock.set("2020-03-17T08:00")
    outbox = Outbox()
    await _notifier(session_factory, clock, outbox, "host:1").run_due()
    for head in ("badinh", "halan", "bacson"):  # the block's units with a linked head
        (text,) = outbox.to(head)
        assert "Nhắc lịch" in text
    assert outbox.to("phunu") == []  # an association: not in the block
    (digest,) = outbox.to("noivu")
    assert "đơn vị tổ chức: Khối xã, phường" in digest

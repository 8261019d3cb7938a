"""A requirement "chưa có hạn" (no due date yet) on the Bỉm Sơn demo (12/11/2019 09:00).

KEHOACH (the units' plans, due 15/11/2019) is made "to be announced": listed as "chưa có hạn",
never late, never reminded, owed by nobody; "Đặt hạn" (a gia hạn of a requirement without a
due date) gives it its first deadline and tells the units concerned once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.kernel.texts import Texts
from handlers.queries.progress import status_report
from handlers.services.reminders import plan_notices
from handlers.services.requirements import extend_deadline, find_requirement
from storage.models import AuditLog, Broadcast, DeadlineChange
from tests.harness import ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
DEMO = "BIMSON-DHTT-2019"
TEXTS = Texts()
D = dt.date


async def _undate(sf: SF) -> int:
    async with sf.begin() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        req.due_date = None
        return req.id


async def _reminded(sf: SF, clock: Clock, req_id: int, moments: list[str]) -> int:
    count = 0
    for moment in moments:
        clock.set(moment)
        async with sf() as s:
            planned = await plan_notices(s, TEXTS, clock(), campaign_code=DEMO)
        count += sum(p.kind == "reminder" and p.requirement_id == req_id for p in planned)
    return count


MOMENTS = ["2019-11-12T09:00", "2019-11-14T08:00", "2019-11-15T08:00", "2019-11-17T08:00"]


async def test_an_undated_requirement_is_never_reminded(session_factory: SF, clock: Clock) -> None:
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
    assert await _reminded(session_factory, clock, req.id, MOMENTS) > 0  # dated: reminded
    await _undate(session_factory)
    assert await _reminded(session_factory, clock, req.id, MOMENTS) == 0


async def test_an_undated_requirement_shows_chua_co_han_and_nobody_owes_it(
    session_factory: SF, clock: Clock, chat: Callable[..., ChatHarness]
) -> None:
    await _undate(session_factory)
    clock.set("2019-11-20T09:00")  # what was its day is long past
    badinh = chat("badinh")
    await badinh.send("/tinhhinh")
    line = next(row for row in badinh.text.splitlines() if "Kế hoạch" in row)
    assert "chưa có hạn" in line and "quá hạn" not in line
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    assert "Chưa có hạn: Kế hoạch" in noivu.text
    await noivu.send("/chuanop")
    assert "Ai chưa nộp" in noivu.text
    assert "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị" not in noivu.text
    async with session_factory() as s:
        (report,) = await status_report(s, DEMO, clock())
    plan = next(r for r in report["requirements"] if r["code"] == "KEHOACH")
    assert (plan["due_date"], plan["days_left"], plan["missing"]) == (None, None, [])


async def test_dat_han_sets_the_first_deadline_and_tells_the_units_once(
    session_factory: SF, clock: Clock
) -> None:
    req_id = await _undate(session_factory)
    async with session_factory.begin() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        for units, new, key in (
            (["P-BADINH"], D(2019, 11, 20), "set_due_units"),
            ([], D(2019, 11, 11), "extend_past"),
        ):
            with pytest.raises(UserError) as err:
                await extend_deadline(
                    s, TEXTS, req, new_due=new, unit_codes=units, reason="Có lịch",
                    by=None, now=clock(),
                )  # fmt: skip
            assert err.value.key == key
        done = await extend_deadline(
            s, TEXTS, req, new_due=D(2019, 11, 20), reason="Đã có lịch của tỉnh", by=None,
            now=clock(),
        )  # fmt: skip
    assert done.old_due is None and done.everyone and done.told
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        assert (req.due_date, req.original_due) == (D(2019, 11, 20), None)
        (change,) = await s.scalars(select(DeadlineChange))
        assert (change.old_due, change.new_due) == (None, D(2019, 11, 20))
        notices = list(await s.scalars(select(Broadcast).where(Broadcast.kind == "notice")))
        assert len(notices) == len(done.told)  # each unit told once
        assert "Đã có hạn nộp" in notices[0].text and "20/11/2019" in notices[0].text
        (row,) = await s.scalars(select(AuditLog).where(AuditLog.action == "requirement.set_due"))
        assert row.detail["to"] == "2019-11-20"
    # now a deadline like any other: reminded before it
    assert await _reminded(session_factory, clock, req_id, ["2019-11-17T08:00"]) > 0

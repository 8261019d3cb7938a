"""Requirements over their life: gia hạn and editing, on the Bỉm Sơn demo (12/11/2019 09:00).

KEHOACH (the units' plans) is due 15/11/2019; Phường Ba Đình (P-BADINH, linked as ``badinh``)
has not sent it, and most units have nobody linked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.deadlines import effective_due
from handlers.domain.errors import UserError
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKindSpec
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress, status_report
from handlers.queries.stats import unit_standings
from handlers.services.campaigns import (
    CampaignAction,
    change_campaign,
    find_campaign,
    load_campaign,
)
from handlers.services.invites import ensure_account
from handlers.services.reminders import plan_notices
from handlers.services.requirements import (
    Extended,
    ReqField,
    add_requirement,
    apply_edit,
    extend_deadline,
    find_requirement,
    plan_edit,
    remove_requirement,
)
from storage.models import (
    AuditLog,
    Broadcast,
    DeadlineChange,
    Person,
    RequirementKind,
    Role,
    Submission,
    SubmissionStatus,
    Unit,
)
from tests.harness import ChatHarness, Clock, statements

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
DEMO = "BIMSON-DHTT-2019"
DEMO_FILE = Path(__file__).parents[3] / "bot" / "demo" / "bimson-2019.yaml"
TEXTS = Texts()
D = dt.date


async def _extend(
    sf: SF, clock: Clock, new: dt.date, units: list[str], reason: str = "Mưa bão"
) -> Extended:
    async with sf.begin() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        return await extend_deadline(
            s, TEXTS, req, new_due=new, unit_codes=units, reason=reason, by=None, now=clock()
        )


async def _count(sf: SF, model: type[Any]) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    async with sf() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action)))


async def test_extending_for_one_unit_keeps_history_and_tells_it(
    session_factory: SF, clock: Clock
) -> None:
    done = await _extend(session_factory, clock, D(2019, 11, 20), ["p-badinh"])
    assert [u.code for u in done.units] == ["P-BADINH"]
    assert [u.code for u in done.told] == ["P-BADINH"] and done.old_due == D(2019, 11, 15)
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        assert req.due_date == D(2019, 11, 15) and req.original_due is None
        (change,) = await s.scalars(select(DeadlineChange))
        assert (change.old_due, change.new_due, change.reason) == (
            D(2019, 11, 15),
            D(2019, 11, 20),
            "Mưa bão",
        )
        (notice,) = await s.scalars(select(Broadcast).where(Broadcast.kind == "notice"))
        assert "20/11/2019" in notice.text and "Mưa bão" in notice.text
    (row,) = await _audit(session_factory, "requirement.extend")
    assert row.detail["from"] == {"P-BADINH": "2019-11-15"} and row.detail["to"] == "2019-11-20"


@pytest.mark.parametrize(
    ("new", "key"),
    [(D(2019, 11, 11), "extend_past"), (D(2019, 11, 14), "extend_not_later")],
)
async def test_extending_into_the_past_or_earlier_is_refused(
    session_factory: SF, clock: Clock, new: dt.date, key: str
) -> None:
    for units in ([], ["P-BADINH"]):
        with pytest.raises(UserError) as err:
            await _extend(session_factory, clock, new, units)
        assert err.value.key == key
    assert await _count(session_factory, DeadlineChange) == 0
    assert await _audit(session_factory, "requirement.extend") == []


@pytest.mark.parametrize(
    ("units", "reason", "key"),
    [
        (["KHONG-CO"], "Mưa bão", "units_unknown"),
        (["P-BADINH"], " ", "extend_reason"),
    ],
)
async def test_bad_units_or_reason_are_refused(
    session_factory: SF, clock: Clock, units: list[str], reason: str, key: str
) -> None:
    with pytest.raises(UserError) as err:
        await _extend(session_factory, clock, D(2019, 11, 20), units, reason)
    assert err.value.key == key
    assert await _count(session_factory, DeadlineChange) == 0


async def test_extending_everyone_moves_the_deadline_and_names_the_unreached(
    session_factory: SF, clock: Clock
) -> None:
    await _extend(session_factory, clock, D(2019, 11, 18), ["P-BADINH"])
    done = await _extend(session_factory, clock, D(2019, 11, 22), [])
    assert done.everyone and done.old_due == D(2019, 11, 15)
    assert "P-BADINH" in {u.code for u in done.told}
    assert done.unreached  # most demo units have nobody linked: named, not silently skipped
    async with session_factory() as s:
        (report,) = await status_report(s, DEMO, clock())
        plan = next(r for r in report["requirements"] if r["code"] == "KEHOACH")
        assert plan["due_date"] == "2019-11-22" and plan["extended_from"] == "2019-11-15"
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        assert req.unit_due == {}  # Ba Đình's 18/11 is behind everyone's 22/11
        assert len(list(await s.scalars(select(DeadlineChange)))) == 2


async def test_reminders_and_lateness_follow_the_units_new_deadline(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    await _extend(session_factory, clock, D(2019, 11, 20), ["P-BADINH"])
    clock.set("2019-11-17T08:00")
    async with session_factory() as s:
        planned = await plan_notices(s, TEXTS, clock(), campaign_code=DEMO)
    mine = [p for p in planned if p.kind == "reminder" and p.unit_id is not None]
    keys = {p.slot for p in mine if p.unit_name == "Phường Ba Đình"}
    assert "b3@20191120" in keys, keys
    text = next(p.reply.text for p in mine if p.unit_name == "Phường Ba Đình")
    assert "20/11/2019" in text and "còn 3 ngày" in text

    # Ba Đình sends its plan on 18/11: after the old deadline, before its own — not late.
    clock.set("2019-11-18T10:00")
    harness = chat("badinh")
    await harness.send("/nop")
    await harness.press("Kế hoạch")
    await harness.send("Kế hoạch tổ chức hội nghị của phường Ba Đình")
    await harness.press("Xác nhận")
    assert "Đã lưu" in harness.text and "sau hạn" not in harness.text
    async with session_factory() as s:
        campaign = await find_campaign(s, DEMO)
        progress = await campaign_progress(s, campaign, clock())
        plan = next(p for p in progress if p.requirement.code == "KEHOACH")
        mark = next(m for m in plan.marks if m.unit.code == "P-BADINH")
        assert mark.done and not mark.late
        standings = await unit_standings(s, campaign, clock())
        sql = next(m for m in standings[plan.requirement.id] if m.unit.code == "P-BADINH")
        assert sql.done and not sql.late


async def test_a_closed_campaign_is_not_extended_nor_edited(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, DEMO)
        await change_campaign(s, campaign, CampaignAction.CLOSE, person_id=None, now=clock())
    with pytest.raises(UserError) as err:
        await _extend(session_factory, clock, D(2019, 11, 20), [])
    assert err.value.key == "campaign_read_only"
    async with session_factory() as s:
        campaign, req = await find_requirement(s, DEMO, "KEHOACH")
        with pytest.raises(UserError) as err:
            await plan_edit(s, campaign, req, ReqField.TITLE, "Tên mới")
        assert err.value.key == "campaign_read_only"


async def _sent_units(sf: SF, code: str) -> set[str]:
    async with sf() as s:
        _, req = await find_requirement(s, DEMO, code)
        rows = await s.scalars(
            select(Unit.code)
            .join(Submission, Submission.unit_id == Unit.id)
            .where(
                Submission.requirement_id == req.id,
                Submission.is_current,
                Submission.status != SubmissionStatus.WITHDRAWN,
            )
        )
        return set(rows)


async def test_editing_who_asks_for_confirmation_when_it_touches_sent_items(
    session_factory: SF, clock: Clock
) -> None:
    sent = await _sent_units(session_factory, "KEHOACH")
    assert sent and "P-BADINH" not in sent
    async with session_factory.begin() as s:
        campaign, req = await find_requirement(s, DEMO, "KEHOACH")
        title = await plan_edit(s, campaign, req, ReqField.TITLE, "  Kế hoạch  tổ chức  ")
        assert title.affected == 0
        await apply_edit(s, campaign, req, title, allowed=0, person_id=None, now=clock())
        assert req.title == "Kế hoạch tổ chức"
        only = await plan_edit(s, campaign, req, ReqField.WHO, "p-badinh")
        assert only.values == {"unit_codes": ["P-BADINH"], "unit_kinds": [], "unit_blocks": []}
        assert only.affected == len(sent)
        with pytest.raises(UserError) as err:
            await apply_edit(s, campaign, req, only, allowed=0, person_id=None, now=clock())
        assert err.value.key == "req_edit_needs_confirm"
    async with session_factory.begin() as s:
        campaign, req = await find_requirement(s, DEMO, "KEHOACH")
        assert req.unit_codes == [] and req.title == "Kế hoạch tổ chức"
        for bad, key in [
            ("Không-có-đâu", "req_who_unknown"),
            ("P-BADINH, Trường học", "req_who_mixed"),
        ]:
            with pytest.raises(UserError) as err:
                await plan_edit(s, campaign, req, ReqField.WHO, bad)
            assert err.value.key == key
        with pytest.raises(UserError) as err:
            await plan_edit(s, campaign, req, ReqField.PARTS, "a; b")
        assert err.value.key == "req_parts_dossier_only"
        with pytest.raises(UserError) as err:
            await plan_edit(s, campaign, req, ReqField.ACCEPT, "exe")
        assert err.value.key == "req_accept_bad"
        only = await plan_edit(s, campaign, req, ReqField.WHO, "p-badinh")
        await apply_edit(
            s, campaign, req, only, allowed=only.affected, person_id=None, now=clock()
        )
    async with session_factory() as s:
        campaign, req = await find_requirement(s, DEMO, "KEHOACH")
        assert req.unit_codes == ["P-BADINH"]
        progress = await campaign_progress(s, campaign, clock())
        plan = next(p for p in progress if p.requirement.code == "KEHOACH")
        assert [m.unit.code for m in plan.marks] == ["P-BADINH"]
    edits = await _audit(session_factory, "requirement.edit")
    assert [e.detail["field"] for e in edits] == ["title", "who"]
    assert edits[1].detail["affected_units"] == len(sent)


async def test_adding_and_removing_a_requirement(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        campaign = await find_campaign(s, DEMO)
        added = await add_requirement(
            s,
            campaign,
            code="bc-bosung",
            title="Báo cáo bổ sung",
            kind=RequirementKind.DOSSIER,
            due=D(2019, 12, 1),
            who="Phường",
            parts="Tờ trình; Báo cáo",
            accept="pdf, docx",
            person_id=None,
            now=clock(),
        )
        assert (added.code, added.parts, added.accept) == (
            "BC-BOSUNG",
            ["Tờ trình", "Báo cáo"],
            ["pdf", "docx"],
        )
        assert added.unit_kinds and not added.unit_codes
        with pytest.raises(UserError) as err:
            await add_requirement(
                s,
                campaign,
                code="BC-BOSUNG",
                title="Trùng",
                kind=RequirementKind.REPORT,
                due=D(2019, 12, 1),
                person_id=None,
                now=clock(),
            )
        assert err.value.key == "req_code_taken"
    async with session_factory.begin() as s:
        campaign, req = await find_requirement(s, DEMO, "BC-BOSUNG")
        await remove_requirement(s, campaign, req, person_id=None, now=clock())
    async with session_factory() as s:
        campaign, plan = await find_requirement(s, DEMO, "KEHOACH")
        with pytest.raises(UserError) as err:
            await remove_requirement(s, campaign, plan, person_id=None, now=clock())
        assert err.value.key == "req_has_items"
    assert [a.detail["code"] for a in await _audit(session_factory, "requirement.add")] == [
        "BC-BOSUNG"
    ]
    assert len(await _audit(session_factory, "requirement.remove")) == 1


async def test_reloading_the_plan_keeps_an_extension(session_factory: SF, clock: Clock) -> None:
    await _extend(session_factory, clock, D(2019, 11, 22), [])
    await _extend(session_factory, clock, D(2019, 11, 25), ["P-BADINH"])
    async with session_factory.begin() as s:
        await load_campaign(s, DEMO_FILE, now=clock())
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
        assert req.due_date == D(2019, 11, 22) and req.original_due == D(2019, 11, 15)
        assert len(req.unit_due) == 1


async def test_who_may_name_the_deployments_own_kinds(session_factory: SF) -> None:
    plants = DEFAULT_UNIT_KINDS.with_overrides([UnitKindSpec("nha_may", "Nhà máy", ("NM",))])
    async with session_factory() as s:
        campaign, req = await find_requirement(s, DEMO, "KEHOACH")
        edit = await plan_edit(s, campaign, req, ReqField.WHO, "Nhà máy, NM, xã", plants)
        assert edit.values["unit_kinds"] == ["nha_may", "xa_phuong"]
        with pytest.raises(UserError) as err:
            await plan_edit(s, campaign, req, ReqField.WHO, "Nhà máy")  # built-in kinds only
        assert err.value.key == "req_who_unknown"


async def _link(sf: SF, clock: Clock, codes: list[str]) -> None:
    async with sf.begin() as s:
        for code in codes:
            await ensure_account(
                s,
                channel="console",
                external_id=f"head-{code.lower()}",
                full_name=f"Lãnh đạo {code}",
                role=Role.UNIT_HEAD,
                unit_code=code,
                now=clock(),
            )


async def _statements(sf: SF, clock: Clock, new: dt.date) -> tuple[Extended, int]:
    """Extend KEHOACH for everyone; what was done and how many statements it took."""
    async with statements(sf) as seen:
        done = await _extend(sf, clock, new, [])
    return done, len(seen)


async def test_extending_for_everyone_tells_each_unit_in_a_few_statements(
    session_factory: SF, clock: Clock
) -> None:
    """One notice per unit, each as rendered alone, written in a number of statements that
    does not grow with the units (a province tells thousands of them)."""
    async with session_factory.begin() as s:
        bacson = (await s.scalars(select(Unit).where(Unit.code == "P-BACSON"))).one()
        bacson.name = "Phường Bắc Sơn & <Khu 1>"  # escaped in the HTML text
    await _link(session_factory, clock, ["P-BACSON", "P-PHUSON", "X-HALAN"])
    await _extend(session_factory, clock, D(2019, 11, 20), ["P-PHUSON"])  # its own deadline
    async with session_factory() as s:
        before = set(await s.scalars(select(Broadcast.id)))
    done, statements = await _statements(session_factory, clock, D(2019, 11, 18))
    told = {u.code for u in done.told}
    assert {"P-BADINH", "P-BACSON", "P-PHUSON", "X-HALAN"} <= told
    assert not told & {u.code for u in done.unreached}
    async with session_factory() as s:
        campaign, req = await find_requirement(s, DEMO, "KEHOACH")
        units = {u.id: u for u in await s.scalars(select(Unit))}
        notices = [
            b
            for b in await s.scalars(select(Broadcast).order_by(Broadcast.id))
            if b.id not in before
        ]
        assert sorted(units[b.audience["unit_id"]].code for b in notices) == sorted(told)
        for b in notices:
            unit = units[b.audience["unit_id"]]
            due = effective_due(req, unit.id)
            assert due == (D(2019, 11, 20) if unit.code == "P-PHUSON" else D(2019, 11, 18))
            assert b.text == TEXTS(
                "noidung.extend_notice",
                tz=campaign.timezone,
                campaign=campaign,
                req=req,
                unit=unit,
                due=due,
                reason="Mưa bão",
                first=False,
            )
        texts = {units[b.audience["unit_id"]].code: b.text for b in notices}
    assert "Phường Bắc Sơn &amp; &lt;Khu 1&gt;" in texts["P-BACSON"]
    assert "20/11/2019" in texts["P-PHUSON"] and "18/11/2019" in texts["P-BADINH"]

    # Thirty more units, each with a head: the same statements tell them all.
    async with session_factory.begin() as s:
        kind, block = (
            await s.execute(select(Unit.kind, Unit.block).where(Unit.code == "P-BADINH"))
        ).one()
        s.add_all(
            Unit(code=f"P-MOI{n:02d}", name=f"Phường Mới {n}", kind=kind, block=block)
            for n in range(30)
        )
    await _link(session_factory, clock, [f"P-MOI{n:02d}" for n in range(30)])
    more, again = await _statements(session_factory, clock, D(2019, 11, 25))
    assert len(more.told) == len(done.told) + 30
    assert again == statements


async def test_extending_from_the_command_line_with_no_secretary_tells_nobody(
    session_factory: SF, clock: Clock
) -> None:
    """Nobody can sign the notices: the deadline moves, no notice is queued, every unit is
    named as not told (the secretariat phones them)."""
    async with session_factory.begin() as s:
        for person in await s.scalars(select(Person).where(Person.role == Role.SECRETARIAT)):
            person.removed_at = clock()
            person.role = Role.UNIT_MEMBER
    before = await _count(session_factory, Broadcast)
    done = await _extend(session_factory, clock, D(2019, 11, 18), [])
    assert done.told == () and len(done.unreached) == 21
    assert await _count(session_factory, Broadcast) == before
    async with session_factory() as s:
        _, req = await find_requirement(s, DEMO, "KEHOACH")
    assert req.due_date == D(2019, 11, 18)

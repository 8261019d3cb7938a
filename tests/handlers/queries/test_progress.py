"""A unit's own views read only that unit's rows (handlers.queries.progress).

The Bỉm Sơn demo is run with every ORM load of a submission or a nomination recorded: a unit
head's /tinhhinh and /chuanop, and a unit's checklist, must not materialise any other unit's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.progress import UnitMark
from handlers.queries.progress import campaign_progress, status_report
from storage.models import Nomination, Submission, Unit
from storage.repositories.campaigns import CampaignRepository
from tests.harness import ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]


@pytest.fixture
def loaded() -> Iterator[list[tuple[str, int]]]:
    """(kind, unit id) of every submission and nomination loaded while the test runs."""
    seen: list[tuple[str, int]] = []

    def on_sub(target: Any, _context: Any) -> None:
        seen.append(("submission", target.unit_id))

    def on_nom(target: Any, _context: Any) -> None:
        seen.append(("nomination", target.unit_id))

    event.listen(Submission, "load", on_sub)
    event.listen(Nomination, "load", on_nom)
    try:
        yield seen
    finally:
        event.remove(Submission, "load", on_sub)
        event.remove(Nomination, "load", on_nom)


def _mark(m: UnitMark) -> tuple[Any, ...]:
    return (m.unit.id, m.mark, m.at, m.late, m.parts_done, m.reason, m.count)


async def _unit_id(sf: SF, code: str) -> int:
    async with sf() as s:
        return (await s.scalars(select(Unit.id).where(Unit.code == code))).one()


@pytest.mark.usefixtures("demo")
async def test_unit_head_views_read_only_their_unit(
    chat: Chat, session_factory: SF, loaded: list[tuple[str, int]]
) -> None:
    # Another unit has sent things (the demo's plans): none of them may be loaded.
    async with session_factory() as s:
        others = (await s.scalars(select(Submission.unit_id).distinct())).all()
    assert len(others) > 1
    badinh = chat("badinh")
    own = await _unit_id(session_factory, "P-BADINH")
    for command in ("/tinhhinh", "/chuanop"):
        loaded.clear()
        await badinh.send(command)
        assert "Phường Ba Đình" in badinh.text, command
        assert {uid for _, uid in loaded} <= {own}, command


@pytest.mark.usefixtures("demo")
async def test_campaign_progress_for_one_unit_reads_that_unit(
    session_factory: SF, clock: Clock, loaded: list[tuple[str, int]]
) -> None:
    async with session_factory() as s:
        campaign = (await CampaignRepository(s).get_active())[0]
        units = list(await s.scalars(select(Unit)))
        everyone = await campaign_progress(s, campaign, clock())
    for unit in units:
        async with session_factory() as s:  # a fresh identity map: every row read is loaded
            loaded.clear()
            one = await campaign_progress(s, campaign, clock(), [unit])
            assert {uid for _, uid in loaded} <= {unit.id}
        assert [(p.requirement.id, [_mark(m) for m in p.marks]) for p in one] == [
            (p.requirement.id, [_mark(m) for m in p.marks if m.unit.id == unit.id])
            for p in everyone
        ]


@pytest.mark.usefixtures("demo")
async def test_the_status_json_lists_events_as_milestones(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory() as s:
        (status,) = await status_report(s, "BIMSON-DHTT-2019", clock())
    assert [r["code"] for r in status["requirements"]] == ["KEHOACH", "DECU", "HOSO"]
    assert [(m["title"][:24], m["due_date"], m["unit_codes"]) for m in status["milestones"]] == [
        ("Tổ chức Hội nghị điểm đi", "2020-03-20", ["P-BADINH", "DT-PHUNU", "DN-MTDT"]),
        ("Tổ chức Hội nghị điển hì", "2020-03-31", []),
        ("Hội nghị điển hình tiên ", "2020-06-20", []),
    ]
    assert status["milestones"][-1]["own"] and status["requirements"][0]["due_time"] is None

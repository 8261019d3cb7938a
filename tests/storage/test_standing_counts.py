"""The standings' counters (storage.standing_counts) against a full recomputation.

A random history is a sequence of transactions on two campaigns, each a few of what the bot
and the secretariat do: a new version (of a part), a review or a withdrawal, a bulk update of a
unit's versions, a nomination sent, reviewed or moved, a requirement whose kind or parts change,
whose deadline moves (for everyone, or a gia hạn for one unit), a campaign whose timezone
changes, a unit moving to another block or kind, retired or brought back (alone, or in the same
flush as a version it sends), a requirement deleted; some transactions roll back. After each
transaction the stored counters must equal a count of the marks and lateness that
:mod:`handlers.queries.stats.rules` gives over the submissions and nominations (the figures'
own rules), per (requirement, block, kind, retired, mark, late). Then the rows are spoiled and
``rebuild`` restores them; with the delta hook disabled the same history must be caught. Runs
on SQLite, and on PostgreSQL with ``TEST_DATABASE_URL``.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.queries.stats import rules
from storage import standing_counts, standings
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    StandingCount,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.submissions import SubmissionRepository

SF = async_sessionmaker[AsyncSession]
_PARTS = ("Tờ trình", "Biên bản", "Báo cáo")
_START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_BLOCKS = ("Khối A", "Khối B", None)
_KINDS = ("co_quan", "xa_phuong")
_TIMEZONES = ("Asia/Ho_Chi_Minh", "UTC", "Asia/Kolkata")


async def _stored(s: AsyncSession) -> list[tuple[Any, ...]]:
    c = StandingCount
    rows = await s.execute(
        select(c.requirement_id, c.block, c.kind, c.retired, c.mark, c.late, c.n)
    )
    return sorted(tuple(r) for r in rows.tuples())


async def _recomputed(s: AsyncSession) -> list[tuple[Any, ...]]:
    """The counters as the figures' rules say, over the submissions and nominations."""
    counts: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for campaign in await s.scalars(select(Campaign)):
        reqs = list(
            await s.scalars(select(Requirement).where(Requirement.campaign_id == campaign.id))
        )
        if not reqs:
            continue
        act = rules.source_activity(reqs)
        marks = (
            select(
                act.c.rid,
                *rules.mark_columns(reqs, ZoneInfo(campaign.timezone), act, act.c.rid, act.c.uid),
                Unit.block,
                Unit.kind,
                Unit.deactivated_at,
            )
            .select_from(act)
            .join(Unit, Unit.id == act.c.uid)
            .subquery()
        )
        m = marks.c
        rows = await s.execute(
            select(m.rid, m.block, m.kind, m.deactivated_at, m.mark, rules.late(marks))
        )
        for rid, block, kind, gone, mark, late in rows.tuples():
            counts[(rid, block or "", kind, gone is not None, mark, bool(late))] += 1
    return sorted((*k, n) for k, n in counts.items())


class _History:
    """Random steps on two campaigns."""

    def __init__(self, rng: random.Random, units: list[int]) -> None:
        self.rng = rng
        self.units = units
        self.tick = 0

    def at(self) -> dt.datetime:
        self.tick += 1
        return _START + dt.timedelta(minutes=self.rng.randint(0, 40_000), microseconds=self.tick)

    def version(self, req: Requirement, unit: int) -> Submission:
        return Submission(
            unit_id=unit,
            requirement_id=req.id,
            part=self.rng.choice([*(req.parts or [""]), "", "Phần lạ"]),
            status=SubmissionStatus.SUBMITTED,
            text="nội dung",
            submitted_at=self.at(),
        )

    async def step(self, s: AsyncSession) -> None:
        rng = self.rng
        reqs = list(await s.scalars(select(Requirement)))
        if not reqs:
            return
        req = rng.choice(reqs)
        unit_id = rng.choice(self.units)
        unit = await s.get_one(Unit, unit_id)
        what = rng.random()
        if what < 0.3:  # a new version
            await SubmissionRepository(s).add_version(self.version(req, unit_id))
        elif what < 0.35:  # a bulk update through the session (all of a unit's versions)
            await s.execute(
                update(Submission)
                .where(Submission.unit_id == unit_id, Submission.is_current)
                .values(status=rng.choice(list(SubmissionStatus)))
            )
        elif what < 0.47:  # a review or a withdrawal of a current version
            subs = list(await s.scalars(select(Submission).where(Submission.is_current)))
            if subs:
                sub = rng.choice(subs)
                sub.status = rng.choice(list(SubmissionStatus))
        elif what < 0.55:  # a nomination
            s.add(
                Nomination(
                    campaign_id=req.campaign_id,
                    requirement_id=rng.choice([req.id, None]),
                    unit_id=unit_id,
                    subject=SubjectKind.INDIVIDUAL,
                    full_name="Người",
                    gender="nam",
                    award_code="LDTT",
                    award_name="Lao động tiên tiến",
                    summary="Thành tích.",
                    status=NominationStatus.SUBMITTED,
                    created_at=self.at(),
                )
            )
        elif what < 0.6:  # a nomination reviewed or withdrawn
            noms = list(await s.scalars(select(Nomination)))
            if noms:
                rng.choice(noms).status = rng.choice(list(NominationStatus))
        elif what < 0.64:  # a requirement's kind or parts change
            req.kind = rng.choice(list(RequirementKind))
            req.parts = rng.sample(_PARTS, rng.randint(0, 3))
        elif what < 0.7:  # everyone's deadline moves
            req.due_date = req.due_date + dt.timedelta(days=rng.randint(-6, 6))
        elif what < 0.76:  # a gia hạn for one unit (or one taken back)
            dues = dict(req.unit_due or {})
            if dues and rng.random() < 0.3:
                dues.pop(rng.choice(sorted(dues)))
            else:
                later = req.due_date + dt.timedelta(days=rng.randint(-1, 8))
                dues[str(unit_id)] = later.isoformat()
            req.unit_due = dues
        elif what < 0.79:  # the campaign's timezone changes
            campaign = await s.get_one(Campaign, req.campaign_id)
            campaign.timezone = rng.choice(_TIMEZONES)
        elif what < 0.85:  # a unit moves to another block or kind
            unit.block = rng.choice(_BLOCKS)
            if rng.random() < 0.5:
                unit.kind = rng.choice(_KINDS)
        elif what < 0.9:  # a unit retired or brought back
            unit.deactivated_at = None if unit.deactivated_at else self.at()
        elif what < 0.97:  # a unit moves and sends, in one flush
            sub = self.version(req, unit_id)
            same = (
                Submission.unit_id == unit_id,
                Submission.requirement_id == req.id,
                Submission.part == sub.part,
            )
            last = await s.scalar(select(func.max(Submission.version)).where(*same))
            await s.execute(
                update(Submission).where(*same, Submission.is_current).values(is_current=False)
            )
            unit.block = rng.choice(_BLOCKS)
            unit.deactivated_at = rng.choice((None, self.at()))
            sub.version, sub.is_current = (last or 0) + 1, True
            s.add(sub)
        elif len(reqs) > 3:  # a requirement deleted (its counters go with it)
            await s.delete(req)
        await s.flush()


async def _setup(session_factory: SF, seed: int) -> tuple[_History, list[int]]:
    rng = random.Random(seed)
    async with session_factory.begin() as s:
        units = [
            Unit(
                code=f"U{i}",
                name=f"Đơn vị {i}",
                kind=_KINDS[i % 2],
                block=_BLOCKS[i % 3],
            )
            for i in range(6)
        ]
        campaigns = [
            Campaign(code=f"C{seed}{i}", title="Kế hoạch", timezone=_TIMEZONES[i])
            for i in range(2)
        ]
        s.add_all([*units, *campaigns])
        await s.flush()
        for i in range(6):
            kind = rng.choice(list(RequirementKind))
            s.add(
                Requirement(
                    campaign_id=campaigns[i % 2].id,
                    code=f"R{i}",
                    title=f"Nội dung {i}",
                    kind=kind,
                    due_date=dt.date(2020, 1, 20),
                    parts=rng.sample(_PARTS, 2) if kind is RequirementKind.DOSSIER else [],
                )
            )
    return _History(rng, [u.id for u in units]), [u.id for u in units]


async def _run(session_factory: SF, seed: int, steps: int = 25) -> bool:
    """Play a history; return whether the counters always equalled the recomputation."""
    history, _ = await _setup(session_factory, seed)
    rng = history.rng
    for _ in range(steps):
        async with session_factory() as s:
            await s.begin()
            for _ in range(rng.randint(1, 5)):
                await history.step(s)
            if rng.random() < 0.15:
                await s.rollback()  # the counters roll back with the change
            else:
                await s.commit()
        async with session_factory() as s:
            if await _stored(s) != await _recomputed(s):
                return False
    return True


@pytest.mark.parametrize("seed", range(6))
async def test_counters_equal_a_full_recomputation(session_factory: SF, seed: int) -> None:
    assert await _run(session_factory, seed)
    async with session_factory() as s:
        expected = await _stored(s)
        assert expected  # the history did something
    async with session_factory.begin() as s:  # spoil: bulk writes that bypass the hooks
        conn = await s.connection()
        await conn.execute(delete(StandingCount).where(StandingCount.n == 1))
        await conn.execute(update(StandingCount).values(n=99))
    async with session_factory() as s:
        assert await _stored(s) != expected
    async with session_factory.begin() as s:
        await standings.rebuild(s)
    async with session_factory() as s:
        assert await _stored(s) == expected


async def test_a_history_without_the_delta_is_caught(
    session_factory: SF, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(standing_counts, "change", lambda *_args, **_kw: None)
    assert not await _run(session_factory, 0)


async def test_a_history_without_the_moves_is_caught(
    session_factory: SF, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(standing_counts, "move_units", lambda *_args, **_kw: None)
    assert not await _run(session_factory, 1)

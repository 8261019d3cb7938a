"""The nomination counters (storage.nomination_counts) against a full recomputation.

A random history is a sequence of transactions on two campaigns, each a few of what the bot
does with nominations: one sent, a bulk import (one executemany), a correction of its form,
subject or gender, a review or a withdrawal, a move to a unit of another block, a bulk update
or delete of a unit's nominations, one deleted, a unit retired or brought back (maybe moving
in the same flush), a unit moving to another block or kind; some
transactions roll back. After each transaction the stored counters, their roll-ups per block
and kind of units and the units' totals must equal a count in Python over every nomination
(and the units), and the figures read from them must equal the figures
recomputed from the rows (``as_of`` a moment after everything). Then the rows are spoiled and
``rebuild`` restores them. With the hook disabled the same history must be caught. Runs on
SQLite, and on PostgreSQL with ``TEST_DATABASE_URL``.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.queries.stats import nomination_stats
from handlers.queries.stats.results import UnitFilter
from storage import nomination_counts
from storage.models import (
    AwardForm,
    Campaign,
    Nomination,
    NominationBlockCount,
    NominationCount,
    NominationStatus,
    NominationUnitTotal,
    SubjectKind,
    Unit,
)

SF = async_sessionmaker[AsyncSession]
_START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_LATER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
_FORMS = (("LDTT", "Lao động tiên tiến"), ("CSTD", "Chiến sĩ thi đua"), ("BK", "Bằng khen"))
_BLOCKS = ("Khối A", "Khối B", None)
_GENDERS = ("nam", "nu", None)


async def _stored(s: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await s.execute(
        select(
            NominationCount.campaign_id,
            NominationCount.unit_id,
            NominationCount.award_code,
            NominationCount.subject,
            NominationCount.gender,
            NominationCount.status,
            NominationCount.n,
        )
    )
    return sorted(tuple(r) for r in rows.tuples())


async def _recomputed(s: AsyncSession) -> list[tuple[Any, ...]]:
    counts: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for nom in await s.scalars(select(Nomination)):
        if nom.status is not NominationStatus.WITHDRAWN:
            key = (
                nom.campaign_id,
                nom.unit_id,
                nom.award_code,
                nom.subject,
                nom.gender or "",
                nom.status,
            )
            counts[key] += 1
    return sorted((*k, n) for k, n in counts.items())


async def _stored_roll_ups(s: AsyncSession) -> tuple[list[tuple[Any, ...]], ...]:
    b, t = NominationBlockCount, NominationUnitTotal
    blocks = await s.execute(
        select(b.campaign_id, b.block, b.kind, b.award_code, b.subject, b.gender, b.status, b.n)
    )
    totals = await s.execute(select(t.campaign_id, t.unit_id, t.n))
    return sorted(tuple(r) for r in blocks.tuples()), sorted(tuple(r) for r in totals.tuples())


async def _recomputed_roll_ups(s: AsyncSession) -> tuple[list[tuple[Any, ...]], ...]:
    """The block counters and unit totals, counted in Python over every nomination."""
    units = {u.id: u for u in await s.scalars(select(Unit))}
    blocks: collections.Counter[tuple[Any, ...]] = collections.Counter()
    totals: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for nom in await s.scalars(select(Nomination)):
        if nom.status is NominationStatus.WITHDRAWN:
            continue
        unit = units[nom.unit_id]
        key = (nom.campaign_id, unit.block or "", unit.kind, nom.award_code, nom.subject)
        blocks[(*key, nom.gender or "", nom.status)] += 1
        if nom.status in (NominationStatus.SUBMITTED, NominationStatus.ACCEPTED):
            totals[(nom.campaign_id, nom.unit_id)] += 1
    return (
        sorted((*k, n) for k, n in blocks.items()),
        sorted((*k, n) for k, n in totals.items()),
    )


class _History:
    """Random steps on the nominations of two campaigns."""

    def __init__(self, rng: random.Random, units: list[int], campaigns: list[int]) -> None:
        self.rng = rng
        self.units = units
        self.campaigns = campaigns
        self.tick = 0

    def row(self) -> dict[str, Any]:
        rng = self.rng
        self.tick += 1
        code, name = rng.choice(_FORMS)
        subject = rng.choice(list(SubjectKind))
        return {
            "campaign_id": rng.choice(self.campaigns),
            "unit_id": rng.choice(self.units),
            "subject": subject,
            "full_name": f"Người {self.tick}",
            "gender": rng.choice(_GENDERS) if subject is SubjectKind.INDIVIDUAL else None,
            "award_code": code,
            "award_name": name,
            "summary": "Thành tích.",
            "status": NominationStatus.SUBMITTED,
            "created_at": _START + dt.timedelta(minutes=self.tick),
            "updated_at": _START + dt.timedelta(minutes=self.tick),
        }

    async def step(self, s: AsyncSession) -> None:
        rng = self.rng
        what = rng.random()
        noms = list(await s.scalars(select(Nomination)))
        nom = rng.choice(noms) if noms else None
        unit = rng.choice(self.units)
        if what < 0.2 or nom is None:  # one sent
            s.add(Nomination(**self.row()))
        elif what < 0.3:  # a bulk import: one executemany through the session
            await s.execute(insert(Nomination), [self.row() for _ in range(rng.randint(1, 6))])
        elif what < 0.45:  # a correction of the form, subject or gender
            field = rng.choice(("form", "subject", "gender"))
            if field == "form":
                nom.award_code, nom.award_name = rng.choice(_FORMS)
            elif field == "subject":
                nom.subject = rng.choice(list(SubjectKind))
            else:
                nom.gender = rng.choice(_GENDERS)
        elif what < 0.65:  # a review or a withdrawal
            nom.status = rng.choice(list(NominationStatus))
        elif what < 0.72:  # moved to another unit (of another block, maybe)
            nom.unit_id = unit
        elif what < 0.78:  # a bulk update: a unit's nominations reviewed, or moved
            query = update(Nomination).where(Nomination.unit_id == unit)
            if rng.random() < 0.5:
                await s.execute(query.values(status=rng.choice(list(NominationStatus))))
            else:
                await s.execute(query.values(unit_id=rng.choice(self.units)))
        elif what < 0.82:  # a bulk delete of one campaign's nominations of a unit
            await s.execute(
                delete(Nomination).where(
                    Nomination.unit_id == unit, Nomination.campaign_id == nom.campaign_id
                )
            )
        elif what < 0.88:  # one deleted
            await s.delete(nom)
        elif what < 0.93:  # a unit retired or brought back: what it nominated still counts
            changed = await s.get_one(Unit, unit)
            changed.deactivated_at = None if changed.deactivated_at else _START
            if rng.random() < 0.3:  # with a move in the same flush
                changed.block = rng.choice(_BLOCKS)
        else:  # a unit moves to another block (or kind): its roll-ups move, the figures follow
            moved = await s.get(Unit, unit)
            assert moved is not None
            moved.block = rng.choice(_BLOCKS)
            if rng.random() < 0.3:
                moved.kind = rng.choice(("co_quan", "xa_phuong"))
        await s.flush()


async def _setup(session_factory: SF, seed: int) -> tuple[_History, list[int], list[Campaign]]:
    rng = random.Random(seed)
    async with session_factory.begin() as s:
        units = [
            Unit(code=f"U{i}", name=f"Đơn vị {i}", kind="co_quan", block=_BLOCKS[i % 3])
            for i in range(6)
        ]
        campaigns = [
            Campaign(code=f"C{seed}{i}", title="Kế hoạch", timezone="Asia/Ho_Chi_Minh")
            for i in range(2)
        ]
        s.add_all([*units, *campaigns])
        await s.flush()
        for pos, (code, name) in enumerate(_FORMS[:2]):  # "BK" is not in the catalogue
            s.add(
                AwardForm(
                    campaign_id=campaigns[0].id,
                    code=code,
                    name=name,
                    subject=SubjectKind.INDIVIDUAL,
                    position=pos,
                )
            )
    unit_ids = [u.id for u in units]
    return _History(rng, unit_ids, [c.id for c in campaigns]), unit_ids, campaigns


async def _figures_agree(s: AsyncSession, campaigns: list[Campaign], unit: int) -> None:
    """The figures from the counters equal the figures recomputed from the rows."""
    for campaign in campaigns:
        for where in (
            None,
            UnitFilter(block="Khối A"),
            UnitFilter(block="Khối B"),
            UnitFilter(kind="co_quan"),
            UnitFilter(block="Khối A", kind="xa_phuong"),
            UnitFilter(unit_id=unit),
        ):
            now = await nomination_stats(s, campaign, where, unit_limit=None)
            rows = await nomination_stats(s, campaign, where, unit_limit=None, as_of=_LATER)
            assert now == rows


async def _run(session_factory: SF, seed: int, steps: int = 25) -> bool:
    """Play a history; return whether the counters always equalled the recomputation."""
    history, units, campaigns = await _setup(session_factory, seed)
    rng = history.rng
    agreed = True
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
            agreed = agreed and await _stored(s) == await _recomputed(s)
            agreed = agreed and await _stored_roll_ups(s) == await _recomputed_roll_ups(s)
            if not agreed:
                return False
            await _figures_agree(s, campaigns, rng.choice(units))
    return agreed


@pytest.mark.parametrize("seed", range(5))
async def test_counters_equal_a_full_recomputation(session_factory: SF, seed: int) -> None:
    assert await _run(session_factory, seed)
    async with session_factory() as s:
        expected = await _stored(s)
        roll_ups = await _stored_roll_ups(s)
        assert expected  # the history did something
    async with session_factory.begin() as s:  # spoil: bulk writes that bypass the hooks
        conn = await s.connection()
        await conn.execute(delete(NominationCount).where(NominationCount.n == 1))
        await conn.execute(update(NominationCount).values(n=99))
        await conn.execute(update(NominationBlockCount).values(n=99))
        await conn.execute(delete(NominationUnitTotal))
    async with session_factory() as s:
        assert await _stored(s) != expected
    async with session_factory.begin() as s:
        assert await nomination_counts.rebuild(s) == len(expected)
    async with session_factory() as s:
        assert await _stored(s) == expected
        assert await _stored_roll_ups(s) == roll_ups


async def test_rebuild_of_one_campaign(session_factory: SF) -> None:
    assert await _run(session_factory, 7, steps=10)
    async with session_factory() as s:
        expected = await _stored(s)
        first = expected[0][0]
    async with session_factory.begin() as s:
        conn = await s.connection()
        await conn.execute(delete(NominationCount))
    async with session_factory.begin() as s:
        assert await nomination_counts.rebuild(s, first) == sum(r[0] == first for r in expected)
    async with session_factory() as s:
        assert await _stored(s) == [r for r in expected if r[0] == first]


async def test_a_history_without_the_hooks_is_caught(
    session_factory: SF, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nomination_counts, "refresh", lambda *_args, **_kw: 0)
    assert not await _run(session_factory, 0)

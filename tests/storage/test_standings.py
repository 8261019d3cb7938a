"""The status read model (storage.standings) against a full recomputation, on random histories.

A random history is a sequence of transactions, each a few of what the bot does: a new version
of a submission (or of one part of a dossier), a review (accept, return), a withdrawal, a bulk
update of a unit's versions, a
nomination sent, reviewed, withdrawn, corrected, moved to another requirement or to none, a
requirement whose kind or parts change, a unit moving to another block, a requirement's blocks
changing, a requirement deleted; some transactions roll back.
After each transaction the stored rows must equal
:func:`handlers.queries.stats.rules.source_activity`, the aggregate over the submissions and
nominations that the figures were computed from before the read model existed, and the pairs
the SQL applicability rule selects must be those :func:`handlers.domain.progress.applies` says
(a unit moving block changes which requirements apply to it, not its rows). Then the rows
are spoiled and ``rebuild`` restores them. Runs on SQLite, and on PostgreSQL with
``TEST_DATABASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import delete, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.progress import applies
from handlers.queries.stats import rules
from storage import standings
from storage.models import (
    Campaign,
    Nomination,
    NominationStatus,
    Requirement,
    RequirementKind,
    Standing,
    SubjectKind,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.submissions import SubmissionRepository

SF = async_sessionmaker[AsyncSession]
_PARTS = ("Tờ trình", "Biên bản", "Báo cáo")
_BLOCKS = ("Khối phường", "Khối cơ quan", "Cụm 3")
_START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


async def _stored(s: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await s.execute(
        select(
            Standing.requirement_id,
            Standing.unit_id,
            Standing.n_returned,
            Standing.parts_done,
            Standing.n_open,
            Standing.last_at,
            Standing.returned_at,
            Standing.n_noms,
            Standing.first_at,
        )
    )
    return sorted(tuple(r) for r in rows.tuples())


async def _recomputed(s: AsyncSession) -> list[tuple[Any, ...]]:
    reqs = list(await s.scalars(select(Requirement)))
    if not reqs:
        return []
    act = rules.source_activity(reqs)
    rows = await s.execute(select(act))
    return sorted(
        (
            r[0],
            r[1],
            int(r[2] or 0),
            int(r[3] or 0),
            int(r[4] or 0),
            r[5],
            r[6],
            int(r[7] or 0),
            r[8],
        )
        for r in rows.tuples()
    )


class _History:
    """Random steps on one campaign."""

    def __init__(self, rng: random.Random, units: list[int], campaign_id: int) -> None:
        self.rng = rng
        self.units = units
        self.campaign_id = campaign_id
        self.tick = 0

    def at(self) -> dt.datetime:
        self.tick += 1
        return _START + dt.timedelta(minutes=self.rng.randint(0, 40_000), microseconds=self.tick)

    async def step(self, s: AsyncSession) -> None:
        rng = self.rng
        reqs = list(await s.scalars(select(Requirement)))
        if not reqs:
            return
        req = rng.choice(reqs)
        unit = rng.choice(self.units)
        what = rng.random()
        if what < 0.35:  # a new version
            part = rng.choice([*(req.parts or [""]), "", "Phần lạ"])
            await SubmissionRepository(s).add_version(
                Submission(
                    unit_id=unit,
                    requirement_id=req.id,
                    part=part,
                    status=SubmissionStatus.SUBMITTED,
                    text="nội dung",
                    submitted_at=self.at(),
                )
            )
        elif what < 0.42:  # a bulk update through the session (all of a unit's versions)
            await s.execute(
                update(Submission)
                .where(Submission.unit_id == unit, Submission.is_current)
                .values(status=rng.choice(list(SubmissionStatus)))
            )
        elif what < 0.55:  # a review or a withdrawal of a current version
            subs = list(await s.scalars(select(Submission).where(Submission.is_current)))
            if subs:
                sub = rng.choice(subs)
                sub.status = rng.choice(list(SubmissionStatus))
                sub.return_reason = "Lý do" if sub.status is SubmissionStatus.RETURNED else None
        elif what < 0.7:  # a nomination
            s.add(
                Nomination(
                    campaign_id=self.campaign_id,
                    requirement_id=rng.choice([req.id, req.id, None]),
                    unit_id=unit,
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
        elif what < 0.9:  # a nomination reviewed, withdrawn, corrected or moved
            noms = list(await s.scalars(select(Nomination)))
            if noms:
                nom = rng.choice(noms)
                if rng.random() < 0.3:
                    nom.requirement_id = rng.choice([r.id for r in reqs] + [None])  # type: ignore[list-item]
                else:
                    nom.status = rng.choice(list(NominationStatus))
        elif what < 0.93:  # a requirement's kind or parts change
            req.kind = rng.choice(list(RequirementKind))
            req.parts = rng.sample(_PARTS, rng.randint(0, 3))
        elif what < 0.97:  # a unit moves to another block, or a requirement's blocks change
            if rng.random() < 0.6:
                moved = await s.get(Unit, unit)
                assert moved is not None
                moved.block = rng.choice([*_BLOCKS, None])
            else:
                req.unit_blocks = rng.sample(_BLOCKS, rng.randint(0, 2))
        elif len(reqs) > 2:  # a requirement deleted (its submissions go with it)
            await s.delete(req)
        await s.flush()


async def _applicable(s: AsyncSession) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The (requirement, unit) pairs that must send: by the SQL rule, and by the domain's rule.

    A milestone (an event) applies to its organisers but nobody sends for it (``rules.applies``).
    """
    reqs = list(await s.scalars(select(Requirement)))
    units = list(await s.scalars(select(Unit)))
    if not reqs:
        return set(), set()
    found = await s.execute(
        select(Requirement.id, Unit.id)
        .join(Unit, true())
        .where(rules.applies(reqs, Requirement.id))
    )
    owed = [r for r in reqs if r.kind is not RequirementKind.EVENT]
    return set(found.tuples()), {(r.id, u.id) for r in owed for u in units if applies(r, u)}


async def _requirements(s: AsyncSession, rng: random.Random, campaign_id: int) -> None:
    for i in range(4):
        kind = rng.choice(list(RequirementKind))
        s.add(
            Requirement(
                campaign_id=campaign_id,
                code=f"R{i}",
                title=f"Nội dung {i}",
                kind=kind,
                due_date=dt.date(2020, 1, 20),
                parts=rng.sample(_PARTS, 2) if kind is RequirementKind.DOSSIER else [],
                unit_blocks=rng.sample(_BLOCKS, 1) if i % 2 else [],
            )
        )


@pytest.mark.parametrize("seed", range(6))
async def test_standings_equal_a_full_recomputation(session_factory: SF, seed: int) -> None:
    rng = random.Random(seed)
    async with session_factory.begin() as s:
        units = [
            Unit(code=f"U{i}", name=f"Đơn vị {i}", kind="co_quan", block=rng.choice(_BLOCKS))
            for i in range(5)
        ]
        campaign = Campaign(code=f"C{seed}", title="Kế hoạch", timezone="Asia/Ho_Chi_Minh")
        s.add_all([*units, campaign])
        await s.flush()
        await _requirements(s, rng, campaign.id)
        history = _History(rng, [u.id for u in units], campaign.id)
    for _ in range(25):
        async with session_factory() as s:
            await s.begin()
            for _ in range(rng.randint(1, 6)):
                await history.step(s)
            if rng.random() < 0.15:
                await s.rollback()  # the read model rolls back with the change
            else:
                await s.commit()
        async with session_factory() as s:
            assert await _stored(s) == await _recomputed(s)
            by_sql, by_domain = await _applicable(s)
            assert by_sql == by_domain
    async with session_factory() as s:
        expected = await _stored(s)
        assert expected  # the history did something
    async with session_factory.begin() as s:  # spoil: bulk writes bypass the ORM
        await s.execute(delete(Standing).where(Standing.unit_id == units[0].id))
        await s.execute(update(Standing).values(n_open=99))
    async with session_factory.begin() as s:
        assert await standings.rebuild(s) == len(expected)
    async with session_factory() as s:
        assert await _stored(s) == expected

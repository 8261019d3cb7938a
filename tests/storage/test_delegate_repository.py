"""DelegateRepository: lists per campaign and unit, counts, the campaign lock; never commits."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Campaign, Delegate, DelegateCategory, Unit
from storage.repositories import DelegateRepository
from tests.harness import Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]


def _delegate(campaign: Campaign, unit: Unit, name: str, clock: Clock, status: str) -> Delegate:
    return Delegate(
        campaign_id=campaign.id,
        unit_id=unit.id,
        full_name=name,
        position="Cán bộ",
        category=DelegateCategory.EXEMPLARY,
        gender="nam",
        ethnicity="Kinh",
        status=status,
        created_at=clock(),
        updated_at=clock(),
    )


async def test_lists_counts_and_lookups(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        units = {u.code: u for u in await s.scalars(select(Unit))}
        repo = DelegateRepository(s)
        first = await repo.add(_delegate(campaign, units["P-BADINH"], "A", clock, "active"))
        assert first.id is not None  # flushed
        await repo.add(_delegate(campaign, units["P-BADINH"], "B", clock, "withdrawn"))
        await repo.add(_delegate(campaign, units["P-BADINH"], "C", clock, "active"))
        await repo.add(_delegate(campaign, units["P-BACSON"], "D", clock, "active"))
        await repo.lock_campaign(campaign.id)  # a no-op on SQLite, but it must run

        ba_dinh = await repo.active_for_unit(campaign.id, units["P-BADINH"].id)
        assert [d.full_name for d in ba_dinh] == ["A", "C"]
        assert await repo.count_active(campaign.id) == 3
        by_unit = await repo.active_by_unit(campaign.id)
        assert {units_id: [d.full_name for d in ds] for units_id, ds in by_unit.items()} == {
            units["P-BADINH"].id: ["A", "C"],
            units["P-BACSON"].id: ["D"],
        }
        assert await repo.get(first.id) is first
        assert await repo.get(10**9) is None
        assert await repo.count_active(10**9) == 0


async def test_the_repository_never_commits(session_factory: SF, clock: Clock) -> None:
    async with session_factory() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        campaign_id = campaign.id
        unit = (await s.scalars(select(Unit).where(Unit.code == "P-BADINH"))).one()
        await DelegateRepository(s).add(_delegate(campaign, unit, "Nháp", clock, "active"))
        await s.rollback()
    async with session_factory() as s:
        assert await DelegateRepository(s).count_active(campaign_id) == 0

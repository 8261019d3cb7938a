"""The per-message reads and writes: an update id claimed once, the sender loaded in one query."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ChatAccount, ProcessedUpdate
from storage.repositories.people import PeopleRepository
from storage.repositories.updates import ProcessedUpdateRepository
from tests.harness import Clock

SF = async_sessionmaker[AsyncSession]


async def test_an_update_id_is_claimed_once_per_channel(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        updates = ProcessedUpdateRepository(s)
        assert await updates.claim("telegram", "41", clock())
        assert not await updates.claim("telegram", "41", clock())  # in the same transaction
        assert await updates.claim("zalo", "41", clock())  # another channel's id 41
    async with session_factory.begin() as s:
        assert not await ProcessedUpdateRepository(s).claim("telegram", "41", clock())
        assert await ProcessedUpdateRepository(s).seen("telegram", "41")
        rows = (await s.scalars(select(ProcessedUpdate).order_by(ProcessedUpdate.channel))).all()
    assert [(r.channel, r.update_id) for r in rows] == [("telegram", "41"), ("zalo", "41")]


async def test_the_claim_is_compiled_once_not_for_every_message(
    session_factory: SF, clock: Clock
) -> None:
    stats: list[CacheStats] = []

    def record(*args: object) -> None:
        context = args[4]
        if "processed_updates" in str(args[2]):
            stats.append(context.cache_hit)  # type: ignore[attr-defined]

    async with session_factory.begin() as s:
        sync_engine = s.bind.sync_engine  # type: ignore[union-attr]
        event.listen(sync_engine, "before_cursor_execute", record)
        try:
            for n in range(3):
                assert await ProcessedUpdateRepository(s).claim("telegram", f"7{n}", clock())
        finally:
            event.remove(sync_engine, "before_cursor_execute", record)
    assert len(stats) == 3
    assert stats[1:] == [CacheStats.CACHE_HIT, CacheStats.CACHE_HIT]


@pytest.mark.usefixtures("demo")
async def test_the_sender_with_person_and_unit_in_one_statement(session_factory: SF) -> None:
    statements: list[str] = []
    async with session_factory() as s:
        sync_engine = s.bind.sync_engine  # type: ignore[union-attr]

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            account, person, unit = await PeopleRepository(s).account_with_unit(
                "console", "badinh"
            )
            secretariat = await PeopleRepository(s).account_with_unit("console", "noivu")
            stranger = await PeopleRepository(s).account_with_unit("console", "nobody")
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
    assert isinstance(account, ChatAccount) and person is not None and unit is not None
    assert account.person_id == person.id and person.unit_id == unit.id
    assert unit.code == "P-BADINH"
    assert secretariat[1] is not None and secretariat[2] is None  # no unit: still found
    assert stranger == (None, None, None)
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 3

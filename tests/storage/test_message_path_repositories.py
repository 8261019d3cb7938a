"""The per-message reads and writes: an update id claimed once, chat and sender in one query."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ChatAccount, Conversation, ProcessedUpdate
from storage.repositories.conversations import ConversationRepository, StoredConversation
from storage.repositories.updates import ProcessedUpdateRepository
from tests.conftest import TestDatabase
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
async def test_the_chats_step_and_the_sender_in_one_statement(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await ConversationRepository(s).save(
            "console", "badinh", "nop.content", {"req": 3}, clock(), None
        )
        await ConversationRepository(s).save("console", "nobody", "idle", {"a": 1}, clock(), None)
    statements: list[str] = []
    async with session_factory.begin() as s:
        sync_engine = s.bind.sync_engine  # type: ignore[union-attr]

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            conversations = ConversationRepository(s)
            badinh = await conversations.load_with_sender("console", "badinh", "badinh")
            noivu = await conversations.load_with_sender("console", "noivu", "noivu")
            nobody = await conversations.load_with_sender("console", "nobody", "nobody")
            stranger = await conversations.load_with_sender("console", "x", "x")
            other_channel = await conversations.load_with_sender("zalo", "badinh", "badinh")
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
    row, account, person, unit = badinh
    assert row == StoredConversation("nop.content", {"req": 3})
    assert isinstance(account, ChatAccount) and person is not None and unit is not None
    assert account.person_id == person.id and person.unit_id == unit.id
    assert unit.code == "P-BADINH"
    row, account, person, unit = noivu
    assert row is None and account is not None and person is not None and unit is None
    assert nobody == (StoredConversation("idle", {"a": 1}), None, None, None)
    assert stranger == (None, None, None, None)
    assert other_channel == (None, None, None, None)
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 5


@pytest.mark.postgres_only  # SQLite serialises write transactions itself (BEGIN IMMEDIATE)
async def test_loading_the_chat_locks_its_row_until_the_transaction_ends(
    session_factory: SF, test_db: TestDatabase, clock: Clock
) -> None:
    assert test_db.dialect == "postgresql"
    async with session_factory.begin() as s:
        await ConversationRepository(s).save("console", "badinh", "nop.pick", {}, clock(), None)
    locked = (
        select(Conversation.state)
        .where(Conversation.channel == "console", Conversation.chat_id == "badinh")
        .with_for_update(nowait=True)
    )
    async with session_factory.begin() as first:
        found = await ConversationRepository(first).load_with_sender("console", "badinh", "x")
        assert found[0] == StoredConversation("nop.pick", {})
        async with session_factory() as second:
            with pytest.raises(DBAPIError, match="lock"):
                await second.execute(locked)
    async with session_factory() as second:  # released with the first transaction
        assert await second.scalar(locked) == "nop.pick"

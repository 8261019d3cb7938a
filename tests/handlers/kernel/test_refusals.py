"""A refused message changes nothing, whether its step wrote, held a change or only read.

A step that only read is refused in its own transaction (one claim of the update id); one that
wrote or holds an unflushed change is rolled back and refused in a new transaction.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.kernel.context import CoreDeps, Ctx
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import ChatKey, Incoming, Reply
from handlers.kernel.routes import CommandSpec
from handlers.kernel.texts import Texts
from handlers.routes import ROUTES
from storage.files import LocalFileStore
from storage.models import AuditLog, ProcessedUpdate
from storage.repositories.audit import AuditRepository
from tests.harness import Clock

SF = async_sessionmaker[AsyncSession]


def _audit(ctx: Ctx) -> None:
    AuditRepository(ctx.session).record(
        at=ctx.now, person_id=None, action="test", entity="test", entity_id=None
    )


async def _reads_then_refuses(ctx: Ctx) -> list[Reply]:
    raise UserError("unreadable")


async def _holds_a_change_then_refuses(ctx: Ctx) -> list[Reply]:
    _audit(ctx)  # added, not flushed
    raise UserError("unreadable")


async def _writes_then_refuses(ctx: Ctx) -> list[Reply]:
    _audit(ctx)
    await ctx.session.flush()
    raise UserError("unreadable")


async def _writes_sql_then_refuses(ctx: Ctx) -> list[Reply]:
    insert = text(
        "INSERT INTO audit_log (at, action, entity, detail) VALUES (:at, 'test', 'test', '{}')"
    ).bindparams(bindparam("at", type_=AuditLog.__table__.c.at.type))
    await ctx.session.execute(insert, {"at": ctx.now})  # a textual statement, not an ORM one
    raise UserError("unreadable")


@pytest.fixture
def core(session_factory: SF, clock: Clock, tmp_path: Path) -> Core:
    commands = {
        **ROUTES.commands,
        "docroi": CommandSpec(lambda: _reads_then_refuses, needs_link=False),
        "giuroi": CommandSpec(lambda: _holds_a_change_then_refuses, needs_link=False),
        "ghiroi": CommandSpec(lambda: _writes_then_refuses, needs_link=False),
        "sqlroi": CommandSpec(lambda: _writes_sql_then_refuses, needs_link=False),
    }
    deps = CoreDeps(
        session_factory=session_factory,
        files=LocalFileStore(tmp_path / "files"),
        texts=Texts(),
        clock=clock,
    )
    return Core(deps, dataclasses.replace(ROUTES, commands=commands))


@pytest.fixture
def claims(engine: AsyncEngine) -> list[str]:
    """Every claim of an update id the engine runs."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO processed_updates"):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def _count(session_factory: SF, model: Any) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("command", "claimed"), [("/docroi", 1), ("/giuroi", 2), ("/ghiroi", 2), ("/sqlroi", 2)]
)
async def test_a_refused_step_changes_nothing_and_its_update_is_claimed(
    core: Core, session_factory: SF, claims: list[str], command: str, claimed: int
) -> None:
    msg = Incoming(ChatKey("console", "khach"), "khach", text=command, update_id="7")
    (reply,) = await core.handle(msg)
    assert "Bot không nhận được nội dung" in reply.text
    assert await _count(session_factory, AuditLog) == 0
    assert await _count(session_factory, ProcessedUpdate) == 1
    # A step that only read is refused in its transaction; the others in a second one.
    assert len(claims) == claimed
    assert await core.handle(msg) == []  # delivered again: skipped, not refused twice


async def test_a_message_that_leaves_the_step_as_it_was_writes_no_step(
    core: Core, engine: AsyncEngine, demo: None
) -> None:
    writes: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split()[0] in {"INSERT", "UPDATE"} and "conversations" in statement:
            writes.append(statement.split()[0])

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    key = ChatKey("console", "badinh")
    for typed in ("/nop", "/nop", "/huy", "/huy"):
        await core.handle(Incoming(key, "badinh", text=typed))
    # The list to pick from is stored once; asked again, nothing changed; /huy leaves it once.
    assert writes == ["INSERT", "UPDATE"]

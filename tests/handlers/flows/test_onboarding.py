"""Linking without a start parameter: ``/start CODE``, ``start CODE`` or a bare code; failed
codes are limited per chat, and the limit survives a restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.flows.onboarding import link_text
from handlers.kernel.dispatcher import Core
from handlers.routes import make_core
from handlers.services.invites import create_invite
from storage.models import AuditLog, ChatAccount, LinkAttempt, Role
from tests.harness import ChatHarness, Clock


async def _code(factory: async_sessionmaker[AsyncSession], clock: Clock) -> str:
    async with factory.begin() as session:
        invite, _ = await create_invite(
            session,
            role=Role.UNIT_HEAD,
            unit_ref="P-BADINH",
            full_name="Lê Văn Ba",
            now=clock(),
            ttl=dt.timedelta(days=7),
        )
        return invite.code


def test_the_code_in_what_people_type() -> None:
    assert link_text("start K7XM2PQR9A") == "K7XM2PQR9A"
    assert link_text("  Start   k7xm-2pqr9a ") == "k7xm-2pqr9a"
    assert link_text("bắt đầu K7XM2PQR9A") == "K7XM2PQR9A"
    assert link_text("K7XM2PQR9A") == "K7XM2PQR9A"
    assert link_text("k7xm 2pqr 9a") == "K7XM2PQR9A"
    assert link_text("start") == ""
    assert link_text("xin chào") is None
    assert link_text("K7XM2PQR9O") is None  # O is not in the alphabet
    assert link_text("ai chua nop") is None


async def test_start_code_and_a_bare_code_link_an_unlinked_chat(
    chat: Callable[..., ChatHarness],
    demo: None,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    first = chat("zl-1", channel="zalo")
    await first.send(f"start {await _code(session_factory, clock)}")
    assert "Chào mừng Lê Văn Ba" in first.text
    second = chat("zl-2", channel="zalo")
    code = await _code(session_factory, clock)
    await second.send(code.lower())
    assert "Chào mừng" in second.text
    await second.send(await _code(session_factory, clock))  # linked: not a code any more
    assert "Chào mừng" not in second.text
    async with session_factory() as session:
        linked = await session.scalar(
            select(func.count()).select_from(ChatAccount).where(ChatAccount.channel == "zalo")
        )
    assert linked == 2


async def test_wrong_codes_are_limited_per_chat_across_a_restart(
    chat: Callable[..., ChatHarness],
    core: Core,
    demo: None,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    guesser = chat("zl-3", channel="zalo")
    for _ in range(4):
        await guesser.send("start ABCDEFGHJK")
        assert "Mã mời không đúng" in guesser.text
    await guesser.send("ABCDEFGHJM")
    assert "quá nhiều lần" in guesser.text
    restarted = ChatHarness(make_core(core.deps), "zl-3", channel="zalo")
    good = await _code(session_factory, clock)
    await restarted.send(f"/start {good}")
    assert "quá nhiều lần" in restarted.text and "Chào mừng" not in restarted.text
    other = chat("zl-4", channel="zalo")  # another chat is not held back
    await other.send("start ABCDEFGHJK")
    assert "Mã mời không đúng" in other.text
    clock.now += dt.timedelta(minutes=31)
    await restarted.send(f"start {good}")
    assert "Chào mừng" in restarted.text
    async with session_factory() as session:
        rows = (await session.scalars(select(LinkAttempt.chat_id))).all()
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "account.link_blocked")
        )
    assert rows == ["zl-4"]  # linking cleared zl-3's count
    assert audited == 1

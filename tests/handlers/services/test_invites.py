"""Invite batches: one code per active unit, single use, expiring, revoking the older batch.

Revoking while someone links, and two revocations at once, are defined: each code ends either
used (the person stays linked) or revoked (the linking is refused and nothing is saved).
Run on PostgreSQL too (TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.kernel.messages import Incoming
from handlers.services.invites import create_invite, create_invite_batch, revoke_invites
from storage.models import AuditLog, ChatAccount, Invite, Person, Role
from tests.harness import ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
TTL = dt.timedelta(days=7)

pytestmark = pytest.mark.usefixtures("demo")


async def _batch(sf: SF, clock: Clock, *, revoke_old: bool = False) -> tuple[list[str], int]:
    async with sf.begin() as s:
        batch = await create_invite_batch(
            s, role=Role.UNIT_HEAD, now=clock(), ttl=TTL, revoke_old=revoke_old
        )
        return [i.code for _, i in batch.invites], batch.revoked


async def _count(sf: SF, *where: object) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(Invite).where(*where)) or 0)


async def test_a_new_batch_revokes_the_unused_codes_of_the_old_one(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    old, revoked = await _batch(session_factory, clock)
    assert len(old) == 21 and revoked == 0
    first = chat("first")
    await first.send(f"/start {old[0]}")
    assert "Lãnh đạo đơn vị" in first.text or "liên kết" in first.text
    new, revoked = await _batch(session_factory, clock, revoke_old=True)
    assert revoked == 20  # the used code is not undone
    late = chat("late")
    await late.send(f"/start {old[1]}")
    assert "đã bị thu hồi" in late.text
    await late.send(f"/start {new[1]}")
    assert "/trogiup" in late.text or "liên kết" in late.text.lower()
    await first.send("/tinhhinh")
    assert "chưa được liên kết" not in first.text
    async with session_factory() as s:
        (entry,) = await s.scalars(select(AuditLog).where(AuditLog.action == "invite.revoke"))
    assert entry.detail == {"role": "unit_head", "unit": None, "count": 20}


async def test_an_expired_or_used_code_is_refused(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    codes, _ = await _batch(session_factory, clock)
    one = chat("one")
    await one.send(f"/start {codes[0]}")
    two = chat("two")
    await two.send(f"/start {codes[0]}")
    assert "đã được sử dụng" in two.text
    clock.now += TTL
    await two.send(f"/start {codes[1]}")
    assert "hết hạn" in two.text


async def test_two_revocations_at_once_revoke_each_code_once(
    session_factory: SF, clock: Clock
) -> None:
    await _batch(session_factory, clock)

    async def revoke() -> int:
        async with session_factory.begin() as s:
            return await revoke_invites(s, role=Role.UNIT_HEAD, now=clock())

    results = await asyncio.gather(revoke(), revoke())
    assert sorted(results) == [0, 21]
    assert await _count(session_factory, Invite.revoked_at.is_not(None)) == 21


async def test_revoking_while_someone_links_ends_one_way_or_the_other(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    codes, _ = await _batch(session_factory, clock)
    user = chat("linking")
    start = Incoming(user.key, user.user, text=f"/start {codes[0]}", display_name="Người mới")

    async def revoke() -> int:
        async with session_factory.begin() as s:
            return await revoke_invites(s, role=Role.UNIT_HEAD, now=clock())

    replies, revoked = await asyncio.gather(user.core.handle(start), revoke())
    text = "\n".join(r.text for r in replies)
    async with session_factory() as s:
        invite = (await s.scalars(select(Invite).where(Invite.code == codes[0]))).one()
        accounts = list(
            await s.scalars(select(ChatAccount).where(ChatAccount.external_id == "linking"))
        )
        people = list(await s.scalars(select(Person).where(Person.full_name == "Người mới")))
    if invite.used_at is not None:  # the linking came first: kept, the others revoked
        assert invite.revoked_at is None and revoked == 20
        assert len(accounts) == 1 and len(people) == 1
    else:  # the revocation came first: refused, nothing saved
        assert invite.revoked_at is not None and revoked == 21
        assert "đã bị thu hồi" in text
        assert accounts == [] and people == []


async def test_a_second_secretariat_account_is_invited_by_the_first(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    async with session_factory() as s:
        noivu = (await s.scalars(select(Person).where(Person.role == Role.SECRETARIAT))).one()
    async with session_factory.begin() as s:
        invite, unit = await create_invite(
            s,
            role=Role.SECRETARIAT,
            unit_ref=None,
            full_name=None,
            now=clock(),
            ttl=TTL,
            by=noivu.id,
        )
        code = invite.code
    assert unit is None
    vanthu = chat("vanthu")
    await vanthu.send(f"/start {code}")
    await vanthu.send("/duyet")
    assert "chỉ dành cho" not in vanthu.text
    async with session_factory() as s:
        (entry,) = await s.scalars(select(AuditLog).where(AuditLog.action == "invite.create"))
    assert entry.person_id == noivu.id


async def test_a_batch_for_the_secretariat_is_refused(session_factory: SF, clock: Clock) -> None:
    with pytest.raises(UserError) as err:
        async with session_factory.begin() as s:
            await create_invite_batch(s, role=Role.SECRETARIAT, now=clock(), ttl=TTL)
    assert err.value.key == "invite_all_units_secretariat"
    assert await _count(session_factory) == 0

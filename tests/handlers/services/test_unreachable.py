"""Late units no reminder reaches, and why: nobody linked, or the accounts blocked the bot.

Said by the digest, `tdkt reminders preview` and the secretariat's /tinhhinh. On the demo at
18/11/2019 08:00 eight late units have nobody linked; here Phú Sơn's head links and then
blocks the bot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.kernel.texts import Texts
from handlers.queries.stats import UnitRef, Unreachable
from handlers.services.invites import create_invite
from handlers.services.reminders import plan_notices, unreachable_summary
from storage.models import Role
from storage.repositories.people import PeopleRepository
from storage.text import vn_sort_key
from tests.harness import TZ, ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]

pytestmark = pytest.mark.usefixtures("demo")


async def _phuson_blocks(sf: SF, clock: Clock, chat: Chat) -> None:
    async with sf.begin() as s:
        invite, _ = await create_invite(
            s,
            role=Role.UNIT_HEAD,
            unit_ref="P-PHUSON",
            full_name=None,
            now=clock(),
            ttl=dt.timedelta(days=7),
        )
        code = invite.code
    await chat("phuson").send(f"/start {code}")
    async with sf.begin() as s:
        assert await PeopleRepository(s).mark_unreachable("console", "phuson", clock()) == 1


async def test_the_digest_says_why(session_factory: SF, clock: Clock, chat: Chat) -> None:
    await _phuson_blocks(session_factory, clock, chat)
    at = parse_now("2019-11-18T08:00", TZ)
    async with session_factory() as s:
        ((_, late),) = await unreachable_summary(s, at)
        (digest,) = [p for p in await plan_notices(s, Texts(), at) if p.kind == "digest"]
    assert len(late) == 8 and [u.code for u in late.blocked] == ["P-PHUSON"]
    names = [u.name for u in late.never_linked]
    assert len(names) == 7 and names == sorted(names, key=vn_sort_key)
    text = digest.reply.text
    assert "8 đơn vị quá hạn không nhận được tin nhắc" in text
    assert "7 đơn vị chưa ai liên kết tài khoản" in text
    assert "1 đơn vị có tài khoản nhưng đã chặn bot hoặc xóa tài khoản (Phường Phú Sơn)" in text


async def test_the_secretariat_status_says_why(
    session_factory: SF, clock: Clock, chat: Chat
) -> None:
    await _phuson_blocks(session_factory, clock, chat)
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    assert "không nhận được tin nhắc" not in noivu.text  # nothing is late on 12/11
    clock.set("2019-11-18T08:00")
    await noivu.send("/tinhhinh")
    assert "8 đơn vị quá hạn không nhận được tin nhắc" in noivu.text
    assert "(Phường Phú Sơn)" in noivu.text
    await noivu.send("/tinhhinh loai:xa")  # a filtered view names the units it covers
    assert "đơn vị quá hạn không nhận được tin nhắc" in noivu.text
    assert "(Phường Phú Sơn)" in noivu.text
    assert "8 đơn vị quá hạn" not in noivu.text


def test_a_long_list_names_the_first_units_and_counts_the_others() -> None:
    units = [UnitRef(i, f"U{i}", f"Đơn vị số {i:02d}", None, "xa") for i in range(1, 31)]
    found = Unreachable(tuple(units[:28]), tuple(units[28:]))
    text = Texts()("reminders.unreachable_line", found=found)
    assert "30 đơn vị quá hạn không nhận được tin nhắc" in text
    shown = ", ".join(f"Đơn vị số {i:02d}" for i in range(1, 21))
    assert f"28 đơn vị chưa ai liên kết tài khoản ({shown} và 8 đơn vị khác)" in text
    assert "Đơn vị số 21" not in text
    assert (
        "2 đơn vị có tài khoản nhưng đã chặn bot hoặc xóa tài khoản (Đơn vị số 29, Đơn vị số 30)"
        in text
    )

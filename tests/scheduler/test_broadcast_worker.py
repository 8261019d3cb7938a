"""Broadcast delivery: every copy once, resumed after a crash, one progress note, one report."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kernel.texts import Texts
from handlers.services.invites import ensure_account
from scheduler import BroadcastWorker
from storage.files import LocalFileStore
from storage.models import (
    Broadcast,
    BroadcastDelivery,
    ChatAccount,
    NoticeStatus,
    Person,
    Role,
    Unit,
)
from storage.repositories.notices import BroadcastRepository
from tests.harness import Clock
from tests.scheduler.test_notifier import Outbox

SF = async_sessionmaker[AsyncSession]
RECIPIENTS = 30


@pytest.fixture
async def broadcast_id(session_factory: SF, demo: None, clock: Clock) -> int:
    """A broadcast from noivu to 30 linked unit heads (one of them unreachable)."""
    async with session_factory.begin() as s:
        units = (await s.scalars(select(Unit).order_by(Unit.code))).all()
        for n in range(RECIPIENTS):
            await ensure_account(
                s,
                channel="console",
                external_id=f"head{n:02d}",
                full_name=f"Lãnh đạo {n}",
                role=Role.UNIT_HEAD,
                unit_code=units[n % len(units)].code,
                now=clock(),
            )
        noivu = (await s.scalars(select(Person).where(Person.role == Role.SECRETARIAT))).one()
        rows = (
            await s.execute(
                select(ChatAccount, Person)
                .join(Person)
                .where(ChatAccount.external_id.like("head%"))
                .order_by(ChatAccount.external_id)
            )
        ).tuples()
        copies = [
            {
                "account_id": account.id,
                "unit_id": person.unit_id,
                "channel": "console",
                "chat_id": account.external_id,
                "status": NoticeStatus.BLOCKED if n == 0 else NoticeStatus.PENDING,
                "updated_at": clock(),
            }
            for n, (account, person) in enumerate(rows)
        ]
        broadcast = await BroadcastRepository(s).add(
            Broadcast(
                created_by=noivu.id,
                created_at=clock(),
                text="Họp giao ban <thứ Hai> & báo cáo",
                audience={"kind": "all"},
                audience_label="Tất cả đơn vị",
                origin_channel="console",
                origin_chat_id="noivu",
                status="sending",
            ),
            copies,
        )
        return broadcast.id


def _worker(sf: SF, clock: Clock, outbox: Outbox, tmp_path: Path, who: str) -> BroadcastWorker:
    return BroadcastWorker(
        sf, Texts(), LocalFileStore(tmp_path), clock, {"console": outbox}, who, concurrency=3
    )


async def test_every_copy_goes_once_with_one_report(
    session_factory: SF, broadcast_id: int, clock: Clock, tmp_path: Path
) -> None:
    outbox = Outbox()
    report = await _worker(session_factory, clock, outbox, tmp_path, "a").run()
    heads = [chat for chat, _ in outbox.sent if chat.startswith("head")]
    assert sorted(heads) == [f"head{n:02d}" for n in range(1, RECIPIENTS)]
    assert report.sent == RECIPIENTS - 1
    text = outbox.to("head05")[0]
    assert "Họp giao ban <thứ Hai> & báo cáo" in text  # escaped for HTML, shown as written
    progress, final = outbox.to("noivu")
    assert "29" in progress or "30" in progress
    assert "29" in final and "1" in final
    assert await _worker(session_factory, clock, Outbox(), tmp_path, "b").run() is not None
    async with session_factory() as s:
        assert (await s.get_one(Broadcast, broadcast_id)).status == "done"


async def test_an_interrupted_broadcast_resumes_without_duplicates(
    session_factory: SF, broadcast_id: int, clock: Clock, tmp_path: Path
) -> None:
    crashing = Outbox(fail_after=11)  # the progress note and 10 copies, then the process dies
    with pytest.raises(asyncio.CancelledError):
        await _worker(session_factory, clock, crashing, tmp_path, "host:1").run()
    resumed = Outbox()
    await _worker(session_factory, clock, resumed, tmp_path, "host:2").run()
    async with session_factory() as s:
        counts = await BroadcastRepository(s).counts(broadcast_id)
        assert (await s.get_one(Broadcast, broadcast_id)).status == "sending"  # copies in limbo
    in_flight = counts.get(NoticeStatus.CLAIMED, 0)
    assert 1 <= in_flight <= 3  # at most one per worker was cut off mid-send

    clock.now += dt.timedelta(minutes=20)  # their lease runs out: unknown, never resent
    final = Outbox()
    await _worker(session_factory, clock, final, tmp_path, "host:3").run()
    heads = [c for c, _ in crashing.sent + resumed.sent + final.sent if c.startswith("head")]
    assert len(heads) == len(set(heads))  # nothing twice
    # nothing lost without a trace: a copy cut off mid-send may or may not have arrived
    assert len(heads) <= RECIPIENTS - 1 <= len(heads) + in_flight
    progress = [t for c, t in crashing.sent + resumed.sent + final.sent if c == "noivu"]
    assert len(progress) == 2  # one progress note, one report (with the unknown ones)
    assert "không rõ" in progress[-1].lower()


async def test_a_small_broadcast_gets_the_report_only(
    session_factory: SF, broadcast_id: int, clock: Clock, tmp_path: Path
) -> None:
    async with session_factory.begin() as s:  # keep 3 copies pending: a small announcement
        copies = (
            await s.scalars(
                select(BroadcastDelivery)
                .where(BroadcastDelivery.status == NoticeStatus.PENDING)
                .order_by(BroadcastDelivery.id)
            )
        ).all()
        for copy in copies[3:]:
            await s.delete(copy)
    outbox = Outbox()
    await _worker(session_factory, clock, outbox, tmp_path, "a").run()
    assert len([c for c, _ in outbox.sent if c.startswith("head")]) == 3
    (only,) = outbox.to("noivu")  # no "đang gửi…" before it
    assert "Đang gửi" not in only

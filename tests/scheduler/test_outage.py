"""The scheduler survives the database going away: nothing due is lost, nothing goes twice.

The database is taken away at the statement level (every statement fails as a refused
connection would), on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers.kernel.messages import ChatKey, Delivery, Reply
from handlers.kernel.texts import Texts
from scheduler import BroadcastWorker, SchedulerService
from storage.files import LocalFileStore
from storage.models import BroadcastDelivery, NoticeStatus
from tests.harness import Clock
from tests.scheduler.test_broadcast_worker import RECIPIENTS, broadcast_id
from tests.scheduler.test_notifier import Outbox, _notifier, heads

SF = async_sessionmaker[AsyncSession]

__all__ = ["broadcast_id", "heads"]  # fixtures used here


class DatabaseSwitch:
    """Makes every statement fail while ``down`` is set."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.down = False
        self._engine = engine.sync_engine
        event.listen(self._engine, "before_cursor_execute", self._check)

    def _check(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.down:
            raise OperationalError(statement, params, ConnectionRefusedError("database is away"))

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._check)


@pytest.fixture
def switch(engine: AsyncEngine) -> Any:
    db = DatabaseSwitch(engine)
    yield db
    db.close()


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
async def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def service(
    session_factory: SF, heads: None, clock: Clock, tmp_path: Path, outbox: Outbox
) -> AsyncIterator[SchedulerService]:
    worker = BroadcastWorker(
        session_factory, Texts(), LocalFileStore(tmp_path), clock, {"console": outbox}, "t:1"
    )
    svc = SchedulerService(
        session_factory,
        _notifier(session_factory, clock, outbox),
        worker,
        clock,
        retry_backoff=(0.05, 0.1),
    )
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


async def test_a_slot_that_falls_during_an_outage_goes_out_once_when_it_returns(
    service: SchedulerService,
    switch: DatabaseSwitch,
    clock: Clock,
    outbox: Outbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert len(outbox.to("halan")) == 1  # the 12/11 08:00 reminder, sent at start-up
    job = service.scheduler.get_job("notify:2019-11-14T01:00Z")
    assert job is not None  # 14/11 08:00: "còn 1 ngày"
    caplog.set_level(logging.INFO, logger="scheduler")

    switch.down = True
    clock.set("2019-11-14T08:00")
    await job.func()  # the one-off job fires while the database is away
    await _until(lambda: service.failures >= 3)  # the recovery job keeps trying, backing off
    assert len(outbox.to("halan")) == 1

    switch.down = False  # the database is back: no restart
    await _until(lambda: service.failures == 0)
    halan = outbox.to("halan")
    assert len(halan) == 2 and "còn 1 ngày" in halan[1]
    assert len(outbox.to("noivu")) == 2  # the digests of 12/11 and 14/11

    await job.func()  # the job again, or another process: nothing twice
    await service.reconcile()
    assert len(outbox.to("halan")) == 2
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info  # logged once, with the traceback
    assert "notify:2019-11-14T01:00Z" in errors[0].getMessage()
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_a_copy_sent_just_before_the_database_went_away_is_recorded_when_it_returns(
    session_factory: SF,
    broadcast_id: int,
    switch: DatabaseSwitch,
    clock: Clock,
    tmp_path: Path,
) -> None:
    delivered: list[str] = []

    async def send(key: ChatKey, reply: Reply) -> Delivery:
        delivered.append(key.chat_id)
        if len(delivered) == 3:
            switch.down = True  # sent, and then the outcome cannot be written
        return Delivery.SENT

    worker = BroadcastWorker(
        session_factory, Texts(), LocalFileStore(tmp_path), clock, {"console": send}, "t:1"
    )
    svc = SchedulerService(
        session_factory,
        _notifier(session_factory, clock, Outbox()),
        worker,
        clock,
        retry_backoff=(0.05,),
    )
    await svc.start()
    try:
        await _until(lambda: svc.failures >= 1)
        assert worker.outcomes.unwritten == 1
        switch.down = False
        await _until(lambda: svc.failures == 0 and worker.outcomes.unwritten == 0)
        await _until(lambda: len(set(delivered) - {"noivu"}) == RECIPIENTS - 1)
    finally:
        await svc.stop()
    async with session_factory() as s:
        statuses = (
            await s.scalars(
                select(BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == broadcast_id
                )
            )
        ).all()
    assert sorted(set(statuses)) == [NoticeStatus.BLOCKED, NoticeStatus.SENT]  # none unknown
    heads_sent = [chat for chat in delivered if chat != "noivu"]
    assert len(heads_sent) == len(set(heads_sent)) == RECIPIENTS - 1  # each copy once

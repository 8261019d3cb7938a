"""The export worker: files are built off the conversation path, once, retried, never lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from handlers.kernel.messages import ChatKey, Delivery, Reply
from handlers.kernel.texts import Texts
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.services.exports import queue_export
from scheduler import ExportWorker
from storage.files import LocalFileStore
from storage.models import ExportJob
from storage.repositories.campaigns import CampaignRepository
from tests.conftest import TestDatabase
from tests.harness import ChatHarness, Clock, Jobs

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
CODE = "BIMSON-DHTT-2019"
#: Long enough for any machine; only reached when the worker never starts reading (a failure).
NEVER = 120.0


class Gate:
    """Stops the worker thread at its first query until released (the build is "in progress")."""

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.release = threading.Event()

    def hold(self, *_: Any) -> None:
        if not self.reading.is_set():
            self.reading.set()
            self.release.wait(NEVER)


def _worker(
    sf: SF,
    test_db: TestDatabase,
    clock: Clock,
    tmp_path: Path,
    send: Any,
    *,
    gate: Gate | None = None,
    claimant: str = "host:1:a",
    **kwargs: Any,
) -> ExportWorker:
    def reader() -> AsyncEngine:
        engine = test_db.make_engine(read_only=True, poolclass=NullPool)
        if gate is not None:
            event.listen(engine.sync_engine, "after_cursor_execute", gate.hold)
        return engine

    return ExportWorker(
        sf,
        reader,
        Texts(),
        LocalFileStore(tmp_path / "files"),
        clock,
        {"console": send},
        claimant,
        **kwargs,
    )


async def _queue(sf: SF, clock: Clock, kind: ExportKind, fmt: ExportFormat) -> int:
    async with sf.begin() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        job = await queue_export(
            s, kind, fmt, Scope(campaign, None, clock()), chat=_key("noivu"), requested_by=None
        )
        return job.id


def _key(chat_id: str) -> ChatKey:
    return ChatKey("console", chat_id)


async def _status(sf: SF, job_id: int) -> tuple[str, int]:
    async with sf() as s:
        job = await s.get_one(ExportJob, job_id)
        return job.status, job.attempts


async def test_another_user_is_answered_while_a_file_is_built(
    chat: Chat,
    jobs: Jobs,
    demo: None,
    session_factory: SF,
    test_db: TestDatabase,
    clock: Clock,
    tmp_path: Path,
) -> None:
    gate = Gate()
    jobs.worker = _worker(session_factory, test_db, clock, tmp_path, jobs.send, gate=gate)
    jobs.auto = False
    noivu, badinh = chat("noivu"), chat("badinh")
    await noivu.send("/xuat")
    await noivu.press("Tình hình nộp")
    await noivu.press("Excel")
    assert "Đang tạo tệp…" in noivu.text and not any(r.file for r in noivu.replies)

    events: list[str] = []
    building = asyncio.create_task(jobs.run())
    building.add_done_callback(lambda _: events.append("noivu's file sent"))
    # The worker thread is inside its read transaction, in the middle of building the file.
    assert await asyncio.to_thread(gate.reading.wait, NEVER)
    await badinh.send("/xuat")  # a message that writes (its conversation step)
    events.append("badinh answered")
    assert "Phường Ba Đình" in badinh.text
    await badinh.press("Báo cáo tổng hợp")  # and another: the database is not locked
    events.append("badinh answered again")
    assert badinh.buttons == ["📘 Word (.docx)", "📗 Excel (.xlsx)", "↩️ Quay lại"]
    assert not building.done()
    gate.release.set()
    await building
    assert events == ["badinh answered", "badinh answered again", "noivu's file sent"]
    (reply,) = jobs.take(noivu.key)
    assert reply.file is not None and reply.file.name == "tinh-hinh-nop-BIMSON-DHTT-2019.xlsx"
    assert "tính đến 12/11/2019 09:00" in reply.text
    assert openpyxl.load_workbook(BytesIO(reply.file.data)).sheetnames
    assert jobs.take(badinh.key) == []


class Recorder:
    """A channel's send that records what it delivered."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []

    async def __call__(self, key: ChatKey, reply: Reply) -> Delivery:
        self.sent.append((key.chat_id, reply.text, reply.file.name if reply.file else None))
        return Delivery.SENT


async def test_a_job_is_built_once_by_one_of_two_workers(
    demo: None, session_factory: SF, test_db: TestDatabase, clock: Clock, tmp_path: Path
) -> None:
    job_id = await _queue(session_factory, clock, ExportKind.REPORT, ExportFormat.DOCX)
    out = Recorder()
    first = _worker(session_factory, test_db, clock, tmp_path, out, claimant="host:1:a")
    second = _worker(session_factory, test_db, clock, tmp_path, out, claimant="host:2:b")
    reports = await asyncio.gather(first.run(), second.run())
    assert sorted(j for r in reports for j in r.sent) == [job_id]
    assert [name for _, _, name in out.sent] == ["bao-cao-tong-hop-BIMSON-DHTT-2019.docx"]
    assert await _status(session_factory, job_id) == ("done", 1)
    assert (await first.run()).sent == []  # nothing left to do


async def test_a_failing_build_is_retried_then_the_person_is_told(
    demo: None,
    session_factory: SF,
    test_db: TestDatabase,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id = await _queue(session_factory, clock, ExportKind.PROGRESS, ExportFormat.XLSX)
    calls: list[int] = []

    async def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise RuntimeError("disk full")

    monkeypatch.setattr("handlers.services.exports.build_export", broken)
    out = Recorder()
    worker = _worker(session_factory, test_db, clock, tmp_path, out, max_attempts=3)
    report = await worker.run()
    assert len(calls) == 3 and report.failed == [job_id] and report.sent == []
    ((to, text, name),) = out.sent
    assert to == "noivu" and name is None
    assert "Chưa tạo được tệp" in text and "Tình hình nộp của các đơn vị" in text
    assert await _status(session_factory, job_id) == ("failed", 3)
    async with session_factory() as s:
        assert (await s.get_one(ExportJob, job_id)).error == "RuntimeError: disk full"


async def test_a_job_left_by_a_crash_is_built_on_the_next_start(
    demo: None, session_factory: SF, test_db: TestDatabase, clock: Clock, tmp_path: Path
) -> None:
    job_id = await _queue(session_factory, clock, ExportKind.PROGRESS, ExportFormat.XLSX)
    async with session_factory.begin() as s:  # claimed by a process that then died
        job = await s.get_one(ExportJob, job_id)
        job.status, job.claimed_by, job.claimed_at, job.attempts = (
            "building",
            "host:99:dead",
            clock(),
            1,
        )
    out = Recorder()
    alive = _worker(session_factory, test_db, clock, tmp_path, out)
    assert (await alive.run()).sent == []  # within its lease, the claim is respected
    restarted = _worker(
        session_factory, test_db, clock, tmp_path, out, is_dead=lambda c: c == "host:99:dead"
    )
    assert (await restarted.run()).sent == [job_id]
    assert await _status(session_factory, job_id) == ("done", 2)
    clock.now += dt.timedelta(hours=1)  # nothing more to build, however late
    assert (await restarted.run()).sent == []
    assert len(out.sent) == 1


async def test_a_job_of_a_channel_not_run_here_is_left_for_another_process(
    demo: None, session_factory: SF, test_db: TestDatabase, clock: Clock, tmp_path: Path
) -> None:
    job_id = await _queue(session_factory, clock, ExportKind.PROGRESS, ExportFormat.XLSX)
    async with session_factory.begin() as s:
        (await s.get_one(ExportJob, job_id)).channel = "telegram"
    worker = _worker(session_factory, test_db, clock, tmp_path, Recorder())
    assert (await worker.run()).sent == []
    assert await _status(session_factory, job_id) == ("pending", 0)
    async with session_factory() as s:
        assert list(await s.scalars(select(ExportJob.claimed_by))) == [None]

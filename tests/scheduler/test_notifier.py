"""Reminders and digests on an injected clock: who, when, what, and exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import render_text
from handlers.domain.reminder_policy import WorkingCalendar
from handlers.kernel.messages import ChatKey, Delivery, Reply
from handlers.kernel.texts import Texts
from handlers.queries.stats import requirements as requirements_stats
from handlers.services import reminders
from handlers.services.invites import ensure_account
from scheduler import NOTIFY_PREFIX, BroadcastWorker, Notifier, SchedulerService
from scheduler import notifier as notifier_module
from scheduler.notifier import Outcomes
from storage.db import make_session_factory
from storage.files import LocalFileStore
from storage.models import (
    Campaign,
    ChatAccount,
    NoticeStatus,
    Requirement,
    Role,
    SentNotice,
    Submission,
    SubmissionStatus,
    Unit,
)
from tests.conftest import TestDatabase
from tests.harness import ChatHarness, Clock

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]

#: Unit heads linked besides the demo's badinh (P-BADINH, no plan yet on 12/11).
HEADS = {
    "halan": "X-HALAN",  # no plan yet
    "phuson": "P-PHUSON",  # sends its plan on 14/11 (in the demo records), not yet on 12/11
    "bacson": "P-BACSON",  # plan sent and accepted on 28/10
}


@dataclass
class Outbox:
    """A channel's send that records what it was asked to deliver."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_after: int | None = None

    async def __call__(self, key: ChatKey, reply: Reply) -> Delivery:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise asyncio.CancelledError  # the process dies mid-run
        self.sent.append((key.chat_id, render_text(reply)))
        return Delivery.SENT

    def to(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


@pytest.fixture
async def heads(session_factory: SF, demo: None, clock: Clock) -> None:
    async with session_factory.begin() as s:
        for handle, unit in HEADS.items():
            await ensure_account(
                s,
                channel="console",
                external_id=handle,
                full_name=f"Lãnh đạo {unit}",
                role=Role.UNIT_HEAD,
                unit_code=unit,
                now=clock(),
            )


def _notifier(sf: SF, clock: Clock, outbox: Outbox, who: str = "test:1") -> Notifier:
    return Notifier(sf, Texts(), clock, {"console": outbox}, who, calendar=WorkingCalendar())


async def test_the_plan_reminds_exactly_the_units_that_owe_it(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    outbox = Outbox()
    report = await _notifier(session_factory, clock, outbox).run_due()  # 12/11 09:00, slot b3
    assert sorted(chat for chat, _ in outbox.sent) == ["badinh", "halan", "noivu", "phuson"]
    assert report.sent == 4
    (text,) = outbox.to("badinh")
    assert "Phường Ba Đình" in text and "Kế hoạch tổ chức Hội nghị" in text
    assert "trước ngày 15/11/2019, còn 3 ngày" in text
    assert "các cấp tiến tới Đại hội" not in text  # the requirement, not the plan's full title
    assert "(b3)" not in text and "BIMSON" not in text
    (digest,) = outbox.to("noivu")  # the secretariat's digest at 08:00 on a working day
    assert "Tổng hợp ngày 12/11/2019" in digest and "12/21" in digest
    header = digest.splitlines()[0]
    assert len(header) < 100 and header.endswith("…")  # the plan's title, shortened

    again = await _notifier(session_factory, clock, outbox, "test:2").run_due()
    assert again.sent == 0 and len(outbox.sent) == 4  # a second run, or process: nothing new


async def test_a_unit_that_submits_stops_receiving(
    session_factory: SF, heads: None, clock: Clock, chat: Chat
) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send("Kế hoạch của phường Ba Đình")
    await badinh.press("Xác nhận gửi")
    clock.set("2019-11-14T08:00")  # slot b1
    outbox = Outbox()
    await _notifier(session_factory, clock, outbox).run_due()
    assert outbox.to("badinh") == []
    assert "còn 1 ngày" in outbox.to("halan")[0]


@pytest.mark.parametrize("by_page", [False, True], ids=["by-pair", "by-page"])
async def test_a_returned_submission_is_reminded_again(
    session_factory: SF, heads: None, clock: Clock, monkeypatch: pytest.MonkeyPatch, by_page: bool
) -> None:
    """The reason is named, whether read pair by pair or as the page's units' versions."""
    if by_page:  # one unit a page, its returned versions read by the page's window of ids
        monkeypatch.setattr(reminders, "UNIT_PAGE", 1)
        monkeypatch.setattr(requirements_stats, "_REASONS_BY_PAIR", 0)
    async with session_factory.begin() as s:
        bacson = (await s.scalars(select(Unit).where(Unit.code == "P-BACSON"))).one()
        await s.execute(
            update(Submission)
            .where(Submission.unit_id == bacson.id, Submission.is_current)
            .values(
                status=SubmissionStatus.RETURNED,
                return_reason="Thiếu chữ ký, đóng dấu.",
                reviewed_at=clock(),
            )
        )
    clock.set("2019-11-14T08:05")
    outbox = Outbox()
    await _notifier(session_factory, clock, outbox).run_due()
    (text,) = outbox.to("bacson")
    assert "bị trả lại: Thiếu chữ ký, đóng dấu. Vui lòng" in text and "còn 1 ngày" in text
    assert ".." not in text  # a reason ending with a full stop


async def test_overdue_reminders_say_how_late(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    clock.set("2019-11-17T08:00")  # o2, a Sunday: the default policy does not skip weekends
    outbox = Outbox()
    await _notifier(session_factory, clock, outbox).run_due()
    assert "đã quá hạn 2 ngày" in outbox.to("halan")[0]
    assert outbox.to("noivu") == []  # no digest on a Sunday


async def test_a_slot_missed_during_downtime_is_sent_within_the_grace_period_only(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    clock.set("2019-11-12T19:30")  # 11.5 h after the 08:00 slot
    late = Outbox()
    await _notifier(session_factory, clock, late).run_due()
    assert late.to("halan")
    clock.set("2019-11-14T20:30")  # 12.5 h after b1: too old, not sent
    later = Outbox()
    await _notifier(session_factory, clock, later).run_due()
    assert later.to("halan") == []


async def test_skipping_weekends_moves_the_overdue_reminder_to_monday(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        await s.execute(
            update(Requirement)
            .where(Requirement.code == "KEHOACH")
            .values(policy={"skip_non_working_days": True})
        )
    clock.set("2019-11-17T08:00")
    sunday = Outbox()
    await _notifier(session_factory, clock, sunday).run_due()
    assert sunday.to("halan") == []
    clock.set("2019-11-18T08:00")
    monday = Outbox()
    await _notifier(session_factory, clock, monday).run_due()
    assert "đã quá hạn 3 ngày" in monday.to("halan")[0]


async def test_the_digest_is_composed_only_while_someone_has_not_had_it(
    session_factory: SF, heads: None, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run in the digest's grace (a restart) does not read its figures again."""
    composed: list[str] = []
    compose = notifier_module.digest_notices

    async def counted(*args: Any) -> Any:
        composed.append("digest")
        return await compose(*args)

    monkeypatch.setattr(notifier_module, "digest_notices", counted)
    outbox = Outbox()
    await _notifier(session_factory, clock, outbox).run_due()
    assert composed == ["digest"] and len(outbox.to("noivu")) == 1
    clock.now += dt.timedelta(minutes=30)
    await _notifier(session_factory, clock, outbox, "test:2").run_due()
    assert composed == ["digest"] and len(outbox.to("noivu")) == 1


async def test_a_crash_mid_run_sends_nothing_twice(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    crashing = Outbox(fail_after=2)
    with pytest.raises(asyncio.CancelledError):
        await _notifier(session_factory, clock, crashing, "host:1").run_due()
    assert len(crashing.sent) == 2
    restarted = Outbox()
    await _notifier(session_factory, clock, restarted, "host:2").run_due()
    everyone = [chat for chat, _ in crashing.sent + restarted.sent]
    # the recipient whose send was cut off is claimed but unconfirmed: never sent twice
    assert len(everyone) == len(set(everyone)) == 3
    async with session_factory() as s:
        interrupted = (
            await s.scalars(select(SentNotice).where(SentNotice.status == NoticeStatus.CLAIMED))
        ).all()
    assert len(interrupted) == 1
    clock.now += dt.timedelta(minutes=20)  # after the lease it is reported as unknown
    await _notifier(session_factory, clock, Outbox(), "host:3").run_due()
    async with session_factory() as s:
        statuses = (await s.scalars(select(SentNotice.status))).all()
    assert statuses.count(NoticeStatus.UNKNOWN) == 1


async def test_a_process_killed_mid_batch_leaves_one_notice_unknown(
    session_factory: SF, heads: None, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9: no clean-up runs, so the whole batch stays claimed by the dead process."""

    async def no_cleanup(self: Outcomes, keys: object, claimant: str) -> None:
        return None

    monkeypatch.setattr(Outcomes, "release", no_cleanup)
    killed = Outbox(fail_after=1)
    with pytest.raises(asyncio.CancelledError):
        await _notifier(session_factory, clock, killed, "host:1").run_due()
    async with session_factory() as s:
        claimed = (await s.scalars(select(SentNotice.key))).all()
    assert len(claimed) == 4  # the one sent, the one in flight, two never tried
    restarted = Outbox()
    await Notifier(
        session_factory,
        Texts(),
        clock,
        {"console": restarted},
        "host:2",
        calendar=WorkingCalendar(),
        is_dead=lambda claimant: claimant == "host:1",
    ).run_due()
    everyone = [chat for chat, _ in killed.sent + restarted.sent]
    assert len(everyone) == len(set(everyone)) == 3  # the one in flight is never sent again
    async with session_factory() as s:
        statuses = (await s.scalars(select(SentNotice.status))).all()
    assert sorted(statuses) == sorted([NoticeStatus.UNKNOWN] + [NoticeStatus.SENT] * 3)


# The digest is claimed with the campaign's milestone reminders, then each page of reminders in
# batches: (the digest) + (three reminders), or (the digest) + (two) + (one).
@pytest.mark.parametrize(("batch", "inserts"), [(50, 2), (2, 3)])
async def test_the_claims_are_inserted_in_batches(
    session_factory: SF, heads: None, clock: Clock, batch: int, inserts: int
) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("INSERT INTO SENT_NOTICES"):
            statements.append(statement)

    async with session_factory() as s:
        sync_engine = s.bind.sync_engine  # type: ignore[union-attr]
    outbox = Outbox()
    notifier = Notifier(
        session_factory,
        Texts(),
        clock,
        {"console": outbox},
        "test:1",
        calendar=WorkingCalendar(),
        claim_batch=batch,
    )
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        report = await notifier.run_due()
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert report.sent == len(outbox.sent) == 4  # three reminders and the digest
    assert len(statements) == inserts


async def test_the_reminders_are_read_a_page_of_units_at_a_time(
    session_factory: SF, heads: None, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One owing query per page of the units' ids, and the same notices as in one page."""
    queries: list[str] = []

    def record(*args: object) -> None:
        statement = str(args[2])
        if "chat_accounts" in statement and "standings" in statement:
            queries.append(statement)

    async with session_factory() as s:
        sync_engine = s.bind.sync_engine  # type: ignore[union-attr]
        last = await s.scalar(select(func.max(Unit.id)))
    assert last is not None
    monkeypatch.setattr(reminders, "UNIT_PAGE", 2)
    outbox = Outbox()
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        report = await _notifier(session_factory, clock, outbox).run_due()
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert sorted(chat for chat, _ in outbox.sent) == ["badinh", "halan", "noivu", "phuson"]
    assert report.sent == 4
    assert len(queries) == -(-last // 2)  # every page, empty ones included


async def test_a_unit_that_sends_while_the_reminders_go_out_is_not_reminded(
    session_factory: SF, heads: None, clock: Clock, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page is read right before it is sent, not when the run starts."""
    async with session_factory() as s:
        ids = dict((await s.execute(select(Unit.code, Unit.id))).tuples().all())
    assert ids["P-BADINH"] < ids["P-PHUSON"]
    monkeypatch.setattr(reminders, "UNIT_PAGE", 1)  # one unit a page
    phuson = chat("phuson")

    class Sending(Outbox):
        async def __call__(self, key: ChatKey, reply: Reply) -> Delivery:
            if not self.to("badinh") and key.chat_id == "badinh":  # its page is before P-PHUSON's
                await phuson.send("/nop")
                await phuson.press("Kế hoạch tổ chức")
                await phuson.send("Kế hoạch của phường Phú Sơn")
                await phuson.press("Xác nhận gửi")
            return await super().__call__(key, reply)

    outbox = Sending()
    await _notifier(session_factory, clock, outbox).run_due()
    assert sorted(chat for chat, _ in outbox.sent) == ["badinh", "halan", "noivu"]


async def test_two_processes_race_and_each_notice_goes_once(
    test_db: TestDatabase, session_factory: SF, heads: None, clock: Clock
) -> None:
    """Two schedulers on their own engines (two `tdkt run` on one database)."""
    engines = [test_db.make_engine() for _ in range(2)]
    outboxes = [Outbox(), Outbox()]
    try:
        factories = [make_session_factory(e) for e in engines]
        await asyncio.gather(
            *(
                _notifier(sf, clock, box, f"host:{n}").run_due()
                for n, (sf, box) in enumerate(zip(factories, outboxes, strict=True))
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    everyone = [chat for box in outboxes for chat, _ in box.sent]
    assert sorted(everyone) == ["badinh", "halan", "noivu", "phuson"]


@pytest.fixture
async def service(
    session_factory: SF, heads: None, clock: Clock, tmp_path: Path
) -> AsyncIterator[SchedulerService]:
    outbox = Outbox()
    notifier = _notifier(session_factory, clock, outbox)
    worker = BroadcastWorker(
        session_factory, Texts(), LocalFileStore(tmp_path), clock, {"console": outbox}, "test:1"
    )
    svc = SchedulerService(session_factory, notifier, worker, clock)
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


def _job_days(service: SchedulerService) -> list[str]:
    return [job.id.removeprefix(NOTIFY_PREFIX) for job in service.notify_jobs()]


async def test_scheduler_jobs_are_derived_from_the_database(
    service: SchedulerService, session_factory: SF
) -> None:
    # 12/11 09:00, three days ahead: the digests (13, 14, 15/11) and the plan's b1 and d0
    assert _job_days(service) == ["2019-11-13T01:00Z", "2019-11-14T01:00Z", "2019-11-15T01:00Z"]
    async with session_factory.begin() as s:
        await s.execute(update(Campaign).values(settings={"digest": {"enabled": False}}))
    await service.reconcile()
    assert _job_days(service) == ["2019-11-14T01:00Z", "2019-11-15T01:00Z"]
    async with session_factory.begin() as s:  # the deadline moves to Saturday 16/11
        await s.execute(
            update(Requirement)
            .where(Requirement.code == "KEHOACH")
            .values(due_date=dt.date(2019, 11, 16))
        )
    await service.reconcile()  # no restart: b3 on 13/11, b1 on 15/11
    assert _job_days(service) == ["2019-11-13T01:00Z", "2019-11-15T01:00Z"]
    real = service.notify_jobs()[0].next_run_time
    assert real is not None and real > dt.datetime.now(dt.UTC)  # mapped onto the real clock


async def test_start_sends_what_was_missed_then_resumes(
    service: SchedulerService, session_factory: SF
) -> None:
    assert service.scheduler.state == 1  # STATE_RUNNING, after the catch-up
    jobs = {job.id for job in service.scheduler.get_jobs()}
    assert jobs >= {"reconcile", "broadcasts", "statistics"}
    await service.refresh_statistics()  # the periodic job: runs on a live database
    async with session_factory() as s:  # the 08:00 slot, missed before 09:00, went out once
        keys = (await s.scalars(select(SentNotice.key))).all()
    assert len(keys) == 4 and all(k.startswith(("rem:", "digest:")) for k in keys)


async def test_a_person_linked_on_two_channels_gets_one_copy_on_each(
    session_factory: SF, heads: None, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        halan = await s.scalar(select(ChatAccount).where(ChatAccount.external_id == "halan"))
        assert halan is not None
        for channel in ("telegram", "zalo"):
            s.add(
                ChatAccount(
                    person_id=halan.person_id,
                    channel=channel,
                    external_id=f"{channel}-halan",
                    chat_id=f"{channel}-halan",
                    linked_at=clock(),
                )
            )
    console, telegram, zalo = Outbox(), Outbox(), Outbox()
    senders = {"console": console, "telegram": telegram, "zalo": zalo}
    notifier = Notifier(
        session_factory, Texts(), clock, senders, "t:1", calendar=WorkingCalendar()
    )
    await notifier.run_due()
    await Notifier(session_factory, Texts(), clock, senders, "t:2").run_due()  # a second run
    assert len(console.to("halan")) == 1
    assert telegram.sent == [("telegram-halan", console.to("halan")[0])]
    assert zalo.sent == [("zalo-halan", console.to("halan")[0])]


async def test_a_grace_of_zero_starts_the_scheduler(
    session_factory: SF, heads: None, clock: Clock, tmp_path: Path
) -> None:
    """``TDKT_REMINDER_GRACE_HOURS=0`` is allowed by the settings: the scheduler must start."""
    outbox = Outbox()
    worker = BroadcastWorker(
        session_factory, Texts(), LocalFileStore(tmp_path), clock, {"console": outbox}, "test:1"
    )
    svc = SchedulerService(
        session_factory,
        _notifier(session_factory, clock, outbox),
        worker,
        clock,
        grace=dt.timedelta(0),
    )
    await svc.start()
    try:
        jobs = svc.notify_jobs()
        assert jobs  # the demo's reminders are planned
        assert {job.misfire_grace_time for job in jobs} == {1}
    finally:
        await svc.stop()


async def test_the_digest_names_a_few_late_units_and_counts_the_rest(
    session_factory: SF, heads: None, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secretary reads the digest on a phone: at most a few names per list, then a count."""
    monkeypatch.setattr(reminders, "DIGEST_NAMES", 2)
    async with session_factory.begin() as s:
        returned = (
            await s.scalars(
                select(Submission).where(Submission.is_current).order_by(Submission.id).limit(3)
            )
        ).all()
        assert len(returned) == 3
        for n, sub in enumerate(returned):
            sub.status = SubmissionStatus.RETURNED
            sub.return_reason = f"Lý do {n}"
            sub.reviewed_at = dt.datetime(2019, 11, 17, 1, n, tzinfo=dt.UTC)
    clock.set("2019-11-18T08:05")  # Monday: the plans were due on Friday 15/11
    outbox = Outbox()
    await _notifier(session_factory, clock, outbox).run_due()
    (digest,) = outbox.to("noivu")
    lines = digest.splitlines()
    title = "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị"
    figure = re.search(
        r"^1\. " + title + r" \(hạn 15/11/2019\): đã nộp (\d+)/(\d+)$", digest, re.M
    )
    assert figure is not None
    owing = int(figure[2]) - int(figure[1])
    late = lines[lines.index("Đơn vị mới quá hạn:") + 1 :]
    assert [line.endswith(f"— {title} (chưa nộp)") for line in late[:3]] == [True, True, False]
    assert late[2] == f"• … và {owing - 2} đơn vị khác — {title}" and owing > 2
    back = lines[lines.index("Nội dung đã trả lại:") + 1 :][:3]
    assert back[0].endswith(": Lý do 0") and back[1].endswith(": Lý do 1")  # oldest first
    assert back[2] == "• … và 1 nội dung khác" and "Lý do 2" not in digest

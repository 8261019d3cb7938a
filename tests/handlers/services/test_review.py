"""Review decisions as a use case (services/review.py), without the chat.

On the Bỉm Sơn demo at 12/11/2019 09:00, P-NGOCTRAO's plan (sent 11/11) and the nominations
await review; P-BACSON's plan was accepted on 30/10. Only noivu and badinh are linked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.errors import UserError
from handlers.domain.files import MAX_FILE_BYTES
from handlers.domain.items import ItemKey, ItemKind, revision_of
from handlers.kernel.messages import ChatKey
from handlers.kernel.texts import Texts
from handlers.services import review
from storage.files import LocalFileStore
from storage.models import (
    AuditLog,
    Nomination,
    NominationStatus,
    Person,
    Requirement,
    Role,
    StoredFile,
    Submission,
    SubmissionStatus,
    Unit,
)
from tests.harness import Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
ORIGIN = ChatKey("console", "noivu")


async def _plan_of(s: AsyncSession, code: str) -> Submission:
    return (
        await s.scalars(
            select(Submission)
            .join(Unit, Unit.id == Submission.unit_id)
            .join(Requirement, Requirement.id == Submission.requirement_id)
            .where(Unit.code == code, Requirement.code == "KEHOACH", Submission.is_current)
        )
    ).one()


async def _nomination(s: AsyncSession) -> Nomination:
    rows = await s.scalars(
        select(Nomination)
        .where(Nomination.status == NominationStatus.SUBMITTED)
        .order_by(Nomination.id)
    )
    return rows.first() or pytest.fail("the demo has nominations awaiting review")


async def _person(s: AsyncSession, role: Role) -> Person:
    return (await s.scalars(select(Person).where(Person.role == role))).one()


async def _stale(s: AsyncSession, key: ItemKey | None, seen: int) -> review.StaleItemError:
    with pytest.raises(review.StaleItemError) as info:
        await review.check(s, key, seen)
    return info.value


async def test_only_the_secretariat_decides(session_factory: SF, clock: Clock) -> None:
    async with session_factory() as s:
        plan = await _plan_of(s, "P-NGOCTRAO")
        head = await _person(s, Role.UNIT_HEAD)
        with pytest.raises(UserError) as info:
            await review.accept(s, ItemKey.of(plan), plan.version, actor=head, now=clock())
        assert info.value.key == "secretariat_only"
        assert plan.status is SubmissionStatus.SUBMITTED


async def test_check_says_why_an_item_cannot_be_acted_on(session_factory: SF) -> None:
    async with session_factory() as s:
        gone = await _stale(s, ItemKey(ItemKind.SUBMISSION, 999_999), 1)
        assert gone.params == {"why": "gone", "it": None, "req": None} and gone.tz is None
        assert (await _stale(s, None, 1)).params["why"] == "gone"

        accepted = await _plan_of(s, "P-BACSON")
        err = await _stale(s, ItemKey.of(accepted), accepted.version)
        assert err.params["why"] == "accepted" and err.params["it"] is accepted
        assert err.params["who"] is None  # the demo records no reviewer
        assert err.params["at"] == accepted.reviewed_at
        assert err.tz == "Asia/Ho_Chi_Minh"

        plan = await _plan_of(s, "P-NGOCTRAO")
        err = await _stale(s, ItemKey.of(plan), plan.version + 1)
        assert (err.params["why"], err.params["newest"]) == ("new_version", plan.version)
        assert err.params["req"].code == "KEHOACH"
        shown = await review.check(s, ItemKey.of(plan), plan.version)
        assert shown.item is plan and shown.unit.code == "P-NGOCTRAO"

        nom = await _nomination(s)
        err = await _stale(s, ItemKey.of(nom), revision_of(nom) + 1)
        assert err.params["why"] == "edited"
        nom.status = NominationStatus.WITHDRAWN
        err = await _stale(s, ItemKey.of(nom), revision_of(nom))
        assert err.params["why"] == "withdrawn"


async def test_accept_then_a_second_decision_is_refused(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        plan = await _plan_of(s, "P-NGOCTRAO")
        boss = await _person(s, Role.SECRETARIAT)
        done = await review.accept(s, ItemKey.of(plan), plan.version, actor=boss, now=clock())
        assert done.item is plan and done.req is not None and done.unit.code == "P-NGOCTRAO"
        assert (plan.status, plan.reviewed_by, plan.reviewed_at) == (
            SubmissionStatus.ACCEPTED,
            boss.id,
            clock(),
        )
    async with session_factory() as s:
        row = (await s.scalars(select(AuditLog).where(AuditLog.person_id == boss.id))).one()
        assert (row.action, row.person_id, row.entity_id) == (
            "submission.accepted",
            boss.id,
            plan.id,
        )
        assert row.detail == {
            "unit": "P-NGOCTRAO",
            "requirement": "KEHOACH",
            "part": "",
            "version": plan.version,
        }
        with pytest.raises(review.StaleItemError) as info:
            await review.return_(
                s,
                Texts(),
                ItemKey.of(plan),
                plan.version,
                reason="Thiếu chữ ký.",
                actor=boss,
                origin=ORIGIN,
                now=clock(),
            )
        assert (info.value.params["why"], info.value.params["who"]) == ("accepted", boss.full_name)


async def test_return_a_nomination_nobody_can_be_told(session_factory: SF, clock: Clock) -> None:
    async with session_factory.begin() as s:
        nom = await _nomination(s)
        boss = await _person(s, Role.SECRETARIAT)
        done = await review.return_(
            s,
            Texts(),
            ItemKey.of(nom),
            revision_of(nom),
            reason="Thiếu tóm tắt thành tích.",
            actor=boss,
            origin=ORIGIN,
            now=clock(),
        )
        assert done.notice is None and done.reached == 0  # nobody of the unit is linked
        assert (nom.status, nom.return_reason, nom.updated_at) == (
            NominationStatus.RETURNED,
            "Thiếu tóm tắt thành tích.",
            clock(),
        )
    async with session_factory() as s:
        row = (await s.scalars(select(AuditLog).where(AuditLog.person_id == boss.id))).one()
        assert row.action == "nomination.returned" and row.detail["notified"] == 0
        assert row.detail["reviewed_by"] == boss.id
        assert row.detail["reason"] == "Thiếu tóm tắt thành tích."
        err = await _stale(s, ItemKey.of(nom), revision_of(nom))
        assert (err.params["why"], err.params["who"], err.params["at"]) == (
            "returned",
            boss.full_name,
            clock(),
        )


async def test_late_days_and_days_left(session_factory: SF, clock: Clock) -> None:
    async with session_factory() as s:
        plan = await _plan_of(s, "P-NGOCTRAO")
        shown = await review.describe(s, plan)
    assert shown.req is not None and shown.req.due_date == dt.date(2019, 11, 15)
    assert shown.late_days == 0  # sent 11/11
    assert shown.days_left(clock()) == 3
    assert shown.days_left(clock() + dt.timedelta(days=5)) == -2
    plan.submitted_at = dt.datetime(2019, 11, 17, 16, 59, tzinfo=dt.UTC)  # 23:59 on 17/11
    assert shown.late_days == 2


async def test_attachment(session_factory: SF, clock: Clock, tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    saved = await store.save(b"%PDF-1.4 ke hoach")
    async with session_factory.begin() as s:
        rows = [
            StoredFile(
                sha256=saved.sha256,
                name="ke-hoach.pdf",
                mime_type="application/pdf",
                size=size,
                path=path,
                created_at=clock(),
            )
            for size, path in (
                (saved.size, saved.path),
                (MAX_FILE_BYTES + 1, saved.path),
                (saved.size, "ab/missing"),
            )
        ]
        s.add_all(rows)
        await s.flush()
        ids = [row.id for row in rows]
    async with session_factory() as s:
        sent = await review.attachment(s, store, ids[0], with_file=True)
        assert sent.attached == "sent" and sent.file is not None
        assert (sent.file.name, sent.file.data) == ("ke-hoach.pdf", b"%PDF-1.4 ke hoach")
        above = await review.attachment(s, store, ids[0], with_file=False)
        assert (above.attached, above.file) == ("above", None)
        assert (await review.attachment(s, store, ids[1], with_file=True)).attached == "too_big"
        assert (await review.attachment(s, store, ids[2], with_file=True)).attached == "unreadable"
        none = await review.attachment(s, store, None, with_file=True)
        assert (none.stored, none.attached) == (None, "")

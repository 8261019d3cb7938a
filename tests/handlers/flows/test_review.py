"""/duyet: the secretariat accepts or returns what the units sent, driven through the chat harness.

On the Bỉm Sơn demo at 12/11/2019 09:00 the queue holds 9 items: 8 nominations (2 of DT-PHUNU
from 05/11, 6 of P-BACSON from 08/11) and P-NGOCTRAO's plan (11/11). P-BADINH (badinh) has sent
nothing; the tests make it send, then review with ``/duyet P-BADINH``. Besides noivu and badinh,
the ``accounts`` fixture links a member and an unreachable second head of P-BADINH and a second
secretariat account (vanthu).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.domain.progress import Mark, UnitMark
from handlers.domain.reminder_policy import WorkingCalendar
from handlers.flows.review import Act, ItemAct
from handlers.kernel.context import CoreDeps
from handlers.kernel.dispatcher import Core
from handlers.kernel.messages import Incoming
from handlers.kernel.texts import Texts
from handlers.queries.progress import campaign_progress
from handlers.routes import MENU_COMMANDS, make_core
from handlers.services.invites import ensure_account
from handlers.services.reminders import plan_notices
from scheduler import BroadcastWorker
from storage.files import LocalFileStore
from storage.models import (
    AuditLog,
    Broadcast,
    BroadcastDelivery,
    Campaign,
    ChatAccount,
    Conversation,
    Nomination,
    NominationStatus,
    NoticeStatus,
    Person,
    Requirement,
    Role,
    StoredFile,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.people import PeopleRepository
from tests.harness import ChatHarness, Clock
from tests.scheduler.test_notifier import Outbox

pytestmark = pytest.mark.usefixtures("accounts")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

PLAN = "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị"
ITEM_BUTTONS = ["✅ Tiếp nhận", "↩️ Trả lại", "⏭ Để sau", "❌ Dừng"]
REASON = "Kế hoạch chưa nêu thời gian, địa điểm & số đại biểu <dự kiến>; đề nghị bổ sung."
#: handle → (name, role, unit); badinh-pho is unreachable.
EXTRA_ACCOUNTS = {
    "badinh-cb": ("Cán bộ văn phòng phường Ba Đình", Role.UNIT_MEMBER, "P-BADINH"),
    "badinh-pho": ("Phó Chủ tịch UBND phường Ba Đình", Role.UNIT_HEAD, "P-BADINH"),
    "vanthu": ("Văn thư Phòng Nội vụ", Role.SECRETARIAT, None),
    "phuson": ("Lãnh đạo UBND phường Phú Sơn", Role.UNIT_HEAD, "P-PHUSON"),
}


@pytest.fixture
def wakes() -> list[str]:
    """Topics the core asked to wake, in order."""
    return []


@pytest.fixture
def core(session_factory: SF, clock: Clock, tmp_path: Path, wakes: list[str]) -> Core:
    """The harness's core, with a wake hook that records what it is called with."""
    return make_core(_deps(session_factory, clock, tmp_path, wakes))


def _deps(sf: SF, clock: Clock, tmp_path: Path, wakes: list[str]) -> CoreDeps:
    return CoreDeps(
        session_factory=sf,
        files=LocalFileStore(tmp_path / "files"),
        texts=Texts(),
        clock=clock,
        wake=wakes.append,
    )


@pytest.fixture
async def accounts(demo: None, session_factory: SF, clock: Clock) -> None:
    """More linked people: a member and an unreachable head of P-BADINH, a second secretary."""
    async with session_factory.begin() as s:
        for handle, (name, role, unit) in EXTRA_ACCOUNTS.items():
            assert await ensure_account(
                s,
                channel="console",
                external_id=handle,
                full_name=name,
                role=role,
                unit_code=unit,
                now=clock(),
            )
        assert await PeopleRepository(s).mark_unreachable("console", "badinh-pho", clock()) == 1


# -- helpers -------------------------------------------------------------------------------------


async def _count(sf: SF, model: type, *where: ColumnElement[bool]) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _submit_plan(badinh: ChatHarness, content: str = "Kế hoạch số 12/KH-UBND") -> None:
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send(content)
    await badinh.press("Xác nhận gửi")
    assert "Đã lưu" in badinh.text


async def _nominate(badinh: ChatHarness, name: str = "Nguyễn Thị Hoa") -> None:
    await badinh.send("/decu")
    await badinh.press("Cá nhân")
    await badinh.send(name)
    await badinh.press("Nữ")
    await badinh.send("1985")
    await badinh.send("Chủ tịch Hội LHPN phường Ba Đình")
    await badinh.press("Lao động tiên tiến")
    await badinh.send("Hoàn thành xuất sắc nhiệm vụ 5 năm liền, vận động 200 hội viên mới.")
    await badinh.press("Bỏ qua")
    await badinh.press("Gửi đề cử")
    assert "Đã lưu đề cử" in badinh.text


async def _plans(sf: SF) -> list[Submission]:
    """P-BADINH's plan versions, oldest first."""
    async with sf() as s:
        rows = await s.scalars(
            select(Submission)
            .join(Unit, Unit.id == Submission.unit_id)
            .where(Unit.code == "P-BADINH")
            .order_by(Submission.version)
        )
        return list(rows)


async def _nomination(sf: SF, name: str) -> Nomination:
    async with sf() as s:
        return (await s.scalars(select(Nomination).where(Nomination.full_name == name))).one()


async def _person(sf: SF, handle: str) -> Person:
    async with sf() as s:
        row = await s.execute(
            select(Person)
            .join(ChatAccount, ChatAccount.person_id == Person.id)
            .where(ChatAccount.external_id == handle)
        )
        return row.scalars().one()


async def _audit(sf: SF, action: str) -> list[AuditLog]:
    """Rows of ``action`` written by someone (the demo's history has no author)."""
    async with sf() as s:
        rows = await s.scalars(
            select(AuditLog).where(AuditLog.action == action, AuditLog.person_id.is_not(None))
        )
        return list(rows)


async def _mark(sf: SF, clock: Clock, requirement: str, unit: str) -> UnitMark:
    async with sf() as s:
        campaign = (await s.scalars(select(Campaign))).one()
        for p in await campaign_progress(s, campaign, clock()):
            if p.requirement.code == requirement:
                return next(m for m in p.marks if m.unit.code == unit)
    raise AssertionError(requirement)


async def _deliveries(sf: SF) -> dict[str, NoticeStatus]:
    async with sf() as s:
        rows = await s.execute(
            select(ChatAccount.external_id, BroadcastDelivery.status).join(
                ChatAccount, ChatAccount.id == BroadcastDelivery.account_id
            )
        )
        return dict(rows.tuples().all())


async def _state(sf: SF, handle: str) -> str | None:
    async with sf() as s:
        conv = await s.get(Conversation, ("console", handle))
    return None if conv is None else conv.state


# -- accepting -----------------------------------------------------------------------------------


async def test_accept_a_plan_sent_as_a_file(
    chat: Chat, session_factory: SF, clock: Clock, wakes: list[str]
) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    payload = b"%PDF-1.4 ke hoach " * 200
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.upload("Ke hoach Ba Dinh.pdf", payload)
    await badinh.press("Xác nhận gửi")

    await noivu.send("/duyet P-BADINH")
    card = noivu.text
    assert "còn 1 mục chờ duyệt" in card
    assert "Đơn vị: Phường Ba Đình (P-BADINH)" in card
    assert f"Nội dung: 📤 {PLAN}" in card
    assert "Phiên bản 1, gửi 12/11/2019 09:00 — đúng hạn (hạn 15/11/2019)" in card
    assert "📎 Tệp: Ke hoach Ba Dinh.pdf (3.5 KB) — gửi kèm dưới đây" in card
    assert noivu.buttons == ITEM_BUTTONS
    (reply,) = noivu.replies
    assert reply.file is not None
    assert (reply.file.name, reply.file.mime_type, reply.file.data) == (
        "Ke hoach Ba Dinh.pdf",
        "application/pdf",
        payload,
    )

    await noivu.send("không rõ")  # neither a button nor its number: the card again, no file
    assert "Vui lòng chọn" in noivu.text and "đã gửi kèm ở trên" in noivu.text
    assert all(r.file is None for r in noivu.replies)
    assert noivu.buttons == ITEM_BUTTONS

    await noivu.press("Tiếp nhận")
    assert f"✅ Đã tiếp nhận — Phường Ba Đình: «{PLAN}» (phiên bản 1)." in noivu.text
    assert "Đã xem hết các mục chờ duyệt của Phường Ba Đình" in noivu.text
    assert "tiếp nhận 1, trả lại 0" in noivu.text
    assert noivu.buttons == []
    (plan,) = await _plans(session_factory)
    noivu_person = await _person(session_factory, "noivu")
    assert (plan.status, plan.reviewed_by, plan.reviewed_at, plan.return_reason) == (
        SubmissionStatus.ACCEPTED,
        noivu_person.id,
        clock(),
        None,
    )
    (audit,) = await _audit(session_factory, "submission.accepted")
    assert (audit.entity, audit.entity_id, audit.person_id) == (
        "submission",
        plan.id,
        noivu_person.id,
    )
    assert audit.detail == {"unit": "P-BADINH", "requirement": "KEHOACH", "part": "", "version": 1}
    assert (await _mark(session_factory, clock, "KEHOACH", "P-BADINH")).mark is Mark.ACCEPTED
    assert await _count(session_factory, Broadcast) == 0 and wakes == []
    assert await _state(session_factory, "noivu") == "idle"


async def test_a_file_too_big_or_missing_is_named_not_sent(
    chat: Chat, session_factory: SF, tmp_path: Path
) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.upload("ke-hoach.pdf", b"%PDF-1.4 ke hoach")
    await badinh.press("Xác nhận gửi")
    async with session_factory.begin() as s:
        stored = (await s.scalars(select(StoredFile))).one()
        stored.size = 55 * 1024 * 1024  # e.g. kept before the limit was lowered
    await noivu.send("/duyet P-BADINH")
    assert "📎 Tệp: ke-hoach.pdf (55.0 MB) — quá 50 MB, không gửi kèm qua bot được" in noivu.text
    assert noivu.replies[0].file is None
    async with session_factory.begin() as s:
        (await s.get_one(StoredFile, stored.id)).size = 17
    (tmp_path / "files" / stored.path).unlink()
    await noivu.send("/duyet P-BADINH")
    assert "📎 Tệp: ke-hoach.pdf (17 byte) — không đọc được tệp trong kho lưu trữ" in noivu.text
    assert noivu.replies[0].file is None and noivu.buttons == ITEM_BUTTONS


# -- returning -----------------------------------------------------------------------------------


async def test_return_tells_the_unit_and_it_owes_the_plan_again(
    chat: Chat, session_factory: SF, clock: Clock, wakes: list[str], tmp_path: Path
) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await _submit_plan(badinh)
    await noivu.send("/review ba dinh")  # alias, unit by name without diacritics
    await noivu.press("Trả lại")
    assert f"Lý do trả lại «{PLAN}» (phiên bản 1)?" in noivu.text
    assert "từ 5 đến 500 ký tự" in noivu.text
    assert noivu.buttons == ["⬅️ Quay lại"]

    await noivu.send("Sai")
    assert "quá ngắn; cần ít nhất 5 ký tự" in noivu.text
    assert f"Lý do trả lại «{PLAN}»" in noivu.text  # the step is kept
    assert await _state(session_factory, "noivu") == "duyet.reason"
    (plan,) = await _plans(session_factory)
    assert plan.status is SubmissionStatus.SUBMITTED

    await noivu.send(REASON)
    assert f"↩️ Đã trả lại — Phường Ba Đình: «{PLAN}» (phiên bản 1)." in noivu.text
    assert "Đã báo cho 2 người của đơn vị." in noivu.text
    (plan,) = await _plans(session_factory)
    noivu_person = await _person(session_factory, "noivu")
    assert (plan.status, plan.return_reason, plan.reviewed_by, plan.reviewed_at) == (
        SubmissionStatus.RETURNED,
        REASON,
        noivu_person.id,
        clock(),
    )
    (audit,) = await _audit(session_factory, "submission.returned")
    assert audit.entity_id == plan.id and audit.person_id == noivu_person.id
    assert audit.detail["reason"] == REASON and audit.detail["notified"] == 2

    # one notice, one copy per linked head/member of P-BADINH, pending unless unreachable
    async with session_factory() as s:
        notice = (await s.scalars(select(Broadcast))).one()
        ba_dinh = (await s.scalars(select(Unit).where(Unit.code == "P-BADINH"))).one()
    assert (notice.kind, notice.audience, notice.created_by) == (
        "notice",
        {"kind": "unit", "unit_id": ba_dinh.id},
        noivu_person.id,
    )
    assert await _deliveries(session_factory) == {
        "badinh": NoticeStatus.PENDING,
        "badinh-cb": NoticeStatus.PENDING,
        "badinh-pho": NoticeStatus.BLOCKED,
    }
    assert PLAN in notice.text and "phiên bản 1" in notice.text
    assert "&lt;dự kiến&gt;" in notice.text and "&amp; số đại biểu" in notice.text  # escaped
    assert "Vui lòng gửi lại trước ngày 15/11/2019 (còn 3 ngày)." in notice.text
    assert "Gõ /nop để nộp lại." in notice.text
    assert wakes == ["broadcast"]

    # the unit owes the plan again: status, /chuanop and the next reminder say so
    mark = await _mark(session_factory, clock, "KEHOACH", "P-BADINH")
    assert (mark.mark, mark.reason, mark.done) == (Mark.RETURNED, REASON, False)
    await badinh.send("/chuanop")
    assert PLAN in badinh.text and "bị trả lại" in badinh.text
    next_slot = parse_now("2019-11-14T08:00", "Asia/Ho_Chi_Minh")
    async with session_factory() as s:
        planned = await plan_notices(s, Texts(), next_slot, calendar=WorkingCalendar())
    reminders = [
        n
        for n in planned
        if n.kind == "reminder" and n.unit_id == ba_dinh.id and n.requirement_title == PLAN
    ]
    assert [n.recipient.chat_id for n in reminders] == ["badinh"]  # heads only, reachable
    assert "đã bị trả lại" in reminders[0].reply.text
    assert "&lt;dự kiến&gt;" in reminders[0].reply.text

    # the worker delivers it as it is: no announcement header, no progress, no report
    outbox = Outbox()
    worker = BroadcastWorker(
        session_factory,
        Texts(),
        LocalFileStore(tmp_path / "files"),
        clock,
        {"console": outbox},
        "t",
    )
    report = await worker.run()
    assert report.sent == 2
    (received,) = outbox.to("badinh")
    assert received.startswith("↩️ Hồ sơ bị trả lại — Phường Ba Đình")
    assert f"Lý do: {REASON}" in received
    assert "📣" not in received and "Thông báo của Thường trực" not in received
    assert len(outbox.to("badinh-cb")) == 1
    assert outbox.to("noivu") == [] and outbox.to("badinh-pho") == []
    async with session_factory() as s:
        assert (await s.get_one(Broadcast, notice.id)).status == "done"
    assert await _deliveries(session_factory) == {
        "badinh": NoticeStatus.SENT,
        "badinh-cb": NoticeStatus.SENT,
        "badinh-pho": NoticeStatus.BLOCKED,
    }

    # resubmitting makes it count again and puts it back in the queue as version 2
    await _submit_plan(badinh, "Kế hoạch số 12/KH-UBND (bổ sung)")
    assert (await _mark(session_factory, clock, "KEHOACH", "P-BADINH")).mark is Mark.SUBMITTED
    await noivu.send("/duyet P-BADINH")
    assert "Phiên bản 2" in noivu.text and "(bổ sung)" in noivu.text


async def test_reason_step_refuses_bad_input_and_can_go_back(
    chat: Chat, session_factory: SF, wakes: list[str]
) -> None:
    noivu = chat("noivu")
    await _submit_plan(chat("badinh"))
    await noivu.send("/duyet P-BADINH")
    await noivu.press("Trả lại")
    await noivu.send("x" * 501)
    assert "quá dài (501 ký tự); tối đa 500 ký tự" in noivu.text
    await noivu.upload("ly-do.pdf", b"%PDF-1.4")
    assert "không nhận tệp" in noivu.text
    await noivu.send("    ")
    assert "không được để trống" in noivu.text
    assert "Lý do trả lại" in noivu.text and noivu.buttons == ["⬅️ Quay lại"]
    await noivu.press("Quay lại")
    assert noivu.buttons == ITEM_BUTTONS and PLAN in noivu.text
    (plan,) = await _plans(session_factory)
    assert plan.status is SubmissionStatus.SUBMITTED and plan.return_reason is None
    assert await _count(session_factory, Broadcast) == 0 and wakes == []
    await noivu.press("Trả lại")
    await noivu.send("x" * 500)  # exactly the limit
    assert "Đã trả lại" in noivu.text


async def test_late_item_and_overdue_notice(chat: Chat, session_factory: SF, clock: Clock) -> None:
    noivu = chat("noivu")
    clock.set("2019-11-17T10:00")
    await _submit_plan(chat("badinh"))
    await noivu.send("/duyet P-BADINH")
    assert "gửi 17/11/2019 10:00 — nộp muộn 2 ngày (hạn 15/11/2019)" in noivu.text
    await noivu.press("Trả lại")
    await noivu.send("Thiếu chữ ký, đóng dấu.")
    async with session_factory() as s:
        notice = (await s.scalars(select(Broadcast))).one()
    assert "Hạn nộp 15/11/2019 đã quá hạn 2 ngày: vui lòng gửi lại ngay." in notice.text


async def test_unit_nobody_can_reach_is_flagged_to_the_secretary(
    chat: Chat, session_factory: SF, clock: Clock, wakes: list[str]
) -> None:
    await _submit_plan(chat("phuson"))
    async with session_factory.begin() as s:
        assert await PeopleRepository(s).mark_unreachable("console", "phuson", clock()) == 1
    noivu = chat("noivu")
    await noivu.send("/duyet P-PHUSON")
    await noivu.press("Trả lại")
    await noivu.send("Sai mẫu kế hoạch.")
    assert "Đơn vị chưa có ai nhận được tin nhắn của bot" in noivu.text
    assert await _deliveries(session_factory) == {"phuson": NoticeStatus.BLOCKED}


# -- nominations ---------------------------------------------------------------------------------


async def test_nomination_return_then_accept(
    chat: Chat, session_factory: SF, clock: Clock, wakes: list[str]
) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await _nominate(badinh, "Nguyễn Thị Hoa")
    await noivu.send("/duyet P-BADINH")
    card = noivu.text
    assert "Nội dung: 🏅 Đề cử — Danh sách đề nghị khen thưởng" in card
    assert "👤 Nguyễn Thị Hoa (cá nhân, Nữ, sinh năm 1985)" in card
    assert "Chức vụ, nơi công tác: Chủ tịch Hội LHPN phường Ba Đình" in card
    assert "Hình thức đề nghị: Lao động tiên tiến" in card
    assert "Tóm tắt thành tích: Hoàn thành xuất sắc nhiệm vụ 5 năm liền" in card
    assert "gửi 12/11/2019 09:00 — đúng hạn (hạn 15/04/2020)" in card
    await noivu.press("Trả lại")
    await noivu.send("Thành tích chưa có số liệu cụ thể.")
    assert "↩️ Đã trả lại — Phường Ba Đình: đề cử «Nguyễn Thị Hoa»" in noivu.text

    hoa = await _nomination(session_factory, "Nguyễn Thị Hoa")
    assert (hoa.status, hoa.return_reason, hoa.updated_at, hoa.revision) == (
        NominationStatus.RETURNED,
        "Thành tích chưa có số liệu cụ thể.",
        clock(),
        1,
    )
    noivu_person = await _person(session_factory, "noivu")
    (audit,) = await _audit(session_factory, "nomination.returned")
    assert (audit.entity_id, audit.person_id) == (hoa.id, noivu_person.id)
    assert audit.detail["reviewed_by"] == noivu_person.id
    assert audit.detail["reason"] == "Thành tích chưa có số liệu cụ thể."
    async with session_factory() as s:
        notice = (await s.scalars(select(Broadcast))).one()
    assert "Đề cử <b>Nguyễn Thị Hoa</b> — Lao động tiên tiến" in notice.text
    assert "Lý do: Thành tích chưa có số liệu cụ thể." in notice.text
    assert "trước ngày 15/04/2020" in notice.text and "/danhsach" in notice.text
    assert wakes == ["broadcast"]
    # its only nomination returned: the unit has not sent its list
    mark = await _mark(session_factory, clock, "DECU", "P-BADINH")
    assert (mark.mark, mark.done, mark.count) == (Mark.MISSING, False, 0)

    # the unit corrects the returned nomination: it goes back to the review queue
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    await badinh.press("Sửa")
    await badinh.press("Năm sinh")
    await badinh.send("1986")
    assert (await _nomination(session_factory, "Nguyễn Thị Hoa")).status is (
        NominationStatus.SUBMITTED
    )
    await noivu.send("/duyet P-BADINH")
    assert "Nguyễn Thị Hoa" in noivu.text
    await noivu.press("Tiếp nhận")

    await _nominate(badinh, "Trần Văn Nam")
    await noivu.send("/duyet P-BADINH")
    assert "Trần Văn Nam" in noivu.text and "còn 1 mục chờ duyệt" in noivu.text
    await noivu.press("Tiếp nhận")
    assert "✅ Đã tiếp nhận — Phường Ba Đình: đề cử «Trần Văn Nam»" in noivu.text
    nam = await _nomination(session_factory, "Trần Văn Nam")
    assert (nam.status, nam.updated_at) == (NominationStatus.ACCEPTED, clock())
    audit = (await _audit(session_factory, "nomination.accepted"))[-1]  # Hoa's, then Nam's
    assert audit.entity_id == nam.id and audit.detail["reviewed_by"] == noivu_person.id
    mark = await _mark(session_factory, clock, "DECU", "P-BADINH")
    assert (mark.done, mark.count) == (True, 2)
    assert wakes == ["broadcast"]  # accepting tells nobody


# -- queue, skip, stop ---------------------------------------------------------------------------


async def test_queue_oldest_first_skip_and_stop(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/duyet")
    assert "còn 9 mục chờ duyệt" in noivu.text
    assert "Lê Thị Mai" in noivu.text and "gửi 05/11/2019 10:08" in noivu.text
    await noivu.press("Để sau")
    assert "Chi hội Phụ nữ khu phố 5" in noivu.text
    assert "còn 8 mục chờ duyệt (không kể 1 mục để sau)" in noivu.text
    assert "👥 Chi hội Phụ nữ khu phố 5, phường Ba Đình (tập thể)" in noivu.text
    await noivu.send("3")  # typed number of "⏭ Để sau"
    assert "Phạm Văn Thắng" in noivu.text and "Phường Bắc Sơn" in noivu.text
    await noivu.press("Dừng")
    assert "⏸ Đã dừng duyệt." in noivu.text
    assert "Lượt này: tiếp nhận 0, trả lại 0, để sau 2." in noivu.text
    assert "Còn 9 mục chờ duyệt; gõ /duyet để tiếp tục." in noivu.text
    assert noivu.buttons == [] and await _state(session_factory, "noivu") == "idle"
    assert await _audit(session_factory, "nomination.accepted") == []
    await noivu.send("/duyet")  # put off for one round only
    assert "Lê Thị Mai" in noivu.text and "còn 9 mục chờ duyệt" in noivu.text
    await noivu.send("/huy")
    assert "Đã hủy" in noivu.text


async def test_skipping_everything_ends_the_round(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _submit_plan(chat("badinh"))
    await _nominate(chat("badinh"))
    await noivu.send("/duyet P-BADINH")
    assert f"📤 {PLAN}" in noivu.text and "còn 2 mục chờ duyệt" in noivu.text
    await noivu.press("Để sau")
    await noivu.press("Để sau")
    assert "Đã xem hết các mục chờ duyệt của Phường Ba Đình" in noivu.text
    assert "để sau 2" in noivu.text and "Còn 2 mục chờ duyệt" in noivu.text


async def test_empty_queue_and_unknown_unit(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/duyet P-BADINH")
    assert noivu.text == "✅ Không có mục nào chờ duyệt của Phường Ba Đình."
    assert noivu.buttons == []
    await noivu.send("/duyet Phường Không Có")
    assert "Không tìm thấy đơn vị «Phường Không Có»" in noivu.text
    assert await _state(session_factory, "noivu") in (None, "idle")


# -- who may review ------------------------------------------------------------------------------


async def test_only_the_secretariat_reviews_in_private(chat: Chat, session_factory: SF) -> None:
    await _submit_plan(chat("badinh"))
    for handle in ("badinh", "badinh-cb"):
        unit_person = chat(handle)
        for command in ("/duyet", "/review P-BADINH"):
            await unit_person.send(command)
            assert "chỉ dành cho Thường trực Hội đồng Thi đua – Khen thưởng" in unit_person.text
            assert unit_person.buttons == []
        await unit_person.press_data(
            ItemAct(act=Act.ACCEPT).pack()
        )  # a forged press of "Tiếp nhận"
        assert "hết hiệu lực" in unit_person.text
    stranger = chat("stranger")
    await stranger.send("/duyet")
    assert "chưa được liên kết" in stranger.text
    group = chat("noivu", private=False)
    await group.send("/duyet")
    assert "nhắn riêng" in group.text and group.buttons == []
    (plan,) = await _plans(session_factory)
    assert plan.status is SubmissionStatus.SUBMITTED
    assert await _state(session_factory, "badinh") == "idle"


async def test_menu_help_and_command_list(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/trogiup")
    assert "/duyet — duyệt hồ sơ các đơn vị gửi" in noivu.text
    assert "✅ Duyệt" in noivu.buttons
    await noivu.press("Duyệt")
    assert "còn 9 mục chờ duyệt" in noivu.text
    names = list(MENU_COMMANDS)
    assert "duyet" in names and names.index("duyet") < names.index("huy")
    badinh = chat("badinh")
    await badinh.send("/trogiup")
    assert "/duyet" not in badinh.text and "✅ Duyệt" not in badinh.buttons


# -- items that changed while on show ------------------------------------------------------------


async def test_another_secretary_acted_first(chat: Chat, session_factory: SF) -> None:
    noivu, vanthu = chat("noivu"), chat("vanthu")
    await _submit_plan(chat("badinh"))
    await noivu.send("/duyet P-BADINH")
    await vanthu.send("/duyet P-BADINH")
    assert PLAN in vanthu.text and vanthu.buttons == ITEM_BUTTONS
    await noivu.press("Tiếp nhận")
    await vanthu.press("Trả lại")  # refused at once: no reason asked for
    assert (
        f"⚠️ Mục «{PLAN}» (phiên bản 1): đã được Phòng Nội vụ thị xã Bỉm Sơn tiếp nhận lúc "
        "12/11/2019 09:00." in vanthu.text
    )
    assert "Không có gì được lưu cho mục này." in vanthu.text
    assert "Lý do trả lại" not in vanthu.text
    assert "Không có mục nào chờ duyệt" in vanthu.text
    (plan,) = await _plans(session_factory)
    noivu_person = await _person(session_factory, "noivu")
    assert (plan.status, plan.reviewed_by) == (SubmissionStatus.ACCEPTED, noivu_person.id)
    assert len(await _audit(session_factory, "submission.accepted")) == 1


async def test_acted_on_while_typing_the_reason(chat: Chat, session_factory: SF) -> None:
    noivu, vanthu = chat("noivu"), chat("vanthu")
    await _nominate(chat("badinh"))
    await vanthu.send("/duyet P-BADINH")
    await vanthu.press("Trả lại")
    await noivu.send("/duyet P-BADINH")
    await noivu.press("Trả lại")
    await noivu.send("Hồ sơ thiếu bản nhận xét của chi bộ.")
    assert "Đã trả lại" in noivu.text
    await vanthu.send("Thành tích chưa nổi bật.")
    assert "đã được Phòng Nội vụ thị xã Bỉm Sơn trả lại lúc 12/11/2019 09:00" in vanthu.text
    hoa = await _nomination(session_factory, "Nguyễn Thị Hoa")
    assert hoa.return_reason == "Hồ sơ thiếu bản nhận xét của chi bộ."
    assert len(await _audit(session_factory, "nomination.returned")) == 1
    assert await _count(session_factory, Broadcast) == 1


async def test_simultaneous_decisions_only_one_wins(
    chat: Chat, session_factory: SF, clock: Clock, tmp_path: Path, wakes: list[str]
) -> None:
    """Two secretaries, in two processes, act on the same item at the same moment."""
    noivu = chat("noivu")
    vanthu = ChatHarness(make_core(_deps(session_factory, clock, tmp_path, wakes)), "vanthu")
    await _submit_plan(chat("badinh"))
    await noivu.send("/duyet P-BADINH")
    await vanthu.send("/duyet P-BADINH")
    await vanthu.press("Trả lại")
    accept = Incoming(noivu.key, noivu.user, callback_data=ItemAct(act=Act.ACCEPT).pack())
    give_back = Incoming(vanthu.key, vanthu.user, text="Thiếu chữ ký của lãnh đạo.")
    results = await asyncio.gather(noivu.core.handle(accept), vanthu.core.handle(give_back))
    texts = ["\n".join(r.text for r in replies) for replies in results]
    won = [t for t in texts if "Đã tiếp nhận" in t or "Đã trả lại" in t]
    refused = [t for t in texts if "Không có gì được lưu cho mục này" in t]
    assert (len(won), len(refused)) == (1, 1), texts
    (plan,) = await _plans(session_factory)
    decisions = [
        *await _audit(session_factory, "submission.accepted"),
        *await _audit(session_factory, "submission.returned"),
    ]
    assert len(decisions) == 1
    if "Đã trả lại" in won[0]:
        assert plan.status is SubmissionStatus.RETURNED
        assert await _count(session_factory, Broadcast) == 1 and wakes == ["broadcast"]
    else:
        assert plan.status is SubmissionStatus.ACCEPTED
        assert await _count(session_factory, Broadcast) == 0 and wakes == []


async def test_new_version_sent_while_shown_is_refused(
    chat: Chat, session_factory: SF, wakes: list[str]
) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await _submit_plan(badinh, "Bản 1")
    await noivu.send("/duyet P-BADINH")
    assert "Phiên bản 1" in noivu.text
    await _submit_plan(badinh, "Bản 2")
    await noivu.press("Tiếp nhận")
    assert (
        f"⚠️ Mục «{PLAN}» (phiên bản 1): đơn vị vừa gửi phiên bản mới (phiên bản 2)" in noivu.text
    )
    assert "Không có gì được lưu cho mục này." in noivu.text
    assert "Phiên bản 2" in noivu.text and "Bản 2" in noivu.text  # the new one is shown next
    v1, v2 = await _plans(session_factory)
    assert (v1.status, v1.is_current, v2.status) == (
        SubmissionStatus.SUBMITTED,
        False,
        SubmissionStatus.SUBMITTED,
    )

    await noivu.press("Trả lại")
    await _submit_plan(badinh, "Bản 3")
    await noivu.send("Thiếu số lượng đại biểu.")
    assert "vừa gửi phiên bản mới (phiên bản 3)" in noivu.text
    assert "Phiên bản 3" in noivu.text
    assert all(p.status is SubmissionStatus.SUBMITTED for p in await _plans(session_factory))
    assert await _count(session_factory, Broadcast) == 0 and wakes == []
    await noivu.press("Tiếp nhận")
    v3 = (await _plans(session_factory))[-1]
    assert (v3.version, v3.status) == (3, SubmissionStatus.ACCEPTED)


async def test_nomination_edited_or_withdrawn_while_shown(chat: Chat, session_factory: SF) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await _nominate(badinh)
    await noivu.send("/duyet P-BADINH")
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    await badinh.press("Sửa")
    await badinh.press("Năm sinh")
    await badinh.send("1986")
    await noivu.press("Tiếp nhận")
    assert "đơn vị vừa sửa đề cử này sau khi bạn mở" in noivu.text
    assert "sinh năm 1986" in noivu.text and "(đã sửa 1 lần)" in noivu.text  # shown again
    assert noivu.buttons == ITEM_BUTTONS
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    await badinh.press("Rút")
    await badinh.press("Xác nhận rút")
    await noivu.press("Tiếp nhận")
    assert "đơn vị đã rút" in noivu.text and "Không có mục nào chờ duyệt" in noivu.text
    hoa = await _nomination(session_factory, "Nguyễn Thị Hoa")
    assert (hoa.status, hoa.birth_year) == (NominationStatus.WITHDRAWN, 1986)
    assert await _audit(session_factory, "nomination.accepted") == []


async def test_conversation_keeps_no_stale_item_after_a_restart(
    chat: Chat, session_factory: SF, clock: Clock, tmp_path: Path, wakes: list[str]
) -> None:
    noivu = chat("noivu")
    await _submit_plan(chat("badinh"))
    await noivu.send("/duyet P-BADINH")
    await noivu.press("Trả lại")
    again = ChatHarness(make_core(_deps(session_factory, clock, tmp_path, wakes)), "noivu")
    clock.now += dt.timedelta(minutes=5)
    await again.send("Kế hoạch chưa có chữ ký.")
    assert "Đã trả lại" in again.text
    async with session_factory() as s:
        req = (await s.scalars(select(Requirement).where(Requirement.code == "KEHOACH"))).one()
    (plan,) = await _plans(session_factory)
    assert (plan.requirement_id, plan.reviewed_at) == (req.id, clock())

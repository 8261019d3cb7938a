"""/thongbao: announcements from the secretariat, driven through the chat harness on the demo.

Besides the demo's noivu (secretariat) and badinh (head of P-BADINH), the ``accounts`` fixture
links a few more people. On 12/11/2019 the plan (KEHOACH) is still owed by 9 of the 21 units,
among them P-BADINH, P-PHUSON, X-HALAN and DN-BAOBI; P-BACSON and DN-XIMANG have sent it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers.flows.broadcast import Act as PreviewAct
from handlers.flows.broadcast import AudienceKind, Confirm, PickAudience
from handlers.kernel.context import CoreDeps
from handlers.kernel.messages import Incoming, IncomingFile, OutgoingFile
from handlers.kernel.texts import Texts
from handlers.routes import MENU_COMMANDS, make_core
from handlers.services.invites import ensure_account
from handlers.services.notices import audience_accounts, copy_reply, progress_reply, report_reply
from storage.files import LocalFileStore
from storage.models import (
    AuditLog,
    Broadcast,
    BroadcastDelivery,
    ChatAccount,
    Conversation,
    NoticeStatus,
    Person,
    Requirement,
    Role,
    StoredFile,
)
from storage.repositories.people import PeopleRepository
from tests.harness import ChatHarness, Clock

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]

#: handle → (name, role, unit); baobi is unreachable, halan has no known chat.
EXTRA_ACCOUNTS = {
    "phuson": ("Lãnh đạo UBND phường Phú Sơn", Role.UNIT_HEAD, "P-PHUSON"),
    "phuson-cb": ("Cán bộ văn phòng phường Phú Sơn", Role.UNIT_MEMBER, "P-PHUSON"),
    "baobi": ("Giám đốc Công ty CP Bao bì", Role.UNIT_HEAD, "DN-BAOBI"),
    "halan": ("Lãnh đạo UBND xã Hà Lan", Role.UNIT_HEAD, "X-HALAN"),
    "bacson": ("Lãnh đạo UBND phường Bắc Sơn", Role.UNIT_HEAD, "P-BACSON"),
    "ximang": ("Cán bộ Công đoàn Xi măng", Role.UNIT_MEMBER, "DN-XIMANG"),
    "vanthu": ("Văn thư Phòng Nội vụ", Role.SECRETARIAT, None),
}
PLAN = "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị"
AUDIENCE_BUTTONS = ["Tất cả đơn vị", "Đơn vị chưa nộp…", "Theo khối/cụm", "Theo loại đơn vị"]
PREVIEW_BUTTONS = ["✅ Gửi", "✏️ Sửa nội dung", "👥 Đổi người nhận", "❌ Hủy"]


@pytest.fixture
async def accounts(demo: None, session_factory: SF, clock: Clock) -> None:
    """More linked unit people (and a second secretariat account, never a recipient)."""
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
        people = PeopleRepository(s)
        assert await people.mark_unreachable("console", "baobi", clock()) == 1
        halan = await people.account("console", "halan")
        assert halan is not None
        halan.chat_id = None


async def _count(sf: SF, model: type, *where: ColumnElement[bool]) -> int:
    async with sf() as s:
        n = await s.scalar(select(func.count()).select_from(model).where(*where))
    return int(n or 0)


async def _deliveries(sf: SF) -> dict[str, tuple[NoticeStatus, str | None]]:
    """external id → (status, detail) of every copy."""
    async with sf() as s:
        rows = await s.execute(
            select(ChatAccount.external_id, BroadcastDelivery.status, BroadcastDelivery.detail)
            .join(ChatAccount, ChatAccount.id == BroadcastDelivery.account_id)
            .order_by(BroadcastDelivery.id)
        )
        return {handle: (status, detail) for handle, status, detail in rows.tuples()}


async def _broadcast(sf: SF) -> Broadcast:
    async with sf() as s:
        return (await s.scalars(select(Broadcast))).one()


async def _upload(
    h: ChatHarness, name: str, data: bytes, caption: str = "", mime: str = "application/pdf"
) -> None:
    """Send a file with a caption (the harness's ``upload`` sends none)."""

    async def read() -> bytes:
        return data

    file = IncomingFile(name, mime, len(data), read)
    h.replies = await h.core.handle(Incoming(h.key, h.user, text=caption, file=file))


async def _to_audience(noivu: ChatHarness, text: str = "Đề nghị các đơn vị gửi Kế hoạch.") -> None:
    await noivu.send("/thongbao")
    assert "Vui lòng gửi nội dung thông báo" in noivu.text
    await noivu.send(text)
    assert noivu.buttons == AUDIENCE_BUTTONS


async def _to_late_plan_preview(noivu: ChatHarness, text: str = "Nhắc nộp kế hoạch.") -> None:
    await _to_audience(noivu, text)
    await noivu.press("Đơn vị chưa nộp")
    assert f"{PLAN} (hạn 15/11/2019)" in noivu.buttons
    await noivu.press("Kế hoạch tổ chức")
    assert noivu.buttons == PREVIEW_BUTTONS


# -- the happy path ------------------------------------------------------------------------------


@pytest.mark.usefixtures("accounts")
async def test_late_for_the_plan_queues_one_copy_per_account(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    noivu = chat("noivu")
    text = "Đề nghị các đơn vị khẩn trương gửi Kế hoạch trước ngày 15/11/2019."
    await _to_late_plan_preview(noivu, text)
    preview = noivu.text
    assert preview.startswith("📣 Thông báo của Thường trực Hội đồng Thi đua – Khen thưởng")
    assert text in preview
    assert f"Gửi tới: Đơn vị chưa nộp «{PLAN}» (hạn 15/11/2019)" in preview
    assert "Số đơn vị: 9 (5 đơn vị chưa có ai liên kết tài khoản" in preview
    assert "Số người nhận: 5, trong đó 2 người không liên lạc được" in preview
    assert await _count(session_factory, Broadcast) == 0  # a preview writes nothing

    await noivu.press("Gửi")
    assert "Đã xếp hàng gửi thông báo #" in noivu.text
    assert "tới 3 người (2 đơn vị); 2 người không liên lạc được" in noivu.text
    assert "bot sẽ báo kết quả khi gửi xong" in noivu.text

    async with session_factory() as s:
        plan = (await s.scalars(select(Requirement).where(Requirement.code == "KEHOACH"))).one()
        noivu_person = (
            await s.scalars(select(Person).where(Person.full_name.like("Phòng Nội vụ%")))
        ).one()
        expected = await audience_accounts(s, {"kind": "late", "requirement_id": plan.id}, clock())
        external = dict(
            (await s.execute(select(ChatAccount.id, ChatAccount.external_id))).tuples().all()
        )
    b = await _broadcast(session_factory)
    assert (b.text, b.file_id, b.status, b.created_by) == (text, None, "sending", noivu_person.id)
    assert b.audience == {"kind": "late", "requirement_id": plan.id}
    assert b.audience_label == f"Đơn vị chưa nộp «{PLAN}» (hạn 15/11/2019)"
    assert (b.origin_channel, b.origin_chat_id) == ("console", "noivu")
    copies = await _deliveries(session_factory)
    assert copies == {
        "baobi": (NoticeStatus.BLOCKED, "unreachable"),
        "badinh": (NoticeStatus.PENDING, None),
        "phuson-cb": (NoticeStatus.PENDING, None),
        "phuson": (NoticeStatus.PENDING, None),
        "halan": (NoticeStatus.BLOCKED, "unreachable"),
    }
    # sorted by unit (Công ty… < Phường Ba Đình < Phường Phú Sơn < Xã Hà Lan), then person
    assert list(copies) == [external[r.account_id] for r in expected]
    async with session_factory() as s:
        rows = (await s.scalars(select(BroadcastDelivery))).all()
        by_account = {r.account_id: r for r in expected}
        for row in rows:
            recipient = by_account[row.account_id]
            assert (row.unit_id, row.channel) == (recipient.unit_id, "console")
            assert row.chat_id == recipient.chat_id
        audit = (
            await s.scalars(select(AuditLog).where(AuditLog.action == "broadcast.create"))
        ).one()
        conv = await s.get(Conversation, ("console", "noivu"))
    assert (audit.entity, audit.entity_id, audit.person_id) == ("broadcast", b.id, noivu_person.id)
    assert audit.detail["recipients"] == 5
    assert conv is not None and conv.state == "idle"


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize(
    ("presses", "label", "units", "recipients", "unreachable", "queued"),
    [
        (["Tất cả đơn vị"], "Tất cả đơn vị", 21, 7, 2, "tới 5 người (4 đơn vị)"),
        (
            ["Theo khối/cụm", "Khối xã, phường"],
            "Khối/cụm: Khối xã, phường",
            8,
            5,
            1,
            "tới 4 người (3 đơn vị)",
        ),
        (
            ["Theo loại đơn vị", "Doanh nghiệp"],
            "Loại đơn vị: Doanh nghiệp",
            3,
            2,
            1,
            "tới 1 người (1 đơn vị)",
        ),
    ],
)
async def test_audiences_all_block_and_kind(
    chat: Chat,
    session_factory: SF,
    presses: list[str],
    label: str,
    units: int,
    recipients: int,
    unreachable: int,
    queued: str,
) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu)
    for label_part in presses:
        await noivu.press(label_part)
    assert f"Gửi tới: {label}" in noivu.text
    assert f"Số đơn vị: {units}" in noivu.text
    assert f"Số người nhận: {recipients}, trong đó {unreachable} người" in noivu.text
    await noivu.press("Gửi")
    assert queued in noivu.text
    copies = await _deliveries(session_factory)
    assert len(copies) == recipients
    blocked = [h for h, (status, _) in copies.items() if status is NoticeStatus.BLOCKED]
    assert len(blocked) == unreachable
    assert "vanthu" not in copies and "noivu" not in copies  # the secretariat gets no copy
    assert (await _broadcast(session_factory)).audience_label == label


@pytest.mark.usefixtures("accounts")
async def test_block_and_kind_choices_are_counted(chat: Chat) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu)
    await noivu.press("Theo khối/cụm")
    assert noivu.buttons == [
        "Khối cơ quan (4 đơn vị)",
        "Khối doanh nghiệp (3 đơn vị)",
        "Khối Đảng - đoàn thể (6 đơn vị)",
        "Khối xã, phường (8 đơn vị)",
        "↩️ Quay lại",
    ]
    await noivu.press("Quay lại")
    assert noivu.buttons == AUDIENCE_BUTTONS
    await noivu.send("4")  # typed number: "Theo loại đơn vị"
    assert noivu.buttons == [
        "Xã/phường (8 đơn vị)",
        "Cơ quan (4 đơn vị)",
        "Đoàn thể (6 đơn vị)",
        "Doanh nghiệp (3 đơn vị)",
        "↩️ Quay lại",
    ]
    await noivu.send("xa phuong (8 don vi)")  # typed label, without diacritics
    assert "Gửi tới: Loại đơn vị: Xã/phường" in noivu.text


# -- files and texts -----------------------------------------------------------------------------


@pytest.mark.usefixtures("accounts")
async def test_file_with_caption_is_the_announcement(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    payload = b"%PDF-1.4 cong van " * 50
    await noivu.send("/thongbao")
    await _upload(noivu, "cong-van-123.pdf", payload, caption="Gửi các đơn vị Công văn số 123.")
    assert noivu.buttons == AUDIENCE_BUTTONS
    await noivu.press("Tất cả đơn vị")
    assert "Gửi các đơn vị Công văn số 123." in noivu.text
    assert "📎 Kèm tệp: cong-van-123.pdf" in noivu.text
    await noivu.press("Gửi")
    b = await _broadcast(session_factory)
    assert b.text == "Gửi các đơn vị Công văn số 123."
    async with session_factory() as s:
        stored = await s.get(StoredFile, b.file_id)
    assert stored is not None and (stored.name, stored.size) == ("cong-van-123.pdf", len(payload))


@pytest.mark.usefixtures("accounts")
async def test_file_without_caption_then_text(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/thongbao")
    await _upload(noivu, "lich-hop.png", b"\x89PNG\r\n\x1a\n anh", mime="image/png")
    assert "Đã nhận tệp 📎 lich-hop.png" in noivu.text and noivu.buttons == []
    await _upload(noivu, "khac.pdf", b"%PDF-1.4")  # a second file is not the text asked for
    assert "không nhận tệp" in noivu.text and "Đã nhận tệp 📎 lich-hop.png" in noivu.text
    await noivu.send("Lịch họp Hội đồng tháng 11.")
    assert noivu.buttons == AUDIENCE_BUTTONS
    await noivu.press("Tất cả")
    assert "📎 Kèm tệp: lich-hop.png" in noivu.text
    await noivu.press("Gửi")
    b = await _broadcast(session_factory)
    assert b.text == "Lịch họp Hội đồng tháng 11." and b.file_id is not None


@pytest.mark.usefixtures("accounts")
async def test_oversized_text_or_caption_refused_and_step_kept(chat: Chat, tmp_path: Path) -> None:
    noivu = chat("noivu")
    await noivu.send("/thongbao")
    await noivu.send("x" * 3001)
    assert "quá dài (3001 ký tự); tối đa 3000 ký tự" in noivu.text
    assert "Vui lòng gửi nội dung thông báo" in noivu.text  # the question is asked again
    await _upload(noivu, "tb.pdf", b"%PDF-1.4", caption="y" * 3001)
    assert "quá dài (3001 ký tự)" in noivu.text
    files = tmp_path / "files"
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))
    await _upload(noivu, "virus.exe", b"MZ\x90\x00", caption="Tệp lạ")
    assert "tệp thực thi" in noivu.text
    await noivu.send("   ")
    assert "không được để trống" in noivu.text
    await noivu.send("x" * 3000)  # exactly the limit
    assert noivu.buttons == AUDIENCE_BUTTONS


@pytest.mark.usefixtures("accounts")
async def test_user_text_is_escaped_in_the_preview(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu, "Họp <b>gấp</b> & mang theo hồ sơ")
    await noivu.press("Tất cả")
    copy = noivu.replies[0].text
    assert "Họp &lt;b&gt;gấp&lt;/b&gt; &amp; mang theo hồ sơ" in copy
    assert "Họp <b>gấp</b> & mang theo hồ sơ" in noivu.text  # as a console shows it
    await noivu.press("Gửi")
    assert (await _broadcast(session_factory)).text == "Họp <b>gấp</b> & mang theo hồ sơ"


# -- audiences nobody can receive ----------------------------------------------------------------


@pytest.mark.usefixtures("accounts")
async def test_zero_recipients_goes_back_to_the_audience(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu)
    await noivu.press("Theo loại đơn vị")
    await noivu.press("Cơ quan")  # no one of the 4 agencies is linked
    assert "Không có ai để gửi" in noivu.text
    assert "Loại đơn vị: Cơ quan gồm 4 đơn vị" in noivu.text
    assert "chưa có ai trong các đơn vị này liên kết" in noivu.text
    assert noivu.buttons == AUDIENCE_BUTTONS
    async with session_factory.begin() as s:
        assert await PeopleRepository(s).mark_unreachable("console", "ximang", clock()) == 1
    await noivu.press("Theo loại đơn vị")
    await noivu.press("Doanh nghiệp")
    assert "cả 2 người nhận đều không liên lạc được" in noivu.text
    assert noivu.buttons == AUDIENCE_BUTTONS
    await noivu.press("Tất cả")
    assert noivu.buttons == PREVIEW_BUTTONS
    assert await _count(session_factory, Broadcast) == 0


@pytest.mark.usefixtures("accounts")
async def test_audience_emptied_after_the_preview_is_not_sent(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu)
    await noivu.press("Theo loại đơn vị")
    await noivu.press("Doanh nghiệp")
    assert noivu.buttons == PREVIEW_BUTTONS
    async with session_factory.begin() as s:
        assert await PeopleRepository(s).mark_unreachable("console", "ximang", clock()) == 1
    await noivu.press("Gửi")
    assert "Không có ai để gửi" in noivu.text and noivu.buttons == AUDIENCE_BUTTONS
    assert await _count(session_factory, Broadcast) == 0


# -- going back, cancelling, refusals ------------------------------------------------------------


@pytest.mark.usefixtures("accounts")
async def test_edit_text_and_change_audience_from_the_preview(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu, "Bản nháp")
    await noivu.press("Tất cả")
    await noivu.press("Sửa nội dung")
    assert "Gửi nội dung mới thay cho nội dung cũ" in noivu.text
    await noivu.send("Bản chính thức")
    assert noivu.buttons == PREVIEW_BUTTONS  # the audience is kept
    assert "Bản chính thức" in noivu.text and "Bản nháp" not in noivu.text
    assert "Gửi tới: Tất cả đơn vị" in noivu.text
    await noivu.press("Đổi người nhận")
    assert noivu.buttons == AUDIENCE_BUTTONS
    await noivu.press("Theo loại đơn vị")
    await noivu.press("Doanh nghiệp")
    assert "Bản chính thức" in noivu.text and "Gửi tới: Loại đơn vị: Doanh nghiệp" in noivu.text
    await noivu.press("Gửi")
    b = await _broadcast(session_factory)
    assert (b.text, b.audience) == (
        "Bản chính thức",
        {"kind": "unit_kind", "value": "doanh_nghiep"},
    )
    assert set(await _deliveries(session_factory)) == {"baobi", "ximang"}


@pytest.mark.usefixtures("accounts")
async def test_cancel_leaves_no_rows(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_late_plan_preview(noivu)
    await noivu.press("Hủy")
    assert "Đã hủy" in noivu.text
    await _to_audience(noivu)
    await noivu.send("/huy")
    assert "Đã hủy" in noivu.text
    async with session_factory() as s:
        conv = await s.get(Conversation, ("console", "noivu"))
    assert conv is not None and conv.state == "idle"
    assert await _count(session_factory, Broadcast) == 0
    assert await _count(session_factory, BroadcastDelivery) == 0
    assert await _count(session_factory, AuditLog, AuditLog.action == "broadcast.create") == 0


@pytest.mark.usefixtures("accounts")
async def test_only_the_secretariat_may_broadcast(chat: Chat, session_factory: SF) -> None:
    for handle in ("badinh", "phuson-cb"):
        unit_person = chat(handle)
        await unit_person.send("/thongbao")
        assert "chỉ dành cho Thường trực Hội đồng Thi đua – Khen thưởng" in unit_person.text
        await unit_person.send("/broadcast")
        assert "chỉ dành cho Thường trực" in unit_person.text
    group = chat("noivu", private=False)
    await group.send("/thongbao")
    assert "nhắn riêng" in group.text
    stranger = chat("stranger")
    await stranger.send("/thongbao")
    assert "chưa được liên kết" in stranger.text
    async with session_factory() as s:
        conv = await s.get(Conversation, ("console", "badinh"))
    assert conv is None or conv.state == "idle"


@pytest.mark.usefixtures("accounts")
async def test_stale_buttons_are_refused(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await _to_audience(noivu)
    await noivu.press("Tất cả")
    await noivu.press_data(
        PickAudience(kind=AudienceKind.LATE).pack()
    )  # a button of the previous step
    assert "hết hiệu lực" in noivu.text
    assert noivu.buttons == PREVIEW_BUTTONS  # the preview is shown again
    await noivu.press("Gửi")
    await noivu.press_data(Confirm(act=PreviewAct.SEND).pack())  # a second tap on "Gửi"
    assert "hết hiệu lực" in noivu.text
    assert await _count(session_factory, Broadcast) == 1


@pytest.mark.usefixtures("accounts")
async def test_alias_menu_and_help(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/trogiup")
    assert "/thongbao — gửi thông báo tới các đơn vị" in noivu.text
    assert "📣 Thông báo" in noivu.buttons
    await noivu.press("Thông báo")
    assert "Vui lòng gửi nội dung thông báo" in noivu.text
    await noivu.send("/broadcast")
    assert "Vui lòng gửi nội dung thông báo" in noivu.text
    names = list(MENU_COMMANDS)
    assert names.index("thongbao") < names.index("huy")  # with the other commands, before /huy
    badinh = chat("badinh")
    await badinh.send("/trogiup")
    assert "/thongbao" not in badinh.text


# -- waking the sender ---------------------------------------------------------------------------


@pytest.mark.usefixtures("accounts")
async def test_wake_is_called_once_after_commit(
    session_factory: SF, engine: AsyncEngine, clock: Clock, tmp_path: Path
) -> None:
    calls: list[tuple[str, int | None]] = []
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None

    def wake(topic: str) -> None:
        seen = None
        if database is not None:  # what another connection sees: only committed rows
            with sqlite3.connect(database) as conn:
                seen = conn.execute("SELECT count(*) FROM broadcast_deliveries").fetchone()[0]
        calls.append((topic, seen))

    deps = CoreDeps(
        session_factory=session_factory,
        files=LocalFileStore(tmp_path / "files"),
        texts=Texts(),
        clock=clock,
        wake=wake,
    )
    noivu = ChatHarness(make_core(deps), "noivu")
    await _to_late_plan_preview(noivu)
    await noivu.press_data(PickAudience(kind=AudienceKind.ALL).pack())  # refused: no wake
    await noivu.press("Gửi")
    assert "Đã xếp hàng" in noivu.text
    assert calls == [("broadcast", 5 if database is not None else None)]
    await noivu.press_data(Confirm(act=PreviewAct.SEND).pack())
    await _to_audience(noivu)
    await noivu.press("Tất cả")
    await noivu.press("Hủy")
    assert len(calls) == 1


# -- what recipients and the secretariat read ---------------------------------------------------


def test_copy_reply_escapes_the_text_and_attaches_the_file() -> None:
    b = Broadcast(id=7, text='Họp <b>gấp</b> & "khẩn"\nDòng hai', audience_label="Tất cả")
    file = OutgoingFile("cong-van.pdf", "application/pdf", b"%PDF-1.4")
    reply = copy_reply(Texts(), b, file)
    header, blank, *body = reply.text.splitlines()
    assert header == "📣 <b>Thông báo của Thường trực Hội đồng Thi đua – Khen thưởng</b>"
    assert blank == ""
    assert body == ["Họp &lt;b&gt;gấp&lt;/b&gt; &amp; &#34;khẩn&#34;", "Dòng hai"]
    assert reply.file is file and reply.buttons == ()
    assert copy_reply(Texts(), b, None).file is None


def test_report_and_progress_replies() -> None:
    b = Broadcast(id=7, text="Nhắc <nộp> kế hoạch", audience_label="Khối A & <B>")
    counts = {
        NoticeStatus.SENT: 4,
        NoticeStatus.BLOCKED: 2,
        NoticeStatus.FAILED: 1,
        NoticeStatus.UNKNOWN: 1,
    }
    text = report_reply(Texts(), b, counts).text
    assert "Kết quả gửi thông báo #7" in text
    assert "Khối A &amp; &lt;B&gt;" in text and "Nhắc &lt;nộp&gt; kế hoạch" in text
    assert "Đã gửi: <b>4</b>" in text
    assert "Bị chặn, không liên lạc được: <b>2</b>" in text
    assert "Lỗi: <b>1</b>" in text
    assert "Không rõ (do gián đoạn): <b>1</b>" in text
    assert "Tổng cộng: <b>8</b>" in text
    assert "Chưa gửi" not in text
    partial = report_reply(Texts(), b, {NoticeStatus.SENT: 1, NoticeStatus.PENDING: 2}).text
    assert "Chưa gửi: <b>2</b>" in partial and "Tổng cộng: <b>3</b>" in partial
    assert progress_reply(Texts(), b, 8).text == "⏳ Đang gửi thông báo #7 tới 8 người…"


async def test_audience_accounts_sorted_and_unknown_audience_refused(
    accounts: None, session_factory: SF, clock: Clock
) -> None:
    async with session_factory() as s:
        everyone = await audience_accounts(s, {"kind": "all"}, clock())
        missing_plan = await audience_accounts(
            s, {"kind": "late", "requirement_id": 999_999}, clock()
        )
        with pytest.raises(ValueError, match="unknown audience"):
            await audience_accounts(s, {"kind": "nobody"}, clock())
        owners = {
            account_id: (external_id, role, unit_id)
            for account_id, external_id, role, unit_id in (
                await s.execute(
                    select(
                        ChatAccount.id, ChatAccount.external_id, Person.role, Person.unit_id
                    ).join(Person, Person.id == ChatAccount.person_id)
                )
            ).tuples()
        }
    # Công ty CP Bao bì < Công ty CP Xi măng < Phường Ba Đình < Phường Bắc Sơn < Phường Phú Sơn
    # (Cán bộ… < Lãnh đạo…) < Xã Hà Lan; the secretariat's accounts are never recipients
    assert [owners[r.account_id][0] for r in everyone] == [
        "baobi",
        "ximang",
        "badinh",
        "bacson",
        "phuson-cb",
        "phuson",
        "halan",
    ]
    assert all(
        owners[r.account_id][1:] == (Role.UNIT_HEAD, r.unit_id)
        or owners[r.account_id][1:] == (Role.UNIT_MEMBER, r.unit_id)
        for r in everyone
    )
    assert missing_plan == []

"""Every conversation flow, driven through the chat harness over the real core and database."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.items import ItemKind
from handlers.flows import export
from handlers.flows.listing import PickItem
from handlers.flows.status import overview
from handlers.flows.submit import Act, Confirm
from handlers.kernel.context import CoreDeps
from handlers.kernel.inputs import FieldValue
from handlers.kernel.messages import Incoming
from handlers.routes import make_core
from handlers.services.invites import create_invite
from storage.models import (
    AuditLog,
    ChatAccount,
    Conversation,
    Nomination,
    NominationStatus,
    Person,
    Role,
    StoredFile,
    Submission,
    SubmissionStatus,
    Unit,
)
from storage.repositories.people import PeopleRepository
from tests.harness import ChatHarness, Clock
from tests.samples import docx_bytes

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]


async def _count(sf: SF, model: type, *where: object) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _nomination(sf: SF, name: str) -> Nomination:
    async with sf() as s:
        return (await s.scalars(select(Nomination).where(Nomination.full_name == name))).one()


def _plan_line(text: str) -> str:
    return next(line for line in text.splitlines() if "Đã nộp" in line)


async def _submit_plan(badinh: ChatHarness, content: str = "Kế hoạch số 12/KH-UBND") -> None:
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send(content)
    await badinh.press("Xác nhận gửi")
    assert "Đã lưu" in badinh.text


# -- onboarding ------------------------------------------------------------------------------


async def _invite(sf: SF, clock: Clock, role: Role, unit: str | None) -> str:
    async with sf.begin() as s:
        invite, _ = await create_invite(
            s, role=role, unit_ref=unit, full_name=None, now=clock(), ttl=dt.timedelta(days=7)
        )
        return invite.code


async def test_unlinked_user_gets_onboarding_and_no_data(chat: Chat) -> None:
    stranger = chat("stranger")
    for text in ("/tinhhinh", "/chuanop", "/nop", "xin chào"):
        await stranger.send(text)
        assert "chưa được liên kết" in stranger.text
        assert "Phường" not in stranger.text


async def test_invite_links_once_and_expires(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    code = await _invite(session_factory, clock, Role.UNIT_HEAD, "ba dinh")
    first, second = chat("tg-1001"), chat("tg-1002")
    await first.send("/start SAIMA")
    assert "Mã mời không đúng" in first.text
    await first.send(f"/start {code.lower()}")
    assert "Chào mừng" in first.text and "Phường Ba Đình" in first.text
    await second.send(f"/start {code}")
    assert "đã được sử dụng" in second.text
    assert await _count(session_factory, ChatAccount, ChatAccount.external_id == "tg-1002") == 0
    await first.send("/tinhhinh")
    assert "Phường Ba Đình" in first.text

    late_code = await _invite(session_factory, clock, Role.SECRETARIAT, None)
    clock.now += dt.timedelta(days=8)
    await second.send(f"/start {late_code}")
    assert "hết hạn" in second.text
    assert await _count(session_factory, Person) == 3  # noivu, badinh, tg-1001


async def test_invite_needs_a_known_unit(session_factory: SF, clock: Clock) -> None:
    from handlers.domain.errors import UserError

    for role, unit, key in (
        (Role.UNIT_HEAD, None, "invite_needs_unit"),
        (Role.UNIT_HEAD, "Phường Không Có", "unit_not_found"),
        (Role.SECRETARIAT, "P-BADINH", "invite_secretariat_unit"),
    ):
        with pytest.raises(UserError) as err:
            await _invite(session_factory, clock, role, unit)
        assert err.value.key == key


# -- status ----------------------------------------------------------------------------------


async def test_secretariat_status_changes_when_ba_dinh_submits_plan(chat: Chat) -> None:
    noivu, badinh = chat("noivu"), chat("badinh")
    await noivu.send("/tinhhinh")
    before = _plan_line(noivu.text)
    await noivu.send("/chuanop")
    plan_block = noivu.text.split("Kế hoạch tổ chức Hội nghị")[1].split("\n\n")[0]
    assert "Phường Ba Đình" in plan_block

    await _submit_plan(badinh)

    await noivu.send("/tinhhinh")
    after = _plan_line(noivu.text)
    done_before, total = map(int, before.split("Đã nộp: ")[1].split(";")[0].split("/"))
    done_after, total_after = map(int, after.split("Đã nộp: ")[1].split(";")[0].split("/"))
    assert (done_after, total_after) == (done_before + 1, total)
    await noivu.send("/chuanop")
    plan_block = noivu.text.split("Kế hoạch tổ chức Hội nghị")[1].split("\n\n")[0]
    assert "Phường Ba Đình" not in plan_block


async def test_unit_head_sees_checklist_with_days_left(chat: Chat, clock: Clock) -> None:
    badinh = chat("badinh")
    await badinh.send("/tinhhinh")
    assert "Phường Ba Đình" in badinh.text
    assert "hạn 15/11/2019, còn 3 ngày" in badinh.text
    clock.set("2019-11-17T08:00")
    await badinh.send("/chuanop")
    assert "đã quá hạn 2 ngày" in badinh.text


async def test_secretariat_drills_into_a_unit(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Xem một đơn vị")
    assert "Phường Ba Đình" in noivu.buttons
    await noivu.send("ba dinh")  # typed name, without diacritics
    assert "Phường Ba Đình — các nội dung phải nộp" in noivu.text
    await noivu.send("/tinhhinh DN-XIMANG")
    assert "Công ty CP Xi măng Bỉm Sơn" in noivu.text


async def test_unit_head_cannot_see_another_unit(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/tinhhinh P-BACSON")
    assert "đơn vị mình" in badinh.text
    assert "Bắc Sơn" not in badinh.text


# -- submissions -----------------------------------------------------------------------------


async def test_submit_text_plan_is_versioned(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await _submit_plan(badinh, "Bản 1")
    await _submit_plan(badinh, "Bản 2")
    assert "phiên bản 2" in badinh.text
    async with session_factory() as s:
        rows = (
            await s.scalars(select(Submission).join(Unit).where(Unit.code == "P-BADINH"))
        ).all()
    assert sorted((r.version, r.is_current, r.text) for r in rows) == [
        (1, False, "Bản 1"),
        (2, True, "Bản 2"),
    ]
    assert await _count(session_factory, AuditLog, AuditLog.action == "submission.create") >= 2


@contextlib.contextmanager
def _statements(session_factory: SF) -> Iterator[list[str]]:
    """The SQL statements run inside the block, whitespace collapsed."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()))

    sync_engine = session_factory.kw["bind"].sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)


async def test_a_units_checklist_reads_the_campaigns_requirements_once(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    with _statements(session_factory) as statements:
        await badinh.send("/tinhhinh")
    assert "Phường Ba Đình — các nội dung phải nộp" in badinh.text
    campaigns = [q for q in statements if q.startswith("SELECT campaigns.")]
    assert len(campaigns) == 1  # the demo's one reported campaign
    # Its owed requirements and its milestones come from one reading.
    assert len([q for q in statements if "FROM requirements" in q]) == 1


async def test_picking_a_requirement_reads_the_units_standing_once(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    with _statements(session_factory) as statements:
        await badinh.press("Kế hoạch tổ chức")
    assert "Vui lòng gửi nội dung" in badinh.text
    # The step checks the unit's standing and asks for the content with the same reading.
    assert len([q for q in statements if q.startswith("SELECT campaigns.")]) == 1
    assert len([q for q in statements if "FROM nominations" in q]) == 1


async def test_submit_file_is_stored_by_content_hash(
    chat: Chat, session_factory: SF, tmp_path: Path
) -> None:
    badinh = chat("badinh")
    payload = b"%PDF-1.4 ke hoach " * 100
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.upload("Ke hoach Ba Dinh.pdf", payload)
    assert "Ke hoach Ba Dinh.pdf" in badinh.text
    await badinh.press("Xác nhận gửi")
    async with session_factory() as s:
        stored = (await s.scalars(select(StoredFile))).one()
    digest = hashlib.sha256(payload).hexdigest()
    assert (stored.sha256, stored.size, stored.name) == (
        digest,
        len(payload),
        "Ke hoach Ba Dinh.pdf",
    )
    assert (tmp_path / "files" / stored.path).read_bytes() == payload


@pytest.mark.parametrize(
    ("name", "data", "size", "expected"),
    [
        ("virus.exe", b"MZ\x90\x00", None, "tệp thực thi"),
        ("ke-hoach.pdf", b"MZ\x90\x00", None, "tệp thực thi"),
        ("rong.pdf", b"", None, "Tệp rỗng"),
        ("lon.pdf", b"x", 51 * 1024 * 1024, "Tệp quá lớn"),
        ("nhac.mp3", b"ID3", None, "Không nhận loại tệp"),
        ("anh-chup.jpg", b"\xff\xd8\xff", None, "nhận: doc, docx, odt, pdf"),  # not for a plan
    ],
)
async def test_bad_files_are_refused_and_step_kept(
    chat: Chat, session_factory: SF, name: str, data: bytes, size: int | None, expected: str
) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.upload(name, data, size=size)
    assert expected in badinh.text
    assert "Vui lòng gửi nội dung" in badinh.text  # the question is asked again
    await badinh.send("Kế hoạch bằng văn bản")
    assert "Xác nhận gửi" in badinh.buttons[0]
    assert await _count(session_factory, StoredFile) == 0


async def test_empty_and_oversized_text_refused(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send("   ")
    assert "không được để trống" in badinh.text
    await badinh.send("x" * 10_000)
    assert "quá dài (10000 ký tự)" in badinh.text
    assert await _count(session_factory, Submission, Submission.text.like("xxx%")) == 0


async def test_dossier_parts_count_as_partial(chat: Chat) -> None:
    badinh, noivu = chat("badinh"), chat("noivu")
    await badinh.send("/nop")
    await badinh.press("Hồ sơ sau Hội nghị")
    await badinh.press("Tờ trình")
    await badinh.upload("to-trinh.docx", docx_bytes(), "application/msword")
    await badinh.press("Xác nhận gửi")
    assert "1/5 thành phần" in badinh.text
    await noivu.send("/tinhhinh ba dinh")
    assert "mới nộp 1/5 phần" in noivu.text


async def test_secretariat_cannot_submit(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/nop")
    assert "chỉ dành cho lãnh đạo đơn vị" in noivu.text
    await noivu.send("/decu")
    assert "chỉ dành cho lãnh đạo đơn vị" in noivu.text


# -- nominations -----------------------------------------------------------------------------


async def _nominate_individual(badinh: ChatHarness) -> None:
    await badinh.send("/decu")
    await badinh.send("1")  # typed number instead of a press
    await badinh.send("Nguyễn Thị Hoa")
    await badinh.send("nữ")  # typed label, without diacritics
    await badinh.send("1985")
    await badinh.send("Chủ tịch Hội LHPN phường Ba Đình")
    await badinh.press("Lao động tiên tiến")
    await badinh.send("Hoàn thành xuất sắc nhiệm vụ 5 năm liền, vận động 200 hội viên mới.")
    await badinh.press("Bỏ qua")
    assert "Nguyễn Thị Hoa" in badinh.text and "Nữ, sinh năm 1985" in badinh.text
    await badinh.press("Gửi đề cử")
    assert "Đã lưu đề cử" in badinh.text


async def test_individual_nomination_with_bad_inputs(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.send("7")
    assert "Vui lòng chọn" in badinh.text
    await badinh.press("Cá nhân")
    await badinh.send("!!")
    assert "không hợp lệ" in badinh.text
    await badinh.send("Nguyễn Thị Hoa")
    await badinh.press("Nữ")
    await badinh.send("3000")
    assert "Năm sinh không hợp lệ" in badinh.text and "Năm sinh (4 chữ số" in badinh.text
    await badinh.send("1985")
    await badinh.send("Chủ tịch Hội LHPN phường")
    await badinh.press("Lao động tiên tiến")
    await badinh.send("x" * 10_000)
    assert "quá dài" in badinh.text
    await badinh.send("ngắn")
    assert "quá ngắn" in badinh.text
    await badinh.send("Hoàn thành xuất sắc nhiệm vụ nhiều năm liền.")
    await badinh.upload("bao-cao-thanh-tich.pdf", b"%PDF-1.4 thanh tich")
    await badinh.press("Gửi đề cử")
    n = await _nomination(session_factory, "Nguyễn Thị Hoa")
    assert (n.gender, n.birth_year, n.award_code, n.status) == (
        "nu",
        1985,
        "LDTT",
        NominationStatus.SUBMITTED,
    )
    assert n.file_id is not None


async def test_collective_nomination_skips_personal_fields(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.send("Tập thể")
    await badinh.send("Tổ dân phố số 5")
    assert "Hình thức" in badinh.text
    assert not any(b == "Lao động tiên tiến" for b in badinh.buttons)  # individual form
    await badinh.press("Tập thể lao động")
    await badinh.send("Tổ dân phố văn hóa tiêu biểu nhiều năm liền.")
    await badinh.press("Bỏ qua")
    await badinh.press("Gửi đề cử")
    n = await _nomination(session_factory, "Tổ dân phố số 5")
    assert (n.subject.value, n.gender, n.birth_year) == ("tap_the", None, None)


async def test_cancel_leaves_any_step_and_saves_nothing(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    before = await _count(session_factory, Nomination)
    await badinh.send("/decu")
    await badinh.press("Cá nhân")
    await badinh.send("Nguyễn Văn Huỷ")
    await badinh.send("/huy")
    assert "Đã hủy" in badinh.text
    await badinh.send("1985")
    assert "chưa hiểu" not in badinh.text or "Năm sinh" not in badinh.text
    assert await _count(session_factory, Nomination) == before


async def test_conversation_survives_a_restart(
    chat: Chat, session_factory: SF, clock: Clock, tmp_path: Path
) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.press("Cá nhân")
    await badinh.send("Lê Văn Bền")
    # a new process: a new core on the same database
    from handlers.kernel.texts import Texts
    from storage.files import LocalFileStore

    core2 = make_core(CoreDeps(session_factory, LocalFileStore(tmp_path / "f2"), Texts(), clock))
    again = ChatHarness(core2, "badinh")
    await again.send("Nam")
    assert "Năm sinh" in again.text
    async with session_factory() as s:
        conv = await s.get(Conversation, ("console", "badinh"))
    assert conv is not None and conv.data["values"]["gender"] == "nam"


async def test_stale_and_forged_buttons_are_refused(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    async with session_factory() as s:
        other = (
            await s.scalars(select(Nomination).join(Unit).where(Unit.code != "P-BADINH").limit(1))
        ).one()
    await badinh.send("/danhsach")
    await badinh.press_data(PickItem(kind=ItemKind.NOMINATION, item_id=other.id).pack())
    assert "hết hiệu lực" in badinh.text
    await badinh.press_data(FieldValue(key="subject", value="ca_nhan").pack())  # another step's
    assert "hết hiệu lực" in badinh.text


# -- list, edit, withdraw --------------------------------------------------------------------


async def test_edit_and_withdraw_before_deadline(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await _nominate_individual(badinh)
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    await badinh.press("Sửa")
    await badinh.press("Năm sinh")
    assert "hiện tại: 1985" in badinh.text
    await badinh.send("3000")
    assert "Năm sinh không hợp lệ" in badinh.text
    await badinh.send("1986")
    assert "Đã cập nhật năm sinh" in badinh.text
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    await badinh.press("Rút")
    await badinh.press("Xác nhận rút")
    assert "Đã rút" in badinh.text
    n = await _nomination(session_factory, "Nguyễn Thị Hoa")
    assert (n.birth_year, n.revision, n.status) == (1986, 2, NominationStatus.WITHDRAWN)
    actions = await _count(
        session_factory, AuditLog, AuditLog.entity == "nomination", AuditLog.entity_id == n.id
    )
    assert actions == 3  # create, edit, withdraw


async def test_no_edit_after_deadline(chat: Chat, clock: Clock, session_factory: SF) -> None:
    badinh = chat("badinh")
    await _nominate_individual(badinh)
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    clock.set("2020-04-16T08:00")
    await badinh.press("Sửa")
    assert "Đã quá hạn" in badinh.text
    await badinh.send("/danhsach")
    await badinh.press("Nguyễn Thị Hoa")
    assert "Sửa" not in " ".join(badinh.buttons) and "Rút" not in " ".join(badinh.buttons)
    n = await _nomination(session_factory, "Nguyễn Thị Hoa")
    assert n.revision == 1


async def test_withdrawn_plan_counts_as_missing_again(chat: Chat) -> None:
    badinh = chat("badinh")
    await _submit_plan(badinh)
    await badinh.send("/danhsach")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.press("Rút")
    await badinh.press("Xác nhận rút")
    await badinh.send("/chuanop")
    assert "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị" in badinh.text


# -- commands and menus ----------------------------------------------------------------------


async def test_help_menu_unknown_command_and_aliases(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/help")
    assert "/decu" in badinh.text and "Nộp báo cáo" in badinh.text
    await badinh.send("/khongco")
    assert "Không có lệnh /khongco" in badinh.text
    await badinh.send("/status")
    assert "các nội dung phải nộp" in badinh.text
    await badinh.send("/trogiup")
    await badinh.press("Đề cử")
    assert "cá nhân hay tập thể" in badinh.text


async def test_help_mid_step_keeps_the_step(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/decu")
    await badinh.send("/trogiup")
    await badinh.send("2")
    assert "Tên tập thể" in badinh.text


async def test_group_chat_is_not_for_submissions_or_linking(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    group = chat("badinh", private=False)
    await group.send("/nop")
    assert "nhắn riêng" in group.text
    await group.send("/tinhhinh")  # a unit's checklist is not for a group either
    assert "nhắn riêng" in group.text
    assert await group.send("Chào cả nhóm") == []  # chatter is not for the bot
    secretariat = chat("noivu", private=False)
    await secretariat.send("/tinhhinh")  # the secretariat may ask for the overview in a group
    assert "12/21" in secretariat.text
    assert secretariat.buttons == []  # no follow-up anyone in the group could press
    code = await _invite(session_factory, clock, Role.UNIT_HEAD, "P-BACSON")
    newcomer = chat("tg-2001", private=False)
    await newcomer.send(f"/start {code}")
    assert "nhắn riêng" in newcomer.text
    assert await _count(session_factory, ChatAccount, ChatAccount.external_id == "tg-2001") == 0


async def test_every_text_is_vietnamese_with_dates_ddmmyyyy(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/chuanop")
    assert "15/11/2019" in noivu.text
    assert "2019-11-15" not in noivu.text


async def test_submission_status_rows(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await _submit_plan(badinh)
    assert (
        await _count(
            session_factory,
            Submission,
            Submission.status == SubmissionStatus.SUBMITTED,
            Submission.text == "Kế hoạch số 12/KH-UBND",
        )
        == 1
    )


async def test_double_tap_on_confirm_saves_once(
    chat: Chat, session_factory: SF, clock: Clock, tmp_path: Path
) -> None:
    """Two presses of the same button at once, in one process and from two processes."""
    import asyncio

    from handlers.kernel.texts import Texts
    from storage.files import LocalFileStore

    badinh = chat("badinh")
    other_process = ChatHarness(
        make_core(CoreDeps(session_factory, LocalFileStore(tmp_path / "f2"), Texts(), clock)),
        "badinh",
    )
    for second in (badinh, other_process):
        await badinh.send("/nop")
        await badinh.press("Kế hoạch tổ chức")
        await badinh.send("Kế hoạch, bấm hai lần")
        results = await asyncio.gather(
            badinh.core.handle(_press(badinh, Confirm(act=Act.OK).pack())),
            second.core.handle(_press(second, Confirm(act=Act.OK).pack())),
            return_exceptions=True,
        )
        saved = [r for r in results if isinstance(r, list) and "Đã lưu" in r[0].text]
        assert len(saved) == 1, results
    ba_dinh = select(Unit.id).where(Unit.code == "P-BADINH").scalar_subquery()
    assert await _count(session_factory, Submission, Submission.unit_id == ba_dinh) == 2


def _press(harness: ChatHarness, data: str) -> Incoming:
    return Incoming(harness.key, harness.user, callback_data=data)


async def test_unit_member_sees_but_cannot_submit(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    code = await _invite(session_factory, clock, Role.UNIT_MEMBER, "P-BADINH")
    member = chat("member-1")
    await member.send(f"/start {code}")
    assert "Cán bộ đơn vị" in member.text
    await _submit_plan(chat("badinh"))
    for command in ("/nop", "/decu"):
        await member.send(command)
        assert "chỉ dành cho lãnh đạo đơn vị" in member.text
    await member.send("/danhsach")
    assert "Kế hoạch tổ chức" in member.text and member.buttons == []
    await member.send("/tinhhinh")
    assert "Phường Ba Đình — các nội dung phải nộp" in member.text


async def test_resubmit_from_list_then_accepted_is_final(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await _submit_plan(badinh, "Bản 1")
    await badinh.send("/danhsach")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.press("Nộp bản mới")
    assert "phiên bản 1" in badinh.text
    await badinh.send("Bản 2")
    await badinh.press("Xác nhận gửi")
    assert "phiên bản 2" in badinh.text
    async with session_factory.begin() as s:
        current = (await s.scalars(select(Submission).where(Submission.is_current))).all()
        for sub in current:
            if sub.text == "Bản 2":
                sub.status = SubmissionStatus.ACCEPTED
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    assert "đã được Thường trực tiếp nhận" in badinh.text
    await badinh.send("/danhsach")
    await badinh.press("Kế hoạch tổ chức")
    assert not {"🔁 Nộp bản mới", "🗑 Rút"} & set(badinh.buttons)


async def test_confirm_can_redo_or_cancel(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send("Bản nháp")
    await badinh.press("Gửi lại nội dung khác")
    assert "Vui lòng gửi nội dung" in badinh.text
    await badinh.upload("ke-hoach.pdf", b"%PDF-1.4 ke hoach")
    assert "ke-hoach.pdf" in badinh.text
    await badinh.press("Hủy")
    assert "Đã hủy" in badinh.text
    ba_dinh = select(Unit.id).where(Unit.code == "P-BADINH").scalar_subquery()
    assert await _count(session_factory, Submission, Submission.unit_id == ba_dinh) == 0


async def test_secretariat_types_an_unknown_unit(chat: Chat) -> None:
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Xem một đơn vị")
    await noivu.send("Phường Không Có")
    assert "Không tìm thấy đơn vị «Phường Không Có»" in noivu.text
    assert "Phường Ba Đình" in noivu.buttons  # the list is offered again
    await noivu.send("1")
    assert "— các nội dung phải nộp" in noivu.text


async def test_a_redelivered_update_is_processed_once(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    await badinh.send("/nop")
    await badinh.press("Kế hoạch tổ chức")
    await badinh.send("Kế hoạch bằng văn bản")
    confirm = next(b.data for r in badinh.replies for b in r.buttons if "Xác nhận" in b.label)
    press = Incoming(badinh.key, badinh.user, callback_data=confirm, update_id="777")
    before = await _count(session_factory, Submission)
    first = await badinh.core.handle(press)
    assert "Đã lưu" in first[0].text
    assert await badinh.core.handle(press) == []  # delivered twice: skipped, nothing sent
    assert await _count(session_factory, Submission) == before + 1
    refused = Incoming(badinh.key, badinh.user, text="/khongco", update_id="778")
    assert "không có" in (await badinh.core.handle(refused))[0].text.lower()
    assert await badinh.core.handle(refused) == []  # a refusal is not repeated either


async def test_a_main_menu_label_sent_as_text_runs_its_command(chat: Chat) -> None:
    badinh = chat("badinh")
    await badinh.send("/trogiup")
    assert badinh.replies[0].is_menu
    await badinh.send("📤 Nộp báo cáo")  # what a persistent keyboard sends back
    assert "Kế hoạch tổ chức" in " ".join(badinh.buttons)


async def test_unreachable_account_is_reachable_again_when_it_writes(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    async with session_factory.begin() as s:
        marked = await PeopleRepository(s).mark_unreachable("console", "badinh", clock())
    assert marked == 1
    await chat("badinh").send("/trogiup")
    async with session_factory() as s:
        account = await PeopleRepository(s).account("console", "badinh")
    assert account is not None and account.unreachable_at is None


async def test_too_many_units_for_buttons_are_typed(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province has thousands of units: past a few dozen, the unit is asked by name or code."""
    monkeypatch.setattr(overview, "UNIT_BUTTONS", 5)  # the demo has 21 units
    monkeypatch.setattr(export, "UNIT_BUTTONS", 5)
    noivu = chat("noivu")
    await noivu.send("/tinhhinh")
    await noivu.press("Xem một đơn vị")
    assert "Có 21 đơn vị: gõ tên hoặc mã đơn vị cần xem" in noivu.text
    assert "Phường Ba Đình" not in noivu.buttons
    await noivu.send("ba dinh")
    assert "Phường Ba Đình — các nội dung phải nộp" in noivu.text
    await noivu.send("/xuat")
    await noivu.press("Chọn một đơn vị")
    assert "Có 21 đơn vị: gõ tên hoặc mã đơn vị" in noivu.text
    assert len(noivu.buttons) == 1 and "Phường" not in noivu.buttons[0]  # only back
    await noivu.send("bac son")
    assert "Phạm vi: Phường Bắc Sơn" in noivu.text

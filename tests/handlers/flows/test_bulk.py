"""Lists in bulk from Excel through the chat harness (Bỉm Sơn demo, Phường Ba Đình = ``badinh``).

``/decu`` and ``/daibieu`` hand over to the importer; ``/nhapdonvi`` imports the units list.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.io.bulk_sheet import MARKER_SHEET
from storage.models import AuditLog, Conversation, Delegate, Nomination, Unit
from tests.harness import ChatHarness
from tests.samples import pdf_bytes

pytestmark = pytest.mark.usefixtures("demo")

Chat = Callable[..., ChatHarness]
SF = async_sessionmaker[AsyncSession]
SUMMARY = "Hoàn thành xuất sắc nhiệm vụ năm 2019; gương mẫu trong phong trào."


# --------------------------------------------------------------------------- helpers


async def _template(head: ChatHarness, command: str) -> bytes:
    """Open the importer from ``command`` and return the template it sends."""
    await head.send(command)
    await head.press("Nhập từ tệp Excel")
    sent = [r for r in head.replies if r.file is not None]
    assert len(sent) == 1, head.text
    assert sent[0].file is not None
    assert sent[0].file.name.endswith(".xlsx")
    assert sent[0].file_request is not None and sent[0].file_request.accepts == ("xlsx",)
    return sent[0].file.data


def _fill(template: bytes, rows: Sequence[Sequence[Any]], **edits: Any) -> bytes:
    """The template with ``rows`` below the example row (and cells ``edits``: "A1"=…)."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    for number, row in enumerate(rows, start=4):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    for ref, value in edits.items():
        sheet_name, _, cell = ref.rpartition("_")
        (book[MARKER_SHEET] if sheet_name == "marker" else sheet)[cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _person(name: str, year: Any = 1980, award: str = "Lao động tiên tiến") -> list[Any]:
    return [name, "Nam", year, "Trưởng khu phố", None, award, SUMMARY]


def _collective(name: str) -> list[Any]:
    return [None, None, None, None, name, "Tập thể lao động tiên tiến", SUMMARY]


async def _nominations(sf: SF) -> list[tuple[str, str | None, int | None, str]]:
    async with sf() as s:
        unit_id = select(Unit.id).where(Unit.code == "P-BADINH").scalar_subquery()
        rows = await s.execute(
            select(
                Nomination.full_name, Nomination.position, Nomination.birth_year, Nomination.status
            )
            .where(Nomination.unit_id == unit_id)
            .order_by(Nomination.id)
        )
        return [(n, p, y, st.value) for n, p, y, st in rows.all()]


async def _count(sf: SF, model: type[Any]) -> int:
    async with sf() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _state(sf: SF, user: str) -> str:
    async with sf() as s:
        row = await s.get(Conversation, ("console", user))
        return row.state if row is not None else "idle"


# --------------------------------------------------------------------------- nominations


async def test_a_unit_head_sends_twenty_nominations_as_one_excel_file(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    before = await _nominations(session_factory)
    template = await _template(badinh, "/decu")
    assert "Nhập danh sách đề cử" in badinh.text
    rows = [_person(f"Nguyễn Văn {chr(65 + i)}", 1970 + i) for i in range(18)]
    rows += [_collective("Khu phố 5"), _collective("Hội Phụ nữ phường")]
    await badinh.upload("de-cu.xlsx", _fill(template, rows))
    assert "18 cá nhân, 2 tập thể" in badinh.text
    assert await _nominations(session_factory) == before  # nothing before ✅
    await badinh.press("Nhập 20 dòng")
    assert "Đã nhập 20 đề cử" in badinh.text
    added = (await _nominations(session_factory))[len(before) :]
    assert len(added) == 20
    assert added[0] == ("Nguyễn Văn A", "Trưởng khu phố", 1970, "submitted")
    assert added[-1] == ("Hội Phụ nữ phường", None, None, "submitted")
    async with session_factory() as s:
        actions = list(await s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
        import_row = (
            await s.scalars(select(AuditLog).where(AuditLog.action == "nomination.import"))
        ).one()
    assert actions.count("nomination.create") >= 20 and actions[-1] == "nomination.import"
    assert import_row.detail["count"] == 20
    await badinh.send("/danhsach")  # ordinary nominations: listed, editable
    assert "Hội Phụ nữ phường" in badinh.text


async def test_a_file_with_problems_lists_each_and_imports_nothing(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    before = await _nominations(session_factory)
    template = await _template(badinh, "/decu")
    rows = [
        _person("Lê Văn C"),
        _person("Lê Văn D", 2019),
        _person("Lê Văn E", award="Huân chương"),
        [None, None, None, None, None, "Lao động tiên tiến", "ngắn"],
    ]
    await badinh.upload("de-cu.xlsx", _fill(template, rows, C4="=1980+1", G9="=A4"))
    text = badinh.text
    assert "chưa nhập dòng nào" in text
    assert "Dòng 5, cột Năm sinh: Năm sinh không hợp lệ" in text
    assert "Dòng 6, cột Hình thức khen thưởng: «Huân chương» không có trong danh sách" in text
    assert "Dòng 7, cột Đơn vị công tác: chưa điền" in text
    assert "Dòng 7, cột Tóm tắt thành tích: Nội dung quá ngắn" in text
    assert "Dòng 4, cột Năm sinh: ô có công thức" in text
    assert "Dòng 9, cột Tóm tắt thành tích: ô có công thức" in text
    assert await _nominations(session_factory) == before
    assert await _state(session_factory, "badinh") == "nhap.file"
    await badinh.upload("de-cu.xlsx", _fill(template, rows[:1]))  # corrected: sent again
    assert "1 cá nhân, 0 tập thể" in badinh.text
    await badinh.upload("de-cu.xlsx", _fill(template, [*rows[:1], _collective("Khu phố 5")]))
    assert "1 cá nhân, 1 tập thể" in badinh.text  # another file at the preview starts over
    await badinh.upload("de-cu.xlsx", _fill(template, rows[1:2]))
    assert "Dòng 4, cột Năm sinh" in badinh.text
    assert await _state(session_factory, "badinh") == "nhap.file"  # not the old preview
    await badinh.upload("de-cu.xlsx", _fill(template, rows[:1]))
    await badinh.press("Hủy")
    assert "không nhập gì" in badinh.text
    assert await _nominations(session_factory) == before


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("ke-hoach.pdf", pdf_bytes(), "không phải tệp Excel"),
        ("ds.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "đời cũ (.xls)"),
        (
            "ds.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 600
            + "EncryptedPackage".encode("utf-16-le"),
            "đặt mật khẩu",
        ),
        ("ds.exe", b"MZ\x90\x00", "tệp thực thi"),
    ],
)
async def test_a_file_that_cannot_be_read_is_refused_with_its_reason(
    chat: Chat, session_factory: SF, name: str, data: bytes, expected: str
) -> None:
    badinh = chat("badinh")
    before = await _nominations(session_factory)
    await _template(badinh, "/decu")
    await badinh.upload(name, data)
    assert expected in badinh.text
    assert "Gửi tệp Excel (.xlsx)" in badinh.text  # asked again, the template not resent
    assert all(r.file is None for r in badinh.replies)
    assert await _nominations(session_factory) == before
    assert await _state(session_factory, "badinh") == "nhap.file"


async def test_another_campaigns_or_the_delegates_template_is_refused(chat: Chat) -> None:
    badinh = chat("badinh")
    template = await _template(badinh, "/decu")
    await badinh.upload("ds.xlsx", _fill(template, [_person("Lê Văn C")], marker_A3="KH-KHAC"))
    assert "kế hoạch khác (mã KH-KHAC)" in badinh.text
    await badinh.upload("ds.xlsx", _fill(template, [_person("Lê Văn C")], marker_A2="delegates"))
    assert "tệp mẫu của danh sách đại biểu" in badinh.text


async def test_duplicates_are_shown_and_the_unit_head_decides(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    template = await _template(badinh, "/decu")
    await badinh.upload("a.xlsx", _fill(template, [_person("Lê Văn C")]))
    await badinh.press("Nhập")
    before = await _nominations(session_factory)
    template = await _template(badinh, "/decu")
    rows = [_person("LÊ VĂN C"), _person("Trần Văn F"), _person("Trần  Văn F"), _person("Võ G")]
    await badinh.upload("b.xlsx", _fill(template, rows))
    assert "Dòng 4: LÊ VĂN C (1980) — đã có trong danh sách của đơn vị" in badinh.text
    assert "Dòng 6: Trần Văn F (1980) — trùng với dòng 5 trong tệp" in badinh.text
    await badinh.press("Bỏ qua 2 dòng trùng")
    assert "2 cá nhân, 0 tập thể" in badinh.text
    await badinh.press("Nhập")
    added = (await _nominations(session_factory))[len(before) :]
    assert [n for n, *_ in added] == ["Trần Văn F", "Võ G"]
    template = await _template(badinh, "/decu")  # keeping them is the unit head's call
    await badinh.upload("c.xlsx", _fill(template, [_person("Võ G")]))
    await badinh.press("Vẫn nhập tất cả")
    await badinh.press("Nhập")
    assert [n for n, *_ in await _nominations(session_factory)].count("Võ G") == 2


async def test_only_a_unit_head_imports(chat: Chat, session_factory: SF) -> None:
    noivu = chat("noivu")
    await noivu.send("/decu")
    assert "chỉ dành cho lãnh đạo đơn vị" in noivu.text
    assert "Nhập từ tệp Excel" not in noivu.buttons


# --------------------------------------------------------------------------- delegates


def _delegate(name: str, category: str = "Điển hình") -> list[Any]:
    return [name, "Nữ", 1985, "Kinh", "Cán bộ khu phố", category, "Không"]


async def test_delegates_are_imported_within_the_quota(chat: Chat, session_factory: SF) -> None:
    badinh = chat("badinh")
    template = await _template(badinh, "/daibieu")
    assert "Nhập danh sách đại biểu" in badinh.text
    over = [_delegate(f"Đại biểu {i}") for i in range(16)]  # Ba Đình's quota is 15
    await badinh.upload("db.xlsx", _fill(template, over))
    assert "Dòng 19:" in badinh.text and "Chưa nhập dòng nào trong 16 dòng" in badinh.text
    assert await _count(session_factory, Delegate) == 0
    rows = [_delegate("Trần Thị B"), _delegate("Lò Văn E", "Khách mời")]
    await badinh.upload("db.xlsx", _fill(template, rows))
    assert "2 đại biểu" in badinh.text
    await badinh.press("Nhập")
    assert "Đã nhập 2 đại biểu" in badinh.text
    async with session_factory() as s:
        found = (await s.execute(select(Delegate.full_name, Delegate.category))).all()
    assert sorted((n, c.value) for n, c in found) == [
        ("Lò Văn E", "khach_moi"),
        ("Trần Thị B", "dien_hinh"),
    ]
    await badinh.send("/daibieu")
    assert "2/15 đại biểu" in badinh.text


# --------------------------------------------------------------------------- units


def _units_file() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["UBND THỊ XÃ BỈM SƠN"])
    sheet.append(["DANH SÁCH ĐƠN VỊ"])
    sheet.append(["STT", "Mã", "Tên đơn vị", "Loại"])
    sheet.append([1, "P-MOI", "Phường Mới", "Phường"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_secretariat_imports_the_units_list_in_the_chat(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    await badinh.send("/nhapdonvi")
    assert "chỉ dành cho Thường trực" in badinh.text
    noivu = chat("noivu")
    await noivu.send("/nhapdonvi")
    assert noivu.replies[0].file_request is not None
    before = await _count(session_factory, Unit)
    await noivu.upload("don-vi.xlsx", _units_file())
    assert "1 đơn vị" in noivu.text and "Phường Mới" in noivu.text
    assert await _count(session_factory, Unit) == before
    await noivu.press("Nhập")
    assert "1 mới" in noivu.text
    assert await _count(session_factory, Unit) == before + 1
    async with session_factory() as s:
        audit = (await s.scalars(select(AuditLog).where(AuditLog.action == "units.import"))).one()
    assert audit.detail["created"] == 1


async def test_a_units_file_with_wrong_rows_imports_nothing(
    chat: Chat, session_factory: SF
) -> None:
    noivu = chat("noivu")
    await noivu.send("/nhapdonvi")
    before = await _count(session_factory, Unit)
    await noivu.upload("don-vi.csv", "Mã;Tên;Loại\nP-X;Phường X;Hành tinh\n".encode())
    assert "Dòng 2:" in noivu.text and "chưa nhập đơn vị nào" in noivu.text
    assert await _count(session_factory, Unit) == before


# --------------------------------------------------------------------------- export


async def test_a_list_goes_back_to_the_same_template_and_reads_as_duplicates(
    chat: Chat, session_factory: SF
) -> None:
    badinh = chat("badinh")
    template = await _template(badinh, "/decu")
    await badinh.upload("a.xlsx", _fill(template, [_person("Lê Văn C"), _collective("Khu phố 5")]))
    await badinh.press("Nhập")
    template = await _template(badinh, "/daibieu")
    await badinh.upload("db.xlsx", _fill(template, [_delegate("Trần Thị B")]))
    await badinh.press("Nhập")
    noivu = chat("noivu")
    await noivu.send("/xuatmau")
    assert "/xuatmau MÃ-ĐƠN-VỊ" in noivu.text
    await noivu.send("/xuatmau P-BADINH")
    files = [r.file for r in noivu.replies if r.file is not None]
    assert [f.name.split("-p-badinh")[0] for f in files] == ["de-cu", "dai-bieu"]
    sheet = load_workbook(io.BytesIO(files[1].data)).worksheets[0]
    assert [c.value for c in sheet[4]] == [
        "Trần Thị B", "Nữ", 1985, "Kinh", "Cán bộ khu phố", "Điển hình", "Không"
    ]  # fmt: skip
    exported = files[0].data
    names = {r[0] or r[4] for r in load_workbook(io.BytesIO(exported)).worksheets[0].iter_rows(
        min_row=4, values_only=True)}  # fmt: skip
    assert names == {"Lê Văn C", "Khu phố 5"}
    await _template(badinh, "/decu")  # the unit head sends the exported file back
    await badinh.upload("lai.xlsx", exported)
    assert "Dòng 4: Lê Văn C (1980) — đã có trong danh sách" in badinh.text
    assert "Dòng 5: Khu phố 5 — đã có trong danh sách" in badinh.text
    await badinh.press("Bỏ qua")
    assert "không còn dòng nào" in badinh.text
    await badinh.send("/xuatmau P-KHAC")
    assert "chỉ được xem" in badinh.text

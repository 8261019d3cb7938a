"""Exports (XLSX, DOCX): content and layout read back with openpyxl and python-docx.

The clock of this module is 20/04/2020 09:00, after the nominations deadline, so the demo holds
every record (plans, conferences, nominations, dossiers).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.enum.section import WD_ORIENT
from docx.shared import Mm, Pt
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import parse_now
from handlers.flows.export import PickKind
from handlers.io.exports.nd30 import place_of
from handlers.kernel.texts import Texts
from handlers.queries.export_data import ExportFormat, ExportKind, Scope
from handlers.services.exports import FORMATS, build_export, file_name
from storage.models import (
    AuditLog,
    Delegate,
    DelegateCategory,
    Nomination,
    NominationStatus,
    Requirement,
    SubjectKind,
    Unit,
)
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.units import UnitRepository
from tests.cli import Tdkt
from tests.harness import TZ, ChatHarness, Clock

pytestmark = pytest.mark.usefixtures("demo")

SF = async_sessionmaker[AsyncSession]
Chat = Callable[..., ChatHarness]
CODE = "BIMSON-DHTT-2019"
NOW = "2020-04-20T09:00"
NOMINATION_HEADERS = [
    "STT",
    "Họ và tên",
    "Năm sinh",
    "Giới tính",
    "Chức vụ",
    "Đơn vị",
    "Hình thức đề nghị",
    "Tóm tắt thành tích",
    "Ghi chú",
]
TRICKY = 'Nguyễn <b>&amp; "Hòa"'


@pytest.fixture
def clock() -> Clock:
    """20/04/2020 09:00: every demo record is loaded."""
    return Clock(parse_now(NOW, TZ))


async def _export(
    sf: SF, clock: Clock, kind: ExportKind, fmt: ExportFormat, unit: str | None = None
) -> tuple[str, bytes]:
    async with sf() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        scoped = await UnitRepository(s).get_by_code(unit) if unit else None
        file = await build_export(s, Texts(), kind, fmt, Scope(campaign, scoped, clock()))
    return file.name, file.data


def _sheet(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data)).active


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(min_row=5, values_only=True))


async def _nomination(sf: SF, name: str) -> Nomination:
    async with sf() as s:
        return (await s.scalars(select(Nomination).where(Nomination.full_name == name))).one()


async def _set_status(
    sf: SF, name: str, status: NominationStatus, reason: str | None = None
) -> None:
    async with sf.begin() as s:
        nomination = (
            await s.scalars(select(Nomination).where(Nomination.full_name == name))
        ).one()
        nomination.status = status
        nomination.return_reason = reason


async def _add_tricky_nomination(sf: SF, clock: Clock, unit_code: str = "P-BADINH") -> None:
    """A nomination whose name looks like HTML and whose summary looks like a formula."""
    template = await _nomination(sf, "Phạm Văn Thắng")
    async with sf.begin() as s:
        unit = await UnitRepository(s).get_by_code(unit_code)
        assert unit is not None
        s.add(
            Nomination(
                campaign_id=template.campaign_id,
                requirement_id=template.requirement_id,
                unit_id=unit.id,
                subject=SubjectKind.INDIVIDUAL,
                full_name=TRICKY,
                gender="nam",
                birth_year=1990,
                position="Tổ trưởng <i>tổ dân phố</i>",
                award_code="GK_CN",
                award_name="Giấy khen của Chủ tịch UBND thị xã",
                summary="=SUM(A1:A9) & 100% hộ gia đình văn hóa",
                status=NominationStatus.SUBMITTED,
                created_at=clock(),
                updated_at=clock(),
            )
        )


async def _add_delegates(sf: SF) -> None:
    async with sf.begin() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        units = await UnitRepository(s).by_codes(["P-BACSON", "DN-XIMANG"])
        assert campaign is not None
        people = [
            (
                "P-BACSON",
                "Phạm Văn Thắng",
                "nam",
                1972,
                DelegateCategory.EXEMPLARY,
                True,
                "active",
            ),
            (
                "P-BACSON",
                "Hoàng Thị Ngọc Anh",
                "nu",
                1990,
                DelegateCategory.GUEST,
                False,
                "active",
            ),
            ("P-BACSON", "Người Đã Rút", "nam", 1980, DelegateCategory.GUEST, False, "withdrawn"),
            ("DN-XIMANG", "Lê Văn Tuấn", "nam", 1975, DelegateCategory.EXEMPLARY, False, "active"),
        ]
        for unit, name, gender, year, category, presidium, status in people:
            s.add(
                Delegate(
                    campaign_id=campaign.id,
                    unit_id=units[unit].id,
                    full_name=name,
                    position="Cán bộ",
                    category=category,
                    gender=gender,
                    ethnicity="Mường" if name == "Lê Văn Tuấn" else "Kinh",
                    birth_year=year,
                    in_presidium=presidium,
                    status=status,
                )
            )


# -- XLSX ----------------------------------------------------------------------------------------
async def test_nominations_xlsx_content_and_layout(session_factory: SF, clock: Clock) -> None:
    await _add_tricky_nomination(session_factory, clock)
    await _set_status(session_factory, "Nguyễn Văn Bình", NominationStatus.WITHDRAWN)
    await _set_status(
        session_factory, "Đỗ Văn Hùng", NominationStatus.RETURNED, "Thiếu xác nhận của khu phố"
    )
    name, data = await _export(
        session_factory, clock, ExportKind.NOMINATIONS_ALL, ExportFormat.XLSX
    )
    assert name == "danh-sach-de-cu-kem-trang-thai-BIMSON-DHTT-2019.xlsx" and name.isascii()
    ws = _sheet(data)
    assert "DANH SÁCH TRÍCH NGANG" in ws["A1"].value and ws["A1"].font.b
    assert ws["A2"].value.startswith("Kế hoạch tổ chức Hội nghị điển hình tiên tiến")
    assert ws["A3"].value == "Tính đến 20/04/2020 09:00"
    assert [c.value for c in ws[4]] == NOMINATION_HEADERS
    assert all(c.font.b for c in ws[4])
    assert ws.freeze_panes == "A5"
    widths = {  # a run of columns of the same width may be stored as one range
        get_column_letter(i): d.width
        for d in ws.column_dimensions.values()
        for i in range(d.min, d.max + 1)
    }
    assert set(widths) >= set("ABCDEFGHI") and widths["H"] > widths["A"] > 0
    assert ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    # fitToWidth 1 is the default, which a file need not write.
    assert int(ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage

    rows = _rows(ws)
    sections = [r[0] for r in rows if isinstance(r[0], str)]
    assert sections[:2] == ["I. Cá nhân", "II. Tập thể"]
    split = next(i for i, r in enumerate(rows) if r[0] == "II. Tập thể")
    individuals = [r for r in rows[1:split] if isinstance(r[0], int)]
    collectives = [r for r in rows[split + 1 :] if isinstance(r[0], int)]
    assert [r[0] for r in individuals] == list(range(1, len(individuals) + 1))
    assert [r[0] for r in collectives] == list(range(1, len(collectives) + 1))
    # 28 demo nominations + 1 added − 1 withdrawn; the returned one stays, with a note.
    assert len(individuals) + len(collectives) == 28
    assert len(collectives) == 8 and all(r[2] is None and r[3] is None for r in collectives)
    names = {r[1] for r in individuals + collectives}
    assert "Nguyễn Văn Bình" not in names
    returned = next(r for r in individuals if r[1] == "Đỗ Văn Hùng")
    assert returned[8] == "Bị trả lại để bổ sung: Thiếu xác nhận của khu phố"
    assert {r[8] for r in individuals + collectives} == {
        "Bị trả lại để bổ sung: Thiếu xác nhận của khu phố",
        "Chờ duyệt",
        "Đã tiếp nhận",
    }
    tricky = next(r for r in individuals if r[1] == TRICKY)
    assert tricky[2:7] == (
        1990,
        "Nam",
        "Tổ trưởng <i>tổ dân phố</i>",
        "Phường Ba Đình",
        "Giấy khen của Chủ tịch UBND thị xã",
    )
    assert tricky[7] == "=SUM(A1:A9) & 100% hộ gia đình văn hóa"
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    summary = next(c for c in ws["H"] if c.value == tricky[7])
    assert summary.alignment.wrap_text
    note = [r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("Tổng số")]
    assert note == [
        "Tổng số: 20 cá nhân, 8 tập thể (trong đó 1 đề cử bị trả lại, chờ đơn vị bổ sung)."
    ]


async def test_unit_scope_holds_only_that_unit(session_factory: SF, clock: Clock) -> None:
    name, data = await _export(
        session_factory, clock, ExportKind.NOMINATIONS, ExportFormat.XLSX, unit="P-BACSON"
    )
    assert name == "danh-sach-trich-ngang-BIMSON-DHTT-2019-P-BACSON.xlsx"
    ws = _sheet(data)
    assert ws["A2"].value.endswith("— Phường Bắc Sơn")
    people = [r for r in _rows(ws) if isinstance(r[0], int)]
    assert len(people) == 6 and {r[5] for r in people} == {"Phường Bắc Sơn"}

    _, data = await _export(
        session_factory, clock, ExportKind.PROGRESS, ExportFormat.XLSX, unit="P-BACSON"
    )
    units = [r[1] for r in _rows(_sheet(data)) if isinstance(r[0], int)]
    assert units == ["Phường Bắc Sơn"]


async def test_progress_xlsx_marks(session_factory: SF, clock: Clock) -> None:
    _, data = await _export(session_factory, clock, ExportKind.PROGRESS, ExportFormat.XLSX)
    ws = _sheet(data)
    headers = [c.value for c in ws[4]]
    assert headers[:2] == ["STT", "Đơn vị"]
    assert (
        headers[2] == "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị (hạn 15/11/2019)"
    )
    # The two events (HNDIEM, HOINGHI) are milestones: no column of theirs.
    assert len(headers) == 5 and ws.freeze_panes == "C5" and ws.print_title_rows == "$4:$4"
    rows = _rows(ws)
    by_unit = {r[1]: r for r in rows if isinstance(r[0], int)}
    assert len(by_unit) == 21 and [r[0] for r in rows if isinstance(r[0], int)] == list(
        range(1, 22)
    )
    assert "Khối xã, phường" in [r[0] for r in rows if isinstance(r[0], str)]
    assert by_unit["Phường Ba Đình"][2] == "Chưa nộp (quá hạn)"
    assert by_unit["Công ty CP Môi trường và Công trình đô thị Bỉm Sơn"][2] == (
        "Đã nộp 21/10/2019 (đã tiếp nhận)"
    )
    assert by_unit["Xã Hà Lan"][2] == "Đã nộp 22/11/2019 (muộn 7 ngày)"
    assert by_unit["Liên đoàn Lao động thị xã"][2].startswith("Bị trả lại: Kế hoạch chưa nêu")
    assert by_unit["Phường Bắc Sơn"][4] == "Nộp thiếu 2/5 phần (quá hạn)"
    assert by_unit["Phường Bắc Sơn"][3] == "Đã nộp 08/11/2019, 6 đề cử"
    totals = rows[-1]
    assert totals[1:] == ("Số đơn vị đã nộp", "17/21", "5/21", "1/21")
    late = ws.cell(row=5 + rows.index(by_unit["Xã Hà Lan"]), column=3)
    assert late.fill.fgColor.rgb.endswith("FFF2CC")


async def test_delegates_xlsx_grouped_by_unit(session_factory: SF, clock: Clock) -> None:
    await _add_delegates(session_factory)
    name, data = await _export(session_factory, clock, ExportKind.DELEGATES, ExportFormat.XLSX)
    assert name == "danh-sach-dai-bieu-BIMSON-DHTT-2019.xlsx"
    ws = _sheet(data)
    assert [c.value for c in ws[4]] == [
        "STT",
        "Họ và tên",
        "Năm sinh",
        "Giới tính",
        "Dân tộc",
        "Chức vụ",
        "Đơn vị",
        "Thành phần",
        "Đoàn chủ tịch",
    ]
    rows = _rows(ws)
    # Units in the usual order: by block (Khối doanh nghiệp, Khối xã, phường…), then by name.
    assert [r[:2] for r in rows[:5]] == [
        ("Công ty CP Xi măng Bỉm Sơn (1 đại biểu)", None),
        (1, "Lê Văn Tuấn"),
        ("Phường Bắc Sơn (2 đại biểu)", None),
        (2, "Phạm Văn Thắng"),
        (3, "Hoàng Thị Ngọc Anh"),
    ]
    assert rows[3][2:] == (1972, "Nam", "Kinh", "Cán bộ", "Phường Bắc Sơn", "Điển hình", "x")
    assert rows[4][3] == "Nữ" and rows[4][7] == "Khách mời" and rows[4][8] is None
    assert rows[1][4] == "Mường"
    assert "Người Đã Rút" not in {r[1] for r in rows}
    assert rows[-1][0] == (
        "Tổng số: 3 đại biểu của 2 đơn vị (2 điển hình, 1 khách mời); "
        "1 đại biểu trong Đoàn chủ tịch."
    )


async def test_report_xlsx_has_two_sheets(session_factory: SF, clock: Clock) -> None:
    _, data = await _export(session_factory, clock, ExportKind.REPORT, ExportFormat.XLSX)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Tổng hợp", "Đề cử theo hình thức"]
    first = _rows(wb["Tổng hợp"])
    assert first[0][1:7] == (
        "Kế hoạch tổ chức Hội nghị điển hình tiên tiến của đơn vị",
        "15/11/2019",
        21,
        17,
        2,
        4,
    )
    assert first[0][7] == "Hội Cựu chiến binh thị xã (19/11/2019), Xã Hà Lan (22/11/2019)"
    forms = _rows(wb["Đề cử theo hình thức"])
    assert forms[-3][1:] == ("Tổng cộng", None, 28)
    assert forms[-1][0] == "5 đơn vị đã gửi đề cử."


# -- DOCX ----------------------------------------------------------------------------------------
def _close(actual: int, expected: int) -> bool:
    return abs(actual - expected) <= Mm(0.1)


def _check_page(document: Any, *, landscape: bool) -> None:
    section = document.sections[0]
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    assert _close(section.page_width, width) and _close(section.page_height, height)
    assert section.orientation == (WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT)
    assert _close(section.top_margin, Mm(20)) and _close(section.bottom_margin, Mm(20))
    assert _close(section.left_margin, Mm(30)) and _close(section.right_margin, Mm(15))
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    fonts = normal.element.rPr.rFonts
    assert {fonts.get(f"{{{fonts.nsmap['w']}}}{a}") for a in ("ascii", "hAnsi", "cs")} == {
        "Times New Roman"
    }
    assert document.styles["TDKT Table"].font.size == Pt(13)
    assert section.different_first_page_header_footer
    header_xml = section.header._element.xml
    assert 'w:fldCharType="begin"' in header_xml and "PAGE" in header_xml
    assert "PAGE" not in section.first_page_header._element.xml


def _letterhead(document: Any) -> list[str]:
    return [p.text for row in document.tables[0].rows for c in row.cells for p in c.paragraphs]


def _body(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs]


async def test_report_docx_layout_and_figures(session_factory: SF, clock: Clock) -> None:
    name, data = await _export(session_factory, clock, ExportKind.REPORT, ExportFormat.DOCX)
    assert name == "bao-cao-tong-hop-BIMSON-DHTT-2019.docx"
    document = docx.Document(io.BytesIO(data))
    _check_page(document, landscape=False)
    head = _letterhead(document)
    assert "UBND THỊ XÃ BỈM SƠN" in head
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head
    assert "Độc lập - Tự do - Hạnh phúc" in head
    assert "Số:        /BC-UBND" in head
    assert "Bỉm Sơn, ngày 20 tháng 4 năm 2020" in head
    nation = next(
        r
        for row in document.tables[0].rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
        if r.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    )
    assert nation.bold and nation.font.size == Pt(12)
    body = _body(document)
    assert body[0] == "BÁO CÁO"
    assert body[1].startswith("Tổng hợp tình hình thực hiện Kế hoạch tổ chức Hội nghị")
    assert document.paragraphs[0].runs[0].bold
    text = "\n".join(body)
    assert "I. TÌNH HÌNH NỘP KẾ HOẠCH, BÁO CÁO, HỒ SƠ CỦA CÁC ĐƠN VỊ" in text
    assert (
        "đã nộp 17/21 đơn vị (15 đúng hạn, 2 nộp muộn: Hội Cựu chiến binh thị xã (19/11/2019)"
        in text
    )
    assert "Đã nhận 28 đề cử (20 cá nhân, 8 tập thể) của 5 đơn vị" in text
    assert "- Tính chung các nội dung đã đến hạn, các đơn vị đã nộp 23/63 lượt, đạt 37%" in text
    assert "Có 3 đơn vị nộp muộn ít nhất một nội dung" in text  # the events are not sent
    assert text.rstrip().endswith("tính đến 20/04/2020 09:00./.")
    progress = document.tables[1]
    assert [c.text for c in progress.rows[0].cells] == [
        "STT",
        "Nội dung",
        "Hạn nộp",
        "Đã nộp / Tổng số",
        "Nộp muộn",
        "Chưa nộp",
    ]
    assert len(progress.rows) == 4  # the two events are milestones, not rows
    assert [c.text for c in progress.rows[1].cells][2:] == ["15/11/2019", "17/21", "2", "4"]
    forms = document.tables[2]
    assert [c.text for c in forms.rows[-1].cells][1:] == ["Tổng cộng", "", "28"]
    closing = [p.text for c in document.tables[3].rows[0].cells for p in c.paragraphs]
    assert "Nơi nhận:" in closing and "- Lưu: VT." in closing
    assert "THỦ TRƯỞNG CƠ QUAN" in closing


async def test_nominations_docx_table(session_factory: SF, clock: Clock) -> None:
    await _add_tricky_nomination(session_factory, clock)
    _, data = await _export(session_factory, clock, ExportKind.NOMINATIONS_ALL, ExportFormat.DOCX)
    document = docx.Document(io.BytesIO(data))
    _check_page(document, landscape=True)
    assert _body(document)[:2] == [
        "DANH SÁCH TRÍCH NGANG",
        "Cá nhân, tập thể điển hình tiên tiến đề nghị khen thưởng",
    ]
    assert "Số:" not in " ".join(_letterhead(document))  # a list carries no number
    table = document.tables[1]
    header = table.rows[0]
    assert [c.text for c in header.cells] == NOMINATION_HEADERS
    assert 'w:tblHeader w:val="true"' in header._tr.xml  # repeated on every page
    first = [c.text for c in table.rows[1].cells]
    assert first == ["I. Cá nhân"] * 9  # one merged cell
    texts = [[c.text for c in row.cells] for row in table.rows[2:]]
    split = next(i for i, r in enumerate(texts) if r[0] == "II. Tập thể")
    assert [r[0] for r in texts[:split]] == [str(i) for i in range(1, split + 1)]
    assert [r[0] for r in texts[split + 1 :]] == [str(i) for i in range(1, 9)]
    tricky = next(r for r in texts if r[1] == TRICKY)
    assert tricky[7] == "=SUM(A1:A9) & 100% hộ gia đình văn hóa"
    cell = table.rows[2].cells[1].paragraphs[0]
    assert cell.style.name == "TDKT Table"


async def test_unit_docx_letterhead(session_factory: SF, clock: Clock) -> None:
    _, data = await _export(
        session_factory, clock, ExportKind.REPORT, ExportFormat.DOCX, unit="P-BACSON"
    )
    document = docx.Document(io.BytesIO(data))
    head = _letterhead(document)
    assert "UBND THỊ XÃ BỈM SƠN" in head and "PHƯỜNG BẮC SƠN" in head
    assert "Số:        /BC" in head
    text = "\n".join(_body(document))
    assert "Phường Bắc Sơn tổng hợp tình hình thực hiện" in text
    assert "Phường Ba Đình" not in text


def test_place_of_issuer() -> None:
    assert place_of({}, "UBND thị xã Bỉm Sơn") == "Bỉm Sơn"
    assert place_of({}, "Ủy ban nhân dân tỉnh Thanh Hóa") == "Thanh Hóa"
    assert place_of({"export": {"place": "Thanh Hóa"}}, "UBND thị xã Bỉm Sơn") == "Thanh Hóa"
    assert place_of({}, None) == ""


async def test_every_kind_in_every_format(session_factory: SF, clock: Clock) -> None:
    for kind in ExportKind:
        if kind is ExportKind.FILES:
            continue  # a ZIP of stored files: tests/handlers/io/test_archive.py
        for fmt in FORMATS[kind]:
            name, data = await _export(session_factory, clock, kind, fmt)
            assert name.endswith(f".{fmt.value}") and name.isascii()
            if fmt is ExportFormat.XLSX:
                assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames
            else:
                assert docx.Document(io.BytesIO(data)).tables
        if kind.secretariat_only:
            with pytest.raises(ValueError, match="whole campaign"):
                await _export(session_factory, clock, kind, FORMATS[kind][0], "P-BACSON")
    async with session_factory() as s:
        campaign = await CampaignRepository(s).get_by_code(CODE)
        assert campaign is not None
        scope = Scope(campaign, None, clock())
    assert file_name(ExportKind.PROGRESS, ExportFormat.XLSX, scope) == (
        "tinh-hinh-nop-BIMSON-DHTT-2019.xlsx"
    )


# -- /xuat in the chat ---------------------------------------------------------------------------
async def test_xuat_unit_head_gets_only_their_unit(
    chat: Chat, session_factory: SF, clock: Clock
) -> None:
    await _add_tricky_nomination(session_factory, clock, "P-BADINH")
    badinh = chat("badinh")
    await badinh.send("/xuat")
    assert "Phạm vi: tất cả đơn vị" not in badinh.text and "Phường Ba Đình" in badinh.text
    assert "🏢 Chọn một đơn vị…" not in badinh.buttons
    await badinh.press("Danh sách trích ngang")
    assert badinh.buttons == ["📗 Excel (.xlsx)", "📘 Word (.docx)", "↩️ Quay lại"]
    await badinh.press("Excel")
    building, reply = badinh.replies
    assert "Đang tạo tệp…" in building.text and building.file is None
    assert reply.file is not None
    assert reply.file.name == "danh-sach-trich-ngang-BIMSON-DHTT-2019-P-BADINH.xlsx"
    assert reply.file.mime_type.endswith("spreadsheetml.sheet")
    assert "Danh sách trích ngang đề cử" in badinh.text
    people = [r for r in _rows(_sheet(reply.file.data)) if isinstance(r[0], int)]
    assert [(r[1], r[5]) for r in people] == [(TRICKY, "Phường Ba Đình")]

    await badinh.send("/xuat P-BACSON")
    assert "chỉ được xem và thao tác trên hồ sơ của đơn vị mình" in badinh.text
    await badinh.send("/export Ba Đình")  # the English alias, their own unit by name
    await badinh.press("Báo cáo tổng hợp")
    await badinh.press("Word")
    building, reply = badinh.replies
    assert "Đang tạo tệp…" in building.text and building.file is None
    assert reply.file is not None and reply.file.name.endswith("-P-BADINH.docx")
    document = docx.Document(io.BytesIO(reply.file.data))
    assert "PHƯỜNG BA ĐÌNH" in _letterhead(document)
    async with session_factory() as s:
        audit = list(await s.scalars(select(AuditLog).where(AuditLog.action == "export")))
    assert [(a.detail["kind"], a.detail["unit"]) for a in audit] == [
        ("nominations", "P-BADINH"),
        ("report", "P-BADINH"),
    ]


async def test_xuat_secretariat_picks_a_unit(chat: Chat, session_factory: SF) -> None:
    await _add_delegates(session_factory)
    noivu = chat("noivu")
    await noivu.send("/xuat")
    assert "Phạm vi: tất cả đơn vị" in noivu.text
    await noivu.press("Chọn một đơn vị")
    await noivu.send("bac son")  # typed, not pressed
    assert "Phạm vi: Phường Bắc Sơn" in noivu.text
    await noivu.press("Danh sách đại biểu")
    await noivu.press("Quay lại")
    assert "🌐 Tất cả đơn vị" in noivu.buttons
    await noivu.press("Danh sách đại biểu")
    await noivu.press("Word")
    building, reply = noivu.replies
    assert "Đang tạo tệp…" in building.text and building.file is None
    assert reply.file is not None
    assert reply.file.name == "danh-sach-dai-bieu-BIMSON-DHTT-2019-P-BACSON.docx"
    document = docx.Document(io.BytesIO(reply.file.data))
    rows = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert rows[1][0] == "Phường Bắc Sơn (2 đại biểu)"
    assert [r[1] for r in rows[2:]] == ["Phạm Văn Thắng", "Hoàng Thị Ngọc Anh"]

    await noivu.send("/xuat")
    await noivu.press("Tình hình nộp")
    await noivu.press("Excel")
    building, reply = noivu.replies
    assert "Đang tạo tệp…" in building.text and building.file is None
    assert reply.file is not None and reply.file.name == "tinh-hinh-nop-BIMSON-DHTT-2019.xlsx"
    assert len([r for r in _rows(_sheet(reply.file.data)) if isinstance(r[0], int)]) == 21
    await noivu.send("/xuat Không Có Đơn Vị Này")
    assert "Không tìm thấy đơn vị" in noivu.text


# -- the CLI -------------------------------------------------------------------------------------
def test_cli_export(tmp_path: Path) -> None:
    tdkt = Tdkt(tmp_path)
    tdkt("init", "--demo", "--now", NOW)
    out = tdkt("export", "nominations", "--format", "xlsx", "-o", "out.xlsx", "--now", NOW)
    assert "danh-sach-trich-ngang-BIMSON-DHTT-2019.xlsx" in out.stdout
    ws = _sheet((tmp_path / "out.xlsx").read_bytes())
    assert [c.value for c in ws[4]] == NOMINATION_HEADERS
    accepted = [r for r in _rows(ws) if isinstance(r[0], int)]
    assert len(accepted) == 8 and {r[8] for r in accepted} == {None}  # what goes up the chain
    tdkt("export", "nominations_all", "-o", "all.xlsx", "--now", NOW)
    every = _rows(_sheet((tmp_path / "all.xlsx").read_bytes()))
    assert len([r for r in every if isinstance(r[0], int)]) == 28
    bad = tdkt("export", "proposal", "-o", "t.docx", "--unit", "P-BACSON", ok=False)
    assert bad.returncode == 2 and "toàn kế hoạch" in bad.stderr

    tdkt("export", "report", "-o", "bc.docx", "--unit", "P-BACSON", "--campaign", CODE)
    document = docx.Document(str(tmp_path / "bc.docx"))
    assert "PHƯỜNG BẮC SƠN" in _letterhead(document)
    bad = tdkt("export", "progress", "-o", "x.xlsx", "--unit", "Không Có", ok=False)
    assert bad.returncode == 1 and "Không tìm thấy đơn vị" in bad.stderr
    bad = tdkt("export", "progress", "-o", "x.xlsx", "--campaign", "KHONG-CO", ok=False)
    assert bad.returncode == 1 and "Không có kế hoạch mã «KHONG-CO»" in bad.stderr
    assert not (tmp_path / "x.xlsx").exists()


# -- printing ------------------------------------------------------------------------------------
async def test_report_docx_prints(session_factory: SF, clock: Clock, tmp_path: Path) -> None:
    # `make test` installs LibreOffice and poppler (Debian packages) when they are missing.
    assert shutil.which("soffice") and shutil.which("pdftotext"), "run `make system-deps`"
    _, data = await _export(session_factory, clock, ExportKind.REPORT, ExportFormat.DOCX)
    source = tmp_path / "bc.docx"
    source.write_bytes(data)
    await asyncio.to_thread(
        subprocess.run,
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    pdf = await asyncio.to_thread(
        subprocess.run,
        ["pdftotext", "-layout", str(tmp_path / "bc.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    pages = pdf.stdout.split("\f")
    assert len([p for p in pages if p.strip()]) >= 2
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0]
    assert pages[0].strip().startswith("UBND")  # no page number on page 1
    assert pages[1].strip().split()[0] == "2"  # the PAGE field, centred in the header


# -- values stored with characters a document cannot carry --------------------------------------
async def test_stored_control_characters_never_break_an_export(
    session_factory: SF, clock: Clock
) -> None:
    bad = "Nguyễn\x01 Văn\x0b A\x1b\ufffe"  # PostgreSQL refuses NUL itself
    async with session_factory.begin() as s:
        nomination = (await s.scalars(select(Nomination).order_by(Nomination.id))).first()
        assert nomination is not None
        nomination.full_name = bad
        nomination.summary = "Thành tích\x07 xuất sắc\x0c"
        unit = await UnitRepository(s).get_by_code("P-BADINH")
        assert unit is not None
        unit.name = "Phường\x01 Ba Đình"
        unit_code = (await s.get_one(Unit, nomination.unit_id)).code
    for kind in ExportKind:
        for fmt in (ExportFormat.XLSX, ExportFormat.DOCX):
            for scope in (None, unit_code, "P-BADINH"):
                if fmt not in FORMATS[kind] or (kind.secretariat_only and scope):
                    continue
                _, data = await _export(session_factory, clock, kind, fmt, scope)
                if fmt is ExportFormat.DOCX:
                    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
                    tables = docx.Document(io.BytesIO(data)).tables
                    text += "\n".join(c.text for t in tables for r in t.rows for c in r.cells)
                else:
                    book = openpyxl.load_workbook(io.BytesIO(data))
                    text = "\n".join(
                        str(v)
                        for ws in book
                        for row in ws.iter_rows(values_only=True)
                        for v in row
                        if v is not None
                    )
                assert "\x01" not in text and "\x0b" not in text
                if kind is ExportKind.NOMINATIONS_ALL or (
                    kind is ExportKind.NOMINATIONS and scope == unit_code
                ):
                    assert "Nguyễn Văn A" in text


# -- pagination, as LibreOffice prints it ---------------------------------------------------------
#: A numbered table row: its number, then text on the same line.
_TABLE_ROW = re.compile(r"^[ \t]*\d{1,3}[ \t]+\S", re.MULTILINE)


def _pdf_pages(folder: Path, names: list[str]) -> dict[str, list[str]]:
    """Convert the .docx files to PDF with LibreOffice; each file's pages as text."""
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(str(folder / f"{name}.docx") for name in names),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    pages: dict[str, list[str]] = {}
    for name in names:
        text = subprocess.run(
            ["pdftotext", "-layout", str(folder / f"{name}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        pages[name] = [page for page in text.split("\f") if page.strip() or page is not text]
        while pages[name] and not pages[name][-1].strip():
            pages[name].pop()  # pdftotext ends with a form feed
    return pages


async def test_word_files_paginate_without_empty_or_stranded_pages(
    session_factory: SF, clock: Clock, tmp_path: Path
) -> None:
    names: list[str] = []
    for kind in ExportKind:
        for unit in (None, "P-BACSON"):
            if (kind.secretariat_only and unit) or ExportFormat.DOCX not in FORMATS[kind]:
                continue
            _, data = await _export(session_factory, clock, kind, ExportFormat.DOCX, unit)
            name = f"{kind.value}-{unit or 'all'}"
            (tmp_path / f"{name}.docx").write_bytes(data)
            names.append(name)
    pages = await asyncio.to_thread(_pdf_pages, tmp_path, names)
    for name, texts in pages.items():
        assert texts, name
        for number, page in enumerate(texts, 1):
            words = [w for w in page.split() if w != str(number)]
            assert len(words) >= 5, f"{name}: page {number} is (nearly) empty:\n{page}"
        if name.startswith(("proposal", "decision")):  # the list follows, as an annex
            annex = next(i for i, page in enumerate(texts) if "STT" in page)
            assert annex >= 1 and "Kèm theo" in texts[annex], name
        elif not name.startswith("report"):
            assert "STT" in texts[0], f"{name}: the table does not start on page 1:\n{texts[0]}"
            for number, page in enumerate(texts[1:], 2):
                if _TABLE_ROW.search(page):  # rows continue here: under the repeated header
                    assert "STT" in page, f"{name}: page {number} has rows without the header"


# -- the papers that go up the chain -------------------------------------------------------------
async def test_proposal_and_draft_decision_carry_the_accepted_nominations(
    session_factory: SF, clock: Clock
) -> None:
    async with session_factory() as s:
        accepted = (
            await s.scalars(
                select(Nomination).where(Nomination.status == NominationStatus.ACCEPTED)
            )
        ).all()
    assert accepted
    names = {n.full_name for n in accepted}
    awards = {n.award_name for n in accepted}

    name, data = await _export(session_factory, clock, ExportKind.PROPOSAL, ExportFormat.DOCX)
    assert name == "to-trinh-de-nghi-khen-thuong-BIMSON-DHTT-2019.docx"
    proposal = docx.Document(io.BytesIO(data))
    body = "\n".join(_body(proposal))
    assert "TỜ TRÌNH" in body and "Kính gửi:" in body
    individuals = sum(1 for n in accepted if n.subject is SubjectKind.INDIVIDUAL)
    collectives = len(accepted) - individuals
    assert f"khen thưởng cho {individuals} cá nhân và {collectives} tập thể" in body
    assert "Kèm theo Tờ trình số" in body and "/TTr-UBND" in " ".join(_letterhead(proposal))
    (attached,) = [t for t in proposal.tables if t.rows[0].cells[0].text == "STT"]
    listed = {row.cells[1].text for row in attached.rows[1:]}
    assert names <= listed  # the attached trích ngang: the accepted ones
    assert len(proposal.sections) == 2
    assert proposal.sections[1].orientation == WD_ORIENT.LANDSCAPE

    _, data = await _export(session_factory, clock, ExportKind.DECISION, ExportFormat.DOCX)
    decision = docx.Document(io.BytesIO(data))
    body = "\n".join(_body(decision))
    for part in (
        "QUYẾT ĐỊNH",
        "(DỰ THẢO)",
        "Căn cứ Luật Thi đua",
        "Điều 1.",
        "Điều 2.",
        "Điều 3.",
    ):
        assert part in body, part
    assert "Kèm theo Quyết định số" in body
    (annex,) = [t for t in decision.tables if t.rows[0].cells[0].text == "STT"]
    sections = [r.cells[0].text for r in annex.rows[1:] if r.cells[0].text == r.cells[1].text]
    assert {s.split(". ", 1)[1] for s in sections} == awards  # grouped by award: I., II., …
    assert sections[0].startswith("I. ")


async def test_xuat_award_papers_are_the_secretariats(chat: Chat) -> None:

    badinh = chat("badinh")
    await badinh.send("/xuat")
    assert not any(
        "Tờ trình" in b or "Quyết định" in b or "Tất cả đề cử" in b for b in badinh.buttons
    )
    before = badinh.text
    await badinh.press_data(PickKind(kind=ExportKind.PROPOSAL).pack())  # a forged press
    assert "Tờ trình" not in badinh.text and not any(r.file for r in badinh.replies)
    assert before  # still at the choice, nothing exported

    noivu = chat("noivu")
    await noivu.send("/xuat")
    await noivu.press("Tờ trình đề nghị khen thưởng")
    assert noivu.buttons == ["📘 Word (.docx)", "↩️ Quay lại"]
    await noivu.press("Word")
    building, reply = noivu.replies
    assert "Đang tạo tệp…" in building.text and building.file is None
    assert reply.file is not None
    assert reply.file.name == "to-trinh-de-nghi-khen-thuong-BIMSON-DHTT-2019.docx"
    await noivu.send("/xuat")
    await noivu.press("Tệp đã tiếp nhận")
    await noivu.press("Tệp nén")
    building, reply = noivu.replies
    assert "Đang tạo tệp…" in building.text and building.file is None
    assert reply.file is not None and reply.file.mime_type == "application/zip"


async def test_a_deadline_hour_in_the_progress_sheet(session_factory: SF, clock: Clock) -> None:
    """The column shows the hour; something sent later that same day is "muộn" (no day count)."""
    async with session_factory.begin() as s:
        req = (await s.scalars(select(Requirement).where(Requirement.code == "KEHOACH"))).one()
        req.due_date = dt.date(2019, 10, 28)  # the day Phường Bắc Sơn sent its plan
        req.due_time = dt.time(0, 30)
    _, data = await _export(session_factory, clock, ExportKind.PROGRESS, ExportFormat.XLSX)
    ws = _sheet(data)
    assert ws[4][2].value.endswith("(hạn 0h30 28/10/2019)")
    by_unit = {r[1]: r for r in _rows(ws) if isinstance(r[0], int)}
    assert by_unit["Phường Bắc Sơn"][2] == "Đã nộp 28/10/2019 (muộn, đã tiếp nhận)"
    assert by_unit["Xã Hà Lan"][2] == "Đã nộp 22/11/2019 (muộn 25 ngày)"

"""Importing units from CSV/XLSX, and finding units by what a user types."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.domain.codes import check_code
from handlers.domain.vocab import UNIT_KINDS, unit_kind_from_text
from handlers.io.units_file import ImportResult, UnitsFileError, read_units_file
from handlers.services.units import import_units
from storage.models import Unit
from storage.repositories.units import UnitRepository
from storage.text import fold_text, vn_sort_key
from tests.samples import DEMO_DIR

SF = async_sessionmaker[AsyncSession]
DEMO_UNITS = DEMO_DIR / "units.csv"


async def _import(sf: SF, path: Path) -> ImportResult:
    async with sf.begin() as s:
        return await import_units(s, path)


async def _units(sf: SF) -> dict[str, Unit]:
    async with sf() as s:
        return {u.code: u for u in await s.scalars(select(Unit))}


def test_fold_and_kinds() -> None:
    assert fold_text("  Phường  Ba Đình ") == "phuong ba dinh"
    assert fold_text("P-BADINH") == "p badinh"
    for text in ("Xã/phường", "xa phuong", "Phường", "Xã", "thị trấn", "xa_phuong"):
        assert unit_kind_from_text(text) == "xa_phuong", text
    assert unit_kind_from_text("Doanh nghiệp") == "doanh_nghiep"
    assert unit_kind_from_text("ĐOÀN THỂ") == "doan_the"
    assert unit_kind_from_text("Khoa/phòng") == "khoa_phong"
    assert unit_kind_from_text("Hợp tác") is None
    assert all(unit_kind_from_text(label) == code for code, label in UNIT_KINDS.items())


def test_vietnamese_order() -> None:
    names = ["Xã Hà Lan", "Phường Đông Sơn", "Phường Bắc Sơn", "Phường Dương", "Phường Ba Đình"]
    assert sorted(names, key=vn_sort_key) == [
        "Phường Ba Đình",
        "Phường Bắc Sơn",
        "Phường Dương",
        "Phường Đông Sơn",
        "Xã Hà Lan",
    ]


async def test_import_demo_units_and_again(session_factory: SF) -> None:
    first = await _import(session_factory, DEMO_UNITS)
    assert first.ok, first.error_text()
    assert (first.created, first.updated, first.unchanged) == (21, 0, 0)

    units = await _units(session_factory)
    ba_dinh = units["P-BADINH"]
    assert (ba_dinh.name, ba_dinh.kind, ba_dinh.block) == (
        "Phường Ba Đình",
        "xa_phuong",
        "Khối xã, phường",
    )
    assert units["X-HALAN"].kind == "xa_phuong"
    assert units["DT-PHUNU"].kind == "doan_the"
    assert units["CQ-PGDDT"].kind == "co_quan"
    assert units["DN-XIMANG"].kind == "doanh_nghiep"
    assert units["DN-XIMANG"].staff_count == 1050
    assert sum(1 for u in units.values() if u.kind == "xa_phuong") == 8

    again = await _import(session_factory, DEMO_UNITS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 21)

    async with session_factory() as s:
        ordered = await UnitRepository(s).list_all()
    blocks = list(dict.fromkeys(u.block for u in ordered))
    assert blocks == [
        "Khối cơ quan",
        "Khối doanh nghiệp",
        "Khối Đảng - đoàn thể",
        "Khối xã, phường",
    ]
    wards = [u.name for u in ordered if u.block == "Khối xã, phường"]
    assert wards[:3] == ["Phường Ba Đình", "Phường Bắc Sơn", "Phường Đông Sơn"]
    assert wards[-2:] == ["Xã Hà Lan", "Xã Quang Trung"]


async def test_find_unit_by_code_or_name(session_factory: SF) -> None:
    await _import(session_factory, DEMO_UNITS)
    async with session_factory() as s:
        repo = UnitRepository(s)
        for query in ("ba dinh", "Phường Ba Đình", "P-BADINH", "p-badinh", "PBADINH", "BA ĐÌNH"):
            unit = await repo.find(query)
            assert unit is not None and unit.code == "P-BADINH", query
        phu_nu = await repo.find("phu nu")
        assert phu_nu is not None and phu_nu.code == "DT-PHUNU"
        xi_mang = await repo.find("xi măng")
        assert xi_mang is not None and xi_mang.code == "DN-XIMANG"
        assert await repo.find("sơn") is None  # many units: ambiguous
        assert await repo.find("không có") is None
        assert len(await repo.search("sơn", limit=50)) > 5
        assert (await repo.search("dong son"))[0].code == "P-DONGSON"
        assert await repo.get_by_code("dn-ximang") is not None


async def test_semicolon_csv_with_bom_english_headers(session_factory: SF, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(
        "\ufeffCODE;Name;Kind;Block;Staff;Ghi chú\n"
        "p-a;Phường A;Xã/phường;Cụm 1;1.234;\n"
        "DN-B;Công ty B;Doanh nghiệp;;;\n"
        "\n"
        "CQ-C;Phòng C;co_quan;Cụm 2; 7 ;x\n".encode()
    )
    result = await _import(session_factory, path)
    assert result.ok, result.error_text()
    assert result.created == 3
    units = await _units(session_factory)
    assert units["P-A"].staff_count == 1234
    assert units["P-A"].block == "Cụm 1"
    assert units["DN-B"].kind == "doanh_nghiep"
    assert units["DN-B"].block is None and units["DN-B"].staff_count is None
    assert units["CQ-C"].staff_count == 7


async def test_one_bad_row_imports_nothing(session_factory: SF, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "Mã,Tên,Loại,Số cán bộ\n"
        "P-A,Phường A,Phường,20\n"
        "P-B,Phường B,Thôn,abc\n"
        "P-A,Phường A lặp,Phường,3\n"
        ",Không mã,Xã,\n",
        encoding="utf-8",
    )
    result = await _import(session_factory, path)

    assert not result.ok
    assert [e.row for e in result.errors] == [3, 4, 5]
    assert result.errors[0].message.startswith('Không rõ loại đơn vị "Thôn"; dùng một trong:')
    assert 'số cán bộ "abc" phải là số nguyên không âm' in result.errors[0].message
    assert 'Mã "P-A" trùng với dòng 2' in result.errors[1].message
    assert result.errors[2].message == "Thiếu mã đơn vị."
    assert result.error_text().startswith("Không nhập đơn vị nào vì tệp có lỗi:\nDòng 3: ")
    assert result.created == 0
    async with session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(Unit)) == 0


async def test_xlsx_round_trip(session_factory: SF, tmp_path: Path) -> None:
    path = tmp_path / "units.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["STT", "Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Khối thi đua", "Biên chế"])
    ws.append([1, "P-BADINH", "Phường Ba Đình", "Phường", "Khối xã, phường", 24])
    ws.append([2, "TH-01", "Trường Tiểu học Ba Đình", "Trường học", "Khối trường học", 35.0])
    wb.save(path)

    result = await _import(session_factory, path)
    assert result.ok, result.error_text()
    assert result.created == 2
    units = await _units(session_factory)
    assert units["TH-01"].kind == "truong_hoc"
    assert units["TH-01"].staff_count == 35
    assert units["P-BADINH"].block == "Khối xã, phường"

    ws.cell(row=3, column=3, value="Trường Tiểu học Ba Đình (mới)")
    wb.save(path)
    again = await _import(session_factory, path)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert (await _units(session_factory))["TH-01"].name == "Trường Tiểu học Ba Đình (mới)"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("u.csv", "Tên,Loại\nA,Xã\n".encode(), "thiếu cột: Mã"),
        ("u.csv", b"", "trống"),
        ("u.csv", "Mã,Tên,Loại\n".encode(), "chỉ có dòng tiêu đề"),
        ("u.csv", b"M\xe3,T\xean,Lo\xe1i\nA,B,X\xe3\n", "UTF-8"),
        ("u.xls", b"\xd0\xcf\x11\xe0rest", ".xls"),
        ("u.xlsx", b"PK\x03\x04broken", "Không đọc được tệp Excel"),
        ("u.csv", "Mã,Code,Tên,Loại\n".encode(), "hai cột cùng là"),
    ],
)
async def test_file_level_errors(
    session_factory: SF, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnitsFileError, match=expected):
        await _import(session_factory, path)


def test_codes_are_checked_and_stored_upper_case() -> None:
    assert check_code(" p-badinh ") == "P-BADINH"
    assert check_code("DN_01.A", 7) == "DN_01.A"
    for bad in ("Mã có dấu", "-P", "P BADINH", "x" * 33, ""):
        with pytest.raises(ValueError, match="chỉ được gồm chữ cái không dấu"):
            check_code(bad)


async def test_a_bad_code_is_named_in_its_row(session_factory: SF, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("Mã,Tên,Loại\nP Ạ,Phường A,Phường\n", encoding="utf-8")
    result = await _import(session_factory, path)
    assert [(e.row, e.message) for e in result.errors] == [
        (2, 'Mã "P Ạ" chỉ được gồm chữ cái không dấu, chữ số và các dấu - _ . (tối đa 32 ký tự).')
    ]


def test_title_rows_above_the_header_are_skipped() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["UBND THỊ XÃ BỈM SƠN"])
    sheet.append(["DANH SÁCH ĐƠN VỊ (kèm theo Kế hoạch số 12/KH-UBND)"])
    sheet.append([])
    sheet.append(["STT", "Mã đơn vị", "Tên đơn vị", "Loại"])
    sheet.append([1, "P-BADINH", "Phường Ba Đình", "Phường"])
    out = io.BytesIO()
    book.save(out)
    rows, result = read_units_file(out.getvalue(), "don-vi.xlsx")
    assert result.errors == []
    assert [(r.row, r.code, r.name) for r in rows] == [(5, "P-BADINH", "Phường Ba Đình")]

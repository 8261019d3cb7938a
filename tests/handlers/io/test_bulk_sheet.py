"""The bulk list template: drawn, filled, read back; the files refused as a whole."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from handlers.domain.errors import UserError
from handlers.io.bulk_sheet import (
    COLUMNS,
    MARKER_SHEET,
    BulkKind,
    TemplateSpec,
    read_bulk,
    write_template,
)

NOM = BulkKind.NOMINATIONS
DEL = BulkKind.DELEGATES
LABELS = {
    "name": "Họ và tên",
    "gender": "Giới tính",
    "birth_year": "Năm sinh",
    "ethnicity": "Dân tộc",
    "position": "Chức vụ",
    "workplace": "Đơn vị công tác",
    "award": "Hình thức khen thưởng",
    "summary": "Tóm tắt thành tích",
    "category": "Thành phần",
    "presidium": "Đoàn chủ tịch",
}
SUMMARY = "Hoàn thành xuất sắc nhiệm vụ năm 2019 và nhiều năm liền."


def spec(kind: BulkKind = NOM, code: str = "KH-2019") -> TemplateSpec:
    return TemplateSpec(
        kind=kind,
        campaign_code=code,
        title="Danh sách đề cử — Phường Ba Đình",
        labels=LABELS,
        example={"name": "Ví dụ: Nguyễn Văn An", "gender": "Nam", "birth_year": "1980"},
        guide=["Cách điền", "1. Mỗi dòng một người."],
        guide_title="Hướng dẫn",
        sheet_title="Danh sách đề cử",
        choices={"gender": ["Nam", "Nữ"], "award": ["Lao động tiên tiến", "Giấy khen"]},
        year_range=(1920, 2004),
    )


def _row(name: str, **cells: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "gender": "Nam",
        "birth_year": 1980,
        "position": "Trưởng khu phố",
        "award": "Lao động tiên tiến",
        "summary": SUMMARY,
    }
    return {**base, **cells}


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_has_a_title_a_header_an_example_a_guide_and_a_hidden_marker() -> None:
    book = load_workbook(io.BytesIO(write_template(spec())))
    assert book.sheetnames == ["Danh sách đề cử", "Hướng dẫn", MARKER_SHEET]
    assert book[MARKER_SHEET].sheet_state == "hidden"
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "Danh sách đề cử — Phường Ba Đình"
    assert [c.value for c in sheet[2]] == [LABELS[k] for k in COLUMNS[NOM]]
    assert sheet["A3"].value == "Ví dụ: Nguyễn Văn An"
    ranges = {str(v.sqref): (v.type, v.formula1) for v in sheet.data_validations.dataValidation}
    assert ranges["B4:B203"] == ("list", f"'{MARKER_SHEET}'!$C$4:$C$5")
    assert ranges["C4:C203"][0] == "whole"
    assert ranges["F4:F203"] == ("list", f"'{MARKER_SHEET}'!$G$4:$G$5")
    assert book[MARKER_SHEET]["G5"].value == "Giấy khen"
    assert book["Hướng dẫn"]["A2"].value == "1. Mỗi dòng một người."


def test_an_empty_template_has_no_rows_to_import() -> None:
    with pytest.raises(UserError) as err:
        read_bulk(write_template(spec()), NOM, "KH-2019")
    assert err.value.key == "bulk_no_rows"


def test_a_filled_template_reads_back_without_the_example_row() -> None:
    data = write_template(spec(), [_row("Lê Văn C"), _row("", workplace="Khu phố 5")])
    rows = read_bulk(data, NOM, "kh-2019")
    assert [r.number for r in rows] == [4, 5]
    assert rows[0].cells["name"] == "Lê Văn C"
    assert rows[0].cells["birth_year"] == "1980"
    assert rows[1].cells == {**rows[1].cells, "name": "", "workplace": "Khu phố 5"}


def test_another_campaigns_or_another_lists_template_is_refused() -> None:
    data = write_template(spec(code="KH-2018"), [_row("Lê Văn C")])
    with pytest.raises(UserError) as err:
        read_bulk(data, NOM, "KH-2019")
    assert err.value.key == "bulk_wrong_campaign"
    assert err.value.params == {"found": "KH-2018", "expected": "KH-2019"}
    with pytest.raises(UserError) as err:
        read_bulk(data, DEL, "KH-2018")
    assert err.value.key == "bulk_wrong_kind"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "bulk_empty"),
        (b"Ho va ten;Gioi tinh\nA;Nam\n", "bulk_not_xlsx"),
        (b"%PDF-1.7\n...", "bulk_not_xlsx"),
        (b"PK\x03\x04not really a zip", "bulk_not_xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "bulk_old_xls"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 600
            + "EncryptedPackage".encode("utf-16-le")
            + b"\0" * 100,
            "bulk_encrypted",
        ),
    ],
)
def test_a_file_that_is_not_a_readable_xlsx_is_refused_with_its_reason(
    data: bytes, key: str
) -> None:
    with pytest.raises(UserError) as err:
        read_bulk(data, NOM, "KH-2019")
    assert err.value.key == key


def test_a_zip_bomb_is_refused_before_it_is_unzipped(monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_template(spec(), [_row("Lê Văn C")])
    monkeypatch.setattr("handlers.io.bulk_sheet.MAX_UNZIPPED_BYTES", 10_000)
    with pytest.raises(UserError) as err:
        read_bulk(data, NOM, "KH-2019")
    assert err.value.key == "bulk_too_big"


def test_an_office_list_with_title_rows_merged_cells_dates_and_text_numbers_is_read() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["UBND PHƯỜNG BA ĐÌNH"])
    sheet.append(["DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG NĂM 2019"])
    sheet.merge_cells("A2:G2")
    sheet.append([])
    sheet.append(["STT", "HỌ VÀ TÊN", "Giới tính", "Năm sinh", "Chức vụ", "Hình thức"])
    sheet["G4"] = "Thành tích"
    sheet.append([1, "Lê Văn C", "Nam", dt.date(1977, 3, 4), "Trưởng khu phố", "LĐTT", "x"])
    sheet.append([2, "Phạm Thị D", "Nữ", "1985", None, "LĐTT", "y"])
    sheet.append([3, "Hà Văn E", "Nam", 1990.0, None, "LĐTT", "z"])
    sheet.merge_cells("E6:E7")
    sheet["E6"] = "Cán bộ khu phố"
    for number in range(8, 40):  # trailing empty rows, styled as LibreOffice leaves them
        sheet.cell(row=number, column=2).number_format = "@"
        sheet.cell(row=number, column=3, value="")
    rows = read_bulk(_save(book), NOM, "KH-2019")
    assert [r.number for r in rows] == [5, 6, 7]
    assert [r.cells["birth_year"] for r in rows] == ["1977", "1985", "1990"]
    assert [r.cells["position"] for r in rows] == [
        "Trưởng khu phố",
        "Cán bộ khu phố",
        "Cán bộ khu phố",
    ]
    assert "workplace" not in rows[0].cells  # an optional column left out


def test_a_list_without_the_required_columns_is_refused() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Họ và tên", "Giới tính", "Năm sinh", "Tóm tắt thành tích"])
    sheet.append(["Lê Văn C", "Nam", 1977, SUMMARY])
    with pytest.raises(UserError) as err:
        read_bulk(_save(book), NOM, "KH-2019")
    assert err.value.key == "bulk_missing_columns"
    assert err.value.params == {"row": 1, "missing": ["position", "award"]}
    book = Workbook()
    assert book.active is not None
    book.active.append(["Mã", "Tên", "Loại"])
    with pytest.raises(UserError) as err:
        read_bulk(_save(book), NOM, "KH-2019")
    assert err.value.key == "bulk_no_header"


def test_formulas_are_marked_on_their_cells() -> None:
    book = load_workbook(io.BytesIO(write_template(spec(), [_row("Lê Văn C")])))
    book.worksheets[0]["C4"] = "=2019-40"
    rows = read_bulk(_save(book), NOM, "KH-2019")
    assert rows[0].formulas == ("birth_year",)
    assert rows[0].cells["birth_year"] == ""


def test_too_many_rows_are_refused() -> None:
    data = write_template(spec(), [_row(f"Người {i}") for i in range(6)])
    assert len(read_bulk(data, NOM, "KH-2019", max_rows=6)) == 6
    with pytest.raises(UserError) as err:
        read_bulk(data, NOM, "KH-2019", max_rows=5)
    assert err.value.key == "bulk_too_many_rows"
    assert err.value.params == {"limit": 5}


def test_a_template_saved_again_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    # `make test` installs LibreOffice (Debian package) when it is missing.
    assert shutil.which("soffice"), "run `make system-deps`"
    data = write_template(spec(), [_row("Lê Văn C"), _row("Phạm Thị D", gender="Nữ")])
    source = tmp_path / "src" / "mau.xlsx"
    source.parent.mkdir()
    source.write_bytes(data)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    again = (tmp_path / "mau.xlsx").read_bytes()
    assert again != data
    rows = read_bulk(again, NOM, "KH-2019")
    assert [(r.number, r.cells["name"], r.cells["gender"]) for r in rows] == [
        (4, "Lê Văn C", "Nam"),
        (5, "Phạm Thị D", "Nữ"),
    ]
    with pytest.raises(UserError) as err:  # the hidden marker survived
        read_bulk(again, NOM, "KH-2020")
    assert err.value.key == "bulk_wrong_campaign"

"""The generic spreadsheet reader: formats, encodings, row numbers, limits, columns."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from handlers.io.sheets import Row, SheetError, cell_text, map_columns, read_table

ALIASES = {"code": {"ma", "code"}, "name": {"ten", "name"}, "note": {"mo ta"}}
LABELS = {"code": "Mã", "name": "Tên", "note": "Mô tả"}


def _xlsx(*rows: list[object]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_csv_rows_keep_their_numbers_and_skip_empty_ones() -> None:
    table = read_table("\n\nMã,Tên\nA,Một\n,\nB,Hai\n".encode(), "x.csv")
    assert table.header == Row(3, ("Mã", "Tên"))
    assert [(r.number, r.cells) for r in table.rows] == [(4, ("A", "Một")), (6, ("B", "Hai"))]


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffMã;Tên\nA;Một\n".encode(),  # UTF-8 with BOM, semicolons
        "Mã\tTên\nA\tMột\n".encode(),  # tabs
        "Mã,Tên\r\nA,Một\r\n".encode("utf-16"),  # Excel "Unicode text": UTF-16 with BOM
    ],
)
def test_csv_encodings_and_separators(data: bytes) -> None:
    table = read_table(data, "x.csv")
    assert table.header.cells == ("Mã", "Tên")
    assert table.rows[0].cells == ("A", "Một")


def test_xlsx_first_sheet() -> None:
    table = read_table(_xlsx(["Mã", "Tên"], [None, None], ["A", 24.0]), "u.bin")
    assert [(r.number, r.cells) for r in table.rows] == [(3, ("A", 24))]
    assert cell_text(table.rows[0].cell(1)) == "24"
    assert table.rows[0].cell(5) is None and table.rows[0].cell(None) is None


@pytest.mark.parametrize(
    ("data", "name", "kwargs", "expected"),
    [
        (b"  \n", "x.csv", {}, "Tệp trống."),
        (b"a,b\n" * 10, "x.csv", {"max_bytes": 20}, "Tệp quá lớn"),
        (b"a,b\n" * 10, "x.csv", {"max_rows": 5}, "quá nhiều dòng (tối đa 5)"),
        (_xlsx(*[["a"]] * 10), "x.xlsx", {"max_rows": 5}, "quá nhiều dòng (tối đa 5)"),
        (b",,\n,\n", "x.csv", {}, "không có dòng nào"),
        (b"M\xe3,T\xean\n", "x.csv", {}, "UTF-8"),
        (b"\xd0\xcf\x11\xe0rest", "x.xls", {}, ".xls"),
        (b"PK\x03\x04broken", "x.xlsx", {}, "Không đọc được tệp Excel"),
    ],
    # Stable ids: the generated workbook's bytes differ between processes (pytest-xdist).
    ids=["blank", "big", "rows-csv", "rows-xlsx", "empty-rows", "not-utf8", "xls", "broken"],
)
def test_whole_file_problems(
    data: bytes, name: str, kwargs: dict[str, int], expected: str
) -> None:
    with pytest.raises(SheetError, match=re.escape(expected)):
        read_table(data, name, **kwargs)


def test_columns_by_name_in_any_case_and_without_diacritics() -> None:
    header = Row(2, ("STT", "MÃ", "Tên ", "Khối", None, "Ghi chú"))
    columns = map_columns(header, ALIASES, LABELS, ("code", "name"))
    assert dict(columns.index) == {"code": 1, "name": 2}
    assert columns.ignored == ("Khối",)  # STT and Ghi chú are expected, not worth a warning
    assert columns.value(Row(3, (1, "A", "Một")), "name") == "Một"
    assert columns.value(Row(3, (1, "A")), "name") is None
    assert columns.value(Row(3, (1, "A")), "note") is None


def test_column_problems() -> None:
    with pytest.raises(SheetError, match=r'Dòng 1: có hai cột cùng là "Mã" \(cột 1 và cột 2\)'):
        map_columns(Row(1, ("Mã", "code", "Tên")), ALIASES, LABELS, ("code",))
    with pytest.raises(SheetError) as info:
        map_columns(Row(4, ("Mô tả",)), ALIASES, LABELS, ("code", "name"))
    assert str(info.value) == (
        "Dòng 4 (dòng tiêu đề) thiếu cột: Mã, Tên. Cần ít nhất các cột Mã, Tên."
    )

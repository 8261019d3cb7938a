"""The workbooks' data rows (handlers/io/exports/xlsx.py): written directly, as XlsxWriter would.

The data rows of a sheet are made by ``_Sheet.cells`` without XlsxWriter's per-cell calls. Every
file is compared, part by part and byte by byte, with the one XlsxWriter writes itself when each
cell goes through ``write_string``/``write_number``/``write_blank`` (the reference below), and
read back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.io.exports import xlsx
from handlers.io.exports.tables import Cell, Column, Row, Table
from handlers.queries.export_data import ExportKind

CREATED = dt.datetime(2019, 11, 13, 8, 30, tzinfo=dt.UTC)

#: Texts XlsxWriter escapes or marks: XML characters, spaces at either end, a line break, a
#: carriage return and an escape-like text (both written as _xHHHH_), a control character
#: (dropped), a would-be formula, Vietnamese.
TRICKY: tuple[Cell, ...] = (
    "a & b <c> \"d\" 'e'",
    " leading",
    "trailing ",
    "two\nlines",
    "carriage\rreturn",
    "_x0041_ stays",
    "bell\x07",
    "=1+1",
    "Đã nộp 13/11/2019 (muộn 2 ngày)",
    "",
    None,
    0,
    2019,
    -3,
    12345678901234567,
)


def _reference_cells(
    sheet: Any, height: float, values: Sequence[Cell], fmts: Sequence[Any]
) -> None:
    """What ``_Sheet.cells`` stands for: every cell through XlsxWriter."""
    index = sheet.start(height)
    for col, (value, fmt) in enumerate(zip(values, fmts, strict=True)):
        sheet.put(index, col, value, fmt)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _table(rows: Sequence[Row], columns: int = 4) -> Table:
    return Table(
        kind=ExportKind.PROGRESS,
        sheet="Tình hình",
        title="Tình hình nộp",
        subtitle="Kế hoạch thử",
        as_of="Tính đến 13/11/2019 15:30",
        columns=tuple(Column(f"Cột {i}", 6 + 10 * i, center=i != 1) for i in range(columns)),
        rows=tuple(rows),
        frozen_columns=2,
        note="Tổng số: 3.",
    )


def _tables() -> list[Table]:
    tricky = [TRICKY[i : i + 4] for i in range(0, len(TRICKY), 4)]
    rows = [Row(section="I. Cá nhân")]
    rows += [Row(tuple(c) + (None,) * (4 - len(c))) for c in tricky]
    rows += [
        Row((1, "Đơn vị A", "Đã nộp", "Chưa nộp"), tones=(None, None, "done", "overdue")),
        Row((2, "Đơn vị B", "–", "Nộp thiếu 1/2 phần"), tones=(None, None, "na", "partial")),
        Row((3, "Đơn vị C", "Bị trả lại", "x"), tones=(None, None, "returned", "unknown")),
        Row(section="II. Tập thể"),
        Row((4, "Đơn vị A", "Đã nộp", "Đã nộp")),  # the same texts again, from the cache
        Row((None, "Số đơn vị đã nộp", "3/4", "1/4"), total=True),
    ]
    long_text = "chữ " * 9000  # past 32 767 UTF-16 units: XlsxWriter cuts it
    second = _table([Row((1, "x" * 40, long_text, None)), Row((2, "y", "z", 7))])
    return [_table(rows), replace(second, frozen_columns=0, note=None)]


def test_the_rows_are_written_as_xlsxwriter_writes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = _tables()
    fast = xlsx.workbook(tables, created=CREATED)
    with monkeypatch.context() as m:
        m.setattr(xlsx._Sheet, "cells", _reference_cells)
        reference = xlsx.workbook(tables, created=CREATED)
    fast_parts, reference_parts = _parts(fast), _parts(reference)
    assert list(fast_parts) == list(reference_parts)
    for name, content in reference_parts.items():
        assert fast_parts[name] == content, name
    sheet = fast_parts["xl/worksheets/sheet1.xml"].decode()
    assert "_x005F_x0041_ stays" in sheet and "carriage_x000D_return" in sheet
    assert 'xml:space="preserve"> leading' in sheet and "a &amp; b &lt;c&gt;" in sheet


def test_the_rows_read_back() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx.workbook(_tables(), created=CREATED)))
    ws = book.worksheets[0]
    assert ws["A5"].value == "I. Cá nhân"
    values = [c.value for row in ws.iter_rows(min_row=6, max_row=9) for c in row]
    expected = list(TRICKY)
    # The control character is dropped; openpyxl leaves Excel's escapes as they are written.
    read = {"bell\x07": "bell", "carriage\rreturn": "carriage_x000D_return"}
    read["_x0041_ stays"] = "_x005F_x0041_ stays"
    expected = [read.get(v, v) if isinstance(v, str) else v for v in expected]
    expected[-1] = 1.234567890123457e16  # a number keeps 16 digits, as Excel's
    assert values[: len(expected)] == expected
    assert ws["C10"].fill.fgColor.rgb.endswith("E2EFDA")  # done
    assert ws["D10"].fill.fgColor.rgb.endswith("F4CCCC")  # overdue
    assert ws["B15"].font.b and ws["C15"].value == "3/4"
    assert ws.row_dimensions[10].height == 18.75  # 19 pt, in whole pixels
    second = book.worksheets[1]
    assert len(second["C5"].value) == 32767 and second["D6"].value == 7


def test_a_long_list_writes_each_text_once_per_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "_FRAGMENTS_MAX", 5)
    rows = [Row((i, f"Người {i}", "Nam" if i % 2 else "Nữ", None)) for i in range(1, 40)]
    fast = xlsx.workbook([_table(rows)], created=CREATED)
    with monkeypatch.context() as m:
        m.setattr(xlsx._Sheet, "cells", _reference_cells)
        reference = xlsx.workbook([_table(rows)], created=CREATED)
    assert _parts(fast) == _parts(reference)


def _counted_lines(text: str, width: float) -> int:
    """``xlsx._lines`` word by word, without its one-line shortcut."""
    chars = max(int(width * 1.15) - 1, 1)
    count = 0
    for part in text.splitlines() or [""]:
        lines, used = 1, 0
        for word in part.split():
            size = len(word)
            if used and used + 1 + size > chars:
                lines, used = lines + 1, 0
            lines += max(-(-size // chars) - 1, 0)
            used = (used + 1 + size if used else size) if size <= chars else size % chars
        count += lines
    return count


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="ab cđ\n\r\x0b\xa0\u2028\x85", max_size=40),
    st.sampled_from([1, 2, 5, 7, 10, 24, 46]),
)
def test_a_short_text_is_one_line_as_counted(text: str, width: float) -> None:
    assert xlsx._lines.__wrapped__(text, width) == _counted_lines(text, width)

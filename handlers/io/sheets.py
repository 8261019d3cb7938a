"""Reading a table from a spreadsheet an office already has: CSV or XLSX.

The generic half of every spreadsheet import (units today, nominations next): bytes and a file
name in, a header row and numbered data rows out, with the columns found by their (Vietnamese or
English) names. What a row means is the importer's business.

Accepted files:

* CSV in UTF-8 (with or without BOM), or UTF-16 with its BOM (Excel's "Unicode text"),
  separated by commas, semicolons (Excel in Vietnamese locale) or tabs;
* XLSX (the first sheet is read). An old ``.xls`` is refused with a hint.

Rows keep their number in the file (the first row is 1), so a message can name the row a person
sees in Excel. Empty rows are skipped; the first non-empty row is the header (or, when the
importer knows its column titles, the first row naming two of them: title rows above it are
dropped). Cell texts are NFC and trimmed; a whole number stored as a float (``24.0``) reads as
``24``. Files over :data:`MAX_BYTES` or with more than :data:`MAX_ROWS` rows are refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from handlers.domain.normalize import normalize_text
from storage.text import fold_text

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "Columns",
    "Row",
    "SheetError",
    "Table",
    "cell_text",
    "map_columns",
    "read_table",
]

#: Largest file read (bytes).
MAX_BYTES = 10 * 1024 * 1024
#: Most rows read, counting the header and empty rows.
MAX_ROWS = 20_000

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: Non-empty rows searched for the header when its titles are known.
_HEADER_SEARCH = 15
#: Columns nobody needs to import, not worth a warning (folded).
_QUIET_COLUMNS = frozenset({"stt", "tt", "so tt", "ghi chu", "note", "notes"})


class SheetError(ValueError):
    """The file as a whole cannot be read (format, encoding, size, header); Vietnamese message."""


def cell_text(value: Any) -> str:
    """Return a cell as normalised text (``None`` → ``""``, ``24.0`` → ``"24"``).

    The same normalisation as every chat message (:func:`normalize_text`): NFC, no invisible or
    control characters (PostgreSQL refuses NUL), trimmed.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its number in the file (1-based) and its cells as read."""

    number: int
    cells: tuple[Any, ...]

    def cell(self, index: int | None) -> Any:
        """The cell in column ``index`` (0-based); None beyond the row or for no column."""
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet's header row and its non-empty data rows."""

    header: Row
    rows: list[Row]


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each known field is in the header, and the columns nobody asked for.

    Attributes:
        index: Field name → 0-based column.
        ignored: Titles of the columns that name no field (except STT, Ghi chú and the like).
    """

    index: Mapping[str, int]
    ignored: tuple[str, ...]

    def value(self, row: Row, name: str) -> Any:
        """The cell of field ``name`` in ``row``; None when the column or the cell is missing."""
        return row.cell(self.index.get(name))


def _read_xlsx(data: bytes, max_rows: int) -> list[tuple[Any, ...]]:
    try:
        from openpyxl import load_workbook  # heavy: imported when a sheet is read

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise SheetError("Không đọc được tệp Excel (.xlsx); tệp có thể bị hỏng.") from None
    try:
        if not workbook.worksheets:
            raise SheetError("Tệp Excel không có trang tính nào.")
        rows: list[tuple[Any, ...]] = []
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            if len(rows) == max_rows:
                raise SheetError(f"Tệp có quá nhiều dòng (tối đa {max_rows}).")
            rows.append(tuple(row))
        return rows
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    try:
        if data.startswith(_UTF16_BOMS):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(
            "Tệp CSV phải lưu theo mã UTF-8 (trong Excel: Lưu thành → CSV UTF-8)."
        ) from None


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, max_rows: int) -> list[tuple[Any, ...]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows: list[tuple[Any, ...]] = []
    try:
        for row in reader:
            if len(rows) == max_rows:
                raise SheetError(f"Tệp có quá nhiều dòng (tối đa {max_rows}).")
            rows.append(tuple(row))
    except csv.Error:
        raise SheetError("Tệp CSV sai định dạng (kiểm tra các dấu ngoặc kép).") from None
    return rows


def _header_index(rows: Sequence[Row], titles: Collection[str] | None) -> int:
    """Where the header is: the first row naming two known columns, else the first row."""
    if titles is None:
        return 0
    for index, row in enumerate(rows[:_HEADER_SEARCH]):
        if sum(1 for cell in row.cells if fold_text(cell_text(cell)) in titles) >= 2:
            return index
    return 0


def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    titles: Collection[str] | None = None,
) -> Table:
    """Read the header and the data rows of a CSV or XLSX file.

    Args:
        data: The file's content.
        filename: Its name (the extension helps tell XLSX from CSV).
        max_bytes: Largest content accepted.
        max_rows: Most rows accepted (all rows, empty ones too).
        titles: Known column titles, folded: the header is then the first of the first
            rows naming two of them, and the rows above it (a title, a date) are dropped.

    Returns:
        The header (the first non-empty row, or the one ``titles`` find), then every
        non-empty row below it (possibly none).

    Raises:
        SheetError: The file is empty, too large, unreadable, or has no row.
    """
    if not data.strip():
        raise SheetError("Tệp trống.")
    if len(data) > max_bytes:
        raise SheetError(f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
    ext = PurePath(filename).suffix.lower()
    if data.startswith(_OLE_MAGIC) or ext == ".xls":
        raise SheetError(
            "Tệp Excel đời cũ (.xls) chưa được hỗ trợ; hãy lưu lại thành .xlsx hoặc .csv."
        )
    if data.startswith(_XLSX_MAGIC) or ext in (".xlsx", ".xlsm"):
        raw = _read_xlsx(data, max_rows)
    else:
        raw = _read_csv(data, max_rows)
    rows = [
        Row(number, cells)
        for number, cells in enumerate(raw, start=1)
        if any(cell_text(c) for c in cells)
    ]
    if not rows:
        raise SheetError("Tệp không có dòng nào.")
    header = _header_index(rows, titles)
    return Table(rows[header], rows[header + 1 :])


def map_columns(
    header: Row,
    aliases: Mapping[str, Collection[str]],
    labels: Mapping[str, str],
    required: Sequence[str],
) -> Columns:
    """Find each field's column by its title, in any case, with or without diacritics.

    Args:
        header: The header row.
        aliases: Field name → accepted titles, folded (:func:`storage.text.fold_text`).
        labels: Field name → how a message names the column ("Mã").
        required: The fields that must have a column.

    Returns:
        The columns.

    Raises:
        SheetError: Two columns name the same field, or a required field has none.
    """
    lookup = {alias: name for name, names in aliases.items() for alias in names}
    index: dict[str, int] = {}
    ignored: list[str] = []
    for column, cell in enumerate(header.cells):
        title = cell_text(cell)
        if not title:
            continue
        name = lookup.get(fold_text(title))
        if name is None:
            if fold_text(title) not in _QUIET_COLUMNS:
                ignored.append(title)
            continue
        if name in index:
            raise SheetError(
                f'Dòng {header.number}: có hai cột cùng là "{labels[name]}" '
                f"(cột {index[name] + 1} và cột {column + 1})."
            )
        index[name] = column
    missing = [labels[name] for name in required if name not in index]
    if missing:
        needed = ", ".join(labels[name] for name in required)
        raise SheetError(
            f"Dòng {header.number} (dòng tiêu đề) thiếu cột: {', '.join(missing)}. "
            f"Cần ít nhất các cột {needed}."
        )
    return Columns(index, tuple(ignored))

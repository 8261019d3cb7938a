"""Import the list of units from a spreadsheet an office already has (CSV or XLSX).

Accepted files:

* CSV in UTF-8 (with or without BOM), separated by commas, semicolons (Excel in Vietnamese
  locale) or tabs;
* XLSX (the first sheet is read).

The first non-empty row is the header. Column names may be Vietnamese or English, in any case,
with or without diacritics: ``Mã``/``code``, ``Tên``/``name``, ``Loại``/``kind``,
``Khối``/``Cụm``/``block``, ``Số cán bộ``/``Biên chế``/``staff``. Mã, tên and loại are required.
A kind may be its code (``xa_phuong``) or a label (``Xã/phường``, ``Phường``, ``Doanh nghiệp``).

Import is all or nothing: every row is checked first and, if any row is wrong, nothing is written
and :attr:`ImportResult.errors` lists each wrong row with its number and a Vietnamese reason.
Units are matched by code, so importing the same file again changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.vocab import UNIT_KINDS, unit_kind_from_text
from storage.repositories.units import UnitRepository
from storage.text import fold_text, normalize_code

__all__ = [
    "HEADER_ALIASES",
    "ImportResult",
    "RowError",
    "UnitRow",
    "UnitsFileError",
    "import_units",
    "import_units_data",
    "read_units_file",
]

logger = logging.getLogger(__name__)

#: Field → accepted header names, folded (lower case, no diacritics, punctuation as spaces).
HEADER_ALIASES: dict[str, frozenset[str]] = {
    "code": frozenset({"ma", "ma don vi", "ma dv", "ky hieu", "code", "unit code", "id"}),
    "name": frozenset(
        {"ten", "ten don vi", "ten dv", "don vi", "ten co quan don vi", "name", "unit name"}
    ),
    "kind": frozenset({"loai", "loai don vi", "loai hinh", "kind", "type", "unit kind"}),
    "block": frozenset(
        {
            "khoi",
            "cum",
            "khoi cum",
            "cum khoi",
            "khoi thi dua",
            "cum thi dua",
            "block",
            "group",
        }
    ),
    "staff_count": frozenset(
        {
            "so can bo",
            "so can bo cong chuc",
            "so cbcc",
            "bien che",
            "so bien che",
            "so lao dong",
            "so nguoi",
            "staff",
            "staff count",
        }
    ),
}
_REQUIRED = ("code", "name", "kind")
_FIELD_LABELS = {
    "code": "Mã",
    "name": "Tên",
    "kind": "Loại",
    "block": "Khối/cụm",
    "staff_count": "Số cán bộ",
}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class UnitsFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, header); message in Vietnamese."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A wrong row: its number in the file (the header is usually row 1) and why."""

    row: int
    message: str


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One valid row, ready to upsert."""

    row: int
    code: str
    name: str
    kind: str
    block: str | None
    staff_count: int | None


@dataclass(slots=True)
class ImportResult:
    """What :func:`import_units` did (or, with errors, why it did nothing)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Notes that did not stop the import (e.g. ignored columns).
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row was valid and the units were written."""
        return not self.errors

    def error_text(self) -> str:
        """Return the errors as a Vietnamese message, one row per line."""
        lines = [f"Dòng {e.row}: {e.message}" for e in self.errors]
        return "Không nhập đơn vị nào vì tệp có lỗi:\n" + "\n".join(lines)


# --------------------------------------------------------------------------- reading tables


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _read_xlsx(data: bytes) -> list[list[Any]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise UnitsFileError("Không đọc được tệp Excel (.xlsx); tệp có thể bị hỏng.") from None
    try:
        if not workbook.worksheets:
            raise UnitsFileError("Tệp Excel không có trang tính nào.")
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnitsFileError(
            "Tệp CSV phải lưu theo mã UTF-8 (trong Excel: Lưu thành → CSV UTF-8)."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        return [list(row) for row in reader]
    except csv.Error:
        raise UnitsFileError("Tệp CSV sai định dạng (kiểm tra các dấu ngoặc kép).") from None


def _read_rows(data: bytes, filename: str) -> list[list[Any]]:
    ext = PurePath(filename).suffix.lower()
    if data.startswith(_OLE_MAGIC) or ext == ".xls":
        raise UnitsFileError(
            "Tệp Excel đời cũ (.xls) chưa được hỗ trợ; hãy lưu lại thành .xlsx hoặc .csv."
        )
    if data.startswith(_XLSX_MAGIC) or ext in (".xlsx", ".xlsm"):
        return _read_xlsx(data)
    return _read_csv(data)


def _map_header(cells: Sequence[Any], row_number: int) -> tuple[dict[str, int], list[str]]:
    """Return {field: column index} and the names of ignored columns."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    lookup = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
    for index, cell in enumerate(cells):
        title = _cell_text(cell)
        if not title:
            continue
        name = lookup.get(fold_text(title))
        if name is None:
            if fold_text(title) not in ("stt", "tt", "so tt", "ghi chu", "note", "notes"):
                ignored.append(title)
            continue
        if name in columns:
            raise UnitsFileError(
                f'Dòng {row_number}: có hai cột cùng là "{_FIELD_LABELS[name]}" '
                f"(cột {columns[name] + 1} và cột {index + 1})."
            )
        columns[name] = index
    missing = [_FIELD_LABELS[name] for name in _REQUIRED if name not in columns]
    if missing:
        raise UnitsFileError(
            f"Dòng {row_number} (dòng tiêu đề) thiếu cột: {', '.join(missing)}. "
            "Cần ít nhất các cột Mã, Tên, Loại."
        )
    return columns, ignored


def _parse_staff(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        number = int(value)
    else:
        text = re.sub(r"[\s.,]", "", str(value))
        if not text.isdigit():
            raise ValueError
        number = int(text)
    if number < 0:
        raise ValueError
    return number


def _check_row(
    row_number: int, cells: Sequence[Any], columns: dict[str, int]
) -> UnitRow | RowError:
    def cell(name: str) -> Any:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    problems: list[str] = []
    code = _cell_text(cell("code"))
    if not code:
        problems.append("thiếu mã đơn vị")
    elif not _CODE.match(code) or len(code) > 32:
        problems.append(
            f'mã "{code}" chỉ được gồm chữ cái không dấu, chữ số và các dấu - _ . '
            "(tối đa 32 ký tự)"
        )
    name = " ".join(_cell_text(cell("name")).split())
    if not name:
        problems.append("thiếu tên đơn vị")
    elif len(name) > 255:
        problems.append("tên đơn vị quá dài (tối đa 255 ký tự)")
    kind_text = _cell_text(cell("kind"))
    kind = unit_kind_from_text(kind_text) if kind_text else None
    if not kind_text:
        problems.append("thiếu loại đơn vị")
    elif kind is None:
        problems.append(
            f'không rõ loại đơn vị "{kind_text}"; dùng một trong: '
            + ", ".join(UNIT_KINDS.values())
        )
    block = " ".join(_cell_text(cell("block")).split()) or None
    if block is not None and len(block) > 120:
        problems.append("tên khối/cụm quá dài (tối đa 120 ký tự)")
    raw_staff = cell("staff_count")
    staff: int | None = None
    try:
        staff = _parse_staff(raw_staff.strip() if isinstance(raw_staff, str) else raw_staff)
    except ValueError:
        problems.append(f'số cán bộ "{_cell_text(raw_staff)}" phải là số nguyên không âm')
    if problems or kind is None:
        message = "; ".join(problems)
        return RowError(row_number, message[:1].upper() + message[1:] + ".")
    return UnitRow(row_number, normalize_code(code), name, kind, block, staff)


def read_units_file(data: bytes, filename: str) -> tuple[list[UnitRow], ImportResult]:
    """Read and check every row without touching the database.

    Args:
        data: The file's content.
        filename: Its name (the extension helps tell XLSX from CSV).

    Returns:
        The valid rows, and a result carrying the row errors and warnings (counts are zero).

    Raises:
        UnitsFileError: The file is empty, unreadable or its header lacks a required column.
    """
    if not data.strip():
        raise UnitsFileError("Tệp trống.")
    rows = _read_rows(data, filename)
    header: tuple[int, list[Any]] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=1):
        if not any(_cell_text(c) for c in cells):
            continue
        if header is None:
            header = (number, cells)
        else:
            body.append((number, cells))
    if header is None:
        raise UnitsFileError("Tệp không có dòng nào.")
    columns, ignored = _map_header(header[1], header[0])
    result = ImportResult()
    if ignored:
        result.warnings.append("Bỏ qua các cột không dùng: " + ", ".join(ignored) + ".")
    if not body:
        raise UnitsFileError("Tệp chỉ có dòng tiêu đề, chưa có đơn vị nào.")
    valid: list[UnitRow] = []
    first_row: dict[str, int] = {}
    for number, cells in body:
        checked = _check_row(number, cells, columns)
        if isinstance(checked, RowError):
            result.errors.append(checked)
            continue
        if checked.code in first_row:
            result.errors.append(
                RowError(number, f'Mã "{checked.code}" trùng với dòng {first_row[checked.code]}.')
            )
            continue
        first_row[checked.code] = number
        valid.append(checked)
    return valid, result


async def import_units_data(session: AsyncSession, data: bytes, filename: str) -> ImportResult:
    """Import units from a file's content (e.g. a file sent in chat); see :func:`import_units`."""
    rows, result = read_units_file(data, filename)
    if result.errors:
        logger.info("Units file %s rejected: %d wrong rows", filename, len(result.errors))
        return result
    repo = UnitRepository(session)
    for row in rows:
        _, change = await repo.upsert(
            code=row.code,
            name=row.name,
            kind=row.kind,
            block=row.block,
            staff_count=row.staff_count,
        )
        if change == "created":
            result.created += 1
        elif change == "updated":
            result.updated += 1
        else:
            result.unchanged += 1
    logger.info(
        "Units file %s imported: %d created, %d updated, %d unchanged",
        filename,
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


async def import_units(session: AsyncSession, path: str | os.PathLike[str]) -> ImportResult:
    """Create or update units from a CSV or XLSX file, all or nothing. Never commits.

    Args:
        session: The open session (the caller commits when :attr:`ImportResult.ok`).
        path: The file.

    Returns:
        Counts of created/updated/unchanged units, or the row errors (then nothing was written).

    Raises:
        UnitsFileError: The file cannot be opened, is not CSV/XLSX, or lacks a required column.
    """
    file = Path(path)
    try:
        data = await asyncio.to_thread(file.read_bytes)
    except OSError:
        raise UnitsFileError(f'Không mở được tệp "{file.name}".') from None
    return await import_units_data(session, data, file.name)

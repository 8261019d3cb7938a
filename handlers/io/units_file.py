"""The units list an office already has (CSV or XLSX): its columns and the check of each row.

The file is read by :mod:`handlers.io.sheets` (formats, encodings, size limits); the import into
the database is :func:`handlers.services.units.import_units`.

Column names may be Vietnamese or English, in any case, with or without diacritics:
``Mã``/``code``, ``Tên``/``name``, ``Loại``/``kind``, ``Khối``/``Cụm``/``block``,
``Số cán bộ``/``Biên chế``/``staff``. Mã, tên and loại are required. Title rows above the
header ("UBND THỊ XÃ BỈM SƠN", "DANH SÁCH ĐƠN VỊ") are skipped. A kind may be its code
(``xa_phuong``) or a label (``Xã/phường``, ``Phường``, ``Doanh nghiệp``).

Import is all or nothing: every row is checked first and, if any row is wrong, nothing is written
and :attr:`ImportResult.errors` lists each wrong row with its number and a Vietnamese reason.
Units are matched by code, so importing the same file again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handlers.domain.codes import check_code
from handlers.domain.vocab import DEFAULT_UNIT_KINDS, UnitKinds
from handlers.io.sheets import Columns, Row, SheetError, cell_text, map_columns, read_table

__all__ = [
    "HEADER_ALIASES",
    "ImportResult",
    "RowError",
    "UnitRow",
    "UnitsFileError",
    "read_units_file",
]

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


class UnitsFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, size, header); Vietnamese message."""


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
    """What :func:`~handlers.services.units.import_units` did (or why it did nothing)."""

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


# --------------------------------------------------------------------------- rows


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


def _check_row(row: Row, columns: Columns, kinds: UnitKinds) -> UnitRow | RowError:
    problems: list[str] = []
    code = cell_text(columns.value(row, "code"))
    if not code:
        problems.append("thiếu mã đơn vị")
    else:
        try:
            code = check_code(code)
        except ValueError as exc:
            problems.append(str(exc)[:1].lower() + str(exc)[1:].rstrip("."))
    name = " ".join(cell_text(columns.value(row, "name")).split())
    if not name:
        problems.append("thiếu tên đơn vị")
    elif len(name) > 255:
        problems.append("tên đơn vị quá dài (tối đa 255 ký tự)")
    kind_text = cell_text(columns.value(row, "kind"))
    kind = kinds.from_text(kind_text) if kind_text else None
    if not kind_text:
        problems.append("thiếu loại đơn vị")
    elif kind is None:
        problems.append(
            f'không rõ loại đơn vị "{kind_text}"; dùng một trong: '
            + ", ".join(kinds.labels.values())
        )
    block = " ".join(cell_text(columns.value(row, "block")).split()) or None
    if block is not None and len(block) > 120:
        problems.append("tên khối/cụm quá dài (tối đa 120 ký tự)")
    raw_staff = columns.value(row, "staff_count")
    staff: int | None = None
    try:
        staff = _parse_staff(raw_staff.strip() if isinstance(raw_staff, str) else raw_staff)
    except ValueError:
        problems.append(f'số cán bộ "{cell_text(raw_staff)}" phải là số nguyên không âm')
    if problems or kind is None:
        message = "; ".join(problems)
        return RowError(row.number, message[:1].upper() + message[1:] + ".")
    return UnitRow(row.number, code, name, kind, block, staff)


def read_units_file(
    data: bytes, filename: str, kinds: UnitKinds | None = None
) -> tuple[list[UnitRow], ImportResult]:
    """Read and check every row without touching the database.

    Args:
        data: The file's content.
        filename: Its name (the extension helps tell XLSX from CSV).
        kinds: The deployment's unit kinds (default: the built-in vocabulary).

    Returns:
        The valid rows, and a result carrying the row errors and warnings (counts are zero).

    Raises:
        UnitsFileError: The file is empty, unreadable or its header lacks a required column.
    """
    try:
        titles = frozenset().union(*HEADER_ALIASES.values())
        table = read_table(data, filename, titles=titles)
        columns = map_columns(table.header, HEADER_ALIASES, _FIELD_LABELS, _REQUIRED)
    except SheetError as exc:
        raise UnitsFileError(str(exc)) from None
    result = ImportResult()
    if columns.ignored:
        result.warnings.append("Bỏ qua các cột không dùng: " + ", ".join(columns.ignored) + ".")
    if not table.rows:
        raise UnitsFileError("Tệp chỉ có dòng tiêu đề, chưa có đơn vị nào.")
    valid: list[UnitRow] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        checked = _check_row(row, columns, kinds or DEFAULT_UNIT_KINDS)
        if isinstance(checked, RowError):
            result.errors.append(checked)
            continue
        if checked.code in first_row:
            result.errors.append(
                RowError(
                    row.number, f'Mã "{checked.code}" trùng với dòng {first_row[checked.code]}.'
                )
            )
            continue
        first_row[checked.code] = row.number
        valid.append(checked)
    return valid, result

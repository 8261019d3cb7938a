"""The bulk list template (.xlsx): nominations or delegates filled in Excel and read back.

The template a unit head gets from ``/decu`` or ``/daibieu`` ("Nhập từ tệp Excel"):

* sheet 1, the list: a title row, the header row, one example row (its name starts with
  "Ví dụ:" and is never imported), then empty rows with data validation (drop-downs for
  gender, the campaign's award forms, category and presidium; whole numbers for the birth year);
* sheet "Hướng dẫn": how to fill it in;
* a hidden sheet (:data:`MARKER_SHEET`): the marker (kind and campaign code) and the lists the
  drop-downs use.

Every word of the template comes from the caller (``templates/nhap.j2`` rendered by the flow):
this module draws and reads. :func:`read_bulk` reads a filled template back, and also a list an
office made itself with the same column titles (LibreOffice files, a title row above the
header, merged cells, Excel dates, numbers stored as text, trailing empty rows), refusing with
a :class:`~handlers.domain.errors.UserError` what cannot be read as a whole: not an xlsx, a
password-protected workbook, another campaign's or another list's template, too many rows.
Cells holding a formula are row problems (:class:`SheetRow.formulas`): the value a formula
shows is not stored by every program, so the person pastes values instead.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.domain.errors import UserError
from handlers.io.sheets import MAX_BYTES, cell_text
from storage.text import fold_text

if TYPE_CHECKING:  # openpyxl is imported where a sheet is read or drawn, not at start-up
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "ALIASES",
    "COLUMNS",
    "EXAMPLE_PREFIX",
    "MARKER",
    "MARKER_SHEET",
    "MAX_DATA_ROWS",
    "MAX_UNZIPPED_BYTES",
    "BulkKind",
    "SheetRow",
    "TemplateSpec",
    "read_bulk",
    "write_template",
]

#: Most data rows a file may hold (a unit's list is tens of names; 1 000 is generous).
MAX_DATA_ROWS = 1000
#: Most bytes a workbook may hold once unzipped (1 000 rows are well under 2 MB).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
#: The hidden sheet holding the marker and the drop-down lists.
MARKER_SHEET = "_tdkt"
#: The marker's first cell.
MARKER = "tdkt-bot:bulk-list:v1"
#: A row whose name starts with this (folded) is the example row: never imported.
EXAMPLE_PREFIX = "vi du"
#: Rows searched for the header (title rows above it).
_HEADER_SEARCH = 15
#: Empty rows with drop-downs below the example row in an empty template.
_BLANK_ROWS = 200
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')


class BulkKind(enum.StrEnum):
    """Which list a template holds."""

    NOMINATIONS = "nominations"
    DELEGATES = "delegates"


#: The columns of each kind, in order (keys; their titles come from the caller).
COLUMNS: Mapping[BulkKind, tuple[str, ...]] = {
    BulkKind.NOMINATIONS: (
        "name",
        "gender",
        "birth_year",
        "position",
        "workplace",
        "award",
        "summary",
    ),
    BulkKind.DELEGATES: (
        "name",
        "gender",
        "birth_year",
        "ethnicity",
        "position",
        "category",
        "presidium",
    ),
}
#: Column key → the titles it is recognised by, folded (:func:`storage.text.fold_text`).
ALIASES: Mapping[str, frozenset[str]] = {
    "name": frozenset({"ho va ten", "ho ten", "ten", "ho ten nguoi duoc de cu", "full name"}),
    "gender": frozenset({"gioi tinh", "gender", "nam nu", "nam hay nu"}),
    "birth_year": frozenset({"nam sinh", "ngay sinh", "ngay thang nam sinh", "birth year"}),
    "ethnicity": frozenset({"dan toc", "ethnicity"}),
    "position": frozenset({"chuc vu", "chuc vu noi cong tac", "chuc vu don vi", "position"}),
    "workplace": frozenset(
        {"don vi cong tac", "don vi cong tac tap the", "ten tap the", "tap the", "workplace"}
    ),
    "award": frozenset(
        {"hinh thuc khen thuong", "hinh thuc de nghi", "danh hieu", "hinh thuc", "award"}
    ),
    "summary": frozenset({"tom tat thanh tich", "thanh tich", "tom tat", "summary"}),
    "category": frozenset({"thanh phan", "doi tuong", "dien hinh khach moi", "category"}),
    "presidium": frozenset({"doan chu tich", "thuoc doan chu tich", "presidium"}),
}
#: Columns a file may leave out (the others must be there).
_OPTIONAL = frozenset({"workplace"})


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """What a template shows (every word already rendered, plain text).

    Attributes:
        kind: Nominations or delegates.
        campaign_code: The campaign the template is for (the hidden marker).
        title: The title row.
        labels: Column key → its title.
        example: Column key → the example row's value (its name starts with "Ví dụ:").
        guide: The lines of the "Hướng dẫn" sheet.
        guide_title: That sheet's name.
        sheet_title: The list sheet's name.
        choices: Column key → the values its drop-down offers.
        year_range: The birth years accepted (inclusive).
    """

    kind: BulkKind
    campaign_code: str
    title: str
    labels: Mapping[str, str]
    example: Mapping[str, str]
    guide: Sequence[str]
    guide_title: str
    sheet_title: str
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    year_range: tuple[int, int] = (1920, 2010)


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row: its number in the file and its cells as text, by column key.

    Attributes:
        number: The row's number as Excel shows it.
        cells: Column key → the cell as text ("" when empty).
        formulas: The column keys whose cell holds a formula.
    """

    number: int
    cells: Mapping[str, str]
    formulas: tuple[str, ...] = ()


# --------------------------------------------------------------------------- writing

_WIDTHS = {
    "name": 28,
    "gender": 10,
    "birth_year": 11,
    "ethnicity": 12,
    "position": 34,
    "workplace": 30,
    "award": 30,
    "summary": 60,
    "category": 14,
    "presidium": 14,
}


def _list_validation(marker: Worksheet, column: int, values: Sequence[str]) -> DataValidation:
    """A drop-down over ``values``, written in column ``column`` of the hidden sheet."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for row, value in enumerate(values, start=1):
        marker.cell(row=row + 3, column=column, value=value)
    letter = get_column_letter(column)
    last = max(len(values), 1) + 3
    return DataValidation(
        type="list", formula1=f"'{MARKER_SHEET}'!${letter}$4:${letter}${last}", allow_blank=True
    )


def _validations(
    spec: TemplateSpec, marker: Worksheet, first: int, last: int
) -> list[DataValidation]:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    found: list[DataValidation] = []
    for index, key in enumerate(COLUMNS[spec.kind], start=1):
        letter = get_column_letter(index)
        if key in spec.choices:
            check = _list_validation(marker, index + 1, spec.choices[key])
            # Ethnic groups beyond the list may be typed: a warning, not a refusal.
            check.errorStyle = "warning" if key == "ethnicity" else "stop"
        elif key == "birth_year":
            low, high = spec.year_range
            check = DataValidation(
                type="whole", operator="between", formula1=str(low), formula2=str(high)
            )
            check.allow_blank = True
        else:
            continue
        check.showErrorMessage = True
        check.add(f"{letter}{first}:{letter}{last}")
        found.append(check)
    return found


def write_template(spec: TemplateSpec, rows: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """Draw the template, empty or holding ``rows`` (an export of a list, re-importable).

    Args:
        spec: What it shows.
        rows: Column key → value, one mapping per entry, written below the example row.

    Returns:
        The .xlsx file's content.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    keys = COLUMNS[spec.kind]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = spec.sheet_title[:31]
    sheet.cell(row=1, column=1, value=spec.title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(keys))
    for index, key in enumerate(keys, start=1):
        cell = sheet.cell(row=2, column=index, value=spec.labels[key])
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(key, 16)
        example = sheet.cell(row=3, column=index, value=spec.example.get(key, ""))
        example.font = Font(italic=True, color="808080")
    for number, entry in enumerate(rows, start=4):
        for index, key in enumerate(keys, start=1):
            value = entry.get(key)
            if value is not None and value != "":
                sheet.cell(row=number, column=index, value=value)
    sheet.freeze_panes = "A3"
    marker = book.create_sheet(MARKER_SHEET)
    marker.sheet_state = "hidden"
    marker["A1"] = MARKER
    marker["A2"] = spec.kind.value
    marker["A3"] = spec.campaign_code
    last = 3 + max(len(rows) + _BLANK_ROWS, _BLANK_ROWS)
    for check in _validations(spec, marker, 4, last):
        sheet.add_data_validation(check)
    guide = book.create_sheet(spec.guide_title[:31], 1)
    guide.column_dimensions["A"].width = 110
    for number, line in enumerate(spec.guide, start=1):
        cell = guide.cell(row=number, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if number == 1:
            cell.font = Font(bold=True, size=13)
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- reading


def _open(data: bytes) -> Any:
    """The workbook in ``data``, or the reason it cannot be read."""
    if not data.strip():
        raise UserError("bulk_empty")
    if len(data) > MAX_BYTES:
        raise UserError("bulk_too_big", max_mb=MAX_BYTES // (1024 * 1024))
    if data.startswith(_OLE_MAGIC):
        raise UserError("bulk_encrypted" if _ENCRYPTED in data else "bulk_old_xls")
    if not data.startswith(_ZIP_MAGIC):
        raise UserError("bulk_not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserError("bulk_not_xlsx") from None
    if unzipped > MAX_UNZIPPED_BYTES:  # a few MB of ZIP must not become gigabytes of XML
        raise UserError("bulk_too_big", max_mb=MAX_BYTES // (1024 * 1024))
    try:
        from openpyxl import load_workbook

        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise UserError("bulk_not_xlsx") from None


def _check_marker(book: Any, kind: BulkKind, campaign_code: str) -> None:
    """Refuse another list's or another campaign's template (a file without marker passes)."""
    if MARKER_SHEET not in book.sheetnames:
        return
    marker = book[MARKER_SHEET]
    if cell_text(marker["A1"].value) != MARKER:
        return
    found_kind = cell_text(marker["A2"].value)
    if found_kind != kind.value:
        raise UserError("bulk_wrong_kind", found=found_kind)
    found_code = cell_text(marker["A3"].value)
    if fold_text(found_code) != fold_text(campaign_code):
        raise UserError("bulk_wrong_campaign", found=found_code, expected=campaign_code)


def _merged_values(book: Any, sheet: Any) -> dict[tuple[int, int], Any]:
    """(row, column) → the value a merged range shows, for every cell of every range.

    A read-only sheet does not parse its merged ranges: they are read from the sheet's XML
    (``<mergeCell ref="A1:G1"/>``, after the rows), their top-left values from the rows.
    """
    from openpyxl.utils.cell import coordinate_to_tuple

    xml = book._archive.read(sheet._worksheet_path)
    ranges = []
    for match in _MERGE_CELL.finditer(xml):
        low, high = (coordinate_to_tuple(ref.decode()) for ref in match.groups())
        if low != high:
            ranges.append((low, high))
    if not ranges:
        return {}
    corners = {low for low, _ in ranges}
    last = max(row for row, _ in corners)
    tops: dict[tuple[int, int], Any] = {}
    for number, cells in enumerate(sheet.iter_rows(max_row=last, values_only=True), start=1):
        for column, value in enumerate(cells, start=1):
            if (number, column) in corners:
                tops[(number, column)] = value
    values: dict[tuple[int, int], Any] = {}
    for (top, left), (bottom, right) in ranges:
        for row in range(top, bottom + 1):
            for column in range(left, right + 1):
                values[(row, column)] = tops.get((top, left))
    return values


def _find_header(
    sheet: Any, kind: BulkKind, merged: Mapping[tuple[int, int], Any]
) -> tuple[int, dict[str, int]]:
    """The header row's number and column key → 1-based column."""
    keys = COLUMNS[kind]
    for number, cells in enumerate(
        sheet.iter_rows(min_row=1, max_row=_HEADER_SEARCH, values_only=True), start=1
    ):
        index: dict[str, int] = {}
        for column, value in enumerate(cells, start=1):
            value = merged.get((number, column), value)
            folded = fold_text(cell_text(value))
            for key in keys:
                if key not in index and folded in ALIASES[key]:
                    index[key] = column
                    break
        if len(index) >= 3:
            missing = [k for k in keys if k not in index and k not in _OPTIONAL]
            if missing:
                raise UserError("bulk_missing_columns", row=number, missing=missing)
            return number, index
    raise UserError("bulk_no_header", kind=kind.value)


def _as_text(key: str, value: Any) -> str:
    """A cell as text: an Excel date is a year for a birth year, dd/mm/yyyy otherwise."""
    if isinstance(value, dt.datetime | dt.date):
        return str(value.year) if key == "birth_year" else value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return cell_text(value)


def _data_sheet(book: Any) -> Any:
    for sheet in book.worksheets:
        if sheet.title != MARKER_SHEET and getattr(sheet, "sheet_state", "visible") == "visible":
            return sheet
    raise UserError("bulk_no_header", kind="")


def read_bulk(
    data: bytes, kind: BulkKind, campaign_code: str, *, max_rows: int = MAX_DATA_ROWS
) -> list[SheetRow]:
    """Read the data rows of a filled template (or a list with the same column titles).

    Args:
        data: The file's content.
        kind: Which list is expected.
        campaign_code: The campaign it must be for (checked against the marker, if any).
        max_rows: Most data rows accepted.

    Returns:
        The non-empty rows below the header, without the example row.

    Raises:
        UserError: The file as a whole cannot be read (each reason its own key).
    """
    book = _open(data)
    try:
        _check_marker(book, kind, campaign_code)
        sheet = _data_sheet(book)
        merged = _merged_values(book, sheet)
        header, index = _find_header(sheet, kind, merged)
        rows: list[SheetRow] = []
        for number, cells in enumerate(sheet.iter_rows(min_row=header + 1), start=header + 1):
            texts: dict[str, str] = {}
            formulas: list[str] = []
            for key, column in index.items():
                cell = cells[column - 1] if column <= len(cells) else None
                value = merged.get((number, column), getattr(cell, "value", None))
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(key)
                    value = None
                texts[key] = _as_text(key, value)
            if not any(texts.values()) and not formulas:
                continue
            if fold_text(texts.get("name", "")).startswith(EXAMPLE_PREFIX):
                continue
            if len(rows) == max_rows:
                raise UserError("bulk_too_many_rows", limit=max_rows)
            rows.append(SheetRow(number, texts, tuple(formulas)))
        if not rows:
            raise UserError("bulk_no_rows")
        return rows
    finally:
        book.close()

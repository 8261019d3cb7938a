"""Excel workbooks (openpyxl) drawn from :class:`~handlers.io.exports.tables.Table`.

Each table becomes one sheet: three title rows (the sheet title, the campaign and scope, "Tính
đến dd/mm/yyyy HH:MM"), the header row, then the data. Panes are frozen below the header, the
header row repeats on every printed page, and the sheet prints on A4 fitted to the page width.
Values are written as values: a text starting with "=" stays text, never a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from handlers.domain.normalize import writable
from handlers.io.exports.tables import Cell, Row, Table

__all__ = ["HEADER_ROW", "MIME", "MIN_PRINT_SIZE", "PrintLayout", "print_layout", "workbook"]

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The row of the column headers (rows 1–3 hold the titles).
HEADER_ROW = 4

_FONT = "Times New Roman"
_SIZE = 12
_LINE_HEIGHT = 16.0  # points per line of 12 pt text
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_TONES = {
    "done": "E2EFDA",
    "late": "FFF2CC",
    "partial": "FCE4D6",
    "returned": "F8CBAD",
    "overdue": "F4CCCC",
    "na": "F2F2F2",
}
#: The smallest text a printed sheet may shrink to (points); below it, columns go over pages.
MIN_PRINT_SIZE = 10
#: Page margins in inches: left, right, top, bottom.
_MARGINS_IN = (0.6, 0.4, 0.6, 0.7)
#: Printable width of A4 (points) within those margins, and the width of one column unit
#: (Excel widths count characters of the default font: about 7 px, 5.25 pt).
_A4_WIDTH_PT = {
    orientation: (mm / 25.4 - _MARGINS_IN[0] - _MARGINS_IN[1]) * 72
    for orientation, mm in (("portrait", 210), ("landscape", 297))
}
_UNIT_PT = 5.25
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def _clean(value: Cell) -> Cell:
    """Drop the control characters a workbook cannot hold."""
    if isinstance(value, str):
        return str(ILLEGAL_CHARACTERS_RE.sub("", writable(value)))
    return value


def _put(ws: Any, row: int, col: int, value: Cell) -> Any:
    """Write a value; text is always text (a leading "=" does not make a formula)."""
    cell = ws.cell(row=row, column=col)
    cell.value = _clean(value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _lines(text: str, width: float) -> int:
    """Roughly how many lines ``text`` wraps to, word by word, in a column ``width`` wide."""
    chars = max(int(width * 1.15) - 1, 1)
    count = 0
    for part in text.splitlines() or [""]:
        lines, used = 1, 0
        for word in part.split():
            size = len(word)
            if used and used + 1 + size > chars:
                lines, used = lines + 1, 0
            lines += max(math.ceil(size / chars) - 1, 0)
            used = (used + 1 + size if used else size) if size <= chars else size % chars
        count += lines
    return count


def _title_row(ws: Any, row: int, text: str, ncols: int, width: float, font: Font) -> None:
    cell = _put(ws, row, 1, text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    lines = _lines(text, width)
    ws.row_dimensions[row].height = max(lines, 1) * (font.sz or _SIZE) * 1.35


def _section(ws: Any, row: int, text: str, ncols: int) -> None:
    for col in range(1, ncols + 1):
        cell = _put(ws, row, col, text if col == 1 else None)
        cell.fill = _SECTION_FILL
        cell.border = _BORDER
        cell.font = Font(name=_FONT, size=_SIZE, bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)


def _data(ws: Any, row: int, table: Table, data: Row) -> None:
    # Spreadsheet programs do not all grow a row to fit wrapped text: give it its height.
    lines = max(
        (_lines(str(v), c.width) for v, c in zip(data.cells, table.columns, strict=True) if v),
        default=1,
    )
    ws.row_dimensions[row].height = lines * _LINE_HEIGHT + 3
    for col, (column, value) in enumerate(zip(table.columns, data.cells, strict=True), start=1):
        cell = _put(ws, row, col, value)
        cell.border = _BORDER
        cell.font = Font(name=_FONT, size=_SIZE, bold=data.total)
        cell.alignment = Alignment(
            horizontal="center" if column.center or (data.total and col > 2) else "left",
            vertical="top",
            wrap_text=True,
        )
        tone = data.tones[col - 1] if col - 1 < len(data.tones) else None
        fill = _TONES.get(tone or "")
        if fill is not None:
            cell.fill = PatternFill("solid", fgColor=fill)
        elif data.total:
            cell.fill = _SECTION_FILL


def _sheet_name(name: str, taken: set[str]) -> str:
    base = name.translate(_SHEET_NAME_BAD).strip()[:_SHEET_NAME_MAX] or "Sheet"
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def _draw(ws: Any, table: Table) -> None:
    ncols = len(table.columns)
    total_width = sum(c.width for c in table.columns)
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    _title_row(ws, 1, table.title, ncols, total_width, Font(name=_FONT, size=14, bold=True))
    _title_row(
        ws, 2, table.subtitle, ncols, total_width, Font(name=_FONT, size=_SIZE, italic=True)
    )
    _title_row(ws, 3, table.as_of, ncols, total_width, Font(name=_FONT, size=_SIZE, italic=True))
    header_lines = 1
    for col, column in enumerate(table.columns, start=1):
        cell = _put(ws, HEADER_ROW, col, column.header)
        cell.font = Font(name=_FONT, size=_SIZE, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_lines = max(header_lines, _lines(column.header, column.width))
    ws.row_dimensions[HEADER_ROW].height = header_lines * _LINE_HEIGHT
    row = HEADER_ROW
    for data in table.rows:
        row += 1
        if data.section is not None:
            _section(ws, row, data.section, ncols)
        else:
            _data(ws, row, table, data)
    last = row
    if table.note:
        last = row + 2
        cell = _put(ws, last, 1, table.note)
        cell.font = Font(name=_FONT, size=_SIZE, italic=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=last, start_column=1, end_row=last, end_column=ncols)
        ws.row_dimensions[last].height = _lines(table.note, total_width) * _LINE_HEIGHT
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=table.frozen_columns + 1).coordinate
    _print_setup(ws, table, last)


@dataclass(frozen=True, slots=True)
class PrintLayout:
    """How a sheet prints: orientation, and either fitted to one page wide or at a scale."""

    orientation: str
    fit_width: bool
    scale: int  # percent; used when not fitted


def print_layout(width_units: float, *, wide: bool) -> PrintLayout:
    """Choose the printing of a table ``width_units`` wide (Excel column units).

    Fitting the width to the page is chosen only while the text stays at least
    :data:`MIN_PRINT_SIZE` points; a wide table tries landscape first. Otherwise the sheet is
    printed at the scale that keeps :data:`MIN_PRINT_SIZE`, its columns continuing on more pages.
    """
    width_pt = max(width_units, 1.0) * _UNIT_PT
    for orientation in ("landscape", "portrait") if wide else ("portrait", "landscape"):
        shrink = min(1.0, _A4_WIDTH_PT[orientation] / width_pt)
        if _SIZE * shrink >= MIN_PRINT_SIZE:
            return PrintLayout(orientation, True, 100)
    return PrintLayout("landscape", False, math.floor(MIN_PRINT_SIZE / _SIZE * 100))


def _print_setup(ws: Any, table: Table, last_row: int) -> None:
    """A4, readable: fitted to the width only while the text stays ≥ 10 pt; header repeated."""
    layout = print_layout(sum(c.width for c in table.columns), wide=table.landscape)
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = layout.orientation
    if layout.fit_width:
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        setup.scale = layout.scale
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
        ws.print_title_cols = f"A:{get_column_letter(max(table.frozen_columns, 1))}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{get_column_letter(len(table.columns))}{last_row}"
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.left, margins.right, margins.top, margins.bottom = _MARGINS_IN
    if table.footer:
        ws.oddFooter.center.text = table.footer
        ws.oddFooter.center.size = 10


def workbook(tables: Sequence[Table], *, created: dt.datetime) -> bytes:
    """Draw ``tables`` as the sheets of one workbook and return the .xlsx bytes.

    Args:
        tables: One sheet each, in order.
        created: The workbook's creation time (its document properties).
    """
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in tables:
        _draw(wb.create_sheet(_sheet_name(table.sheet, taken)), table)
    stamp = created.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "tdkt-bot"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

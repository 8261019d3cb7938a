"""Excel workbooks (openpyxl) drawn from :class:`~handlers.io.exports.tables.Table`.

Each table becomes one sheet: three title rows (the sheet title, the campaign and scope, "Tính
đến dd/mm/yyyy HH:MM"), the header row, then the data. Panes are frozen below the header, the
header row repeats on every printed page, and the sheet prints on A4 fitted to the page width.
Values are written as values: a text starting with "=" stays text, never a formula.

Workbooks are streamed (openpyxl's write-only mode): each row is written as it comes, its cells
styled with a few shared named styles, so a list of 500 000 nominations stays within memory.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from handlers.domain.normalize import writable
from handlers.io.exports.tables import Cell, Row, Table

__all__ = [
    "HEADER_ROW",
    "MIME",
    "MIN_PRINT_SIZE",
    "PrintLayout",
    "SheetWriter",
    "print_layout",
    "workbook",
]

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


def _cell(ws: Any, value: Cell, style: Any) -> Any:
    """A streamed cell with a shared named style; text is always text (never a formula).

    ``style`` is the style's array from :meth:`_Styles.array`: copying it is what setting
    ``cell.style`` does, without looking the name up again for every cell.
    """
    cell = WriteOnlyCell(ws, value=_clean(value))
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    cell._style = copy(style)  # what setting cell.style does, without the name lookup
    return cell


class _Styles:
    """The workbook's named styles, each registered once and shared by every cell using it.

    A streamed sheet refers to a style by name; 500 000 rows cost a handful of styles, not
    500 000 font, fill, border and alignment objects.
    """

    def __init__(self, wb: Any) -> None:
        self._wb = wb
        self._known: set[str] = set()
        self._arrays: dict[str, Any] = {}

    def array(self, ws: Any, name: str) -> Any:
        """The style array a cell of named style ``name`` carries (made once)."""
        found = self._arrays.get(name)
        if found is None:
            cell = WriteOnlyCell(ws)
            cell.style = name
            found = self._arrays[name] = cell._style
        return found

    def get(self, name: str, make: Callable[[], dict[str, Any]]) -> str:
        """The name of a style; ``make`` gives its parts (font, fill…) the first time only."""
        if name not in self._known:
            self._wb.add_named_style(NamedStyle(name=name, **make()))
            self._known.add(name)
        return name

    def title(self, size: int, *, bold: bool = False, italic: bool = False) -> str:
        return self.get(
            f"tdkt-title-{size}-{int(bold)}{int(italic)}",
            lambda: {
                "font": Font(name=_FONT, size=size, bold=bold, italic=italic),
                "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
            },
        )

    def header(self) -> str:
        return self.get(
            "tdkt-header",
            lambda: {
                "font": Font(name=_FONT, size=_SIZE, bold=True),
                "fill": _HEADER_FILL,
                "border": _BORDER,
                "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True),
            },
        )

    def section(self) -> str:
        return self.get(
            "tdkt-section",
            lambda: {
                "font": Font(name=_FONT, size=_SIZE, bold=True),
                "fill": _SECTION_FILL,
                "border": _BORDER,
                "alignment": Alignment(vertical="center", wrap_text=False),
            },
        )

    def data(self, *, center: bool, bold: bool, tone: str | None) -> str:
        tone = tone if tone in _TONES else None
        name = f"tdkt-data-{'c' if center else 'l'}{int(bold)}-{tone or ''}"
        if name in self._known:
            return name

        def make() -> dict[str, Any]:
            fill = PatternFill("solid", fgColor=_TONES[tone]) if tone else None
            return {
                "font": Font(name=_FONT, size=_SIZE, bold=bold),
                "fill": fill or (_SECTION_FILL if bold else PatternFill()),
                "border": _BORDER,
                "alignment": Alignment(
                    horizontal="center" if center else "left", vertical="top", wrap_text=True
                ),
            }

        return self.get(name, make)

    def note(self) -> str:
        return self.get(
            "tdkt-note",
            lambda: {
                "font": Font(name=_FONT, size=_SIZE, italic=True),
                "alignment": Alignment(wrap_text=True, vertical="top"),
            },
        )


@lru_cache(maxsize=4096)  # pure: the same short values (a year, "Nam", an award) recur
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


class _Sheet:
    """One streamed sheet: rows are appended in order and written out at once."""

    def __init__(self, ws: Any, styles: _Styles, ncols: int) -> None:
        self.ws = ws
        self.styles = styles
        self.ncols = ncols
        self.row = 0

    def append(self, cells: list[Any], height: float | None = None) -> int:
        """Write the next row (its height first: a streamed row cannot be changed later)."""
        self.row += 1
        dims = self.ws.row_dimensions
        if height is not None:
            dims[self.row].height = height
        self.ws.append(cells)
        dims.pop(self.row, None)  # written: keep no per-row object for 500 000 rows
        return self.row

    def cell(self, value: Cell, style: str) -> Any:
        """A cell of this sheet with the named style ``style``."""
        return _cell(self.ws, value, self.styles.array(self.ws, style))

    def merge_row(self, row: int) -> None:
        if self.ncols > 1:
            self.ws.merged_cells.add(f"A{row}:{get_column_letter(self.ncols)}{row}")


def _title_row(sheet: _Sheet, text: str, width: float, style: str, size: int) -> None:
    height = max(_lines(text, width), 1) * size * 1.35
    row = sheet.append([sheet.cell(text, style)], height)
    sheet.merge_row(row)


def _section(sheet: _Sheet, text: str) -> None:
    style = sheet.styles.section()
    cells = [sheet.cell(text if col == 1 else None, style) for col in range(1, sheet.ncols + 1)]
    sheet.merge_row(sheet.append(cells))


def _data(sheet: _Sheet, table: Table, data: Row) -> None:
    # Spreadsheet programs do not all grow a row to fit wrapped text: give it its height.
    lines = max(
        (_lines(str(v), c.width) for v, c in zip(data.cells, table.columns, strict=True) if v),
        default=1,
    )
    cells = []
    for col, (column, value) in enumerate(zip(table.columns, data.cells, strict=True), start=1):
        tone = data.tones[col - 1] if col - 1 < len(data.tones) else None
        style = sheet.styles.data(
            center=column.center or (data.total and col > 2), bold=data.total, tone=tone
        )
        cells.append(sheet.cell(value, style))
    sheet.append(cells, lines * _LINE_HEIGHT + 3)


def _sheet_name(name: str, taken: set[str]) -> str:
    base = name.translate(_SHEET_NAME_BAD).strip()[:_SHEET_NAME_MAX] or "Sheet"
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def _head(ws: Any, styles: _Styles, table: Table) -> _Sheet:
    """The sheet's layout, titles and header row."""
    ncols = len(table.columns)
    total_width = sum(c.width for c in table.columns)
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = f"{get_column_letter(table.frozen_columns + 1)}{HEADER_ROW + 1}"
    _print_setup(ws, table)  # before the first row: a streamed sheet writes its head first
    sheet = _Sheet(ws, styles, ncols)
    _title_row(sheet, table.title, total_width, styles.title(14, bold=True), 14)
    italic = styles.title(_SIZE, italic=True)
    _title_row(sheet, table.subtitle, total_width, italic, _SIZE)
    _title_row(sheet, table.as_of, total_width, italic, _SIZE)
    header_lines = max((_lines(c.header, c.width) for c in table.columns), default=1)
    header = styles.header()
    sheet.append(
        [sheet.cell(column.header, header) for column in table.columns],
        max(header_lines, 1) * _LINE_HEIGHT,
    )
    return sheet


def _body(sheet: _Sheet, table: Table, rows: Iterable[Row]) -> None:
    for data in rows:
        if data.section is not None:
            _section(sheet, data.section)
        else:
            _data(sheet, table, data)


def _tail(sheet: _Sheet, table: Table, note: str | None) -> None:
    """The note under the table, and the print area."""
    if note:
        sheet.append([])
        last = sheet.append(
            [sheet.cell(note, sheet.styles.note())],
            _lines(note, sum(c.width for c in table.columns)) * _LINE_HEIGHT,
        )
        sheet.merge_row(last)
    sheet.ws.print_area = f"A1:{get_column_letter(sheet.ncols)}{sheet.row}"


def _draw(ws: Any, styles: _Styles, table: Table) -> None:
    sheet = _head(ws, styles, table)
    _body(sheet, table, table.rows)
    _tail(sheet, table, table.note)


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


def _print_setup(ws: Any, table: Table) -> None:
    """A4, readable: fitted to the width only while the text stays ≥ 10 pt; header repeated."""
    layout = print_layout(sum(c.width for c in table.columns), wide=table.landscape)
    setup = ws.page_setup
    setup.paperSize = Worksheet.PAPERSIZE_A4
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
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.left, margins.right, margins.top, margins.bottom = _MARGINS_IN
    if table.footer:
        ws.oddFooter.center.text = table.footer
        ws.oddFooter.center.size = 10


def _save(wb: Any, created: dt.datetime) -> bytes:
    stamp = created.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "tdkt-bot"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def workbook(tables: Sequence[Table], *, created: dt.datetime) -> bytes:
    """Draw ``tables`` as the sheets of one workbook and return the .xlsx bytes.

    Args:
        tables: One sheet each, in order.
        created: The workbook's creation time (its document properties).
    """
    wb = Workbook(write_only=True)
    styles = _Styles(wb)
    taken: set[str] = set()
    for table in tables:
        _draw(wb.create_sheet(_sheet_name(table.sheet, taken)), styles, table)
    return _save(wb, created)


class SheetWriter:
    """A one-sheet workbook written as its rows come: for a list too long to hold.

    ``SheetWriter(head, created=…)`` writes the titles and header of ``head`` (its rows and note
    are not used); :meth:`write` appends rows; :meth:`finish` adds the note and returns the
    .xlsx bytes, the same as :func:`workbook` of the whole table would.
    """

    def __init__(self, head: Table, *, created: dt.datetime) -> None:
        self._wb = Workbook(write_only=True)
        self._table = head
        self._created = created
        ws = self._wb.create_sheet(_sheet_name(head.sheet, set()))
        self._sheet = _head(ws, _Styles(self._wb), head)

    def write(self, rows: Iterable[Row]) -> None:
        """Append ``rows``."""
        _body(self._sheet, self._table, rows)

    def finish(self, note: str | None) -> bytes:
        """Add ``note`` under the table; the workbook's bytes."""
        _tail(self._sheet, self._table, note)
        return _save(self._wb, self._created)

"""Excel workbooks (XlsxWriter) drawn from :class:`~handlers.io.exports.tables.Table`.

Each table becomes one sheet: three title rows (the sheet title, the campaign and scope, "Tính
đến dd/mm/yyyy HH:MM"), the header row, then the data. Panes are frozen below the header, the
header row repeats on every printed page, and the sheet prints on A4 fitted to the page width.
Values are written as values: a text starting with "=" stays text, never a formula.

Workbooks are streamed (XlsxWriter's ``constant_memory`` mode): each row is written out as soon
as the next one starts, its cells sharing a handful of cell formats made once per workbook, so a
list of 500 000 nominations stays within memory. XlsxWriter writes a cell several times faster
than openpyxl's write-only mode (the files are read back with openpyxl in the tests).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import xlsxwriter
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name

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
_BORDER_COLOR = "#808080"
_HEADER_FILL = "#D9E1F2"
_SECTION_FILL = "#F2F2F2"
_TONES = {
    "done": "#E2EFDA",
    "late": "#FFF2CC",
    "partial": "#FCE4D6",
    "returned": "#F8CBAD",
    "overdue": "#F4CCCC",
    "na": "#F2F2F2",
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
#: XlsxWriter adds a character's padding (5 px of 7) to a width; the stored width stays ours.
_WIDTH_PADDING = 5 / 7
_PAPER_A4 = 9
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})
#: The control characters a workbook cannot hold (as openpyxl refuses them).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


def _clean(value: str) -> str:
    """Drop the control characters a workbook cannot hold."""
    return _ILLEGAL.sub("", writable(value))


class _Styles:
    """The workbook's cell formats, each made once and shared by every cell using it.

    500 000 rows cost a handful of formats, not 500 000 font, fill, border and alignment
    objects.
    """

    def __init__(self, wb: Any) -> None:
        self._wb = wb
        self._known: dict[str, Any] = {}

    def get(self, name: str, make: Callable[[], dict[str, Any]]) -> Any:
        """The format ``name``; ``make`` gives its properties the first time only."""
        found = self._known.get(name)
        if found is None:
            found = self._known[name] = self._wb.add_format(
                {"font_name": _FONT, "font_size": _SIZE, **make()}
            )
        return found

    def title(self, size: int, *, bold: bool = False, italic: bool = False) -> Any:
        return self.get(
            f"title-{size}-{int(bold)}{int(italic)}",
            lambda: {
                "font_size": size,
                "bold": bold,
                "italic": italic,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            },
        )

    def header(self) -> Any:
        return self.get(
            "header",
            lambda: {
                "bold": True,
                "pattern": 1,
                "bg_color": _HEADER_FILL,
                "border": 1,
                "border_color": _BORDER_COLOR,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            },
        )

    def section(self) -> Any:
        return self.get(
            "section",
            lambda: {
                "bold": True,
                "pattern": 1,
                "bg_color": _SECTION_FILL,
                "border": 1,
                "border_color": _BORDER_COLOR,
                "valign": "vcenter",
            },
        )

    def data(self, *, center: bool, bold: bool, tone: str | None) -> Any:
        tone = tone if tone in _TONES else None
        name = f"data-{'c' if center else 'l'}{int(bold)}-{tone or ''}"
        found = self._known.get(name)
        if found is not None:
            return found

        def make() -> dict[str, Any]:
            fill = _TONES[tone] if tone else (_SECTION_FILL if bold else None)
            return {
                "bold": bold,
                **({"pattern": 1, "bg_color": fill} if fill else {}),
                "border": 1,
                "border_color": _BORDER_COLOR,
                "align": "center" if center else "left",
                "valign": "top",
                "text_wrap": True,
            }

        return self.get(name, make)

    def note(self) -> Any:
        return self.get("note", lambda: {"italic": True, "text_wrap": True, "valign": "top"})


@lru_cache(maxsize=4096)  # pure: the same short values (a year, "Nam", an award) recur
def _lines(text: str, width: float) -> int:
    """Roughly how many lines ``text`` wraps to, word by word, in a column ``width`` wide."""
    chars = max(int(width * 1.15) - 1, 1)
    if len(text) <= chars and text.isprintable():  # one line (no line break can be in it)
        return 1
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


#: Distinct cell texts whose XML is kept per sheet (a long list repeats few of them).
_FRAGMENTS_MAX = 20_000
#: A text longer than this may exceed a cell's 32 767 UTF-16 units: XlsxWriter cuts it.
_LONG_TEXT = 16_383


class _Sheet:
    """One streamed sheet: rows are written in order, each flushed when the next starts.

    The data rows (:meth:`cells`) skip XlsxWriter's per-cell work: each row's XML is made here
    as XlsxWriter makes it in ``constant_memory`` mode (an inline string per text cell) and
    written straight to the sheet's row file, each distinct text escaped once. The titles,
    headers, sections and notes go through XlsxWriter. ``tests/handlers/io/exports/test_xlsx.py``
    checks that both ways give the same file, byte for byte.
    """

    def __init__(self, ws: Any, styles: _Styles, ncols: int) -> None:
        self.ws = ws
        self.styles = styles
        self.ncols = ncols
        self.row = 0  # rows written (1-based number of the last one)
        self._plain: list[Any] | None = None
        self._letters = [xl_col_to_name(col) for col in range(ncols)]
        self._texts: dict[tuple[str, int], str] = {}  # (text, xf index): the cell XML after r=
        self._rows: dict[float, str] = {}  # height: the <row> tag's attributes after r=
        self._toned: dict[tuple[bool, str | None, bool], Any] = {}  # (centre, tone, total)
        self._centers: list[bool] | None = None

    def plain(self, table: Table) -> list[Any]:
        """The format of each column in a plain data row (no tone, not a total)."""
        if self._plain is None:
            data = self.styles.data
            self._plain = [data(center=c.center, bold=False, tone=None) for c in table.columns]
        return self._plain

    def toned(self, table: Table, tones: tuple[str | None, ...], *, total: bool) -> list[Any]:
        """The formats of a row's cells with ``tones`` (a totals row: bold, centred)."""
        if self._centers is None:
            self._centers = [c.center for c in table.columns]
        known, data = self._toned, self.styles.data
        found = []
        for col, center in enumerate(self._centers):
            key = (center or (total and col > 1), tones[col] if col < len(tones) else None, total)
            fmt = known.get(key)
            if fmt is None:
                fmt = known[key] = data(center=key[0], bold=total, tone=key[1])
            found.append(fmt)
        return found

    def start(self, height: float | None = None) -> int:
        """Begin the next row (0-based index returned); its height first."""
        index = self.row
        self.row += 1
        if height is not None:
            self.ws.set_row(index, height)
        # The row before the last was written out (unless an empty row came between): keep
        # no record of it (XlsxWriter holds row heights until the file is closed).
        if index - 2 < self.ws.previous_row:
            self.ws.row_info.pop(index - 2, None)
            self.ws.row_sizes.pop(index - 2, None)
        return index

    def put(self, index: int, col: int, value: Cell, fmt: Any) -> None:
        """One cell: text always as text (never a formula), a number as a number."""
        if value is None:
            self.ws.write_blank(index, col, None, fmt)
        elif isinstance(value, str):
            self.ws.write_string(index, col, _clean(value), fmt)
        else:
            self.ws.write_number(index, col, value, fmt)

    def cells(self, height: float, values: Sequence[Cell], fmts: Sequence[Any]) -> None:
        """The next row: ``values`` with their formats, every column; written at once.

        The same XML as :meth:`start` with ``height`` and :meth:`put` of every cell.
        """
        ws = self.ws
        index = self.row
        if index > ws.previous_row:  # the row XlsxWriter holds, if any, goes out first (its
            ws._write_single_row(index)  # formats get their numbers before this row's)
        number = str(index + 1)
        texts, letters = self._texts, self._letters
        parts = []
        for col, (value, fmt) in enumerate(zip(values, fmts, strict=True)):
            xf = fmt.xf_index  # numbered when first used: in the order XlsxWriter numbers them
            if xf is None:
                xf = fmt._get_xf_index()
            if value is None:
                tail = f' s="{xf}"/>'
            elif isinstance(value, str):
                found = texts.get((value, xf))
                if found is None:
                    if len(value) > _LONG_TEXT:  # XlsxWriter cuts what is too long for a cell
                        self._put_all(height, values, fmts)
                        return
                    if len(texts) >= _FRAGMENTS_MAX:
                        texts.clear()
                    found = texts[(value, xf)] = _text_xml(ws, value, xf)
                tail = found
            else:
                tail = f' s="{xf}"><v>{value:.16G}</v></c>'
            parts.append(f'<c r="{letters[col]}{number}"{tail}')
        self.row += 1
        ws._check_dimensions(index, 0)
        ws._check_dimensions(index, self.ncols - 1)
        tag = self._rows.get(height)
        if tag is None:
            tag = self._rows[height] = self._row_tag(height)
        ws.fh.write(f'<row r="{number}"{tag}>{"".join(parts)}</row>')

    def _put_all(self, height: float, values: Sequence[Cell], fmts: Sequence[Any]) -> None:
        index = self.start(height)
        for col, (value, fmt) in enumerate(zip(values, fmts, strict=True)):
            self.put(index, col, value, fmt)

    def _row_tag(self, height: float) -> str:
        """The attributes of a row ``height`` points high, as XlsxWriter writes them."""
        ws = self.ws
        pixels = int(height * 4.0 / 3.0 + 0.5)  # what ``set_row`` keeps
        tag = ""
        if pixels != ws.original_row_height or pixels != ws.default_row_height:
            tag = f' ht="{pixels * 0.75:.16g}" customHeight="1"'
        if ws.excel_version == 2010:
            tag += ' x14ac:dyDescent="0.25"'
        return tag

    def merged(self, text: str, fmt: Any, height: float | None = None) -> None:
        """A row of one text across every column."""
        index = self.start(height)
        if self.ncols > 1:
            self.ws.merge_range(index, 0, index, self.ncols - 1, _clean(text), fmt)
        else:
            self.put(index, 0, text, fmt)


def _text_xml(ws: Any, value: str, xf: int) -> str:
    """A text cell's XML after its ``r`` attribute, as XlsxWriter writes it inline."""
    text = ws._escape_control_characters(_clean(value))
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' s="{xf}" t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is></c>'


def _title_row(sheet: _Sheet, text: str, width: float, fmt: Any, size: int) -> None:
    height = max(_lines(text, width), 1) * size * 1.35
    sheet.merged(text, fmt, height)


def _data(sheet: _Sheet, table: Table, data: Row) -> None:
    # Spreadsheet programs do not all grow a row to fit wrapped text: give it its height.
    lines = max(
        (_lines(str(v), c.width) for v, c in zip(data.cells, table.columns, strict=True) if v),
        default=1,
    )
    height = lines * _LINE_HEIGHT + 3
    tones = data.tones
    if not tones and not data.total:  # a plain row (most of a long list): formats per column
        sheet.cells(height, data.cells, sheet.plain(table))
        return
    sheet.cells(height, data.cells, sheet.toned(table, tones, total=data.total))


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
    for index, column in enumerate(table.columns):
        ws.set_column(index, index, max(column.width - _WIDTH_PADDING, 0))
    ws.freeze_panes(HEADER_ROW, table.frozen_columns)
    _print_setup(ws, table)
    sheet = _Sheet(ws, styles, ncols)
    _title_row(sheet, table.title, total_width, styles.title(14, bold=True), 14)
    italic = styles.title(_SIZE, italic=True)
    _title_row(sheet, table.subtitle, total_width, italic, _SIZE)
    _title_row(sheet, table.as_of, total_width, italic, _SIZE)
    header_lines = max((_lines(c.header, c.width) for c in table.columns), default=1)
    header = styles.header()
    index = sheet.start(max(header_lines, 1) * _LINE_HEIGHT)
    for col, column in enumerate(table.columns):
        sheet.put(index, col, column.header, header)
    return sheet


def _body(sheet: _Sheet, table: Table, rows: Iterable[Row]) -> None:
    section = sheet.styles.section()
    for data in rows:
        if data.section is not None:
            sheet.merged(data.section, section)
        else:
            _data(sheet, table, data)


def _tail(sheet: _Sheet, table: Table, note: str | None) -> None:
    """The note under the table, and the print area."""
    if note:
        sheet.start()  # an empty row
        height = _lines(note, sum(c.width for c in table.columns)) * _LINE_HEIGHT
        sheet.merged(note, sheet.styles.note(), height)
    sheet.ws.print_area(0, 0, max(sheet.row - 1, 0), sheet.ncols - 1)


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
    ws.set_paper(_PAPER_A4)
    if layout.orientation == "landscape":
        ws.set_landscape()
    else:
        ws.set_portrait()
    if layout.fit_width:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(layout.scale)
        ws.repeat_columns(0, max(table.frozen_columns, 1) - 1)
    ws.repeat_rows(HEADER_ROW - 1)
    ws.center_horizontally()
    left, right, top, bottom = _MARGINS_IN
    ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    if table.footer:
        ws.set_footer(f"&C&10{table.footer}")


def _open(buffer: io.BytesIO, created: dt.datetime) -> Any:
    wb = xlsxwriter.Workbook(buffer, _OPTIONS)
    stamp = created.astimezone(dt.UTC).replace(microsecond=0)
    wb.set_properties({"author": "tdkt-bot", "created": stamp})
    return wb


def workbook(tables: Sequence[Table], *, created: dt.datetime) -> bytes:
    """Draw ``tables`` as the sheets of one workbook and return the .xlsx bytes.

    Args:
        tables: One sheet each, in order.
        created: The workbook's creation time (its document properties).
    """
    buffer = io.BytesIO()
    wb = _open(buffer, created)
    styles = _Styles(wb)
    taken: set[str] = set()
    for table in tables:
        _draw(wb.add_worksheet(_sheet_name(table.sheet, taken)), styles, table)
    wb.close()
    return buffer.getvalue()


class SheetWriter:
    """A one-sheet workbook written as its rows come: for a list too long to hold.

    ``SheetWriter(head, created=…)`` writes the titles and header of ``head`` (its rows and note
    are not used); :meth:`write` appends rows; :meth:`finish` adds the note and returns the
    .xlsx bytes, the same as :func:`workbook` of the whole table would.
    """

    def __init__(self, head: Table, *, created: dt.datetime) -> None:
        self._buffer = io.BytesIO()
        self._wb = _open(self._buffer, created)
        self._table = head
        ws = self._wb.add_worksheet(_sheet_name(head.sheet, set()))
        self._sheet = _head(ws, _Styles(self._wb), head)

    def write(self, rows: Iterable[Row]) -> None:
        """Append ``rows``."""
        _body(self._sheet, self._table, rows)

    def finish(self, note: str | None) -> bytes:
        """Add ``note`` under the table; the workbook's bytes."""
        _tail(self._sheet, self._table, note)
        self._wb.close()
        return self._buffer.getvalue()

"""Word documents (python-docx) laid out per Nghị định 30/2020/NĐ-CP: the page and its parts.

A4 (landscape for wide tables), margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm, Times
New Roman 14 pt for the text and 13 pt in tables. The page number is centred in the header from
page 2 on. :class:`WordDocument` sets this up and adds paragraphs, short rules, titles and
bordered tables; the letterhead and the signature block are in :mod:`handlers.io.exports.nd30`,
the document kinds in :mod:`handlers.io.exports.docx`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from handlers.domain.normalize import writable
from handlers.io.exports.tables import Table

__all__ = [
    "BODY_SIZE",
    "FONT",
    "MARGINS_MM",
    "TABLE_SIZE",
    "WordDocument",
    "text_mm",
]

FONT = "Times New Roman"
BODY_SIZE = 14
TABLE_SIZE = 13
#: top, bottom, left, right (Nghị định 30/2020/NĐ-CP, Phụ lục I).
MARGINS_MM = (20, 20, 30, 15)
_PAGE_MM = (210, 297)

_BODY_STYLE = "TDKT Body"
_TABLE_STYLE = "TDKT Table"
_HEADER_FILL = "D9E1F2"
_CELL_PAD_MM = 1.2
#: Tables up to this many rows (the report's) are kept on one page.
_SECTION_FILL = "F2F2F2"


def _widths(table: Table, width_mm: float) -> list[float]:
    """Column widths in mm that fill ``width_mm``.

    In proportion to the spreadsheet widths, but never so narrow that a header word or a short
    centred value ("STT", "1976", "Nam") breaks.
    """
    need: list[float] = []
    for index, column in enumerate(table.columns):
        words = column.header.split()
        if column.center:
            words += [str(r.cells[index]) for r in table.rows if r.cells and r.cells[index]]
        longest = max((text_mm(w, TABLE_SIZE, bold=True) for w in words), default=0.0)
        need.append(longest + 2 * _CELL_PAD_MM + 1)
    fixed: set[int] = set()
    widths = [0.0] * len(table.columns)
    for _ in table.columns:
        free = width_mm - sum(need[i] for i in fixed)
        weight = sum(c.width for i, c in enumerate(table.columns) if i not in fixed) or 1.0
        widths = [
            need[i] if i in fixed else free * c.width / weight for i, c in enumerate(table.columns)
        ]
        short = {i for i, w in enumerate(widths) if i not in fixed and w < need[i]}
        if not short:
            break
        fixed |= short
    return widths


def text_mm(text: str, size: float, *, bold: bool = False) -> float:
    """Roughly how wide ``text`` prints in Times New Roman, in millimetres."""
    em = sum(0.66 if ch.isupper() else 0.25 if ch == " " else 0.47 for ch in text)
    return em * size * 0.3528 * (1.06 if bold else 1.0)


# -- low-level XML helpers ---------------------------------------------------------------------
def _set(parent: Any, tag: str, **attrs: str) -> Any:
    """Get or add the child ``tag`` of ``parent`` and set its ``w:`` attributes."""
    child = parent.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        parent.append(child)
    for name, value in attrs.items():
        child.set(qn(f"w:{name}"), value)
    return child


def _fonts(rpr: Any) -> None:
    fonts = _set(rpr, "w:rFonts")
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for name in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{name}"), FONT)


def _shade(cell: Any, fill: str) -> None:
    _set(cell._tc.get_or_add_tcPr(), "w:shd", val="clear", color="auto", fill=fill)


def _no_borders(table: Any) -> None:
    tbl_pr = table._tbl.tblPr
    borders = _set(tbl_pr, "w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        _set(borders, f"w:{edge}", val="nil")


def _cell_margins(table: Any, mm: float) -> None:
    """Left and right padding of every cell (Word's default is 1.9 mm)."""
    margins = _set(table._tbl.tblPr, "w:tblCellMar")
    for edge in ("left", "right"):
        _set(margins, f"w:{edge}", w=str(round(mm * 56.7)), type="dxa")


def _row_flag(row: Any, tag: str) -> None:
    _set(row._tr.get_or_add_trPr(), tag, val="true")


def _bottom_rule(paragraph: Any) -> None:
    borders = _set(paragraph._p.get_or_add_pPr(), "w:pBdr")
    _set(borders, "w:bottom", val="single", sz="6", space="1", color="000000")


def _page_field(paragraph: Any, size: int) -> None:
    """A PAGE field: Word and LibreOffice print the page number in its place."""
    parts: list[tuple[str, str]] = [
        ("w:fldChar", "begin"),
        ("w:instrText", " PAGE "),
        ("w:fldChar", "separate"),
        ("w:t", "2"),
        ("w:fldChar", "end"),
    ]
    for tag, value in parts:
        run = paragraph.add_run()
        run.font.size = Pt(size)
        element = OxmlElement(tag)
        if tag == "w:fldChar":
            element.set(qn("w:fldCharType"), value)
        else:
            element.set(qn("xml:space"), "preserve")
            element.text = value
        run._r.append(element)


def _add_run(paragraph: Any, text: str) -> Any:
    """``paragraph.add_run(text)``, without python-docx's pass over every character.

    A text without tabs or line breaks becomes one ``w:t`` (as python-docx makes it); a
    report's lists of 10 000 unit names are hundreds of thousands of characters.
    """
    if not text or "\t" in text or "\r" in text or "\n" in text:
        return paragraph.add_run(text)
    run = paragraph.add_run()
    run._r.add_t(text)
    return run


class WordDocument:
    """One Word document being written: the page set up, then paragraphs and tables in order."""

    def __init__(self, *, landscape: bool, title: str, created: dt.datetime) -> None:
        self.doc: Any = Document()
        self._table_style_id: str | None = None
        self._styles()
        width, height = _PAGE_MM
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width = Mm(height if landscape else width)
        section.page_height = Mm(width if landscape else height)
        top, bottom, left, right = MARGINS_MM
        section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
        section.left_margin, section.right_margin = Mm(left), Mm(right)
        section.header_distance = section.footer_distance = Mm(10)
        section.different_first_page_header_footer = True
        number = section.header.paragraphs[0]
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_field(number, BODY_SIZE)
        #: The width between the margins.
        self.width_mm = (height if landscape else width) - left - right
        props = self.doc.core_properties
        props.author = "tdkt-bot"
        props.title = writable(title)
        props.language = "vi-VN"
        props.created = props.modified = created.astimezone(dt.UTC).replace(
            tzinfo=None, microsecond=0
        )
        # The default template starts with one empty paragraph: the letterhead goes first.
        for paragraph in list(self.doc.paragraphs):
            paragraph._p.getparent().remove(paragraph._p)

    def _styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _fonts(rpr)
        _set(rpr, "w:sz", val=str(BODY_SIZE * 2))
        _set(rpr, "w:szCs", val=str(BODY_SIZE * 2))
        _set(rpr, "w:lang", val="vi-VN", eastAsia="vi-VN")
        ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
        _set(ppr, "w:spacing", after="0", line="240", lineRule="auto")
        normal = styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(BODY_SIZE)
        _fonts(normal.element.get_or_add_rPr())
        fmt = normal.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = 1.0
        body = styles.add_style(_BODY_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        body.base_style = normal
        body.font.size = Pt(BODY_SIZE)
        body.paragraph_format.first_line_indent = Cm(1)
        body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        body.paragraph_format.space_before = Pt(6)
        body.paragraph_format.line_spacing = 1.15
        cell = styles.add_style(_TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = normal
        cell.font.size = Pt(TABLE_SIZE)
        cell.paragraph_format.space_before = Pt(2)
        cell.paragraph_format.space_after = Pt(2)

    # -- paragraphs ----------------------------------------------------------------------------
    def para(
        self,
        text: str,
        *,
        container: Any = None,
        bold: bool = False,
        italic: bool = False,
        size: float | None = None,
        align: Any = WD_ALIGN_PARAGRAPH.CENTER,
        style: str | None = None,
        before: float = 0,
    ) -> Any:
        """Add one paragraph (to the body, or to a table cell)."""
        target = self.doc if container is None else container
        paragraph = target.add_paragraph(style=style)
        if style is None or align is not None:
            paragraph.alignment = align
        if before:
            paragraph.paragraph_format.space_before = Pt(before)
        for index, line in enumerate(writable(text).split("\n")):
            if index:
                paragraph.add_run().add_break()
            run = _add_run(paragraph, line)
            run.bold = bold or None
            run.italic = italic or None
            if size is not None:
                run.font.size = Pt(size)
        return paragraph

    def rule(self, container: Any, box_mm: float, line_mm: float) -> None:
        """A short centred line under the previous paragraph (below a name, the motto, a title)."""
        line_mm = min(line_mm, box_mm)
        paragraph = (self.doc if container is None else container).add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.left_indent = fmt.right_indent = Mm(max((box_mm - line_mm) / 2, 0))
        fmt.space_before = Pt(1)
        fmt.space_after = Pt(6)
        # An empty paragraph is as tall as its mark: make the mark tiny, so is the gap.
        mark = _set(paragraph._p.get_or_add_pPr(), "w:rPr")
        _set(mark, "w:sz", val="4")
        _set(mark, "w:szCs", val="4")
        _bottom_rule(paragraph)

    def body(self, text: str) -> None:
        """Paragraphs of running text, one per line."""
        for line in text.split("\n"):
            if line.strip():
                self.para(line, style=_BODY_STYLE, align=None)

    def heading(self, text: str) -> None:
        """A section heading (bold, flush left)."""
        self.para(text, bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=8)

    def layout_table(
        self, widths_mm: Sequence[float], *, rows: int = 1, padding_mm: float | None = None
    ) -> Any:
        """A borderless table that places blocks side by side (letterhead, signature).

        The cells of its first row start empty (no paragraph); the others hold one.
        """
        table = self.doc.add_table(rows=rows, cols=len(widths_mm))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _no_borders(table)
        if padding_mm is not None:
            _cell_margins(table, padding_mm)
        for row in table.rows:
            for cell, mm in zip(row.cells, widths_mm, strict=True):
                cell.width = Mm(mm)
        for column, mm in zip(table.columns, widths_mm, strict=True):
            column.width = Mm(mm)
        for cell in table.rows[0].cells:
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        return table

    def title(self, lines: Sequence[str]) -> None:
        """The document's name (bold, centred) and a short line under it."""
        for index, line in enumerate(lines):
            self.para(line, bold=True, size=BODY_SIZE, before=18 if index == 0 else 0)
        self.rule(None, self.width_mm, 40)

    # -- tables --------------------------------------------------------------------------------
    def table(self, table: Table) -> None:
        """A bordered table: header row repeated on every page, section rows merged."""
        ncols = len(table.columns)
        widths = [Mm(mm) for mm in _widths(table, self.width_mm)]
        grid = self.doc.add_table(rows=1, cols=ncols)
        grid.style = self.doc.styles["Table Grid"]
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        grid.autofit = False
        _cell_margins(grid, _CELL_PAD_MM)
        for column, width in zip(grid.columns, widths, strict=True):
            column.width = width
        header = grid.rows[0]
        _row_flag(header, "w:tblHeader")
        _row_flag(header, "w:cantSplit")
        for cell, column in zip(header.cells, table.columns, strict=True):
            self._cell(cell, column.header, center=True, bold=True)
            _shade(cell, _HEADER_FILL)
        for data in table.rows:
            row = grid.add_row()
            _row_flag(row, "w:cantSplit")
            if data.section is not None:
                merged = row.cells[0].merge(row.cells[-1])
                self._cell(merged, data.section, bold=True)
                _shade(merged, _SECTION_FILL)
                for paragraph in merged.paragraphs:  # never alone at the foot of a page
                    paragraph.paragraph_format.keep_with_next = True
                continue
            for index, (cell, column) in enumerate(zip(row.cells, table.columns, strict=True)):
                value = data.cells[index]
                center = column.center or (data.total and index > 1)
                self._cell(
                    cell, "" if value is None else str(value), center=center, bold=data.total
                )
        for row in grid.rows:
            for cell, width in zip(row.cells, widths, strict=False):
                cell.width = width
        # The header keeps with the first row, so the table never starts at the foot of a page;
        # otherwise rows flow from page to page (each whole, the header repeated): keeping a
        # whole "small" table together pushed it off its title's page and left pages half empty.
        for cell in header.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
        if table.note:  # the last row goes with the note (and the note with what follows)
            for cell in grid.rows[-1].cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
            self.para(
                table.note, italic=True, size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.LEFT, before=6
            )

    def _cell(self, cell: Any, text: str, *, center: bool = False, bold: bool = False) -> None:
        paragraph = cell.paragraphs[0]
        if self._table_style_id is None:  # looking a style up by name reads every style
            self._table_style_id = self.doc.styles[_TABLE_STYLE].style_id
        paragraph._p.style = self._table_style_id
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
        for index, line in enumerate(writable(text).split("\n")):
            if index:
                paragraph.add_run().add_break()
            run = _add_run(paragraph, line)
            run.bold = bold or None

    def new_section(self, *, landscape: bool) -> None:
        """Start a new page in another orientation (an annex); page numbers continue."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        width, height = _PAGE_MM
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width = Mm(height if landscape else width)
        section.page_height = Mm(width if landscape else height)
        section.different_first_page_header_footer = False
        _, _, left, right = MARGINS_MM
        self.width_mm = (height if landscape else width) - left - right

    def keep_block(self, table: Any) -> None:
        """Keep a layout table (the signature) whole, and with what comes before it."""
        for row in table.rows:
            _row_flag(row, "w:cantSplit")
        body = self.doc.element.body
        previous = table._tbl.getprevious()
        if previous is not None and previous.tag == qn("w:p") and previous.getparent() is body:
            previous.get_or_add_pPr()
            ppr = previous.pPr
            _set(ppr, "w:keepNext")

    def _end_with_paragraph(self) -> None:
        """A document ending with a table gets a last paragraph of 1 pt.

        Word requires a paragraph after a final table and LibreOffice adds one of normal height:
        when the table ends at the foot of a page, that paragraph alone made an empty page.
        """
        body = self.doc.element.body
        last = body[-2] if len(body) > 1 and body[-1].tag == qn("w:sectPr") else body[-1]
        if last.tag != qn("w:tbl"):
            return
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(0)
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.line_spacing = Pt(1)
        paragraph.add_run().font.size = Pt(1)

    def bytes(self) -> bytes:
        """The .docx file."""
        self._end_with_paragraph()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()

"""The parts of a document Nghị định 30/2020/NĐ-CP prescribes around its text.

The letterhead is a borderless two-column table: the governing body and the issuing body (upper
case, bold, a short line under it) with the document number on the left; the national name, the
motto (a line under it) and the place and date in italics on the right. At the end, the
recipients ("Nơi nhận:", reports only) on the left and the signature on the right. Every text
comes from ``templates/exports/document.j2``; ``settings.export`` of the campaign (place, parent,
organ, signer_title, signer_name, recipients) fills in what the campaign file does not say.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from handlers.domain.vn_dates import DateError, parse_date
from handlers.io.exports.tables import plain
from handlers.io.exports.word import BODY_SIZE, WordDocument, text_mm
from handlers.kernel.texts import Texts
from handlers.queries.export_data import Scope
from storage.text import fold_text

__all__ = [
    "closing",
    "export_options",
    "issuer_symbol",
    "letterhead",
    "place_of",
    "proposal_reference",
]

_DOC = "exports/document"

# Words that name the kind of an issuing body rather than its place ("UBND thị xã Bỉm Sơn").
_PLACE_PREFIXES = (
    "uy ban nhan dan",
    "ubnd",
    "hoi dong nhan dan",
    "hdnd",
    "thanh pho",
    "tp",
    "thi xa",
    "thi tran",
    "tinh",
    "huyen",
    "quan",
    "phuong",
    "xa",
)


def place_of(campaign_settings: dict[str, Any], issuer: str | None) -> str:
    """The place in the date line: ``settings.export.place``, else the issuer's place name.

    ``"UBND thị xã Bỉm Sơn"`` → ``"Bỉm Sơn"``; an empty string when neither says.
    """
    opts = export_options(campaign_settings)
    if isinstance(opts.get("place"), str) and opts["place"].strip():
        return str(opts["place"]).strip()
    words = (issuer or "").split()
    changed = True
    while words and changed:
        changed = False
        for prefix in _PLACE_PREFIXES:
            size = len(prefix.split())
            if fold_text(" ".join(words[:size])) == prefix and len(words) > size:
                words = words[size:]
                changed = True
                break
    return " ".join(words)


def export_options(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The campaign's ``settings.export`` (empty when absent)."""
    export = (settings or {}).get("export")
    return export if isinstance(export, dict) else {}


def proposal_reference(
    campaign_settings: dict[str, Any] | None,
) -> tuple[str | None, dt.date | None]:
    """The Tờ trình's number and date once the office has given them (else None each)."""
    opts = export_options(campaign_settings)
    number = opts.get("proposal_number")
    number = " ".join(number.split()) if isinstance(number, str) and number.strip() else None
    raw = opts.get("proposal_date")
    try:
        date = parse_date(raw) if isinstance(raw, str | dt.date) and raw else None
    except DateError:
        date = None  # the campaign file was checked when loaded: an old value is ignored
    return number, date


def issuer_symbol(doc_number: str | None) -> str:
    """The issuing body's abbreviation in a number like "…/KH-UBND" ("UBND"), if any."""
    tail = (doc_number or "").rsplit("/", 1)[-1]
    _, dash, symbol = tail.partition("-")
    return symbol.strip() if dash and re.fullmatch(r"[\w.Đđ-]+", symbol.strip()) else ""


def _zero(value: int, below: int) -> str:
    """NĐ 30: days below 10 and months below 3 carry a leading zero."""
    return f"{value:02d}" if value < below else str(value)


def letterhead(
    doc: WordDocument,
    texts: Texts,
    scope: Scope,
    kind_symbol: str | None,
    *,
    number: str | None = None,
    issued: dt.date | None = None,
) -> None:
    """Issuing body and number on the left; national name, motto and date on the right.

    Args:
        doc: The document (the letterhead goes first).
        texts: The templates.
        scope: The campaign and the unit the document is issued for (the unit issues it).
        kind_symbol: The kind of document in its number ("BC"); None for a list (no number).
        number: The number the office gave the document ("45/TTr-UBND"); else left blank.
        issued: The document's date; else the day of the export.
    """
    campaign, unit = scope.campaign, scope.unit
    opts = export_options(campaign.settings)
    left_mm = round(doc.width_mm * (0.4 if doc.width_mm < 200 else 0.42))
    right_mm = doc.width_mm - left_mm
    table = doc.layout_table((left_mm, right_mm), rows=2, padding_mm=1)
    left, right = table.cell(0, 0), table.cell(0, 1)
    parent = plain(texts, f"{_DOC}.parent", campaign=campaign, unit=unit, opts=opts).upper()
    organ = plain(texts, f"{_DOC}.organ", campaign=campaign, unit=unit, opts=opts).upper()
    if parent:
        doc.para(parent, container=left, size=13)
    doc.para(organ, container=left, size=13, bold=True)
    doc.rule(left, left_mm, max(text_mm(organ, 13, bold=True) * 0.4, 18))
    nation = plain(texts, f"{_DOC}.nation")
    motto = plain(texts, f"{_DOC}.motto")
    doc.para(nation, container=right, size=12, bold=True)
    doc.para(motto, container=right, size=14, bold=True)
    doc.rule(right, right_mm, text_mm(motto, 14, bold=True))
    if kind_symbol:
        symbol = issuer_symbol(campaign.doc_number) if unit is None else ""
        line = plain(texts, f"{_DOC}.number", kind=kind_symbol, symbol=symbol, given=number)
        table.cell(1, 0).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        table.cell(1, 0).paragraphs[0].add_run(line).font.size = Pt(13)
    today = issued or scope.today
    date_line = plain(
        texts,
        f"{_DOC}.place_date",
        place=place_of(campaign.settings, campaign.issuer),
        day=_zero(today.day, 10),
        month=_zero(today.month, 3),
        year=today.year,
    )
    date_cell = table.cell(1, 1).paragraphs[0]
    date_cell.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = date_cell.add_run(date_line)
    run.italic = True
    run.font.size = Pt(14)


def closing(doc: WordDocument, texts: Texts, scope: Scope, *, recipients: bool) -> None:
    """The "Nơi nhận:" block on the left (when ``recipients``), the signature on the right."""
    campaign, unit = scope.campaign, scope.unit
    opts = export_options(campaign.settings)
    left_mm = round(doc.width_mm * 0.45)
    table = doc.layout_table((left_mm, doc.width_mm - left_mm))
    doc.keep_block(table)  # the signature never alone on a page, never split
    left, right = table.cell(0, 0), table.cell(0, 1)
    if recipients:
        doc.para(
            plain(texts, f"{_DOC}.recipients_heading"),
            container=left,
            bold=True,
            italic=True,
            size=12,
            align=WD_ALIGN_PARAGRAPH.LEFT,
            before=12,
        )
        lines = plain(texts, f"{_DOC}.recipients", campaign=campaign, unit=unit, opts=opts)
        for line in lines.split("\n"):
            doc.para(line, container=left, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    else:
        left.add_paragraph()
    title = plain(texts, f"{_DOC}.signer_title", unit=unit, opts=opts).upper()
    for index, line in enumerate(title.split("\n")):
        doc.para(line, container=right, bold=True, size=BODY_SIZE, before=0 if index else 12)
    for _ in range(4):
        right.add_paragraph()
    name = plain(texts, f"{_DOC}.signer_name", unit=unit, opts=opts)
    if name:
        doc.para(name, container=right, bold=True, size=BODY_SIZE)

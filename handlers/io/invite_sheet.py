"""The printable invite sheet: one row (Excel) or one page (Word) per unit, with a QR code.

Each card holds the unit's name and code, its one-time invite code, the Telegram deep link
(when the bot's username is known) with its QR code, and two lines of instructions. Every word
comes from ``templates/invites.j2``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.kernel.texts import Texts, plain_text

__all__ = ["InviteCard", "invite_docx", "invite_xlsx", "qr_png"]

_T = "invites"


@dataclass(frozen=True, slots=True)
class InviteCard:
    """One unit's invite as printed."""

    unit_name: str
    unit_code: str
    code: str
    expires_at: dt.datetime
    #: The Telegram deep link, or None when the bot's username is not known.
    link: str | None


def qr_png(data: str, box_size: int = 6) -> bytes:
    """A QR code of ``data`` as PNG bytes."""
    import qrcode  # heavy (PIL): imported when a sheet is made, not at start-up

    image = qrcode.make(data, box_size=box_size, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def _qr_data(card: InviteCard) -> str:
    return card.link or f"/start {card.code}"


def _text(texts: Texts, name: str, tz: str, **params: object) -> str:
    return plain_text(texts(f"{_T}.{name}", tz=tz, **params))


def invite_xlsx(texts: Texts, cards: Sequence[InviteCard], tz: str) -> bytes:
    """A table with one row per unit and its QR code in the last column."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as SheetImage
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _text(texts, "sheet_title", tz)[:31]
    headers = _text(texts, "headers", tz).split("|")
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for width, column in zip((40, 16, 16, 48, 60, 22), "ABCDEF", strict=True):
        sheet.column_dimensions[column].width = width
    for row, card in enumerate(cards, start=2):
        sheet.append(
            [
                card.unit_name,
                card.unit_code,
                card.code,
                card.link or "",
                _text(texts, "instructions", tz, card=card),
            ]
        )
        for cell in sheet[row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 110
        image = SheetImage(io.BytesIO(qr_png(_qr_data(card), box_size=4)))
        sheet.add_image(image, f"F{row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def invite_docx(texts: Texts, cards: Sequence[InviteCard], tz: str) -> bytes:
    """One page per unit: its name, its code, the link, a QR code and the instructions."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    for index, card in enumerate(cards):
        title = doc.add_paragraph()
        run = title.add_run(_text(texts, "page_title", tz, card=card))
        run.bold = True
        run.font.size = Pt(16)
        doc.add_paragraph(_text(texts, "page_code", tz, card=card)).runs[0].font.size = Pt(14)
        if card.link:
            doc.add_paragraph(card.link)
        doc.add_picture(io.BytesIO(qr_png(_qr_data(card))), width=Cm(6))
        for line in _text(texts, "instructions", tz, card=card).split("\n"):
            doc.add_paragraph(line)
        if index < len(cards) - 1:
            doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

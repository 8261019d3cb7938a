"""The printable invite sheet: one row (Excel) or one page (Word, PDF) per unit, with a QR code.

Each card holds the unit's name and code, its one-time invite code, the Telegram deep link
(when the bot's username is known) with its QR code, the line to type on Zalo ("start CODE",
with the Zalo bot's link when known), and two lines of instructions. Every word comes from
``templates/invites.j2``. The PDF is the Word sheet printed by LibreOffice
(``soffice --headless --convert-to pdf``, installed by ``make system-deps``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from handlers.domain.errors import UserError
from handlers.kernel.texts import Texts, plain_text

__all__ = [
    "SHEET_FORMATS",
    "InviteCard",
    "docx_to_pdf",
    "invite_docx",
    "invite_file",
    "invite_xlsx",
    "qr_png",
]

_T = "invites"
#: The formats of the sheet, by file extension, and their MIME types.
SHEET_FORMATS: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
#: How long LibreOffice may take to print the sheet (a hundred pages take a few seconds).
_PDF_TIMEOUT = 240.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InviteCard:
    """One unit's invite as printed."""

    unit_name: str
    unit_code: str
    code: str
    expires_at: dt.datetime
    #: The Telegram deep link, or None when the bot's username is not known.
    link: str | None
    #: The Zalo bot's link (its Official Account page), or None when not configured.
    zalo_link: str | None = None


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
    for width, column in zip((40, 16, 16, 48, 60, 22, 36), "ABCDEFG", strict=True):
        sheet.column_dimensions[column].width = width
    for row, card in enumerate(cards, start=2):
        sheet.append(
            [
                card.unit_name,
                card.unit_code,
                card.code,
                card.link or "",
                _text(texts, "instructions", tz, card=card),
                None,
                _text(texts, "zalo_line", tz, card=card),
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
        doc.add_paragraph(_text(texts, "zalo_line", tz, card=card)).runs[0].font.size = Pt(14)
        for line in _text(texts, "instructions", tz, card=card).split("\n"):
            doc.add_paragraph(line)
        if index < len(cards) - 1:
            doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


async def docx_to_pdf(data: bytes, *, seconds: float = _PDF_TIMEOUT) -> bytes:
    """Print a Word document to PDF with LibreOffice (headless, its own profile).

    Raises:
        UserError: ``pdf_unavailable`` when LibreOffice is not installed, fails or takes too
            long (the Word sheet can be printed instead).
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise UserError("pdf_unavailable")
    with tempfile.TemporaryDirectory(prefix="tdkt-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "sheet.docx"
        await asyncio.to_thread(source.write_bytes, data)
        process = await asyncio.create_subprocess_exec(
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await asyncio.wait_for(process.communicate(), seconds)
        except TimeoutError:
            process.kill()
            await process.wait()
            logger.warning("LibreOffice took over %.0f s to print the invite sheet", seconds)
            raise UserError("pdf_unavailable") from None
        target = folder / "sheet.pdf"
        if process.returncode != 0 or not target.is_file():
            logger.warning(
                "LibreOffice could not print the invite sheet (status %s): %s",
                process.returncode,
                err.decode(errors="replace")[-300:],
            )
            raise UserError("pdf_unavailable")
        return await asyncio.to_thread(target.read_bytes)


async def invite_file(texts: Texts, cards: Sequence[InviteCard], tz: str, fmt: str) -> bytes:
    """The sheet in ``fmt`` (a key of :data:`SHEET_FORMATS`).

    Raises:
        UserError: ``pdf_unavailable`` when the PDF cannot be printed.
    """
    if fmt == "xlsx":
        return invite_xlsx(texts, cards, tz)
    document = invite_docx(texts, cards, tz)
    return await docx_to_pdf(document) if fmt == "pdf" else document

"""Reading a plan's text from the file a secretary has: .txt, .docx, .pdf, or a picture.

A picture (.jpg, .png…) and a PDF without a text layer (a scan) are read by OCR
(:mod:`handlers.io.ocr`: Tesseract with Vietnamese, poppler's ``pdftoppm`` for the pages) when
it is installed, at most :data:`~handlers.io.ocr.OCR_PAGES` pages; without it they are refused
as having no text layer (ask for the Word file).

Every refusal is a :class:`~handlers.domain.errors.UserError` whose macro in
``templates/errors.j2`` words it in Vietnamese: a file over 20 MB or 200 pages, an encrypted or
corrupt file, a scan without a text layer (or too long, or unreadable, for OCR), a type not read.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from handlers.domain.errors import UserError
from handlers.io.ocr import IMAGE_SUFFIXES, OCR_PAGES, ocr_available, ocr_image, ocr_pdf

__all__ = ["IMAGE_SUFFIXES", "MAX_BYTES", "MAX_PAGES", "SUFFIXES", "read_plan_file"]

_LOGGER = logging.getLogger(__name__)

#: The largest file read (bytes).
MAX_BYTES = 20 * 1024 * 1024
#: The most pages a PDF may have.
MAX_PAGES = 200
#: The file types read.
SUFFIXES = (".txt", ".docx", ".pdf")
#: Pictures of a page OCR does not read (no text layer).
_OTHER_IMAGES = (".gif", ".heic")
#: Fewer letters than this in a PDF is a scan without a text layer.
_MIN_LETTERS = 20


def _read_txt(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return text
    return data.decode("cp1258", errors="replace")


def _read_docx(path: Path) -> str:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as err:
        _LOGGER.info("unreadable docx %s: %s", path.name, err)
        raise UserError("plan_file_corrupt", name=path.name) from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _read_image(path: Path) -> str:
    if not ocr_available():
        raise UserError("plan_file_no_text", name=path.name)  # a photo or scan: ask for Word
    text = ocr_image(path)
    if _letters(text) < _MIN_LETTERS:
        raise UserError("plan_file_ocr_empty", name=path.name)
    return text


def _read_scan(path: Path, pages: int) -> str:
    """A PDF without a text layer: OCR when installed, else ``plan_file_no_text``."""
    if not ocr_available(pdf=True):
        raise UserError("plan_file_no_text", name=path.name)
    if pages > OCR_PAGES:
        raise UserError("plan_file_scan_too_long", name=path.name, limit=OCR_PAGES)
    text = ocr_pdf(path, pages=OCR_PAGES)
    if _letters(text) < _MIN_LETTERS:
        raise UserError("plan_file_ocr_empty", name=path.name)
    return text


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UserError("plan_file_encrypted", name=path.name)
        if len(reader.pages) > MAX_PAGES:
            raise UserError("plan_file_too_many_pages", name=path.name, limit=MAX_PAGES)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except UserError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        _LOGGER.info("unreadable pdf %s: %s", path.name, err)
        raise UserError("plan_file_corrupt", name=path.name) from None
    if _letters(text) < _MIN_LETTERS:
        return _read_scan(path, len(reader.pages))
    return text


def read_plan_file(path: Path) -> str:
    """Return the text of the plan in ``path``.

    Raises:
        UserError: The file cannot be read as a plan (too big, too long, encrypted, corrupt,
            without text, or of a type not read); the message names the file.
    """
    suffix = path.suffix.lower()
    if suffix in _OTHER_IMAGES:
        raise UserError("plan_file_no_text", name=path.name)  # a photo or scan: ask for Word
    if suffix not in SUFFIXES and suffix not in IMAGE_SUFFIXES:
        raise UserError("plan_file_type", name=path.name, types=", ".join(SUFFIXES))
    try:
        size = path.stat().st_size
    except OSError:
        raise UserError("plan_file_missing", name=path.name) from None
    if size > MAX_BYTES:
        raise UserError("plan_file_too_big", name=path.name, limit=MAX_BYTES // (1024 * 1024))
    if suffix == ".docx":
        text = _read_docx(path)
    elif suffix == ".pdf":
        text = _read_pdf(path)
    elif suffix in IMAGE_SUFFIXES:
        text = _read_image(path)
    else:
        text = _read_txt(path.read_bytes())
    if not text.strip():
        raise UserError("plan_file_no_text", name=path.name)
    return text

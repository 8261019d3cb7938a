"""Small genuine files for tests: content that matches its extension."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

__all__ = ["DEMO_DIR", "docx_bytes", "pdf_bytes"]

#: The demo data shipped with the bot (Bỉm Sơn 2019).
DEMO_DIR = Path(__file__).resolve().parents[1] / "bot" / "demo"


def docx_bytes(text: str = "Tờ trình") -> bytes:
    """A real Word document holding ``text``."""
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str = "ke hoach") -> bytes:
    """Bytes with a PDF header (enough for the content check)."""
    return b"%PDF-1.4\n% " + text.encode("ascii", "replace") + b"\n%%EOF\n"

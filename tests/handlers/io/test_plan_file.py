"""Reading a plan's file: .txt, .docx, .pdf with a text layer, and every refusal."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from handlers.domain.errors import UserError
from handlers.io.plan_file import MAX_BYTES, MAX_PAGES, read_plan_file

SAMPLE = "Cac don vi gui ho so truoc ngay 15/11/2019."


def text_pdf(path: Path, line: str) -> Path:
    """A one-page PDF whose text layer holds ``line`` (ASCII, Helvetica)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def blank_pdf(path: Path, pages: int = 1, password: str | None = None) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(UserError) as info:
        read_plan_file(path)
    return info.value.key


def test_txt_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes("\ufeffGửi hồ sơ trước ngày 15/11/2019.".encode())
    assert read_plan_file(path) == "Gửi hồ sơ trước ngày 15/11/2019."


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Gửi hồ sơ trước ngày 15/11/2019.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Hội nghị"
    table.cell(0, 1).text = "20/6/2020"
    path = tmp_path / "plan.docx"
    document.save(str(path))
    text = read_plan_file(path)
    assert "Gửi hồ sơ trước ngày 15/11/2019." in text
    assert "Hội nghị | 20/6/2020" in text


def test_pdf_with_a_text_layer(tmp_path: Path) -> None:
    assert SAMPLE in read_plan_file(text_pdf(tmp_path / "plan.pdf", SAMPLE))


def hide_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No OCR tool can be found (an empty PATH): a scan has no text layer to read."""
    empty = tmp_path / "no-tools"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


def test_scan_without_text_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hide_ocr(tmp_path, monkeypatch)  # with OCR: tests/handlers/io/test_ocr.py
    assert refusal(blank_pdf(tmp_path / "scan.pdf")) == "plan_file_no_text"


def test_encrypted_pdf(tmp_path: Path) -> None:
    assert refusal(blank_pdf(tmp_path / "locked.pdf", password="x")) == "plan_file_encrypted"


def test_too_many_pages(tmp_path: Path) -> None:
    assert refusal(blank_pdf(tmp_path / "long.pdf", pages=MAX_PAGES + 1)) == (
        "plan_file_too_many_pages"
    )


def test_too_big(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    assert refusal(path) == "plan_file_too_big"


def test_corrupt_docx_and_pdf(tmp_path: Path) -> None:
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    assert refusal(tmp_path / "bad.docx") == "plan_file_corrupt"
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    assert refusal(tmp_path / "bad.pdf") == "plan_file_corrupt"


def test_empty_missing_and_other_types(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hide_ocr(tmp_path, monkeypatch)
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    assert refusal(tmp_path / "empty.txt") == "plan_file_no_text"
    assert refusal(tmp_path / "missing.txt") == "plan_file_missing"
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    assert refusal(tmp_path / "photo.jpg") == "plan_file_no_text"
    (tmp_path / "plan.odt").write_bytes(b"PK")
    assert refusal(tmp_path / "plan.odt") == "plan_file_type"

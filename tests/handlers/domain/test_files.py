"""A file's content must be what its name says, for every type a requirement accepts."""

from __future__ import annotations

import io
import zipfile

import pytest

from handlers.domain.errors import UserError
from handlers.domain.files import DOCUMENT_EXTENSIONS, check_content, content_matches


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"})
XLSX = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<c/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
ZIP = _zip({"a.txt": b"hello"})
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
GOOD = {
    ".pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    ".doc": OLE2,
    ".xls": OLE2,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".odt": ODT,
    ".ods": ODS,
    ".rtf": b"{\\rtf1\\ansi K\\u7871 ho\\u7841ch}",
    ".jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    ".jpeg": b"\xff\xd8\xff\xe1\x00\x10Exif",
    ".png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ".txt": "Kế hoạch tổ chức Hội nghị".encode(),
    ".zip": ZIP,
}


def test_every_accepted_extension_has_a_content_rule() -> None:
    assert set(GOOD) == set(DOCUMENT_EXTENSIONS)


@pytest.mark.parametrize("ext", sorted(GOOD))
def test_genuine_content_passes(ext: str) -> None:
    assert content_matches(f"ke-hoach{ext}", GOOD[ext])
    check_content(GOOD[ext], f"KE-HOACH{ext.upper()}")


@pytest.mark.parametrize("ext", sorted(GOOD))
def test_every_other_content_is_refused(ext: str) -> None:
    # Formats that share a signature: OLE2 (doc, xls), JPEG; every package is a ZIP; RTF and
    # a PDF header are text.
    alike = [{".doc", ".xls"}, {".jpg", ".jpeg"}]
    for other, data in GOOD.items():
        if other == ext or any({ext, other} <= group for group in alike):
            continue
        if (ext == ".zip" and data.startswith(b"PK")) or (ext == ".txt" and other in {".rtf"}):
            continue
        assert not content_matches(f"x{ext}", data), (ext, other)


def test_a_zip_named_pdf_is_refused_in_vietnamese() -> None:
    with pytest.raises(UserError) as err:
        check_content(ZIP, "ke-hoach.pdf")
    assert err.value.key == "file_mismatch"
    assert err.value.params == {"name": "ke-hoach.pdf", "kind": "PDF"}


def test_a_docx_that_is_really_a_spreadsheet_is_refused() -> None:
    assert not content_matches("bao-cao.docx", XLSX)
    assert not content_matches("bao-cao.odt", ODS)
    assert not content_matches("bao-cao.docx", b"PK\x03\x04 broken zip")


def test_without_a_name_only_size_and_executables_are_checked() -> None:
    check_content(ZIP)
    with pytest.raises(UserError):
        check_content(b"MZ\x90\x00", "")

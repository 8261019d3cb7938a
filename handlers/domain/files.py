"""Rules for the files people send: size, type by name, content by magic bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import PurePath

from handlers.domain.errors import UserError

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "MAX_FILE_BYTES",
    "MAX_FILE_MB",
    "accepted_extensions",
    "check_content",
    "check_file",
    "content_matches",
]

#: The largest file the office takes (a scanned dossier): what a Telegram bot can send back.
#: A channel that downloads less (Telegram's Bot API: 20 MB) says so on the file it hands over
#: (``IncomingFile.limit``) and the person sends the file through the web companion instead.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)

#: Extensions of documents and pictures an office works with.
DOCUMENT_EXTENSIONS = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".odt",
        ".rtf",
        ".xls",
        ".xlsx",
        ".ods",
        ".jpg",
        ".jpeg",
        ".png",
        ".txt",
        ".zip",
    }
)
EXECUTABLE_EXTENSIONS = frozenset(
    {
        ".exe",
        ".bat",
        ".cmd",
        ".com",
        ".scr",
        ".msi",
        ".sh",
        ".ps1",
        ".vbs",
        ".js",
        ".jar",
        ".apk",
        ".dll",
        ".bin",
        ".elf",
        ".py",
        ".pif",
        ".cpl",
        ".lnk",
    }
)
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls (Office 97–2003)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")


def _zip_names(data: bytes) -> set[str] | None:
    if not data.startswith(_ZIP):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None


def _odf(kind: str) -> Callable[[bytes], bool]:
    def check(data: bytes) -> bool:
        names = _zip_names(data)
        if names is None or "mimetype" not in names:
            return False
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("mimetype").strip() == f"application/{kind}".encode()

    return check


def _ooxml(part: str) -> Callable[[bytes], bool]:
    def check(data: bytes) -> bool:
        names = _zip_names(data)
        return names is not None and part in names

    return check


_BINARY_MAGIC = (b"%PDF-", _OLE2, *_ZIP, b"\xff\xd8\xff", b"\x89PNG")


def _text(data: bytes) -> bool:
    if b"\x00" in data or data.startswith(_BINARY_MAGIC):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1258")  # Vietnamese Windows
        except UnicodeDecodeError:
            return False
    return True


#: What the content of each accepted extension starts with or contains (magic bytes, the
#: parts inside an Office Open XML or OpenDocument package). A renamed file is refused.
_CONTENT_CHECKS: dict[str, Callable[[bytes], bool]] = {
    ".pdf": lambda d: b"%PDF-" in d[:1024],
    ".doc": lambda d: d.startswith(_OLE2),
    ".xls": lambda d: d.startswith(_OLE2),
    ".docx": _ooxml("word/document.xml"),
    ".xlsx": _ooxml("xl/workbook.xml"),
    ".odt": _odf("vnd.oasis.opendocument.text"),
    ".ods": _odf("vnd.oasis.opendocument.spreadsheet"),
    ".rtf": lambda d: d.startswith(b"{\\rtf"),
    ".jpg": lambda d: d.startswith(b"\xff\xd8\xff"),
    ".jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    ".png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    ".zip": lambda d: _zip_names(d) is not None,
    ".txt": _text,
}


def content_matches(name: str, data: bytes) -> bool:
    """Whether ``data`` is what the extension of ``name`` says (unknown extensions pass)."""
    check = _CONTENT_CHECKS.get(PurePath(name).suffix.lower())
    return check is None or check(data)


def accepted_extensions(accept: Sequence[str]) -> frozenset[str]:
    """The extensions a requirement accepts (``["pdf", "docx"]``); empty means the default."""
    return frozenset(f".{ext.lower().lstrip('.')}" for ext in accept) or DOCUMENT_EXTENSIONS


def check_file(name: str, size: int, allowed: frozenset[str] = DOCUMENT_EXTENSIONS) -> None:
    """Reject a file by its declared name and size before it is downloaded.

    Raises:
        UserError: The file is empty, too big, an executable or of a type not accepted.
    """
    ext = PurePath(name).suffix.lower()
    if size <= 0:
        raise UserError("file_empty")
    if size > MAX_FILE_BYTES:
        raise UserError("file_too_big", size_mb=round(size / 1024 / 1024, 1), max_mb=MAX_FILE_MB)
    if ext in EXECUTABLE_EXTENSIONS:
        raise UserError("file_executable", name=name)
    if ext not in allowed:
        shown = ", ".join(sorted(ext.lstrip(".") for ext in allowed))
        raise UserError("file_type", name=name, allowed=shown)


def check_content(data: bytes, name: str = "") -> None:
    """Reject downloaded content that is empty, too big, an executable or a renamed file.

    A renamed file is content that is not what the extension of ``name`` says (a ZIP named
    ``.pdf``); without a name only size and executables are checked.
    """
    if not data:
        raise UserError("file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise UserError(
            "file_too_big", size_mb=round(len(data) / 1024 / 1024, 1), max_mb=MAX_FILE_MB
        )
    if data.startswith(_EXECUTABLE_MAGIC):
        raise UserError("file_executable", name="")
    if name and not content_matches(name, data):
        kind = PurePath(name).suffix.lower().lstrip(".").upper()
        raise UserError("file_mismatch", name=name, kind=kind)

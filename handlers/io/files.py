"""Rules for files users send, and the port that stores them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Protocol

from handlers.kernel.errors import UserError
from handlers.kernel.messages import IncomingFile
from storage.files import SavedFile

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "MAX_FILE_BYTES",
    "FileStore",
    "SavedFile",
    "accepted_extensions",
    "check_content",
    "check_file",
]

MAX_FILE_BYTES = 20 * 1024 * 1024

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


def accepted_extensions(accept: Sequence[str]) -> frozenset[str]:
    """The extensions a requirement accepts (``["pdf", "docx"]``); empty means the default."""
    return frozenset(f".{ext.lower().lstrip('.')}" for ext in accept) or DOCUMENT_EXTENSIONS


class FileStore(Protocol):
    """Keeps file contents (by content hash) somewhere durable."""

    async def save(self, data: bytes) -> SavedFile:
        """Store ``data`` and return where it lives."""
        ...

    async def read(self, path: str) -> bytes:
        """The content stored under ``path``."""
        ...


def check_file(file: IncomingFile, allowed: frozenset[str] = DOCUMENT_EXTENSIONS) -> None:
    """Reject a file by its declared name and size before it is downloaded.

    Raises:
        UserError: The file is empty, too big, an executable or of a type not accepted.
    """
    ext = PurePath(file.name).suffix.lower()
    if file.size <= 0:
        raise UserError("file_empty")
    if file.size > MAX_FILE_BYTES:
        raise UserError("file_too_big", size_mb=round(file.size / 1024 / 1024, 1), max_mb=20)
    if ext in EXECUTABLE_EXTENSIONS:
        raise UserError("file_executable", name=file.name)
    if ext not in allowed:
        shown = ", ".join(sorted(ext.lstrip(".") for ext in allowed))
        raise UserError("file_type", name=file.name, allowed=shown)


def check_content(data: bytes) -> None:
    """Reject downloaded content that is empty, too big or an executable in disguise."""
    if not data:
        raise UserError("file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise UserError("file_too_big", size_mb=round(len(data) / 1024 / 1024, 1), max_mb=20)
    if data.startswith(_EXECUTABLE_MAGIC):
        raise UserError("file_executable", name="")

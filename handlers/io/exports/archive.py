"""The accepted files as one ZIP: a folder per unit, then per requirement, and an index sheet.

Paths keep their Vietnamese names (``Phường Ba Đình/Kế hoạch tổ chức Hội nghị…/ke-hoach.pdf``;
ZIP marks them UTF-8), without the characters file systems refuse; a name used twice in one
folder gets " (2)". The index (``Mục lục.xlsx``) lists every file with its unit, what it is for,
when it was sent and where it is in the archive.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import PurePosixPath
from typing import BinaryIO

from handlers.io.exports.tables import Column, Row, Table, plain
from handlers.io.exports.xlsx import workbook
from handlers.kernel.texts import Texts, fmt_datetime
from handlers.queries.export_data import ExportKind, FileEntry, Scope

__all__ = ["MIME", "files_zip", "safe_name"]

MIME = "application/zip"

_LABELS = "exports/labels"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_MAX_NAME = 80


def safe_name(text: str, fallback: str = "tep") -> str:
    """A path component: NFC, no separators or characters Windows refuses, at most 80 chars."""
    cleaned = _UNSAFE.sub("-", unicodedata.normalize("NFC", text)).strip(" .-")
    if len(cleaned) > _MAX_NAME:
        stem, suffix = PurePosixPath(cleaned).stem, PurePosixPath(cleaned).suffix
        cleaned = stem[: _MAX_NAME - len(suffix)].rstrip(" .-") + suffix
    return cleaned or fallback


def _unique(path: str, taken: set[str]) -> str:
    candidate, number = path, 1
    while candidate.casefold() in taken:
        number += 1
        stem = PurePosixPath(path)
        candidate = str(stem.with_name(f"{stem.stem} ({number}){stem.suffix}"))
    taken.add(candidate.casefold())
    return candidate


async def files_zip(
    texts: Texts,
    scope: Scope,
    entries: Sequence[FileEntry],
    read: Callable[[FileEntry], Awaitable[bytes]],
) -> bytes:
    """The ZIP of ``entries`` with its index sheet.

    Each file is read (``read``) and compressed into a temporary file one at a time: only one
    stored file is in memory while the archive is made, then the finished archive.
    """
    nominations = safe_name(plain(texts, f"{_LABELS}.files_nominations_folder"))
    taken: set[str] = set()
    rows: list[Row] = []
    with tempfile.TemporaryFile(prefix="tdkt-zip-") as spool:
        await _write_zip(texts, scope, entries, read, spool, nominations, taken, rows)
        spool.seek(0)
        return spool.read()


async def _write_zip(
    texts: Texts,
    scope: Scope,
    entries: Sequence[FileEntry],
    read: Callable[[FileEntry], Awaitable[bytes]],
    out: BinaryIO,
    nominations: str,
    taken: set[str],
    rows: list[Row],
) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, entry in enumerate(entries, start=1):
            data = await read(entry)
            folder = [safe_name(entry.unit.name)]
            folder += (
                [nominations, safe_name(entry.topic)]
                if entry.is_nomination
                else [safe_name(entry.topic)]
            )
            if entry.part:
                folder.append(safe_name(entry.part))
            path = _unique("/".join([*folder, safe_name(entry.file.name)]), taken)
            archive.writestr(path, data)
            del data
            sent = fmt_datetime(entry.sent_at, scope.campaign.timezone)
            what = entry.topic + (f" — {entry.part}" if entry.part else "")
            rows.append(Row((index, entry.unit.name, what, entry.file.name, sent, path)))
        index_table = Table(
            kind=ExportKind.FILES,
            sheet=plain(texts, f"{_LABELS}.sheet", kind="files"),
            title=plain(texts, f"{_LABELS}.sheet_title", kind="files"),
            subtitle=plain(texts, f"{_LABELS}.subtitle", campaign=scope.campaign, unit=scope.unit),
            as_of=plain(texts, f"{_LABELS}.as_of", now=scope.now, tz=scope.campaign.timezone),
            columns=tuple(
                Column(header, width, center=i in (0, 4))
                for i, (header, width) in enumerate(
                    zip(
                        plain(texts, f"{_LABELS}.headers", kind="files").splitlines(),
                        (6, 26, 34, 28, 16, 50),
                        strict=True,
                    )
                )
            ),
            rows=tuple(rows) or (Row(section=plain(texts, f"{_LABELS}.files_none")),),
            landscape=True,
        )
        index_name = safe_name(plain(texts, f"{_LABELS}.files_index"))
        archive.writestr(index_name, workbook([index_table], created=scope.now))

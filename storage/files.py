"""Local file store: contents kept under the data directory by SHA-256."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LocalFileStore", "SavedFile"]


@dataclass(frozen=True, slots=True)
class SavedFile:
    """Where a file was kept (``path`` is relative to the store's root)."""

    sha256: str
    path: str
    size: int


class LocalFileStore:
    """Writes each distinct content once, atomically, as ``<root>/ab/cdef…``."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def save(self, data: bytes) -> SavedFile:
        """Store ``data`` (idempotent by content) and return its relative path."""
        return await asyncio.to_thread(self._save, data)

    async def read(self, path: str) -> bytes:
        """The content stored under the relative ``path`` (as returned by :meth:`save`)."""
        target = (self._root / path).resolve()
        if not target.is_relative_to(self._root.resolve()):
            raise ValueError("path outside the file store")
        return await asyncio.to_thread(target.read_bytes)

    def _save(self, data: bytes) -> SavedFile:
        digest = hashlib.sha256(data).hexdigest()
        rel = Path(digest[:2]) / digest
        target = self._root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return SavedFile(sha256=digest, path=str(rel), size=len(data))

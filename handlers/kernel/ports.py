"""Ports: what the core needs from the outside world, provided by the composition root."""

from __future__ import annotations

from typing import Protocol

from storage.files import SavedFile

__all__ = ["FileStore", "SavedFile"]


class FileStore(Protocol):
    """Keeps file contents (by content hash) somewhere durable."""

    async def save(self, data: bytes) -> SavedFile:
        """Store ``data`` and return where it lives."""
        ...

    async def read(self, path: str) -> bytes:
        """The content stored under ``path``."""
        ...

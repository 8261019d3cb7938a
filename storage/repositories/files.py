"""Stored files: the rows naming what lies in the file store (name, type, size, path)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StoredFile

__all__ = ["FileRepository"]


class FileRepository:
    """Reads stored-file rows; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, file_id: int) -> StoredFile | None:
        """Return the stored file with id ``file_id``."""
        return await self._s.get(StoredFile, file_id)

"""Importing the units list (``tdkt units import``, the demo): all or nothing, by code.

Every row is checked first (:func:`handlers.io.units_file.read_units_file`); if any row is
wrong, nothing is written and the result lists the wrong rows. Units are matched by code, so
importing the same file again changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.io.units_file import ImportResult, UnitsFileError, read_units_file
from storage.repositories.units import UnitRepository

__all__ = ["import_units", "import_units_data"]

logger = logging.getLogger(__name__)


async def import_units_data(session: AsyncSession, data: bytes, filename: str) -> ImportResult:
    """Import units from a file's content (e.g. a file sent in chat); see :func:`import_units`."""
    rows, result = read_units_file(data, filename)
    if result.errors:
        logger.info("Units file %s rejected: %d wrong rows", filename, len(result.errors))
        return result
    repo = UnitRepository(session)
    for row in rows:
        _, change = await repo.upsert(
            code=row.code,
            name=row.name,
            kind=row.kind,
            block=row.block,
            staff_count=row.staff_count,
        )
        if change == "created":
            result.created += 1
        elif change == "updated":
            result.updated += 1
        else:
            result.unchanged += 1
    logger.info(
        "Units file %s imported: %d created, %d updated, %d unchanged",
        filename,
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


async def import_units(session: AsyncSession, path: str | os.PathLike[str]) -> ImportResult:
    """Create or update units from a CSV or XLSX file, all or nothing. Never commits.

    Args:
        session: The open session (the caller commits when :attr:`ImportResult.ok`).
        path: The file.

    Returns:
        Counts of created/updated/unchanged units, or the row errors (then nothing was written).

    Raises:
        UnitsFileError: The file cannot be opened, is not CSV/XLSX, or lacks a required column.
    """
    file = Path(path)
    try:
        data = await asyncio.to_thread(file.read_bytes)
    except OSError:
        raise UnitsFileError(f'Không mở được tệp "{file.name}".') from None
    return await import_units_data(session, data, file.name)

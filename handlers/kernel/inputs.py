"""Validation of what users type and send, shared by the conversation steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from handlers.io.files import accepted_extensions, check_content, check_file
from handlers.kernel.context import Ctx
from handlers.kernel.errors import UserError
from storage.models import StoredFile

__all__ = [
    "birth_year",
    "free_text",
    "name",
    "receive_file",
    "stored_file",
]

MIN_BIRTH_YEAR = 1920
MIN_AGE = 15


def free_text(ctx: Ctx, *, limit: int | None = None, minimum: int = 1) -> str:
    """Return the message text, refusing files, empty or oversized text."""
    if ctx.msg.file is not None:
        raise UserError("file_not_here")
    text = ctx.text
    limit = limit or ctx.deps.max_text_chars
    if not text:
        raise UserError("text_empty")
    if len(text) > limit:
        raise UserError("text_too_long", limit=limit, length=len(text))
    if len(text) < minimum:
        raise UserError("text_too_short", minimum=minimum)
    return text


def name(ctx: Ctx) -> str:
    """Return a person's or collective's name."""
    text = " ".join(free_text(ctx, limit=200).split())
    if len(text) < 2 or not any(ch.isalpha() for ch in text):
        raise UserError("name_invalid")
    return text


def birth_year(ctx: Ctx, today: dt.date) -> int:
    """Return a plausible four-digit birth year."""
    text = free_text(ctx, limit=10)
    high = today.year - MIN_AGE
    if not (text.isdigit() and len(text) == 4 and MIN_BIRTH_YEAR <= int(text) <= high):
        raise UserError("birth_year_invalid", low=MIN_BIRTH_YEAR, high=high)
    return int(text)


async def receive_file(ctx: Ctx, accept: Sequence[str] = ()) -> dict[str, Any]:
    """Check, download and store the message's file; return its record for the conversation.

    Args:
        ctx: The step's context; its message carries the file.
        accept: The extensions the requirement accepts (empty: documents and pictures).
    """
    file = ctx.msg.file
    assert file is not None
    check_file(file, accepted_extensions(accept))
    data = await file.read()
    check_content(data)
    saved = await ctx.deps.files.save(data)
    return {
        "sha256": saved.sha256,
        "path": saved.path,
        "size": saved.size,
        "name": file.name[:255],
        "mime": file.mime_type[:127] or "application/octet-stream",
    }


async def stored_file(ctx: Ctx, record: dict[str, Any] | None) -> int | None:
    """Insert the ``StoredFile`` row of a file kept in the conversation data."""
    if not record:
        return None
    row = StoredFile(
        sha256=record["sha256"],
        name=record["name"],
        mime_type=record["mime"],
        size=record["size"],
        path=record["path"],
        created_at=ctx.now,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return row.id

"""Whether a database is already at the newest schema revision, without loading Alembic.

``tdkt run`` (and every CLI command that sets the database up) brings the schema to head at
start-up. Alembic's upgrade imports every revision script and opens its own engine even when
there is nothing to do; :func:`at_head` answers the common case (nothing to do) with one query
and a read of the revision files' headers, so that Alembic loads only for a real upgrade.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["VERSIONS_DIR", "at_head", "script_heads"]

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"

_REVISION = re.compile(r"^revision(?:\s*:[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def script_heads(versions: Path = VERSIONS_DIR) -> set[str]:
    """The head revisions of the scripts: revisions no other script names as its parent.

    Read from each script's ``revision = "…"`` and ``down_revision = …`` lines. A script whose
    header does not read that way yields no revision, so the result then differs from any
    database's version and the caller falls back to Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        down = _DOWN.search(source)
        if found is None or down is None:
            return set()
        revisions.add(found[1])
        parents.update(_QUOTED.findall(down[1]))
    return revisions - parents


async def at_head(engine: AsyncEngine, versions: Path = VERSIONS_DIR) -> bool:
    """Whether the database behind ``engine`` is at the scripts' one head revision.

    False when it is not, when it has no version table yet, or when the scripts have no single
    head: then Alembic decides.
    """
    heads = script_heads(versions)
    if len(heads) != 1:
        return False
    try:
        async with engine.connect() as conn:
            stored = set(
                (await conn.execute(text("SELECT version_num FROM alembic_version")))
                .scalars()
                .all()
            )
    except DBAPIError:  # no version table: a new database
        return False
    return stored == heads

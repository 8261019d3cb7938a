"""``INSERT … ON CONFLICT`` of the database in use, its SQLAlchemy dialect imported on first use.

The PostgreSQL dialect (with asyncpg's) costs every process about a tenth of a second of
imports; a deployment on SQLite, the test suite's ``tdkt`` commands and the SQLite tests never
need it.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["insert_for"]

#: The databases whose ``insert`` has ``on_conflict_do_nothing`` / ``on_conflict_do_update``.
UPSERT_DIALECTS = ("postgresql", "sqlite")


def insert_for(dialect: str) -> Any:
    """The ``insert`` construct of ``dialect`` (``postgresql`` or ``sqlite``).

    Raises:
        ValueError: Another database (not supported).
    """
    if dialect not in UPSERT_DIALECTS:
        raise ValueError(f"no INSERT … ON CONFLICT for the {dialect} dialect")
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert

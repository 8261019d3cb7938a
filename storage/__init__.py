"""Persistence: SQLAlchemy 2 models, repositories that never commit, Alembic migrations.

Imports nothing from the other layers. The names below load on first use: a helper such as
:mod:`storage.text` does not import SQLAlchemy and the models with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.db import make_engine, make_session_factory
    from storage.files import LocalFileStore, SavedFile

__all__ = ["LocalFileStore", "SavedFile", "make_engine", "make_session_factory"]

#: Where each public name lives.
_HOMES = {
    "LocalFileStore": "storage.files",
    "SavedFile": "storage.files",
    "make_engine": "storage.db",
    "make_session_factory": "storage.db",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first read."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

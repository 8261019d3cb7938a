"""Persistence: SQLAlchemy 2 models, repositories that never commit, Alembic migrations.

Imports nothing from the other layers.
"""

from storage.db import make_engine, make_session_factory
from storage.files import LocalFileStore, SavedFile

__all__ = ["LocalFileStore", "SavedFile", "make_engine", "make_session_factory"]

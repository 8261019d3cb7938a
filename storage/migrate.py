"""Run the Alembic migrations shipped inside the ``storage`` package.

No ``alembic.ini`` is needed at runtime: :func:`alembic_config` builds the configuration in code
with ``script_location`` pointing at ``storage/migrations``. Alembic commands are synchronous
while ``env.py`` runs the migrations on an async engine, so:

* :func:`upgrade_to_head` runs the command in a worker thread (``env.py`` then owns a fresh
  event loop there), which is safe to await from inside a running loop;
* :func:`upgrade` and :func:`downgrade` reuse an existing :class:`AsyncEngine`: the command runs
  inside ``AsyncConnection.run_sync`` on one of its connections, so the engine's own options
  (for example a PostgreSQL ``search_path``) apply to the migration too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MIGRATIONS_DIR", "alembic_config", "downgrade", "upgrade", "upgrade_to_head"]

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str, **engine_kwargs: Any) -> Config:
    """Build an Alembic configuration for ``url`` without any ini file.

    Args:
        url: SQLAlchemy URL with an async driver (``sqlite+aiosqlite``, ``postgresql+asyncpg``).
        **engine_kwargs: Extra keyword arguments ``env.py`` passes to
            :func:`storage.db.make_engine` (e.g. ``connect_args``).

    Returns:
        A configuration whose ``script_location`` is the package's migrations directory.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    cfg.attributes["engine_kwargs"] = dict(engine_kwargs)
    return cfg


async def upgrade_to_head(url: str, **engine_kwargs: Any) -> None:
    """Upgrade the database at ``url`` to the latest revision.

    Safe to call from inside a running event loop: the command runs in a worker thread.

    Args:
        url: SQLAlchemy URL with an async driver.
        **engine_kwargs: Extra keyword arguments for the migration engine.
    """
    cfg = alembic_config(url, **engine_kwargs)
    logger.info("Upgrading database schema to head")
    await asyncio.to_thread(command.upgrade, cfg, "head")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` using one of its connections.

    Args:
        engine: The application engine; its connect arguments apply to the migration.
        revision: Target revision (``"head"`` by default).
    """
    logger.info("Upgrading database schema to %s", revision)
    await _run_on_engine(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Downgrade the database behind ``engine`` to ``revision`` (``"base"`` drops everything).

    Args:
        engine: The application engine; its connect arguments apply to the migration.
        revision: Target revision.
    """
    logger.info("Downgrading database schema to %s", revision)
    await _run_on_engine(engine, lambda cfg: command.downgrade(cfg, revision))


async def _run_on_engine(engine: AsyncEngine, run: Callable[[Config], None]) -> None:
    """Run an Alembic command on a connection of ``engine`` (``env.py`` sees ``connection``)."""
    url = engine.url.render_as_string(hide_password=False)

    def _sync(connection: Connection) -> None:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = connection
        run(cfg)

    async with engine.begin() as conn:
        await conn.run_sync(_sync)

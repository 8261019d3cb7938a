"""Shared fixtures: a fresh, isolated database per test (SQLite by default, PostgreSQL on demand).

* ``test_db`` -- an *empty* database: a new SQLite file under ``tmp_path``, or, when
  ``TEST_DATABASE_URL`` is set (``postgresql+asyncpg://...``), a new PostgreSQL schema
  ``t_<hex>`` selected through ``search_path`` and dropped (CASCADE) at teardown. Pass both
  ``url`` and ``engine_kwargs`` to anything that opens its own engine.
* ``engine`` -- ``storage.db.make_engine`` on ``test_db`` with the schema at Alembic head.
  SQLite copies a template file migrated once per session; PostgreSQL replays into each fresh
  schema the ``pg_dump`` of a schema migrated once per worker (``tests/pg_templates.py``).
* ``session_factory`` -- ``storage.db.make_session_factory(engine)``.

The chat harness fixtures (``clock``, ``core``, ``demo``, ``chat``) live in ``tests/harness.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from storage import migrate
from storage.db import make_engine, make_session_factory
from tests.pg_templates import FAST_COMMITS, PgTemplates

# As ``tdkt`` does (bot.cli.main): PTB 22 time periods as timedelta, no deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")

pytest_plugins = [
    "tests.harness",
    "tests.fakes.telegram",
    "tests.fakes.zalo",
    "tests.telegram_harness",
    "tests.cli",
]

PG_URL_ENV = "TEST_DATABASE_URL"


@dataclass(frozen=True)
class TestDatabase:
    """Where a test's database lives and how to open an engine on it."""

    __test__ = False  # not a test class despite the name

    url: str
    engine_kwargs: dict[str, Any] = field(default_factory=dict)
    #: The PostgreSQL schema the test's connections use (``None`` on SQLite).
    schema: str | None = None

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return make_url(self.url).get_backend_name()

    def make_engine(self, **kwargs: Any) -> AsyncEngine:
        """Open a new engine on this database (extra ``kwargs`` override the defaults)."""
        return make_engine(self.url, **{**self.engine_kwargs, **kwargs})


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; ``engine`` copies it per test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    # Requested lazily from inside the async ``engine`` fixture, i.e. while an event loop runs in
    # this thread: migrate on a worker thread with its own loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate.upgrade_to_head(_sqlite_url(path))).result()
    # All connections are closed, so the WAL has been checkpointed into the main file.
    return path


@pytest.fixture(scope="session")
def pg_templates() -> Iterator[PgTemplates | None]:
    """This worker's PostgreSQL template schemas, or ``None`` (SQLite, or no ``pg_dump``)."""
    pg_url = os.environ.get(PG_URL_ENV)
    if not pg_url or not PgTemplates.available():
        yield None
        return
    templates = PgTemplates(pg_url)
    yield templates
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, templates.drop_all()).result()


@pytest.fixture
async def test_db(tmp_path: Path) -> AsyncIterator[TestDatabase]:
    """An empty database of its own for this test (see the module docstring)."""
    pg_url = os.environ.get(PG_URL_ENV)
    if not pg_url:
        yield TestDatabase(_sqlite_url(tmp_path / "test.db"))
        return

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(pg_url, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        settings = {"search_path": schema, **FAST_COMMITS}
        yield TestDatabase(pg_url, {"connect_args": {"server_settings": settings}}, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def engine(
    test_db: TestDatabase, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncEngine]:
    """An engine on ``test_db`` with the schema at Alembic head; disposed at teardown."""
    if test_db.dialect == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        database = make_url(test_db.url).database
        assert database is not None
        shutil.copyfile(template, database)
        eng = test_db.make_engine()
    else:
        eng = test_db.make_engine()
        templates: PgTemplates | None = request.getfixturevalue("pg_templates")
        if templates is not None and test_db.schema is not None:
            await templates.migrate(test_db.schema)
        else:
            await migrate.upgrade(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory bound to ``engine``."""
    return make_session_factory(engine)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, only the tests that open a database; on SQLite, not the others.

    ``make test`` runs every test on SQLite first; a test that never opens ``test_db`` (file
    formats, the CLI's own SQLite data directory, the channels' fakes) would only run again the
    same way, so the PostgreSQL pass leaves it out (reported as deselected). A test marked
    ``postgres_only`` checks what only PostgreSQL does (a row lock): the SQLite pass leaves it
    out the same way, rather than skipping it.
    """
    if os.environ.get(PG_URL_ENV):
        wanted = [item for item in items if "test_db" in getattr(item, "fixturenames", ())]
    else:
        wanted = [item for item in items if item.get_closest_marker("postgres_only") is None]
    keep = set(wanted)
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = wanted
